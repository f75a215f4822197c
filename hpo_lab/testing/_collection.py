"""A check that every implementation really collected every test of a contract suite."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["missing_contract_tests"]


def missing_contract_tests(
    test_file: str, class_name: str, contract: type, ids: Iterable[str]
) -> dict[str, set[str]]:
    """Collect ``test_file::class_name`` in a fresh pytest and return, for each parameter id in
    ``ids``, the contract tests (methods of ``contract`` named ``test_*``) it did not collect.

    An empty set for every id means every implementation runs the whole contract. A silently
    shadowed or skipped suite shows up here as missing tests.

    Example (in a test module that runs a suite for the ids of ``FACTORIES``)::

        missing = missing_contract_tests(__file__, "TestSamplerContract",
                                         SamplerContractTests, FACTORIES)
        assert all(not m for m in missing.values()), missing
    """
    expected = {n for n in dir(contract) if n.startswith("test_")}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         f"{test_file}::{class_name}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(test_file).resolve().parents[2],
    ).stdout
    collected: dict[str, set[str]] = {key: set() for key in ids}
    for m in re.finditer(r"::(test_\w+)\[([^\]]*)\]", out):
        for part in m.group(2).split("-"):
            if part in collected:
                collected[part].add(m.group(1))
    return {key: expected - tests for key, tests in collected.items()}

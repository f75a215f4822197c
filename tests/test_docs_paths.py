"""The docs describe the software, not the machine they were written on."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
# Absolute paths of a particular machine: a home folder, a root checkout, a venv elsewhere.
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|root|home|Users|tmp)/[\w.-]+")


def test_no_machine_paths_in_docs() -> None:
    docs = [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("benchmarks/*.md")]
    found = [
        f"{path.relative_to(ROOT)}:{i}: {m.group(0)}"
        for path in docs
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for m in MACHINE_PATH.finditer(line)
    ]
    assert found == []

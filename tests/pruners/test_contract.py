"""Every built-in pruner runs through the shared contract suite."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from hpo_lab.pruners import MedianPruner, NopPruner, PercentilePruner
from hpo_lab.testing.pytest_pruners import PrunerContractTests, PrunerFactory

# Adding a pruner to the contract is one line here.
FACTORIES: dict[str, PrunerFactory] = {
    "nop": NopPruner,
    "median": lambda: MedianPruner(n_startup_trials=3),
    "median_warmup_interval": lambda: MedianPruner(
        n_startup_trials=2, n_warmup_steps=2, interval_steps=3, n_min_trials=2
    ),
    "percentile_25": lambda: PercentilePruner(25.0, n_startup_trials=2),
    "percentile_90_min4": lambda: PercentilePruner(
        90.0, n_startup_trials=0, interval_steps=2, n_min_trials=4
    ),
}


class TestPrunerContract(PrunerContractTests):
    @pytest.fixture(params=sorted(FACTORIES))
    def pruner_factory(self, request: pytest.FixtureRequest) -> PrunerFactory:
        return FACTORIES[request.param]


def test_every_pruner_collected_the_contract() -> None:
    contract = [n for n in dir(PrunerContractTests) if n.startswith("test_")]
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         f"{__file__}::TestPrunerContract"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    ).stdout
    collected: dict[str, set[str]] = {key: set() for key in FACTORIES}
    for m in re.finditer(r"::(test_\w+)\[([^\]]*)\]", out):
        for part in m.group(2).split("-"):
            if part in collected:
                collected[part].add(m.group(1))
    assert len(contract) >= 8
    for key, tests in collected.items():
        assert tests == set(contract), f"{key}: missing {set(contract) - tests}"

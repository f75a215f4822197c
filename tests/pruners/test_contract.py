"""Every built-in pruner runs through the shared contract suite."""

from __future__ import annotations

import pytest

from hpo_lab.pruners import MedianPruner, NopPruner, PercentilePruner
from hpo_lab.testing._collection import missing_contract_tests
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
    assert len([n for n in dir(PrunerContractTests) if n.startswith("test_")]) >= 8
    missing = missing_contract_tests(__file__, "TestPrunerContract", PrunerContractTests, FACTORIES)
    assert all(not m for m in missing.values()), missing

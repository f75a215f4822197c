"""Every built-in pruner runs through the shared contract suite."""

from __future__ import annotations

import pytest

from hpo_lab.pruners import (
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    RankCheck,
    SuccessiveHalvingPruner,
    ThresholdPruner,
)
from hpo_lab.testing._collection import missing_contract_tests
from hpo_lab.testing.pytest_pruners import PrunerContractTests, PrunerFactory

# Trusts rungs early, so that these short studies see both relaxed and compared rungs.
LENIENT_CHECK = RankCheck(min_pairs=4, min_correlation=0.3, confidence=0.5)

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
    "asha": lambda: SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
    "asha_auto_eta3": lambda: SuccessiveHalvingPruner(reduction_factor=3),
    "asha_rate1_bootstrap2": lambda: SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=2, min_early_stopping_rate=1, bootstrap_count=2
    ),
    "asha_rank_check": lambda: SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=2, rank_check=LENIENT_CHECK
    ),
    "hyperband": lambda: HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=2),
    "hyperband_auto": HyperbandPruner,
    "hyperband_auto_rank_check": lambda: HyperbandPruner(
        reduction_factor=2, rank_check=LENIENT_CHECK
    ),
    "threshold": lambda: ThresholdPruner(upper=1.2, n_warmup_steps=1),
    "threshold_both_interval": lambda: ThresholdPruner(lower=-2.4, upper=2.4, interval_steps=2),
    "patient": lambda: PatientPruner(None, patience=1),
    "patient_median": lambda: PatientPruner(
        MedianPruner(n_startup_trials=2), patience=0, min_delta=0.01
    ),
    "patient_asha": lambda: PatientPruner(
        SuccessiveHalvingPruner(min_resource=1, reduction_factor=2), patience=1
    ),
}


class TestPrunerContract(PrunerContractTests):
    @pytest.fixture(params=sorted(FACTORIES))
    def pruner_factory(self, request: pytest.FixtureRequest) -> PrunerFactory:
        return FACTORIES[request.param]


def test_every_pruner_collected_the_contract() -> None:
    assert len([n for n in dir(PrunerContractTests) if n.startswith("test_")]) >= 9
    missing = missing_contract_tests(__file__, "TestPrunerContract", PrunerContractTests, FACTORIES)
    assert all(not m for m in missing.values()), missing


"""Every built-in sampler runs through the shared contract suite."""

from __future__ import annotations

import pytest

from hpo_lab.samplers import (
    AutoSampler,
    GPSampler,
    GridSampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from hpo_lab.testing._collection import missing_contract_tests
from hpo_lab.testing.pytest_samplers import SamplerContractTests, SamplerFactory

# Adding a sampler to the contract is one line here.
FACTORIES: dict[str, SamplerFactory] = {
    "auto": lambda seed: AutoSampler(seed=seed),
    "auto_fast": lambda seed: AutoSampler(seed=seed, n_startup_trials=2),
    "auto_tpe_fast": lambda seed: AutoSampler(seed=seed, n_startup_trials=2, max_gp_trials=4),
    "gp": lambda seed: GPSampler(seed=seed),
    "random": lambda seed: RandomSampler(seed=seed),
    "grid": lambda seed: GridSampler(seed=seed),
    "grid_small": lambda seed: GridSampler(seed=seed, n_points=2, max_enumerated=3),
    "qmc_sobol": lambda seed: QMCSampler(qmc_type="sobol", seed=seed),
    "qmc_halton": lambda seed: QMCSampler(qmc_type="halton", seed=seed),
    "tpe": lambda seed: TPESampler(seed=seed),
    "tpe_univariate": lambda seed: TPESampler(seed=seed, multivariate=False),
    "tpe_fast": lambda seed: TPESampler(seed=seed, n_startup_trials=2),
    "gp_fast": lambda seed: GPSampler(seed=seed, n_startup_trials=2),
    "gp_trust_region": lambda seed: GPSampler(seed=seed, n_startup_trials=2, trust_region=True),
    "gp_input_warping": lambda seed: GPSampler(seed=seed, n_startup_trials=2, input_warping=True),
}


class TestSamplerContract(SamplerContractTests):
    @pytest.fixture(params=sorted(FACTORIES))
    def sampler_factory(self, request: pytest.FixtureRequest) -> SamplerFactory:
        return FACTORIES[request.param]


def test_every_sampler_collected_the_contract() -> None:
    assert len([n for n in dir(SamplerContractTests) if n.startswith("test_")]) >= 10
    missing = missing_contract_tests(
        __file__, "TestSamplerContract", SamplerContractTests, FACTORIES
    )
    assert all(not m for m in missing.values()), missing

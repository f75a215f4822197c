"""CmaEsSampler: the shared sampler contract, and what CMA-ES does."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

import hpo_lab
from hpo_lab.samplers import CmaEsSampler, RandomSampler
from hpo_lab.samplers._cmaes._cma import CMA
from hpo_lab.storages import SQLiteStorage
from hpo_lab.testing._collection import missing_contract_tests
from hpo_lab.testing.pytest_samplers import SamplerContractTests, SamplerFactory

FACTORIES: dict[str, SamplerFactory] = {
    "cmaes": lambda seed: CmaEsSampler(seed=seed),
    "cmaes_small_pop": lambda seed: CmaEsSampler(seed=seed, popsize=3, n_startup_trials=3),
    "cmaes_pruned": lambda seed: CmaEsSampler(seed=seed, consider_pruned_trials=True),
}


class TestCmaEsContract(SamplerContractTests):
    @pytest.fixture(params=sorted(FACTORIES))
    def sampler_factory(self, request: pytest.FixtureRequest) -> SamplerFactory:
        return FACTORIES[request.param]


def test_cmaes_collected_the_contract() -> None:
    missing = missing_contract_tests(
        __file__, "TestCmaEsContract", SamplerContractTests, FACTORIES
    )
    assert all(not m for m in missing.values()), missing


def _rosenbrock(trial: hpo_lab.Trial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    y = trial.suggest_float("y", -1.0, 3.0)
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def test_cmaes_beats_random_search_on_a_narrow_valley() -> None:
    best = {}
    for name, sampler in (("cma", CmaEsSampler(seed=1)), ("random", RandomSampler(seed=1))):
        study = hpo_lab.create_study(sampler=sampler)
        study.optimize(_rosenbrock, n_trials=300)
        best[name] = study.best_value
    assert best["cma"] < 1e-3 < best["random"]


def test_the_state_is_rebuilt_from_the_store(tmp_path: Path) -> None:
    # Nothing is kept outside the store but the random stream: a new sampler with the same
    # seed proposes the same on a reloaded study and on a copy of its trials.
    path = str(tmp_path / "cma.db")
    study = hpo_lab.create_study(study_name="s", storage=path, sampler=CmaEsSampler(seed=3))
    study.optimize(_rosenbrock, n_trials=25)
    store = SQLiteStorage(path)  # a second store object, as another process opens the file
    try:
        loaded = hpo_lab.load_study(study_name="s", storage=store, sampler=CmaEsSampler(seed=7))
        twin = hpo_lab.create_study(sampler=CmaEsSampler(seed=7))
        twin.add_trials(study.trials)
        proposals = [s.ask().relative_params for s in (loaded, twin)]
    finally:
        store.close()
    assert set(proposals[0]) == {"x", "y"}
    assert proposals[0] == proposals[1]


def test_maximize_and_minimize_mirror() -> None:
    def neg(trial: hpo_lab.Trial) -> float:
        return -_rosenbrock(trial)

    lo = hpo_lab.create_study(sampler=CmaEsSampler(seed=5))
    lo.optimize(_rosenbrock, n_trials=60)
    hi = hpo_lab.create_study(direction="maximize", sampler=CmaEsSampler(seed=5))
    hi.optimize(neg, n_trials=60)
    assert [t.params for t in lo.trials] == [t.params for t in hi.trials]


def test_narrowed_revision_keeps_proposals_inside() -> None:
    def sphere(trial: hpo_lab.Trial) -> float:
        x = trial.suggest_float("x", -2.0, 2.0)
        k = trial.suggest_int("k", -20, 20)
        return (x - 1.2) ** 2 + 0.01 * (k - 3) ** 2

    study = hpo_lab.create_study(sampler=CmaEsSampler(seed=0))
    study.optimize(sphere, n_trials=20)
    first = study.best_value
    study.narrow(x=(0.5, 1.5), k=(0, 10))
    study.optimize(sphere, n_trials=40)
    for t in study.trials[20:]:
        assert 0.5 <= t.params["x"] <= 1.5 and 0 <= t.params["k"] <= 10
        assert type(t.params["k"]) is int
    assert study.best_value < min(first, 0.01)


def test_warm_start_from_source_trials_starts_near_the_source_optimum() -> None:
    def biased(trial: hpo_lab.Trial) -> float:
        x = trial.suggest_float("x", -15.0, 15.0)
        y = trial.suggest_float("y", -15.0, 15.0)
        return (x - 3) ** 2 + (y - 3) ** 2

    source = hpo_lab.create_study(sampler=CmaEsSampler(seed=0))
    source.optimize(biased, n_trials=80)
    cold = hpo_lab.create_study(sampler=CmaEsSampler(seed=1, n_startup_trials=0))
    warm = hpo_lab.create_study(
        sampler=CmaEsSampler(seed=1, n_startup_trials=0, source_trials=source.trials)
    )
    for study in (cold, warm):
        study.optimize(biased, n_trials=12)
    # The first generations of the warm start sample around (3, 3).
    warm_mean = np.mean([[t.params["x"], t.params["y"]] for t in warm.trials[1:]], axis=0)
    assert np.abs(warm_mean - 3).max() < 1.5
    assert warm.best_value < cold.best_value


def test_x0_and_sigma0_set_the_start() -> None:
    sampler = CmaEsSampler(x0={"x": 1.0, "y": 1.0}, sigma0=0.01, seed=0, n_startup_trials=0)
    study = hpo_lab.create_study(sampler=sampler)
    study.enqueue_trial({"x": 1.0, "y": 1.0})
    study.optimize(_rosenbrock, n_trials=8)
    later = np.array([[t.params["x"], t.params["y"]] for t in study.trials[1:]])
    assert np.abs(later - 1.0).max() < 0.3


def test_categorical_and_one_dimensional_parameters_fall_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def objective(trial: hpo_lab.Trial) -> float:
        c = trial.suggest_categorical("c", ["a", "b"])
        return trial.suggest_float("x", 0.0, 1.0) + (c == "b")

    with caplog.at_level(logging.INFO, logger="hpo_lab"):
        study = hpo_lab.create_study(sampler=CmaEsSampler(seed=0))
        study.optimize(objective, n_trials=10)
    assert all(not t.params or t.params["c"] in ("a", "b") for t in study.trials)
    assert "CmaEsSampler" in caplog.text


def test_collapse_restarts_instead_of_stalling() -> None:
    cma = CMA(np.full(2, 0.5), 1e-13)
    assert cma.degenerate
    assert not CMA(np.full(2, 0.5), 0.2).degenerate


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"restart_strategy": "ipop"}, "restart_strategy='ipop' is not supported by hpo_lab's"),
        ({"use_separable_cma": True}, "use_separable_cma=True is not supported"),
        ({"sigma0": -1.0}, "sigma0 must be a finite number > 0, but got sigma0=-1.0"),
        ({"popsize": 1}, "popsize must be an int >= 2, but got popsize=1"),
        ({"n_startup_trials": -2}, "n_startup_trials must be an int >= 0"),
        ({"source_trials": []}, "source_trials has no COMPLETE trial to warm-start from"),
    ],
)
def test_bad_arguments_say_what_and_why(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        CmaEsSampler(**kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)

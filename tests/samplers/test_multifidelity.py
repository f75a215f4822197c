"""MultiFidelitySampler (model-based Hyperband): the sampler contract, and what it models."""

from __future__ import annotations

import math
from typing import Any

import pytest

import hpo_lab
from hpo_lab.distributions import Distribution
from hpo_lab.pruners import HyperbandPruner, SuccessiveHalvingPruner
from hpo_lab.samplers import BaseSampler, MultiFidelitySampler, RandomSampler, TPESampler
from hpo_lab.samplers._multifidelity import fidelity_levels, view_at_resource
from hpo_lab.testing._collection import missing_contract_tests
from hpo_lab.testing.pytest_samplers import SamplerContractTests, SamplerFactory
from hpo_lab.trial import FrozenTrial, TrialState
from hpo_lab.views import StudyView, TrialsView

FACTORIES: dict[str, SamplerFactory] = {
    "mf_auto": lambda seed: MultiFidelitySampler(seed=seed),
    "mf_tpe_fast": lambda seed: MultiFidelitySampler(
        TPESampler(seed=seed, n_startup_trials=2), min_observations=3
    ),
}


class TestMultiFidelityContract(SamplerContractTests):
    @pytest.fixture(params=sorted(FACTORIES))
    def sampler_factory(self, request: pytest.FixtureRequest) -> SamplerFactory:
        return FACTORIES[request.param]


def test_the_contract_was_collected() -> None:
    missing = missing_contract_tests(
        __file__, "TestMultiFidelityContract", SamplerContractTests, FACTORIES
    )
    assert all(not m for m in missing.values()), missing


class _Recorder(BaseSampler):
    """Draws at random, and notes the name and COMPLETE values of each view it was shown."""

    def __init__(self) -> None:
        self.random = RandomSampler(seed=0)
        self.seen: list[tuple[str, list[float]]] = []

    def sample_independent(
        self, view: StudyView, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        values = [t.value for t in view.get_trials(states=(TrialState.COMPLETE,))]
        self.seen.append((view.study_name, [v for v in values if v is not None]))
        return self.random.sample_independent(view, trial, name, distribution)


def _objective(trial: hpo_lab.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    for step in range(1, 10):
        trial.report(x + 1.0 / step, step)
        if trial.should_prune():
            raise hpo_lab.TrialPruned()
    return x


def test_the_base_sampler_sees_the_highest_level_with_enough_values() -> None:
    base = _Recorder()
    sampler = MultiFidelitySampler(base, min_observations=8)
    study = hpo_lab.create_study(
        study_name="mf", sampler=sampler, pruner=SuccessiveHalvingPruner(1, 3)
    )
    study.optimize(_objective, n_trials=40)
    names = [name for name, _ in base.seen]
    assert names[0] == "mf"  # nothing decided yet: the study itself
    levels = [n for n in names if "@" in n]
    assert levels  # rung values stood in for objective values
    # Levels only go up, and each was the highest with 8 values when it was chosen.
    order = [int(n.split("@")[1]) for n in levels]
    assert order == sorted(order)
    for name, values in base.seen:
        if "@" not in name:
            continue
        step = int(name.split("@")[1])
        assert len(values) >= 8
        reported = {t.intermediate_values[step] for t in study.trials
                    if step in t.intermediate_values}
        assert set(values) <= reported


def test_view_at_resource() -> None:
    trials = [
        FrozenTrial(0, TrialState.PRUNED, intermediate_values={1: 0.7, 3: 0.6}),
        FrozenTrial(1, TrialState.COMPLETE, value=0.1, intermediate_values={1: 0.9, 9: 0.1}),
        FrozenTrial(2, TrialState.RUNNING, intermediate_values={1: 0.8}),
        FrozenTrial(3, TrialState.FAIL, intermediate_values={1: 0.2}),
        FrozenTrial(4, TrialState.PRUNED, intermediate_values={1: 0.95}),
    ]
    level = view_at_resource(TrialsView("s", "maximize", trials, cursor=5), 3)
    got = [(t.state, t.value) for t in level.get_trials()]
    assert got == [
        (TrialState.COMPLETE, 0.6),
        (TrialState.COMPLETE, 0.1),  # its first report at or past 3 (step 9)
        (TrialState.RUNNING, None),
        (TrialState.FAIL, None),
        (TrialState.PRUNED, None),
    ]
    assert (level.study_name, level.direction, level.cursor) == ("s@3", "maximize", 5)


def test_levels_come_from_the_recorded_decisions() -> None:
    study = hpo_lab.create_study(study_name="hb", pruner=HyperbandPruner(1, 9, 3))
    study.optimize(_objective, n_trials=25)
    assert set(fidelity_levels(study.view)) <= {1, 3, 9} and fidelity_levels(study.view)


def test_without_a_rung_pruner_it_proposes_what_its_base_sampler_does() -> None:
    a = hpo_lab.create_study(sampler=MultiFidelitySampler(TPESampler(seed=3)))
    b = hpo_lab.create_study(sampler=TPESampler(seed=3))
    for study in (a, b):
        study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 0.5) ** 2, n_trials=25)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]


def test_it_beats_its_base_sampler_alone_under_successive_halving() -> None:
    # With successive halving few trials complete; rung values let the model start early.
    def run(sampler: BaseSampler) -> float:
        study = hpo_lab.create_study(sampler=sampler, pruner=SuccessiveHalvingPruner(1, 3))

        def objective(trial: hpo_lab.Trial) -> float:
            x = trial.suggest_float("x", -3.0, 3.0)
            y = trial.suggest_float("y", -3.0, 3.0)
            final = (x - 1.0) ** 2 + (y + 0.5) ** 2
            for step in range(1, 28):
                trial.report(final + 2.0 / step, step)
                if trial.should_prune():
                    raise hpo_lab.TrialPruned()
            return final

        study.optimize(objective, n_trials=60)
        return study.best_value

    alone = [run(TPESampler(seed=s)) for s in range(3)]
    levels = [run(MultiFidelitySampler(TPESampler(seed=s))) for s in range(3)]
    assert sorted(levels)[1] < sorted(alone)[1]
    assert all(math.isfinite(v) for v in levels)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="base must be a sampler or None, but got base='tpe'"):
        MultiFidelitySampler("tpe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_observations must be an int >= 1"):
        MultiFidelitySampler(min_observations=0)

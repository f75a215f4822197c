"""MultiFidelitySampler (model-based Hyperband): the sampler contract, and what it models."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import hpo_lab
from hpo_lab.distributions import Distribution, FloatDistribution
from hpo_lab.pruners import HyperbandPruner, SuccessiveHalvingPruner
from hpo_lab.samplers import (
    AutoSampler,
    BaseSampler,
    MultiFidelitySampler,
    RandomSampler,
    TPESampler,
)
from hpo_lab.samplers._gp._fidelity import FidelityGPSampler
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
    "mf_level": lambda seed: MultiFidelitySampler(seed=seed, model="level"),
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
    sampler = MultiFidelitySampler(base, min_observations=8)  # a base: the "level" rule
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


def _best_under_successive_halving(sampler: BaseSampler, n_trials: int) -> float:
    """Best value of a 2-d bowl whose rung values keep the final ranking (27 epochs, SH 1/3)."""
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

    study.optimize(objective, n_trials=n_trials)
    return study.best_value


def test_it_beats_its_base_sampler_alone_under_successive_halving() -> None:
    # With successive halving few trials complete; rung values let the model start early.
    def run(sampler: BaseSampler) -> float:
        return _best_under_successive_halving(sampler, 60)

    alone = [run(TPESampler(seed=s)) for s in range(3)]
    levels = [run(MultiFidelitySampler(TPESampler(seed=s))) for s in range(3)]
    assert sorted(levels)[1] < sorted(alone)[1]
    assert all(math.isfinite(v) for v in levels)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="base must be a sampler or None, but got base='tpe'"):
        MultiFidelitySampler("tpe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_observations must be an int >= 1"):
        MultiFidelitySampler(min_observations=0)
    with pytest.raises(ValueError, match="model must be one of joint, level, but got model='gp'"):
        MultiFidelitySampler(model="gp")
    with pytest.raises(
        ValueError, match="max_model_points must be an int >= 2, but got max_model_points=1"
    ):
        FidelityGPSampler(max_model_points=1)


# -- the joint model: one GP over (parameters, resource) ----------------------------------------
def _study_with_rungs(
    curve: Any, n_trials: int = 30, seed: int = 0, sampler: BaseSampler | None = None
) -> hpo_lab.Study:
    """Random (or given) proposals under successive halving 1/3/9 over 9 epochs of ``curve``."""
    study = hpo_lab.create_study(
        sampler=sampler or RandomSampler(seed=seed), pruner=SuccessiveHalvingPruner(1, 3)
    )

    def objective(trial: hpo_lab.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        value = 0.0
        for step in range(1, 10):
            value = curve(x, step)
            trial.report(value, step)
            if trial.should_prune():
                raise hpo_lab.TrialPruned()
        return value

    study.optimize(objective, n_trials=n_trials)
    return study


def _joint_data(study: hpo_lab.Study, max_points: int = 300) -> tuple[Any, Any, list[Any]]:
    sampler = FidelityGPSampler(max_model_points=max_points)
    view = study.view
    declared: dict[str, Distribution] = {"x": FloatDistribution(0.0, 1.0)}
    layout = sampler._layout(declared)
    observed = sampler._observations(view)
    return sampler._training_data(view, observed, layout, tuple(declared.items()))[:3]


def test_the_joint_model_sees_every_rung_value_with_its_resource() -> None:
    study = _study_with_rungs(lambda x, step: x + 1.0 / step)
    x, values, params = _joint_data(study)
    assert fidelity_levels(study.view) == [1, 3, 9]
    expected = set()
    for t in study.trials:
        if t.state == TrialState.COMPLETE:
            expected.add((t.params["x"], 0.0, t.value))
        for r in (1, 3):  # below the full resource 9
            if r in t.intermediate_values:
                expected.add((t.params["x"], round(1 - math.log(r) / math.log(9), 12),
                              t.intermediate_values[r]))
    got = {(p["x"], round(float(row[-1]), 12), float(v))
           for row, v, p in zip(x, values, params, strict=True)}
    assert got == expected
    assert np.allclose(x[:, 0], [p["x"] for p in params])
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert pruned and len(values) > len(study.trials)  # pruned trials are in, some twice


def test_the_joint_model_keeps_the_highest_resources_when_capped() -> None:
    study = _study_with_rungs(lambda x, step: x + 1.0 / step, n_trials=40)
    x_all, _, _ = _joint_data(study)
    counts = {f: int(np.isclose(x_all[:, -1], f).sum()) for f in (0.0, 0.5, 1.0)}
    assert counts[0.0] + counts[0.5] < 20 < len(x_all)  # the cap falls inside rung 1
    x, values, params = _joint_data(study, max_points=20)
    assert len(values) == 20
    # Full-resource rows first, then rung 3 whole, then rung 1 thinned to what is left.
    assert int((x[:, -1] == 0.0).sum()) == counts[0.0]
    assert int(np.isclose(x[:, -1], 0.5).sum()) == counts[0.5]
    kept = [p["x"] for row, p in zip(x, params, strict=True) if row[-1] == 1.0]
    order = [t.params["x"] for t in study.trials]  # rung 1: every trial, in trial order
    positions = sorted(order.index(v) for v in kept)
    assert len(kept) == 20 - counts[0.0] - counts[0.5]
    assert positions[0] == 0 and positions[-1] == len(order) - 1  # spread over the study


def test_the_capped_joint_model_is_still_refitted_as_values_come_in() -> None:
    sampler = FidelityGPSampler(seed=0, n_startup_trials=5, max_model_points=20)
    study = _study_with_rungs(lambda x, step: (x - 0.3) ** 2 + 1.0 / step, n_trials=60,
                              sampler=sampler)
    (fit,) = sampler._fitted.values()
    # The rows stay at 20, but the refits follow the values seen (about 1.3 per trial).
    assert fit.n_fitted > 50
    x, _, _ = _joint_data(study, max_points=20)
    assert len(x) == 20


def _resource_log_weight(curve: Any) -> float:
    sampler = MultiFidelitySampler(seed=0, min_observations=5)
    study = _study_with_rungs(curve, n_trials=45, sampler=sampler)
    assert sampler.uses_joint_model(study.view)
    fits = list(sampler._joint._fitted.values())
    assert fits
    return float(fits[-1].params.log_weights[-1])


def test_the_resource_length_scale_is_short_where_curves_cross() -> None:
    # Parallel curves: early values rank the trials as the final ones do.
    parallel = _resource_log_weight(lambda x, step: (x - 0.3) ** 2 + 1.0 / step)
    # Crossing curves: what leads at epoch 1 ends worst (and the other way round).
    crossing = _resource_log_weight(
        lambda x, step: (x - 0.3) ** 2 * (2.0 * (step / 9.0) - 1.0) + 0.1 * x * (9 - step)
    )
    # A larger log weight is a shorter length scale: rung values inform the full one less.
    assert crossing > parallel + 1.0


def test_the_joint_model_is_used_only_for_gp_spaces_with_rungs() -> None:
    study = _study_with_rungs(lambda x, step: x + 1.0 / step, n_trials=15)
    assert MultiFidelitySampler().uses_joint_model(study.view)
    assert not MultiFidelitySampler(model="level").uses_joint_model(study.view)
    assert not MultiFidelitySampler(TPESampler()).uses_joint_model(study.view)
    no_rungs = hpo_lab.create_study()
    no_rungs.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=12)
    assert not MultiFidelitySampler().uses_joint_model(no_rungs.view)

    conditional = hpo_lab.create_study(pruner=SuccessiveHalvingPruner(1, 3))

    def objective(trial: hpo_lab.Trial) -> float:
        kind = trial.suggest_categorical("kind", ["a", "b"])
        x = trial.suggest_float(f"x_{kind}", 0.0, 1.0)
        for step in range(1, 10):
            trial.report(x + 1.0 / step, step)
            if trial.should_prune():
                raise hpo_lab.TrialPruned()
        return x

    conditional.optimize(objective, n_trials=20)
    assert not MultiFidelitySampler().uses_joint_model(conditional.view)


def test_the_joint_model_hands_over_where_auto_sampler_does() -> None:
    # AutoSampler's bounds on rule 3: max_gp_trials COMPLETE trials, or five times that
    # finished (COMPLETE or PRUNED); past either the explicit sampler uses its "level" rule.
    def joint_with(study: hpo_lab.Study, max_gp_trials: int) -> bool:
        rule = AutoSampler(max_gp_trials=max_gp_trials, multi_fidelity=False)
        joint = MultiFidelitySampler(rule, model="joint").uses_joint_model(study.view)
        assert joint == (AutoSampler(max_gp_trials=max_gp_trials).choose(study.view) == "fidelity")
        return joint

    for n_trials, below, above in [(15, 6, 5), (30, 7, 6)]:
        study = _study_with_rungs(lambda x, step: x + 1.0 / step, n_trials=n_trials)
        complete = sum(t.state == TrialState.COMPLETE for t in study.trials)
        assert complete == 5  # rung 9 takes one in nine; so 15 trials stop on the COMPLETE
        # bound at max_gp_trials=5 and 30 trials on the finished bound at 6 (30 >= 5 * 6).
        assert joint_with(study, below) and not joint_with(study, above)


def test_the_joint_model_beats_the_plain_gp_under_successive_halving() -> None:
    # Few trials complete; the pruned ones' rung values tell the joint model where to look.
    def run(sampler: BaseSampler) -> float:
        return _best_under_successive_halving(sampler, 50)

    alone = [run(AutoSampler(seed=s, multi_fidelity=False)) for s in range(3)]
    joint = [run(MultiFidelitySampler(seed=s)) for s in range(3)]
    assert sorted(joint)[1] < sorted(alone)[1] / 3

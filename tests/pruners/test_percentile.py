"""MedianPruner and PercentilePruner: the rule checked by hand against numpy on stored data."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import hpo_lab
from hpo_lab.pruners import BasePruner, MedianPruner, PercentilePruner
from hpo_lab.pruners._percentile import (
    is_pruning_step,
    percentile_prune_decision,
    worst_aware_percentile,
)
from hpo_lab.study import Study, StudyView
from hpo_lab.testing.pytest_pruners import (
    PrunerContractTests,
    replay_decisions,
    run_learning_curves,
)
from hpo_lab.trial import FrozenTrial, TrialState


def _history(pruner: BasePruner, curves: list[list[float]], direction: str = "minimize") -> Study:
    study = hpo_lab.create_study(direction=direction, pruner=pruner)
    for curve in curves:
        trial = study.ask()
        for step, v in enumerate(curve):
            trial.report(v, step)
        # A NaN final value would make the trial FAIL; these trials must stay COMPLETE.
        study.tell(trial, 0.0 if math.isnan(curve[-1]) else curve[-1])
    return study


def _expected(study: Study, trial: FrozenTrial, q: float) -> bool:
    # Independent statement of the rule: numpy percentile over the stored COMPLETE values.
    step = trial.last_step
    assert step is not None
    stored = [
        t.intermediate_values[step]
        for t in study.get_trials(states=(TrialState.COMPLETE,))
        if step in t.intermediate_values
    ]
    own = list(trial.intermediate_values.values())
    if study.direction == "maximize":
        return max(own) < float(np.percentile(stored, 100 - q))
    return min(own) > float(np.percentile(stored, q))


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("q", [0.0, 10.0, 25.0, 50.0, 73.5, 100.0])
def test_decisions_match_numpy_percentile_of_stored_values(direction: str, q: float) -> None:
    rng = np.random.default_rng(int(q * 10))
    curves = rng.normal(size=(9, 4)).tolist()
    pruner = MedianPruner(n_startup_trials=1) if q == 50.0 else PercentilePruner(q, 1)
    study = _history(pruner, curves, direction)
    seen = set()
    for probe in rng.normal(scale=1.5, size=(40, 3)):
        trial = study.ask()
        for step, v in enumerate(probe):
            trial.report(float(v), step)
            decision = trial.should_prune()
            assert decision == _expected(study, trial.freeze(), q)
            seen.add(decision)
        study.tell(trial, state=TrialState.PRUNED)
    assert seen == {True, False} or q in (0.0, 100.0)


def test_median_prunes_worse_than_median_and_keeps_better() -> None:
    study = _history(MedianPruner(n_startup_trials=3), [[1.0], [2.0], [3.0]])
    bad, good, tie = study.ask(), study.ask(), study.ask()
    bad.report(2.5, 0)
    good.report(1.5, 0)
    tie.report(2.0, 0)  # equal to the median: not worse, kept
    assert (bad.should_prune(), good.should_prune(), tie.should_prune()) == (True, False, False)


def test_maximize_mirrors_the_percentile() -> None:
    # Values 1..5 at step 0. Minimize, 25th percentile = 2: prune above 2.
    # Maximize, mirrored 75th percentile = 4: prune below 4.
    curves = [[float(v)] for v in range(1, 6)]
    lo = _history(PercentilePruner(25.0, n_startup_trials=5), curves, "minimize")
    hi = _history(PercentilePruner(25.0, n_startup_trials=5), curves, "maximize")
    for value, prune_min, prune_max in [(1.5, False, True), (3.0, True, True), (4.5, True, False)]:
        a, b = lo.ask(), hi.ask()
        a.report(value, 0)
        b.report(value, 0)
        assert (a.should_prune(), b.should_prune()) == (prune_min, prune_max), value


def test_best_value_so_far_is_compared_not_the_latest() -> None:
    study = _history(MedianPruner(n_startup_trials=1), [[5.0, 5.0, 5.0]])
    trial = study.ask()
    trial.report(1.0, 0)
    trial.report(9.0, 1)  # worse than 5 at step 1, but the best so far (1.0) is better
    assert trial.should_prune() is False


def test_no_pruning_before_n_startup_trials_are_complete() -> None:
    pruner = MedianPruner(n_startup_trials=3)
    study = hpo_lab.create_study(pruner=pruner)
    answers = []
    for i in range(5):
        probe = study.ask()
        probe.report(100.0, 0)
        answers.append(probe.should_prune())
        study.tell(probe, state=TrialState.FAIL)
        # PRUNED and FAIL trials never count towards the start-up.
        for state in (TrialState.PRUNED, TrialState.FAIL):
            t = study.ask()
            t.report(0.0, 0)
            study.tell(t, state=state)
        t = study.ask()
        t.report(float(i), 0)
        study.tell(t, float(i))
    assert answers == [False, False, False, True, True]


def test_warmup_and_interval_steps() -> None:
    study = _history(
        MedianPruner(n_startup_trials=1, n_warmup_steps=2, interval_steps=3), [[0.0] * 12]
    )
    trial = study.ask()
    due = []
    for step in range(12):
        trial.report(1.0, step)
        due.append(trial.should_prune())
    assert [s for s, d in enumerate(due) if d] == [2, 5, 8, 11]


def test_interval_with_sparse_reports_decides_at_first_report_past_each_boundary() -> None:
    study = _history(MedianPruner(n_startup_trials=1, interval_steps=4), [[0.0] * 20])
    trial = study.ask()
    due = []
    for step in (0, 3, 5, 6, 9, 13, 14):
        trial.report(1.0, step)
        due.append((step, trial.should_prune()))
    assert [s for s, d in due if d] == [0, 5, 9, 13]


@pytest.mark.parametrize(
    ("step", "steps", "warmup", "interval", "expected"),
    [
        (0, [0], 0, 1, True),
        (1, [0, 1], 2, 1, False),
        (3, [1, 3], 2, 3, True),
        (4, [3, 4], 2, 3, False),
        (5, [3, 4, 5], 2, 3, True),
        (10, [10], 0, 7, True),
    ],
)
def test_is_pruning_step(
    step: int, steps: list[int], warmup: int, interval: int, expected: bool
) -> None:
    assert is_pruning_step(step, steps, warmup, interval) is expected


def test_n_min_trials_counts_trials_that_reported_the_step() -> None:
    # Three COMPLETE trials, only two reported step 1.
    study = _history(
        MedianPruner(n_startup_trials=1, n_min_trials=3), [[0.0, 0.0], [0.0, 0.0], [0.0]]
    )
    trial = study.ask()
    trial.report(5.0, 0)
    assert trial.should_prune() is True  # 3 values at step 0
    other = study.ask()
    other.report(5.0, 1)
    assert other.should_prune() is False  # only 2 values at step 1


def test_nan_is_the_worst_value() -> None:
    study = _history(MedianPruner(n_startup_trials=1), [[1.0], [2.0], [math.nan]])
    # The NaN trial counts as worst: median of (1, 2, worst) is 2; Optuna's would be 1.5.
    trial = study.ask()
    trial.report(1.8, 0)
    assert trial.should_prune() is False
    only_nan = study.ask()
    only_nan.report(math.nan, 0)
    assert only_nan.should_prune() is True
    mixed = study.ask()
    mixed.report(math.nan, 0)
    mixed.report(0.5, 1)  # no trial reported step 1: nothing to compare with
    assert mixed.should_prune() is False


def test_worst_aware_percentile_matches_numpy_on_finite_values() -> None:
    rng = np.random.default_rng(0)
    for size in (1, 2, 5, 17):
        values = rng.normal(size=size)
        for q in (0, 12.5, 50, 99, 100):
            assert worst_aware_percentile(values, q) == pytest.approx(np.percentile(values, q))
    assert worst_aware_percentile(np.array([0.0, math.inf]), 50) == math.inf
    assert worst_aware_percentile(np.array([0.0, math.inf]), 0) == 0.0
    with pytest.raises(ValueError, match="at least one value"):
        worst_aware_percentile(np.array([]), 50)


def test_rule_function_needs_no_study() -> None:
    assert percentile_prune_decision({}, 0, [1.0], percentile=50, maximize=False) is False
    assert percentile_prune_decision({0: 3.0}, 0, [], percentile=50, maximize=False) is False
    assert percentile_prune_decision({0: 3.0}, 0, [1.0, 2.0], percentile=50, maximize=False)
    assert not percentile_prune_decision(
        {0: 3.0}, 0, [1.0, 2.0], percentile=50, maximize=False, n_min_trials=3
    )


def test_inherited_complete_trials_count() -> None:
    parent = _history(hpo_lab.pruners.NopPruner(), [[1.0], [2.0], [3.0]])
    child = hpo_lab.create_study(warm_start_from=parent, pruner=MedianPruner(n_startup_trials=3))
    assert len(child.view.get_trials(states=(TrialState.COMPLETE,))) == 3
    trial = child.ask()
    trial.report(2.5, 0)
    assert trial.should_prune() is True
    good = child.ask()
    good.report(1.5, 0)
    assert good.should_prune() is False


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"percentile": -1}, "percentile must be in \\[0, 100\\], but got percentile=-1"),
        ({"percentile": 100.5}, "percentile=100.5"),
        ({"percentile": "50"}, "percentile must be a number"),
        ({"percentile": math.nan}, "percentile=nan"),
        ({"percentile": 50, "n_startup_trials": -1}, "n_startup_trials must be an int >= 0"),
        ({"percentile": 50, "n_warmup_steps": 1.5}, "n_warmup_steps=1.5"),
        ({"percentile": 50, "interval_steps": 0}, "interval_steps must be an int >= 1"),
        ({"percentile": 50, "n_min_trials": 0}, "n_min_trials must be an int >= 1"),
        ({"percentile": 50, "n_min_trials": True}, "n_min_trials=True"),
    ],
)
def test_argument_validation(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PercentilePruner(**kwargs)
    if set(kwargs) - {"percentile"}:
        rest = {k: v for k, v in kwargs.items() if k != "percentile"}
        with pytest.raises(ValueError, match=message):
            MedianPruner(**rest)


def test_signatures_match_optuna() -> None:
    import inspect

    import optuna
    for ours, theirs in [
        (MedianPruner, optuna.pruners.MedianPruner),
        (PercentilePruner, optuna.pruners.PercentilePruner),
    ]:
        mine = inspect.signature(ours)
        other = inspect.signature(theirs)
        assert list(mine.parameters) == list(other.parameters)
        for name, p in mine.parameters.items():
            assert p.default == other.parameters[name].default, name
            assert p.kind == other.parameters[name].kind, name


def test_agrees_with_optuna_on_nan_free_curves() -> None:
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    rng = np.random.default_rng(3)
    curves = rng.normal(size=(30, 6)).cumsum(axis=1)
    for direction in ("minimize", "maximize"):
        for q in (25.0, 50.0, 80.0):
            ours = hpo_lab.create_study(
                direction=direction, pruner=PercentilePruner(q, 4, 1, 2, n_min_trials=2)
            )
            reference = optuna.pruners.PercentilePruner(q, 4, 1, 2, n_min_trials=2)
            theirs = optuna.create_study(direction=direction, pruner=reference)
            for curve in curves:
                a, b = ours.ask(), theirs.ask()
                pruned = False
                for step, v in enumerate(curve):
                    a.report(float(v), step)
                    b.report(float(v), step)
                    da, db = a.should_prune(), b.should_prune()
                    assert da == db, (direction, q, step)
                    if da:
                        pruned = True
                        break
                if pruned:
                    ours.tell(a, state=TrialState.PRUNED)
                    theirs.tell(b, state=optuna.trial.TrialState.PRUNED)
                else:
                    ours.tell(a, float(curve[-1]))
                    theirs.tell(b, float(curve[-1]))
            assert [t.state.value for t in ours.trials] == [t.state.name for t in theirs.trials]


class _CallCounting(BasePruner):
    # Deliberately wrong: its answer depends on how often it was asked, not on the store.
    def __init__(self) -> None:
        self.calls = 0

    def prune(self, view: StudyView, trial: FrozenTrial) -> bool:
        self.calls += 1
        return self.calls % 3 == 0


class _PeeksAtRunning(BasePruner):
    # Deliberately wrong: it reads the unfinished trials too.
    def prune(self, view: StudyView, trial: FrozenTrial) -> bool:
        return len(view.get_trials()) % 2 == 0


def test_the_replay_catches_a_pruner_with_hidden_state() -> None:
    study = run_learning_curves(_CallCounting(), n_trials=6)
    replayed = replay_decisions(study, _CallCounting)
    assert any(live != again for _, _, live, again in replayed)


def test_the_contract_catches_a_pruner_reading_unfinished_trials() -> None:
    with pytest.raises(AssertionError):
        PrunerContractTests().test_unfinished_trials_do_not_change_the_decision(_PeeksAtRunning)


def test_replayed_decisions_cover_both_answers_for_median() -> None:
    study = run_learning_curves(MedianPruner(n_startup_trials=3))
    replayed = replay_decisions(study, lambda: MedianPruner(n_startup_trials=3))
    assert {live for _, _, live, _ in replayed} == {True, False}
    assert any(t.state == TrialState.PRUNED for t in study.trials)


def test_repr() -> None:
    assert repr(MedianPruner()) == (
        "MedianPruner(n_startup_trials=5, n_warmup_steps=0, interval_steps=1, n_min_trials=1)"
    )
    assert repr(PercentilePruner(10)).startswith("PercentilePruner(percentile=10.0,")

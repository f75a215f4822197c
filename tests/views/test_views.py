"""Study views without a study: filtered views and the study as of an earlier cursor."""

from __future__ import annotations

from typing import Any

import pytest

import hpo_lab
from hpo_lab.pruners import MedianPruner
from hpo_lab.samplers import RandomSampler, TPESampler
from hpo_lab.trial import FrozenTrial, TrialState
from hpo_lab.views import StudyView, TrialsView, filter_view, view_as_of


def _curve(trial: Any) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    for step in range(4):
        trial.report(x + 1.0 / (step + 1), step)
        trial.should_prune()  # recorded, not obeyed
    return x


def test_every_view_satisfies_the_protocol() -> None:
    study = hpo_lab.create_study()
    study.optimize(_curve, n_trials=3)
    for view in (study.view, study.view.snapshot(), filter_view(study.view, lambda t: True)):
        assert isinstance(view, StudyView)
        assert view.direction == "minimize" and view.study_name == study.study_name


def test_a_filtered_view_feeds_a_sampler_without_a_study() -> None:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    study.optimize(_curve, n_trials=30)
    # One "bracket": the even trials. TPE fitted on it proposes from it alone.
    even = filter_view(study.view, lambda t: t.number % 2 == 0)
    assert [t.number for t in even.get_trials()] == list(range(0, 30, 2))
    sampler = TPESampler(seed=1, n_startup_trials=5)
    probe = FrozenTrial(30, TrialState.RUNNING)
    dist = study.trials[0].distributions["x"]
    a = sampler.sample_independent(even, probe, "x", dist)
    b = TPESampler(seed=1, n_startup_trials=5).sample_independent(even, probe, "x", dist)
    assert a == b and 0.0 <= a <= 1.0
    # The filtered view no longer changes when the study does.
    study.optimize(_curve, n_trials=2)
    assert len(even.get_trials()) == 15


def test_view_as_of_rebuilds_states_values_and_reports() -> None:
    study = hpo_lab.create_study()
    first = study.ask()
    first.suggest_float("x", 0.0, 1.0)
    first.report(0.9, 0)
    cursor_mid = study.view.snapshot().cursor
    first.report(0.8, 1)
    study.tell(first, 0.8)
    second = study.ask()
    second.suggest_float("x", 0.0, 1.0)
    then = view_as_of(study.view, cursor_mid)
    (only,) = then.get_trials()
    assert (only.number, only.state, only.value) == (0, TrialState.RUNNING, None)
    assert only.intermediate_values == {0: 0.9}
    now = view_as_of(study.view, study.view.snapshot().cursor)
    assert [t.state for t in now.get_trials()] == [TrialState.COMPLETE, TrialState.RUNNING]
    assert now.get_trials()[0].intermediate_values == {0: 0.9, 1: 0.8}


def test_a_pruner_decides_on_a_view_as_of_a_decision() -> None:
    study = hpo_lab.create_study(pruner=MedianPruner(n_startup_trials=2))
    study.optimize(_curve, n_trials=6)
    last = study.trials[-1]
    decision = last.decisions[-1]
    assert decision.cursor is not None and decision.rule == "median"
    from hpo_lab.views import trial_as_of

    again = MedianPruner(n_startup_trials=2).decide(
        view_as_of(study.view, decision.cursor), trial_as_of(last, decision.cursor)
    )
    assert again is not None and again.same_as(decision)


def test_trials_view_checks_its_direction() -> None:
    with pytest.raises(ValueError, match="direction must be 'minimize' or 'maximize'"):
        TrialsView("s", "upwards", [])


@pytest.mark.parametrize("sqlite", [False, True])
def test_a_fresh_child_snapshot_holds_its_parents_trials(tmp_path: Any, sqlite: bool) -> None:
    storage = f"sqlite:///{tmp_path / 'runs.db'}" if sqlite else None
    parent = hpo_lab.create_study(study_name="parent", storage=storage)
    parent.optimize(_curve, n_trials=5)
    other = hpo_lab.create_study(study_name="busy", storage=parent.storage)
    other.optimize(_curve, n_trials=2)  # changes of another study move the store's cursor
    child = hpo_lab.create_study(study_name="child", storage=parent.storage,
                                 warm_start_from=parent)
    snap = child.view.snapshot()
    assert [t.number for t in snap.get_trials()] == [t.number for t in parent.trials]
    assert snap.cursor >= max(t.finished_cursor or 0 for t in other.trials)
    # What a sampler saw in the child before its first trial replays the same.
    assert len(view_as_of(child.view, snap.cursor).get_trials()) == 5
    child.optimize(_curve, n_trials=1)
    assert len(child.view.snapshot().get_trials()) == 6

"""Every executor through the same contract: real threads and real loky processes.

(The Dask executor runs the same checks in test_dask.py, on a real LocalCluster.)
"""

from __future__ import annotations

import exec_objectives as eo
import pytest

import hpo_lab
from hpo_lab.trial import FailReason, TrialState

EXECUTORS = ["thread", "process"]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_200_trials_4_workers_recorded_once(executor: str) -> None:
    study = hpo_lab.create_study()
    run = study.start(eo.quadratic, n_trials=200, n_jobs=4, executor=executor)
    assert run.wait(timeout=240)
    assert run.status.value == "finished" and run.exception is None
    eo.check_consistent(study, 200)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert all(t.value == (t.params["x"] - 1) ** 2 + t.params["k"] for t in study.trials)
    assert run.progress.finished == 200 and run.progress.complete == 200
    assert sorted(run.numbers) == list(range(200))
    assert study.run is None


@pytest.mark.parametrize("executor", EXECUTORS)
def test_pruning_matches_median_rule_replayed_on_store(executor: str) -> None:
    pruner = eo.RecordingMedianPruner(n_startup=3)
    study = hpo_lab.create_study(pruner=pruner)
    run = study.start(eo.curve, n_trials=40, n_jobs=3, executor=executor)
    assert run.wait(timeout=240)
    n_pruned = eo.check_pruning_replay(study, pruner)
    assert n_pruned > 0  # the rule fired, so the check above compared real decisions
    assert run.progress.pruned == n_pruned
    # Decisions used values reported by other workers while this trial ran.
    assert any(len(seen) >= 3 for _, _, seen, _ in pruner.log)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_suggest_errors_reach_the_objective(executor: str) -> None:
    def objective(trial: object) -> float:
        try:
            trial.suggest_float("x", 3, 1)  # type: ignore[attr-defined]
        except ValueError as exc:
            trial.set_user_attr("error", str(exc))  # type: ignore[attr-defined]
        return 1.0

    study = hpo_lab.create_study()
    study.start(objective, n_trials=2, executor=executor).wait(120)
    assert all("low" in t.user_attrs["error"] for t in study.trials)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_exception_in_catch_fails_trial_and_run_goes_on(executor: str) -> None:
    def objective(trial: object) -> float:
        k = trial.suggest_int("k", 0, 1)  # type: ignore[attr-defined]
        if k == 1:
            raise ZeroDivisionError("k is one")
        return 0.0

    study = hpo_lab.create_study()
    run = study.start(objective, n_trials=20, n_jobs=2, executor=executor)
    assert run.wait(120)
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    assert failed and all(t.fail_reason == FailReason.EXCEPTION for t in failed)
    assert all("ZeroDivisionError: k is one" in (t.fail_message or "") for t in failed)
    assert len(study.trials) == 20 and run.status.value == "finished"


@pytest.mark.parametrize("executor", EXECUTORS)
def test_exception_outside_catch_fails_the_run(executor: str) -> None:
    def objective(trial: object) -> float:
        raise KeyError("boom")

    study = hpo_lab.create_study()
    run = study.start(objective, n_trials=50, executor=executor, catch=(ValueError,))
    assert run.wait(120)
    assert run.status.value == "failed"
    assert isinstance(run.exception, KeyError)
    assert len(study.trials) == 1 and study.trials[0].state == TrialState.FAIL

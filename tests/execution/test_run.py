"""The Run handle: budgets, pause/resume, extend, set_n_jobs, events, errors, timeouts."""

from __future__ import annotations

import threading
import time
from typing import Any

import exec_objectives as eo
import pytest

import hpo_lab
from hpo_lab.execution import Run, RunStatus, start_run
from hpo_lab.trial import FailReason, TrialState


def _wait_for(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def test_start_returns_at_once_and_study_run_is_live() -> None:
    study = hpo_lab.create_study()
    started = time.monotonic()
    run = study.start(eo.sleepy(0.2), n_trials=3)
    # Three 0.2 s trials in sequence take 0.6 s; start() must not wait for any of them.
    assert time.monotonic() - started < 0.2
    assert isinstance(run, Run) and study.run is run
    assert run.status == RunStatus.RUNNING
    with pytest.raises(RuntimeError, match="already has a live run"):
        study.start(eo.quadratic, n_trials=1)
    assert run.wait(30)
    assert study.run is None
    assert run.status == RunStatus.FINISHED and len(study.trials) == 3
    assert str(run.progress) == "3/3 finished (0 running, 0 pruned, 0 failed)"
    again = study.start(eo.quadratic, n_trials=2)  # a finished run does not block a new one
    assert again.wait(30) and len(study.trials) == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_trials": -1}, "n_trials must be a non-negative int or None, but got n_trials=-1"),
        ({"n_trials": 2.5}, "n_trials=2.5"),
        ({"timeout": 0}, "timeout must be a finite number of seconds > 0 or None, but got "
                         "timeout=0"),
        ({"n_jobs": 0}, "n_jobs must be an int >= 1 (or -1 for every core), but got n_jobs=0"),
        ({"trial_timeout": -2}, "trial_timeout=-2"),
        ({"executor": "gpu"}, "executor must be 'thread', 'process' or a distributed.Client"),
        ({"blas_threads": 0}, "blas_threads=0", ),
    ],
)
def test_bad_arguments_raise_with_value_and_rule(kwargs: dict[str, Any], message: str) -> None:
    study = hpo_lab.create_study()
    if "blas_threads" in kwargs:
        kwargs["executor"] = "process"
    with pytest.raises(ValueError) as info:
        study.start(eo.quadratic, **kwargs)
    assert message in str(info.value)
    assert study.run is None


def test_bad_objective_and_catch_raise_type_error() -> None:
    study = hpo_lab.create_study()
    with pytest.raises(TypeError, match="objective must be callable"):
        study.start(42)
    with pytest.raises(TypeError, match="catch must be an exception class or a tuple of them"):
        study.start(eo.quadratic, catch=("ValueError",))


def test_timeout_budget_stops_starting_trials() -> None:
    # Both workers are held until the timeout has passed: when they free up, no new trial may
    # start. Nothing here depends on how fast a loaded machine runs.
    release = threading.Event()

    def held(trial: Any) -> float:
        release.wait(30)
        return trial.suggest_float("x", 0, 1)

    study = hpo_lab.create_study()
    started = time.monotonic()
    run = study.start(held, timeout=0.5, n_jobs=2)
    _wait_for(lambda: len(run.numbers) == 2)
    time.sleep(max(0.0, started + 0.6 - time.monotonic()))
    release.set()
    assert run.wait(30)
    assert len(study.trials) == 2 and all(t.state == TrialState.COMPLETE for t in study.trials)


def test_pause_holds_started_count_until_resume() -> None:
    study = hpo_lab.create_study()
    run = study.start(eo.sleepy(0.2), n_trials=200, n_jobs=2)
    _wait_for(lambda: len(run.numbers) >= 2)
    run.pause()
    assert run.status == RunStatus.PAUSED
    time.sleep(1.0)
    count = len(run.numbers)
    assert run.progress.running == 0  # the running ones finished; none replaced them
    time.sleep(1.0)
    assert len(run.numbers) == count
    assert len(study.trials) == count
    run.resume()
    assert run.status == RunStatus.RUNNING
    _wait_for(lambda: len(run.numbers) > count)
    run.stop(wait=True)
    assert run.status == RunStatus.FINISHED
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_extend_and_set_n_jobs_take_effect_on_a_live_run() -> None:
    study = hpo_lab.create_study()
    concurrent: list[int] = []
    running: set[int] = set()
    lock = threading.Lock()

    def track(event: Any) -> None:
        with lock:
            if event.kind == "trial_started":
                running.add(event.trial.number)
                concurrent.append(len(running))
            elif event.kind == "trial_finished":
                running.discard(event.trial.number)

    run = study.start(eo.sleepy(0.15), n_trials=4, n_jobs=1)
    run.subscribe(track)
    _wait_for(lambda: len(run.numbers) >= 1)
    assert max(concurrent, default=1) == 1
    run.set_n_jobs(3)
    run.extend(8)
    assert run.n_trials == 12 and run.n_jobs == 3
    assert run.wait(60)
    assert len(study.trials) == 12
    assert max(concurrent) == 3
    with pytest.raises(RuntimeError, match="cannot extend a run that has ended"):
        run.extend(1)
    with pytest.raises(ValueError, match="n_jobs must be an int >= 1, but got n_jobs=0"):
        run.set_n_jobs(0)


def test_extend_needs_a_trial_budget() -> None:
    study = hpo_lab.create_study()
    run = study.start(eo.sleepy(0.05), timeout=5)
    with pytest.raises(ValueError, match="without an n_trials budget"):
        run.extend(3)
    with pytest.raises(ValueError, match="n must be an int >= 1, but got n=0"):
        run.extend(0)
    run.stop(wait=True)


def test_events_cover_trials_and_run_states() -> None:
    study = hpo_lab.create_study()
    seen: list[tuple[str, Any]] = []
    study_seen: list[str] = []
    study.subscribe(lambda e: study_seen.append(e.kind))

    go = threading.Event()

    def objective(trial: Any) -> float:
        go.wait(10)  # holds the run until the subscription below is in place
        trial.report(1.0, 0)
        return trial.suggest_float("x", 0, 1)

    run = start_run(study, objective, n_trials=2)
    run.subscribe(lambda e: seen.append((e.kind, e.data if e.trial is None else e.trial.number)))
    go.set()
    assert run.wait(30)
    kinds = [k for k, _ in seen]
    # Subscribing after start may miss the first events; everything after is there in order.
    assert ("trial_finished", 1) in seen
    assert kinds[-1] == "run_state_changed" and seen[-1][1] == RunStatus.FINISHED
    for number in range(2):
        if ("trial_started", number) in seen:
            i = seen.index(("trial_started", number))
            assert seen.index(("trial_reported", number)) > i
            assert seen.index(("trial_finished", number)) > i
    assert study_seen.count("trial_finished") == 2  # study events keep flowing


def test_pause_stop_emit_state_changes() -> None:
    study = hpo_lab.create_study()
    states: list[str] = []
    run = study.start(eo.sleepy(0.1), n_trials=50)
    run.subscribe(lambda e: states.append(str(e.data)) if e.kind == "run_state_changed" else None)
    run.pause()
    run.resume()
    run.stop(wait=True)
    assert states == ["paused", "running", "stopping", "finished"]
    assert len(study.trials) < 50


def test_stop_cancel_fails_running_trials_at_once() -> None:
    study = hpo_lab.create_study()
    run = study.start(eo.sleepy(5.0), n_trials=10, n_jobs=2)
    _wait_for(lambda: run.progress.running == 2)
    started = time.monotonic()
    run.stop(wait=True, cancel=True)
    assert time.monotonic() - started < 3.0  # not the 5 s the trials would take
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 2
    assert all(t.fail_reason == FailReason.CANCELLED for t in study.trials)
    assert "may still finish in the background, unrecorded" in (study.trials[0].fail_message or "")


def test_thread_trial_timeout_abandons_thread_and_run_goes_on() -> None:
    def objective(trial: Any) -> float:
        k = trial.suggest_int("k", 0, 1)
        if k == 0:
            time.sleep(3.0)
        return float(k)

    study = hpo_lab.create_study()
    study.enqueue_trial({"k": 0})
    for _ in range(3):
        study.enqueue_trial({"k": 1})
    started = time.monotonic()
    run = study.start(objective, n_trials=4, n_jobs=2, trial_timeout=0.5)
    assert run.wait(30)
    assert time.monotonic() - started < 2.5  # the 3 s sleeper was not waited for
    first = study.trials[0]
    assert first.state == TrialState.FAIL and first.fail_reason == FailReason.TIMEOUT
    assert "0.5 s" in (first.fail_message or "")
    assert [t.state for t in study.trials[1:]] == [TrialState.COMPLETE] * 3
    time.sleep(3.0)  # the abandoned thread finishes; its late result changes nothing
    assert study.trials[0].state == TrialState.FAIL


def test_callbacks_and_study_stop() -> None:
    study = hpo_lab.create_study()
    numbers: list[int] = []

    def callback(s: Any, frozen: Any) -> None:
        numbers.append(frozen.number)
        if len(numbers) == 3:
            s.stop()

    run = study.start(eo.quadratic, n_trials=100, callbacks=[callback])
    assert run.wait(30)
    assert 3 <= len(study.trials) <= 4  # one more may have started before the stop was seen
    assert numbers == [t.number for t in study.trials]

"""Runs waited for from their own threads, stray stops, objectives that cannot travel, numpy
values through the proxy, start-up not counting against trial_timeout, and finished runs
letting go of their objective."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from typing import Any

import exec_objectives as eo
import pytest

import hpo_lab
from hpo_lab.execution._process import shutdown_spare_pools
from hpo_lab.trial import TrialState


def test_stop_wait_from_subscribe_callback_does_not_deadlock() -> None:
    study = hpo_lab.create_study()
    run = study.start(eo.sleepy(0.02), n_trials=50)
    errors: list[BaseException] = []
    seen: list[int] = []

    def on_event(event: Any) -> None:
        if event.kind == "trial_finished" and not seen:
            seen.append(event.trial.number)
            run.stop(wait=True)  # acts as stop(): the runner cannot end while it waits here
            try:
                run.wait(1)
            except RuntimeError as exc:
                errors.append(exc)

    run.subscribe(on_event)
    assert run.wait(30), run.status
    assert run.status.value == "finished" and study.run is None
    assert len(errors) == 1 and "own threads" in str(errors[0])
    assert len(study.trials) < 50


def test_stop_wait_from_callbacks_and_objective_does_not_deadlock() -> None:
    study = hpo_lab.create_study()
    holder: dict[str, Any] = {}
    ready = threading.Event()  # the first trials may end before start() has returned

    def callback(_study: Any, frozen: Any) -> None:
        if frozen.number == 1:
            ready.wait(30)
            holder["run"].stop(wait=True)

    holder["run"] = study.start(
        lambda t: t.suggest_float("x", 0, 1), n_trials=50, callbacks=[callback]
    )
    ready.set()
    assert holder["run"].wait(30) and holder["run"].status.value == "finished"

    study = hpo_lab.create_study()

    def objective(trial: Any) -> float:
        if trial.number == 1:
            study.run.stop(wait=True)
        return trial.suggest_float("x", 0, 1)

    run = study.start(objective, n_trials=20)
    assert run.wait(30) and run.status.value == "finished" and study.run is None


def test_wait_from_a_run_callback_fails_the_run_clearly() -> None:
    study = hpo_lab.create_study()
    holder: dict[str, Any] = {}
    ready = threading.Event()  # the first trial may end before start() has returned

    def callback(_study: Any, _frozen: Any) -> None:
        ready.wait(30)
        holder["run"].wait(1)

    run = study.start(lambda t: t.suggest_float("x", 0, 1), n_trials=5, callbacks=[callback])
    holder["run"] = run
    ready.set()
    assert run.wait(30)
    assert run.status.value == "failed"
    assert isinstance(run.exception, RuntimeError) and "run.wait()" in str(run.exception)


def test_stray_study_stop_does_not_empty_the_next_run() -> None:
    study = hpo_lab.create_study()
    study.stop()  # nothing runs: the flag must not reach the next run
    run = study.start(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    assert run.wait(30)
    assert run.progress.finished == 5 and len(study.trials) == 5


def test_optimize_n_jobs_1_while_a_run_is_live_is_an_error() -> None:
    study = hpo_lab.create_study()
    run = study.start(eo.sleepy(0.2), n_trials=50)
    try:
        for n_jobs in (1, 2):
            with pytest.raises(RuntimeError, match="already has a live run"):
                study.optimize(lambda t: 0.0, n_trials=1, n_jobs=n_jobs)
    finally:
        run.stop(wait=True)
    assert all(t.state != TrialState.RUNNING for t in study.trials)


def test_unpicklable_objective_on_process_is_a_clear_error() -> None:
    lock = threading.Lock()
    study = hpo_lab.create_study()
    with pytest.raises(TypeError, match=r"cannot be sent to worker processes.*lock"):
        study.start(lambda t: (lock, t.suggest_float("x", 0, 1))[1], n_trials=2,
                    executor="process")
    assert study.run is None and study.trials == []


def test_process_objective_is_pickled_once_per_run() -> None:
    counter = eo.PickleCounter()
    before = eo.PickleCounter.count
    study = hpo_lab.create_study()
    run = study.start(eo.quick_with(counter), n_trials=6, n_jobs=2, executor="process")
    assert run.wait(240) and run.status.value == "finished", run.exception
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert eo.PickleCounter.count - before == 1


def test_numpy_values_pass_through_the_process_proxy_as_on_threads() -> None:
    results = {}
    for executor in ("thread", "process"):
        study = hpo_lab.create_study()
        run = study.start(eo.numpy_values, n_trials=2, executor=executor)
        assert run.wait(240)
        trial = study.trials[0]
        assert trial.state == TrialState.COMPLETE, trial.fail_message
        results[executor] = trial.user_attrs["a"]
        assert isinstance(trial.params["k"], int) and trial.params["c"] in (1, 2)
    assert results["thread"] == results["process"] == [0, 1, 2]


def test_process_start_up_does_not_count_against_trial_timeout() -> None:
    # Loading this objective in a worker takes 1.5 s, the trial itself 0.1 s: a 1.0 s
    # trial_timeout must only see the 0.1 s (a margin of 0.9 s for a loaded machine).
    shutdown_spare_pools()
    study = hpo_lab.create_study()
    run = study.start(
        eo.quick_with(eo.SlowToLoad(1.5)), n_trials=2, n_jobs=2, executor="process",
        trial_timeout=1.0,
    )
    assert run.wait(240)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2, [
        t.fail_message for t in study.trials
    ]


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_finished_run_releases_its_objective(executor: str) -> None:
    class Big:
        pass

    big = Big()
    ref = weakref.ref(big)
    study = hpo_lab.create_study()
    run = study.start(eo.quick_with(big), n_trials=2, executor=executor)
    assert run.wait(240) and run.status.value == "finished"
    del big
    for _ in range(50):  # the runner thread lets go of it a moment after the run ends
        gc.collect()
        if ref() is None:
            break
        time.sleep(0.05)
    assert ref() is None, "the finished run still holds its objective"
    assert study._run is run

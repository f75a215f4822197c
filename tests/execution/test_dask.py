"""The Dask executor on a real ``distributed.LocalCluster`` (worker processes, not threads)."""

from __future__ import annotations

import threading
import time
from typing import Any

import exec_objectives as eo
import pytest

import hpo_lab
from hpo_lab.trial import FailReason, TrialState

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(dask_client: Any) -> Any:
    return dask_client


def test_dask_200_trials_4_jobs_recorded_once(client: Any) -> None:
    study = hpo_lab.create_study()
    run = study.start(eo.quadratic, n_trials=200, n_jobs=4, executor=client)
    assert run.wait(timeout=240)
    assert run.status.value == "finished", run.exception
    assert run.executor == "dask"
    eo.check_consistent(study, 200)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert all(t.value == (t.params["x"] - 1) ** 2 + t.params["k"] for t in study.trials)


def test_dask_pruning_matches_median_rule(client: Any) -> None:
    pruner = eo.RecordingMedianPruner(n_startup=3)
    study = hpo_lab.create_study(pruner=pruner)
    run = study.start(eo.curve, n_trials=24, n_jobs=2, executor=client)
    assert run.wait(timeout=240)
    assert eo.check_pruning_replay(study, pruner) > 0


def test_dask_worker_death_fails_only_its_trial(client: Any) -> None:
    study = hpo_lab.create_study()
    ks = [0, 1, 2, 4, 6]
    for k in ks:
        study.enqueue_trial({"k": k})
    run = study.start(eo.dies_on_odd, n_trials=len(ks), n_jobs=1, executor=client)
    assert run.wait(timeout=240)
    states = {t.params["k"]: t for t in study.trials}
    dead = states[1]
    assert dead.state == TrialState.FAIL and dead.fail_reason == FailReason.WORKER_DIED
    for k in (0, 2, 4, 6):
        assert states[k].state == TrialState.COMPLETE and states[k].value == k
    assert len(study.trials) == len(ks)


def test_dask_worker_limits_threads(client: Any) -> None:
    def objective(trial: Any) -> float:
        import os

        trial.set_user_attr("omp", os.environ.get("OMP_NUM_THREADS"))
        return 0.0

    study = hpo_lab.create_study()
    study.start(objective, n_trials=2, n_jobs=2, executor=client, blas_threads=1).wait(120)
    assert [t.user_attrs["omp"] for t in study.trials] == ["1", "1"]


def test_dask_abandoned_task_frees_its_worker(client: Any) -> None:
    # The trial outlives its 1 s limit and suggests again after the run ended: the task must
    # give up (not wait for an answer forever) so the worker serves the next run.
    study = hpo_lab.create_study()
    run = study.start(eo.suggests_after(2.5), n_trials=2, n_jobs=2, executor=client,
                      trial_timeout=1.0)
    assert run.wait(60)
    assert all(t.fail_reason == FailReason.TIMEOUT for t in study.trials)
    deadline = time.monotonic() + 20  # 2.5 s of sleep, then at most ~0.5 s to notice
    while any(client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(client.processing().values())
    study = hpo_lab.create_study()
    run = study.start(eo.quadratic, n_trials=4, n_jobs=2, executor=client)
    assert run.wait(60) and run.progress.complete == 4


def test_dask_start_up_and_queueing_do_not_count_against_trial_timeout(client: Any) -> None:
    # 4 trials on 2 worker threads (two wait in the queue), each 0.1 s once loaded, and
    # loading the objective takes 1.5 s per worker process: a 1.0 s limit sees only 0.1 s.
    study = hpo_lab.create_study()
    run = study.start(
        eo.quick_with(eo.SlowToLoad(1.5)), n_trials=4, n_jobs=4, executor=client,
        trial_timeout=1.0,
    )
    assert run.wait(120)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4, [
        t.fail_message for t in study.trials
    ]


def test_dask_objective_pickled_once_and_numpy_values_work(client: Any) -> None:
    counter = eo.PickleCounter()
    before = eo.PickleCounter.count
    study = hpo_lab.create_study()
    run = study.start(eo.quick_with(counter), n_trials=6, n_jobs=2, executor=client)
    assert run.wait(120) and run.progress.complete == 6
    assert eo.PickleCounter.count - before == 1

    study = hpo_lab.create_study()
    run = study.start(eo.numpy_values, n_trials=2, executor=client)
    assert run.wait(120)
    trial = study.trials[0]
    assert trial.state == TrialState.COMPLETE, trial.fail_message
    assert trial.user_attrs["a"] == [0, 1, 2] and trial.params["c"] in (1, 2)


def test_dask_unpicklable_objective_is_a_clear_error(client: Any) -> None:
    lock = threading.Lock()
    study = hpo_lab.create_study()
    with pytest.raises(TypeError, match="cannot be sent to worker processes"):
        study.start(lambda t: (lock, 1.0)[1], n_trials=1, executor=client)
    assert study.run is None

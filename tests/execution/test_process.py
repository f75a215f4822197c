"""The process executor's crash safety: dying workers, killed timeouts, thread limits."""

from __future__ import annotations

import os
import time
from typing import Any

import exec_objectives as eo
import pytest

import hpo_lab
from hpo_lab.trial import FailReason, TrialState


def test_dying_workers_fail_only_their_trial() -> None:
    study = hpo_lab.create_study()
    ks = [1, 0, 3, 2, 5, 4, 7, 6, 0, 2]
    for k in ks:
        study.enqueue_trial({"k": k})
    run = study.start(eo.dies_on_odd, n_trials=len(ks), n_jobs=2, executor="process")
    assert run.wait(240)
    assert run.status.value == "finished"
    by_k = {t.number: (t.params["k"], t) for t in study.trials}
    assert [k for k, _ in by_k.values()] == ks
    for k, t in by_k.values():
        if k in (1, 3, 5):  # os._exit, SIGKILL, segfault
            assert t.state == TrialState.FAIL and t.fail_reason == FailReason.WORKER_DIED, t
            assert "died" in (t.fail_message or "")
        elif k == 7:  # the memory rlimit: MemoryError, and the worker is replaced
            assert t.state == TrialState.FAIL and "MemoryError" in (t.fail_message or "")
        else:  # every even k ran on a healthy (fresh where needed) worker
            assert t.state == TrialState.COMPLETE and t.value == k
    assert run.progress.failed == 4 and run.progress.complete == 6


def test_process_trial_timeout_kills_the_worker() -> None:
    def objective(trial: Any) -> float:
        k = trial.suggest_int("k", 0, 1)
        trial.set_user_attr("pid", os.getpid())
        if k == 0:
            time.sleep(60)
        return float(k)

    study = hpo_lab.create_study()
    study.enqueue_trial({"k": 0})
    for _ in range(3):
        study.enqueue_trial({"k": 1})
    started = time.monotonic()
    run = study.start(objective, n_trials=4, n_jobs=2, executor="process", trial_timeout=2.0)
    assert run.wait(50)  # far below the 60 s sleep: the worker was killed, not waited for
    first = study.trials[0]
    assert first.state == TrialState.FAIL and first.fail_reason == FailReason.TIMEOUT
    assert "worker process was killed" in (first.fail_message or "")
    assert [t.state for t in study.trials[1:]] == [TrialState.COMPLETE] * 3
    pid = first.user_attrs["pid"]
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert time.monotonic() - started < 50


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # gone, or going while it is read
        return False


def test_workers_get_their_share_of_blas_threads() -> None:
    def objective(trial: Any) -> float:
        import numpy as np  # noqa: F401  # loads the BLAS whose pool is checked
        from threadpoolctl import threadpool_info

        trial.set_user_attr("omp", os.environ.get("OMP_NUM_THREADS"))
        trial.set_user_attr(
            "blas", sorted({p["num_threads"] for p in threadpool_info()})
        )
        return 0.0

    study = hpo_lab.create_study()
    study.start(objective, n_trials=2, n_jobs=2, executor="process", blas_threads=3).wait(120)
    assert all(t.user_attrs["omp"] == "3" for t in study.trials)
    assert all(max(t.user_attrs["blas"]) <= 3 for t in study.trials)
    study2 = hpo_lab.create_study()
    study2.start(objective, n_trials=1, n_jobs=2, executor="process").wait(120)
    share = str(max(1, (os.cpu_count() or 1) // 2))
    assert study2.trials[0].user_attrs["omp"] == share


def test_proxy_has_no_study_and_numbers_match() -> None:
    def objective(trial: Any) -> float:
        trial.set_user_attr("number", trial.number)
        try:
            trial.study
        except AttributeError as exc:
            trial.set_user_attr("study", str(exc))
        trial.suggest_categorical("c", ["a", "b", None])
        trial.set_user_attr("params", trial.params)
        return 0.0

    study = hpo_lab.create_study()
    study.start(objective, n_trials=3, executor="process").wait(120)
    for t in study.trials:
        assert t.user_attrs["number"] == t.number
        assert "not available in a worker process" in t.user_attrs["study"]
        assert t.user_attrs["params"] == t.params and t.params["c"] in ("a", "b", None)


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_notebook_style_closure_ships(executor: str) -> None:
    offset = 10.0

    def objective(trial: Any) -> float:
        return trial.suggest_float("x", 0, 1) + offset

    study = hpo_lab.create_study()
    study.start(lambda t: objective(t), n_trials=3, executor=executor).wait(120)
    assert all(t.value is not None and t.value >= 10 for t in study.trials)

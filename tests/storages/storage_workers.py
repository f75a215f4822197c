"""Functions run in separate processes by test_sqlite.py (started with the "spawn" context)."""

from __future__ import annotations

import os
import signal
import time
import traceback
from pathlib import Path
from typing import Any

import hpo_lab
from hpo_lab.storages._sqlite import SQLiteStorage


def _publish(path: str, text: str) -> None:
    # Write then rename, so a reader that sees the file also sees its whole text.
    tmp = Path(path + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _wait_for(path: Path, limit: float = 120.0) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.01)


def optimize_shared(path: str, name: str, n_trials: int, barrier: Any, results: Any) -> None:
    """Open (or create) one shared study after a barrier and run n_trials in it."""
    try:
        barrier.wait(timeout=120)
        study = hpo_lab.create_study(study_name=name, storage=path, load_if_exists=True)

        def objective(trial: hpo_lab.Trial) -> float:
            x = trial.suggest_float("x", -1.0, 1.0)
            k = trial.suggest_int("k", 0, 5)
            trial.report(x, 0)
            time.sleep(0.01)
            return x * x + k

        study.optimize(objective, n_trials=n_trials)
        results.put((os.getpid(), "ok"))
    except BaseException:
        results.put((os.getpid(), traceback.format_exc()))


def optimize_then_hang(path: str, name: str, k: int, marker: str) -> None:
    """Finish k trials, then write ``marker`` inside trial k and sleep until killed."""
    study = hpo_lab.load_study(study_name=name, storage=path)
    done = 0

    def objective(trial: hpo_lab.Trial) -> float:
        nonlocal done
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in range(3):
            trial.report(x * step, step)
        if done == k:
            _publish(marker, str(trial.number))
            time.sleep(600)
        done += 1
        return 10.0 * x

    study.optimize(objective, n_trials=k + 1)


def hold_running_trial(path: str, name: str, ready: str, release: str) -> None:
    """Ask one trial, announce it, wait for ``release``, then tell it."""
    study = hpo_lab.load_study(study_name=name, storage=path)
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    _publish(ready, str(trial.number))
    _wait_for(Path(release))
    study.tell(trial, 10.0 * x)


def hold_with_heartbeat(path: str, name: str, interval: float, ready: str) -> None:
    """Keep one RUNNING trial alive with a fast heartbeat until killed (or stopped)."""
    store = SQLiteStorage(path, heartbeat_interval=interval)
    study = hpo_lab.load_study(study_name=name, storage=store)
    trial = study.ask()
    _publish(ready, str(trial.number))
    time.sleep(600)


def hang_between_heartbeats(path: str, name: str, interval: float, ready: str) -> None:
    """Hold one RUNNING trial, let it beat a few times, then stop this process (SIGSTOP).

    The storage's lock is held while stopping, so the heartbeat thread is never stopped in
    the middle of a write: the file stays unlocked for the other processes.
    """
    store = SQLiteStorage(path, heartbeat_interval=interval)
    study = hpo_lab.load_study(study_name=name, storage=store)
    trial = study.ask()
    time.sleep(3 * interval)
    with store._lock:
        _publish(ready, str(trial.number))
        os.kill(os.getpid(), signal.SIGSTOP)
    time.sleep(600)


def pop_all(path: str, study_id: int, barrier: Any, results: Any) -> None:
    """Pop WAITING trials until none is left; report the ids popped."""
    try:
        store = SQLiteStorage(path)
        barrier.wait(timeout=120)
        popped = []
        while (trial := store.pop_waiting_trial(study_id)) is not None:
            popped.append(trial.trial_id)
            store.finish_trial(trial.trial_id, hpo_lab.TrialState.COMPLETE, float(os.getpid()))
        results.put(popped)
    except BaseException:
        results.put(traceback.format_exc())


def optimize_inherited(path: str, name: str, n_trials: int) -> None:
    """Run trials through the storage object inherited across fork (get_storage's cache)."""
    study = hpo_lab.load_study(study_name=name, storage=path)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n_trials)

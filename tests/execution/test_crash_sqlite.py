"""Crash safety with a SQLite store: dying workers, and SIGKILL of the whole process."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import exec_objectives as eo
import pytest

import hpo_lab
from hpo_lab.trial import FailReason, TrialState


def test_worker_death_in_sqlite_backed_run_is_recorded(tmp_path: Path) -> None:
    path = str(tmp_path / "runs.db")
    study = hpo_lab.create_study(study_name="deaths", storage=path)
    ks = [1, 0, 3, 2, 4]
    for k in ks:
        study.enqueue_trial({"k": k})
    run = study.start(eo.dies_on_odd, n_trials=len(ks), n_jobs=2, executor="process")
    assert run.wait(240)
    reloaded = hpo_lab.load_study(study_name="deaths", storage=path)
    got = {t.params["k"]: (t.state, t.fail_reason) for t in reloaded.trials}
    assert got == {
        1: (TrialState.FAIL, FailReason.WORKER_DIED),
        3: (TrialState.FAIL, FailReason.WORKER_DIED),
        0: (TrialState.COMPLETE, None),
        2: (TrialState.COMPLETE, None),
        4: (TrialState.COMPLETE, None),
    }


_KILLED_SCRIPT = """
import time
import hpo_lab

def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    for step in range(3):
        trial.report(x + step, step)
        time.sleep(0.05)
    return x

def say(study, frozen):
    print("finished", frozen.number, frozen.state.value, flush=True)

study = hpo_lab.create_study(study_name="killed", storage={path!r})
run = study.start(objective, n_trials=500, n_jobs=2, executor={executor!r}, callbacks=[say])
run.wait()
"""


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["thread", "process"])
def test_sigkill_of_whole_process_keeps_finished_trials(executor: str, tmp_path: Path) -> None:
    path = str(tmp_path / "runs.db")
    script = textwrap.dedent(_KILLED_SCRIPT).format(path=path, executor=executor)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    finished: dict[int, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        _, number, state = line.split()
        finished[int(number)] = state
        if len(finished) >= 12:
            break
    # Kill while trials are in flight (the store, read without side effects, shows them).
    store = hpo_lab.storages.get_storage(path)
    study_id = store.get_study_id("killed")
    deadline = time.monotonic() + 60
    while not store.get_all_trials(study_id, states=(TrialState.RUNNING,)):
        assert time.monotonic() < deadline, [t.state for t in store.get_all_trials(study_id)]
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    rest: list[str] = []
    # What it printed before dying. End of file comes once every process holding the pipe
    # is gone: worker processes must not outlive the killed runner (they poll for it).
    reader = threading.Thread(target=lambda: rest.extend(proc.stdout or ()), daemon=True)
    reader.start()
    reader.join(timeout=30)
    assert not reader.is_alive(), "worker processes outlived the killed runner"
    for line in rest:
        _, number, state = line.split()
        finished[int(number)] = state
    proc.stdout.close()
    assert proc.stderr is not None
    proc.stderr.close()
    # Stale detection may wait for a heartbeat to lapse; poll with a generous bound.
    deadline = time.monotonic() + 120
    while True:
        study = hpo_lab.load_study(study_name="killed", storage=path)
        running = study.get_trials(states=(TrialState.RUNNING,))
        if not running or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    assert not running
    stored = {t.number: t for t in study.trials}
    for number, state in finished.items():
        assert stored[number].state.value == state
        assert len(stored[number].intermediate_values) == 3
    stale = [t for t in study.trials if t.number not in finished]
    assert all(
        t.state != TrialState.FAIL or t.fail_reason == FailReason.STALE for t in stale
    )
    assert any(t.fail_reason == FailReason.STALE for t in stale), [  # some were mid-flight
        (t.number, t.state, t.fail_reason, t.fail_message) for t in stale
    ]
    assert [t.number for t in study.trials] == list(range(len(study.trials)))

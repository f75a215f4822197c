"""Ctrl-C in the synchronous form, and interpreter exit with runs still going."""

from __future__ import annotations

import os
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
from hpo_lab.execution import run_sync
from hpo_lab.trial import FailReason, TrialState


@pytest.mark.parametrize("executor", ["thread", "process"])
def test_ctrl_c_in_sync_form_leaves_no_running_trial(executor: str, python_sigint: None) -> None:
    study = hpo_lab.create_study()
    # SIGINT from a timer thread is what "interrupt kernel" does: it lands in the main thread.
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_sync(study, eo.sleepy(6.0), n_trials=50, n_jobs=2, executor=executor)
    finally:
        timer.cancel()
    # The 6 s trials were not waited for: none completed, and the call returned well before
    # the first could have ended (the margin leaves room for a loaded machine).
    assert time.monotonic() - started < 5.5 + (3.0 if executor == "process" else 0.0)
    trials = study.trials
    assert trials and all(t.state.is_finished() for t in trials)
    assert not [t for t in trials if t.state == TrialState.COMPLETE]
    interrupted = [t for t in trials if t.state == TrialState.FAIL]
    assert interrupted and all(t.fail_reason == FailReason.INTERRUPTED for t in interrupted)
    assert study.run is None
    # The next call works.
    run_sync(study, eo.quadratic, n_trials=3, n_jobs=2, executor=executor)
    assert [t.state for t in study.trials[-3:]] == [TrialState.COMPLETE] * 3


def test_sync_form_raises_uncaught_exception() -> None:
    study = hpo_lab.create_study()

    def objective(trial: object) -> float:
        raise ZeroDivisionError("no")

    with pytest.raises(ZeroDivisionError):
        run_sync(study, objective, n_trials=5, n_jobs=2)
    assert all(t.state == TrialState.FAIL for t in study.trials)


_EXIT_SCRIPT = """
import os, sys, time
import hpo_lab

def objective(trial):
    with open(os.path.join({tmp!r}, "pid-%d" % trial.number), "w") as f:
        f.write(str(os.getpid()))
    time.sleep(120)
    return 0.0

study = hpo_lab.create_study()
run = study.start(objective, n_trials=10, n_jobs=2, executor={executor!r})
while len(os.listdir({tmp!r})) < 2:
    time.sleep(0.05)
print("started", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["thread", "process"])
def test_interpreter_exit_does_not_hang_and_kills_workers(executor: str, tmp_path: Path) -> None:
    script = textwrap.dedent(_EXIT_SCRIPT).format(tmp=str(tmp_path), executor=executor)
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=100
    )
    assert proc.returncode == 0, proc.stderr
    assert "started" in proc.stdout
    # Far below the objective's 120 s: exit stopped the run instead of waiting for it.
    assert time.monotonic() - started < 60
    if executor == "process":
        for path in tmp_path.iterdir():
            pid = int(path.read_text())
            deadline = time.monotonic() + 10
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not Path(f"/proc/{pid}").exists(), f"worker {pid} outlived the interpreter"

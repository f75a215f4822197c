"""Messages a notebook user reads name what they know (the study, the cell), never internals."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

import hpo_lab
from hpo_lab.trial import TrialState

pytestmark = pytest.mark.timeout(120)

# A kernel with a live run that exits (a restart): its running trials are failed at exit.
_EXITS_MID_RUN = textwrap.dedent(
    """
    import sys, threading, time, hpo_lab
    study = hpo_lab.create_study(study_name="svc", storage=sys.argv[1])
    started = threading.Event()
    def objective(trial):
        started.set()
        time.sleep(60)
        return 1.0
    study.start(objective, n_trials=4, n_jobs=2)
    started.wait(30)
    time.sleep(0.3)
    """
)

# A process that dies with a trial running (os._exit: no exit hooks at all).
_DIES_MID_RUN = textwrap.dedent(
    """
    import os, sys, hpo_lab
    study = hpo_lab.create_study(study_name="svc", storage=sys.argv[1])
    study.ask()
    os._exit(0)
    """
)


def test_a_kernel_restart_says_so_in_the_trials_it_fails(tmp_path: Path) -> None:
    path = str(tmp_path / "runs.db")
    subprocess.run([sys.executable, "-c", _EXITS_MID_RUN, path], check=True, timeout=90)
    trials = hpo_lab.load_study(study_name="svc", storage=path).trials
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert len(failed) == 2, [(t.state, t.fail_message) for t in trials]
    for t in failed:
        message = t.fail_message or ""
        assert "the Python process was shutting down (a kernel restart, say)" in message
        for internal in ("cancel=True", "thread", "abandoned"):
            assert internal not in message, message


def test_reloading_names_the_study_of_a_trial_left_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = str(tmp_path / "runs.db")
    subprocess.run([sys.executable, "-c", _DIES_MID_RUN, path], check=True, timeout=90)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "hpo_lab")
    with caplog.at_level(logging.WARNING, logger="hpo_lab"):
        shell.run_line_magic("hpo", f"show svc --storage {path}")
    from hpo_lab.notebook import _magics

    while _magics._store_panels:
        _magics._store_panels.popitem()[1].close()
    messages = [r.getMessage() for r in caplog.records]
    assert any("trial 0 of study 'svc'" in m for m in messages), messages
    assert not any("study id" in m for m in messages), messages

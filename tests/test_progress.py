"""The progress line outside notebooks, as a person sees it: in a real terminal (a pty) and in
a log file."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import textwrap
import time
from pathlib import Path

import pytest

import hpo_lab
from hpo_lab.progress import FILE_INTERVAL, ProgressBar, attach_progress, in_notebook
from hpo_lab.samplers import RandomSampler

ROOT = Path(__file__).resolve().parents[1]


def _in_terminal(code: str, timeout: float = 120) -> str:
    """Run ``code`` with a pseudo-terminal as its stderr and stdout; return what it drew."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], stdout=slave, stderr=slave, cwd=ROOT,
        env={**os.environ, "COLUMNS": "120"},
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=10)
    os.close(master)
    assert proc.returncode == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode(errors="replace")


def _screen_lines(text: str) -> list[str]:
    """The lines left on screen: a carriage return redraws the line it is on."""
    lines = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        lines.append(raw.split("\r")[-1] if "\r" in raw.rstrip("\r") else raw.rstrip("\r"))
    return [line for line in lines if line.strip()]


def test_optimize_draws_one_updating_line_in_a_terminal() -> None:
    out = _in_terminal(
        """
        import time, hpo_lab
        study = hpo_lab.create_study(study_name="demo", direction="maximize")
        def objective(trial):
            time.sleep(0.03)
            return trial.suggest_float("x", 0, 1)
        study.optimize(objective, n_trials=20, show_progress_bar=True)
        """
    )
    redraws = out.count("\r")
    assert redraws >= 3, out  # it moved while trials ran
    (line,) = _screen_lines(out)  # and one line is left: nothing scrolled
    assert re.search(r"demo: 100%\|.*\| 20/20 \[\d\d:\d\d<00:00", line), line
    study_best = re.search(r"best=([0-9.e-]+) \(#(\d+)\)", line)
    assert study_best is not None, line
    assert "trial/s" in line


def test_a_background_run_draws_the_line_and_warnings_go_above_it() -> None:
    out = _in_terminal(
        """
        import time, hpo_lab
        study = hpo_lab.create_study(study_name="bg")
        def objective(trial):
            time.sleep(0.03)
            if trial.number == 5:
                raise ValueError("bad luck")
            return trial.suggest_float("x", 0, 1)
        run = study.start(objective, n_trials=12, n_jobs=2, show_progress_bar=True)
        run.wait()
        """
    )
    lines = _screen_lines(out)
    assert lines[0] == "trial 5 failed: ValueError: bad luck", lines  # on its own line
    assert len(lines) == 2, lines
    assert re.search(r"bg: 100%\|.*\| 12/12 .*best=", lines[1]), lines


def test_to_a_file_the_line_is_written_rarely(capsys: pytest.CaptureFixture[str]) -> None:
    study = hpo_lab.create_study(study_name="logged", sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=50, show_progress_bar=True)
    err = capsys.readouterr().err
    # Not a terminal: the first draw, then the last (at most one every FILE_INTERVAL seconds).
    assert FILE_INTERVAL >= 30
    assert err.count("\r") <= 3, err
    assert err.count("\n") == 1
    assert "50/50" in err and "best=" in err


def test_timeout_only_shows_the_time_left() -> None:
    out = io.StringIO()
    bar = ProgressBar(total=None, timeout=90, desc="t", file=out)
    study = hpo_lab.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3, callbacks=[bar])
    bar.close()
    assert re.search(r"3 trial .*timeout in 0[01]:[0-9]{2}", out.getvalue()), out.getvalue()
    bar.close()  # idempotent


def test_extending_a_run_moves_the_total() -> None:
    import threading

    gate = threading.Event()
    study = hpo_lab.create_study()
    run = study.start(lambda t: gate.wait(30) and t.suggest_float("x", 0, 1), n_trials=2)
    out = io.StringIO()
    bar = attach_progress(run, file=out)
    assert bar is not None
    run.extend(3)
    gate.set()
    assert run.wait(60)
    assert bar.n == 5
    assert "5/5" in out.getvalue()


def test_outside_a_kernel_and_without_tqdm(monkeypatch: pytest.MonkeyPatch) -> None:
    assert in_notebook() is False
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if tqdm were not installed
    study = hpo_lab.create_study()
    with pytest.raises(ImportError, match=r"pip install 'hpo_lab\[progress\]'"):
        study.optimize(lambda t: 1.0, n_trials=1, show_progress_bar=True)
    assert study.trials == []  # refused before any trial ran

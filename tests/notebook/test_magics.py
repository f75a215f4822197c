"""``%%hpo`` and ``%hpo`` through a real IPython ``InteractiveShell``."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import types
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import hpo_lab
from hpo_lab.notebook import SOURCE_HASH_ATTR, _registry, kept, log_for
from hpo_lab.notebook._body import source_hash
from hpo_lab.trial import TrialState

pytestmark = pytest.mark.timeout(120)


def _name() -> str:
    return f"s_{uuid.uuid4().hex[:8]}"


def _cell(shell: InteractiveShell, line: str, body: str) -> Any:
    return shell.run_cell(f"%%hpo {line}\n{body}")


def _usage_error(shell: InteractiveShell, source: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``source``; assert it failed with a UsageError printed on one line; return it."""
    capsys.readouterr()
    result = shell.run_cell(source)
    err = capsys.readouterr().err
    assert isinstance(result.error_in_exec, UsageError), result.error_in_exec
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("UsageError: "), err  # no traceback
    return str(result.error_in_exec)


def _until(predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


# -- parsing and help -----------------------------------------------------------------------------


def test_generated_help_lists_every_option(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    shell.run_cell("%%hpo?")
    out = capsys.readouterr().out
    for option in (
        "--trials", "--timeout", "--jobs", "--executor", "--sampler", "--pruner", "--direction",
        "--storage", "--seed", "--warm-start", "--wait", "--no-panel", "--keep",
    ):  # fmt: skip
        assert option in out
    assert "last expression" in out
    # The usage line names the magic as it is typed, not the method that implements it.
    assert "%%hpo [--trials TRIALS]" in out and "hpo_cell" not in out


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "the following arguments are required: name"),
        ("a --bogus", "unrecognized arguments: --bogus"),
        ("a --trials many", "argument --trials: invalid int value: 'many'"),
        ("a --trials 0", "--trials must be >= 1, but got 0"),
        ("a --jobs 0", "--jobs must be >= 1, but got 0"),
        ("a --timeout -1", "--timeout must be > 0 seconds, but got -1.0"),
        ("a --sampler magic", "argument --sampler: invalid choice: 'magic'"),
        ("a --executor gpu", "argument --executor: invalid choice: 'gpu'"),
        ("1abc", "NAME must be a Python identifier (the study is bound to it), but got '1abc'"),
        ("class", "NAME must be a Python identifier"),
        ("a --keep m-1", "--keep VAR must be a Python identifier"),
        ("a --warm-start nowhere", "cannot warm-start from 'nowhere': no such study"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    error = _usage_error(shell, f"%%hpo {line}\ntrial.suggest_float('x', 0, 1)", capsys)
    assert message in error
    assert "a" not in shell.user_ns or not isinstance(shell.user_ns["a"], hpo_lab.Study)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "the cell body is empty"),  # IPython's own check
        ("# only a comment", "the %%hpo cell has no statements: its body is the objective"),
        # Lines count as the notebook shows them: the %%hpo line is line 1.
        ("y = 2\nx = = 1", "the cell has a syntax error at line 3"),
        ("print(hp.float(0, 1))", "hp.float(...) must be the whole right-hand side"),
    ],
)
def test_bad_bodies_are_one_line_errors(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], body: str, message: str
) -> None:
    assert message in _usage_error(shell, f"%%hpo {_name()} --no-panel\n{body}", capsys)


# -- the body as the objective --------------------------------------------------------------------


def test_cell_runs_in_background_on_notebook_variables_without_leaking(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _name()
    shell.run_cell("import numpy as np\nX = np.arange(500)\ndef penalty(v):\n    return 2 * v")
    result = _cell(
        shell,
        f"{name} --trials 6 --jobs 2 --no-panel --sampler random --seed 3",
        "lr = hp.float(1e-4, 1e-1, log=True)\n"
        "depth = trial.suggest_int('depth', 1, 4)\n"
        "X = X[:100]\n"
        "for step in range(depth):\n"
        "    report(lr * step, step)\n"
        "len(X) + penalty(depth) + lr\n",
    )
    assert result.success
    study = shell.user_ns[name]
    assert isinstance(study, hpo_lab.Study) and study.study_name == name
    assert "%hpo wait" in capsys.readouterr().out  # the status line without a panel
    shell.run_line_magic("hpo", f"wait {name}")
    trials = study.trials
    assert len(trials) == 6 and all(t.state == TrialState.COMPLETE for t in trials)
    for t in trials:
        assert t.value == pytest.approx(100 + 2 * t.params["depth"] + t.params["lr"])
        assert sorted(t.intermediate_values) == list(range(t.params["depth"]))
    assert len(shell.user_ns["X"]) == 500  # X = X[:100] stayed inside the trials
    assert not {"lr", "depth", "step"} & set(shell.user_ns)


def test_study_continues_and_each_trial_stores_the_source_hash(shell: InteractiveShell) -> None:
    name = _name()
    _cell(shell, f"{name} --trials 3 --no-panel --wait", "x = hp.float(0, 1)\nx")
    study = shell.user_ns[name]
    _cell(shell, f"{name} --trials 2 --no-panel --wait", "x = hp.float(0, 1)\nx + 1")
    continued = shell.user_ns[name]
    assert len(continued.trials) == 5  # --trials 2 means two more
    hashes = [t.system_attrs[SOURCE_HASH_ATTR] for t in continued.trials]
    assert len(set(hashes[:3])) == 1 and len(set(hashes[3:])) == 1 and hashes[0] != hashes[3]
    assert len(study.trials) == 5  # the same study in the kernel's store


def test_rerunning_a_live_study_is_an_error(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _name()
    shell.user_ns["gate"] = gate = threading.Event()
    _cell(shell, f"{name} --trials 2 --no-panel", "gate.wait(60)\ntrial.suggest_float('x', 0, 1)")
    try:
        error = _usage_error(shell, f"%%hpo {name} --no-panel\n1.0", capsys)
        assert error == (
            f"run '{name}' is still running: %hpo stop {name}, or %hpo extend {name} N"
        )
    finally:
        gate.set()
    shell.run_line_magic("hpo", f"wait {name}")
    assert len(shell.user_ns[name].trials) == 2


def test_failed_trials_say_why_and_the_run_goes_on(shell: InteractiveShell) -> None:
    name = _name()
    _cell(shell, f"{name} --trials 2 --no-panel --wait", "x = hp.float(0, 1)\ny = x")
    trials = shell.user_ns[name].trials
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.FAIL]
    assert "ends with an Assign statement, not an expression" in (trials[0].fail_message or "")


def test_trial_output_and_warnings_go_to_the_run_log(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _name()
    capsys.readouterr()
    _cell(
        shell,
        f"{name} --trials 3 --no-panel --wait",
        "import warnings\n"
        "x = hp.float(0, 1)\n"
        "print('fitting', trial.number)\n"
        "warnings.warn('watch out', UserWarning)\n"
        "x\n",
    )
    out = capsys.readouterr()
    assert "fitting" not in out.out and "watch out" not in out.err
    entries = log_for(_registry.get(name).run).since(0)[0]
    printed = "".join(e.text for e in entries if e.stream == "stdout")
    for n in range(3):
        assert f"fitting {n}\n" in printed
    assert {e.trial for e in entries if e.stream == "stdout"} == {0, 1, 2}
    assert any(e.stream == "warning" and "watch out" in e.text for e in entries)


def test_failed_trial_messages_of_the_runner_go_to_the_log(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _name()
    capsys.readouterr()
    _cell(shell, f"{name} --trials 1 --no-panel --wait", "x = hp.float(0, 1)\n'text'")
    assert "trial 0 failed" not in capsys.readouterr().err
    entries = log_for(_registry.get(name).run).since(0)[0]
    assert any("trial 0 failed" in e.text for e in entries)


def test_keep_holds_the_best_trials_variable(shell: InteractiveShell) -> None:
    name = _name()
    _cell(
        shell,
        f"{name} --trials 8 --jobs 2 --no-panel --wait --keep model",
        "x = hp.float(-3, 3)\nmodel = {'x': x, 'trial': trial.number}\n(x - 1) ** 2",
    )
    study = shell.user_ns[name]
    best = study.best_trial
    held = kept(name)
    assert held.trial == best.number and held.value == best.value
    assert held["model"] == {"x": best.params["x"], "trial": best.number}
    assert "model" not in shell.user_ns


def test_keep_on_the_process_executor_comes_back_through_files(shell: InteractiveShell) -> None:
    name = _name()
    _cell(
        shell,
        f"{name} --trials 8 --jobs 2 --executor process --no-panel --wait --keep model "
        "--direction maximize",
        "import os\nx = hp.float(-3, 3)\nmodel = {'x': x, 'pid': os.getpid()}\n-((x - 1) ** 2)",
    )
    study = shell.user_ns[name]
    held = kept(name)
    assert held.trial == study.best_trial.number and held.value == study.best_value
    assert held["model"]["x"] == study.best_params["x"]
    assert held["model"]["pid"] != os.getpid()  # made in a worker, sent back
    objective = _registry.get(name).objective
    assert sorted(os.listdir(objective._keep_dir)) == ["best"]  # every offer was taken


def test_keep_values_that_cannot_come_back_fail_their_trial(shell: InteractiveShell) -> None:
    name = _name()
    _cell(
        shell,
        f"{name} --trials 1 --executor process --no-panel --wait --keep model",
        "import threading\nx = hp.float(0, 1)\nmodel = threading.Lock()\nx",
    )
    trial = shell.user_ns[name].trials[0]
    assert trial.state == TrialState.FAIL
    assert "--keep model: its value cannot be sent back from a worker process" in (
        trial.fail_message or ""
    )


# -- the process executor -----------------------------------------------------------------------


def test_process_executor_ships_notebook_functions_and_variables(shell: InteractiveShell) -> None:
    name = _name()
    shell.run_cell("def loss(v):\n    return (v - target) ** 2\ntarget = 0.5\nunused = object()")
    shell.user_ns["offset"] = 10.0
    _cell(
        shell,
        f"{name} --trials 4 --jobs 2 --executor process --no-panel --wait",
        "x = hp.float(0, 1)\nloss(x) + offset",
    )
    trials = shell.user_ns[name].trials
    assert len(trials) == 4 and all(t.state == TrialState.COMPLETE for t in trials)
    for t in trials:
        assert t.value == pytest.approx((t.params["x"] - 0.5) ** 2 + 10.0)
        assert t.system_attrs[SOURCE_HASH_ATTR]
    assert _registry.get(name).objective.namespace.keys() == {"loss", "offset"}


def test_unpicklable_names_are_named_before_the_run_starts(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_cell("import threading\nlock = threading.Lock()")
    name = _name()
    error = _usage_error(
        shell, f"%%hpo {name} --executor process --no-panel\nlock.locked() + 1.0", capsys
    )
    assert error.startswith("notebook variable 'lock' cannot be sent to worker processes")
    assert name not in shell.user_ns


# -- %hpo ----------------------------------------------------------------------------------------


def test_pause_resume_stop_jobs_and_extend_a_live_run(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _name()
    shell.user_ns["gate"] = gate = threading.Event()
    _cell(shell, f"{name} --trials 3 --no-panel", "gate.wait(60)\ntrial.suggest_float('x', 0, 1)")
    run = _registry.get(name).run
    assert run is not None
    try:
        shell.run_line_magic("hpo", f"pause {name}")
        assert run.status.value == "paused"
        shell.run_line_magic("hpo", "resume")  # NAME left out: the most recent study
        assert run.status.value == "running"
        shell.run_line_magic("hpo", f"jobs {name} 2")
        assert run.n_jobs == 2
        shell.run_line_magic("hpo", f"extend {name} 2")
        assert run.n_trials == 5
        shell.run_line_magic("hpo", f"stop {name}")
        assert run.status.value in ("stopping", "finished")
        assert f"{name}: stopping" in capsys.readouterr().out
    finally:
        gate.set()
    shell.run_line_magic("hpo", f"wait {name}")
    assert run.status.value == "finished" and len(shell.user_ns[name].trials) < 5


def test_extend_after_the_run_ended_starts_a_new_run(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _name()
    _cell(shell, f"{name} --trials 2 --no-panel --wait", "x = hp.float(0, 1)\nx")
    first = _registry.get(name).run
    capsys.readouterr()
    shell.run_line_magic("hpo", f"extend {name} 3")
    # Said, not done silently: the run had ended, so this is a new one.
    assert (
        f"hpo: {name}'s last run had ended: started a new run of 3 trials (the study has 2 so far)"
        in capsys.readouterr().out
    )
    second = _registry.get(name).run
    assert second is not first
    shell.run_line_magic("hpo", f"wait {name}")
    assert len(shell.user_ns[name].trials) == 5


def test_the_panel_after_extend_counts_the_whole_study(shell: InteractiveShell) -> None:
    name = _name()
    _cell(shell, f"{name} --trials 20 --wait", "x = hp.float(0, 1)\nx")
    entry = _registry.get(name)
    assert entry.panel is not None
    shell.run_line_magic("hpo", f"extend {name} 10")
    shell.run_line_magic("hpo", f"wait {name}")
    entry.panel.refresh()
    # The run's own progress, and the study's 30 trials beside it.
    assert entry.panel.progress_text.value == "10/10 trials of this run"
    assert entry.panel.counts.value.startswith("study: 30 trials · 30 complete"), (
        entry.panel.counts.value
    )


def test_narrow_applies_to_new_trials(shell: InteractiveShell) -> None:
    name = _name()
    _cell(
        shell,
        f"{name} --trials 4 --no-panel --wait --sampler random",
        "lr = hp.float(1e-5, 1e-1, log=True)\n"
        "k = hp.int(1, 9)\n"
        "opt = hp.choice('adam', 'adamw', 'sgd')\n"
        "lr * k",
    )
    shell.run_line_magic("hpo", f"narrow {name} lr=1e-4:1e-2 k=2:3 opt=adam,adamw")
    shell.run_line_magic("hpo", f"extend {name} 6")
    shell.run_line_magic("hpo", f"wait {name}")
    new = shell.user_ns[name].trials[4:]
    assert len(new) == 6
    for t in new:
        assert 1e-4 <= t.params["lr"] <= 1e-2 and t.params["k"] in (2, 3)
        assert t.params["opt"] in ("adam", "adamw")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("depth=1:3", "cannot narrow unknown parameter 'depth' (parameters: k, lr)"),
        ("k=1.5:3", "narrowing 'k': '1.5' is not an integer (it is an int parameter)"),
        ("lr=1e-9:1e-2", "cannot narrow 'lr' to [1e-09, 0.01]: outside its declared range"),
        ("lr=1e-2:1e-4", "narrowing 'lr': low must be <= high, but got low=0.01, high=0.0001"),
        ("k=5:2", "narrowing 'k': low must be <= high, but got low=5, high=2"),
        ("lr=nan:1e-2", "narrowing 'lr': a bound must be a finite number, but got 'nan'"),
        ("lr=1e-4:inf", "narrowing 'lr': a bound must be a finite number, but got 'inf'"),
        ("lr=abc:1", "narrowing 'lr': 'abc' is not a number"),
        ("lr", "cannot read narrowing 'lr'"),
        ("lr=0.1", "takes low:high"),
    ],
)
def test_narrow_errors_are_one_line(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], args: str, message: str
) -> None:
    name = _name()
    _cell(
        shell,
        f"{name} --trials 2 --no-panel --wait",
        "lr = hp.float(1e-5, 1e-1, log=True)\nk = hp.int(1, 9)\nlr * k",
    )
    error = _usage_error(shell, f"%hpo narrow {name} {args}", capsys)
    assert message in error
    assert len(shell.user_ns[name].search_space_history) == 1  # nothing narrowed


def test_warm_starts_a_narrowed_child_with_the_same_objective(shell: InteractiveShell) -> None:
    parent, child = _name(), _name()
    _cell(
        shell,
        f"{parent} --trials 8 --no-panel --wait --sampler random --seed 1",
        "x = hp.float(0, 10)\n(x - 3) ** 2",
    )
    shell.run_line_magic("hpo", f"warm {child} --from {parent} x=2:5")
    shell.run_line_magic("hpo", f"wait {child}")
    study = shell.user_ns[child]
    assert study.parent is not None and study.parent.study_name == parent
    inside = [t for t in shell.user_ns[parent].trials if 2 <= t.params["x"] <= 5]
    assert len(study.inherited_trials) == len(inside)
    assert len(study.trials) == 8  # the parent's --trials
    assert all(2 <= t.params["x"] <= 5 for t in study.trials)
    assert all(t.value == pytest.approx((t.params["x"] - 3) ** 2) for t in study.trials)


def test_warm_gives_the_child_a_copy_of_the_parents_sampler(shell: InteractiveShell) -> None:
    # One warm-start path (hpo_lab.study.warm_start): the child's sampler is a copy of the
    # parent's, whose seed stream goes on, not a new sampler of the same seed that proposes
    # the parent's points again.
    parent, child = _name(), _name()
    _cell(
        shell,
        f"{parent} --trials 6 --no-panel --wait --sampler random --seed 3",
        "x = hp.float(0, 10)\nx",
    )
    shell.run_line_magic("hpo", f"warm {child} --from {parent}")
    shell.run_line_magic("hpo", f"wait {child}")
    parent_study, study = shell.user_ns[parent], shell.user_ns[child]
    assert study.sampler is not parent_study.sampler
    assert type(study.sampler) is type(parent_study.sampler)
    seen = {t.params["x"] for t in parent_study.trials}
    assert len(study.trials) == 6
    assert not [t.params["x"] for t in study.trials if t.params["x"] in seen]


def test_warm_errors(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    parent = _name()
    _cell(shell, f"{parent} --trials 2 --no-panel --wait", "x = hp.float(0, 10)\nx")
    assert "takes NEW --from NAME" in _usage_error(shell, f"%hpo warm c {parent}", capsys)
    error = _usage_error(shell, "%hpo warm c2 --from nowhere", capsys)
    assert error.startswith("no %%hpo study named 'nowhere' in this kernel")
    assert "'y'" in _usage_error(shell, f"%hpo warm c3 --from {parent} y=1:2", capsys)
    assert "c3" not in shell.user_ns


def test_best_df_and_list(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    name = _name()
    _cell(shell, f"{name} --trials 4 --no-panel --wait", "x = hp.float(0, 1)\nx")
    best = shell.run_line_magic("hpo", f"best {name}")
    assert best == shell.user_ns[name].best_trial
    df = shell.run_line_magic("hpo", "df")
    assert isinstance(df, pd.DataFrame) and len(df) == 4 and "params_x" in df.columns
    capsys.readouterr()
    shell.run_line_magic("hpo", "list")
    assert f"{name}: finished, 4/4 finished" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "%hpo needs a subcommand: list, show"),
        ("explode", "unknown %hpo subcommand 'explode'"),
        ("pause nowhere", "no %%hpo study named 'nowhere' in this kernel"),
        ("extend {name} many", "%hpo extend: N must be an integer, but got 'many'"),
        ("extend {name} 0", "%hpo extend: N must be >= 1, but got 0"),
        ("jobs {name} 1 2 3", "%hpo jobs takes [NAME] K"),
        ("stop {name}", "has no live run"),
        ("best {name} extra", "%hpo best takes at most one NAME"),
        ("narrow {name}", "%hpo narrow needs ranges"),
        ("list {name}", "%hpo list takes no arguments"),
        ("show 'unclosed", "%hpo cannot read"),
    ],
)
def test_line_magic_errors_are_one_line(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    name = _name()
    _cell(shell, f"{name} --trials 1 --no-panel --wait", "x = hp.float(0, 1)\nx")
    assert message in _usage_error(shell, "%hpo " + line.format(name=name), capsys)


@pytest.mark.usefixtures("python_sigint")
def test_ctrl_c_during_wait_stops_the_run_cleanly(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _name()
    shell.user_ns["gate"] = gate = threading.Event()
    shell.user_ns["started"] = started = threading.Event()
    _cell(
        shell,
        f"{name} --trials 50 --no-panel",
        "started.set()\ngate.wait(60)\ntrial.suggest_float('x', 0, 1)",
    )
    run = _registry.get(name).run
    assert run is not None
    main = threading.main_thread().ident
    assert main is not None

    def main_is_waiting() -> bool:
        frame = sys._current_frames().get(main)
        while frame is not None:
            if frame.f_code.co_name == "_wait_for":
                return True
            frame = frame.f_back
        return False

    def interrupt() -> None:
        started.wait(30)
        # Ctrl-C while the magic waits (not, say, while the test is still starting this thread).
        _until(main_is_waiting, "%hpo wait to block")
        signal.pthread_kill(main, signal.SIGINT)
        _until(lambda: run.status.value != "running", "the run to stop")
        gate.set()

    threading.Thread(target=interrupt, daemon=True).start()
    capsys.readouterr()
    shell.run_line_magic("hpo", f"wait {name}")  # returns once the run has ended
    assert run.status.value == "finished"
    trials = shell.user_ns[name].trials
    assert 1 <= len(trials) < 50 and all(t.state == TrialState.COMPLETE for t in trials)
    # It says that Ctrl-C stopped the run, not that the run finished.
    out = capsys.readouterr().out
    assert f"hpo: {name}: stopped by Ctrl-C after {len(trials)} of 50 trials" in out, out
    assert "finished" not in out.splitlines()[-1]


def test_storage_env_var_and_show_from_the_store(
    shell: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "runs.db"
    monkeypatch.setenv("HPO_LAB_STORAGE", str(path))
    name = _name()
    _cell(shell, f"{name} --trials 2 --no-panel --wait", "x = hp.float(0, 1)\nx")
    assert path.exists()
    assert len(hpo_lab.load_study(study_name=name, storage=str(path)).trials) == 2
    _registry.forget(name)  # as after a kernel restart
    result = shell.run_cell(f"%hpo show {name} --storage {path}")
    assert result.success, result.error_in_exec
    result = shell.run_cell(f"%hpo show {name}")  # HPO_LAB_STORAGE is the store to look in
    assert result.success, result.error_in_exec


def test_cell_returns_at_once_and_shows_the_panel(shell: InteractiveShell) -> None:
    name = _name()
    shell.user_ns["gate"] = gate = threading.Event()
    try:
        result = _cell(shell, f"{name} --trials 2", "gate.wait(60)\ntrial.suggest_float('x', 0, 1)")
        assert result.success, result.error_in_exec
        entry = _registry.get(name)
        assert entry.is_live()  # returned while the trial still waits
        assert type(entry.panel).__name__ == "Panel"
    finally:
        gate.set()
    shell.run_line_magic("hpo", f"wait {name}")
    assert len(shell.user_ns[name].trials) == 2


def test_storage_option_writes_a_sqlite_file(shell: InteractiveShell, tmp_path: Path) -> None:
    path = tmp_path / "explicit.db"
    name = _name()
    _cell(shell, f"{name} --trials 2 --no-panel --wait --storage {path}", "x = hp.float(0, 1)\nx")
    assert os.path.getsize(path) > 0
    assert len(hpo_lab.load_study(study_name=name, storage=str(path)).trials) == 2


def test_colab_waits_in_the_foreground_by_default(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    name = _name()
    _cell(shell, f"{name} --trials 3 --no-panel", "x = hp.float(0, 1)\nx")
    run = _registry.get(name).run
    assert run is not None and run.status.value == "finished"  # the cell waited
    assert len(shell.user_ns[name].trials) == 3
    shell.run_line_magic("hpo", f"extend {name} 2")  # a new run: waited for too
    run = _registry.get(name).run
    assert run is not None and run.status.value == "finished"
    assert len(shell.user_ns[name].trials) == 5


def test_show_finds_a_study_that_only_the_kernel_store_holds(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _name()
    _cell(shell, f"{name} --trials 1 --no-panel --wait", "x = hp.float(0, 1)\nx")
    _registry.forget(name)
    result = shell.run_cell(f"%hpo show {name}")
    assert result.success, result.error_in_exec
    assert "no %%hpo study named 'absent'" in _usage_error(shell, "%hpo show absent", capsys)


def test_ipython_syntax_in_the_body_works_and_return_gets_a_hint(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _name()
    body = "x = hp.float(0, 1)\nwho = %who_ls\nx + len(who) * 0"
    _cell(shell, f"{name} --trials 2 --no-panel --wait", body)
    trials = shell.user_ns[name].trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2
    assert trials[0].system_attrs[SOURCE_HASH_ATTR] == source_hash(body + "\n")
    error = _usage_error(shell, f"%%hpo {_name()} --no-panel\nreturn 1.0", capsys)
    assert "'return' outside function (end the cell with the value itself" in error


def test_keep_ignores_other_studies_running_the_same_objective(shell: InteractiveShell) -> None:
    name = _name()
    _cell(
        shell,
        f"{name} --trials 3 --no-panel --wait --keep model",
        "x = hp.float(0, 1)\nmodel = ('parent', x)\nx",
    )
    entry = _registry.get(name)
    before = dict(kept(name))
    # What the panel's warm-start button does: a child study runs the very same objective.
    child = hpo_lab.create_study(
        study_name=_name(), storage=entry.study.storage, warm_start_from=entry.study
    )
    assert child.start(entry.objective, n_trials=3).wait(60)
    assert dict(kept(name)) == before
    assert entry.objective._kept == {}  # nothing held for trials nobody takes values from


def test_adopted_runs_are_reachable_by_name(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _name()
    study = hpo_lab.create_study(study_name=name)
    shell.user_ns["gate"] = gate = threading.Event()
    run = study.start(lambda t: gate.wait(60) and t.suggest_float("x", 0, 1), n_trials=2)
    _registry.adopt(run)
    try:
        shell.run_line_magic("hpo", f"pause {name}")
        assert run.status.value == "paused"
        shell.run_line_magic("hpo", f"stop {name}")
    finally:
        gate.set()
    shell.run_line_magic("hpo", f"wait {name}")
    assert "no objective to run more trials with" in _usage_error(
        shell, f"%hpo extend {name} 2", capsys
    )


def test_name_never_replaces_a_notebook_variable(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _name()
    shell.user_ns[name] = [1, 2, 3]
    error = _usage_error(shell, f"%%hpo {name} --no-panel\nhp.float(0, 1) and 1.0", capsys)
    assert error == (
        f"NAME '{name}' is already a notebook variable (list); the study would replace it: "
        "pick another name"
    )
    assert shell.user_ns[name] == [1, 2, 3]
    parent = _name()
    _cell(shell, f"{parent} --trials 1 --no-panel --wait", "x = hp.float(0, 1)\nx")
    error = _usage_error(shell, f"%hpo warm {name} --from {parent}", capsys)
    assert "is already a notebook variable (list)" in error


def test_line_magic_help_lists_the_subcommands(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    shell.run_cell("%hpo?")
    out = capsys.readouterr().out
    for command in ("list", "show", "pause", "extend", "jobs", "narrow", "warm", "best", "df"):
        assert f"%hpo {command}" in out or f"|{command}" in out


def test_pruner_option_prunes_through_report_and_should_prune(shell: InteractiveShell) -> None:
    name = _name()
    _cell(
        shell,
        f"{name} --trials 12 --no-panel --wait --pruner median --sampler random --seed 0",
        "import hpo_lab\n"
        "x = hp.float(0, 1)\n"
        "for step in range(4):\n"
        "    report(x + step, step)\n"
        "    if trial.should_prune():\n"
        "        raise hpo_lab.TrialPruned()\n"
        "x",
    )
    states = [t.state for t in shell.user_ns[name].trials]
    assert TrialState.PRUNED in states and TrialState.COMPLETE in states


def test_a_run_whose_every_trial_fails_ends_cleanly_and_the_panel_shows_why(
    shell: InteractiveShell,
) -> None:
    name = _name()
    body = "x = hp.float(0, 1)\nif x < 2:\n    raise RuntimeError('always broken')\nx"
    result = _cell(shell, f"{name} --trials 4 --jobs 2 --wait --seed 1", body)
    assert result.success, result.error_in_exec  # the cell itself does not fail
    entry = _registry.get(name)
    assert entry.run is not None and not entry.run.is_live()
    assert entry.run.status.value == "finished"
    trials = shell.user_ns[name].trials
    assert [t.state for t in trials] == [TrialState.FAIL] * 4
    panel = entry.panel
    panel.refresh()
    # Not "finished" on a green bar: nothing succeeded, and the header says so.
    assert panel.status.value == "all trials failed" and panel.progress.bar_style == "danger"
    assert "4 failed" in panel.counts.value
    assert "no COMPLETE trial yet" in panel.best.value
    assert panel.failures.value.count("<details>") == 4
    failures = panel.failures.value
    assert "Traceback" in failures and "always broken" in failures
    # The user's frame, its line counted in the cell (the %%hpo line is line 1), and none of
    # hpo_lab's own frames.
    assert "File &quot;&lt;%%hpo cell&gt;&quot;, line 4, in &lt;module&gt;" in failures
    assert "hpo_lab" + os.sep not in failures and "threading.py" not in failures
    assert "hpo-static" in panel.static_html  # the snapshot is written all the same
    assert "all trials failed" in panel.static_html
    # A NaN result is a per-trial failure that says so, shown the same way.
    other = _name()
    _cell(shell, f"{other} --trials 2 --wait", "x = hp.float(0, 1)\nfloat('nan') * x")
    nan_panel = _registry.get(other).panel
    nan_panel.refresh()
    assert [t.state for t in shell.user_ns[other].trials] == [TrialState.FAIL] * 2
    assert "last expression gave nan; a finite number is needed" in nan_panel.failures.value


def test_showing_a_store_only_study_again_closes_the_last_view(
    shell: InteractiveShell, tmp_path: Path
) -> None:
    from hpo_lab.notebook import _magics

    path = tmp_path / "shown.db"
    name = _name()
    study = hpo_lab.create_study(study_name=name, storage=str(path))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)

    def views() -> list[Any]:
        return [p for p in _magics._store_panels.values() if p.study.study_name == name]

    assert shell.run_cell(f"%hpo show {name} --storage {path}").success
    [first] = views()
    assert first.run is None and first.bridge_thread.is_alive()  # a static panel polls
    assert shell.run_cell(f"%hpo show {name} --storage {path}").success
    [second] = views()
    assert second is not first
    _until(lambda: not first.bridge_thread.is_alive(), "the first view's thread to end")
    assert first.widget.comm is None and second.bridge_thread.is_alive()
    second.close()

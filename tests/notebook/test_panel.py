"""The control panel, driven headlessly: real studies and runs (in memory and SQLite), real
widgets; buttons are clicked and range controls set as a user would, and the study and run
state is checked.

These tests also run in a second environment pinned to Colab's stack (ipywidgets 7.7,
ipykernel 6.17, plotly 5.24): see ``test_colab_stack.py``.
"""

from __future__ import annotations

import _thread
import itertools
import json
import math
import re
import subprocess
import sys
import textwrap
import threading
import time
import types
from collections.abc import Callable
from typing import Any

import pytest

import hpo_lab
from hpo_lab.execution import RunStatus
from hpo_lab.notebook import Panel, log_for, set_figures_mode
from hpo_lab.notebook import _panel as panel_module
from hpo_lab.notebook._body import SOURCE_HASH_ATTR
from hpo_lab.notebook._panel import HEAVY_INTERVAL, TAB_KEYS
from hpo_lab.trial import TrialState

FIGURES = ["widget", "html"]




def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.02)


def slow_objective(delay: float = 0.05) -> Callable[[Any], float]:
    def objective(trial: Any) -> float:
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        k = trial.suggest_int("k", 0, 10)
        opt = trial.suggest_categorical("opt", ["sgd", "adam", "adamw"])
        for step in range(3):
            trial.report(lr * (3 - step), step)
        time.sleep(delay)
        return math.log10(lr) ** 2 + k + (opt == "sgd")

    return objective


def complete_points(view: Any) -> int:
    """COMPLETE trials a live figure view shows: its FigureWidget's, or its model's (what
    its last render and patches sent)."""
    if view.mode == "widget":
        return sum(len(t.x or ()) for t in view.figure.data if t.legendgroup == "complete")
    return sum(len(t["x"]) for t in view.model.traces if t["legendgroup"] == "complete")


@pytest.fixture
def panels() -> Any:
    made: list[Panel] = []
    runs: list[Any] = []

    def make(obj: Any, **kwargs: Any) -> Panel:
        p = Panel(obj, **kwargs)
        made.append(p)
        if p.run is not None:
            runs.append(p.run)
        return p

    yield make
    for p in made:
        for child in p.children:
            if child.run is not None:
                child.run.stop()
                child.run.wait(60)
            child.close()
        if p.run is not None:
            p.run.stop()
            p.run.wait(60)
        p.close()


# -- a static panel --------------------------------------------------------------------------------


@pytest.mark.parametrize("figures", FIGURES)
def test_static_panel_of_a_study_loaded_from_sqlite(
    tmp_path: Any, panels: Any, figures: str
) -> None:
    path = str(tmp_path / "runs.db")
    study = hpo_lab.create_study(study_name="done", storage=path)

    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", -2, 2)
        trial.report(x * x, 0)
        if trial.number == 3:
            raise RuntimeError("boom in trial three")
        return x * x

    study.optimize(objective, n_trials=12, catch=(RuntimeError,))
    # After a kernel restart: a fresh object on the same file, no run.
    loaded = hpo_lab.load_study(study_name="done", storage=path)
    p = panels(loaded, figures=figures)
    p.refresh()
    assert p.run is None and p.status.value == "no run"
    assert (p.progress.value, p.progress.max) == (12, 12)
    assert "11 complete" in p.counts.value and "1 failed" in p.counts.value
    best = min(t.value for t in loaded.trials if t.state == TrialState.COMPLETE)
    assert f"{best:.6g}" in p.best.value
    for button in (p.pause_button, p.resume_button, p.stop_button, p.add_button):
        assert button.disabled
    assert p.workers.disabled
    # Every plot is there, heavy ones included.
    assert complete_points(p.history_view) == 11
    for name, view in p.heavy_views.items():
        assert view.n_renders >= 1, name
        assert len(view.figure.data) > 0, name
    assert "boom in trial three" in p.failures.value and "Traceback" in p.failures.value
    assert p.table.value.count("</tr>") == 13  # header + 12 trials
    if figures == "html":
        bundle = p.history_view.widget.outputs[0]["data"]
        assert "application/vnd.plotly.v1+json" in bundle or "text/html" in bundle


def test_trials_table_sorts(panels: Any) -> None:
    study = hpo_lab.create_study()
    study.optimize(lambda t: t.suggest_int("k", 0, 100), n_trials=15)
    p = panels(study, figures="html")
    p.sort_by.value = "best"
    p.refresh()
    numbers = [t.number for t in sorted(study.trials, key=lambda t: t.value)]
    first_cells = re.findall(r"<tr>\s*<td>(.*?)</td>", p.table.value)
    assert [int(c) for c in first_cells] == numbers
    p.sort_by.value = "newest"
    p.refresh()
    first_cells = re.findall(r"<tr>\s*<td>(.*?)</td>", p.table.value)
    assert [int(c) for c in first_cells] == list(range(14, -1, -1))


# -- run controls ----------------------------------------------------------------------------------


def test_pause_resume_stop_buttons_control_the_run(panels: Any) -> None:
    study = hpo_lab.create_study()
    run = study.start(slow_objective(0.05), n_trials=10_000, n_jobs=2)
    p = panels(run, figures="html")
    wait_until(lambda: len(study.trials) >= 3, what="three trials")
    p.pause_button.click()
    assert run.status.value == "paused"
    p.refresh()
    assert p.status.value == "paused" and p.pause_button.disabled and not p.resume_button.disabled
    wait_until(lambda: run.progress.running == 0, what="running trials to finish")
    started = len(study.trials)
    time.sleep(0.5)
    assert len(study.trials) == started, "a trial started while paused"
    p.resume_button.click()
    assert run.status.value == "running"
    wait_until(lambda: len(study.trials) > started, what="a trial after resume")
    p.stop_button.click()
    assert run.wait(60)
    p.refresh()
    assert p.status.value == "finished"
    assert p.stop_button.disabled and p.pause_button.disabled and p.add_button.disabled


def test_add_trials_and_workers(panels: Any) -> None:
    study = hpo_lab.create_study()
    run = study.start(slow_objective(0.05), n_trials=4, n_jobs=1)
    p = panels(run, figures="html")
    p.add_n.value = 3
    p.add_button.click()
    assert run.n_trials == 7
    p.workers.value = 3
    assert run.n_jobs == 3
    assert run.wait(60)
    assert len(study.trials) == 7
    p.refresh()
    assert (p.progress.value, p.progress.max) == (7, 7)
    assert "added 3 trials" in p.message.value
    # A run that has ended takes no more controls; the message says so.
    p.pause_button.disabled = False  # as if clicked in the browser before the update arrived
    p.pause_button.click()
    p.refresh()
    assert "no live run" in p.message.value


def test_workers_follow_the_run(panels: Any) -> None:
    study = hpo_lab.create_study()
    run = study.start(slow_objective(0.05), n_trials=10_000, n_jobs=1)
    p = panels(run, figures="html")
    run.set_n_jobs(2)  # from elsewhere, say %hpo jobs
    p.refresh()
    assert p.workers.value == 2 and run.n_jobs == 2


# -- the space editor ------------------------------------------------------------------------------


@pytest.mark.parametrize("figures", FIGURES)
def test_apply_narrows_the_running_study(panels: Any, figures: str) -> None:
    study = hpo_lab.create_study()
    run = study.start(slow_objective(0.02), n_trials=10_000, n_jobs=2)
    p = panels(run, figures=figures)
    wait_until(lambda: len(study.trials) >= 4, what="four trials")
    p.refresh()
    rows = p.editor.rows
    assert set(rows) == {"lr", "k", "opt"}
    # A log parameter's slider runs over log10 of the value.
    assert (rows["lr"].control.min, rows["lr"].control.max) == pytest.approx((-5, -1))
    rows["lr"].control.value = (-3.0, -2.0)
    rows["k"].control.value = (2, 5)
    sgd = next(t for t in rows["opt"].toggles if t.description == "sgd")
    sgd.value = False
    p.refresh()
    assert "1e-3" in rows["lr"].readout.value.replace("0.001", "1e-3")
    p.editor.apply_button.click()
    revision = study.search_space_history[-1]
    assert revision.number == 1
    lr, k, opt = (revision.constraints[n] for n in ("lr", "k", "opt"))
    assert (lr.low, lr.high) == pytest.approx((1e-3, 1e-2))
    assert (k.low, k.high) == (2, 5)
    assert list(opt.choices) == ["adam", "adamw"]
    wait_until(
        lambda: sum(1 for t in study.trials if t.revision == 1 and t.state.is_finished()) >= 6,
        what="six trials under the new revision",
    )
    for t in study.trials:
        if t.revision == 1 and t.params:
            assert 1e-3 <= t.params["lr"] <= 1e-2 and 2 <= t.params["k"] <= 5
            assert t.params["opt"] in ("adam", "adamw")
    p.refresh()
    assert "applied revision 1" in p.message.value
    assert "current revision: 1" in p.editor.status.value
    # Where the good trials lie, per parameter.
    assert "best 25%" in rows["lr"].hint.value and "<svg" in rows["lr"].hint.value


def test_editor_rejects_an_empty_choice(panels: Any) -> None:
    study = hpo_lab.create_study()
    study.optimize(slow_objective(0), n_trials=3)
    p = panels(study, figures="html")
    p.tabs.selected_index = TAB_KEYS.index("space")  # the editor is drawn on its tab
    p.refresh()
    for toggle in p.editor.rows["opt"].toggles:
        toggle.value = False
    p.editor.apply_button.click()
    p.refresh()
    assert "choose at least one value for 'opt'" in p.message.value
    assert len(study.search_space_history) == 1


def test_warm_start_creates_a_running_child_in_the_same_storage(tmp_path: Any, panels: Any) -> None:
    path = str(tmp_path / "warm.db")
    study = hpo_lab.create_study(study_name="parent", storage=path)
    run = study.start(slow_objective(0.01), n_trials=30, n_jobs=2)
    p = panels(run, figures="html")
    wait_until(lambda: len(study.trials) >= 12, what="twelve trials")
    p.refresh()
    p.editor.rows["k"].control.value = (0, 6)
    p.editor.warm_button.click()
    p.refresh()
    assert "warm-started parent_warm1" in p.message.value
    child = hpo_lab.load_study(study_name="parent_warm1", storage=path)
    assert child.parent is not None and child.parent.study_name == "parent"
    inherited = child.inherited_trials
    assert len(inherited) > 0 and all(t.params["k"] <= 6 for t in inherited)
    constraint = child.search_space_history[-1].constraints["k"]
    assert (constraint.low, constraint.high) == (0, 6)
    [child_panel] = p.children
    assert child_panel.run is not None
    # The same warm-start path as hpo_lab.study.warm_start and %hpo warm: copies, not the
    # parent's own sampler and pruner.
    assert child_panel.study.sampler is not study.sampler
    assert type(child_panel.study.sampler) is type(study.sampler)
    assert child_panel.study.pruner is not study.pruner
    wait_until(lambda: any("k" in t.params for t in child.trials), what="a trial of the child")
    # A running trial may have suggested "lr" and not yet "k".
    assert all(t.params["k"] <= 6 for t in child.trials if "k" in t.params)
    assert child_panel.widget in p.children_box.children
    assert "parent_warm1" in p.lineage.value
    child_panel.refresh()
    assert "lineage: parent_warm1 ← parent" in child_panel.lineage.value
    # The same settings as the parent's run.
    assert child_panel.run.n_jobs == 2 and child_panel.run.n_trials == 30
    p.editor.warm_button.click()
    p.refresh()
    assert "parent_warm2" in [c.study.study_name for c in p.children]


def _inherited_points(view: Any) -> int:
    return sum(len(t["x"]) for t in view.model.traces if t["legendgroup"] == "inherited")


def test_trials_the_parent_adds_after_a_warm_start_reach_the_childs_plots(panels: Any) -> None:
    from hpo_lab.study import warm_start

    parent = hpo_lab.create_study(study_name="parent2")
    parent.optimize(slow_objective(0), n_trials=5)
    child = warm_start(parent)
    p = panels(child, figures="html")
    p.refresh()
    assert _inherited_points(p.history_view) == 5
    assert "(5 inherited trials)" in p.lineage.value
    parent.optimize(slow_objective(0), n_trials=7)  # the parent goes on after the warm start
    # No refresh(): the bridge follows the parent's change cursor.
    wait_until(
        lambda: _inherited_points(p.history_view) == 12, what="the parent's new trials"
    )
    wait_until(lambda: "(12 inherited trials)" in p.lineage.value, what="the lineage count")


def test_warm_start_never_shares_the_parents_sampler(panels: Any) -> None:
    # Before the one warm-start path, a sampler that could not be copied was shared with the
    # child, silently: two studies drawing from one sampler object.
    from hpo_lab.samplers import RandomSampler

    class Uncopyable(RandomSampler):
        def __deepcopy__(self, memo: Any) -> Any:
            raise TypeError("cannot copy")

    study = hpo_lab.create_study(study_name="solo", sampler=Uncopyable(seed=0))
    run = study.start(slow_objective(0.01), n_trials=10_000)
    p = panels(run, figures="html")
    wait_until(lambda: len(study.trials) >= 3, what="three trials")
    p.refresh()
    p.editor.warm_button.click()
    p.refresh()
    assert (
        "warm start failed: the sampler of study 'solo' (Uncopyable) cannot be copied"
        in p.message.value
    )
    assert p.children == []
    assert [s.study_name for s in study.storage.get_all_studies()] == ["solo"]


def test_warm_start_without_an_objective_says_why(panels: Any) -> None:
    study = hpo_lab.create_study()
    study.optimize(slow_objective(0), n_trials=3)
    p = panels(study, figures="html")
    p.editor.warm_button.disabled = False
    p.editor.warm_button.click()
    p.refresh()
    assert "no objective to run" in p.message.value
    assert [s.study_name for s in study.storage.get_all_studies()] == [study.study_name]


# -- live updates ----------------------------------------------------------------------------------


def test_trials_from_another_process_show_up(tmp_path: Any, panels: Any) -> None:
    path = str(tmp_path / "shared.db")
    study = hpo_lab.create_study(study_name="shared", storage=path)
    p = panels(study, figures="html")
    assert p.progress.value == 0
    script = textwrap.dedent(
        f"""
        import hpo_lab
        s = hpo_lab.load_study(study_name="shared", storage={path!r})
        s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    # No refresh(): the bridge thread polls the store's change cursor.
    wait_until(lambda: p.progress.value == 5, what="the other process's trials in the panel")
    wait_until(lambda: p.history_view.n_renders >= 2, what="the history re-rendered")
    assert complete_points(p.history_view) == 5


def _all_widgets(widget: Any) -> list[Any]:
    out = [widget]
    for child in getattr(widget, "children", ()):
        out += _all_widgets(child)
    return out


def _update_times(p: Panel) -> list[float]:
    """The times of the panel's batched updates from now on (each holds the progress bar's
    sync once), appended as they happen."""
    times: list[float] = []
    original = p.progress.hold_sync

    def counting_hold_sync() -> Any:
        times.append(time.monotonic())
        return original()

    p.progress.hold_sync = counting_hold_sync
    return times


@pytest.mark.parametrize("figures", FIGURES)
def test_one_bridge_thread_changes_widgets_a_few_times_a_second(panels: Any, figures: str) -> None:
    study = hpo_lab.create_study()

    def fast(trial: Any) -> float:  # hundreds of trials a second: far more than updates
        x = trial.suggest_float("x", 0, 1)
        trial.report(x, 0)
        time.sleep(0.005)
        return x

    run = study.start(fast, n_trials=None, n_jobs=2)
    p = panels(run, figures=figures)
    threads: set[str] = set()
    widgets = _all_widgets(p.widget)
    for w in widgets:
        w.observe(lambda _change: threads.add(threading.current_thread().name))
    batches = _update_times(p)
    time.sleep(2.0)
    window = list(batches)
    wait_until(lambda: run.progress.finished > 50, what="a fast run")
    run.stop()
    assert run.wait(60)
    time.sleep(0.3)
    assert 2 <= len(window) <= 10, f"{len(window)} batched updates in 2 s"
    assert threads == {p.bridge_thread.name}, threads
    assert p.n_updates >= len(window)


def test_a_large_study_updates_the_panel_once_a_second(panels: Any) -> None:
    study = hpo_lab.create_study()

    def fast(trial: Any) -> float:
        x = trial.suggest_float("x", 0, 1)
        time.sleep(0.002)
        return x

    small = panels(study.start(fast, n_trials=None, n_jobs=2), figures="html")
    batches = _update_times(small)
    time.sleep(2.0)
    below = list(batches)
    assert len(study.trials) < panel_module.LARGE_STUDY
    wait_until(lambda: len(study.trials) >= panel_module.LARGE_STUDY + 200,
               what="a study past the large-study size", timeout=120)
    batches.clear()
    time.sleep(3.5)
    above = list(batches)
    small.run.stop()
    assert small.run.wait(60)

    def gaps(times: list[float]) -> list[float]:
        return [b - a for a, b in itertools.pairwise(times)]

    # Twice a second below the size, once a second past it (the trials keep coming).
    assert gaps(below) and min(gaps(below)) < 0.8 * panel_module.LARGE_STUDY_GAP, below
    assert len(above) >= 2 and min(gaps(above)) >= 0.95 * panel_module.LARGE_STUDY_GAP, above


def test_panel_wait_runs_in_the_foreground(panels: Any) -> None:
    study = hpo_lab.create_study()
    run = study.start(slow_objective(0.01), n_trials=12, n_jobs=2)
    p = panels(run, figures="html")
    threads: set[str] = set()
    p.progress.observe(lambda _c: threads.add(threading.current_thread().name), names="value")
    assert p.wait(timeout=60) is True
    assert p.progress.value == 12 and p.status.value == "finished"
    assert threading.current_thread().name in threads
    assert p.static_html and "hpo-static" in p.static_html


def test_ctrl_c_in_wait_stops_the_run_cleanly(panels: Any, python_sigint: None) -> None:
    study = hpo_lab.create_study()
    run = study.start(slow_objective(0.2), n_trials=10_000, n_jobs=2)
    p = panels(run, figures="html")
    wait_until(lambda: len(study.trials) >= 2, what="two trials")
    done = threading.Event()

    def press_ctrl_c() -> None:
        # An interrupt that lands while the main thread runs a finalizer (a weakref callback,
        # a __del__) is swallowed by Python ("Exception ignored in ..."), as it is in a kernel,
        # where the user presses Ctrl-C again: do the same until the run leaves RUNNING.
        time.sleep(0.5)
        while not done.is_set() and run.status == RunStatus.RUNNING:
            _thread.interrupt_main()
            done.wait(2.0)

    presser = threading.Thread(target=press_ctrl_c, daemon=True)
    presser.start()
    try:
        assert p.wait(timeout=60) is False
    finally:
        done.set()
        presser.join()
    assert not run.is_live()
    assert p.status.value == "finished"
    assert not any(t.state == TrialState.RUNNING for t in study.trials)


def test_wait_times_out(panels: Any) -> None:
    study = hpo_lab.create_study()
    run = study.start(slow_objective(0.05), n_trials=10_000)
    p = panels(run, figures="html")
    t0 = time.monotonic()
    assert p.wait(timeout=0.5) is False
    assert time.monotonic() - t0 < 10 and run.is_live()
    with pytest.raises(
        ValueError, match="timeout must be >= 0 seconds or None, but got timeout=-1"
    ):
        p.wait(timeout=-1)


def test_static_snapshot_goes_into_the_cell_output(panels: Any) -> None:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    study = hpo_lab.create_study(study_name="snap")
    run = study.start(slow_objective(0.01), n_trials=6)
    with capture_output() as captured:
        p = panels(run, figures="html")
        p.display()
        assert run.wait(60)
        p.refresh()
    outputs = captured.outputs
    [view] = [o.data for o in outputs if "application/vnd.jupyter.widget-view+json" in o.data]
    assert view["application/vnd.jupyter.widget-view+json"]["model_id"] == p.widget.model_id
    assert view["text/plain"] == "hpo_lab control panel of study 'snap'"
    html_outputs = [o.data.get("text/html", "") for o in outputs]
    assert any("hpo-static" in h and "snap" in h for h in html_outputs), html_outputs
    # Where the panel itself renders, the snapshot hides (it is for viewers without widgets);
    # tests/browser checks that it does in JupyterLab.
    rule = f".jp-OutputArea:has(.hpo-panel-{p.control_id}) .hpo-static-{p.control_id}"
    assert any(rule + "{display:none}" in h for h in html_outputs), html_outputs


def test_source_change_and_log(panels: Any) -> None:
    study = hpo_lab.create_study()

    def objective(trial: Any) -> float:
        trial.set_system_attr(SOURCE_HASH_ATTR, "aaaa" if trial.number < 3 else "bbbb")
        return trial.suggest_float("x", 0, 1)

    run = study.start(objective, n_trials=5)
    log_for(run).write("hello from a trial\n", trial=1)
    log_for(run).write("careful", trial=2, stream="warning")
    for piece in ("value", " ", "0.5", "\n", "unfinished"):  # how print("value", 0.5) writes
        log_for(run).write(piece, trial=4)
    log_for(run).write("newer line\n", trial=5)
    p = panels(run, figures="html")
    assert run.wait(60)
    p.refresh()
    assert "objective source changed at trial 3" in p.source_note.value
    assert "[trial 1] hello from a trial" in p.log_view.value
    assert "[trial 2] warning: careful" in p.log_view.value
    # An unfinished line keeps its place in time, before the lines written after it.
    assert "[trial 4] value 0.5\n[trial 4] unfinished\n[trial 5] newer line" in p.log_view.value
    # The log opens scrolled to its newest line (a reversed flex column starts at its end).
    assert "flex-direction:column-reverse" in p.log_view.value


def test_attach_follows_a_new_run_and_close_ends_the_bridge(panels: Any) -> None:
    study = hpo_lab.create_study(study_name="again")
    first = study.start(slow_objective(0.01), n_trials=3)
    p = panels(first, figures="html")
    assert first.wait(60)
    second = study.start(slow_objective(0.01), n_trials=4)
    p.attach(second)
    assert second.wait(60)
    p.refresh()
    assert p.run is second and p.progress.value == 4 and p.status.value == "finished"
    # A second view of the same run (as %hpo show makes); closing the first ends its thread.
    other = panels(study, figures="html")
    thread = p.bridge_thread
    p.close()
    assert not thread.is_alive()
    other.refresh()
    assert other.progress.value == 7
    with pytest.raises(ValueError, match="attach\\(\\) takes a run of study 'again'"):
        other.attach(hpo_lab.create_study(study_name="x").start(lambda t: 1.0, n_trials=1))


def test_bad_arguments_give_one_line_errors() -> None:
    with pytest.raises(TypeError, match="Panel takes a Study or a Run, but got int"):
        Panel(42)  # type: ignore[arg-type]
    study = hpo_lab.create_study()
    with pytest.raises(
        ValueError, match="figures must be 'auto', 'widget' or 'html', but got figures='svg'"
    ):
        Panel(study, figures="svg")  # type: ignore[arg-type]


def test_figures_mode_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    study = hpo_lab.create_study()
    monkeypatch.setenv("HPO_LAB_FIGURES", "html")
    p = Panel(study)
    assert p.mode == "html"
    p.close()
    set_figures_mode("widget")
    try:
        p = Panel(study)
        assert p.mode == "widget"
        p.close()
    finally:
        set_figures_mode("auto")
    monkeypatch.delenv("HPO_LAB_FIGURES")
    # Colab does not render widget updates from threads: auto means html there.
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    p = Panel(study)
    assert p.mode == "html"
    p.close()
    monkeypatch.setenv("HPO_LAB_FIGURES", "svg")
    with pytest.raises(ValueError, match="HPO_LAB_FIGURES must be 'auto', 'widget' or 'html'"):
        Panel(study)


def test_hpo_lab_panel_is_lazy_and_displays() -> None:
    code = textwrap.dedent(
        """
        import sys, hpo_lab
        assert "ipywidgets" not in sys.modules and "plotly" not in sys.modules
        s = hpo_lab.create_study()
        s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        p = hpo_lab.panel(s, figures="html", display=False)
        assert "ipywidgets" in sys.modules and p.progress.value == 2
        p.close()
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_heavy_plots_render_only_on_their_tab(panels: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # A shorter interval than the panel's own keeps the test short; the rule is the same.
    interval = HEAVY_INTERVAL / 3
    monkeypatch.setattr(panel_module, "HEAVY_INTERVAL", interval)
    study = hpo_lab.create_study()
    run = study.start(slow_objective(0.01), n_trials=10_000, n_jobs=2)
    p = panels(run, figures="html")
    wait_until(lambda: p.progress.value >= 10, what="ten trials through the bridge")
    time.sleep(0.6)
    assert all(v.n_renders == 0 for v in p.heavy_views.values())
    assert p.history_view.n_renders >= 1
    p.tabs.selected_index = 1  # importance, as a click in the browser sets it
    importance = p.heavy_views["importance"]
    wait_until(lambda: importance.n_renders >= 1, what="the importance plot")
    assert p.heavy_views["parallel"].n_renders == 0 and p.heavy_views["slice"].n_renders == 0
    # While shown it is re-rendered as trials arrive, at most every HEAVY_INTERVAL seconds.
    time.sleep(2 * interval + 0.5)
    assert 2 <= importance.n_renders <= 4


def test_a_second_ctrl_c_cancels_running_trials(panels: Any, python_sigint: None) -> None:
    study = hpo_lab.create_study()
    run = study.start(slow_objective(30), n_trials=10_000, n_jobs=2)
    p = panels(run, figures="html")
    wait_until(lambda: run.progress.running == 2, what="two running trials")
    timers = [threading.Timer(d, _thread.interrupt_main) for d in (0.3, 0.9)]
    for timer in timers:
        timer.start()
    try:
        t0 = time.monotonic()
        assert p.wait(timeout=60) is False
        assert time.monotonic() - t0 < 20
    finally:
        for timer in timers:
            timer.cancel()
    assert not run.is_live()
    reasons = {t.fail_reason.value for t in study.trials if t.fail_reason is not None}
    assert reasons == {"cancelled"}


# -- threads and output size -----------------------------------------------------------------------


def _bridges_alive(names: set[str]) -> set[str]:
    return {t.name for t in threading.enumerate() if t.name in names}


def test_bridge_threads_end_with_their_runs_and_come_back_when_woken(panels: Any) -> None:
    # A kernel with many %%hpo cells: every finished panel must not keep a polling thread.
    made = []
    for _ in range(4):
        study = hpo_lab.create_study()
        made.append(panels(study.start(slow_objective(0.0), n_trials=3), figures="html"))
    names = {p.bridge_thread.name for p in made}
    assert len(names) == 4
    for p in made:
        assert p.run is not None and p.run.wait(60)
    wait_until(lambda: not _bridges_alive(names), what="the bridge threads to end")
    for p in made:
        assert p.progress.value == 3 and p.status.value == "finished"
        assert "hpo-static" in p.static_html  # the last update was applied first
    # A click on a tab wakes it: the thread starts again, renders, and ends again.
    p = made[0]
    p.tabs.selected_index = 1
    wait_until(lambda: p.heavy_views["importance"].n_renders >= 1, what="the importance plot")
    wait_until(lambda: not p.bridge_thread.is_alive(), what="the bridge to end again")
    # A new run attached is followed live, without refresh().
    again = p.study.start(slow_objective(0.0), n_trials=2)
    p.attach(again)
    wait_until(lambda: p.progress.value == 2 and p.status.value == "finished", what="new run")
    wait_until(lambda: not p.bridge_thread.is_alive(), what="the bridge to end after it")


def test_a_static_panel_keeps_polling_and_a_live_one_ends_only_with_its_run(panels: Any) -> None:
    study = hpo_lab.create_study()
    static = panels(study, figures="html")
    run = study.start(slow_objective(0.05), n_trials=10_000)
    live = panels(run, figures="html")
    wait_until(lambda: static.progress.value >= 2, what="trials in the static panel")
    time.sleep(1.0)
    assert static.bridge_thread.is_alive() and live.bridge_thread.is_alive()
    run.stop()
    assert run.wait(60)
    wait_until(lambda: not live.bridge_thread.is_alive(), what="the live panel's bridge to end")
    assert static.bridge_thread.is_alive()


def test_auto_figures_stay_rerendered_outputs_and_forced_widgets_update_in_place(
    panels: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ipywidgets
    import plotly
    import plotly.graph_objects as go

    from hpo_lab.notebook._relay import handle_control

    monkeypatch.delenv("HPO_LAB_FIGURES", raising=False)
    study = hpo_lab.create_study()
    run = study.start(slow_objective(0.0), n_trials=4)
    p = panels(run)
    if int(plotly.__version__.split(".")[0]) < 6:
        # plotly 5's FigureWidget carries no JavaScript in its state: used at once.
        assert p.mode == "widget" and isinstance(p.history_view.figure, go.FigureWidget)
        return
    # plotly 6's FigureWidgets each bring their own plotly.js: auto draws re-rendered outputs,
    # and keeps them once the browser shows it runs widget code.
    assert p.mode == "html" and isinstance(p.history_view.widget, ipywidgets.Output)
    assert run.wait(60)
    assert handle_control({"panel": p.control_id, "command": "open"}) == "open"
    wait_until(lambda: p.frontend_seen, what="the relay's comm seen")
    p.refresh()
    assert p.mode == "html" and isinstance(p.history_view.widget, ipywidgets.Output)
    assert complete_points(p.history_view) == 4
    assert p.tabs.children[0].children == (p.history_view.widget,)
    # Forced, FigureWidgets are built (on the bridge thread) and appended to in place.
    forced = panels(study, figures="widget")
    wait_until(lambda: forced.figures_built, what="the forced panel's figures")
    assert isinstance(forced.history_view.figure, go.FigureWidget)
    assert forced.tabs.children[0].children == (forced.history_view.widget,)
    first = forced.history_view.figure
    again = study.start(slow_objective(0.0), n_trials=3)
    forced.attach(again)
    assert again.wait(60)
    wait_until(lambda: complete_points(forced.history_view) == 7, what="appended")
    assert forced.history_view.figure is first


def test_published_outputs_stay_small_and_load_plotly_js_from_its_cdn(
    panels: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import plotly.io as pio

    from hpo_lab.notebook._static import static_html
    from hpo_lab.viz import snapshot

    # What a kernel has: plotly's notebook renderer, which writes all of plotly.js on first use.
    monkeypatch.setattr(pio.renderers, "default", "plotly_mimetype+notebook")
    study = hpo_lab.create_study(study_name="big")
    study.optimize(
        lambda t: t.suggest_float("x", -1, 1) ** 2 + t.suggest_int("k", 0, 5), n_trials=300
    )
    page = static_html(snapshot(study), "finished")
    assert len(page) < 400_000, len(page)
    assert page.count("cdn.plot.ly") == 1  # one script tag per snapshot, nothing embedded
    p = panels(study, figures="html")
    p.refresh()
    [output] = p.history_view.widget.outputs
    rendered = json.dumps(output)
    assert len(rendered) < 400_000, len(rendered)
    assert "cdn.plot.ly" in output["data"]["text/html"]  # shows without a kernel's plotly.js
    assert "application/vnd.plotly.v1+json" in output["data"]


def test_a_quiet_static_panel_polls_slowly_and_still_sees_new_trials(panels: Any) -> None:
    from hpo_lab.notebook._panel import QUIET_POLL_INTERVAL

    study = hpo_lab.create_study()
    p = panels(study, figures="html")
    ticks = p.n_updates
    wait_until(lambda: p._poll_interval() == QUIET_POLL_INTERVAL, what="a quiet store")
    ticks = p.n_updates
    time.sleep(QUIET_POLL_INTERVAL * 0.8)
    assert p.n_updates - ticks <= 1  # not twice a second any more
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)  # no event reaches p
    wait_until(lambda: p.progress.value == 3, timeout=QUIET_POLL_INTERVAL * 4, what="trials")
    assert p._poll_interval() == p._bridge.interval  # busy again: the normal rate

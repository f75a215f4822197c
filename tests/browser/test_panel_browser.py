"""The control panel in a real browser, in JupyterLab 4 and in Notebook 7.

The quickstart's ``%%hpo`` cell runs with a larger budget on an SQLite file; the test watches
the panel fill up, pauses and resumes the run with the panel's buttons, narrows ``gamma`` with
the space editor's slider and Apply, runs another cell while trials run, and checks each effect
in the store, which the kernel writes and this process reads.

Set ``HPO_LAB_PANEL_SCREENSHOT`` to a path to also save the panel alone there (what
``scripts/screenshot.py`` does for the README's ``docs/img/panel.png``).
"""

from __future__ import annotations

import math
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest

import hpo_lab
from hpo_lab.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from tests.browser.conftest import NotebookPage

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "notebooks" / "01_quickstart.ipynb"
BUDGET = 2000


def write_panel_notebook(path: Path) -> None:
    """The quickstart's data cell and ``%%hpo`` cell, with a budget that outlasts the test and
    an SQLite store the test can read, then a trivial cell to run while trials run."""
    nb = nbformat.read(QUICKSTART, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    (data,) = (c for c in code if "%load_ext hpo_lab" in c.source)
    (hpo,) = (c for c in code if c.source.startswith("%%hpo svc"))
    assert "--trials 20 " in hpo.source
    hpo.source = hpo.source.replace("--trials 20 ", f"--trials {BUDGET} --storage runs.db ", 1)
    probe = nbformat.v4.new_code_cell("print('responsive', 6 * 7)")
    nb.cells = [data, hpo, probe]
    nbformat.write(nb, path)


def _trials(root: Path) -> list[FrozenTrial]:
    return hpo_lab.load_study(study_name="svc", storage=str(root / "runs.db")).trials


def _count(trials: list[FrozenTrial], *states: TrialState) -> int:
    return sum(t.state in states for t in trials)


def _finished_in_header(nb: NotebookPage) -> int:
    text = nb.page.locator(".hpo-panel .hpo-header").inner_text()
    m = re.search(rf"(\d+)\s*/\s*{BUDGET} trials", text)
    return int(m.group(1)) if m else -1


def _history_points(nb: NotebookPage) -> int:
    return nb.page.locator(".hpo-panel .hpo-history-plot .scatterlayer .point").count()


def _drag_handle(nb: NotebookPage, param: str, which: str, fraction: float) -> None:
    """Drag the lower or upper handle of a range slider to ``fraction`` of its track."""
    slider = nb.page.locator(f".hpo-panel .hpo-range-{param}")
    track = slider.locator(".noUi-base").bounding_box()
    assert track is not None
    slider.locator(f".noUi-handle-{which}").hover()
    nb.page.mouse.down()
    x = track["x"] + track["width"] * fraction
    nb.page.mouse.move(x, track["y"] + track["height"] / 2, steps=8)
    nb.page.mouse.up()


def _readout(nb: NotebookPage, param: str) -> list[float]:
    """The first two numbers in the readout beside a parameter's range control."""
    row = nb.page.locator(".hpo-panel .hpo-param-row", has=nb.page.locator(f".hpo-range-{param}"))
    text = row.inner_text()
    return [float(x) for x in re.findall(r"\d[\d.]*(?:e[-+]?\d+)?", text)[:2]]


def _handles(nb: NotebookPage, param: str) -> tuple[float, float]:
    """The slider's lower and upper values as the browser shows them (``aria-valuenow``)."""
    slider = nb.page.locator(f".hpo-panel .hpo-range-{param}")
    lower = slider.locator(".noUi-handle-lower").get_attribute("aria-valuenow")
    upper = slider.locator(".noUi-handle-upper").get_attribute("aria-valuenow")
    return float(lower or "nan"), float(upper or "nan")


def test_panel_controls_a_live_run(notebook_page: NotebookPage) -> None:
    nb = notebook_page
    page = nb.page
    root = nb.server.root
    write_panel_notebook(root / "panel.ipynb")
    nb.open("panel.ipynb")
    nb.run_cell(0)
    nb.wait_executed(0, timeout=120)

    # The %%hpo cell returns with the panel shown, and the panel fills up as trials finish.
    nb.run_cell(1)
    page.locator(".hpo-panel").wait_for(timeout=120_000)
    nb.wait_executed(1, timeout=120)
    nb.wait_for(lambda: _finished_in_header(nb) >= 20, "20 finished trials in the header", 120)
    nb.wait_for(lambda: _history_points(nb) >= 20, "20 points in the history plot", 60)
    assert "running" in page.locator(".hpo-panel .hpo-status").inner_text()
    nb.screenshot("panel-running")

    # Another cell runs at once while trials run.
    nb.run_cell(2)
    took = nb.wait_executed(2, timeout=60)
    assert "responsive 42" in nb.output_text(2)
    print(f"[{nb.server.app}] a trivial cell took {took:.2f} s while trials ran")
    assert took < 5, f"a trivial cell took {took:.1f} s while the run was live"
    assert _count(_trials(root), TrialState.COMPLETE) < BUDGET

    # Pause: the running trials end and no new trial starts.
    page.locator(".hpo-panel .hpo-pause").click()
    nb.wait_for(
        lambda: "paused" in page.locator(".hpo-panel .hpo-status").inner_text(),
        "the panel's paused status",
        30,
    )
    nb.wait_for(
        lambda: _count(_trials(root), TrialState.RUNNING) == 0, "no running trial after pause", 60
    )
    paused_at = len(_trials(root))
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        assert len(_trials(root)) == paused_at, "a trial started while the run was paused"
        page.wait_for_timeout(100)
    nb.screenshot("panel-paused")

    # Resume: trials start again.
    page.locator(".hpo-panel .hpo-resume").click()
    nb.wait_for(lambda: len(_trials(root)) > paused_at, "a new trial after resume", 60)

    # Narrow gamma (declared 1e-5 .. 1e-1, log-scaled slider) to about 1e-4 .. 1e-2.
    page.locator(".hpo-panel .lm-TabBar-tab", has_text="Space editor").click()
    page.locator(".hpo-panel .hpo-range-gamma .noUi-handle-lower").wait_for(timeout=30_000)
    _drag_handle(nb, "gamma", "lower", 0.25)
    _drag_handle(nb, "gamma", "upper", 0.75)

    def slider_settled() -> tuple[float, float] | None:
        # Where the browser's handles are (log10 units), once both moved well inside and the
        # readout beside them, written by the kernel, shows the same range: then the kernel
        # holds the slider's final value (an Apply click sent earlier could overtake it).
        shown = _handles(nb, "gamma")
        readout = _readout(nb, "gamma")
        if not (shown[0] > -4.6 and shown[1] < -1.4) or not all(b > 0 for b in readout):
            return None
        logs = [math.log10(b) for b in readout]
        return shown if all(abs(a - b) < 0.05 for a, b in zip(shown, logs)) else None

    shown = nb.wait_for(slider_settled, "gamma's slider moved and its readout in step", 30)
    page.locator(".hpo-panel .hpo-apply").click()
    nb.wait_for(
        lambda: "applied revision" in page.locator(".hpo-panel .hpo-message").inner_text(),
        "Apply's confirmation",
        30,
    )
    nb.screenshot("panel-space-editor")
    study = hpo_lab.load_study(study_name="svc", storage=str(root / "runs.db"))
    revision = study.search_space_history[-1]
    gamma = revision.constraints["gamma"]
    low, high = float(gamma.low), float(gamma.high)  # type: ignore[union-attr]
    # The store holds the range the slider showed.
    assert abs(math.log10(low) - shown[0]) < 0.05 and abs(math.log10(high) - shown[1]) < 0.05, (
        low,
        high,
        shown,
    )

    def narrowed() -> list[FrozenTrial]:
        return [
            t
            for t in _trials(root)
            if t.revision >= revision.number and t.state == TrialState.COMPLETE
        ]

    nb.wait_for(lambda: len(narrowed()) >= 5, "5 trials finished under the narrowed space", 90)
    after = narrowed()
    outside = [(t.number, t.params["gamma"]) for t in after if not low <= t.params["gamma"] <= high]
    assert not outside, f"trials outside gamma in [{low}, {high}]: {outside}"

    page.locator(".hpo-panel .lm-TabBar-tab", has_text="History").click()
    nb.wait_for(lambda: _history_points(nb) >= 20, "the history plot again", 30)
    nb.screenshot("panel-history")
    readme_shot = os.environ.get("HPO_LAB_PANEL_SCREENSHOT")
    if readme_shot and nb.server.app == "lab":
        page.mouse.move(0, 0)  # no hover toolbar on the plot
        page.wait_for_timeout(500)
        page.locator(".hpo-panel").screenshot(path=readme_shot)

    # The trials table says how each trial was proposed: the newest came from the GP.
    page.locator(".hpo-panel .lm-TabBar-tab", has_text="Trials").click()
    table = page.locator(".hpo-panel table.hpo-table")
    table.wait_for(timeout=30_000)
    nb.wait_for(
        lambda: "proposed by" in table.inner_text()
        and any(c.startswith("gp") for c in table.locator("td").all_inner_texts()),
        "a 'proposed by' column with GP proposals in the trials table",
        30,
    )

    # Stop: the run ends with no trial left running.
    page.locator(".hpo-panel .hpo-stop").click()
    nb.wait_for(
        lambda: (
            _count(_trials(root), TrialState.RUNNING) == 0
            and "running" not in page.locator(".hpo-panel .hpo-status").inner_text()
        ),
        "the stopped run",
        60,
    )
    assert _count(_trials(root), TrialState.COMPLETE) < BUDGET


BUSY_CELL = """\
import time
print("busy started", flush=True)
t0 = time.monotonic()
while time.monotonic() - t0 < 8:
    pass
print("busy done")
"""


@pytest.mark.parametrize("jupyter", ["lab"], indirect=True)
def test_pause_acts_while_another_cell_is_busy(notebook_page: NotebookPage) -> None:
    # JupyterLab opens the relay's comm on a subshell, so a click is handled while the main
    # shell runs a cell (a pure-Python loop here, which also holds the GIL most of the time).
    nb = notebook_page
    page = nb.page
    root = nb.server.root
    path = root / "busy.ipynb"
    write_panel_notebook(path)
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[2] = nbformat.v4.new_code_cell(BUSY_CELL)
    nbformat.write(notebook, path)
    nb.open("busy.ipynb")
    nb.run_cell(0)
    nb.wait_executed(0, timeout=120)
    nb.run_cell(1)
    page.locator(".hpo-panel").wait_for(timeout=120_000)
    nb.wait_executed(1, timeout=120)
    nb.wait_for(lambda: _finished_in_header(nb) >= 5, "5 finished trials in the header", 120)

    nb.run_cell(2)
    nb.wait_for(lambda: "busy started" in nb.output_text(2), "the busy cell running", 30)
    clicked = time.monotonic()
    page.locator(".hpo-panel .hpo-pause").click()
    nb.wait_for(
        lambda: "paused" in page.locator(".hpo-panel .hpo-status").inner_text(),
        "the panel's paused status while the busy cell runs",
        3,
    )
    took = time.monotonic() - clicked
    # The busy cell is still running: the click did not wait for it.
    assert "busy done" not in nb.output_text(2)
    assert not re.fullmatch(r"\[\d+\]:?", nb.prompt(2)), nb.prompt(2)
    # ... and JupyterLab still says so: the relayed click's own "idle" does not end the
    # kernel's busy state in the status bar.
    page.wait_for_timeout(1000)
    status = page.locator(".jp-StatusBar-Item", has_text="Python 3").first.inner_text()
    assert "Busy" in status and "busy done" not in nb.output_text(2), status
    print(f"[{nb.server.app}] paused shown {took:.2f} s after the click, busy cell running")
    nb.screenshot("panel-paused-while-busy")
    nb.wait_executed(2, timeout=60)
    assert "busy done" in nb.output_text(2)
    page.locator(".hpo-panel .hpo-stop").click()
    nb.wait_for(
        lambda: _count(_trials(root), TrialState.RUNNING) == 0, "the stopped run's trials", 60
    )

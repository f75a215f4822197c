"""The browser harness itself: live widget updates from a thread reach a real page.

This is the ground the panel's browser test stands on: if an ``IntProgress`` or a plotly
``FigureWidget`` changed from a background thread does not render live here, or a second cell
waits for that thread, the panel cannot work either.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest

if TYPE_CHECKING:
    from tests.browser.conftest import NotebookPage

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

_THREAD_CELL = """\
import threading, time
import ipywidgets as widgets
import plotly.graph_objects as go

bar = widgets.IntProgress(min=0, max=40)
bar.add_class("probe-bar")
fig = go.FigureWidget(go.Scatter(x=[], y=[], mode="markers"))
box = widgets.VBox([bar, fig])
box.add_class("probe-box")
display(box)
go_on = threading.Event()

def work():
    go_on.wait(60)
    for i in range(1, 41):
        with fig.batch_update():
            fig.data[0].x = list(range(i))
            fig.data[0].y = [j * j for j in range(i)]
        bar.value = i
        time.sleep(0.15)

threading.Thread(target=work, daemon=True).start()
"""


def _write(root: Path, name: str, sources: list[str]) -> None:
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}},
        cells=[nbformat.v4.new_code_cell(s) for s in sources],
    )  # fmt: skip
    nbformat.write(nb, root / name)


# JupyterLab only: the panel's test covers Notebook 7 with the same mechanisms.
@pytest.mark.parametrize("jupyter", ["lab"], indirect=True)
def test_thread_updates_render_live_and_a_second_cell_runs(notebook_page: NotebookPage) -> None:
    nb = notebook_page
    _write(nb.server.root, "probe.ipynb", [_THREAD_CELL, "go_on.set()", "print('second', 6 * 7)"])
    nb.open("probe.ipynb")
    nb.run_cell(0)
    nb.wait_executed(0, timeout=120)
    page = nb.page
    page.locator(".probe-box .probe-bar").wait_for(timeout=60_000)
    # The figure widget renders (anywidget front end) before any point exists.
    page.locator(".probe-box .js-plotly-plot").wait_for(timeout=60_000)

    def bar_percent() -> float:
        style = page.locator(".probe-bar .progress-bar").get_attribute("style") or ""
        width = style.split("width:")[1].split("%")[0] if "width:" in style else "0"
        return float(width)

    def n_points() -> int:
        return page.locator(".probe-box .js-plotly-plot .scatterlayer .point").count()

    assert bar_percent() == 0 and n_points() == 0
    nb.run_cell(1)
    # Values in between show that updates arrive while the thread runs, not once at its end.
    seen = nb.wait_for(lambda: 0 < bar_percent() < 100 and bar_percent(), "a partial bar", 60)
    assert 0 < seen < 100
    nb.wait_for(lambda: 0 < n_points() < 40, "some but not all plot points", 60)

    # A cell run while the thread works completes at once.
    nb.run_cell(2)
    took = nb.wait_executed(2, timeout=30)
    assert "second 42" in nb.output_text(2)
    assert took < 5, f"a trivial cell took {took:.1f} s while a thread updated widgets"
    assert bar_percent() < 100, "the thread ended before the second cell was checked"

    nb.wait_for(lambda: bar_percent() == 100, "the full bar", 60)
    nb.wait_for(lambda: n_points() == 40, "40 plot points", 60)
    nb.screenshot("harness")

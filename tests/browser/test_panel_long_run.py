"""A long run with the panel in a real browser (JupyterLab 4): thousands of trivial trials.

What issue 19 asked of the panel at scale, at a size CI affords (the 10,000-trial figures are
measured by ``benchmarks/panel_scale.py``): the run's trials all show in the header; no widget
message the kernel sends grows with the study (the live history is patched, or re-rendered
bounded); the history in the page stays bounded and ends in step with the kernel's; another
cell still answers while trials run; the saved notebook stays small; when the run ends the
static snapshot (for viewers without widgets) hides itself under the live panel; and the Log
tab opens at its newest line.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest

if TYPE_CHECKING:
    from tests.browser.conftest import NotebookPage

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

TRIALS = 3000

# Observes (does not change) what the kernel sends: the size of every comm message.
SETUP = """\
%load_ext hpo_lab
import json
from ipykernel.comm.comm import BaseComm
sent = []
_publish = BaseComm.publish_msg

def _observed(self, msg_type, data=None, metadata=None, buffers=None, **keys):
    sent.append(len(json.dumps(data, default=str)))
    return _publish(self, msg_type, data, metadata, buffers, **keys)

BaseComm.publish_msg = _observed
"""
CELL = f"""\
%%hpo long --trials {TRIALS} --jobs 2 --sampler random --seed 0
x = hp.float(0, 1)
k = hp.int(0, 5)
print("trial line", round(x, 4))
x + k
"""
REPORT = """\
from hpo_lab.notebook import _registry
p = _registry.get("long").panel
view = p.history_view
print(json.dumps({"max": max(sent), "n": len(sent), "rev": view.model.rev,
                  "patches": view.n_patches, "renders": view.n_renders}))
"""


def _write(path: Path) -> None:
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}},
        cells=[nbformat.v4.new_code_cell(s) for s in (SETUP, CELL, "1 + 1", REPORT)],
    )  # fmt: skip
    nbformat.write(nb, path)


def _finished(nb: NotebookPage) -> int:
    text = nb.page.locator(".hpo-panel .hpo-header").first.inner_text()
    m = re.search(rf"(\d+)\s*/\s*{TRIALS} trials", text)
    return int(m.group(1)) if m else -1


def _graph(nb: NotebookPage) -> dict[str, int] | None:
    graph: dict[str, int] | None = nb.page.evaluate(
        """() => {
          const gd = document.querySelector('.hpo-panel .hpo-history-plot .js-plotly-plot');
          if (!gd || !gd.data || !gd.layout.meta) return null;
          return { points: gd.data.reduce((n, t) => n + (t.x ? t.x.length : 0), 0),
                   rev: gd.layout.meta.hpo_rev, patched: window.__hpoLabPatched || 0 };
        }"""
    )
    return graph


@pytest.mark.parametrize("jupyter", ["lab"], indirect=True)
def test_a_long_run_keeps_the_panel_small_and_live(notebook_page: NotebookPage) -> None:
    nb = notebook_page
    page = nb.page
    path = nb.server.root / "long.ipynb"
    _write(path)
    nb.open("long.ipynb")
    nb.run_cell(0)
    nb.wait_executed(0, timeout=120)
    nb.run_cell(1)
    page.locator(".hpo-panel").wait_for(timeout=120_000)
    nb.wait_executed(1, timeout=120)

    # Another cell answers while trials run.
    nb.wait_for(lambda: _finished(nb) >= 200, "200 finished trials in the header", 120)
    nb.run_cell(2)
    took = nb.wait_executed(2, timeout=60)
    print(f"a trivial cell took {took:.2f} s while trials ran")
    assert took < 10

    nb.wait_for(lambda: _finished(nb) == TRIALS, f"{TRIALS} finished trials", 300)
    nb.wait_for(
        lambda: "finished" in page.locator(".hpo-panel .hpo-status").inner_text(),
        "the finished status",
        60,
    )
    nb.run_cell(3)
    nb.wait_executed(3, timeout=120)
    report = json.loads(nb.cell(3).locator(".jp-Cell-outputArea").first.inner_text())
    print("kernel:", report)
    # No message grew with the study: the largest is a bounded render, not 3,000 points.
    assert report["max"] < 200_000, report
    # The page's history is bounded, and in step with the kernel's figure.
    graph = nb.wait_for(
        lambda: (g := _graph(nb)) is not None and g["rev"] == report["rev"] and g,
        "the page's history at the kernel's revision",
        60,
    )
    print("page:", graph)
    assert 0 < graph["points"] <= 1300, graph
    if report["patches"]:
        assert graph["patched"] >= 1, (report, graph)

    # The snapshot for viewers without widgets is in the output, hidden under the live panel.
    static = page.locator(".hpo-static")
    nb.wait_for(lambda: static.count() == 1, "the static snapshot in the output", 60)
    assert not static.is_visible()
    assert page.locator(".hpo-panel .hpo-history-plot").is_visible()

    # The Log tab opens at its newest line.
    page.locator(".hpo-panel .lm-TabBar-tab", has_text="Log").click()
    log = page.locator(".hpo-panel .hpo-log-scroll")
    log.wait_for(timeout=30_000)
    nb.wait_for(lambda: "trial line" in log.inner_text(), "trial lines in the log", 30)
    # Which lines the scrolled box shows: its newest (last) line, not its oldest (first).
    shown = page.evaluate(
        """() => {
          const box = document.querySelector('.hpo-panel .hpo-log-scroll');
          const node = box.querySelector('pre').firstChild;
          const text = node.textContent;
          const seen = (start, end) => {
            const range = document.createRange();
            range.setStart(node, start);
            range.setEnd(node, end);
            const r = range.getBoundingClientRect(), b = box.getBoundingClientRect();
            return r.top >= b.top - 1 && r.bottom <= b.bottom + 1;
          };
          return { overflows: box.scrollHeight > box.clientHeight,
                   first: seen(0, text.indexOf('\\n')),
                   last: seen(text.lastIndexOf('\\n') + 1, text.length) };
        }"""
    )
    assert shown == {"overflows": True, "first": False, "last": True}, shown
    nb.screenshot("long-run-log")

    # The saved notebook stays small.
    page.keyboard.press("Control+S")
    mtime = path.stat().st_mtime
    deadline = time.monotonic() + 60
    while path.stat().st_mtime == mtime and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    size = path.stat().st_size
    print(f"saved notebook: {size / 1024:.0f} KB")
    assert size < 2_000_000

"""The panel's rung view in a real browser (JupyterLab 4): a ``%%hpo --pruner asha`` run, its
learning curves with the rung decisions marked, and the header saying what pruning saved."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat
import pytest

import hpo_lab

if TYPE_CHECKING:
    from tests.browser.conftest import NotebookPage

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]

CELLS = [
    "%load_ext hpo_lab\nimport math, time\nimport hpo_lab",
    '%%hpo rungs --trials 60 --jobs 2 --sampler random --seed 0 --storage rungs.db '
    '--pruner asha --pruner-args "min_resource=1 reduction_factor=3 rank_check=true"\n'
    "u = hp.float(0.0, 1.0)\n"
    "for epoch in range(1, 13):\n"
    "    time.sleep(0.01)\n"
    "    report(u + (1.0 - 2.0 * u) * math.exp(-epoch / 3.0), epoch)\n"
    "    if trial.should_prune():\n"
    "        raise hpo_lab.TrialPruned()\n"
    "u + (1.0 - 2.0 * u) * math.exp(-4.0)",
]


def _legend(nb: NotebookPage) -> list[str]:
    # SVG text has no layout box for inner_text: read its text content.
    return nb.page.locator(".hpo-panel .hpo-curves-plot .legend .legendtext").all_text_contents()


def _header(nb: NotebookPage) -> str:
    return nb.page.locator(".hpo-panel .hpo-header").inner_text()


@pytest.mark.parametrize("jupyter", ["lab"], indirect=True)
def test_the_curves_tab_shows_the_rungs_and_the_header_what_was_saved(
    notebook_page: NotebookPage,
) -> None:
    nb = notebook_page
    root = nb.server.root
    nb_file = nbformat.v4.new_notebook()
    nb_file.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb_file.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }
    nbformat.write(nb_file, root / "rungs.ipynb")
    nb.open("rungs.ipynb")
    nb.run_cell(0)
    nb.wait_executed(0, timeout=120)
    nb.run_cell(1)
    nb.page.locator(".hpo-panel").wait_for(timeout=120_000)
    nb.wait_executed(1, timeout=120)

    def finished() -> bool:
        study = hpo_lab.load_study(study_name="rungs", storage=str(Path(root) / "rungs.db"))
        return sum(t.state.is_finished() for t in study.trials) == 60

    nb.wait_for(finished, "60 finished trials", 240)
    study = hpo_lab.load_study(study_name="rungs", storage=str(Path(root) / "rungs.db"))
    assert not any(t.state == hpo_lab.TrialState.FAIL for t in study.trials)
    nb.page.locator(".hpo-panel .lm-TabBar-tab", has_text="Curves").click()
    nb.wait_for(lambda: "promoted" in _legend(nb), "rung marks in the curves' legend", 60)
    legend = _legend(nb)
    decisions = [d for t in study.trials for d in t.decisions]
    if any(d.prune for d in decisions):
        assert "stopped" in legend
    if any("relaxed" in d.details for d in decisions):
        assert "promoted (rung relaxed)" in legend
    spent = sum(t.last_step or 0 for t in study.trials)
    saved = 1 - spent / (12 * len(study.trials))
    # The header refreshes on its own clock: wait for the one that counts all 60 trials.
    header = nb.wait_for(
        lambda: h if "60/60 trials" in (h := _header(nb)) else None, "the final header", 60
    )
    assert re.search(rf"saved {saved:.0%} of steps", header), header
    # These curves cross: the rank check relaxes the first rung and the header says so.
    assert "pruning relaxed at step 1 (Spearman" in header
    nb.screenshot("panel-rungs")

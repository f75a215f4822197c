"""A notebook with ``%%hpo`` panels executed headlessly (``jupyter nbconvert --execute``'s
nbclient, a real kernel) stays small: no FigureWidget JavaScript or plotly.js is saved once per
figure, while the static snapshot is kept for viewers without widgets."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

CELLS = [
    "%load_ext hpo_lab",
    "%%hpo demo --trials 8 --jobs 2 --seed 0\n"
    "x = trial.suggest_float('x', -1, 1)\n"
    "k = trial.suggest_int('k', 0, 3)\n"
    "x * x + k",
    "%hpo wait demo",
    "%hpo warm demo2 --from demo x=-0.5:0.5",
    "%hpo wait demo2",
]


def test_an_executed_notebook_with_two_panels_stays_small(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    errors = [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    text = nbformat.writes(nb)
    assert len(text) < 2_000_000, f"the executed notebook has {len(text)} bytes"
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    sizes = {mid: len(json.dumps(m)) for mid, m in state.items()}
    biggest = max(sizes, key=sizes.__getitem__)
    assert sizes[biggest] < 200_000, (state[biggest]["model_name"], sizes[biggest])
    # Both panels are in the widget state, and both snapshots in the cell outputs.
    panels = [
        o
        for c in nb.cells
        for o in c.outputs
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    snapshots = [
        o
        for c in nb.cells
        for o in c.outputs
        if "hpo-static" in o.get("data", {}).get("text/html", "")
    ]
    assert len(panels) == 2 and len(snapshots) == 2
    assert all(o.data["text/html"].count("cdn.plot.ly") == 1 for o in snapshots)

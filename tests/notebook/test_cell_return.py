"""The ``%%hpo`` cell returns before plotly is imported and the panel's figures are built.

In a fresh interpreter (plotly not yet imported) with a real IPython ``InteractiveShell``, an
import hook holds every import of plotly until the test lets it go, and records the thread that
asked. If the cell's return waited for plotly, the cell would not return while the hook holds
it (the subprocess times out); if the main thread imported plotly, the record says so. Checked
through state (the hook's record, ``Panel.figures_built``, the tab's "loading plots" note), not
through a timing.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

SCRIPT = textwrap.dedent(
    """
    import importlib.abc
    import sys
    import threading
    import time

    assert "plotly" not in sys.modules
    release = threading.Event()
    askers = []


    class HoldPlotly(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "plotly":
                askers.append(threading.current_thread().name)
                if not release.wait(60):
                    raise ImportError("plotly was held for 60 s")
            return None


    sys.meta_path.insert(0, HoldPlotly())

    from IPython.core.interactiveshell import InteractiveShell

    from hpo_lab.notebook import _registry

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "hpo_lab")
    result = ip.run_cell(
        "%%hpo quick --trials 6 --seed 0\\n"
        "x = trial.suggest_float('x', 0, 1)\\n"
        "(x - 0.3) ** 2\\n"
    )
    assert result.success, result.error_in_exec
    panel = _registry.get("quick").panel
    assert panel is not None
    # The cell has returned; plotly is still held, so no figure can exist yet.
    assert "MainThread" not in askers, askers
    assert not panel.figures_built
    assert "plotly" not in sys.modules
    note = panel.tabs.children[0].children[0]
    assert "loading plots" in note.value, note
    assert panel.status.value in ("running", "finished"), panel.status.value
    # Let plotly import: the bridge thread builds the figures and shows every trial.
    release.set()
    deadline = time.monotonic() + 60
    while not panel.figures_built:
        assert time.monotonic() < deadline, "the bridge thread built no figures in 60 s"
        time.sleep(0.05)
    assert askers and all(name.startswith("hpo-panel-bridge") for name in askers), askers
    assert panel.run.wait(60)
    deadline = time.monotonic() + 60
    while True:
        view = panel.tabs.children[0].children[0]
        figure = panel.history_view.figure
        points = sum(len(t.x or ()) for t in figure.data if t.legendgroup == "complete")
        if view is panel.history_view.widget and points == 6:
            break
        assert time.monotonic() < deadline, (view, [t.legendgroup for t in figure.data], points)
        time.sleep(0.05)
    panel.close()
    print("ok", askers[0])
    """
)


def test_hpo_cell_returns_before_plotly_is_imported_or_figures_are_built() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("ok hpo-panel-bridge"), proc.stdout + proc.stderr

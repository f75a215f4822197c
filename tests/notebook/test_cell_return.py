"""The ``%%hpo`` cell returns before plotly is imported, and only the bridge thread imports it.

In a fresh interpreter (plotly not yet imported) with a real IPython ``InteractiveShell``, an
import hook holds every import of plotly until the test lets it go, and records the thread that
asked. If the cell's return waited for plotly, the cell would not return while the hook holds
it (the subprocess times out); if the main thread imported plotly, the record says so. The live
history is plain data, so it fills while plotly is still held. Checked through state (the
hook's record, ``Panel.figures_built``, the figure's points), not through a timing.
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
    # The cell has returned while plotly is held: it did not wait for plotly.
    assert "plotly" not in sys.modules
    assert panel.status.value in ("running", "finished"), panel.status.value
    # The live figures are plain data: the bridge thread builds and fills them without
    # plotly (heavy plots and the static snapshot import it later, on that thread).
    deadline = time.monotonic() + 60
    while True:
        view = panel.tabs.children[0].children[0] if panel.figures_built else None
        traces = panel.history_view.model.traces if view is not None else []
        points = sum(len(t["x"]) for t in traces if t["legendgroup"] == "complete")
        if view is panel.history_view.widget and points == 6:
            break
        assert time.monotonic() < deadline, (view, points)
        time.sleep(0.05)
    assert "plotly" not in sys.modules and all(
        name.startswith("hpo-panel-bridge") for name in askers
    ), askers
    release.set()  # the run has ended: the static snapshot imports plotly, on the bridge
    assert panel.run.wait(60)
    deadline = time.monotonic() + 60
    while "hpo-static" not in panel.static_html:
        assert time.monotonic() < deadline, "no static snapshot in 60 s"
        time.sleep(0.05)
    assert askers and all(name.startswith("hpo-panel-bridge") for name in askers), askers
    panel.close()
    print("ok", askers[0])
    """
)


def test_hpo_cell_returns_before_plotly_is_imported_and_only_the_bridge_imports_it() -> None:
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

"""``benchmarks/panel_scale.py`` (run by hand: it drives JupyterLab in Chromium for minutes):
its arguments are checked, and its table says what it measured."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "panel_scale.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("panel_scale", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_bad_arguments_are_one_line_errors() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--trials", "10"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert (
        "--trials must be >= 100, --probes and --repeat >= 1, but got 10, 30 and 3" in out.stderr
    )


def test_the_table_pools_probes_from_half_of_n_and_takes_medians_of_the_rest() -> None:
    m = _module()
    idle = m.Result(m.IDLE, probes=[(0, 10.0), (0, 20.0), (0, 30.0)])
    panel = [
        m.Result(
            "panel",
            probes=[(10, 999.0), (600, 40.0), (900, 60.0)],  # the first is before N / 2
            info={"n": 2000, "span": span, "rss_growth": mem, "saved_bytes": 2048},
        )
        for span, mem in ((2.0, 50.0), (4.0, 70.0), (1.0, 60.0))
    ]
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
        for line in m.table([idle, *panel], 1000).splitlines()[2:]
    }
    assert rows[m.IDLE][:4] == ["20", "", "30", ""]
    # Probes pooled (40, 60 three times over: median 50), rates 1000, 500, 2000 (median 1000).
    assert rows["panel"] == ["50", "+30", "60", "+30", "1000", "60", "2"]

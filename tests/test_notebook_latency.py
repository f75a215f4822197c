"""The notebook latency benchmark runs end to end (quick mode) through a real kernel."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "notebook_latency.py"


@pytest.mark.slow
def test_quick_run_prints_a_table_with_a_live_run(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=240,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [line.split("|")[1:-1] for line in out.stdout.splitlines() if line.startswith("| ")]
    header, *body = rows
    assert "round trip, median (ms)" in header[2]
    cells = {r[0].strip(): [c.strip() for c in r[1:]] for r in body}
    assert set(cells) == {
        "no run (baseline)",
        "SVC on digits (quickstart), 2 threads, panel",
    }
    baseline = cells["no run (baseline)"]
    live = cells["SVC on digits (quickstart), 2 threads, panel"]
    assert baseline[0] == "" and float(live[0]) > 0  # the %%hpo cell's own time
    for cell in (baseline, live):
        median, p95, worst = (float(x) for x in cell[1:4])
        assert 0 < median <= p95 <= worst
    # Trials really ran while the trivial cells were timed.
    assert int(live[4]) > 0
    assert re.search(r"^Machine: \d+ cores", out.stdout, re.M)


def test_bad_arguments_are_one_line_errors() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--executes", "0"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "--executes must be >= 1 and --pause >= 0, but got 0 and 0.05" in out.stderr

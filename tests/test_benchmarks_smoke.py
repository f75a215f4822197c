"""The overhead benchmark runs end to end (tiny sizes) and prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_overhead_quick_prints_a_table(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "overhead.py"), "--quick"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=240,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [line.split("|")[1:-1] for line in out.stdout.splitlines() if line.startswith("| ")]
    header, *body = rows
    assert [c.strip() for c in header][:2] == ["storage", "library"]
    cells = {(r[0].strip(), r[1].strip()): [c.strip() for c in r[2:]] for r in body}
    assert set(cells) == {
        ("in-memory", "hpo_lab"), ("in-memory", "optuna"), ("SQLite", "hpo_lab"),
        ("SQLite", "optuna"),
    }
    for (_, library), (median, spread, ratio) in cells.items():
        assert float(median) > 0
        low, high = (float(x) for x in spread.split(" - "))
        assert low <= float(median) <= high
        assert (ratio != "") == (library == "hpo_lab")
    assert "Machine: " in out.stdout


def test_overhead_rejects_bad_sizes() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "overhead.py"), "--trials", "0"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "--trials and --repeats must be >= 1, but got 0 and 5" in out.stderr

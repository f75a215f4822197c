"""``benchmarks/multifidelity.py --quick`` runs end to end in seconds and prints its tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _cells(text: str) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    problem = ""
    for line in text.split("#### Targets")[0].splitlines():
        if line.startswith("#### "):
            problem = line.split()[1]
        elif line.startswith("| ") and not line.startswith("| method"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            out[(problem, cells[0])] = cells[1:]
    return out


def test_quick_run_prints_a_table_per_problem(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "multifidelity.py"), "--quick",
         "--cache-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    cells = _cells(out.stdout)
    problems = {p for p, _ in cells}
    assert problems == {"synthetic-smooth", "synthetic-crossing"}
    # The targets: a row per problem, and the model-based Hyperband count over the problems
    # where both it and plain Hyperband ran (neither does in the quick run).
    targets = out.stdout.split("#### Targets")[1].split("####")[0]
    rows = [line.split("|")[1].strip() for line in targets.splitlines()
            if line.startswith("| ") and not line.startswith("| problem")]
    assert rows == ["synthetic-smooth", "synthetic-crossing"]
    assert "plain Hyperband (median final regret) on 0 of 0 problems" in out.stdout
    # Model-based Hyperband against no pruning, seed by seed: the counts cover both seeds.
    table = out.stdout.split("#### `mbhb/hyperband` against `auto/none`")[1].split("####")[0]
    counts = {}
    for line in table.splitlines():
        parts = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| synthetic"):
            counts[parts[0]] = [int(c) for c in parts[2:5]]
            assert parts[6] == "2"
    assert set(counts) == {"synthetic-smooth", "synthetic-crossing"}
    assert all(sum(c) == 2 for c in counts.values())
    for (_, method), row in cells.items():
        epochs, _, _, reached, third, full, trials, seeds = row
        assert seeds == "2"
        n_reached = int(reached.split("/")[0])
        # The median of two seeds is finite only when both reached the target.
        assert (epochs == "not reached") == (n_reached < 2)
        for regret in (third, full):
            assert regret == "not reached" or float(regret) >= 0
        if method.split("/")[1] == "none":
            assert float(trials) == 8  # 8 full trials: the whole budget
        else:
            assert float(trials) >= 8  # pruning buys more trials for the same epochs
    # A second run reads everything from the cache.
    again = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "multifidelity.py"), "--quick",
         "--cache-dir", str(tmp_path), "--table"],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )
    assert again.returncode == 0 and _cells(again.stdout) == cells


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "multifidelity.py"), "--methods", "bogus/x",
         "--cache-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 2 and "unknown methods" in out.stderr

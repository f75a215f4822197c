"""The overhead benchmark runs end to end (tiny sizes) and prints its table."""

from __future__ import annotations

import json
import math
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
        ("in-memory", "hpo_lab"),
        ("in-memory", "optuna"),
        ("SQLite", "hpo_lab"),
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


def _bench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, timeout=240
    )


def test_samplers_quick_runs_every_method_and_resumes_from_the_cache(tmp_path: Path) -> None:
    script = str(ROOT / "benchmarks" / "samplers.py")
    cache = str(tmp_path / "cache")
    first = _bench(script, "--quick", "--cache-dir", cache, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    methods = ["random", "tpe", "gp", "auto", "optuna-tpe", "hyperopt-tpe"]
    for problem in ("branin", "mixed"):
        for method in methods:
            for seed in (0, 1):
                assert f"{problem} {method} seed {seed}: best " in first.stderr
        assert len(list((tmp_path / "cache" / problem).glob("*-v[0-9]*-seed*.json"))) == 12
    rows = {
        line.split("|")[1].strip(): line.split("|")[2:-1]
        for line in first.stdout.splitlines()
        if line.startswith("| ")
    }
    overall = first.stdout.split("### Overall mean rank")[1].split("###")[0]
    ranks = {
        line.split("|")[1].strip(): float(line.split("|")[2])
        for line in overall.splitlines()
        if line.startswith("| ") and line.split("|")[1].strip() in methods
    }
    assert set(ranks) == set(methods)
    # Six methods ranked per seed: the ranks average to 3.5 (printed with two decimals, so
    # each is off by at most 0.005).
    assert abs(sum(ranks.values()) / len(ranks) - 3.5) <= 0.005 + 1e-9
    assert set(methods) <= set(rows)
    assert "optuna-gp" not in first.stdout
    assert "Wilcoxon" in first.stdout

    again = _bench(script, "--quick", "--cache-dir", cache, "--table", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert "seed 0: best" not in again.stderr


def test_samplers_runs_smac_and_the_gp_ablations_on_a_conditional_space(tmp_path: Path) -> None:
    script = str(ROOT / "benchmarks" / "samplers.py")
    out = _bench(
        script, "--problems", "mixed", "pipeline_cancer", "--methods", "smac", "gp-trust",
        "gp-global", "--seeds", "0", "--trials", "12", "--cache-dir", str(tmp_path / "c"),
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "skipping" not in out.stderr  # smac is a dev dependency: present, not skipped
    for problem in ("mixed", "pipeline_cancer"):
        for method in ("smac", "gp-trust", "gp-global"):
            record = json.loads(
                next((tmp_path / "c" / problem).glob(f"{method}-v[0-9]*-seed0.json")).read_text()
            )
            # Twelve finite values: SMAC's configurations (conditional parameters included)
            # reached the objective through the benchmark's translation every time.
            assert len(record["values"]) == 12
            assert all(math.isfinite(v) for v in record["values"])
    assert "| smac |" in out.stdout and "smac 2." in out.stdout


def test_samplers_rejects_bad_arguments(tmp_path: Path) -> None:
    out = _bench(str(ROOT / "benchmarks" / "samplers.py"), "--trials", "0", cwd=tmp_path)
    assert out.returncode == 2
    assert "--trials must be >= 1, but got 0" in out.stderr


def test_warm_start_quick_prints_a_table(tmp_path: Path) -> None:
    out = _bench(str(ROOT / "benchmarks" / "warm_start.py"), "--quick", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [line.split("|")[1:-1] for line in out.stdout.splitlines() if line.startswith("| ")]
    assert [r[0].strip() for r in rows[1:]] == ["branin", "mixed"]
    for _, child, cold, wins in rows[1:]:
        assert "reached)" in child and "reached)" in cold
        faster, slower = (int(x) for x in wins.split("/"))
        assert faster + slower <= 2
    assert "The child's median is lower on " in out.stdout


def test_tpe_categorical_prints_paired_comparisons(tmp_path: Path) -> None:
    out = _bench(
        str(ROOT / "benchmarks" / "tpe_categorical.py"), "--problems", "nas_cells", "--seeds",
        "3", "--trials", "30", "--variants", "default", "bw=0", "bw=0.2", "--jobs", "1",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [
        [c.strip() for c in line.split("|")[1:-1]]
        for line in out.stdout.splitlines() if line.startswith("| nas_cells")
    ]
    assert [r[1] for r in rows] == ["default", "bw=0", "bw=0.2"]
    for _, variant, *regrets, versus in rows:
        assert all(float(r) >= 0 for r in regrets)
        if variant == "default":
            assert versus == ""
        else:
            better, worse = (int(x) for x in versus.split(",")[0].split("/"))
            assert better + worse <= 3 and "p = " in versus


def _table_rows(stdout: str, problem: str) -> list[list[str]]:
    return [
        [c.strip() for c in line.split("|")[1:-1]]
        for line in stdout.splitlines() if line.startswith(f"| {problem}")
    ]


def test_gp_variants_change_what_they_name_and_pair_with_the_default(tmp_path: Path) -> None:
    script = str(ROOT / "benchmarks" / "gp_variants.py")
    out = _bench(
        script, "--problems", "branin", "--seeds", "0-1",
        "--variants", "default", "deterministic", "roulette-candidates", "onehot-1", cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    rows = _table_rows(out.stdout, "branin")
    assert [r[1] for r in rows] == ["default", "deterministic", "roulette-candidates", "onehot-1"]
    regret = {r[1]: float(r[3]) for r in rows}
    assert all(v >= 0 for v in regret.values())
    # Fixed noise and extra acquisition candidates change the runs; Branin has no categorical
    # parameter, so the one-hot scale changes nothing.
    assert regret["deterministic"] != regret["default"]
    assert regret["roulette-candidates"] != regret["default"]
    assert regret["onehot-1"] == regret["default"]
    assert rows[3][6].startswith("0 / 0")

    # A variant that patches an internal undoes it: the default run after it is the default.
    out = _bench(
        script, "--problems", "branin", "--seeds", "0-1",
        "--variants", "no-target-warp", "default", cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    after = {r[1]: float(r[3]) for r in _table_rows(out.stdout, "branin")}
    assert after["no-target-warp"] != regret["default"]
    assert after["default"] == regret["default"]

    out = _bench(
        script, "--problems", "branin", "--seeds", "0",
        "--jobs", "2", "--stuck", "0.05", "--variants", "default", "believer-0", cwd=tmp_path,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    rows = _table_rows(out.stdout, "branin")
    # Parallel runs are not reproducible: nothing is paired.
    assert [(r[1], r[2], r[6]) for r in rows] == [("default", "1", ""), ("believer-0", "1", "")]

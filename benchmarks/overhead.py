"""Framework overhead per trial: hpo_lab against Optuna, random sampling, ask + tell.

Each trial asks, suggests three parameters (a float, a log-scaled int and a categorical),
evaluates a trivial objective and tells the value, so the time measured is the framework's
bookkeeping alone. Four configurations run side by side in one process:

* hpo_lab ``RandomSampler`` with the in-memory storage and with a SQLite file;
* Optuna ``RandomSampler`` with its in-memory storage and with ``sqlite:///`` (RDB storage).

Every repeat uses a new seed and a new database file and runs the four configurations in a
rotated order, so that drift on a shared machine does not favour one of them. The table gives
the median time per trial over the repeats (and the fastest and slowest repeat) and the ratio
hpo_lab / Optuna for the same storage.

Usage:
    python benchmarks/overhead.py [--trials 1000] [--repeats 5] [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import hpo_lab
from hpo_lab.samplers import RandomSampler

CHOICES = ("relu", "tanh", "gelu")

Runner = Callable[[int, int, str], float]


def _objective_value(x: float, n: int, act: str) -> float:
    return x * x + n * 1e-3 + CHOICES.index(act)


def run_hpo_lab(n_trials: int, seed: int, storage: str | None) -> float:
    """Seconds for ``n_trials`` ask/suggest/tell rounds in hpo_lab."""
    study = hpo_lab.create_study(storage=storage, sampler=RandomSampler(seed=seed))
    start = time.perf_counter()
    for _ in range(n_trials):
        trial = study.ask()
        x = trial.suggest_float("x", -10.0, 10.0)
        n = trial.suggest_int("n", 1, 1024, log=True)
        act = trial.suggest_categorical("act", CHOICES)
        study.tell(trial, _objective_value(x, n, act))
    elapsed = time.perf_counter() - start
    if len(study.trials) != n_trials:
        raise RuntimeError(f"hpo_lab stored {len(study.trials)} trials, expected {n_trials}")
    study.storage.close()
    return elapsed


def run_optuna(n_trials: int, seed: int, storage: str | None) -> float:
    """Seconds for ``n_trials`` ask/suggest/tell rounds in Optuna."""
    import optuna

    study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=seed))
    start = time.perf_counter()
    for _ in range(n_trials):
        trial = study.ask()
        x = trial.suggest_float("x", -10.0, 10.0)
        n = trial.suggest_int("n", 1, 1024, log=True)
        act = trial.suggest_categorical("act", CHOICES)
        study.tell(trial, _objective_value(x, n, act))
    elapsed = time.perf_counter() - start
    if len(study.trials) != n_trials:
        raise RuntimeError(f"Optuna stored {len(study.trials)} trials, expected {n_trials}")
    return elapsed


CONFIGS: list[tuple[str, str, Runner, bool]] = [
    # (library, storage label, runner, uses a file)
    ("hpo_lab", "in-memory", lambda n, s, path: run_hpo_lab(n, s, None), False),
    ("optuna", "in-memory", lambda n, s, path: run_optuna(n, s, None), False),
    ("hpo_lab", "SQLite", lambda n, s, path: run_hpo_lab(n, s, path), True),
    ("optuna", "SQLite", lambda n, s, path: run_optuna(n, s, f"sqlite:///{path}"), True),
]


def measure(n_trials: int, repeats: int, sqlite: bool) -> dict[tuple[str, str], list[float]]:
    """Milliseconds per trial of every configuration, one value per repeat."""
    configs = [c for c in CONFIGS if sqlite or not c[3]]
    results: dict[tuple[str, str], list[float]] = {(lib, st): [] for lib, st, _, _ in configs}
    with tempfile.TemporaryDirectory(prefix="hpo_overhead_") as tmp:
        for rep in range(repeats):
            order = configs[rep % len(configs) :] + configs[: rep % len(configs)]
            for lib, st, runner, _ in order:
                path = os.path.join(tmp, f"{lib}-{rep}.db")
                seconds = runner(n_trials, rep, path)
                results[(lib, st)].append(1000.0 * seconds / n_trials)
    return results


def _fmt(ms: float) -> str:
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}"


def table(results: dict[tuple[str, str], list[float]]) -> str:
    """A Markdown table: median (min-max) ms per trial, and hpo_lab / Optuna per storage."""
    lines = [
        "| storage | library | ms per trial, median | fastest - slowest repeat | hpo_lab / optuna |",
        "|---|---|---:|---:|---:|",
    ]
    for storage in ("in-memory", "SQLite"):
        if ("hpo_lab", storage) not in results:
            continue
        ours = statistics.median(results[("hpo_lab", storage)])
        theirs = statistics.median(results[("optuna", storage)])
        for lib in ("hpo_lab", "optuna"):
            values = results[(lib, storage)]
            ratio = f"{ours / theirs:.2f}" if lib == "hpo_lab" else ""
            lines.append(
                f"| {storage} | {lib} | {_fmt(statistics.median(values))} | "
                f"{_fmt(min(values))} - {_fmt(max(values))} | {ratio} |"
            )
    return "\n".join(lines)


def machine() -> str:
    """A one-line description of the interpreter and machine."""
    import optuna

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"hpo_lab {hpo_lab.__version__}, optuna {optuna.__version__}, "
        f"SQLite {__import__('sqlite3').sqlite_version}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000, help="trials per run (default 1000)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats, one seed each (default 5)")
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 20 trials, 1 repeat (overrides both)"
    )
    parser.add_argument("--no-sqlite", action="store_true", help="in-memory storages only")
    args = parser.parse_args(argv)
    n_trials, repeats = (20, 1) if args.quick else (args.trials, args.repeats)
    if n_trials < 1 or repeats < 1:
        parser.error(f"--trials and --repeats must be >= 1, but got {n_trials} and {repeats}")

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("hpo_lab").setLevel(logging.WARNING)

    results = measure(n_trials, repeats, sqlite=not args.no_sqlite)
    print(f"Overhead per trial: {n_trials} trials x {repeats} repeats, "
          f"ask + 3 suggests + tell, random sampling")
    print(f"Machine: {machine()}")
    print(f"Date: {datetime.date.today().isoformat()}")
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())


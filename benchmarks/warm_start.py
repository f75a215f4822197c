"""Warm start, measured: does a child study reach its parent's best value sooner than a cold one?

For each synthetic problem of ``benchmarks/samplers.py`` and each seed: a parent study runs
``--parent-trials`` trials with the default sampler (:class:`~hpo_lab.samplers.AutoSampler`,
seed ``s``); then a child created with ``warm_start_from=parent`` and a cold study (both
AutoSampler with seed ``s + 1000``) each run until one of their own trials is at least as good
as the parent's best value, or ``--budget`` trials. The table gives, per problem, the median
number of trials to reach it ("not reached" counts as ``budget + 1`` in the median and is
shown as ">budget"), how many seeds reached it, and for how many seeds the child was faster.

Usage:
    nice -n 10 python benchmarks/warm_start.py [--problems ...] [--seeds 0-9]
        [--parent-trials 50] [--budget 50]
    python benchmarks/warm_start.py --quick   # 2 problems, 2 seeds, 15 + 15 trials
"""

from __future__ import annotations

import argparse
import logging
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from samplers import PROBLEMS, Problem, _seeds, suggest_all

import hpo_lab
from hpo_lab.samplers import AutoSampler

SYNTHETIC = [name for name, p in PROBLEMS.items() if not p.real]


def trials_to_reach(
    study: hpo_lab.Study, problem: Problem, target: float, budget: int
) -> int | None:
    """Own trials ``study`` needs until a value <= ``target`` (``None``: not within ``budget``)."""
    for k in range(1, budget + 1):
        trial = study.ask()
        value = problem.function(suggest_all(trial, problem))
        study.tell(trial, value)
        if value <= target:
            return k
    return None


def measure(
    problem: Problem, seed: int, parent_trials: int, budget: int
) -> tuple[int | None, int | None]:
    """(child, cold) trials to reach the parent's best value for one seed."""
    parent = hpo_lab.create_study(sampler=AutoSampler(seed=seed))
    parent.optimize(lambda t: problem.function(suggest_all(t, problem)), n_trials=parent_trials)
    target = parent.best_value
    child = hpo_lab.create_study(sampler=AutoSampler(seed=seed + 1000), warm_start_from=parent)
    cold = hpo_lab.create_study(sampler=AutoSampler(seed=seed + 1000))
    return (
        trials_to_reach(child, problem, target, budget),
        trials_to_reach(cold, problem, target, budget),
    )


def _cell(counts: list[int | None], budget: int) -> str:
    med = statistics.median([budget + 1 if c is None else c for c in counts])
    reached = sum(c is not None for c in counts)
    text = f">{budget}" if med > budget else f"{med:g}"
    return f"{text} ({reached}/{len(counts)} reached)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", choices=SYNTHETIC, default=SYNTHETIC)
    parser.add_argument("--seeds", type=_seeds, default=list(range(10)))
    parser.add_argument("--parent-trials", type=int, default=50)
    parser.add_argument("--budget", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="2 problems, 2 seeds, 15 + 15 trials")
    args = parser.parse_args(argv)
    if args.quick:
        args.problems, args.seeds, args.parent_trials, args.budget = (
            ["branin", "mixed"],
            [0, 1],
            15,
            15,
        )
    if args.parent_trials < 1 or args.budget < 1:
        parser.error(
            "--parent-trials and --budget must be >= 1, but got "
            f"{args.parent_trials} and {args.budget}"
        )
    logging.getLogger("hpo_lab").setLevel(logging.WARNING)
    rows = []
    faster_problems = 0
    for name in args.problems:
        child_counts: list[int | None] = []
        cold_counts: list[int | None] = []
        start = time.perf_counter()
        for seed in args.seeds:
            child, cold = measure(PROBLEMS[name], seed, args.parent_trials, args.budget)
            child_counts.append(child)
            cold_counts.append(cold)
        big = args.budget + 1
        wins = sum((c or big) < (k or big) for c, k in zip(child_counts, cold_counts))
        losses = sum((c or big) > (k or big) for c, k in zip(child_counts, cold_counts))
        child_med = statistics.median([c or big for c in child_counts])
        cold_med = statistics.median([k or big for k in cold_counts])
        faster_problems += child_med < cold_med
        rows.append(
            f"| {name} | {_cell(child_counts, args.budget)} | "
            f"{_cell(cold_counts, args.budget)} | {wins} / {losses} |"
        )
        print(f"{name}: {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    print(
        f"Trials to reach the best value of a {args.parent_trials}-trial parent (AutoSampler), "
        f"median over seeds {args.seeds[0]}-{args.seeds[-1]}, budget {args.budget}:\n"
    )
    print("| problem | warm-started child | cold study | seeds child faster / slower |")
    print("|---|---:|---:|---:|")
    print("\n".join(rows))
    print(f"\nThe child's median is lower on {faster_problems} of {len(rows)} problems.")
    print(f"Machine: {platform.machine()}, Python {platform.python_version()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

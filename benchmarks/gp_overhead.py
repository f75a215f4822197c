"""GP sampler overhead (ms per ask) and a quick quality check, hpo_lab against Optuna.

Overhead: a study is filled with ``n`` random trials of the 6-d Hartmann function, then the GP
sampler is switched on and ``--asks`` ask/tell rounds are timed (each round adds one finished
trial). The first ask fits the hyperparameters from scratch; later ones start from the previous
fit, as in a real run. Both libraries run in the same process, in alternating order, on the same
points. The table gives the median ms per ask (and the first, cold ask) and the ratio.

Quality (``--quality``): median best value over seeds after ``--trials`` trials on Branin and
Hartmann-6 for hpo_lab GP, Optuna GPSampler and random search.

Optuna's GPSampler needs torch (the ``benchmarks`` extra).

Usage:
    python benchmarks/gp_overhead.py [--sizes 100 300] [--asks 7]
    python benchmarks/gp_overhead.py --quality [--seeds 5] [--trials 60]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from collections.abc import Callable

import numpy as np
from _functions import BRANIN_MIN, HARTMANN6_MIN, branin, hartmann6

import hpo_lab
from hpo_lab.samplers import RandomSampler
from hpo_lab.samplers._gp import GPSampler


def _h6_params(trial: object) -> np.ndarray:
    return np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)])  # type: ignore[attr-defined]


def hpo_objective_h6(trial: hpo_lab.Trial) -> float:
    return hartmann6(_h6_params(trial))


def hpo_objective_branin(trial: hpo_lab.Trial) -> float:
    return branin(trial.suggest_float("x1", -5.0, 10.0), trial.suggest_float("x2", 0.0, 15.0))


def time_hpo_lab(n: int, asks: int, seed: int) -> list[float]:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=seed))
    study.optimize(hpo_objective_h6, n_trials=n)
    study.sampler = GPSampler(seed=seed)
    out = []
    for _ in range(asks):
        start = time.perf_counter()
        trial = study.ask()
        x = _h6_params(trial)
        out.append(time.perf_counter() - start)
        study.tell(trial, hartmann6(x))
    return out


def time_optuna(n: int, asks: int, seed: int) -> list[float]:
    import optuna

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(lambda t: hartmann6(_h6_params(t)), n_trials=n)
    study.sampler = optuna.samplers.GPSampler(seed=seed)
    out = []
    for _ in range(asks):
        start = time.perf_counter()
        trial = study.ask()
        x = _h6_params(trial)
        out.append(time.perf_counter() - start)
        study.tell(trial, hartmann6(x))
    return out


def overhead(sizes: list[int], asks: int, seed: int) -> None:
    print(f"GP ask overhead, Hartmann-6, {asks} asks after n random trials (ms)\n")
    print("| n | hpo_lab median | hpo_lab mean | hpo_lab first | Optuna median | Optuna mean "
          "| Optuna first | ratio of medians | ratio of means |")
    print("|---|---|---|---|---|---|---|---|---|")
    for i, n in enumerate(sizes):
        runs: dict[str, list[float]] = {}
        order: list[tuple[str, Callable[[int, int, int], list[float]]]] = [
            ("hpo", time_hpo_lab), ("optuna", time_optuna)]
        for name, fn in order if i % 2 == 0 else order[::-1]:
            runs[name] = [1e3 * t for t in fn(n, asks, seed)]
        h, o = runs["hpo"], runs["optuna"]
        hm, om = statistics.median(h[1:]), statistics.median(o[1:])
        ha, oa = statistics.mean(h[1:]), statistics.mean(o[1:])
        print(f"| {n} | {hm:.1f} | {ha:.1f} | {h[0]:.1f} | {om:.1f} | {oa:.1f} | {o[0]:.1f} "
              f"| {hm / om:.3f} | {ha / oa:.3f} |", flush=True)


def quality(seeds: int, trials: int) -> None:
    import optuna

    problems = {
        "branin": (hpo_objective_branin, BRANIN_MIN),
        "hartmann6": (hpo_objective_h6, HARTMANN6_MIN),
    }
    print(f"\nMedian best value over {seeds} seeds after {trials} trials (regret = best - f*)\n")
    print("| problem | hpo_lab GP | Optuna GP | random | hpo_lab GP s/run | Optuna GP s/run |")
    print("|---|---|---|---|---|---|")
    for pname, (objective, fmin) in problems.items():
        res: dict[str, list[float]] = {"gp": [], "optuna": [], "random": []}
        secs: dict[str, list[float]] = {"gp": [], "optuna": []}
        for seed in range(seeds):
            start = time.perf_counter()
            s = hpo_lab.create_study(sampler=GPSampler(seed=seed))
            s.optimize(objective, n_trials=trials)
            secs["gp"].append(time.perf_counter() - start)
            res["gp"].append(s.best_value - fmin)
            start = time.perf_counter()
            o = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=seed))
            o.optimize(objective, n_trials=trials)  # the objectives only call suggest_float
            secs["optuna"].append(time.perf_counter() - start)
            res["optuna"].append(o.best_value - fmin)
            r = hpo_lab.create_study(sampler=RandomSampler(seed=seed))
            r.optimize(objective, n_trials=trials)
            res["random"].append(r.best_value - fmin)
        med = {k: statistics.median(v) for k, v in res.items()}
        print(f"| {pname} | {med['gp']:.4g} | {med['optuna']:.4g} | {med['random']:.4g} "
              f"| {statistics.median(secs['gp']):.1f} | {statistics.median(secs['optuna']):.1f} |",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--asks", type=int, default=21)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--trials", type=int, default=60)
    args = parser.parse_args()
    logging.getLogger("optuna").setLevel(logging.WARNING)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.quality:
        quality(args.seeds, args.trials)
    else:
        overhead(args.sizes, args.asks, args.seed)


if __name__ == "__main__":
    main()

"""TPE: sampler overhead per trial and a quick quality check, hpo_lab against Optuna.

Overhead: a study is first filled with ``n`` finished random trials (Hartmann-6 for 6
parameters, a 20-d sphere for 20), then its sampler is swapped for TPE and each further trial
(ask, suggest every parameter, tell) is timed. hpo_lab and Optuna run in the same process in
alternating blocks, so that drift on a shared machine hits both alike; TPE runs with its defaults (multivariate) and univariate; the table gives the
median ms per trial and the ratio hpo_lab / Optuna.

Summarized bad group (``--regret``): hpo_lab TPE with its default ``max_bad_kernels`` against
the same TPE fitted on every observation, on problems of ``benchmarks/samplers.py``, same seeds.

Quality (``--quality``): median best value over seeds after 100 trials on Branin (2-d) and
Hartmann-6 (6-d) for hpo_lab TPE (default multivariate, and univariate), Optuna TPE (default
multivariate, and univariate) and random search. Both libraries default to the joint model.

Every parameter kind (``--kinds``): the same side-by-side timing at ``--kind-trials`` (2,000)
finished trials for six parameters of one kind (floats, log-floats, integers 0-100, log-integers
1-1024, integers 1-8, floats with step 0.01, categoricals of five choices) and a mixed space of
all of them, against Optuna's TPE. ``--max-bad-kernels none`` times hpo_lab's TPE without the
summarized bad group, i.e. the Parzen estimators on every observation.

Long studies (``--long``): one study per sampler (hpo_lab TPE, hpo_lab AutoSampler, Optuna
TPE) grows to 10,000 trials; at 1,000, 5,000 and 10,000 finished trials a window of 100
trials is timed, the three samplers taking turns in blocks of 10 (between windows the
studies are filled with random trials, which costs the same for every sampler).

Usage:
    python benchmarks/tpe_overhead.py [--sizes 100 1000 5000] [--dims 6 20] [--repeats 5]
    python benchmarks/tpe_overhead.py --kinds [--kind-trials 2000 5000] [--repeats 5]
        [--max-bad-kernels 128|none] [--only int log-int ...]
    python benchmarks/tpe_overhead.py --long [--windows 1000 5000 10000] [--window 100]
    python benchmarks/tpe_overhead.py --quality [--seeds 10] [--trials 100]
    python benchmarks/tpe_overhead.py --regret --trials 1000 --seeds 7 [--problems ...]

Every table says the load average before and after it: the machine may be shared.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _functions import BRANIN_MIN, HARTMANN6_MIN, branin, hartmann6

import hpo_lab
from hpo_lab.samplers import AutoSampler, RandomSampler
from hpo_lab.samplers._tpe import TPESampler
from hpo_lab.samplers._tpe._sampler import DEFAULT_MAX_BAD_KERNELS


def _objective(d: int) -> Callable[[Any], float]:
    def objective(trial: Any) -> float:
        x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(d)])
        return hartmann6(x) if d == 6 else float(np.sum((x - 0.3) ** 2))

    return objective


def _branin_objective(trial: Any) -> float:
    return branin(trial.suggest_float("x1", -5.0, 10.0), trial.suggest_float("x2", 0.0, 15.0))


def _hartmann_objective(trial: Any) -> float:
    return hartmann6(np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)]))


def _time_block(study: Any, objective: Callable[[Any], float], k: int) -> list[float]:
    out = []
    for _ in range(k):
        start = time.perf_counter()
        trial = study.ask()
        study.tell(trial, objective(trial))
        out.append(time.perf_counter() - start)
    return out


def overhead(sizes: list[int], dims: list[int], repeats: int, block: int) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print(f"# TPE overhead, ms per trial (ask + suggest + tell), median of {repeats} x {block}")
    print(f"# Python {platform.python_version()}, optuna {optuna.__version__}, numpy "
          f"{np.__version__}, {platform.machine()}")
    print()
    print("| finished trials | params | hpo_lab TPE | hpo_lab TPE univariate | Optuna TPE | "
          "ratio hpo_lab / Optuna |")
    print("|---:|---:|---:|---:|---:|---:|")
    for d in dims:
        objective = _objective(d)
        for n in sizes:
            ours = hpo_lab.create_study(sampler=RandomSampler(seed=0))
            ours.optimize(objective, n_trials=n)
            ours_uni = hpo_lab.create_study(sampler=RandomSampler(seed=0))
            ours_uni.optimize(objective, n_trials=n)
            theirs = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
            theirs.optimize(objective, n_trials=n)
            ours.sampler = TPESampler(seed=0)
            ours_uni.sampler = TPESampler(seed=0, multivariate=False)
            theirs.sampler = optuna.samplers.TPESampler(seed=0)
            for s in (ours, ours_uni, theirs):
                _time_block(s, objective, 2)  # warm caches
            times: dict[str, list[float]] = {"ours": [], "uni": [], "optuna": []}
            for r in range(repeats):
                order: list[tuple[str, Any]] = [("ours", ours), ("uni", ours_uni), ("optuna", theirs)]
                order = order[r % 3 :] + order[: r % 3]
                for key, study in order:
                    times[key] += _time_block(study, objective, block)
            med = {k: 1e3 * statistics.median(v) for k, v in times.items()}
            print(f"| {n} | {d} | {med['ours']:.2f} | {med['uni']:.2f} | {med['optuna']:.2f} | "
                  f"{med['ours'] / med['optuna']:.2f} |", flush=True)


_CHOICES = ("a", "b", "c", "d", "e")


def _kind_objective(kind: str) -> Callable[[Any], float]:
    """A trivial objective over six parameters of one ``kind`` (or ``"mixed"``)."""

    def objective(trial: Any) -> float:
        if kind == "float":
            xs = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(6)]
        elif kind == "log-float":
            xs = [
                0.1 * np.log10(trial.suggest_float(f"x{i}", 1e-5, 1.0, log=True))
                for i in range(6)
            ]
        elif kind == "int":
            xs = [trial.suggest_int(f"x{i}", 0, 100) / 100 for i in range(6)]
        elif kind == "log-int":
            xs = [np.log2(trial.suggest_int(f"x{i}", 1, 1024, log=True)) / 10 for i in range(6)]
        elif kind == "small-int":
            xs = [trial.suggest_int(f"x{i}", 1, 8) / 8 for i in range(6)]
        elif kind == "stepped":
            xs = [trial.suggest_float(f"x{i}", 0.0, 1.0, step=0.01) for i in range(6)]
        elif kind == "categorical":
            xs = [
                _CHOICES.index(trial.suggest_categorical(f"x{i}", _CHOICES)) / 4
                for i in range(6)
            ]
        else:
            xs = [
                trial.suggest_float("f", 0.0, 1.0),
                0.1 * np.log10(trial.suggest_float("lf", 1e-5, 1.0, log=True)),
                trial.suggest_int("i", 0, 100) / 100,
                np.log2(trial.suggest_int("li", 1, 1024, log=True)) / 10,
                _CHOICES.index(trial.suggest_categorical("c", _CHOICES)) / 4,
                trial.suggest_float("s", 0.0, 1.0, step=0.05),
            ]
        return float(np.sum((np.array(xs) - 0.3) ** 2))

    return objective


KINDS = ("float", "log-float", "int", "log-int", "small-int", "stepped", "categorical", "mixed")


def _load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def kinds(
    n: int,
    repeats: int,
    block: int,
    max_bad_kernels: int | None = DEFAULT_MAX_BAD_KERNELS,
    only: tuple[str, ...] = KINDS,
) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    print(f"# TPE ms per trial at {n} finished trials, six parameters of each kind; median of "
          f"{repeats} x {block}; hpo_lab max_bad_kernels={max_bad_kernels}; load average "
          f"{_load()} before")
    print()
    print("| parameters | hpo_lab TPE | Optuna TPE | ratio hpo_lab / Optuna |")
    print("|---|---:|---:|---:|")
    for kind in only:
        objective = _kind_objective(kind)
        ours = hpo_lab.create_study(sampler=RandomSampler(seed=0))
        ours.optimize(objective, n_trials=n)
        theirs = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        theirs.optimize(objective, n_trials=n)
        ours.sampler = TPESampler(seed=0, max_bad_kernels=max_bad_kernels)
        theirs.sampler = optuna.samplers.TPESampler(seed=0)
        for s in (ours, theirs):
            _time_block(s, objective, 2)
        times: dict[str, list[float]] = {"ours": [], "optuna": []}
        for r in range(repeats):
            order: list[tuple[str, Any]] = [("ours", ours), ("optuna", theirs)]
            for key, study in order[r % 2 :] + order[: r % 2]:
                times[key] += _time_block(study, objective, block)
        med = {k: 1e3 * statistics.median(v) for k, v in times.items()}
        print(f"| {kind} | {med['ours']:.2f} | {med['optuna']:.2f} | "
              f"{med['ours'] / med['optuna']:.3f} |", flush=True)
    print(f"\nload average {_load()} after")


def long_studies(windows: list[int], window: int, block: int) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    objective = _kind_objective("mixed")
    print(f"# ms per trial (ask + suggests + tell, trivial objective, six mixed parameters) in "
          f"windows of {window} trials, the samplers taking turns in blocks of {block}")
    print()
    print("| finished trials | hpo_lab TPE | hpo_lab Auto | Optuna TPE | TPE / Optuna | "
          "Auto / Optuna | load average |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    studies: dict[str, Any] = {
        "tpe": hpo_lab.create_study(sampler=RandomSampler(seed=0)),
        "auto": hpo_lab.create_study(sampler=RandomSampler(seed=1)),
        "optuna": optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0)),
    }
    models: dict[str, Any] = {
        "tpe": TPESampler(seed=0),
        "auto": AutoSampler(seed=0),
        "optuna": optuna.samplers.TPESampler(seed=0),
    }
    fillers: dict[str, Any] = {
        "tpe": RandomSampler(seed=2),
        "auto": RandomSampler(seed=3),
        "optuna": optuna.samplers.RandomSampler(seed=2),
    }
    for start in windows:
        before = _load()
        for key, study in studies.items():
            study.sampler = fillers[key]
            missing = start - len(study.trials)
            if missing > 0:
                study.optimize(objective, n_trials=missing)
            study.sampler = models[key]
        times: dict[str, list[float]] = {k: [] for k in studies}
        keys = list(studies)
        for r in range(max(1, window // block)):
            for key in keys[r % 3 :] + keys[: r % 3]:
                times[key] += _time_block(studies[key], objective, block)
        med = {k: 1e3 * statistics.mean(v) for k, v in times.items()}
        print(f"| {start} | {med['tpe']:.2f} | {med['auto']:.2f} | {med['optuna']:.2f} | "
              f"{med['tpe'] / med['optuna']:.3f} | {med['auto'] / med['optuna']:.3f} | "
              f"{before} -> {_load()} |", flush=True)


def summary_regret(
    problems: list[str], seeds: int, n_trials: int, limit: int = DEFAULT_MAX_BAD_KERNELS
) -> None:
    """hpo_lab TPE with its default summarized bad group against the same TPE on every
    observation (``max_bad_kernels=None``), same seeds: median best value at 100 trials
    (which must be the same: the summary starts once the bad group outgrows it) and at
    ``n_trials``, and the first trial whose proposal differs."""
    from samplers import PROBLEMS, suggest_all

    print(f"# median best value over seeds 0-{seeds - 1}, hpo_lab TPE with max_bad_kernels="
          f"{limit} ('summary') and None (every observation); load average {_load()} before")
    print()
    print("| problem | best at 100, summary / None | best at "
          f"{n_trials}, summary / None | summary better / worse / tied at {n_trials} | "
          "first differing trial (median) | s per run, summary / None |")
    print("|---|---|---|---|---:|---|")
    for name in problems:
        problem = PROBLEMS[name]
        best: dict[str, list[list[float]]] = {"default": [], "none": []}
        params: dict[str, list[list[Any]]] = {"default": [], "none": []}
        secs: dict[str, list[float]] = {"default": [], "none": []}
        for seed in range(seeds):
            for key, mbk in (("default", limit), ("none", None)):
                study = hpo_lab.create_study(sampler=TPESampler(seed=seed, max_bad_kernels=mbk))
                start = time.perf_counter()
                study.optimize(
                    lambda t, p=problem: p.function(suggest_all(t, p)), n_trials=n_trials
                )
                secs[key].append(time.perf_counter() - start)
                values = [t.value for t in study.trials]
                best[key].append(list(np.minimum.accumulate(values)))
                params[key].append([t.params for t in study.trials])
        first = [
            next((i for i, (a, b) in enumerate(zip(pa, pb)) if a != b), n_trials)
            for pa, pb in zip(params["default"], params["none"])
        ]

        def med(key: str, at: int, best: dict[str, list[list[float]]] = best) -> float:
            return statistics.median(b[at - 1] for b in best[key])

        ends = [(a[-1], b[-1]) for a, b in zip(best["default"], best["none"])]
        wins = sum(a < b for a, b in ends)
        losses = sum(a > b for a, b in ends)
        print(f"| {name} | {med('default', 100):.6g} / {med('none', 100):.6g} | "
              f"{med('default', n_trials):.6g} / {med('none', n_trials):.6g} | "
              f"{wins} / {losses} / {len(ends) - wins - losses} | "
              f"{statistics.median(first)} | {statistics.median(secs['default']):.1f} / "
              f"{statistics.median(secs['none']):.1f} |", flush=True)
    print(f"\nload average {_load()} after")


def quality(seeds: int, n_trials: int) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    methods: dict[str, Callable[[int], Any]] = {
        "hpo_lab TPE": lambda s: hpo_lab.create_study(sampler=TPESampler(seed=s)),
        "hpo_lab TPE univariate": lambda s: hpo_lab.create_study(
            sampler=TPESampler(seed=s, multivariate=False)
        ),
        "Optuna TPE": lambda s: optuna.create_study(sampler=optuna.samplers.TPESampler(seed=s)),
        "Optuna TPE univariate": lambda s: optuna.create_study(
            sampler=optuna.samplers.TPESampler(seed=s, multivariate=False)
        ),
        "random": lambda s: hpo_lab.create_study(sampler=RandomSampler(seed=s)),
    }
    problems = {
        "Branin (2-d)": (_branin_objective, BRANIN_MIN),
        "Hartmann-6 (6-d)": (_hartmann_objective, HARTMANN6_MIN),
    }
    print(f"# median best value (and median regret) over {seeds} seeds after {n_trials} trials")
    print()
    print("| problem | " + " | ".join(methods) + " |")
    print("|---|" + "---:|" * len(methods))
    for pname, (objective, f_star) in problems.items():
        cells = []
        for make in methods.values():
            bests = []
            for seed in range(seeds):
                study = make(seed)
                study.optimize(objective, n_trials=n_trials)
                bests.append(study.best_value)
            med = statistics.median(bests)
            cells.append(f"{med:.4f} ({med - f_star:.2e})")
        print(f"| {pname} | " + " | ".join(cells) + " |", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--dims", type=int, nargs="+", default=[6, 20])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--block", type=int, default=4)
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--kinds", action="store_true", help="every parameter kind")
    parser.add_argument("--kind-trials", type=int, nargs="+", default=[2000])
    parser.add_argument("--only", nargs="+", choices=KINDS, default=list(KINDS),
                        help="with --kinds: these kinds only")
    parser.add_argument("--max-bad-kernels", default=str(DEFAULT_MAX_BAD_KERNELS),
                        help="hpo_lab TPESampler's max_bad_kernels with --kinds ('none': off) "
                        "and --regret")
    parser.add_argument("--long", action="store_true", help="windows in a long study")
    parser.add_argument("--windows", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--regret", action="store_true",
                        help="summarized bad group against every observation")
    parser.add_argument("--problems", nargs="+", default=["hartmann6", "mixed", "rosenbrock4"])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=100)
    args = parser.parse_args(argv)
    logging.getLogger("hpo_lab").setLevel(logging.WARNING)
    if args.quality:
        quality(args.seeds, args.trials)
    elif args.regret:
        limit = DEFAULT_MAX_BAD_KERNELS
        if args.max_bad_kernels.lower() != "none":
            limit = int(args.max_bad_kernels)
        summary_regret(args.problems, args.seeds, args.trials, limit)
    elif args.kinds:
        mbk = None if args.max_bad_kernels.lower() == "none" else int(args.max_bad_kernels)
        for n in args.kind_trials:
            kinds(n, args.repeats, args.block, mbk, tuple(args.only))
    elif args.long:
        long_studies(args.windows, args.window, 10)
    else:
        overhead(args.sizes, args.dims, args.repeats, args.block)
    return 0


if __name__ == "__main__":
    sys.exit(main())

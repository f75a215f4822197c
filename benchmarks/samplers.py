"""Sample efficiency, side by side: hpo_lab's samplers against Optuna's and Hyperopt's.

Every method minimizes every problem for ``--trials`` trials per seed, in this one process,
one run after another (no parallel jobs: the machine is shared). A run's values are cached as
one JSON file per (problem, method, seed) under ``--cache-dir``, so a campaign can be stopped
and resumed, and a changed method re-run alone: a method's cache key carries its version
(:data:`METHOD_VERSIONS`), bumped whenever its code changes enough to change its proposals.

Tables (``--table`` prints them from the cache without running anything), per problem, at 25,
50 and 100 trials of the same runs (best so far):

* median normalized regret ``(best - f*) / (median random value - f*)``: 0 is the optimum, 1 is
  as good as a typical random point. The random median comes from a fixed uniform sample of the
  problem (:data:`REFERENCE_SIZE` points, seed 12345), cached like the runs. For the model-tuning
  problems f* is unknown and is the best value ever observed, over every cached run of every
  method and seed and the reference sample.
* mean rank: per seed the methods are ranked by best value (1 = best, ties share the mean rank),
  then averaged over seeds; the overall mean rank averages the per-problem mean ranks.
* a paired Wilcoxon signed-rank test over seeds (scipy) of Auto against Optuna TPE and Optuna
  GP, on best values at the last checkpoint.

Optuna's GPSampler needs torch; without it the ``optuna-gp`` method is reported as missing and
left out instead of failing the whole run.

Usage:
    nice -n 10 python benchmarks/samplers.py [--problems ...] [--methods ...] [--seeds 0-9]
        [--trials 100] [--cache-dir DIR]
    python benchmarks/samplers.py --table [...]
    python benchmarks/samplers.py --quick   # a smoke run: 2 cheap problems, 2 seeds, 15 trials
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import math
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from _functions import branin as _branin
from _functions import hartmann6 as _hartmann6

DEFAULT_CACHE = Path(__file__).resolve().parent / ".cache" / "samplers"
REFERENCE_SIZE = {"synthetic": 10_000, "real": 300}
REFERENCE_SEED = 12345
CHECKPOINTS = (25, 50, 100)


# -- problems ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Param:
    """One parameter of a problem: ``kind`` is "float", "int" or "cat"."""

    name: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    choices: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Problem:
    """A minimization problem: its parameters, the function of a parameter dict, its optimum."""

    name: str
    params: tuple[Param, ...]
    function: Callable[[dict[str, Any]], float]
    optimum: float | None  # None: a real task, f* = best value ever observed
    real: bool = False


def _box(prefix: str, d: int, low: float, high: float) -> tuple[Param, ...]:
    return tuple(Param(f"{prefix}{i}", "float", low, high) for i in range(d))


def _vector(params: dict[str, Any], d: int) -> np.ndarray:
    return np.array([float(params[f"x{i}"]) for i in range(d)])


def branin(p: dict[str, Any]) -> float:
    """Branin on [-5, 10] x [0, 15]; minimum 0.397887."""
    return _branin(float(p["x0"]), float(p["x1"]))


def hartmann6(p: dict[str, Any]) -> float:
    """Hartmann-6 on [0, 1]^6; minimum -3.32237."""
    return _hartmann6(_vector(p, 6))


def ackley5(p: dict[str, Any]) -> float:
    """Ackley in 5-d on [-32.768, 32.768]^5; minimum 0 at the origin."""
    x = _vector(p, 5)
    a = -20.0 * math.exp(-0.2 * math.sqrt(float(np.mean(x**2))))
    return a - math.exp(float(np.mean(np.cos(2 * math.pi * x)))) + 20.0 + math.e


def rosenbrock4(p: dict[str, Any]) -> float:
    """Rosenbrock in 4-d on [-5, 10]^4; minimum 0 at (1, 1, 1, 1)."""
    x = _vector(p, 4)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def styblinski_tang8(p: dict[str, Any]) -> float:
    """Styblinski-Tang in 8-d on [-5, 5]^8; minimum -39.16617 x 8."""
    x = _vector(p, 8)
    return float(np.sum(x**4 - 16 * x**2 + 5 * x) / 2)


def levy10(p: dict[str, Any]) -> float:
    """Levy in 10-d on [-10, 10]^10; minimum 0 at (1, ..., 1)."""
    w = 1 + (_vector(p, 10) - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    mid = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + mid + tail)


_MIXED_OPT = {"optimizer": {"adam": 0.0, "sgd": 0.6, "rmsprop": 0.25, "adagrad": 1.0}}


def mixed(p: dict[str, Any]) -> float:
    """Log-scale, integer and categorical parameters, coupled; minimum 0.

    The best learning rate depends on the optimizer (sgd wants a larger one), the best width on
    the number of layers, so a sampler has to model the parameters together.
    """
    opt = str(p["optimizer"])
    lr_star = -2.0 if opt != "sgd" else -1.0
    layers, units = int(p["layers"]), int(p["units"])
    width_star = 7.0 - layers  # log2 units: 64 units for one layer, 16 for three
    return (
        (math.log10(float(p["lr"])) - lr_star) ** 2
        + 0.5 * (math.log2(units) - width_star) ** 2 / 4
        + 0.3 * (layers - 2) ** 2
        + _MIXED_OPT["optimizer"][opt]
        + 2.0 * (float(p["dropout"]) - 0.2) ** 2
    )


_DATA: dict[str, Any] = {}


def _folds(name: str) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    if name not in _DATA:
        from sklearn.datasets import load_breast_cancer, load_digits
        from sklearn.model_selection import StratifiedKFold

        if name == "digits":
            x, y = load_digits(return_X_y=True)
            keep = np.random.default_rng(0).permutation(len(y))[:450]  # keeps a fit ~10 ms
            x, y = x[keep] / 16.0, y[keep]
        else:
            x, y = load_breast_cancer(return_X_y=True)
        folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(x, y))
        _DATA[name] = (x, y, folds)
    return _DATA[name]  # type: ignore[no-any-return]


def svc_digits(p: dict[str, Any]) -> float:
    """3-fold CV error rate of an RBF SVC on 450 digits (log C, log gamma)."""
    from sklearn.svm import SVC

    x, y, folds = _folds("digits")
    errors = []
    for train, test in folds:
        model = SVC(C=float(p["C"]), gamma=float(p["gamma"])).fit(x[train], y[train])
        errors.append(float(np.mean(model.predict(x[test]) != y[test])))
    return float(np.mean(errors))


def gb_cancer(p: dict[str, Any]) -> float:
    """3-fold CV log loss of gradient boosting on breast_cancer (5 mixed parameters)."""
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.metrics import log_loss

    x, y, folds = _folds("breast_cancer")
    losses = []
    for train, test in folds:
        model = GradientBoostingClassifier(
            n_estimators=int(p["n_estimators"]),
            max_depth=int(p["max_depth"]),
            learning_rate=float(p["learning_rate"]),
            subsample=float(p["subsample"]),
            max_features=p["max_features"],
            random_state=0,
        ).fit(x[train], y[train])
        losses.append(log_loss(y[test], model.predict_proba(x[test])))
    return float(np.mean(losses))


PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in (
        Problem(
            "branin", (Param("x0", "float", -5, 10), Param("x1", "float", 0, 15)), branin, 0.397887
        ),
        Problem("hartmann6", _box("x", 6, 0.0, 1.0), hartmann6, -3.32237),
        Problem("ackley5", _box("x", 5, -32.768, 32.768), ackley5, 0.0),
        Problem("rosenbrock4", _box("x", 4, -5.0, 10.0), rosenbrock4, 0.0),
        Problem("styblinski_tang8", _box("x", 8, -5.0, 5.0), styblinski_tang8, -39.16617 * 8),
        Problem("levy10", _box("x", 10, -10.0, 10.0), levy10, 0.0),
        Problem(
            "mixed",
            (
                Param("lr", "float", 1e-5, 1.0, log=True),
                Param("units", "int", 4, 256, log=True),
                Param("layers", "int", 1, 4),
                Param("optimizer", "cat", choices=("adam", "sgd", "rmsprop", "adagrad")),
                Param("dropout", "float", 0.0, 0.8),
            ),
            mixed,
            0.0,
        ),
        Problem(
            "svc_digits",
            (
                Param("C", "float", 1e-2, 1e3, log=True),
                Param("gamma", "float", 1e-5, 1.0, log=True),
            ),
            svc_digits,
            None,
            real=True,
        ),
        Problem(
            "gb_cancer",
            (
                Param("n_estimators", "int", 5, 20),
                Param("max_depth", "int", 1, 4),
                Param("learning_rate", "float", 1e-2, 1.0, log=True),
                Param("subsample", "float", 0.5, 1.0),
                Param("max_features", "cat", choices=("sqrt", "log2", 0.3)),
            ),
            gb_cancer,
            None,
            real=True,
        ),
    )
}
QUICK_PROBLEMS = ("branin", "mixed")


def suggest_all(trial: Any, problem: Problem) -> dict[str, Any]:
    """Suggest every parameter of ``problem`` on an hpo_lab or Optuna trial (same API)."""
    out: dict[str, Any] = {}
    for prm in problem.params:
        if prm.kind == "float":
            out[prm.name] = trial.suggest_float(prm.name, prm.low, prm.high, log=prm.log)
        elif prm.kind == "int":
            out[prm.name] = trial.suggest_int(prm.name, int(prm.low), int(prm.high), log=prm.log)
        else:
            out[prm.name] = trial.suggest_categorical(prm.name, list(prm.choices))
    return out


def random_params(problem: Problem, rng: np.random.Generator) -> dict[str, Any]:
    """One uniform draw (log-uniform for log parameters) from ``problem``'s space."""
    out: dict[str, Any] = {}
    for prm in problem.params:
        if prm.kind == "cat":
            out[prm.name] = prm.choices[int(rng.integers(len(prm.choices)))]
            continue
        lo, hi = (math.log(prm.low), math.log(prm.high)) if prm.log else (prm.low, prm.high)
        if prm.kind == "int":
            lo, hi = (
                (lo - 0.5, hi + 0.5)
                if not prm.log
                else (math.log(prm.low - 0.5), math.log(prm.high + 0.5))
            )
        v = rng.uniform(lo, hi)
        v = math.exp(v) if prm.log else v
        out[prm.name] = int(min(max(round(v), prm.low), prm.high)) if prm.kind == "int" else v
    return out


# -- methods ----------------------------------------------------------------------------------
# Bump a method's version when its code changes its proposals: its cached runs are then redone.
METHOD_VERSIONS = {
    "random": 1,
    "tpe": 1,
    "gp": 2,
    "auto": 2,
    "optuna-random": 1,
    "optuna-tpe": 1,
    "optuna-gp": 1,
    "hyperopt-tpe": 1,
}
QUICK_METHODS = ("random", "tpe", "gp", "auto", "optuna-tpe", "hyperopt-tpe")


def _run_hpo_lab(method: str, problem: Problem, seed: int, n_trials: int) -> list[float]:
    import hpo_lab
    from hpo_lab import samplers

    sampler: Any = {
        "random": lambda: samplers.RandomSampler(seed=seed),
        "tpe": lambda: samplers.TPESampler(seed=seed),
        "gp": lambda: samplers.GPSampler(seed=seed),
        "auto": lambda: samplers.AutoSampler(seed=seed),
    }[method]()
    study = hpo_lab.create_study(sampler=sampler)
    values: list[float] = []

    def objective(trial: Any) -> float:
        values.append(problem.function(suggest_all(trial, problem)))
        return values[-1]

    study.optimize(objective, n_trials=n_trials)
    return values


def _run_optuna(method: str, problem: Problem, seed: int, n_trials: int) -> list[float]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if method == "optuna-gp":
        import torch

        # One thread, like hpo_lab's GP (single-threaded BLAS): on a shared 2-core machine,
        # torch's spinning worker threads made a run 10x slower without changing its proposals.
        torch.set_num_threads(1)
    sampler: Any = {
        "optuna-random": lambda: optuna.samplers.RandomSampler(seed=seed),
        "optuna-tpe": lambda: optuna.samplers.TPESampler(seed=seed),
        "optuna-gp": lambda: optuna.samplers.GPSampler(seed=seed),
    }[method]()
    study = optuna.create_study(sampler=sampler)
    values: list[float] = []

    def objective(trial: Any) -> float:
        values.append(problem.function(suggest_all(trial, problem)))
        return values[-1]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental-feature warnings
        study.optimize(objective, n_trials=n_trials)
    return values


def _run_hyperopt(method: str, problem: Problem, seed: int, n_trials: int) -> list[float]:
    from hyperopt import STATUS_OK, Trials, fmin, hp, tpe

    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    space: dict[str, Any] = {}
    for prm in problem.params:
        if prm.kind == "cat":
            space[prm.name] = hp.choice(prm.name, list(prm.choices))
        elif prm.kind == "int":
            if prm.log:
                space[prm.name] = hp.qloguniform(
                    prm.name, math.log(prm.low - 0.5), math.log(prm.high + 0.5), 1
                )
            else:
                space[prm.name] = hp.quniform(prm.name, prm.low - 0.5, prm.high + 0.5, 1)
        elif prm.log:
            space[prm.name] = hp.loguniform(prm.name, math.log(prm.low), math.log(prm.high))
        else:
            space[prm.name] = hp.uniform(prm.name, prm.low, prm.high)
    values: list[float] = []

    def objective(raw: dict[str, Any]) -> dict[str, Any]:
        params = dict(raw)
        for prm in problem.params:
            if prm.kind == "int":
                params[prm.name] = int(min(max(round(params[prm.name]), prm.low), prm.high))
        values.append(problem.function(params))
        return {"loss": values[-1], "status": STATUS_OK}

    fmin(
        objective,
        space,
        algo=tpe.suggest,
        max_evals=n_trials,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return values


def method_missing(method: str) -> str | None:
    """Why ``method`` cannot run here (a missing package), or ``None``."""
    needs = {"optuna": "optuna", "hyperopt": "hyperopt"}
    for prefix, module in needs.items():
        if method.startswith(prefix) and importlib.util.find_spec(module) is None:
            return f"{method} needs the {module} package, which is not installed"
    if method == "optuna-gp" and importlib.util.find_spec("torch") is None:
        return "optuna-gp needs torch (Optuna's GPSampler is written in torch), not installed"
    return None


def run_method(method: str, problem: Problem, seed: int, n_trials: int) -> list[float]:
    """The objective values of one run, in trial order."""
    if method.startswith("optuna"):
        return _run_optuna(method, problem, seed, n_trials)
    if method.startswith("hyperopt"):
        return _run_hyperopt(method, problem, seed, n_trials)
    return _run_hpo_lab(method, problem, seed, n_trials)


# -- cache ------------------------------------------------------------------------------------
def _run_path(cache: Path, problem: str, method: str, seed: int) -> Path:
    return cache / problem / f"{method}-v{METHOD_VERSIONS[method]}-seed{seed}.json"


def load_run(
    cache: Path, problem: str, method: str, seed: int, n_trials: int
) -> list[float] | None:
    """The cached values of a run with at least ``n_trials`` trials (first ``n_trials``)."""
    path = _run_path(cache, problem, method, seed)
    if not path.exists():
        return None
    values = json.loads(path.read_text())["values"]
    return [float(v) for v in values[:n_trials]] if len(values) >= n_trials else None


def save_run(
    cache: Path, problem: str, method: str, seed: int, values: list[float], seconds: float
) -> None:
    path = _run_path(cache, problem, method, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    record = {
        "problem": problem,
        "method": method,
        "version": METHOD_VERSIONS[method],
        "seed": seed,
        "seconds": seconds,
        "values": values,
    }
    tmp.write_text(json.dumps(record))
    tmp.replace(path)  # atomic: an interrupted run leaves no half-written file


def reference_values(cache: Path, problem: Problem) -> list[float]:
    """The fixed uniform sample of ``problem`` (computed once, then read from the cache)."""
    size = REFERENCE_SIZE["real" if problem.real else "synthetic"]
    path = cache / problem.name / f"reference-{size}-seed{REFERENCE_SEED}.json"
    if path.exists():
        return [float(v) for v in json.loads(path.read_text())]
    rng = np.random.default_rng(REFERENCE_SEED)
    values = [problem.function(random_params(problem, rng)) for _ in range(size)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(values))
    return values


def all_cached_values(cache: Path, problem: str) -> list[float]:
    """Every value of every cached run of ``problem`` (any method, seed or version)."""
    out: list[float] = []
    for path in (cache / problem).glob("*.json"):
        data = json.loads(path.read_text())
        out.extend(data["values"] if isinstance(data, dict) else data)
    return out


# -- tables -----------------------------------------------------------------------------------
def _mean_ranks(best: dict[str, list[float]]) -> dict[str, float]:
    from scipy.stats import rankdata

    methods = list(best)
    ranks = np.array(
        [rankdata([best[m][s] for m in methods]) for s in range(len(best[methods[0]]))]
    )
    return {m: float(ranks[:, i].mean()) for i, m in enumerate(methods)}


def _wilcoxon(a: list[float], b: list[float]) -> str:
    """ "p=..., better: X" for paired best values (minimized); a is Auto."""
    from scipy.stats import wilcoxon

    diff = np.array(a) - np.array(b)
    if np.all(np.abs(diff) <= 1e-12 * (1 + np.abs(np.array(b)))):
        return "p=1 (identical)"
    p = float(wilcoxon(a, b).pvalue)
    better = (
        "auto" if np.median(diff) < 0 or (np.median(diff) == 0 and diff.mean() < 0) else "other"
    )
    mark = " **worse**" if p < 0.05 and better == "other" else ""
    return f"p={p:.3g}, better median: {better}{mark}"


def tables(
    cache: Path,
    problems: Sequence[str],
    methods: Sequence[str],
    seeds: Sequence[int],
    n_trials: int,
) -> str:
    """The markdown tables of the cached runs (missing runs are listed, not invented).

    Per problem, every method with a cached run takes part: regrets are medians over the seeds
    it has (the "seeds" column), ranks are over the seeds that all of them have (the header says
    when that is fewer than asked for), and the Wilcoxon tests pair the seeds both methods have.
    The overall mean rank averages the problems on which every method took part.
    """
    checkpoints = [c for c in CHECKPOINTS if c < n_trials] + [n_trials]
    lines: list[str] = []
    rank_sum: dict[str, list[float]] = {m: [] for m in methods}
    missing: list[str] = []
    tests: list[str] = []
    short: list[str] = []
    for name in problems:
        problem = PROBLEMS[name]
        runs = {m: {s: load_run(cache, name, m, s, n_trials) for s in seeds} for m in methods}
        for m in methods:
            absent = [s for s in seeds if runs[m][s] is None]
            if absent:
                missing.append(f"{name}/{m} (seeds {', '.join(map(str, absent))})")
        present = [m for m in methods if any(r is not None for r in runs[m].values())]
        common = [s for s in seeds if all(runs[m][s] is not None for m in present)]
        if not present or not common:
            continue
        if len(common) < len(seeds):
            short.append(f"{name}: seeds {', '.join(map(str, common))}")
        values = {m: [runs[m][s] or [] for s in common] for m in present}
        own = {m: [r for r in runs[m].values() if r is not None] for m in present}
        ref = reference_values(cache, problem)
        f_star = problem.optimum
        if f_star is None:
            f_star = min(min(all_cached_values(cache, name)), min(ref))
        scale = statistics.median(ref) - f_star
        kind = "" if problem.optimum is not None else ", best observed"
        seeds_note = "" if len(common) == len(seeds) else f"; {len(common)} seeds"
        lines += [
            "",
            f"### {name} (f* = {f_star:.6g}{kind}; median random value "
            f"{statistics.median(ref):.4g}{seeds_note})",
            "",
            "| method | "
            + " | ".join(f"regret @{c}" for c in checkpoints)
            + f" | seeds | mean rank @{n_trials} |",
            "|---|" + "---:|" * (len(checkpoints) + 2),
        ]
        best = {m: [min(r[:n_trials]) for r in values[m]] for m in present}
        ranks = _mean_ranks(best)
        for m in present:
            cells = []
            for c in checkpoints:
                regrets = [(min(r[:c]) - f_star) / scale for r in own[m]]
                cells.append(f"{statistics.median(regrets):.3g}")
            cells.append(str(len(own[m])))
            lines.append(f"| {m} | " + " | ".join(cells) + f" | {ranks[m]:.2f} |")
            if len(present) == len(methods):
                rank_sum[m].append(ranks[m])
        if "auto" in best:
            for other in ("optuna-tpe", "optuna-gp"):
                if other in best:
                    # Paired over every seed both have (not only those all methods have).
                    pairs = [
                        (min(a[:n_trials]), min(b[:n_trials]))
                        for a, b in ((runs["auto"][s], runs[other][s]) for s in seeds)
                        if a is not None and b is not None
                    ]
                    result = _wilcoxon([a for a, _ in pairs], [b for _, b in pairs])
                    tests.append(f"| {name} | {other} | {len(pairs)} | {result} |")
    complete = [m for m in methods if rank_sum[m]]
    if complete:
        n_prob = len(rank_sum[complete[0]])
        lines += [
            "",
            f"### Overall mean rank at {n_trials} trials ({n_prob} problems)",
            "",
            "| method | mean rank |",
            "|---|---:|",
        ]
        for m in sorted(complete, key=lambda m: statistics.mean(rank_sum[m])):
            lines.append(f"| {m} | {statistics.mean(rank_sum[m]):.2f} |")
    if tests:
        lines += [
            "",
            f"### Wilcoxon signed-rank, Auto vs Optuna (paired over seeds, best at {n_trials})",
            "",
            "| problem | vs | seeds | result |",
            "|---|---|---:|---|",
            *tests,
        ]
    if short:
        lines += ["", "Problems compared on fewer seeds: " + "; ".join(short)]
    if missing:
        lines += ["", "Missing runs (not in the cache yet): " + "; ".join(missing)]
    return "\n".join(lines).lstrip("\n")


# -- main -------------------------------------------------------------------------------------
def _seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi) + 1) if hi else [int(lo)])
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", choices=sorted(PROBLEMS), default=list(PROBLEMS))
    parser.add_argument(
        "--methods", nargs="+", choices=list(METHOD_VERSIONS), default=list(METHOD_VERSIONS)
    )
    parser.add_argument(
        "--seeds", type=_seeds, default=list(range(10)), help="e.g. 0-9 or 0,3,5 (default 0-9)"
    )
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--table", action="store_true", help="print the tables from the cache")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2 cheap problems, 2 seeds, 15 trials, no Optuna GP",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.problems, args.methods, args.seeds, args.trials = (
            list(QUICK_PROBLEMS),
            list(QUICK_METHODS),
            [0, 1],
            15,
        )
    if args.trials < 1:
        parser.error(f"--trials must be >= 1, but got {args.trials}")
    if not args.seeds or min(args.seeds) < 0:
        parser.error(f"--seeds must be non-negative, but got {args.seeds}")
    methods = []
    for m in args.methods:
        why = method_missing(m)
        if why is None:
            methods.append(m)
        else:
            print(f"skipping {m}: {why}", file=sys.stderr)
    if not args.table:
        for name in args.problems:
            problem = PROBLEMS[name]
            reference_values(args.cache_dir, problem)
            for method in methods:
                for seed in args.seeds:
                    if load_run(args.cache_dir, name, method, seed, args.trials) is not None:
                        continue
                    start = time.perf_counter()
                    values = run_method(method, problem, seed, args.trials)
                    seconds = time.perf_counter() - start
                    save_run(args.cache_dir, name, method, seed, values, seconds)
                    print(
                        f"{name} {method} seed {seed}: best {min(values):.6g} ({seconds:.1f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
    print(tables(args.cache_dir, args.problems, methods, args.seeds, args.trials))
    print(
        f"\nMachine: {platform.machine()}, Python {platform.python_version()}, "
        f"seeds {args.seeds[0]}-{args.seeds[-1]}, {args.trials} trials"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

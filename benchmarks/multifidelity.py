"""Multi-fidelity side by side: pruners and model-based Hyperband, budget counted in epochs.

Every method optimizes every problem until it has spent the epochs of ``--full-trials`` fully
trained trials (100 by default), one trial at a time, in this process. Methods:

* hpo_lab ``{random, auto} x {none, median, asha, hyperband, adaptive}`` (``auto`` is
  ``AutoSampler``, which under a rung pruner models every rung value with one GP over the
  parameters and the resource; ``adaptive`` is ``SuccessiveHalvingPruner(rank_check=True)``:
  pruning that checks whether a rung's ranking predicts the final one);
* ``auto-plain/hyperband``: ``AutoSampler(multi_fidelity=False)``, whose GP models the COMPLETE
  trials only (plain Hyperband with a model-based sampler, what ``auto`` was before);
* model-based Hyperband: ``mbhb/{hyperband, hyperband-checked, asha, adaptive}``
  (``MultiFidelitySampler``, the joint model; ``hyperband-checked`` is
  ``HyperbandPruner(rank_check=True)``) and ``mbhb-level/hyperband`` (its ``model="level"``,
  BOHB's rule: the base sampler sees the highest rung with enough values);
* ``auto/hyperband-boot``: the default pruner with ``bootstrap_count=1`` and the resource
  fixed (an ablation, under ``auto/hyperband-checked``'s study names, so the same brackets);
* Optuna ``{random, tpe} x {none, median, sh, hyperband}`` (``SuccessiveHalvingPruner`` and
  ``HyperbandPruner`` with their defaults).

Pruners run with their defaults (``asha``: ``min_resource="auto"``, ``reduction_factor=4``;
``hyperband``: ``min_resource=1``, ``max_resource="auto"``, ``reduction_factor=3``; median:
``n_startup_trials=5``), samplers with ``seed=s``.

Problems (all minimized; see ``problems()``):

* ``<dataset>-error`` and ``<dataset>-loss``: learning curves of 504 ``MLPClassifier``
  configurations recorded by ``benchmarks/record_curves.py`` (validation error rate:
  accuracy-like; validation log loss: the fastest learners overfit, so curves cross). The
  objective snaps the suggested learning rate, width, L2 penalty and batch size to the recorded
  grid and replays the curve, one epoch per report.
* ``synthetic-smooth`` and ``synthetic-crossing``: parametric curves over four parameters with
  noise; in the crossing one the settings that learn fastest overfit.

Measures, per problem and method (medians over seeds): the epochs needed to reach the target
regret -- the median regret of hpo_lab random search after ``--full-trials`` full trials --
and the regret at one third and at all of the budget. A method's best value is its best
COMPLETE (fully trained) trial; a run that never reaches the target counts as infinitely slow.
"x random" divides the epochs by the whole budget (what random search needs, by the target's
definition); "x same sampler" by the median epochs of the same sampler without pruning.

Runs are cached as JSON, one file per (problem, method, seed), under ``--cache-dir``, so a
campaign can be stopped and resumed; ``--table`` prints the tables from the cache.

``--speedup`` measures instead the wall-clock speed-up of 4 worker threads over 1 at an equal
epoch budget, with epochs that sleep 50 ms (so it measures the scheduler, not the CPU), and
prints the load average with it.

Usage:
    nice -n 10 python benchmarks/multifidelity.py                     # the whole campaign
    python benchmarks/multifidelity.py --table
    python benchmarks/multifidelity.py --speedup
    python benchmarks/multifidelity.py --quick    # a smoke run: 2 problems, 2 seeds, small budget
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import statistics
import sys
import time
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
CURVES = HERE / "data" / "mlp_curves.npz"
DEFAULT_CACHE = HERE / ".cache" / "multifidelity"
N_SYNTHETIC_EPOCHS = 30
REFERENCE_METHOD = "random/none"

# Hyperband with the rank check (``HyperbandPruner(rank_check=True)``), with the joint model.
HYPERBAND_CHECKED = "hyperband-checked"
HYPERBAND_BOOT = "hyperband-boot"

# Bumped when a method's code changes enough to change its runs (part of the cache key).
# 1: ``mbhb`` is the joint GP over (parameters, resource), and so is ``auto`` under a rung pruner
# (``auto-plain`` and ``mbhb-level`` are what they were before); 2: its hyperparameters are
# refitted as values come in also once its rows are capped.
METHOD_VERSIONS: dict[str, int] = {
    "mbhb/hyperband": 2, "mbhb/asha": 1, "mbhb/adaptive": 1, "auto/asha": 2, "auto/hyperband": 2,
    "auto/adaptive": 2, f"auto/{HYPERBAND_CHECKED}": 2,
}


# -- problems ---------------------------------------------------------------------------------
@dataclass
class Problem:
    """A multi-fidelity minimization problem: ``suggest(trial)`` declares the parameters and
    returns a key, ``curve(key, noise_seed)`` the observed values at epochs 1..n and the true
    final value."""

    name: str
    kind: str  # "accuracy" or "crossing"
    n_epochs: int
    suggest: Callable[[Any], Any]
    curve: Callable[[Any, int], tuple[np.ndarray, float]]
    f_star: float


def _nearest(levels: Sequence[float], value: float, log: bool) -> int:
    grid = np.log(np.asarray(levels, dtype=float)) if log else np.asarray(levels, dtype=float)
    v = math.log(value) if log else value
    return int(np.argmin(np.abs(grid - v)))


def _table_problems(names: Sequence[str] | None = None) -> list[Problem]:
    if not CURVES.exists():
        return []
    data = np.load(CURVES)
    n_epochs = int(data["n_epochs"])
    configs = data["configs"].astype(int)
    index = {tuple(c): i for i, c in enumerate(configs)}
    lrs = data["grid_learning_rate_init"].astype(float)
    hidden = data["grid_hidden"].astype(float)
    alphas = data["grid_alpha"].astype(float)
    batches = data["grid_batch_size"].astype(float)
    solvers = [str(s) for s in data["grid_solver"]]

    def suggest(trial: Any) -> int:
        lr = trial.suggest_float("learning_rate_init", lrs[0], lrs[-1], log=True)
        h = trial.suggest_int("hidden", int(hidden[0]), int(hidden[-1]), log=True)
        a = trial.suggest_float("alpha", alphas[0], alphas[-1], log=True)
        b = trial.suggest_int("batch_size", int(batches[0]), int(batches[-1]), log=True)
        s = trial.suggest_categorical("solver", solvers)
        key = (
            _nearest(lrs, lr, True), _nearest(hidden, h, True), _nearest(alphas, a, True),
            _nearest(batches, b, True), solvers.index(s),
        )
        return index[key]

    out = []
    datasets = sorted({k.rsplit("_", 1)[0] for k in data.files if k.endswith("_error")})
    for dataset in datasets:
        for metric, kind in (("error", "accuracy"), ("loss", "crossing")):
            name = f"{dataset}-{metric}"
            if names is not None and name not in names:
                continue
            curves = data[f"{dataset}_{metric}"].astype(np.float64)

            def curve(key: int, noise_seed: int, curves: np.ndarray = curves) -> tuple[
                np.ndarray, float
            ]:
                return curves[key], float(curves[key, -1])

            out.append(Problem(name, kind, n_epochs, suggest, curve,
                               float(curves[:, -1].min())))
    return out


def _synthetic(name: str, crossing: bool) -> Problem:
    """Curves ``a(x) + 1.5 exp(-k(x) t) + o(x) t`` (+ noise) over ``x`` in [0, 1]^4 with a
    log-scaled "learning rate" ``u``: ``k`` grows with ``u``; with ``crossing``, so does the
    overfitting slope ``o``, fastest for a small "regularization" ``r``."""
    t = np.arange(1, N_SYNTHETIC_EPOCHS + 1, dtype=float)

    def parts(x: np.ndarray) -> tuple[float, float, float]:
        u, r, w1, w2 = x
        asymptote = 0.1 + (r - 0.6) ** 2 + 0.2 * ((w1 - 0.3) ** 2 + (w2 - 0.7) ** 2)
        if crossing:
            rate = 0.02 + 0.5 * u
            overfit = 0.02 * u * (1.0 - r)
        else:
            rate = 0.15 + 0.1 * u
            overfit = 0.0
        return asymptote, rate, overfit

    def suggest(trial: Any) -> np.ndarray:
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        u = (math.log10(lr) + 4.0) / 4.0
        return np.array([
            u, trial.suggest_float("reg", 0.0, 1.0),
            trial.suggest_float("w1", 0.0, 1.0), trial.suggest_float("w2", 0.0, 1.0),
        ])

    def curve(x: np.ndarray, noise_seed: int) -> tuple[np.ndarray, float]:
        a, k, o = parts(x)
        clean = a + 1.5 * np.exp(-k * t) + o * t
        rng = np.random.default_rng(noise_seed)
        return clean + 0.003 * rng.standard_normal(t.size), float(clean[-1])

    # f*: the least clean final value over a dense random sample (fixed seed).
    rng = np.random.default_rng(12345)
    xs = rng.random((200_000, 4))
    u, r = xs[:, 0], xs[:, 1]
    a = 0.1 + (r - 0.6) ** 2 + 0.2 * ((xs[:, 2] - 0.3) ** 2 + (xs[:, 3] - 0.7) ** 2)
    if crossing:
        final = a + 1.5 * np.exp(-(0.02 + 0.5 * u) * t[-1]) + 0.02 * u * (1 - r) * t[-1]
    else:
        final = a + 1.5 * np.exp(-(0.15 + 0.1 * u) * t[-1])
    kind = "crossing" if crossing else "accuracy"
    return Problem(name, kind, N_SYNTHETIC_EPOCHS, suggest, curve, float(final.min()))


def problems(names: Sequence[str] | None = None) -> list[Problem]:
    """Every problem (or those named), tables first."""
    out = _table_problems(names)
    for name, crossing in (("synthetic-smooth", False), ("synthetic-crossing", True)):
        if names is None or name in names:
            out.append(_synthetic(name, crossing))
    return out


# -- methods ----------------------------------------------------------------------------------
HPO_SAMPLERS = ("random", "auto")
HPO_PRUNERS = ("none", "median", "asha", "hyperband", "adaptive")
OPTUNA_SAMPLERS = ("random", "tpe")
OPTUNA_PRUNERS = ("none", "median", "sh", "hyperband")


def method_names() -> list[str]:
    """Every method, hpo_lab first."""
    out = [f"{s}/{p}" for s in HPO_SAMPLERS for p in HPO_PRUNERS]
    out += [f"auto/{HYPERBAND_CHECKED}", f"auto/{HYPERBAND_BOOT}", "auto-plain/hyperband",
            "mbhb/hyperband", f"mbhb/{HYPERBAND_CHECKED}", "mbhb/asha", "mbhb/adaptive",
            "mbhb-level/hyperband"]
    out += [f"optuna-{s}/{p}" for s in OPTUNA_SAMPLERS for p in OPTUNA_PRUNERS]
    return out


def _hpo_lab_study(method: str, seed: int, n_epochs: int) -> Any:
    import hpo_lab
    from hpo_lab import pruners, samplers

    sampler_name, pruner_name = method.split("/")
    if sampler_name == "random":
        sampler: Any = samplers.RandomSampler(seed=seed)
    elif sampler_name == "auto":
        sampler = samplers.AutoSampler(seed=seed)
    elif sampler_name == "auto-plain":
        sampler = samplers.AutoSampler(seed=seed, multi_fidelity=False)
    elif sampler_name == "mbhb":
        sampler = samplers.MultiFidelitySampler(seed=seed)
    else:
        sampler = samplers.MultiFidelitySampler(seed=seed, model="level")
    pruner: Any = {
        "none": lambda: pruners.NopPruner(),
        "median": lambda: pruners.MedianPruner(),
        "asha": lambda: pruners.SuccessiveHalvingPruner(),
        "hyperband": lambda: pruners.HyperbandPruner(),
        "adaptive": lambda: pruners.SuccessiveHalvingPruner(rank_check=True),
        HYPERBAND_CHECKED: lambda: pruners.HyperbandPruner(rank_check=True),
        # The default with one bootstrap trial per rung: the first trial to reach a rung stops
        # there instead of passing unopposed (this needs the resource fixed up front: "auto"
        # resolves to the same value).
        HYPERBAND_BOOT: lambda: pruners.HyperbandPruner(
            rank_check=True, max_resource=n_epochs + 1, bootstrap_count=1
        ),
    }[pruner_name]()
    # Hyperband's brackets hash the study name: ``auto-plain`` runs under ``auto``'s name, so
    # the two differ by the sampler's model only.
    # The bootstrap variant runs under the checked default's names (the same brackets).
    name = method.replace("auto-plain/", "auto/").replace(HYPERBAND_BOOT, HYPERBAND_CHECKED)
    return hpo_lab.create_study(
        study_name=f"{name}-{seed}", sampler=sampler, pruner=pruner
    ), hpo_lab.TrialPruned


def _optuna_study(method: str, seed: int) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler_name, pruner_name = method.removeprefix("optuna-").split("/")
    sampler = (
        optuna.samplers.RandomSampler(seed=seed)
        if sampler_name == "random"
        else optuna.samplers.TPESampler(seed=seed)
    )
    pruner = {
        "none": optuna.pruners.NopPruner,
        "median": optuna.pruners.MedianPruner,
        "sh": optuna.pruners.SuccessiveHalvingPruner,
        "hyperband": optuna.pruners.HyperbandPruner,
    }[pruner_name]()
    study = optuna.create_study(study_name=f"{method}-{seed}", sampler=sampler, pruner=pruner)
    return study, optuna.TrialPruned


# -- one run ----------------------------------------------------------------------------------
def run_one(problem: Problem, method: str, seed: int, full_trials: int) -> dict[str, Any]:
    """Optimize ``problem`` with ``method`` until ``full_trials * n_epochs`` epochs are spent.

    Returns the trace: for each COMPLETE trial that improved the best value, the epochs spent
    when it finished and its regret; plus totals.
    """
    if method.startswith("optuna-"):
        study, pruned_exc = _optuna_study(method, seed)
    else:
        study, pruned_exc = _hpo_lab_study(method, seed, problem.n_epochs)
    budget = full_trials * problem.n_epochs
    spent = 0
    best_observed = math.inf
    trace: list[list[float]] = []
    n_trials = n_complete = 0

    def objective(trial: Any) -> float:
        nonlocal spent, best_observed, n_trials, n_complete
        key = problem.suggest(trial)
        noise_seed = zlib.crc32(f"{problem.name}-{seed}-{trial.number}".encode())
        values, true_final = problem.curve(key, noise_seed)
        n_trials += 1
        for epoch in range(1, problem.n_epochs + 1):
            spent += 1
            trial.report(float(values[epoch - 1]), epoch)
            if trial.should_prune():
                raise pruned_exc()
        n_complete += 1
        observed = float(values[-1])
        if observed < best_observed:
            best_observed = observed
            trace.append([spent, true_final - problem.f_star])
        return observed

    def stop_when_spent(study: Any, trial: Any) -> None:
        if spent >= budget:
            study.stop()

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study.optimize(objective, callbacks=[stop_when_spent])
    return {
        "trace": trace,
        "epochs": spent,
        "trials": n_trials,
        "complete": n_complete,
        "seconds": round(time.perf_counter() - start, 3),
    }


def regret_at(trace: Sequence[Sequence[float]], epochs: float) -> float:
    """The regret of the best COMPLETE trial finished within ``epochs`` (inf if none)."""
    best = math.inf
    for spent, regret in trace:
        if spent > epochs:
            break
        best = regret
    return best


def epochs_to(trace: Sequence[Sequence[float]], target: float) -> float:
    """The epochs spent when the regret first reached ``target`` (inf if never)."""
    for spent, regret in trace:
        if regret <= target + 1e-12:
            return float(spent)
    return math.inf


# -- cache and campaign -----------------------------------------------------------------------
def _cache_path(cache: Path, problem: str, method: str, seed: int, full_trials: int) -> Path:
    version = METHOD_VERSIONS.get(method, 0)
    return cache / f"{problem}__{method.replace('/', '+')}__v{version}__b{full_trials}__s{seed}.json"


def campaign(
    probs: Sequence[Problem], methods: Sequence[str], seeds: Sequence[int], full_trials: int,
    cache: Path, run: bool = True, log: Callable[[str], None] = print,
) -> dict[tuple[str, str], dict[int, dict[str, Any]]]:
    """Every (problem, method, seed) run, read from the cache or run now and cached."""
    cache.mkdir(parents=True, exist_ok=True)
    out: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    for problem in probs:
        for method in methods:
            runs = out.setdefault((problem.name, method), {})
            for seed in seeds:
                path = _cache_path(cache, problem.name, method, seed, full_trials)
                if path.exists():
                    runs[seed] = json.loads(path.read_text())
                    continue
                if not run:
                    continue
                result = run_one(problem, method, seed, full_trials)
                path.write_text(json.dumps(result))
                runs[seed] = result
                log(f"{problem.name:22s} {method:24s} seed {seed:2d}: {result['trials']:5d} "
                    f"trials, {result['epochs']} epochs, {result['seconds']:.1f} s")
    return out


def _fmt(x: float) -> str:
    if math.isinf(x):
        return "not reached"
    if x == 0:
        return "0"
    return f"{x:.3g}"


def _median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs)) if xs else math.nan


def tables(
    probs: Sequence[Problem], methods: Sequence[str], results: dict[tuple[str, str], dict[int, dict[str, Any]]],
    full_trials: int,
) -> str:
    """The per-problem tables and the summary of the targets, as Markdown."""
    lines: list[str] = []
    summary: dict[str, dict[str, float]] = {}
    finals: dict[str, dict[str, float]] = {}
    for problem in probs:
        budget = full_trials * problem.n_epochs
        ref = results.get((problem.name, REFERENCE_METHOD), {})
        if not ref:
            continue
        target = _median([regret_at(r["trace"], budget) for r in ref.values()])
        lines.append(f"#### {problem.name} ({problem.kind}; target regret {target:.4g}, "
                     f"f* = {problem.f_star:.5g}, budget {budget} epochs)\n")
        lines.append("| method | epochs to target | x random | x same sampler, no pruning | "
                     "reached | regret @1/3 | regret @1 | trials | seeds |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        med_epochs: dict[str, float] = {}
        for method in methods:
            runs = results.get((problem.name, method), {})
            if runs:
                med_epochs[method] = _median([epochs_to(r["trace"], target) for r in runs.values()])
        summary[problem.name] = med_epochs
        for method in methods:
            runs = results.get((problem.name, method), {})
            if not runs:
                continue
            e = med_epochs[method]
            reached = sum(1 for r in runs.values() if epochs_to(r["trace"], target) < math.inf)
            third = _median([regret_at(r["trace"], budget / 3) for r in runs.values()])
            full = _median([regret_at(r["trace"], budget) for r in runs.values()])
            finals.setdefault(problem.name, {})[method] = full
            trials = _median([r["trials"] for r in runs.values()])
            # Random search needs the whole budget to reach its own median regret, by definition.
            base = float(budget)
            same = _no_pruning(method)
            same_e = med_epochs.get(same, math.nan) if same else math.nan
            lines.append(
                f"| {method} | {_fmt(e)} | {_ratio(e, base)} | {_ratio(e, same_e)} | "
                f"{reached}/{len(runs)} | {_fmt(third)} | {_fmt(full)} | {trials:.0f} | "
                f"{len(runs)} |"
            )
        lines.append("")
    lines.append(targets(probs, summary, finals, full_trials))
    for pruned, plain in PAIRED:
        if pruned in methods and plain in methods:
            lines.append(paired(probs, results, pruned, plain, full_trials))
    return "\n".join(lines)


# Pairs compared seed by seed on the final regret: (pruned method, the same sampler unpruned).
PAIRED = (
    ("auto/hyperband", "auto/none"), (f"auto/{HYPERBAND_CHECKED}", "auto/none"),
    ("auto/hyperband", "auto-plain/hyperband"), ("mbhb/hyperband", "auto/none"),
    ("mbhb/hyperband", "auto-plain/hyperband"),
)


def paired(
    probs: Sequence[Problem], results: dict[tuple[str, str], dict[int, dict[str, Any]]],
    a: str, b: str, full_trials: int,
) -> str:
    """``a`` against ``b`` seed by seed: on how many seeds ``a`` ends with a lower, equal or
    higher regret at the end of the budget, and the two-sided Wilcoxon signed-rank p (ties
    dropped; "-" when every seed ties)."""
    from scipy.stats import wilcoxon

    lines = [
        f"#### `{a}` against `{b}`, seed by seed (final regret)\n",
        f"| problem | kind | `{a}` lower | equal | higher | p (Wilcoxon) | seeds |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for problem in probs:
        budget = full_trials * problem.n_epochs
        ra, rb = results.get((problem.name, a), {}), results.get((problem.name, b), {})
        seeds = sorted(set(ra) & set(rb))
        if not seeds:
            continue
        fa = np.array([regret_at(ra[s]["trace"], budget) for s in seeds])
        fb = np.array([regret_at(rb[s]["trace"], budget) for s in seeds])
        # A run with no complete trial has an infinite regret: rank it above every finite one.
        cap = max([*fa[np.isfinite(fa)], *fb[np.isfinite(fb)], 0.0]) * 2 + 1.0
        fa, fb = np.where(np.isfinite(fa), fa, cap), np.where(np.isfinite(fb), fb, cap)
        lower, higher = int((fa < fb - 1e-12).sum()), int((fa > fb + 1e-12).sum())
        p = "-"
        if lower + higher:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                p = f"{float(wilcoxon(fa, fb, zero_method='wilcox').pvalue):.3f}"
        lines.append(
            f"| {problem.name} | {problem.kind} | {lower} | {len(seeds) - lower - higher} | "
            f"{higher} | {p} | {len(seeds)} |"
        )
    return "\n".join(lines) + "\n"


def targets(
    probs: Sequence[Problem], epochs: dict[str, dict[str, float]],
    finals: dict[str, dict[str, float]], full_trials: int,
) -> str:
    """The issue's targets, one row per problem: on accuracy-like problems the epochs the best
    pruned ``auto`` method needs against ``auto/none`` and against the whole budget; on every
    problem which pruners end no worse than the same sampler without pruning; and whether
    model-based Hyperband ends better than plain Hyperband."""
    lines = [
        "#### Targets\n",
        "| problem | kind | fastest pruned `auto`: epochs x `auto/none` (target <= 0.5) | "
        "x whole budget (target <= 0.2) | pruners ending no worse than no pruning, `auto` | "
        "same, `random` | model-based `auto/hyperband` vs plain `auto-plain/hyperband` at the "
        "end |",
        "|---|---|---|---:|---|---|---|",
    ]
    wins = compared = 0
    for problem in probs:
        med, fin = epochs.get(problem.name, {}), finals.get(problem.name, {})
        if not med:
            continue
        budget = full_trials * problem.n_epochs
        pruned = {m: e for m, e in med.items()
                  if (m.startswith("auto/") and m != "auto/none") or m.startswith("mbhb/")}
        best = min(pruned, key=lambda m: pruned[m], default=None)
        if best is None:
            fastest = ratio = ""
        else:
            fastest = f"{best}: {_ratio(pruned[best], med.get('auto/none', math.nan)) or '-'}"
            ratio = _ratio(pruned[best], float(budget))

        mb, hb = fin.get("auto/hyperband", math.nan), fin.get("auto-plain/hyperband", math.nan)
        if not (math.isnan(mb) or math.isnan(hb)):
            compared += 1
            wins += mb < hb
            versus = f"{_fmt(mb)} vs {_fmt(hb)}: " + (
                "better" if mb < hb else "equal" if mb == hb else "worse"
            )
        else:
            versus = ""
        lines.append(
            f"| {problem.name} | {problem.kind} | {fastest} | {ratio} | {_no_worse(fin, 'auto')} "
            f"| {_no_worse(fin, 'random')} | {versus} |"
        )
    lines.append(
        f"\nModel-based Hyperband ends better than plain Hyperband (median final regret) on "
        f"{wins} of {compared} problems (target: at least 60%)."
    )
    return "\n".join(lines) + "\n"


def _no_worse(finals: dict[str, float], sampler: str) -> str:
    """The pruners with which ``sampler`` ends no worse than without pruning."""
    base = finals.get(f"{sampler}/none", math.nan)
    family = ("auto/", "auto-plain/", "mbhb") if sampler == "auto" else (f"{sampler}/",)
    names = [m.split("/")[1] if m.startswith(f"{sampler}/") else m for m in finals
             if m.startswith(family) and m != f"{sampler}/none"
             and finals[m] <= base + 1e-12]
    return ", ".join(names) or "none"


def _no_pruning(method: str) -> str | None:
    sampler, pruner = method.split("/")
    if pruner == "none":
        return None
    if sampler.startswith("mbhb") or sampler == "auto-plain":
        return "auto/none"
    return f"{sampler}/none"


def _ratio(a: float, b: float) -> str:
    if math.isnan(a) or math.isnan(b) or b == 0 or math.isinf(b):
        return ""
    if math.isinf(a):
        return "inf"
    return f"{a / b:.2f}"


# -- wall-clock speed-up ----------------------------------------------------------------------
def speedup(repeats: int, budget: int, epoch_seconds: float, sampler: str) -> str:
    """Wall-clock time to spend ``budget`` epochs with 1 and with 4 worker threads.

    Each run is ``study.start(objective, n_jobs=k, budget=budget)`` with
    ``SuccessiveHalvingPruner()``; every epoch sleeps ``epoch_seconds``. The time compared is
    when the ``budget``-th epoch ends (the trials still running then finish after it, a few
    more epochs with 4 workers than with 1, so the run's end is not an equal budget); the
    run's whole time and epochs are shown too.
    """
    import threading

    import hpo_lab
    from hpo_lab import pruners, samplers

    problem = _synthetic("synthetic-smooth", False)
    lock = threading.Lock()
    clock: dict[str, Any] = {}

    def objective(trial: Any) -> float:
        key = problem.suggest(trial)
        values, _ = problem.curve(key, trial.number)
        for epoch in range(1, problem.n_epochs + 1):
            time.sleep(epoch_seconds)
            with lock:
                clock["epochs"] += 1
                if clock["epochs"] == budget:
                    clock["at"] = time.perf_counter()
            trial.report(float(values[epoch - 1]), epoch)
            if trial.should_prune():
                raise hpo_lab.TrialPruned()
        return float(values[-1])

    load_before = os.getloadavg()
    at_budget: dict[int, list[float]] = {1: [], 4: []}
    whole: dict[int, list[float]] = {1: [], 4: []}
    spent: dict[int, list[int]] = {1: [], 4: []}
    for rep in range(repeats):
        for n_jobs in (1, 4) if rep % 2 == 0 else (4, 1):
            s = (
                samplers.RandomSampler(seed=rep)
                if sampler == "random"
                else samplers.AutoSampler(seed=rep)
            )
            study = hpo_lab.create_study(sampler=s, pruner=pruners.SuccessiveHalvingPruner())
            clock.clear()
            clock["epochs"] = 0
            start = time.perf_counter()
            run = study.start(objective, n_jobs=n_jobs, budget=budget)
            run.wait()
            whole[n_jobs].append(time.perf_counter() - start)
            at_budget[n_jobs].append(clock["at"] - start)
            spent[n_jobs].append(sum(t.last_step or 0 for t in study.trials))
    load_after = os.getloadavg()
    b1, b4 = statistics.median(at_budget[1]), statistics.median(at_budget[4])
    w1, w4 = statistics.median(whole[1]), statistics.median(whole[4])
    e1, e4 = statistics.median(spent[1]), statistics.median(spent[4])
    row = (
        f"| {sampler} + ASHA | {b1:.2f} s | {b4:.2f} s | **{b1 / b4:.2f}x** | "
        f"{w1:.2f} s, {e1:.0f} epochs | {w4:.2f} s, {e4:.0f} epochs |"
    )
    return (
        f"Load average (1, 5, 15 min) before: {load_before[0]:.2f}, {load_before[1]:.2f}, "
        f"{load_before[2]:.2f}; after: {load_after[0]:.2f}, {load_after[1]:.2f}, "
        f"{load_after[2]:.2f}. {repeats} repeats, medians; budget {budget} epochs of "
        f"{epoch_seconds * 1000:g} ms.\n\n"
        "| method | 1 worker: budget spent | 4 workers: budget spent | speed-up | 1 worker: "
        "whole run | 4 workers: whole run |\n"
        "|---|---:|---:|---:|---:|---:|\n" + row
    )


def _machine() -> str:
    import hpo_lab

    try:
        import optuna

        optuna_version = optuna.__version__
    except ImportError:  # pragma: no cover - the dev extra has it
        optuna_version = "missing"
    return (
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}, hpo_lab {hpo_lab.__version__}, Optuna {optuna_version}, "
        f"numpy {np.__version__}"
    )


def _parse_seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="+", default=None)
    parser.add_argument("--methods", nargs="+", default=None)
    parser.add_argument("--seeds", default="0-19")
    parser.add_argument("--full-trials", type=int, default=100)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--table", action="store_true", help="print the tables from the cache")
    parser.add_argument("--quick", action="store_true", help="a smoke run in seconds")
    parser.add_argument("--speedup", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    logging.getLogger("hpo_lab").setLevel(logging.ERROR)
    if args.speedup:
        print(_machine())
        budget, epoch_s = (60, 0.005) if args.quick else (600, 0.05)
        for sampler in ("random", "auto"):
            print(speedup(1 if args.quick else args.repeats, budget, epoch_s, sampler))
            print()
        return 0
    if args.full_trials < 1:
        parser.error(f"--full-trials must be >= 1, but got {args.full_trials}")
    seeds = _parse_seeds(args.seeds)
    names = args.problems
    methods = args.methods or method_names()
    if args.quick:
        names = names or ["synthetic-smooth", "synthetic-crossing"]
        seeds = seeds[:2] if args.seeds != "0-19" else [0, 1]
        methods = args.methods or [
            REFERENCE_METHOD, "auto/none", "auto/asha", "random/adaptive", "mbhb/hyperband",
            "optuna-random/sh",
        ]
        args.full_trials = min(args.full_trials, 8)
    unknown = [m for m in methods if m not in method_names()]
    if unknown:
        parser.error(f"unknown methods {unknown}; known: {method_names()}")
    if REFERENCE_METHOD not in methods:
        methods = [REFERENCE_METHOD, *methods]
    probs = problems(names)
    if not probs:
        parser.error(f"no problems: {names} (is {CURVES} there?)")
    cache = args.cache_dir / "quick" if args.quick else args.cache_dir
    results = campaign(probs, methods, seeds, args.full_trials, cache, run=not args.table,
                       log=(lambda s: None) if args.quick else print)
    print(_machine())
    print(f"Seeds {seeds[0]}-{seeds[-1]}, budget {args.full_trials} full trials per run.\n")
    print(tables(probs, methods, results, args.full_trials))
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
import os
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
    """One parameter of a problem: ``kind`` is "float", "int" or "cat".

    ``when = (name, values)`` makes it conditional: it exists only when the parameter ``name``
    (listed before it) took one of ``values`` (a define-by-run, tree-structured space).
    """

    name: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    choices: tuple[Any, ...] = ()
    when: tuple[str, tuple[Any, ...]] | None = None

    def active(self, chosen: dict[str, Any]) -> bool:
        """Whether this parameter exists given the values ``chosen`` so far."""
        return self.when is None or (
            self.when[0] in chosen and chosen[self.when[0]] in self.when[1]
        )


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
    return _styblinski_tang(_vector(p, 8))


def styblinski_tang20(p: dict[str, Any]) -> float:
    """Styblinski-Tang in 20-d on [-5, 5]^20; minimum -39.16617 x 20."""
    return _styblinski_tang(_vector(p, 20))


def _styblinski_tang(x: np.ndarray) -> float:
    return float(np.sum(x**4 - 16 * x**2 + 5 * x) / 2)


def levy10(p: dict[str, Any]) -> float:
    """Levy in 10-d on [-10, 10]^10; minimum 0 at (1, ..., 1)."""
    return _levy(_vector(p, 10))


def levy20(p: dict[str, Any]) -> float:
    """Levy in 20-d on [-10, 10]^20; minimum 0 at (1, ..., 1)."""
    return _levy(_vector(p, 20))


def _levy(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
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

        splitter: Any = StratifiedKFold(3, shuffle=True, random_state=0)
        if name == "digits":
            x, y = load_digits(return_X_y=True)
            keep = np.random.default_rng(0).permutation(len(y))[:450]  # keeps a fit ~10 ms
            x, y = x[keep] / 16.0, y[keep]
        elif name == "diabetes":  # regression: standardized features and target, plain folds
            from sklearn.datasets import load_diabetes
            from sklearn.model_selection import KFold

            x, y = load_diabetes(return_X_y=True)
            x, y = (x - x.mean(0)) / x.std(0), (y - y.mean()) / y.std()
            splitter = KFold(3, shuffle=True, random_state=0)
        else:
            x, y = load_breast_cancer(return_X_y=True)
        folds = list(splitter.split(x, y))
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


def krr_diabetes(p: dict[str, Any]) -> float:
    """3-fold CV mean squared error of RBF kernel ridge regression on diabetes (standardized)."""
    from sklearn.kernel_ridge import KernelRidge

    x, y, folds = _folds("diabetes")
    errors = []
    for train, test in folds:
        model = KernelRidge(kernel="rbf", alpha=float(p["alpha"]), gamma=float(p["gamma"]))
        model.fit(x[train], y[train])
        errors.append(float(np.mean((model.predict(x[test]) - y[test]) ** 2)))
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


def _pipeline_model(p: dict[str, Any]) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    model = str(p["model"])
    if model == "logreg":
        est: Any = LogisticRegression(
            C=float(p["logreg_C"]), class_weight=p["logreg_class_weight"], max_iter=100
        )
    elif model == "svc":
        kernel = str(p["svc_kernel"])
        est = SVC(
            C=float(p["svc_C"]),
            kernel=kernel,
            gamma=float(p["svc_gamma"]),
            degree=int(p["svc_degree"]) if kernel == "poly" else 3,
            coef0=1.0 if kernel == "poly" else 0.0,
            # Unscaled features make a polynomial kernel's values ~1e20; libsvm then runs for
            # hours. Capped, such a fit ends in well under a second (a poor, deterministic fit).
            max_iter=1_000_000,
        )
    elif model == "knn":
        est = KNeighborsClassifier(
            n_neighbors=int(p["knn_k"]), weights=p["knn_weights"], p=int(p["knn_p"])
        )
    elif model == "tree":
        est = DecisionTreeClassifier(
            max_depth=int(p["tree_depth"]),
            min_samples_leaf=int(p["tree_leaf"]),
            criterion=p["tree_criterion"],
            random_state=0,
        )
    else:
        est = GaussianNB(var_smoothing=float(p["nb_smoothing"]))
    scaler = {
        "none": None,
        "standard": StandardScaler(),
        "minmax": MinMaxScaler(),
        "robust": RobustScaler(),
    }[str(p["scaler"])]
    return make_pipeline(est) if scaler is None else make_pipeline(scaler, est)


def pipeline_cancer(p: dict[str, Any]) -> float:
    """1 - 3-fold CV ROC AUC of a scikit-learn pipeline on breast_cancer (tree-structured).

    A scaler, then a model family; each family has its own parameters (the SVC's kernel, and
    the degree only for the polynomial one). The features' scales differ by four orders of
    magnitude, so the scaler matters for some families (SVC, k-NN, logistic regression) and
    not for others (trees, naive Bayes).
    """
    from sklearn.metrics import roc_auc_score

    x, y, folds = _folds("breast_cancer")
    losses = []
    for train, test in folds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings of extreme settings
            model = _pipeline_model(p).fit(x[train], y[train])
        if hasattr(model, "decision_function"):
            score = model.decision_function(x[test])
        else:
            score = model.predict_proba(x[test])[:, 1]
        losses.append(1.0 - roc_auc_score(y[test], score))
    return float(np.mean(losses))


def _models(*names: str) -> tuple[str, tuple[Any, ...]]:
    return ("model", names)


PIPELINE_PARAMS = (
    Param("scaler", "cat", choices=("none", "standard", "minmax", "robust")),
    Param("model", "cat", choices=("logreg", "svc", "knn", "tree", "nb")),
    Param("logreg_C", "float", 1e-4, 1e3, log=True, when=_models("logreg")),
    Param("logreg_class_weight", "cat", choices=(None, "balanced"), when=_models("logreg")),
    Param("svc_kernel", "cat", choices=("rbf", "poly", "sigmoid"), when=_models("svc")),
    Param("svc_C", "float", 1e-3, 1e3, log=True, when=_models("svc")),
    Param("svc_gamma", "float", 1e-5, 1e1, log=True, when=_models("svc")),
    Param("svc_degree", "int", 2, 5, when=("svc_kernel", ("poly",))),
    Param("knn_k", "int", 1, 64, log=True, when=_models("knn")),
    Param("knn_weights", "cat", choices=("uniform", "distance"), when=_models("knn")),
    Param("knn_p", "cat", choices=(1, 2), when=_models("knn")),
    Param("tree_depth", "int", 1, 12, when=_models("tree")),
    Param("tree_leaf", "int", 1, 64, log=True, when=_models("tree")),
    Param("tree_criterion", "cat", choices=("gini", "entropy"), when=_models("tree")),
    Param("nb_smoothing", "float", 1e-12, 1e-1, log=True, when=_models("nb")),
)


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
        Problem("styblinski_tang20", _box("x", 20, -5.0, 5.0), styblinski_tang20, -39.16617 * 20),
        Problem("levy20", _box("x", 20, -10.0, 10.0), levy20, 0.0),
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
        # Kernel ridge regression with its two scales declared on a linear scale, as users
        # often declare them: the good values crowd into the bottom percent of each range.
        Problem(
            "krr_diabetes_linear",
            (
                Param("alpha", "float", 1e-4, 10.0),
                Param("gamma", "float", 1e-5, 1.0),
            ),
            krr_diabetes,
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
        Problem("pipeline_cancer", PIPELINE_PARAMS, pipeline_cancer, None, real=True),
    )
}


def _add_shared_problems() -> None:
    """Add the problems of ``gp_problems.py`` (a categorical cell, embedded Hartmann-6 in 20
    and 40 parameters, a mixed 20-parameter space): one definition for both campaigns.

    ``gp_problems`` imports this module for :class:`Param` and :class:`Problem`; while it is
    being imported (by us or by another script) it is skipped here, and the importer adds it.
    """
    module = sys.modules.get("gp_problems")
    if module is not None and not hasattr(module, "PROBLEMS"):
        return
    import gp_problems

    for name, problem in gp_problems.PROBLEMS.items():
        PROBLEMS.setdefault(name, problem)


sys.path.insert(0, str(Path(__file__).resolve().parent))
_add_shared_problems()

#: Categorical-heavy problems: the Auto target there is "at least as good as the best Optuna
#: sampler".
CATEGORICAL_PROBLEMS = ("nas_cells", "nas_mixed", "pipeline_cancer")
QUICK_PROBLEMS = ("branin", "mixed")


def suggest_all(trial: Any, problem: Problem) -> dict[str, Any]:
    """Suggest every parameter of ``problem`` on an hpo_lab or Optuna trial (same API)."""
    out: dict[str, Any] = {}
    for prm in problem.params:
        if not prm.active(out):
            continue
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
        if not prm.active(out):
            continue
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
# A peer's runs are also redone when its library's version changes (kept in each record).
METHOD_VERSIONS = {
    "random": 1,
    "tpe": 3,
    "gp": 7,
    "gp-global": 1,
    "gp-trust": 1,
    "gp-warp": 1,
    "auto": 7,
    "optuna-random": 1,
    "optuna-tpe": 1,
    "optuna-tpe-uni": 1,
    "optuna-tpe-group": 1,
    "optuna-gp": 1,
    "hyperopt-tpe": 1,
    "smac": 1,
}
#: Methods run sequentially on every problem (``smac`` only when asked for: it is slow;
#: ``gp-global`` and ``gp-trust``, the GP without and always with its trust region, and
#: ``gp-warp``, the GP always with input warping, only when asked for: they are ablations).
SEQUENTIAL_METHODS = tuple(
    m for m in METHOD_VERSIONS if m not in ("smac", "gp-global", "gp-trust", "gp-warp")
)
#: Parallel variants, ``<method>@<jobs>``: ``study.optimize(n_jobs=4)`` on threads, with an
#: objective that sleeps :data:`PARALLEL_SLEEP_MS` so that trials overlap.
PARALLEL_METHODS = ("tpe@4", "gp@4", "auto@4", "optuna-tpe@4", "optuna-gp@4")
PARALLEL_PROBLEMS = ("branin", "hartmann6", "mixed", "nas_cells", "hartmann6_20")
PARALLEL_SLEEP_MS = 20.0
QUICK_METHODS = ("random", "tpe", "gp", "auto", "optuna-tpe", "hyperopt-tpe")
#: The peers Auto is tested against (Wilcoxon), in table order.
PEERS = (
    "optuna-tpe", "optuna-tpe-uni", "optuna-tpe-group", "optuna-gp", "hyperopt-tpe", "smac"
)


def split_method(method: str) -> tuple[str, int]:
    """``"auto@4"`` -> ``("auto", 4)``; ``"auto"`` -> ``("auto", 1)``."""
    base, _, jobs = method.partition("@")
    return base, int(jobs) if jobs else 1


def _known_method(text: str) -> str:
    base, jobs = split_method(text)
    if base not in METHOD_VERSIONS or jobs < 1 or (jobs > 1 and base in ("hyperopt-tpe", "smac")):
        raise argparse.ArgumentTypeError(
            f"unknown method {text!r}: one of {', '.join(METHOD_VERSIONS)}, optionally with "
            "@<jobs> (hpo_lab and Optuna samplers only)"
        )
    return text


class _Timed:
    """The objective of a run: records values by trial number and the time spent in it."""

    def __init__(self, problem: Problem, sleep_ms: float) -> None:
        self.problem = problem
        self.sleep = sleep_ms / 1000.0
        self.values: dict[int, float] = {}
        self.seconds = 0.0

    def __call__(self, trial: Any) -> float:
        # The suggest calls are not the objective's time: Optuna samples a trial's relative
        # parameters lazily, inside the first suggest (runs cached before 2026-12-07's round 5
        # timed them as objective time, which hid Optuna's sampler cost from "ms per trial").
        params = suggest_all(trial, self.problem)
        start = time.perf_counter()
        value = self.problem.function(params)
        if self.sleep:
            time.sleep(self.sleep)
        self.seconds += time.perf_counter() - start  # += on a float: atomic enough under the GIL
        self.values[trial.number] = value
        return value

    def in_order(self) -> list[float]:
        return [self.values[k] for k in sorted(self.values)]


def _run_hpo_lab(method: str, problem: Problem, seed: int, n_trials: int, jobs: int,
                 objective: _Timed) -> None:
    import hpo_lab
    from hpo_lab import samplers

    sampler: Any = {
        "random": lambda: samplers.RandomSampler(seed=seed),
        "tpe": lambda: samplers.TPESampler(seed=seed),
        "gp": lambda: samplers.GPSampler(seed=seed),
        # The round-4 ablations of the trust region, on the GP of that round (no warping).
        "gp-global": lambda: samplers.GPSampler(
            seed=seed, trust_region=False, input_warping=False
        ),
        "gp-trust": lambda: samplers.GPSampler(seed=seed, trust_region=True, input_warping=False),
        "gp-warp": lambda: samplers.GPSampler(seed=seed, input_warping=True),
        "auto": lambda: samplers.AutoSampler(seed=seed),
    }[method]()
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(objective, n_trials=n_trials, n_jobs=jobs)


def _run_optuna(method: str, problem: Problem, seed: int, n_trials: int, jobs: int,
                objective: _Timed) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if method == "optuna-gp":
        import torch

        # One thread, like hpo_lab's GP (single-threaded BLAS): on a shared 2-core machine,
        # torch's spinning worker threads made a run 10x slower without changing its proposals.
        torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental-feature warnings (group=True)
        sampler: Any = {
            "optuna-random": lambda: optuna.samplers.RandomSampler(seed=seed),
            # Optuna 5's default TPE is multivariate for one objective.
            "optuna-tpe": lambda: optuna.samplers.TPESampler(seed=seed),
            "optuna-tpe-uni": lambda: optuna.samplers.TPESampler(seed=seed, multivariate=False),
            "optuna-tpe-group": lambda: optuna.samplers.TPESampler(
                seed=seed, multivariate=True, group=True
            ),
            "optuna-gp": lambda: optuna.samplers.GPSampler(seed=seed),
        }[method]()
        study = optuna.create_study(sampler=sampler)
        study.optimize(objective, n_trials=n_trials, n_jobs=jobs)


def hyperopt_space(problem: Problem) -> dict[str, Any]:
    """``problem``'s space for Hyperopt: a conditional parameter lives inside the ``hp.choice``
    option of the value it depends on (Hyperopt's tree-structured spaces)."""
    from hyperopt import hp

    nodes: dict[str, Any] = {}

    def node(prm: Param) -> Any:
        if prm.name in nodes:  # a label may appear once: reuse the node under several options
            return nodes[prm.name]
        children = [c for c in problem.params if c.when is not None and c.when[0] == prm.name]
        if prm.kind == "cat":
            if children:
                options = []
                for choice in prm.choices:
                    option: dict[str, Any] = {prm.name: choice}
                    for c in children:
                        if choice in c.when[1]:  # type: ignore[index]
                            option[f"{c.name}@"] = node(c)
                    options.append(option)
                out: Any = hp.choice(prm.name, options)
            else:
                out = hp.choice(prm.name, list(prm.choices))
        elif prm.kind == "int":
            if prm.log:
                out = hp.qloguniform(
                    prm.name, math.log(prm.low - 0.5), math.log(prm.high + 0.5), 1
                )
            else:
                out = hp.quniform(prm.name, prm.low - 0.5, prm.high + 0.5, 1)
        elif prm.log:
            out = hp.loguniform(prm.name, math.log(prm.low), math.log(prm.high))
        else:
            out = hp.uniform(prm.name, prm.low, prm.high)
        nodes[prm.name] = out
        return out

    return {f"{p.name}@": node(p) for p in problem.params if p.when is None}


def _flatten(raw: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    for key, value in raw.items():
        if isinstance(value, dict):
            _flatten(value, out)
        else:
            out[key.rstrip("@")] = value
    return out


def _run_hyperopt(method: str, problem: Problem, seed: int, n_trials: int, jobs: int,
                  objective: _Timed) -> None:
    from hyperopt import STATUS_OK, Trials, fmin, tpe

    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    number = [0]

    class _Trial:
        def __init__(self, params: dict[str, Any]) -> None:
            self.params = params
            self.number = number[0]
            number[0] += 1

        def suggest_float(self, name: str, *args: Any, **kwargs: Any) -> float:
            return float(self.params[name])

        def suggest_int(self, name: str, *args: Any, **kwargs: Any) -> int:
            prm = next(p for p in problem.params if p.name == name)
            return int(min(max(round(self.params[name]), prm.low), prm.high))

        def suggest_categorical(self, name: str, choices: Any) -> Any:
            return self.params[name]

    def run(raw: dict[str, Any]) -> dict[str, Any]:
        return {"loss": objective(_Trial(_flatten(raw, {}))), "status": STATUS_OK}

    fmin(
        run,
        hyperopt_space(problem),
        algo=tpe.suggest,
        max_evals=n_trials,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )


def _run_smac(method: str, problem: Problem, seed: int, n_trials: int, jobs: int,
              objective: _Timed) -> None:
    from ConfigSpace import (
        Categorical,
        ConfigurationSpace,
        EqualsCondition,
        Float,
        InCondition,
        Integer,
    )
    from smac import HyperparameterOptimizationFacade, Scenario

    logging.getLogger("smac").setLevel(logging.WARNING)
    space = ConfigurationSpace(seed=seed)
    hps: dict[str, Any] = {}
    # ConfigSpace's choices must be str/int/float: other values travel by their index.
    for prm in problem.params:
        if prm.kind == "cat":
            hps[prm.name] = Categorical(prm.name, [str(i) for i in range(len(prm.choices))])
        elif prm.kind == "int":
            hps[prm.name] = Integer(prm.name, (int(prm.low), int(prm.high)), log=prm.log)
        else:
            hps[prm.name] = Float(prm.name, (prm.low, prm.high), log=prm.log)
    space.add(list(hps.values()))
    by_name = {p.name: p for p in problem.params}
    for prm in problem.params:
        if prm.when is not None:
            parent = by_name[prm.when[0]]
            codes = [str(parent.choices.index(v)) for v in prm.when[1]]
            cond: Any = (
                EqualsCondition(hps[prm.name], hps[parent.name], codes[0])
                if len(codes) == 1
                else InCondition(hps[prm.name], hps[parent.name], codes)
            )
            space.add(cond)
    number = [0]

    class _Trial:
        def __init__(self, config: Any) -> None:
            self.config = dict(config)
            self.number = number[0]
            number[0] += 1

        def suggest_float(self, name: str, *args: Any, **kwargs: Any) -> float:
            return float(self.config[name])

        def suggest_int(self, name: str, *args: Any, **kwargs: Any) -> int:
            return int(self.config[name])

        def suggest_categorical(self, name: str, choices: Any) -> Any:
            return by_name[name].choices[int(self.config[name])]

    def train(config: Any, seed: int = 0) -> float:
        return objective(_Trial(config))

    scenario = Scenario(
        space, deterministic=True, n_trials=n_trials, seed=seed, output_directory=Path(
            "/tmp") / f"smac-{problem.name}-{seed}-{time.time_ns()}"
    )
    smac = HyperparameterOptimizationFacade(scenario, train, overwrite=True, logging_level=40)
    smac.optimize()


def library_version(method: str) -> str:
    """The version of the library a method runs on (a peer's cached runs follow it)."""
    from importlib.metadata import version

    base, _ = split_method(method)
    package = {"optuna": "optuna", "hyperopt": "hyperopt", "smac": "smac"}.get(
        base.split("-")[0], "hpo_lab"
    )
    try:
        return f"{package} {version(package)}"
    except Exception:
        return f"{package} ?"


def method_missing(method: str) -> str | None:
    """Why ``method`` cannot run here (a missing package), or ``None``."""
    base, _ = split_method(method)
    needs = {"optuna": "optuna", "hyperopt": "hyperopt", "smac": "smac"}
    for prefix, module in needs.items():
        if base.startswith(prefix) and importlib.util.find_spec(module) is None:
            return f"{method} needs the {module} package, which is not installed"
    if base == "optuna-gp" and importlib.util.find_spec("torch") is None:
        return "optuna-gp needs torch (Optuna's GPSampler is written in torch), not installed"
    return None


def run_method(
    method: str, problem: Problem, seed: int, n_trials: int
) -> tuple[list[float], float, float]:
    """One run: the objective values in trial order, its wall seconds, and the seconds spent
    in the objective (the rest is the library's overhead)."""
    base, jobs = split_method(method)
    objective = _Timed(problem, PARALLEL_SLEEP_MS if jobs > 1 else 0.0)
    runner = (
        _run_optuna if base.startswith("optuna")
        else _run_hyperopt if base.startswith("hyperopt")
        else _run_smac if base == "smac"
        else _run_hpo_lab
    )
    start = time.perf_counter()
    runner(base, problem, seed, n_trials, jobs, objective)
    seconds = time.perf_counter() - start
    return objective.in_order()[:n_trials], seconds, objective.seconds


# -- cache ------------------------------------------------------------------------------------
def _run_path(cache: Path, problem: str, method: str, seed: int) -> Path:
    base, jobs = split_method(method)
    tag = "" if jobs == 1 else f"-j{jobs}"
    return cache / problem / f"{base}{tag}-v{METHOD_VERSIONS[base]}-seed{seed}.json"


def load_record(
    cache: Path, problem: str, method: str, seed: int, n_trials: int
) -> dict[str, Any] | None:
    """The cached record of a run with at least ``n_trials`` trials, on this version of its
    library (hpo_lab's own methods are versioned by :data:`METHOD_VERSIONS` alone)."""
    path = _run_path(cache, problem, method, seed)
    if not path.exists():
        return None
    record: dict[str, Any] = json.loads(path.read_text())
    if len(record["values"]) < n_trials:
        return None
    library = record.get("library")
    if library is not None and not library.startswith("hpo_lab") and (
        library != library_version(method)
    ):
        return None
    return record


def load_run(
    cache: Path, problem: str, method: str, seed: int, n_trials: int
) -> list[float] | None:
    """The cached values of a run with at least ``n_trials`` trials (first ``n_trials``)."""
    record = load_record(cache, problem, method, seed, n_trials)
    if record is None:
        return None
    return [float(v) for v in record["values"][:n_trials]]


def save_run(
    cache: Path,
    problem: str,
    method: str,
    seed: int,
    values: list[float],
    seconds: float,
    objective_seconds: float = 0.0,
    load: tuple[float, float] = (0.0, 0.0),
) -> None:
    path = _run_path(cache, problem, method, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    base, jobs = split_method(method)
    record = {
        "problem": problem,
        "method": method,
        "version": METHOD_VERSIONS[base],
        "library": library_version(method),
        "seed": seed,
        "jobs": jobs,
        "sleep_ms": PARALLEL_SLEEP_MS if jobs > 1 else 0.0,
        "seconds": seconds,
        "objective_seconds": objective_seconds,
        "load": list(load),
        "values": values,
    }
    tmp.write_text(json.dumps(record))
    tmp.replace(path)  # atomic: an interrupted run leaves no half-written file


def runs_load_average(
    cache: Path, problems: list[str], methods: list[str], seeds: list[int], n_trials: int
) -> str:
    """The median one-minute load average recorded with the cached runs a table shows (read
    from the cache, so a table printed again from it is the same), or ``"unknown"``."""
    loads = [
        float(v)
        for problem in problems
        for method in methods
        for seed in seeds
        if (record := load_record(cache, problem, method, seed, n_trials)) is not None
        for v in record.get("load", [])
        if float(v) > 0.0
    ]
    return f"{statistics.median(loads):.1f}" if loads else "unknown"


def reference_values(cache: Path, problem: Problem) -> list[float]:
    """The fixed uniform sample of ``problem`` (computed once, then read from the cache)."""
    size = REFERENCE_SIZE["real" if problem.real else "synthetic"]
    path = cache / problem.name / f"reference-{size}-seed{REFERENCE_SEED}.json"
    if path.exists():
        return [float(v) for v in json.loads(path.read_text())]
    rng = np.random.default_rng(REFERENCE_SEED)
    values = [problem.function(random_params(problem, rng)) for _ in range(size)]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(values))
    tmp.replace(path)
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


def wilcoxon_cell(a: list[float], b: list[float]) -> tuple[str, int]:
    """A table cell for paired best values (minimized), ``a`` being Auto's, and the verdict:
    +1 (Auto significantly better, p < 0.05), -1 (significantly worse) or 0."""
    from scipy.stats import wilcoxon

    diff = np.array(a) - np.array(b)
    if np.all(np.abs(diff) <= 1e-12 * (1 + np.abs(np.array(b)))):
        return "= (identical)", 0
    p = float(wilcoxon(a, b).pvalue)
    auto_better = np.median(diff) < 0 or (np.median(diff) == 0 and diff.mean() < 0)
    if p >= 0.05:
        return f"n.s. (p={p:.2g})", 0
    return ("**better**" if auto_better else "**worse**") + f" (p={p:.2g})", (
        1 if auto_better else -1
    )


def _regret_scale(cache: Path, name: str) -> tuple[float, float, bool]:
    problem = PROBLEMS[name]
    ref = reference_values(cache, problem)
    f_star = problem.optimum
    if f_star is None:
        f_star = min(min(all_cached_values(cache, name)), min(ref))
    return f_star, statistics.median(ref) - f_star, problem.optimum is None


def tables(
    cache: Path,
    problems: Sequence[str],
    methods: Sequence[str],
    seeds: Sequence[int],
    n_trials: int,
) -> str:
    """The markdown tables of the cached runs (missing runs are listed, not invented).

    Per problem, every sequential method with a cached run takes part: regrets are medians over
    the seeds it has (the "seeds" column), ranks are over the seeds that all of them have (the
    header says when that is fewer than asked for), and the Wilcoxon tests pair the seeds both
    methods have. The overall mean rank averages the problems on which every method took part.
    Parallel variants (``method@4``) get their own table: their regret against the same
    method's sequential regret, and their wall time.
    """
    checkpoints = [c for c in CHECKPOINTS if c < n_trials] + [n_trials]
    sequential = [m for m in methods if split_method(m)[1] == 1]
    parallel = [m for m in methods if split_method(m)[1] > 1]
    lines: list[str] = []
    rank_sum: dict[str, list[float]] = {m: [] for m in sequential}
    cat_rank_sum: dict[str, list[float]] = {m: [] for m in sequential}
    missing: list[str] = []
    tests: dict[str, dict[str, str]] = {}
    verdicts: dict[str, list[int]] = {}
    short: list[str] = []
    overhead: dict[str, dict[str, float]] = {}
    par_rows: list[str] = []
    for name in problems:
        records = {
            m: {s: load_record(cache, name, m, s, n_trials) for s in seeds} for m in sequential
        }
        runs = {
            m: {s: (None if r is None else r["values"][:n_trials]) for s, r in rs.items()}
            for m, rs in records.items()
        }
        for m in sequential:
            absent = [s for s in seeds if runs[m][s] is None]
            if absent:
                missing.append(f"{name}/{m} (seeds {', '.join(map(str, absent))})")
        present = [m for m in sequential if any(r is not None for r in runs[m].values())]
        common = [s for s in seeds if all(runs[m][s] is not None for m in present)]
        if not present or not common:
            continue
        if len(common) < len(seeds):
            short.append(f"{name}: seeds {', '.join(map(str, common))}")
        values = {m: [runs[m][s] or [] for s in common] for m in present}
        own = {m: [r for r in runs[m].values() if r is not None] for m in present}
        f_star, scale, observed = _regret_scale(cache, name)
        kind = ", best observed" if observed else ""
        seeds_note = "" if len(common) == len(seeds) else f"; {len(common)} seeds"
        lines += [
            "",
            f"### {name} ({len(PROBLEMS[name].params)} parameters; f* = {f_star:.6g}{kind}; "
            f"median random value {f_star + scale:.4g}{seeds_note})",
            "",
            "| method | "
            + " | ".join(f"regret @{c}" for c in checkpoints)
            + f" | seeds | mean rank @{n_trials} | ms per trial |",
            "|---|" + "---:|" * (len(checkpoints) + 3),
        ]
        best = {m: [min(r[:n_trials]) for r in values[m]] for m in present}
        ranks = _mean_ranks(best)
        for m in present:
            cells = []
            for c in checkpoints:
                regrets = [(min(r[:c]) - f_star) / scale for r in own[m]]
                cells.append(f"{statistics.median(regrets):.3g}")
            cells.append(str(len(own[m])))
            per_trial = [
                1e3 * (r["seconds"] - r.get("objective_seconds", 0.0)) / n_trials
                for r in records[m].values()
                if r is not None and "objective_seconds" in r
            ]
            ms = statistics.median(per_trial) if per_trial else math.nan
            overhead.setdefault(m, {})[name] = ms
            lines.append(
                f"| {m} | " + " | ".join(cells) + f" | {ranks[m]:.2f} | "
                + ("" if math.isnan(ms) else f"{ms:.3g}") + " |"
            )
            if len(present) == len(sequential):
                rank_sum[m].append(ranks[m])
                if name in CATEGORICAL_PROBLEMS:
                    cat_rank_sum[m].append(ranks[m])
        if "auto" in best:
            for other in PEERS:
                if other in present:
                    # Paired over every seed both have (not only those all methods have).
                    pairs = [
                        (min(a[:n_trials]), min(b[:n_trials]))
                        for a, b in ((runs["auto"][s], runs[other][s]) for s in seeds)
                        if a is not None and b is not None
                    ]
                    cell, verdict = wilcoxon_cell([a for a, _ in pairs], [b for _, b in pairs])
                    tests.setdefault(name, {})[other] = cell
                    verdicts.setdefault(other, []).append(verdict)
        # Parallel variants of this problem against their sequential runs.
        for pm in parallel:
            base = split_method(pm)[0]
            precs = [load_record(cache, name, pm, s, n_trials) for s in seeds]
            have = [r for r in precs if r is not None]
            if not have or base not in present:
                continue
            par = statistics.median(
                [(min(r["values"][:n_trials]) - f_star) / scale for r in have]
            )
            seq = statistics.median(
                [(min(r[:n_trials]) - f_star) / scale for r in own[base]]
            )
            ratio = "" if seq <= 0 else f"{par / seq:.2f}"
            if seq <= 0 and par <= 0:
                ratio = "1 (both 0)"
            wall = statistics.median([r["seconds"] for r in have])
            seq_wall = statistics.median(
                [
                    r["seconds"] + n_trials * PARALLEL_SLEEP_MS / 1e3
                    for r in records[base].values()
                    if r is not None
                ]
            )
            par_rows.append(
                f"| {name} | {base} | {seq:.3g} | {par:.3g} | {ratio} | {len(have)} | "
                f"{wall:.1f} | {seq_wall:.1f} |"
            )
    complete = [m for m in sequential if rank_sum[m]]
    if complete:
        n_prob = len(rank_sum[complete[0]])
        lines += [
            "",
            f"### Overall mean rank at {n_trials} trials ({n_prob} problems)",
            "",
            "| method | mean rank | categorical problems |",
            "|---|---:|---:|",
        ]
        for m in sorted(complete, key=lambda m: statistics.mean(rank_sum[m])):
            cat = f"{statistics.mean(cat_rank_sum[m]):.2f}" if cat_rank_sum[m] else ""
            lines.append(f"| {m} | {statistics.mean(rank_sum[m]):.2f} | {cat} |")
    if tests:
        peers = [p for p in PEERS if any(p in row for row in tests.values())]
        lines += [
            "",
            f"### Wilcoxon signed-rank, Auto vs each peer (paired over seeds, best at "
            f"{n_trials}; p < 0.05 marked)",
            "",
            "| problem | " + " | ".join(peers) + " |",
            "|---|" + "---|" * len(peers),
        ]
        for name, row in tests.items():
            lines.append(f"| {name} | " + " | ".join(row.get(p, "") for p in peers) + " |")
        lines.append(
            "| **Auto better / worse** | "
            + " | ".join(
                f"{verdicts[p].count(1)} / {verdicts[p].count(-1)}" for p in peers
            )
            + " |"
        )
    if overhead:
        lines += [
            "",
            f"### Overhead: ms per trial outside the objective, median over seeds ({n_trials} "
            "trials)",
            "",
            "| method | median over problems | max over problems |",
            "|---|---:|---:|",
        ]
        for m, per in overhead.items():
            vals = [v for v in per.values() if not math.isnan(v)]
            if vals:
                lines.append(f"| {m} | {statistics.median(vals):.3g} | {max(vals):.3g} |")
    if par_rows:
        lines += [
            "",
            f"### Parallel: n_jobs=4 on threads ({PARALLEL_SLEEP_MS:g} ms sleep in the "
            f"objective) against n_jobs=1, median regret at {n_trials}",
            "",
            "| problem | method | 1 worker | 4 workers | ratio 4 / 1 | seeds | wall s, 4 workers "
            "| wall s, 1 worker (+ sleeps) |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
            *par_rows,
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
        "--methods",
        nargs="+",
        type=_known_method,
        default=[*SEQUENTIAL_METHODS, *PARALLEL_METHODS],
        help="methods; METHOD@4 runs it with 4 threads (only on the problems of "
        f"--parallel-problems, default {' '.join(PARALLEL_PROBLEMS)})",
    )
    parser.add_argument("--parallel-problems", nargs="+", default=list(PARALLEL_PROBLEMS))
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
    try:
        from threadpoolctl import threadpool_limits

        # One BLAS/OpenMP thread for every library and objective: on a shared 2-core machine
        # more threads only wait for cores (an unscaled logistic regression took 6 s, not 0.4).
        threadpool_limits(1)
    except ImportError:
        pass
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
                if split_method(method)[1] > 1 and name not in args.parallel_problems:
                    continue
                for seed in args.seeds:
                    if load_run(args.cache_dir, name, method, seed, args.trials) is not None:
                        continue
                    load_before = os.getloadavg()[0]
                    values, seconds, in_objective = run_method(
                        method, problem, seed, args.trials
                    )
                    save_run(
                        args.cache_dir, name, method, seed, values, seconds, in_objective,
                        (load_before, os.getloadavg()[0]),
                    )
                    print(
                        f"{name} {method} seed {seed}: best {min(values):.6g} ({seconds:.1f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
    print(tables(args.cache_dir, args.problems, methods, args.seeds, args.trials))
    load = runs_load_average(args.cache_dir, args.problems, methods, args.seeds, args.trials)
    print(
        f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average during the runs {load}, seeds "
        f"{args.seeds[0]}-{args.seeds[-1]}, {args.trials} trials; "
        + ", ".join(sorted({library_version(m) for m in methods}))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

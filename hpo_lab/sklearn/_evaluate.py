"""One candidate of a search: cross-validate it inside a trial, fold by fold (or iteration by
iteration with ``partial_fit``), reporting as it goes so that a pruner can stop it early.

What a trial measured is stored with it as the system attribute :data:`RECORD_KEY` (plain
JSON: scores per metric and fold, fit and score times, error messages), so the search's
``cv_results_`` can be built from the stored trials, whichever executor ran them.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hpo_lab.exceptions import TrialPruned
from hpo_lab.sklearn._space import SearchSpace
from hpo_lab.trial._base import TrialInterface

__all__ = ["RECORD_KEY", "CVSetup", "make_objective"]

#: The system attribute holding what a trial of a scikit-learn search measured.
RECORD_KEY = "sklearn_cv"


@dataclass
class CVSetup:
    """Everything an objective of one ``fit`` needs (read-only while trials run)."""

    estimator: Any
    X: Any
    y: Any
    splits: list[tuple[np.ndarray, np.ndarray]]
    scorers: dict[str, Callable[..., Any]]
    refit_metric: str
    fit_params: dict[str, Any] = field(default_factory=dict)
    return_train_score: bool = False
    error_score: Any = np.nan
    max_iter: int | None = None
    classes: Any = None
    search_id: str = ""
    #: Whether to ask the study's pruner after each fold or iteration (not when the study's
    #: pruner is only the default one: a search prunes when it is given a pruner).
    prune: bool = True


def _n_samples(X: Any) -> int:
    from sklearn.utils.validation import _num_samples

    return int(_num_samples(X))


def _fold_params(params: Mapping[str, Any], indices: np.ndarray, n: int) -> dict[str, Any]:
    # Sample-aligned fit parameters (sample_weight, ...) are cut to the fold, as sklearn does.
    from sklearn.utils import _safe_indexing

    out: dict[str, Any] = {}
    for key, value in params.items():
        sized = hasattr(value, "__len__") and not isinstance(value, (str, bytes, dict))
        out[key] = _safe_indexing(value, indices) if sized and len(value) == n else value
    return out


def _candidate(setup: CVSetup, params: Mapping[str, Any]) -> Any:
    from sklearn.base import clone

    # Parameters are cloned too: an estimator given as a value must not be fitted in place
    # by two trials at once.
    cloned = {k: clone(v, safe=False) for k, v in params.items()}
    return clone(setup.estimator).set_params(**cloned)


def _score(
    setup: CVSetup, estimator: Any, X: Any, y: Any, errors: list[str]
) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, scorer in setup.scorers.items():
        try:
            value = scorer(estimator, X, y) if y is not None else scorer(estimator, X)
        except Exception:
            if isinstance(setup.error_score, str):
                raise
            errors.append(traceback.format_exc())
            value = setup.error_score
        if isinstance(value, Mapping):
            raise ValueError(
                "a scoring callable that returns a dict is not supported; pass a dict of "
                "scorers instead, e.g. scoring={'acc': 'accuracy', 'f1': 'f1_macro'}"
            )
        out[name] = float(value)
    return out


class _Record:
    def __init__(self, setup: CVSetup) -> None:
        n = len(setup.splits)
        self.setup = setup
        self.test: dict[str, list[float | None]] = {m: [None] * n for m in setup.scorers}
        self.train: dict[str, list[float | None]] = {m: [None] * n for m in setup.scorers}
        self.fit_time: list[float | None] = [None] * n
        self.score_time: list[float | None] = [None] * n
        self.errors: list[str] = []

    def set_fold(
        self,
        k: int,
        test: Mapping[str, float],
        train: Mapping[str, float] | None,
        fit_time: float,
        score_time: float,
    ) -> None:
        for m, v in test.items():
            self.test[m][k] = v
        if train is not None:
            for m, v in train.items():
                self.train[m][k] = v
        self.fit_time[k] = fit_time
        self.score_time[k] = score_time

    def running_mean(self) -> float:
        done = [v for v in self.test[self.setup.refit_metric] if v is not None]
        return float(np.mean(done)) if done else float("nan")

    def save(self, trial: TrialInterface) -> None:
        data: dict[str, Any] = {
            "search": self.setup.search_id,
            "test": self.test,
            "fit_time": self.fit_time,
            "score_time": self.score_time,
            "errors": self.errors[-3:],
            "n_errors": len(self.errors),
        }
        if self.setup.return_train_score:
            data["train"] = self.train
        trial.set_system_attr(RECORD_KEY, data)


def _fit_error(setup: CVSetup, errors: list[str]) -> None:
    if isinstance(setup.error_score, str):  # "raise"
        raise
    errors.append(traceback.format_exc())


def _split(setup: CVSetup, estimator: Any, k: int) -> tuple[Any, Any, Any, Any, dict[str, Any]]:
    from sklearn.utils.metaestimators import _safe_split

    train, test = setup.splits[k]
    X_tr, y_tr = _safe_split(estimator, setup.X, setup.y, train)
    X_te, y_te = _safe_split(estimator, setup.X, setup.y, test, train)
    params = _fold_params(setup.fit_params, train, _n_samples(setup.X))
    return X_tr, y_tr, X_te, y_te, params


def _by_folds(setup: CVSetup, params: Mapping[str, Any], trial: TrialInterface) -> float:
    record = _Record(setup)
    n = len(setup.splits)
    failed = {m: setup.error_score for m in setup.scorers}
    for k in range(n):
        estimator = _candidate(setup, params)
        X_tr, y_tr, X_te, y_te, fit_params = _split(setup, estimator, k)
        start = time.perf_counter()
        ok = True
        try:
            if y_tr is None:
                estimator.fit(X_tr, **fit_params)
            else:
                estimator.fit(X_tr, y_tr, **fit_params)
        except Exception:
            _fit_error(setup, record.errors)
            ok = False
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        test = _score(setup, estimator, X_te, y_te, record.errors) if ok else failed
        score_time = time.perf_counter() - start
        train = None
        if setup.return_train_score:
            train = _score(setup, estimator, X_tr, y_tr, record.errors) if ok else failed
        record.set_fold(k, test, train, fit_time, score_time)
        trial.report(record.running_mean(), step=k)
        if setup.prune and k < n - 1 and trial.should_prune():
            record.save(trial)
            raise TrialPruned(f"pruned after fold {k + 1} of {n}")
    record.save(trial)
    return record.running_mean()


def _by_iterations(setup: CVSetup, params: Mapping[str, Any], trial: TrialInterface) -> float:
    assert setup.max_iter is not None
    record = _Record(setup)
    n = len(setup.splits)
    estimators = [_candidate(setup, params) for _ in range(n)]
    data = [_split(setup, estimators[k], k) for k in range(n)]
    extra = {} if setup.classes is None else {"classes": setup.classes}
    fit_times = [0.0] * n
    broken: set[int] = set()
    failed = {m: setup.error_score for m in setup.scorers}
    for it in range(setup.max_iter):
        for k in range(n):
            if k in broken:
                continue
            X_tr, y_tr, X_te, y_te, fit_params = data[k]
            start = time.perf_counter()
            try:
                if y_tr is None:
                    estimators[k].partial_fit(X_tr, **extra, **fit_params)
                else:
                    estimators[k].partial_fit(X_tr, y_tr, **extra, **fit_params)
            except Exception:
                _fit_error(setup, record.errors)
                broken.add(k)
            fit_times[k] += time.perf_counter() - start
            start = time.perf_counter()
            ok = k not in broken
            test = _score(setup, estimators[k], X_te, y_te, record.errors) if ok else failed
            score_time = time.perf_counter() - start
            train = None
            if setup.return_train_score:
                train = (
                    _score(setup, estimators[k], X_tr, y_tr, record.errors) if ok else failed
                )
            record.set_fold(k, test, train, fit_times[k], score_time)
        trial.report(record.running_mean(), step=it)
        if setup.prune and it < setup.max_iter - 1 and trial.should_prune():
            record.save(trial)
            raise TrialPruned(f"pruned after iteration {it + 1} of {setup.max_iter}")
    record.save(trial)
    return record.running_mean()


def make_objective(setup: CVSetup, space: SearchSpace) -> Callable[[TrialInterface], float]:
    """The objective of one ``fit``: suggest a candidate, cross-validate it, return its mean
    score on the metric the search optimises (greater is better)."""

    def objective(trial: TrialInterface) -> float:
        params = space.suggest(trial)
        if setup.max_iter is None:
            return _by_folds(setup, params, trial)
        return _by_iterations(setup, params, trial)

    return objective

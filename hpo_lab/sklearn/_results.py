"""``cv_results_`` in scikit-learn's layout, built from the stored trials of one search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy import ma

from hpo_lab.sklearn._evaluate import RECORD_KEY
from hpo_lab.sklearn._space import SearchSpace
from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["build_cv_results", "rank", "search_trials"]


def search_trials(trials: Sequence[FrozenTrial], search_id: str) -> list[FrozenTrial]:
    """The finished trials one ``fit`` evaluated (identified by its id), in trial order."""
    out = []
    for t in trials:
        record = t.system_attrs.get(RECORD_KEY)
        if isinstance(record, dict) and record.get("search") == search_id:
            out.append(t)
    return sorted(out, key=lambda t: t.number)


def rank(scores: np.ndarray) -> np.ndarray:
    """Rank 1 for the highest score, ties sharing the lowest rank; NaN ranks last.

    Example:
        >>> rank(np.array([0.5, np.nan, 0.9, 0.5])).tolist()
        [2, 4, 1, 2]
    """
    from scipy.stats import rankdata

    filled = np.where(np.isnan(scores), -np.inf, scores)
    if np.isnan(scores).all():
        return np.ones(len(scores), dtype=np.int32)
    ranks = rankdata(-filled, method="min").astype(np.int32)
    ranks[np.isnan(scores)] = int(np.sum(~np.isnan(scores))) + 1
    return ranks


def _floats(values: Sequence[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _param_column(values: list[Any], present: list[bool]) -> ma.MaskedArray:
    # As GridSearchCV: a numeric dtype when every present value is a plain number, else object.
    kept = [v for v, p in zip(values, present) if p]
    dtype: Any = object
    if kept and all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        for v in kept
    ):
        dtype = np.result_type(*[np.asarray(v).dtype for v in kept])
    data = np.empty(len(values), dtype=dtype)
    for i, (v, p) in enumerate(zip(values, present)):
        data[i] = v if p else (0 if dtype is not object else None)
    return ma.MaskedArray(data, mask=[not p for p in present])


def build_cv_results(
    trials: Sequence[FrozenTrial],
    space: SearchSpace,
    metrics: Sequence[str],
    n_splits: int,
    *,
    multimetric: bool,
    return_train_score: bool,
) -> tuple[dict[str, Any], list[str]]:
    """``cv_results_`` (one entry per trial) and the error messages the trials recorded.

    Keys are scikit-learn's: ``params``, ``param_<name>`` (masked arrays),
    ``split<k>_test_<metric>``, ``mean_test_<metric>``, ``std_test_<metric>``,
    ``rank_test_<metric>`` (``_score`` in place of ``_<metric>`` for a single metric), the
    ``train`` ones with ``return_train_score``, and ``mean/std_fit_time`` and
    ``mean/std_score_time``. Two more say where each row comes from: ``trial_number`` and
    ``state`` (``COMPLETE``, ``PRUNED`` or ``FAIL``). A candidate that did not finish every
    fold (pruned) has NaN for the folds it skipped and for its mean and std, so it ranks last.
    """
    params: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for t in trials:
        decoded = space.decode(t.params)
        params.append(decoded if decoded is not None else {})
        records.append(t.system_attrs[RECORD_KEY])
    results: dict[str, Any] = {}
    for which in ("fit", "score"):
        times = np.array([_floats(r[f"{which}_time"]) for r in records]).reshape(
            len(records), n_splits
        )
        # A pruned candidate has times for the folds it ran only: average those.
        ran = ~np.isnan(times)
        count = np.maximum(ran.sum(axis=1), 1)
        filled = np.where(ran, times, 0.0)
        mean = filled.sum(axis=1) / count
        std = np.sqrt(np.where(ran, (times - mean[:, None]) ** 2, 0.0).sum(axis=1) / count)
        results[f"mean_{which}_time"] = mean
        results[f"std_{which}_time"] = std
    for name in space.names:
        present = [name in p for p in params]
        results[f"param_{name}"] = _param_column([p.get(name) for p in params], present)
    results["params"] = params
    sets = ["test", "train"] if return_train_score else ["test"]
    for which in sets:
        for metric in metrics:
            suffix = metric if multimetric else "score"
            table = np.array(
                [_floats(r.get(which, {}).get(metric, [None] * n_splits)) for r in records]
            ).reshape(len(records), n_splits)
            for k in range(n_splits):
                results[f"split{k}_{which}_{suffix}"] = table[:, k]
            complete = ~np.isnan(table).any(axis=1) if n_splits else np.zeros(0, bool)
            mean = np.full(len(records), np.nan)
            std = np.full(len(records), np.nan)
            mean[complete] = table[complete].mean(axis=1)
            std[complete] = table[complete].std(axis=1)
            results[f"mean_{which}_{suffix}"] = mean
            results[f"std_{which}_{suffix}"] = std
            if which == "test":
                results[f"rank_test_{suffix}"] = rank(mean)
    results["trial_number"] = np.array([t.number for t in trials], dtype=int)
    results["state"] = np.array([t.state.value for t in trials], dtype=object)
    errors = [e for r in records for e in r.get("errors", [])]
    return results, errors

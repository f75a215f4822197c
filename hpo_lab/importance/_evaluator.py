"""The study adapter: COMPLETE trials -> design matrix -> :func:`fanova_importances`."""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, overload

import numpy as np

from hpo_lab.distributions import CategoricalDistribution, Distribution
from hpo_lab.importance._fanova import fanova_importances
from hpo_lab.search_space._transform import encode_unit, intersection_search_space
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["ImportanceResult", "get_param_importances", "importance_inputs"]


class _HasTrials(Protocol):
    def get_trials(
        self, deepcopy: bool = ..., states: Container[TrialState] | None = ...
    ) -> list[FrozenTrial]: ...


@dataclass(frozen=True)
class ImportanceResult:
    """Importances with bootstrap intervals, most important parameter first.

    Attributes:
        importances: ``name -> importance``; sums to 1.
        lower, upper: ``name -> bound`` of the interval at ``confidence``.
        confidence: Coverage of the interval.
        n_trials: How many trials the estimate rests on.
        n_skipped: COMPLETE trials left out because ``target`` returned ``None``.
        n_capped: COMPLETE trials left out by the ``max_trials`` cap.
    """

    importances: dict[str, float]
    lower: dict[str, float]
    upper: dict[str, float]
    confidence: float
    n_trials: int
    n_skipped: int = 0
    n_capped: int = 0


def importance_inputs(
    trials: Sequence[FrozenTrial],
    params: Sequence[str] | None = None,
    target: Callable[[FrozenTrial], float] | None = None,
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """The parameter names, design matrix ``(n, d)``, target ``(n,)`` and choice counts ``(d,)``
    that :func:`get_param_importances` evaluates, from COMPLETE trials.

    Parameters are the ones every COMPLETE trial has with the same declared distribution,
    excluding those with a single possible value. Numeric values are encoded into ``[0, 1]`` by
    their declared distribution (log ones in log space); categorical ones become indices.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_float("x", 1, 100, log=True), n_trials=3)
        >>> names, x, y, k = importance_inputs(s.trials)
        >>> names, x.shape, k.tolist()
        (['x'], (3, 1), [0])
    """
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    names, x, y, n_choices, _ = _encode(complete, _choose(complete, params), target)
    return names, x, y, n_choices


def _choose(
    complete: Sequence[FrozenTrial], params: Sequence[str] | None
) -> dict[str, Distribution]:
    space = intersection_search_space(complete)
    if params is None:
        return {n: d for n, d in space.items() if not d.single()}
    if isinstance(params, str):
        raise TypeError(f"params must be a list of names, but got the string {params!r}")
    chosen: dict[str, Distribution] = {}
    for name in params:
        if name not in space:
            raise ValueError(
                f"parameter {name!r} is not in every COMPLETE trial with one distribution; "
                f"usable parameters: {sorted(space) or 'none'}"
            )
        chosen[name] = space[name]
    return chosen


def _encode(
    complete: Sequence[FrozenTrial],
    chosen: dict[str, Distribution],
    target: Callable[[FrozenTrial], float] | None,
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, int]:
    names = list(chosen)
    ys: list[float] = []
    rows: list[list[float]] = []
    skipped = 0
    for t in complete:
        value = target(t) if target is not None else t.value
        if value is None:
            # A target may have nothing to say about some trials (e.g. a metric only some
            # trials report): leave them out, as the plots do, and count them.
            skipped += 1
            continue
        if not math.isfinite(float(value)):
            raise ValueError(
                f"the target of trial {t.number} is {value!r}; importance needs finite values"
            )
        ys.append(float(value))
        row = []
        for name, dist in chosen.items():
            v = t.params[name]
            if isinstance(dist, CategoricalDistribution):
                row.append(float(dist.index(v)))
            else:
                row.append(encode_unit(dist, v))
        rows.append(row)
    x = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(names))
    n_choices = np.array(
        [len(d.choices) if isinstance(d, CategoricalDistribution) else 0 for d in chosen.values()],
        dtype=np.int64,
    )
    return names, x, np.asarray(ys, dtype=np.float64), n_choices, skipped


@overload
def get_param_importances(
    study: _HasTrials,
    *,
    params: Sequence[str] | None = ...,
    target: Callable[[FrozenTrial], float] | None = ...,
    normalize: bool = ...,
    intervals: Literal[False] = ...,
    confidence: float = ...,
    n_bootstrap: int = ...,
    n_trees: int = ...,
    max_trials: int | None = ...,
    seed: int | None = ...,
) -> dict[str, float]: ...


@overload
def get_param_importances(
    study: _HasTrials,
    *,
    params: Sequence[str] | None = ...,
    target: Callable[[FrozenTrial], float] | None = ...,
    normalize: bool = ...,
    intervals: Literal[True],
    confidence: float = ...,
    n_bootstrap: int = ...,
    n_trees: int = ...,
    max_trials: int | None = ...,
    seed: int | None = ...,
) -> ImportanceResult: ...


def get_param_importances(
    study: _HasTrials,
    *,
    params: Sequence[str] | None = None,
    target: Callable[[FrozenTrial], float] | None = None,
    normalize: bool = True,
    intervals: bool = False,
    confidence: float = 0.9,
    n_bootstrap: int = 20,
    n_trees: int = 64,
    max_trials: int | None = 1000,
    seed: int | None = 0,
) -> dict[str, float] | ImportanceResult:
    """How much of the objective's variation each parameter explains (fANOVA).

    Evaluates the study's own COMPLETE trials (a snapshot of its trials works too) with the
    numpy fANOVA of :func:`hpo_lab.importance.fanova_importances`: a random forest fitted to the
    trials, its variance split into each parameter's main effect. Parameters are those every
    COMPLETE trial shares (or ``params``).

    Args:
        study: A study, or any object with ``get_trials(states=...)``.
        params: Parameters to rank; default all shared ones.
        target: Maps a trial to the value to explain; default its objective value.
        normalize: Importances sum to 1 (else the raw variance fractions are returned).
        intervals: Also return bootstrap intervals, as an :class:`ImportanceResult`.
        confidence: Coverage of the intervals.
        n_bootstrap: Bootstrap replicates for the intervals.
        n_trees: Trees of the forest.
        max_trials: Beyond this many trials, a seeded uniform sample of this many is evaluated
            (``None``: all). The cost grows with the trials; the default keeps a study of any
            size to about the cost of 1,000 trials.
        seed: Seed of the forest's bootstrap draws; the default makes results repeatable.

    Returns:
        ``name -> importance``, most important first; an :class:`ImportanceResult` with
        ``intervals=True``.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: 10 * t.suggest_float("a", 0, 1) + t.suggest_float("b", 0, 1),
        ...            n_trials=60)
        >>> imp = get_param_importances(s)
        >>> list(imp), round(sum(imp.values()), 6)
        (['a', 'b'], 1.0)
    """
    if not isinstance(normalize, bool):
        raise TypeError(f"normalize must be a bool, but got normalize={normalize!r}")
    if max_trials is not None and (
        isinstance(max_trials, bool) or not isinstance(max_trials, int) or max_trials < 2
    ):
        raise ValueError(f"max_trials must be an int >= 2 or None, but got {max_trials!r}")
    trials = study.get_trials(states=(TrialState.COMPLETE,))
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    names, x, y, n_choices, n_skipped = _encode(complete, _choose(complete, params), target)
    if len(y) < 2:
        skipped = f" ({n_skipped} without a target value)" if n_skipped else ""
        raise ValueError(
            f"importance needs at least 2 COMPLETE trials with a value, but the study has "
            f"{len(y)}{skipped}"
        )
    n_capped = 0
    if max_trials is not None and len(y) > max_trials:
        # A uniform sample keeps the whole study's spread (the most recent trials would
        # describe only the region the sampler converged to).
        keep = np.sort(np.random.default_rng(seed).choice(len(y), max_trials, replace=False))
        n_capped = len(y) - max_trials
        x, y = x[keep], y[keep]
    if not names:
        raise ValueError(
            "importance needs at least one parameter that every COMPLETE trial has "
            "and that can take more than one value, but there is none"
        )
    res = fanova_importances(
        x,
        y,
        n_choices,
        n_trees=n_trees,
        n_bootstrap=n_bootstrap if intervals else 0,
        confidence=confidence,
        seed=seed,
    )
    values = res.importances if normalize else res.raw
    order = sorted(range(len(names)), key=lambda i: (-values[i], names[i]))
    importances = {names[i]: float(values[i]) for i in order}
    if not intervals:
        return importances
    assert res.lower is not None
    assert res.upper is not None
    scale = 1.0 if normalize else float(res.raw.sum())
    return ImportanceResult(
        importances=importances,
        lower={names[i]: float(res.lower[i]) * scale for i in order},
        upper={names[i]: float(res.upper[i]) * scale for i in order},
        confidence=confidence,
        n_trials=len(y),
        n_skipped=n_skipped,
        n_capped=n_capped,
    )

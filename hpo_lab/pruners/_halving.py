"""Successive-halving arithmetic on plain numbers: rungs, promotions, Hyperband brackets, and
the rank correlation that tells whether a rung predicts the full resource.

Nothing here knows of studies or trials: :class:`~hpo_lab.pruners.SuccessiveHalvingPruner` and
:class:`~hpo_lab.pruners.HyperbandPruner` gather the numbers from a study view and call these.

Notation (Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020,
Algorithm 2; Li et al., "Hyperband", JMLR 2018, Algorithm 1): ``r`` the minimum resource,
``eta`` the reduction factor, ``s`` the minimum early-stopping rate, ``R`` the maximum
resource. Rung ``k`` sits at resource ``r * eta ** (s + k)``.
"""

from __future__ import annotations

import bisect
import math
import zlib
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "bracket_of",
    "bracket_weights",
    "crossed_rungs",
    "n_brackets",
    "promotion",
    "rung_resource",
    "spearman",
    "value_at_resource",
]


def rung_resource(
    rung: int, min_resource: int, reduction_factor: int, min_early_stopping_rate: int = 0
) -> int:
    """The resource (step) at which rung ``rung`` is decided: ``r * eta ** (s + rung)``.

    Example:
        >>> [rung_resource(k, 1, 3) for k in range(4)]
        [1, 3, 9, 27]
        >>> rung_resource(0, 2, 4, min_early_stopping_rate=1)
        8
    """
    return int(min_resource * reduction_factor ** (min_early_stopping_rate + rung))


def crossed_rungs(
    previous_step: int | None,
    step: int,
    min_resource: int,
    reduction_factor: int,
    min_early_stopping_rate: int = 0,
) -> list[int]:
    """The rungs whose resource lies in ``(previous_step, step]``: those a trial reaches with a
    report at ``step`` after its report at ``previous_step`` (``None``: its first report).

    A trial that reports sparsely may cross several rungs in one report; each is decided
    then, on the same value.

    Example:
        >>> crossed_rungs(0, 1, 1, 3), crossed_rungs(1, 2, 1, 3), crossed_rungs(None, 10, 1, 3)
        ([0], [], [0, 1, 2])
    """
    low = -1 if previous_step is None else previous_step
    out: list[int] = []
    k = 0
    while True:
        resource = rung_resource(k, min_resource, reduction_factor, min_early_stopping_rate)
        if resource > step:
            return out
        if resource > low:
            out.append(k)
        k += 1


def value_at_resource(
    values: Mapping[int, float], resource: int, steps: Sequence[int] | None = None
) -> float | None:
    """A trial's value at ``resource``: the value of its first report at or past it, or
    ``None`` if it never got there. ``steps`` (the sorted keys of ``values``) saves a sort.

    Example:
        >>> value_at_resource({0: 0.9, 2: 0.5, 4: 0.4}, 1), value_at_resource({0: 0.9}, 1)
        (0.5, None)
    """
    v = values.get(resource)
    if v is not None:
        return v
    ordered = sorted(values) if steps is None else steps
    i = bisect.bisect_left(ordered, resource)
    return None if i == len(ordered) else values[ordered[i]]


def _loss(value: float, maximize: bool) -> float:
    # One orientation: smaller is better, NaN is the worst.
    if math.isnan(value):
        return math.inf
    return -value if maximize else value


def promotion(
    value: float, others: Sequence[float], reduction_factor: int, *, maximize: bool
) -> tuple[bool, float]:
    """Whether ``value`` is promoted from a rung where ``others`` were recorded before it, and
    the threshold it was held to.

    The rule of asynchronous successive halving as Optuna implements it: with ``n`` values at
    the rung (``others`` and this one), a value is promoted when it is at least as good as the
    ``max(n // eta, 1)``-th best, i.e. when it lies in the top ``1/eta`` -- or is the best while
    fewer than ``eta`` values are in. NaN is the worst value and is never promoted.

    Example:
        >>> promotion(0.3, [0.1, 0.2, 0.5, 0.9], 3, maximize=False)
        (False, 0.1)
        >>> promotion(0.3, [0.5, 0.9], 3, maximize=False)
        (True, 0.3)
        >>> promotion(0.8, [0.1, 0.2, 0.5, 0.9, 0.4], 3, maximize=True)
        (True, 0.8)
    """
    mine = _loss(value, maximize)
    losses = np.array(others, dtype=float)
    if maximize:
        losses = -losses
    losses[np.isnan(losses)] = math.inf
    losses = np.sort(np.append(losses, mine))
    index = max(losses.size // reduction_factor, 1) - 1
    threshold = float(losses[index])
    # Shown in the value's own orientation; a threshold of "NaN or worse" is shown as NaN.
    shown = math.nan if threshold == math.inf else (-threshold if maximize else threshold)
    return (mine != math.inf and mine <= threshold), shown


def n_brackets(min_resource: int, max_resource: int, reduction_factor: int) -> int:
    """Hyperband's number of brackets, ``floor(log_eta(R / r)) + 1`` (``s_max + 1`` in the
    paper), at least 1.

    Example:
        >>> n_brackets(1, 27, 3), n_brackets(1, 28, 3), n_brackets(1, 2, 3)
        (4, 4, 1)
    """
    if max_resource <= min_resource:
        return 1
    n = 0
    # Integer powers, so that R = r * eta**k gives k + 1 exactly (log() may round down).
    while min_resource * reduction_factor ** (n + 1) <= max_resource:
        n += 1
    return n + 1


def bracket_weights(n: int, reduction_factor: int) -> list[int]:
    """The share of trials each of ``n`` brackets gets: bracket ``b`` (early-stopping rate
    ``b``) gets ``ceil(n * eta**s / (s + 1))`` with ``s = n - 1 - b``, Hyperband's ``n_i`` for a
    fixed total (as Optuna computes it), so every bracket spends about the same resource.

    Example:
        >>> bracket_weights(4, 3)
        [27, 12, 6, 4]
    """
    out = []
    for b in range(n):
        s = n - 1 - b
        out.append(math.ceil(n * reduction_factor**s / (s + 1)))
    return out


def bracket_of(key: str, weights: Sequence[int]) -> int:
    """The bracket of the trial named by ``key`` (``f"{study_name}_{number}"``): CRC-32 of the
    key modulo the total weight, then the bracket whose share holds it. The same function of the
    same key in every process, on every resume, and as in Optuna.

    Example:
        >>> bracket_of("study_0", [27, 12, 6, 4]) in range(4)
        True
        >>> bracket_of("study_0", [1])
        0
    """
    n = zlib.crc32(key.encode()) % sum(weights)
    for b, w in enumerate(weights):
        n -= w
        if n < 0:
            return b
    raise AssertionError("unreachable: n < sum(weights)")  # pragma: no cover


def _average_ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    ranks = np.empty(x.size)
    sorted_x = x[order]
    i = 0
    while i < x.size:
        j = i
        while j + 1 < x.size and sorted_x[j + 1] == sorted_x[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0
        i = j + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation of paired values (ties get their average rank; NaN ranks
    worst, as ``+inf``). NaN when fewer than 3 pairs or one side is constant.

    Example:
        >>> spearman([1, 2, 3, 4], [10, 20, 30, 40]), spearman([1, 2, 3, 4], [4, 3, 2, 1])
        (1.0, -1.0)
        >>> spearman([1, 2, 3], [5, 5, 5])
        nan
    """
    a = np.asarray(x, dtype=float).copy()
    b = np.asarray(y, dtype=float).copy()
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            f"spearman needs two sequences of one length, but got {a.shape}, {b.shape}"
        )
    if a.size < 3:
        return math.nan
    a[np.isnan(a)] = np.inf
    b[np.isnan(b)] = np.inf
    ra, rb = _average_ranks(a), _average_ranks(b)
    ra -= ra.mean()
    rb -= rb.mean()
    denominator = math.sqrt(float(ra @ ra) * float(rb @ rb))
    if denominator == 0.0:
        return math.nan
    return float(ra @ rb) / denominator

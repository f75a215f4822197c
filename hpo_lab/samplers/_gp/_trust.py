"""A trust region for the GP's acquisition search in many dimensions.

In more than about ten dimensions a global expected-improvement search spends most of a small
budget on the box's far corners, where the model knows nothing. TuRBO (Eriksson et al., NeurIPS
2019) searches a box around the best point instead, its side per parameter proportional to the
fitted length scale, and grows the box after consecutive improvements and shrinks it after
consecutive failures. Here the global model is kept (every observation informs it) and only the
search is confined.

The region's side is *replayed* from the study's values in trial order on every ask rather than
kept as sampler state, so every process, every resume and every pickled copy of the sampler
agrees on it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["TRUST_REGION_MIN_DIMS", "region_bounds", "region_length"]

#: The region is used (``GPSampler(trust_region=None)``) when the joint space has at least this
#: many numeric (float or integer) parameters.
TRUST_REGION_MIN_DIMS = 11
#: Side of the region (in the unit cube, for a parameter of average length scale) at the start,
#: at most and at least; below the least it starts again at the initial side.
INITIAL_LENGTH, MAX_LENGTH, MIN_LENGTH = 0.8, 1.6, 0.5**7
#: Consecutive improvements that double the side, consecutive failures that halve it. TuRBO
#: halves after ``d`` failures; with budgets of about a hundred trials that leaves the region
#: at its initial size (measured: 5 did better on every embedded Hartmann problem).
SUCCESS_TOLERANCE, FAILURE_TOLERANCE = 3, 5
#: An improvement must beat the best value by this fraction of its magnitude.
_RELATIVE_IMPROVEMENT = 1e-3


def region_length(values: Sequence[float], n_initial: int) -> float:
    """The region's side after the observations ``values`` (to minimize, in trial order).

    The first ``n_initial`` values (the start-up design, inherited trials first) set the best
    value; every later one counts as a success (it beats the best by at least a thousandth of its
    magnitude) or a failure.

    Example:
        >>> region_length([5.0, 4.0, 3.0], n_initial=1)     # under three successes: unchanged
        0.8
        >>> region_length([5.0, 4.0, 3.0, 2.0], n_initial=1)  # three in a row: doubled
        1.6
        >>> region_length([1.0] * 11, n_initial=1)            # ten failures: halved twice
        0.2
    """
    length = INITIAL_LENGTH
    head = [float(v) for v in values[:n_initial]]
    best = min(head) if head else math.inf
    successes = failures = 0
    for v in values[n_initial:]:
        v = float(v)
        if v < best - _RELATIVE_IMPROVEMENT * abs(best):
            successes, failures = successes + 1, 0
        else:
            successes, failures = 0, failures + 1
        if successes == SUCCESS_TOLERANCE:
            length, successes = min(2.0 * length, MAX_LENGTH), 0
        elif failures == FAILURE_TOLERANCE:
            length, failures = length / 2.0, 0
            if length < MIN_LENGTH:
                length = INITIAL_LENGTH
        best = min(best, v)
    return length


def region_bounds(
    center: np.ndarray, length: float, lengthscales: np.ndarray, spans: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper coordinates of the region around ``center`` (coordinates in ``[0, 1]``).

    Each side is ``length`` times the parameter's length scale over their geometric mean (so the
    box has the volume of a cube of side ``length``), in units of the model's feature cube;
    ``spans`` is the width of each coordinate's range in those units (below 1 where the range
    has been narrowed), which turns a side into coordinates.

    Example:
        >>> lo, hi = region_bounds(np.array([0.5, 0.5]), 0.4, np.array([1.0, 4.0]), np.ones(2))
        >>> lo.round(2).tolist(), hi.round(2).tolist()
        ([0.4, 0.1], [0.6, 0.9])
    """
    weights = lengthscales / math.exp(float(np.mean(np.log(lengthscales))))
    half = weights * length / 2.0 / np.maximum(spans, 1e-12)
    return np.clip(center - half, 0.0, 1.0), np.clip(center + half, 0.0, 1.0)

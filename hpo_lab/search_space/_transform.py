"""The unit-cube encoding that samplers share, and search-space inference from trials.

``encode_unit`` maps a value of a distribution to ``[0, 1]``; ``decode_unit`` maps any point of
``[0, 1]`` back to a valid value. Log distributions are encoded in log space; integers and
categorical choices each own an equal-width cell, so uniform points decode to uniform values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from hpo_lab.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["decode_unit", "encode_unit", "intersection_search_space", "snap_to_grid"]


def _bounds(dist: FloatDistribution | IntDistribution) -> tuple[float, float]:
    # Integer and stepped cells extend half a step beyond the end points.
    if isinstance(dist, IntDistribution) or dist.step is not None:
        half = 0.5 * float(dist.step or 1)
        low, high = float(dist.low) - half, float(dist.high) + half
        if dist.log:
            low = max(low, float(dist.low) * 0.5)
    else:
        low, high = float(dist.low), float(dist.high)
    if dist.log:
        return math.log(low), math.log(high)
    return low, high


def encode_unit(dist: Distribution, value: Any) -> float:
    """Map a value of ``dist`` into ``[0, 1]``.

    Example:
        >>> encode_unit(FloatDistribution(1.0, 100.0, log=True), 10.0)
        0.5
    """
    if isinstance(dist, CategoricalDistribution):
        n = len(dist.choices)
        return (dist.index(value) + 0.5) / n
    low, high = _bounds(dist)
    if dist.single() or not high > low:
        # Bounds a few ulps apart can have equal logarithms.
        return 0.5
    v = math.log(float(value)) if dist.log else float(value)
    return min(1.0, max(0.0, (v - low) / (high - low)))


def decode_unit(dist: Distribution, u: float) -> Any:
    """Map a point of ``[0, 1]`` to a value of ``dist`` (rounded onto its grid).

    Example:
        >>> decode_unit(IntDistribution(0, 9), 0.99)
        9
    """
    u = min(1.0, max(0.0, float(u)))
    if isinstance(dist, CategoricalDistribution):
        n = len(dist.choices)
        return dist.choices[min(n - 1, int(u * n))]
    if dist.single():
        return dist.to_external(float(dist.low))
    low, high = _bounds(dist)
    v = low + u * (high - low)
    if dist.log:
        v = math.exp(v)
    if isinstance(dist, FloatDistribution) and dist.step is None and (u == 0.0 or u == 1.0):
        # exp(log(low)) can miss low by an ulp; the faces of the cube are the bounds exactly.
        return float(dist.low) if u == 0.0 else float(dist.high)
    return snap_to_grid(dist, v)


def snap_to_grid(dist: FloatDistribution | IntDistribution, v: float) -> int | float:
    """Round a value in the distribution's own units onto its step grid, inside its bounds.

    Example:
        >>> snap_to_grid(IntDistribution(0, 10, step=2), 6.9)
        6
    """
    if isinstance(dist, IntDistribution):
        k = round((v - dist.low) / dist.step)
        k = min(max(k, 0), (dist.high - dist.low) // dist.step)
        return int(dist.low + k * dist.step)
    if dist.step is not None:
        n = round((dist.high - dist.low) / dist.step)
        k = min(max(round((v - dist.low) / dist.step), 0), n)
        return min(float(dist.high), float(dist.low + k * dist.step))
    return min(float(dist.high), max(float(dist.low), float(v)))


def intersection_search_space(trials: Iterable[FrozenTrial]) -> dict[str, Distribution]:
    """Parameters that every given trial has, with the same declared distribution.

    Returns an empty dict when there are no trials. Sorted by name.

    Example:
        >>> intersection_search_space([])
        {}
    """
    space: dict[str, Distribution] | None = None
    for t in trials:
        if space is None:
            space = dict(t.distributions)
            continue
        space = {
            name: d for name, d in space.items() if t.distributions.get(name) == d
        }
    return dict(sorted((space or {}).items()))

"""PBT's explore step on plain values: perturb or resample hyperparameters inside the space.

Numbers knowing nothing of studies. Every value returned lies inside the *effective*
distribution given (the declared one narrowed by the current revision): log parameters move
by a factor in log space, linear ones by a factor of their value (or of the range's width when
the range reaches below zero), integers move by at least one step, values on a step grid stay on
it, and categoricals are resampled. A perturbed value that would land outside the range is put on
the nearest bound, and the change says so (``"clipped": True``): nothing is clipped silently,
and nothing ever leaves the space.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from hpo_lab.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_lab.search_space._transform import decode_unit, encode_unit

__all__ = ["explore", "move_inside", "perturb", "resample"]


def resample(dist: Distribution, rng: np.random.Generator) -> Any:
    """A value drawn uniformly from ``dist`` (log-uniformly for a log range).

    Example:
        >>> 1 <= resample(IntDistribution(1, 4), np.random.default_rng(0)) <= 4
        True
    """
    return decode_unit(dist, float(rng.random()))


def _inside(dist: Distribution, raw: float) -> tuple[Any, bool]:
    # Into the range and onto its grid; report whether the raw value lay outside the range.
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    outside = raw < dist.low or raw > dist.high
    x = min(max(raw, float(dist.low)), float(dist.high))
    step = dist.step
    if isinstance(dist, IntDistribution):
        grid = 1 if dist.log or step is None else int(step)
        k = round((x - dist.low) / grid)
        new: Any = int(min(dist.low + k * grid, dist.high))
    elif step is not None:
        k = round((x - dist.low) / step)
        new = float(min(dist.low + k * step, dist.high))
    else:
        new = float(x)
    if not dist.contains(new):  # float rounding at a bound: let the codec place it
        new = decode_unit(dist, encode_unit(dist, x))
    return new, outside


def perturb(value: Any, dist: Distribution, factor: float) -> tuple[Any, bool]:
    """``value`` moved by ``factor`` inside ``dist``; returns ``(new value, clipped)``.

    Example:
        >>> perturb(0.01, FloatDistribution(1e-4, 1e-1, log=True), 1.2)
        (0.012, False)
        >>> perturb(0.09, FloatDistribution(1e-4, 1e-1, log=True), 1.2)
        (0.1, True)
        >>> perturb(3, IntDistribution(1, 8), 1.2)   # integers move by at least one step
        (4, False)
    """
    if isinstance(dist, CategoricalDistribution):
        raise ValueError("categorical parameters are resampled, not perturbed")
    if not factor > 0 or not math.isfinite(factor):
        raise ValueError(f"a perturbation factor must be a finite number > 0, but got {factor!r}")
    v = float(value)
    # A range reaching below zero moves by a share of its width: a factor of the value could
    # flip its sign.
    linear = not dist.log and dist.low < 0
    raw = v + (factor - 1.0) * (dist.high - dist.low) if linear else v * factor
    new, clipped = _inside(dist, raw)
    if isinstance(dist, IntDistribution) and new == value and factor != 1.0:
        step = dist.step if not dist.log else 1
        nudged = value + (step if factor > 1.0 else -step)
        if dist.low <= nudged <= dist.high:
            new, clipped = _inside(dist, float(nudged))
        else:
            clipped = True
    return new, clipped


def move_inside(value: Any, dist: Distribution, rng: np.random.Generator) -> tuple[Any, str]:
    """``value`` if ``dist`` holds it; else the nearest value inside (a resampled choice for a
    categorical), with a note saying what happened.

    Example:
        >>> move_inside(0.9, FloatDistribution(0.0, 0.5), np.random.default_rng(0))
        (0.5, 'moved 0.9 into [0.0, 0.5]')
    """
    if dist.contains(value):
        return value, ""
    if isinstance(dist, CategoricalDistribution):
        new = resample(dist, rng)
        return new, f"resampled {value!r} (no longer a choice) to {new!r}"
    new, _ = _inside(dist, float(value))
    return new, f"moved {value!r} into [{dist.low}, {dist.high}]"


def explore(
    params: Mapping[str, Any],
    effective: Mapping[str, Distribution],
    rng: np.random.Generator,
    *,
    hyperparams: Iterable[str] | None = None,
    factors: Sequence[float] = (0.8, 1.2),
    resample_probability: float = 0.25,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """New hyperparameters near ``params``: each name in ``hyperparams`` (default: all) is
    resampled with ``resample_probability`` (always, for a categorical), else multiplied by one
    of ``factors``; other values are kept, moved inside ``effective`` if a narrowing excludes
    them. Returns the new values and, per changed name, what was done.

    Example:
        >>> space = {"lr": FloatDistribution(1e-4, 1e-1, log=True), "opt": CategoricalDistribution(
        ...     ("adam", "sgd"))}
        >>> new, how = explore({"lr": 0.01, "opt": "adam"}, space, np.random.default_rng(3),
        ...                    resample_probability=0.0)
        >>> sorted(how), all(space[n].contains(v) for n, v in new.items())
        (['lr', 'opt'], True)
    """
    chosen = set(params if hyperparams is None else hyperparams)
    out: dict[str, Any] = {}
    changes: dict[str, dict[str, Any]] = {}
    for name, value in params.items():
        dist = effective.get(name)
        if dist is None:
            out[name] = value
            continue
        if name not in chosen:
            new, note = move_inside(value, dist, rng)
            out[name] = new
            if note:
                changes[name] = {"from": value, "to": new, "how": note, "clipped": True}
            continue
        if isinstance(dist, CategoricalDistribution) or rng.random() < resample_probability:
            new = resample(dist, rng)
            changes[name] = {"from": value, "to": new, "how": "resampled", "clipped": False}
        else:
            factor = float(factors[int(rng.integers(len(factors)))])
            new, clipped = perturb(value, dist, factor)
            changes[name] = {
                "from": value,
                "to": new,
                "how": f"x{factor:g}" + (" (clipped to the bound)" if clipped else ""),
                "clipped": clipped,
            }
        out[name] = new
    return out, changes

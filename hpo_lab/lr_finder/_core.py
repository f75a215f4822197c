"""The learning-rate range test (Smith 2017) on plain numbers: the ramp, the smoothing, the stop
and the suggestions. Knows nothing of models or studies."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["cap_at_start", "diverged", "lr_ramp", "smooth_losses", "suggest", "zero_phase"]

#: A sequence of numbers: a list or a 1-d numpy array.
Losses = Sequence[float] | np.ndarray


def lr_ramp(start_lr: float, end_lr: float, num: int) -> np.ndarray:
    """``num`` learning rates growing exponentially from ``start_lr`` to ``end_lr``.

    Example:
        >>> lr_ramp(1e-4, 1e-1, 4).round(6).tolist()
        [0.0001, 0.001, 0.01, 0.1]
    """
    if not (0 < start_lr < end_lr) or not math.isfinite(end_lr):
        raise ValueError(
            f"the learning rates must satisfy 0 < start_lr < end_lr, but got "
            f"start_lr={start_lr!r}, end_lr={end_lr!r}"
        )
    if isinstance(num, bool) or not isinstance(num, int) or num < 2:
        raise ValueError(f"num_iter must be an int >= 2, but got num_iter={num!r}")
    return np.geomspace(start_lr, end_lr, num)


def smooth_losses(losses: Losses, beta: float = 0.98) -> np.ndarray:
    """Exponential moving average of ``losses`` with bias correction (as in Adam), so the first
    values are not pulled towards zero: ``avg_i = beta avg_{i-1} + (1-beta) loss_i``,
    smoothed ``= avg_i / (1 - beta^(i+1))``.

    Example:
        >>> smooth_losses([2.0, 2.0, 2.0], beta=0.9).tolist()
        [2.0, 2.0, 2.0]
    """
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"smoothing beta must be in [0, 1), but got beta={beta!r}")
    out = np.empty(len(losses))
    avg = 0.0
    for i, loss in enumerate(losses):
        avg = beta * avg + (1.0 - beta) * float(loss)
        out[i] = avg / (1.0 - beta ** (i + 1))
    return out


def zero_phase(losses: Losses, beta: float = 0.9) -> np.ndarray:
    """:func:`smooth_losses` run forwards and then backwards: no lag. A one-sided average of a
    range test trails the loss by about ``1 / (1 - beta)`` steps, which on an exponential ramp
    moves every suggestion up by that many steps' worth of learning rate; smoothing both ways
    keeps each point's value at its own learning rate.

    Example:
        >>> zero_phase([1.0, 1.0, 1.0]).tolist()
        [1.0, 1.0, 1.0]
    """
    forward = smooth_losses(losses, beta)
    return smooth_losses(forward[::-1], beta)[::-1]


def cap_at_start(losses: Losses, first: int = 5) -> np.ndarray:
    """``losses`` with every value above the median of the first ``first`` put at it.

    For the suggestions, a loss above the untrained model's is simply "no better"; how far
    above does not matter, and a divergence spike would otherwise leak backwards through the
    backward pass of :func:`zero_phase` and hide the fall just before it.

    Example:
        >>> cap_at_start([2.0, 2.1, 1.9, 2.0, 2.0, 1.5, 6.0]).tolist()
        [2.0, 2.0, 1.9, 2.0, 2.0, 1.5, 2.0]
    """
    values = np.asarray(losses, dtype=float)
    if len(values) == 0:
        return values
    start = float(np.median(values[: max(1, first)]))
    return np.minimum(values, start)


def diverged(smoothed: float, best: float, factor: float) -> bool:
    """Whether the smoothed loss has blown up: non-finite, or above ``factor`` times the best
    (for a positive best loss; above best + factor * |best| otherwise).

    Example:
        >>> diverged(5.0, 1.0, 4.0), diverged(3.0, 1.0, 4.0), diverged(float("nan"), 1.0, 4.0)
        (True, False, True)
    """
    if not math.isfinite(smoothed):
        return True
    if best > 0:
        return smoothed > factor * best
    return smoothed > best + factor * abs(best) + 1e-12


def suggest(lrs: Losses, smoothed: Losses) -> dict[str, float]:
    """Suggested learning rates from a range test's curve.

    * ``steepest``: where the smoothed loss falls fastest against log(lr);
    * ``valley``: inside the stretch over which the loss falls the most, where two thirds of
      that fall is done (late enough to be fast, early enough to be stable);
    * ``minimum/10``: a tenth of the learning rate at the lowest loss. When the loss lies on a
      floor (within 5% of its range from the lowest value) over many learning rates, as a
      problem that training solves exactly does, the lowest point on it is noise: the middle
      of the floor (in log space) stands for it.

    Example:
        >>> lrs = np.geomspace(1e-4, 1.0, 50)
        >>> loss = (np.log10(lrs) + 1.5) ** 2          # lowest near 10**-1.5
        >>> s = suggest(lrs, loss)
        >>> round(math.log10(s["minimum/10"]), 1)
        -2.5
    """
    x = np.log(np.asarray(lrs, dtype=float))
    y = np.asarray(smoothed, dtype=float)
    n = len(y)
    if n < 3:
        raise ValueError(f"a range test needs at least 3 points to suggest from, but got {n}")
    i_min = int(np.nanargmin(y))
    span = float(np.nanmax(y) - np.nanmin(y))
    floor_lo = floor_hi = i_min
    while floor_lo > 0 and y[floor_lo - 1] <= y[i_min] + 0.05 * span:
        floor_lo -= 1
    while floor_hi < n - 1 and y[floor_hi + 1] <= y[i_min] + 0.05 * span:
        floor_hi += 1
    grad = np.gradient(y, x)
    head = grad[: max(i_min, 1) + 1]
    i_steep = int(np.nanargmin(head))
    # The run of (weakly) falling loss, allowing small bumps from noise, that falls the most:
    # a long stretch of flat noise before the real fall would pull a suggestion counted in
    # steps (not in loss) down towards learning rates that barely train.
    tolerance = 1e-3 * (span + 1e-12)
    best_start, best_end, best_drop, start = 0, 0, -1.0, 0
    for i in range(1, n):
        if y[i] > y[i - 1] + tolerance:
            start = i
        elif y[start] - y[i] > best_drop:
            best_start, best_end, best_drop = start, i, float(y[start] - y[i])
    target = y[best_start] - (2.0 / 3.0) * max(best_drop, 0.0)
    i_valley = best_start + int(np.argmax(y[best_start : best_end + 1] <= target))
    return {
        "steepest": float(np.exp(x[i_steep])),
        "valley": float(np.exp(x[i_valley])),
        "minimum/10": float(np.exp((x[floor_lo] + x[floor_hi]) / 2.0)) / 10.0,
    }

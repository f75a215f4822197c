"""The Yeo-Johnson power transform with its exponent fitted by maximum likelihood.

The same estimate as ``scipy.stats.yeojohnson(x)`` (the profile log-likelihood of Yeo and
Johnson (2000), maximized by ``scipy.optimize.fminbound`` over the bounds that keep the
transformed values' variance finite), computed directly on one numpy array. scipy's public
function pays for its axis / NaN-policy / array-API wrappers on every likelihood evaluation
(about 0.25 ms each at 300 values, twenty or more per fit), which was a third of the GP
sampler's time per ask at 300 trials; here an evaluation is a few vectorized operations.
The arithmetic is written in scipy's order, so both give the same floats (a test compares
them bit for bit), and proposals do not change.
"""

from __future__ import annotations

import numpy as np

__all__ = ["yeo_johnson", "yeo_johnson_transform"]

_EPS = float(np.finfo(float).eps)
_SMALLEST_NORMAL = float(np.finfo(float).smallest_normal)
# Half the float exponent range, so that the variance of transformed values stays finite.
_LOG_TINY = (float(np.log(np.finfo(float).tiny)) - float(np.log(_EPS))) / 2
_LOG_MAX = (float(np.log(np.finfo(float).max)) + float(np.log(_EPS))) / 2
_XTOL = 1.48e-08  # scipy.optimize.brent's tolerance, as scipy uses here


def yeo_johnson_transform(x: np.ndarray, lmbda: float) -> np.ndarray:
    """``x`` (shape ``(n,)``) through the Yeo-Johnson transform with exponent ``lmbda``.

    ``((x + 1)**lmbda - 1) / lmbda`` for ``x >= 0`` and ``-((1 - x)**(2 - lmbda) - 1) /
    (2 - lmbda)`` below, with the logarithms at ``lmbda = 0`` and ``2`` (Yeo and Johnson 2000,
    eq. 2.1); ``expm1``/``log1p`` keep small values exact.

    Example:
        >>> yeo_johnson_transform(np.array([-1.0, 0.0, 3.0]), 1.0).tolist()
        [-1.0, 0.0, 3.0]
    """
    out = np.zeros_like(x, dtype=float)
    pos = x >= 0
    if abs(lmbda) < _EPS:
        out[pos] = np.log1p(x[pos])
    else:
        out[pos] = np.expm1(lmbda * np.log1p(x[pos])) / lmbda
    if abs(lmbda - 2) > _EPS:
        out[~pos] = -np.expm1((2 - lmbda) * np.log1p(-x[~pos])) / (2 - lmbda)
    else:
        out[~pos] = -np.log1p(-x[~pos])
    return out


def yeo_johnson(x: np.ndarray) -> tuple[np.ndarray, float]:
    """The maximum-likelihood Yeo-Johnson transform of ``x`` (shape ``(n,)``) and its exponent.

    Raises ``ValueError`` if a value is not finite.

    Example:
        >>> y, lmbda = yeo_johnson(np.exp(np.linspace(0.0, 5.0, 20)))
        >>> bool(np.all(np.diff(y) > 0)), bool(lmbda < 0.5)
        (True, True)
    """
    from scipy.optimize import fminbound

    x = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueError("Yeo-Johnson input must be finite")
    if np.all(x == 0):
        return yeo_johnson_transform(x, 1.0), 1.0
    n = x.shape[0]
    # The Jacobian's term of the profile log-likelihood (Yeo and Johnson 2000, eq. 3.1).
    jacobian = np.sum(np.sign(x) * np.log1p(np.abs(x)), axis=0)

    def neg_llf(lmbda: float) -> float:
        variance = np.var(yeo_johnson_transform(x, lmbda), axis=0)
        log_variance = np.log(variance) if variance >= _SMALLEST_NORMAL else -np.inf
        llf = -n / 2 * log_variance + (lmbda - 1) * jacobian
        return np.inf if np.isinf(llf) else float(-llf)

    log1p_max = float(np.log1p(20 * np.max(np.abs(x))))
    low, high = _LOG_TINY / log1p_max, _LOG_MAX / log1p_max
    if np.all(x < 0):
        low, high = 2 - high, 2 - low
    elif np.any(x < 0):
        low, high = max(2 - high, low), min(2 - low, high)
    lmbda = float(fminbound(neg_llf, low, high, xtol=_XTOL))
    return yeo_johnson_transform(x, lmbda), lmbda

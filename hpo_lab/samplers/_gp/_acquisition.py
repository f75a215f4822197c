"""Log expected improvement, computed stably where expected improvement underflows.

For minimization with posterior ``f ~ N(mu, sigma**2)`` and incumbent ``best``, the expected
improvement is ``EI = sigma * h(z)`` with ``z = (best - mu) / sigma`` and
``h(z) = z Phi(z) + phi(z)``. ``h`` underflows to 0 for ``z`` below about -38, which leaves an
optimizer of ``EI`` without a slope in most of the space late in a run. Following Ament et al.
(2023, "Unexpected improvements to expected improvement", eq. 9), ``log h`` is evaluated in three
regimes:

- ``z > -1``: directly;
- ``-1e3 < z <= -1``: ``log phi(z) + log1p(z * Phi(z)/phi(z))``, with the Mills ratio
  ``Phi(z)/phi(z) = sqrt(pi/2) * erfcx(-z/sqrt(2))``, which never underflows;
- ``z <= -1e3``: the asymptotic series ``log phi(z) - 2 log|z| + log1p(-3/z**2)``, where the
  previous form loses digits to cancellation.

Its derivative is ``d log h / dz = Phi(z) / h(z) = exp(log Phi(z) - log h(z))``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import erfcx, log_ndtr, ndtr

if TYPE_CHECKING:
    from hpo_lab.samplers._gp._gp import GPPosterior

__all__ = ["LogEI", "log_h"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
_ASYMPTOTIC_BELOW = -1e3


def log_h(z: np.ndarray) -> np.ndarray:
    """``log(z Phi(z) + phi(z))``, finite for every finite ``z``.

    Example:
        >>> bool(np.isclose(log_h(np.array([0.0]))[0], -0.5 * np.log(2 * np.pi)))
        True
        >>> bool(np.isfinite(log_h(np.array([-1e6]))[0]))  # h itself underflows there
        True
    """
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(zu * ndtr(zu) + np.exp(-0.5 * zu * zu - _LOG_SQRT_2PI))
    middle = (~upper) & (z > _ASYMPTOTIC_BELOW)
    zm = z[middle]
    out[middle] = (
        -0.5 * zm * zm - _LOG_SQRT_2PI + np.log1p(zm * _SQRT_HALF_PI * erfcx(-zm / math.sqrt(2.0)))
    )
    lower = z <= _ASYMPTOTIC_BELOW
    zl = z[lower]
    out[lower] = -0.5 * zl * zl - _LOG_SQRT_2PI - 2.0 * np.log(-zl) + np.log1p(-3.0 / (zl * zl))
    return out


class LogEI:
    """Log expected improvement below ``best`` of a GP posterior (for minimization).

    Args:
        gp: The posterior.
        best: The incumbent (lowest observed standardized value).

    Example:
        >>> from hpo_lab.samplers._gp._gp import GPPosterior, KernelParams
        >>> x = np.array([[0.0], [1.0]])
        >>> gp = GPPosterior(x, np.array([1.0, -1.0]), np.zeros(1, dtype=int),
        ...                  KernelParams(np.zeros(1), 0.0, -10.0))
        >>> acq = LogEI(gp, best=-1.0)
        >>> values = acq(np.array([[0.0], [0.9]]))
        >>> bool(values[1] > values[0])  # close to the best point, more to gain
        True
    """

    def __init__(self, gp: GPPosterior, best: float) -> None:
        self.gp = gp
        self.best = float(best)

    def __call__(self, xs: np.ndarray) -> np.ndarray:
        """Log EI at ``xs (m, D)``, shape ``(m,)``."""
        mean, var = self.gp.predict(xs)
        sigma = np.sqrt(var)
        return np.log(sigma) + log_h((self.best - mean) / sigma)

    def value_and_grad(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log EI at ``xs (m, D)`` and its gradient in ``xs``: shapes ``(m,)``, ``(m, D)``."""
        mean, var, dmean, dvar = self.gp.predict_with_grad(xs)
        sigma = np.sqrt(var)
        z = (self.best - mean) / sigma
        lh = log_h(z)
        dsigma = dvar / (2.0 * sigma[:, None])
        dz = (-dmean - z[:, None] * dsigma) / sigma[:, None]
        dlh_dz = np.exp(log_ndtr(z) - lh)
        grad = dsigma / sigma[:, None] + dlh_dz[:, None] * dz
        return np.log(sigma) + lh, grad

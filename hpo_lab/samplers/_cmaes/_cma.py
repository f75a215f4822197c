"""CMA-ES in numpy: the covariance matrix adaptation evolution strategy on a box.

Follows Hansen, "The CMA Evolution Strategy: A Tutorial" (arXiv:1604.00772, 2016), the
(mu/mu_w, lambda)-CMA-ES with positive recombination weights; equation numbers below are the
tutorial's. Solutions that the strategy did not sample itself (random start-up trials, enqueued
or warm-start points, values moved into a narrowed range) are accepted too: each step is clipped
to a Mahalanobis length of ``sqrt(n) + 2n / (n + 2)`` before it is used (Hansen 2011,
"Injecting external solutions into CMA-ES", arXiv:1110.4181), so they cannot blow up the step
size. The class knows nothing of studies: the sampler adapter feeds it points of the unit cube.

Shapes: ``n`` dimensions; a point is ``(n,)``; the covariance ``C`` is ``(n, n)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["CMA", "default_popsize", "warm_start_distribution"]

# A covariance this ill-conditioned, or a step this small, no longer explores: restart.
_MAX_CONDITION = 1e14
_MIN_STEP = 1e-12
_MAX_RESAMPLES = 100


def default_popsize(n: int) -> int:
    """The population size ``4 + floor(3 ln n)`` (Eq. 48).

    Example:
        >>> default_popsize(2), default_popsize(10)
        (6, 10)
    """
    return 4 + math.floor(3 * math.log(n))


def warm_start_distribution(
    points: np.ndarray, gamma: float = 0.1, alpha: float = 0.1
) -> tuple[np.ndarray, float, np.ndarray]:
    """Mean, step size and covariance for a warm start from good points of a similar task.

    The best ``gamma`` share of ``points`` (rows, best first; at least one) is summarised by
    its mean and covariance, widened by ``alpha**2 * I`` (WS-CMA-ES, Nomura et al. 2021,
    "Warm Starting CMA-ES for Hyperparameter Optimization", Eqs. 5 to 7); the step size is
    ``det(Sigma) ** (1 / 2n)`` and the covariance is ``Sigma`` divided by its square.

    Example:
        >>> pts = np.array([[0.5, 0.5], [0.52, 0.49], [0.9, 0.1]])
        >>> mean, sigma, cov = warm_start_distribution(pts, gamma=0.67)
        >>> mean.round(2), round(sigma, 3)
        (array([0.51, 0.5 ]), 0.1)
    """
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or len(points) == 0:
        raise ValueError(f"warm start needs a non-empty (k, n) array, but got shape {points.shape}")
    n = points.shape[1]
    top = points[: max(1, math.floor(gamma * len(points)))]
    mean = top.mean(axis=0)
    spread = top - mean
    sigma_hat = spread.T @ spread / len(top) + alpha**2 * np.eye(n)
    sigma = float(np.linalg.det(sigma_hat)) ** (1.0 / (2 * n))
    return mean, sigma, sigma_hat / sigma**2


class CMA:
    """One CMA-ES run: :meth:`ask` draws points, :meth:`tell` learns from a full generation.

    Args:
        mean: Initial mean, shape ``(n,)``.
        sigma: Initial step size.
        popsize: Points per generation (lambda); default :func:`default_popsize`.
        cov: Initial covariance, shape ``(n, n)`` (default the identity).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> cma = CMA(np.full(2, 0.5), 0.2)
        >>> for _ in range(40):
        ...     xs = [cma.ask(rng) for _ in range(cma.popsize)]
        ...     cma.tell([(x, float(((x - 0.3) ** 2).sum())) for x in xs])
        >>> bool(np.abs(cma.mean - 0.3).max() < 1e-3)
        True
    """

    def __init__(
        self,
        mean: np.ndarray,
        sigma: float,
        popsize: int | None = None,
        cov: np.ndarray | None = None,
    ) -> None:
        mean = np.asarray(mean, dtype=float)
        n = len(mean)
        if n < 1:
            raise ValueError("CMA needs at least one dimension")
        if not sigma > 0:
            raise ValueError(f"sigma must be > 0, but got sigma={sigma!r}")
        lam = default_popsize(n) if popsize is None else int(popsize)
        if lam < 2:
            raise ValueError(f"popsize must be >= 2, but got popsize={popsize!r}")
        self.n, self.popsize = n, lam
        mu = lam // 2
        # Eqs. 49 and 53: positive weights for the best mu, summing to one.
        w = math.log((lam + 1) / 2) - np.log(np.arange(1, mu + 1))
        self.weights = w / w.sum()
        self.mu_eff = 1.0 / float((self.weights**2).sum())
        mu_eff = self.mu_eff
        # Eqs. 55 to 58 (step-size control, cumulation, rank-one and rank-mu learning rates).
        self.c_sigma = (mu_eff + 2) / (n + mu_eff + 5)
        self.d_sigma = 1 + 2 * max(0.0, math.sqrt((mu_eff - 1) / (n + 1)) - 1) + self.c_sigma
        self.c_c = (4 + mu_eff / n) / (n + 4 + 2 * mu_eff / n)
        self.c_1 = 2 / ((n + 1.3) ** 2 + mu_eff)
        self.c_mu = min(1 - self.c_1, 2 * (mu_eff - 2 + 1 / mu_eff) / ((n + 2) ** 2 + mu_eff))
        self.chi_n = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n))  # E||N(0, I)||
        self.mean = mean.copy()
        self.sigma = float(sigma)
        self.cov = np.eye(n) if cov is None else np.array(cov, dtype=float)
        self.p_sigma = np.zeros(n)
        self.p_c = np.zeros(n)
        self.generation = 0
        self._eigen()

    def _eigen(self) -> None:
        self.cov = (self.cov + self.cov.T) / 2
        eigvals, self.B = np.linalg.eigh(self.cov)
        self.D = np.sqrt(np.maximum(eigvals, 1e-20))

    @property
    def degenerate(self) -> bool:
        """Whether the search has collapsed (a tiny step or an ill-conditioned covariance)."""
        return (
            not np.isfinite(self.cov).all()
            or not math.isfinite(self.sigma)
            or self.sigma * float(self.D.max()) < _MIN_STEP
            or float(self.D.max() / self.D.min()) ** 2 > _MAX_CONDITION
        )

    def ask(
        self,
        rng: np.random.Generator,
        low: np.ndarray | None = None,
        high: np.ndarray | None = None,
    ) -> np.ndarray:
        """A point ``m + sigma * B D z`` (Eq. 38-40) inside ``[low, high]`` (default the unit
        cube): redrawn up to 100 times, then clipped."""
        lo = np.zeros(self.n) if low is None else np.asarray(low, dtype=float)
        hi = np.ones(self.n) if high is None else np.asarray(high, dtype=float)
        x = self.mean
        for _ in range(_MAX_RESAMPLES):
            z = rng.standard_normal(self.n)
            x = self.mean + self.sigma * (self.B @ (self.D * z))
            if np.all(x >= lo) and np.all(x <= hi):
                return x
        return np.clip(x, lo, hi)

    def _inverse_sqrt_cov(self, y: np.ndarray) -> np.ndarray:
        return self.B @ ((self.B.T @ y) / self.D)

    def tell(self, solutions: Sequence[tuple[np.ndarray, float]]) -> None:
        """Update from one generation: ``popsize`` pairs ``(point, loss)``, smaller is better."""
        if len(solutions) != self.popsize:
            raise ValueError(
                f"tell() needs {self.popsize} solutions, one generation, but got {len(solutions)}"
            )
        n = self.n
        losses = np.array([loss for _, loss in solutions], dtype=float)
        order = np.argsort(losses, kind="stable")
        ys = np.array([(np.asarray(solutions[i][0], dtype=float) - self.mean) / self.sigma
                       for i in order[: len(self.weights)]])
        # Injected or repaired points: clip each step's Mahalanobis length (Hansen 2011).
        limit = math.sqrt(n) + 2 * n / (n + 2)
        for k, y in enumerate(ys):
            length = float(np.linalg.norm(self._inverse_sqrt_cov(y)))
            if length > limit:
                ys[k] = y * (limit / length)
        y_w = self.weights @ ys  # Eq. 41
        self.mean = self.mean + self.sigma * y_w  # Eq. 42 with c_m = 1
        c_s, c_c = self.c_sigma, self.c_c
        self.p_sigma = (1 - c_s) * self.p_sigma + math.sqrt(
            c_s * (2 - c_s) * self.mu_eff
        ) * self._inverse_sqrt_cov(y_w)  # Eq. 43
        norm_ps = float(np.linalg.norm(self.p_sigma))
        self.sigma *= math.exp(min(1.0, (c_s / self.d_sigma) * (norm_ps / self.chi_n - 1)))
        self.generation += 1
        threshold = (1.4 + 2 / (n + 1)) * self.chi_n
        h_sigma = norm_ps / math.sqrt(1 - (1 - c_s) ** (2 * self.generation)) < threshold
        self.p_c = (1 - c_c) * self.p_c + (
            math.sqrt(c_c * (2 - c_c) * self.mu_eff) * y_w if h_sigma else 0.0
        )  # Eq. 45
        delta = 0.0 if h_sigma else c_c * (2 - c_c)
        rank_mu = (ys * self.weights[:, None]).T @ ys
        self.cov = (
            (1 + self.c_1 * delta - self.c_1 - self.c_mu) * self.cov
            + self.c_1 * np.outer(self.p_c, self.p_c)
            + self.c_mu * rank_mu
        )  # Eq. 47
        self._eigen()

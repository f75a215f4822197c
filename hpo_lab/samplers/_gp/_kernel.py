"""The Matern-5/2 kernel with automatic relevance determination (one weight per column).

Points are rows of a feature matrix. With column weights ``w_d = 1 / l_d**2`` (inverse squared
length scales) the scaled squared distance is ``r2 = sum_d w_d (x_d - x'_d)**2`` and

    k(r) = s * (1 + sqrt(5) r + 5/3 r**2) * exp(-sqrt(5) r)        (Rasmussen & Williams, eq. 4.17)

Its derivative in ``r2`` has no singularity at ``r = 0``:

    dk/dr2 = -(5/6) * s * (1 + sqrt(5) r) * exp(-sqrt(5) r)

which every gradient below (hyperparameters and inputs) is built from.
"""

from __future__ import annotations

import numpy as np

__all__ = ["matern52", "matern52_from_r2", "matern52_grad_weights", "scaled_sqdist"]

_SQRT5 = float(np.sqrt(5.0))


def scaled_sqdist(x1: np.ndarray, x2: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted squared distances, shape ``(n1, n2)`` for ``x1 (n1, D)``, ``x2 (n2, D)``.

    Example:
        >>> scaled_sqdist(np.zeros((1, 2)), np.ones((1, 2)), np.array([1.0, 4.0]))
        array([[5.]])
    """
    a = x1 * np.sqrt(weights)
    b = x2 * np.sqrt(weights)
    r2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    # The expansion above can go slightly negative through cancellation.
    return np.maximum(r2, 0.0)


def matern52_from_r2(r2: np.ndarray, signal: float) -> tuple[np.ndarray, np.ndarray]:
    """``k`` and ``dk/dr2`` from scaled squared distances ``r2`` (any shape).

    Example:
        >>> k, dk_dr2 = matern52_from_r2(np.array([0.0]), 2.0)
        >>> k.tolist(), round(float(dk_dr2[0]), 4)
        ([2.0], -1.6667)
    """
    r = np.sqrt(r2)
    e = signal * np.exp(-_SQRT5 * r)
    k = e * (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2)
    dk_dr2 = -(5.0 / 6.0) * e * (1.0 + _SQRT5 * r)
    return k, dk_dr2


def matern52(
    x1: np.ndarray, x2: np.ndarray, weights: np.ndarray, signal: float = 1.0
) -> np.ndarray:
    """The Matern-5/2 ARD kernel matrix, shape ``(n1, n2)``.

    Args:
        x1: Points, shape ``(n1, D)``.
        x2: Points, shape ``(n2, D)``.
        weights: Inverse squared length scale of each column, shape ``(D,)``.
        signal: The kernel's variance ``k(x, x)``.

    Example:
        >>> x = np.array([[0.0], [1.0]])
        >>> np.round(matern52(x, x, np.array([1.0])), 3)
        array([[1.   , 0.524],
               [0.524, 1.   ]])
    """
    return matern52_from_r2(scaled_sqdist(x1, x2, weights), signal)[0]


def matern52_grad_weights(
    x: np.ndarray, weights: np.ndarray, signal: float, coef: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The kernel matrix of ``x`` and the contraction of its weight gradient with ``coef``.

    Returns ``K`` (shape ``(n, n)``) and ``g`` (shape ``(D,)``) with
    ``g_d = sum_ij coef_ij dK_ij/dlog(w_d)``. For a symmetric ``coef`` this is computed without
    the ``(n, n, D)`` tensor of pairwise differences: ``sum_ij M_ij (x_id - x_jd)**2`` equals
    ``2 sum_i x_id**2 (M 1)_i - 2 x_d' M x_d`` with ``M = coef * dk/dr2``.

    Example:
        >>> x = np.array([[0.0], [1.0]])
        >>> k, g = matern52_grad_weights(x, np.array([1.0]), 1.0, np.ones((2, 2)))
        >>> bool(g[0] < 0)  # a larger weight (shorter length scale) lowers off-diagonal k
        True
    """
    k, dk_dr2 = matern52_from_r2(scaled_sqdist(x, x, weights), signal)
    m = coef * dk_dr2
    row = m.sum(1)
    g = 2.0 * weights * ((x * x).T @ row - ((m @ x) * x).sum(0))
    return k, g

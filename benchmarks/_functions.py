"""Test functions with known optima, shared by the benchmark scripts.

Each takes plain numbers; the scripts wrap them for their own calling convention (a trial, a
parameter dict, a vector).
"""

from __future__ import annotations

import math

import numpy as np

HARTMANN6_MIN = -3.32237
BRANIN_MIN = 0.397887

_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def hartmann6(x: np.ndarray) -> float:
    """Hartmann-6 on [0, 1]^6 (``x`` of shape (6,)); minimum -3.32237."""
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x[None, :] - _H6_P) ** 2, axis=1))))


def branin(x1: float, x2: float) -> float:
    """Branin on [-5, 10] x [0, 15]; minimum 0.397887."""
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10

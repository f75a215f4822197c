"""Harder problems for the samplers, beside those of ``samplers.py``: categorical-heavy and
high-dimensional spaces of low effective dimension.

Each is cheap, deterministic and has a known optimum, and is a :class:`samplers.Problem`, so
``benchmarks/samplers.py`` can list it too:

* ``nas_cells``: a cell-based architecture space of six categorical parameters with five
  operations each. The value is an NK landscape (Kauffman 1989) with ``K = 1``: every edge's
  contribution depends on its own operation and the next edge's, from fixed random tables, so
  the parameters interact and no operation is best everywhere. The optimum is found by
  enumerating all 5^6 cells.
* ``nas_mixed``: the same cell plus a log learning rate, an integer width and a float
  dropout, whose best values depend on the cell (a mixed, categorical-heavy space).
* ``hartmann6_20`` and ``hartmann6_40``: Hartmann-6 on six of 20 (40) parameters; the others
  are dummies that do not change the value (a high-dimensional space with low effective
  dimension).
* ``hartmann6_mixed20``: Hartmann-6 on six floats of 20 parameters whose dummies are of every
  kind (floats, log floats, integers, log integers, categoricals).

Usage: listed by ``samplers.py``; ``python benchmarks/gp_problems.py`` prints each
problem's optimum and the median of a uniform sample.
"""

from __future__ import annotations

import itertools
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _functions import HARTMANN6_MIN
from _functions import hartmann6 as _hartmann6
from samplers import Param, Problem

_OPS = ("none", "skip", "conv1", "conv3", "pool")
_EDGES = 6
# NK tables: T[j][a, b] is edge j's contribution with operation a on it and b on edge j + 1.
_NK_TABLES = np.random.default_rng(20261118).normal(size=(_EDGES, len(_OPS), len(_OPS)))


def _nk(ops: list[int]) -> float:
    return float(
        sum(_NK_TABLES[j, ops[j], ops[(j + 1) % _EDGES]] for j in range(_EDGES))
    )


def _cell(p: dict[str, Any]) -> list[int]:
    return [_OPS.index(p[f"edge{j}"]) for j in range(_EDGES)]


def _nk_optimum() -> float:
    return min(_nk(list(ops)) for ops in itertools.product(range(len(_OPS)), repeat=_EDGES))


NK_MIN = _nk_optimum()


def nas_cells(p: dict[str, Any]) -> float:
    """An NK landscape (K=1) over six edges with five operations each; minimum ``NK_MIN``."""
    return _nk(_cell(p))


def nas_mixed(p: dict[str, Any]) -> float:
    """The cell plus numeric training parameters whose best values depend on it; min ``NK_MIN``.

    The best log10 learning rate is -3 plus a tenth of the number of "skip" edges, the best
    log2 width 6 minus the number of "none" edges, the best dropout 0.1 for cells with a
    "pool" edge and 0.4 otherwise.
    """
    ops = _cell(p)
    skips, nones = ops.count(1), ops.count(0)
    lr_star = -3.0 + 0.1 * skips
    width_star = 6.0 - nones
    drop_star = 0.1 if 4 in ops else 0.4
    return (
        _nk(ops)
        + 0.5 * (math.log10(float(p["lr"])) - lr_star) ** 2
        + 0.05 * (math.log2(int(p["width"])) - width_star) ** 2
        + 2.0 * (float(p["dropout"]) - drop_star) ** 2
    )


def _h6(p: dict[str, Any]) -> float:
    return _hartmann6(np.array([float(p[f"x{i}"]) for i in range(6)]))


def _embedded(d: int) -> tuple[Param, ...]:
    return tuple(Param(f"x{i}", "float", 0.0, 1.0) for i in range(d))


_MIXED_DUMMIES = (
    *(Param(f"f{i}", "float", -1.0, 1.0) for i in range(3)),
    Param("lr", "float", 1e-5, 1.0, log=True),
    Param("decay", "float", 1e-6, 1e-2, log=True),
    *(Param(f"n{i}", "int", 1, 64) for i in range(3)),
    Param("units", "int", 8, 1024, log=True),
    Param("batch", "int", 16, 512, log=True),
    *(Param(f"c{i}", "cat", choices=("a", "b", "c")) for i in range(3)),
    Param("act", "cat", choices=("relu", "gelu", "tanh", "silu")),
)

PROBLEMS: dict[str, Problem] = {
    p.name: p
    for p in (
        Problem(
            "nas_cells",
            tuple(Param(f"edge{j}", "cat", choices=_OPS) for j in range(_EDGES)),
            nas_cells,
            NK_MIN,
        ),
        Problem(
            "nas_mixed",
            (
                *(Param(f"edge{j}", "cat", choices=_OPS) for j in range(_EDGES)),
                Param("lr", "float", 1e-5, 1e-1, log=True),
                Param("width", "int", 4, 256, log=True),
                Param("dropout", "float", 0.0, 0.8),
            ),
            nas_mixed,
            NK_MIN,
        ),
        Problem("hartmann6_20", _embedded(20), _h6, HARTMANN6_MIN),
        Problem("hartmann6_40", _embedded(40), _h6, HARTMANN6_MIN),
        Problem("hartmann6_mixed20", (*_embedded(6), *_MIXED_DUMMIES), _h6, HARTMANN6_MIN),
    )
}
assert len(PROBLEMS["hartmann6_mixed20"].params) == 20


if __name__ == "__main__":
    from samplers import random_params

    rng = np.random.default_rng(0)
    for name, problem in PROBLEMS.items():
        sample = [problem.function(random_params(problem, rng)) for _ in range(2000)]
        print(f"{name}: {len(problem.params)} params, f* = {problem.optimum:.6g}, "
              f"median random {float(np.median(sample)):.4g}")

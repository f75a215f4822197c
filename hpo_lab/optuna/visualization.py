"""``optuna.visualization`` on hpo_lab: the plotly plots of :mod:`hpo_lab.viz`.

Optuna's multi-objective plots and ``plot_rank`` have no counterpart yet; asking for one
says so.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from hpo_lab.viz import (
    plot_contour,
    plot_edf,
    plot_intermediate_values,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_slice,
    plot_terminator_improvement,
    plot_timeline,
)

__all__ = [
    "is_available",
    "plot_contour",
    "plot_edf",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_slice",
    "plot_terminator_improvement",
    "plot_timeline",
]

_MISSING = {
    "plot_rank": "not built yet",
    "plot_pareto_front": "multi-objective optimisation is not supported yet",
    "plot_hypervolume_history": "multi-objective optimisation is not supported yet",
    "matplotlib": "hpo_lab draws with plotly only",
}


def is_available() -> bool:
    """Whether plotly is installed (the ``viz`` extra).

    Example:
        >>> isinstance(is_available(), bool)
        True
    """
    return importlib.util.find_spec("plotly") is not None


def __getattr__(name: str) -> Any:
    if name in _MISSING:
        raise AttributeError(
            f"optuna.visualization.{name} has no hpo_lab counterpart: {_MISSING[name]}"
        )
    raise AttributeError(f"module 'optuna.visualization' (hpo_lab) has no attribute {name!r}")

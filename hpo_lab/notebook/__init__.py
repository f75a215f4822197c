"""The notebook layer: ``%%hpo`` / ``%hpo`` magics and the live control panel.

Nothing in the core imports this package; it subscribes to the core's events and reads the
store. IPython, ipywidgets and plotly are imported lazily (the ``notebook`` extra).

Python equivalents of what the magics do: :func:`objective_from_source` (a cell body as an
objective), :func:`parse_narrowing` (``%hpo narrow``'s ``lr=1e-4:1e-2`` syntax), :func:`kept`
(``--keep``'s values of the best trial).
"""

from __future__ import annotations

from typing import Any

# SOURCE_HASH_ATTR ("hpo_lab:source_hash") is importable from here but kept out of __all__,
# whose plain sort order the packaging test checks and ruff's RUF022 would reorder.
from hpo_lab.notebook._body import SOURCE_HASH_ATTR as SOURCE_HASH_ATTR
from hpo_lab.notebook._body import CellObjective, objective_from_source
from hpo_lab.notebook._env import in_colab, set_figures_mode
from hpo_lab.notebook._log import LogEntry, RunLog, log_for
from hpo_lab.notebook._panel import Panel, panel
from hpo_lab.notebook._registry import Kept, kept

__all__ = [
    "CellObjective",
    "Kept",
    "LogEntry",
    "Panel",
    "RunLog",
    "in_colab",
    "kept",
    "log_for",
    "objective_from_source",
    "panel",
    "parse_narrowing",
    "set_figures_mode",
]


def __getattr__(name: str) -> Any:
    # These live beside the magics, which import IPython: loaded on first use.
    if name == "parse_narrowing":
        from hpo_lab.notebook._magics import parse_narrowing

        return parse_narrowing
    raise AttributeError(f"module 'hpo_lab.notebook' has no attribute {name!r}")

"""The learning-rate range test's curve, with its suggestions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpo_lab.viz._snapshot import import_plotly
from hpo_lab.viz._style import COLORS, base_layout

if TYPE_CHECKING:
    from hpo_lab.lr_finder._finder import LRFinder

__all__ = ["plot_lr_find"]

_MARKS = {"steepest": "#22a39f", "valley": "#e4572e", "minimum/10": "#8e6bd1"}


def plot_lr_find(finder: LRFinder) -> Any:
    """The loss (raw and smoothed) against the learning rate on a log axis, with the suggested
    learning rates marked and the suggested range shaded.

    Example:
        >>> from hpo_lab.lr_finder import lr_find
        >>> f = lr_find(step=lambda lr: (lr - 0.1) ** 2 + 1.0, start_lr=1e-4, end_lr=10.0)
        >>> [t.name for t in plot_lr_find(f).data][:2]
        ['loss', 'smoothed loss']
    """
    go = import_plotly()
    fig = go.Figure(layout=base_layout("Learning-rate range test"))
    fig.add_trace(go.Scatter(x=finder.lrs, y=finder.losses, mode="lines", name="loss",
                             line={"color": "#bbbbbb", "width": 1}))
    fig.add_trace(go.Scatter(x=finder.lrs, y=finder.smoothed, mode="lines",
                             name="smoothed loss", line={"color": COLORS["complete"], "width": 2}))
    low, high = finder.suggested_range()
    fig.add_vrect(x0=low, x1=high, fillcolor=COLORS["complete"], opacity=0.08, line_width=0,
                  annotation_text="suggested range", annotation_position="top left")
    for name, lr in finder.suggestions.items():
        fig.add_vline(x=lr, line={"color": _MARKS.get(name, "#555"), "dash": "dash", "width": 1})
        fig.add_trace(go.Scatter(x=[lr], y=[None], mode="markers", name=f"{name}: {lr:.2g}",
                                 marker={"color": _MARKS.get(name, "#555")}))
    fig.update_xaxes(type="log", title="learning rate")
    finite = [v for v in finder.smoothed if v == v]
    if finite:
        top = max(finite[0], min(finite)) * 1.5 if min(finite) > 0 else None
        if top is not None:
            fig.update_yaxes(range=[min(finite) * 0.9 if min(finite) > 0 else None, top])
    fig.update_yaxes(title="loss")
    return fig

"""Slice plot: the objective against each parameter, one panel per parameter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hpo_lab.trial._state import TrialState
from hpo_lab.viz._params import ParamAxis, check_known, param_axes, revision_ranges
from hpo_lab.viz._snapshot import (
    StudySnapshot,
    TargetType,
    as_snapshot,
    check_params,
    import_plotly,
    last_intermediate,
    trial_value,
)
from hpo_lab.viz._style import (
    COLORS,
    COLORSCALE,
    STATE_STYLE,
    axis_style,
    base_layout,
    empty_figure,
    marker,
)

if TYPE_CHECKING:
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["SliceData", "plot_slice"]

_MAX_COLS = 4


@dataclass
class SlicePoints:
    """Points of one kind in a panel: parameter value ``x``, value ``y``, trial numbers."""

    x: list[Any] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)


@dataclass
class SlicePanel:
    """One parameter's panel.

    Attributes:
        axis: How the parameter is laid out.
        points: ``complete``, ``inherited``, ``pruned`` (at their last reported value),
            ``rug-pruned`` and ``rug-fail`` (no value: a rug along the bottom).
        bands: ``(revision, constraint)`` of each revision that narrowed this parameter (one
            whose range the objective's declarations missed narrowed nothing: no band).
    """

    axis: ParamAxis
    points: dict[str, SlicePoints]
    bands: list[tuple[int, Any]]


@dataclass
class SliceData:
    """What :func:`plot_slice` draws."""

    panels: list[SlicePanel]
    target_name: str
    max_number: int
    message: str | None = None


def _slice_data(
    snap: StudySnapshot,
    params: Sequence[str] | None = None,
    target: TargetType | None = None,
    target_name: str = "Objective Value",
) -> SliceData:
    params = check_params(params)
    finished = [t for t in snap.trials if t.state.is_finished()]
    inherited = list(snap.inherited)
    if not finished and not inherited:
        # Nothing to check names against yet (a live plot starts on an empty study).
        return SliceData([], target_name, 0, "No finished trials yet")
    check_known(list(snap.trials) + inherited, params)
    axes = param_axes(
        finished + inherited if params is None else list(snap.trials) + inherited, params
    )
    panels = []
    for axis in axes:
        pts = {k: SlicePoints() for k in ("complete", "inherited", "pruned", "rug-pruned",
                                         "rug-fail")}
        for t in finished:
            if axis.name not in t.params:
                continue
            x = t.params[axis.name]
            if t.state == TrialState.COMPLETE:
                v = trial_value(t, target)
                if v is None:  # the target has no value for this trial: nothing to place
                    continue
                kind = "complete"
            elif t.state == TrialState.PRUNED:
                v = last_intermediate(t) if target is None else None
                kind = "pruned" if v is not None else "rug-pruned"
            else:
                v, kind = None, "rug-fail"
            pts[kind].x.append(x)
            pts[kind].y.append(0.03 if v is None else v)
            pts[kind].numbers.append(t.number)
        for t in inherited:
            v = trial_value(t, target)
            if axis.name in t.params and v is not None:
                pts["inherited"].x.append(t.params[axis.name])
                pts["inherited"].y.append(v)
                pts["inherited"].numbers.append(t.number)
        bands = revision_ranges(snap.revisions, axis.name, snap.trials)
        panels.append(SlicePanel(axis, pts, bands))
    message = None
    if not panels:
        message = "No finished trials with parameters yet"
    return SliceData(
        panels=panels,
        target_name=target_name,
        max_number=max((t.number for t in snap.trials), default=0),
        message=message,
    )


def _x_values(axis: ParamAxis, xs: list[Any]) -> list[Any]:
    if axis.kind != "categorical":
        return xs
    labels = axis.labels()
    return [labels[axis.index(x)] for x in xs]


def _render_slice(data: SliceData) -> Any:
    if data.message:
        return empty_figure("Slice", data.message)
    go = import_plotly()
    from plotly.subplots import make_subplots

    n = len(data.panels)
    cols = min(n, _MAX_COLS)
    rows = math.ceil(n / cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_yaxes=True,
        horizontal_spacing=0.03 if cols > 1 else 0.0,
        vertical_spacing=0.18 if rows > 1 else 0.0,
    )
    fig.update_layout(base_layout("Slice", height=max(380, 320 * rows)))
    fig.update_xaxes(axis_style())
    fig.update_yaxes(axis_style())
    shown: set[str] = set()
    for k, panel in enumerate(data.panels):
        row, col = k // cols + 1, k % cols + 1
        idx = k + 1
        axis = panel.axis
        rug_axis = f"y{n + idx}"
        fig.layout[f"yaxis{n + idx}"] = {
            "overlaying": "y" if idx == 1 else f"y{idx}",
            "anchor": "x" if idx == 1 else f"x{idx}",
            "range": [0, 1],
            "visible": False,
            "fixedrange": True,
        }
        for kind, pts in panel.points.items():
            if not pts.x:
                continue
            state = kind[4:] if kind.startswith("rug-") else kind
            label = STATE_STYLE[state]["label"]
            if kind == "complete":
                mk: dict[str, Any] = {
                    "color": pts.numbers,
                    "colorscale": COLORSCALE,
                    "cmin": 0,
                    "cmax": max(data.max_number, 1),
                    "size": 7,
                    "line": {"width": 0.5, "color": "rgba(128,128,128,0.6)"},
                    "showscale": "complete" not in shown,
                    "colorbar": {"title": {"text": "Trial"}, "thickness": 12},
                }
            else:
                mk = marker(state, size=8 if kind.startswith("rug-") else 7)
            trace = go.Scatter(
                x=_x_values(axis, pts.x),
                y=pts.y,
                mode="markers",
                marker=mk,
                name=label + (" (no value)" if kind == "rug-pruned" else ""),
                legendgroup=kind,
                showlegend=kind not in shown,
                customdata=[[n_] for n_ in pts.numbers],
                hovertemplate=f"Trial %{{customdata[0]}}<br>{axis.name}: %{{x}}"
                + ("" if kind.startswith("rug-") else "<br>value: %{y}")
                + "<extra></extra>",
            )
            shown.add(kind)
            fig.add_trace(trace, row=row, col=col)
            if kind.startswith("rug-"):
                fig.data[-1].update(yaxis=rug_axis)
        xref = "x" if idx == 1 else f"x{idx}"
        yref = ("y" if idx == 1 else f"y{idx}") + " domain"
        if axis.kind == "log":
            fig.update_xaxes(type="log", row=row, col=col)
        elif axis.kind == "categorical":
            fig.update_xaxes(
                type="category",
                categoryorder="array",
                categoryarray=axis.labels(),
                row=row,
                col=col,
            )
        fig.update_xaxes(title=axis.name, row=row, col=col)
        for rev, constraint in panel.bands:
            spans = _band_spans(axis, constraint)
            for x0, x1 in spans:
                fig.add_shape(
                    type="rect",
                    xref=xref,
                    yref=yref,
                    x0=x0,
                    x1=x1,
                    y0=0,
                    y1=1,
                    line={"width": 1, "color": COLORS["revision"], "dash": "dot"},
                    fillcolor=COLORS["revision"],
                    opacity=0.10,
                    layer="below",
                    name=f"revision-{rev}",
                )
            if not spans:
                continue
            x_label = spans[0][0]
            fig.add_annotation(
                # Annotations on a log axis take log10 positions, unlike shapes.
                x=math.log10(x_label) if axis.kind == "log" else x_label,
                y=1,
                xref=xref,
                yref=yref,
                text=f"rev {rev}",
                showarrow=False,
                xanchor="left",
                yanchor="top",
                font={"size": 10, "color": COLORS["revision"]},
            )
    fig.update_yaxes(title=data.target_name, row=1, col=1)
    return fig


def _band_spans(axis: ParamAxis, constraint: Any) -> list[tuple[float, float]]:
    if axis.kind == "categorical":
        known = [c for c in constraint.choices if axis.contains(c)]
        return [(axis.index(c) - 0.45, axis.index(c) + 0.45) for c in known]
    return [(float(constraint.low), float(constraint.high))]


def plot_slice(
    study: Study | StudySnapshot | Sequence[FrozenTrial],
    params: Sequence[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = "Objective Value",
) -> Any:
    """The value of each trial against each parameter, one panel per parameter.

    COMPLETE trials are coloured by trial number (late trials warm), inherited ones are open
    circles, pruned ones sit at their last reported value, failed ones on a rug along the bottom;
    a shaded band shows each revision's narrowed range. Log parameters get a log axis,
    categorical ones a category axis.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("k", 0, 3),
        ...            n_trials=4)
        >>> fig = plot_slice(s, params=["x"])
        >>> fig.layout.xaxis.title.text, len(fig.data[0].x)
        ('x', 4)
    """
    return _render_slice(_slice_data(as_snapshot(study), params, target, target_name))

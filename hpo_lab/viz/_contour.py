"""Contour plot: the objective interpolated over pairs of parameters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_lab.distributions import CategoricalDistribution, Distribution
from hpo_lab.search_space._revision import apply_constraint
from hpo_lab.trial._state import TrialState
from hpo_lab.viz._params import ParamAxis, check_known, param_axes
from hpo_lab.viz._snapshot import (
    StudySnapshot,
    TargetType,
    as_snapshot,
    check_params,
    import_plotly,
    trial_value,
)
from hpo_lab.viz._style import (
    COLORS,
    COLORSCALE,
    FONT_COLOR,
    STATE_STYLE,
    axis_style,
    base_layout,
    empty_figure,
    marker,
)

if TYPE_CHECKING:
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["ContourData", "plot_contour"]


@dataclass
class ContourPanel:
    """One pair of parameters, in axis coordinates (``log10`` for log, index for categorical).

    Attributes:
        grid_x, grid_y: The interpolation grid.
        z: Interpolated values, ``z[i][j]`` at ``(grid_x[j], grid_y[i])``; ``None`` without
            COMPLETE trials.
        points: ``kind -> (xs, ys, numbers)`` for ``complete``, ``inherited``, ``pruned`` and
            ``fail`` trials (parameters are known even without a value).
        region: ``(x0, x1, y0, y1)`` of the current revision's narrowed box, or ``None``
            (constraints that the latest declaration of their parameter misses are left out).
    """

    x_axis: ParamAxis
    y_axis: ParamAxis
    grid_x: list[float]
    grid_y: list[float]
    z: list[list[float]] | None
    points: dict[str, tuple[list[float], list[float], list[int]]] = field(default_factory=dict)
    region: tuple[float, float, float, float] | None = None


@dataclass
class ContourData:
    """What :func:`plot_contour` draws: ``panels[(i, j)]`` has parameter ``j`` on x and ``i``
    on y, for ``i != j`` (a single panel when there are two parameters)."""

    names: list[str]
    panels: dict[tuple[int, int], ContourPanel]
    target_name: str
    reversescale: bool
    message: str | None = None


def _span(axis: ParamAxis) -> tuple[float, float]:
    if axis.kind == "categorical":
        return 0.0, float(max(len(axis.choices) - 1, 1))
    lo, hi = axis.coordinate(axis.low), axis.coordinate(axis.high)
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def _interpolate(
    px: np.ndarray, py: np.ndarray, pz: np.ndarray, gx: np.ndarray, gy: np.ndarray,
    sx: tuple[float, float], sy: tuple[float, float],
) -> np.ndarray:
    from scipy.interpolate import griddata

    # Work on the unit square so both axes weigh the same.
    ux = (px - sx[0]) / (sx[1] - sx[0])
    uy = (py - sy[0]) / (sy[1] - sy[0])
    mx, my = np.meshgrid((gx - sx[0]) / (sx[1] - sx[0]), (gy - sy[0]) / (sy[1] - sy[0]))
    pts = np.column_stack([ux, uy])
    near = griddata(pts, pz, (mx, my), method="nearest")
    try:
        lin = griddata(pts, pz, (mx, my), method="linear")
    except Exception:  # too few or collinear points: Qhull cannot triangulate
        return np.asarray(near)
    return np.where(np.isnan(lin), near, lin)


def _applying_constraints(snap: StudySnapshot) -> dict[str, Distribution]:
    """The current revision's constraints that apply to the latest declaration of their
    parameter (or to none yet): one the objective's declaration misses narrows nothing."""
    if not snap.revisions:
        return {}
    latest: dict[str, Distribution] = {}
    for t in sorted(snap.trials, key=lambda t: t.number):
        latest.update(t.distributions)
    return {
        name: c
        for name, c in snap.revisions[-1].constraints.items()
        if name not in latest or apply_constraint(latest[name], c) is not None
    }


def _region(
    current: dict[str, Distribution], ax: ParamAxis, ay: ParamAxis
) -> tuple[float, ...] | None:
    if ax.name not in current and ay.name not in current:
        return None
    out: list[float] = []
    for axis in (ax, ay):
        c = current.get(axis.name)
        if c is None or axis.kind == "categorical":
            lo, hi = _span(axis)
            if isinstance(c, CategoricalDistribution):
                idx = [axis.index(v) for v in c.choices if axis.contains(v)]
                if idx:
                    lo, hi = min(idx) - 0.4, max(idx) + 0.4
        elif isinstance(c, CategoricalDistribution):
            lo, hi = _span(axis)
        else:
            lo, hi = axis.coordinate(c.low), axis.coordinate(c.high)
        out += [lo, hi]
    return tuple(out)


def _contour_data(
    snap: StudySnapshot,
    params: Sequence[str] | None = None,
    target: TargetType | None = None,
    target_name: str = "Objective Value",
    resolution: int | None = None,
) -> ContourData:
    params = check_params(params)
    finished = [t for t in snap.trials if t.state.is_finished()]
    inherited = [t for t in snap.inherited if t.state == TrialState.COMPLETE]
    reverse = snap.direction == "minimize"
    if finished or inherited:
        check_known(list(snap.trials) + list(snap.inherited), params)
    if params is not None and len(params) < 2:
        raise ValueError(f"a contour plot needs at least 2 params, but got params={params}")
    if not finished and not inherited:
        # Nothing to check names against yet (a live plot starts on an empty study).
        return ContourData(list(params or []), {}, target_name, reverse, "No finished trials yet")
    axes = param_axes(
        finished + inherited if params is None else list(snap.trials) + inherited, params
    )
    empty = ContourData([a.name for a in axes], {}, target_name, reverse)
    if len(axes) < 2:
        empty.message = (
            "A contour plot needs two parameters, but the trials have "
            + (f"only {axes[0].name!r}" if axes else "none")
        )
        return empty
    res = resolution or (80 if len(axes) == 2 else 40)
    current = _applying_constraints(snap)
    panels: dict[tuple[int, int], ContourPanel] = {}
    for i, ay in enumerate(axes):
        for j, ax in enumerate(axes):
            if i == j:
                continue
            if (j, i) in panels:
                other = panels[(j, i)]
                panels[(i, j)] = ContourPanel(
                    ax, ay, other.grid_y, other.grid_x,
                    None if other.z is None else [list(r) for r in zip(*other.z)],
                    {k: (v[1], v[0], v[2]) for k, v in other.points.items()},
                    None if other.region is None else (
                        other.region[2], other.region[3], other.region[0], other.region[1]
                    ),
                )
                continue
            pts: dict[str, tuple[list[float], list[float], list[int]]] = {
                k: ([], [], []) for k in ("complete", "inherited", "pruned", "fail")
            }
            zs: list[float] = []
            for t in finished + inherited:
                if ax.name not in t.params or ay.name not in t.params:
                    continue
                if t.origin is not None:
                    kind = "inherited"
                elif t.state == TrialState.COMPLETE:
                    kind = "complete"
                elif t.state == TrialState.PRUNED:
                    kind = "pruned"
                else:
                    kind = "fail"
                v = trial_value(t, target)
                if kind in ("complete", "inherited") and v is None:
                    continue  # the target has no value for this trial
                xs, ys, ns = pts[kind]
                xs.append(ax.coordinate(t.params[ax.name]))
                ys.append(ay.coordinate(t.params[ay.name]))
                ns.append(t.number)
                if v is not None:
                    zs.append(v)
            sx, sy = _span(ax), _span(ay)
            gx = np.linspace(sx[0], sx[1], res)
            gy = np.linspace(sy[0], sy[1], res)
            z = None
            if zs:
                px = np.array(pts["complete"][0] + pts["inherited"][0])
                py = np.array(pts["complete"][1] + pts["inherited"][1])
                z = _interpolate(px, py, np.array(zs), gx, gy, sx, sy).tolist()
            region = _region(current, ax, ay)
            panels[(i, j)] = ContourPanel(
                ax, ay, gx.tolist(), gy.tolist(), z, pts,
                None if region is None else (region[0], region[1], region[2], region[3]),
            )
    message = None
    if len(axes) == 2 and not any(xs for xs, _, _ in panels[(1, 0)].points.values()):
        message = f"No trial has both {axes[0].name!r} and {axes[1].name!r}; pass params="
    return ContourData([a.name for a in axes], panels, target_name, reverse, message)


def _style_axis(fig: Any, axis: ParamAxis, which: str, row: int, col: int, title: bool) -> None:
    ticks = axis.ticks()
    update: dict[str, Any] = {"title": axis.name if title else None}
    if ticks is not None:
        update.update(tickvals=ticks[0], ticktext=ticks[1])
    getattr(fig, f"update_{which}axes")(update, row=row, col=col)


def _render_contour(data: ContourData) -> Any:
    if data.message:
        return empty_figure("Contour", data.message)
    go = import_plotly()
    from plotly.subplots import make_subplots

    n = len(data.names)
    single = n == 2
    size = 1 if single else n
    spacing = 0.0 if single else min(0.08, 0.4 / size)
    fig = make_subplots(
        rows=size, cols=size, horizontal_spacing=spacing, vertical_spacing=spacing
    )
    fig.update_layout(
        base_layout(
            "Contour",
            height=520 if single else 220 * n,
            width=None if single else 220 * n + 120,
        )
    )
    fig.update_xaxes(axis_style())
    fig.update_yaxes(axis_style())
    zmin = min((min(min(r) for r in p.z) for p in data.panels.values() if p.z), default=0.0)
    zmax = max((max(max(r) for r in p.z) for p in data.panels.values() if p.z), default=1.0)
    shown: set[str] = set()
    for (i, j), panel in data.panels.items():
        if single and (i, j) != (1, 0):
            continue
        row, col = (1, 1) if single else (i + 1, j + 1)
        if panel.z is not None:
            fig.add_trace(
                go.Contour(
                    x=panel.grid_x,
                    y=panel.grid_y,
                    z=panel.z,
                    colorscale=COLORSCALE,
                    reversescale=data.reversescale,
                    zmin=zmin,
                    zmax=zmax,
                    showscale="contour" not in shown,
                    colorbar={
                        "title": {"text": data.target_name, "side": "right"},
                        "thickness": 12,
                        "len": 0.85,
                        "y": 0.45,
                        "yanchor": "middle",
                    },
                    contours={"coloring": "heatmap"},
                    line={"width": 0.5, "color": "rgba(255,255,255,0.35)"},
                    opacity=0.85,
                    hoverinfo="skip",
                    name="interpolated",
                    showlegend=False,
                ),
                row=row,
                col=col,
            )
            shown.add("contour")
        for kind, (xs, ys, ns) in panel.points.items():
            if not xs:
                continue
            mk = marker(kind, size=6)
            if kind == "complete":
                mk.update(color="white", line={"width": 1.2, "color": "#333333"})
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="markers",
                    marker=mk,
                    name=STATE_STYLE[kind]["label"],
                    legendgroup=kind,
                    showlegend=kind not in shown,
                    customdata=[[v] for v in ns],
                    hovertemplate="Trial %{customdata[0]}<extra></extra>",
                ),
                row=row,
                col=col,
            )
            shown.add(kind)
        if not any(xs for xs, _, _ in panel.points.values()):
            k = (row - 1) * size + col
            fig.add_annotation(
                text="no trial has both",
                x=0.5,
                y=0.5,
                xref=f"x{'' if k == 1 else k} domain",
                yref=f"y{'' if k == 1 else k} domain",
                showarrow=False,
                font={"size": 10, "color": FONT_COLOR},
            )
        if panel.region is not None:
            x0, x1, y0, y1 = panel.region
            fig.add_shape(
                type="rect", x0=x0, x1=x1, y0=y0, y1=y1,
                line={"color": COLORS["revision"], "dash": "dash", "width": 1.5},
                row=row, col=col,
            )
        # Titles go on the outer panels; the diagonal is empty, so the corners shift by one.
        x_title = row == size or (row == size - 1 and col == size)
        y_title = col == 1 or (col == 2 and row == 1)
        _style_axis(fig, panel.x_axis, "x", row, col, x_title or single)
        _style_axis(fig, panel.y_axis, "y", row, col, y_title or single)
        sx, sy = _span(panel.x_axis), _span(panel.y_axis)
        pad_x, pad_y = 0.03 * (sx[1] - sx[0]), 0.03 * (sy[1] - sy[0])
        fig.update_xaxes(range=[sx[0] - pad_x, sx[1] + pad_x], row=row, col=col)
        fig.update_yaxes(range=[sy[0] - pad_y, sy[1] + pad_y], row=row, col=col)
    if not single:
        for k in range(n):
            fig.update_xaxes(visible=False, row=k + 1, col=k + 1)
            fig.update_yaxes(visible=False, row=k + 1, col=k + 1)
    return fig


def plot_contour(
    study: Study | StudySnapshot | Sequence[FrozenTrial],
    params: Sequence[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = "Objective Value",
) -> Any:
    """The value interpolated over each pair of parameters (a matrix of panels for more than
    two), with the trials on top: COMPLETE as white dots, inherited as open circles, pruned and
    failed with their own markers; a dashed box shows the current revision's narrowed region.

    Log parameters are drawn in ``log10`` with power-of-ten ticks, categorical ones by index.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1) * t.suggest_float("y", 0, 1),
        ...            n_trials=10)
        >>> fig = plot_contour(s)
        >>> fig.data[0].type, fig.layout.xaxis.title.text, fig.layout.yaxis.title.text
        ('contour', 'x', 'y')
    """
    return _render_contour(_contour_data(as_snapshot(study), params, target, target_name))

"""Parallel coordinates: every COMPLETE trial as a line across the objective and parameters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hpo_lab.trial._state import TrialState
from hpo_lab.viz._narrowed import NarrowingLookup
from hpo_lab.viz._params import check_known, param_axes
from hpo_lab.viz._snapshot import (
    StudySnapshot,
    TargetType,
    as_snapshot,
    check_params,
    import_plotly,
    trial_value,
)
from hpo_lab.viz._style import COLORSCALE, FONT_COLOR, base_layout, empty_figure

if TYPE_CHECKING:
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["ParallelData", "plot_parallel_coordinate"]


@dataclass
class Dimension:
    """One vertical axis: its label, the coordinate of each line, and ticks if not linear."""

    label: str
    values: list[float]
    tickvals: list[float] | None = None
    ticktext: list[str] | None = None


@dataclass
class ParallelData:
    """What :func:`plot_parallel_coordinate` draws.

    Attributes:
        dimensions: The objective first, then each parameter (log ones as ``log10`` with
            ticks at powers of ten, categorical ones as indices with their labels), then
            ``source`` (own or inherited) when there are inherited trials and ``revision``
            when the space was narrowed (trials whose revision's narrowing did not apply to
            them sit on a tick of their own, ``"r: not applied"``).
        color: The objective value of each line.
        reversescale: Whether low values get the warm end (minimisation).
        n_omitted: Own finished trials not drawn, for any of the three reasons below.
        n_not_complete: Pruned or failed trials (no value to draw).
        n_missing: COMPLETE trials without one of the drawn parameters (conditional spaces).
        n_no_value: COMPLETE trials for which ``target`` returned ``None``.
    """

    dimensions: list[Dimension]
    color: list[float]
    reversescale: bool
    target_name: str
    n_omitted: int
    message: str | None = None
    n_not_complete: int = 0
    n_missing: int = 0
    n_no_value: int = 0


def _parallel_data(
    snap: StudySnapshot,
    params: Sequence[str] | None = None,
    target: TargetType | None = None,
    target_name: str = "Objective Value",
) -> ParallelData:
    params = check_params(params)
    reverse = snap.direction == "minimize"
    own = [t for t in snap.trials if t.state == TrialState.COMPLETE]
    inherited = [t for t in snap.inherited if t.state == TrialState.COMPLETE]
    finished = sum(1 for t in snap.trials if t.state.is_finished())
    if finished or snap.inherited:
        check_known(list(snap.trials) + list(snap.inherited), params)
    valued = [(t, False, trial_value(t, target)) for t in own] + [
        (t, True, trial_value(t, target)) for t in inherited
    ]
    with_value = [(t, inh, v) for t, inh, v in valued if v is not None]
    n_no_value = sum(1 for t, inh, v in valued if v is None and not inh)

    def nothing(message: str) -> ParallelData:
        return ParallelData(
            [], [], reverse, target_name, finished, message,
            n_not_complete=finished - len(own), n_no_value=n_no_value,
        )

    if not with_value:
        return nothing("No COMPLETE trials yet" if not own else "No COMPLETE trial has a value")
    if params is None:
        # Conditional spaces: only the parameters every trial has give whole lines.
        shared = set.intersection(*(set(t.params) for t, _, _ in with_value))
        union = sorted({n for t, _, _ in with_value for n in t.params})
        if not union:
            return nothing("The trials have no parameters")
        if not shared:
            return nothing(
                f"No parameter is in every COMPLETE trial (they have {union}); pass params="
            )
        names: list[str] = sorted(shared)
    else:
        names = list(params)
    axes = param_axes([t for t, _, _ in with_value], None)
    by_name = {a.name: a for a in axes}
    kept = [(t, inh, v) for t, inh, v in with_value if all(n in t.params for n in names)]
    n_missing = sum(1 for t, inh, _ in with_value if not inh) - sum(
        1 for _, inh, _ in kept if not inh
    )
    if not kept:
        data = nothing(f"No COMPLETE trial has all of {names}; pass params= they share")
        data.n_missing = n_missing
        return data
    color = [float(v) for _, _, v in kept]
    dims = [Dimension(target_name, list(color))]
    for name in names:
        axis = by_name[name]
        coords = [axis.coordinate(t.params[name]) for t, _, _ in kept]
        ticks = axis.ticks()
        dims.append(
            Dimension(
                name + (" (log)" if axis.kind == "log" else ""),
                coords,
                ticks[0] if ticks else None,
                ticks[1] if ticks else None,
            )
        )
    if any(inh for _, inh, _ in kept):
        dims.append(
            Dimension(
                "source",
                [1.0 if inh else 0.0 for _, inh, _ in kept],
                [0.0, 1.0],
                ["this study", "warm start"],
            )
        )
    revision_axis = _revision_dimension(snap, kept)
    if revision_axis is not None:
        dims.append(revision_axis)
    n_shown = sum(1 for _, inh, _ in kept if not inh)
    return ParallelData(
        dimensions=dims,
        color=color,
        reversescale=reverse,
        target_name=target_name,
        n_omitted=finished - n_shown,
        n_not_complete=finished - len(own),
        n_missing=n_missing,
        n_no_value=n_no_value,
    )


def _revision_dimension(
    snap: StudySnapshot, kept: Sequence[tuple[FrozenTrial, bool, Any]]
) -> Dimension | None:
    """The ``revision`` axis, when own trials come from more than one revision.

    A trial asked under a revision whose narrowing did not apply to any of its parameters
    (the objective's declarations missed it) is not drawn on that revision's tick but half a
    step above it, on a tick labelled ``"r: not applied"``.
    """
    lookup = NarrowingLookup(snap.revisions)
    coords = []
    for t, inherited, _ in kept:
        narrowing = None if inherited else lookup.of(t)
        not_applied = narrowing is not None and not narrowing.narrowed
        coords.append(t.revision + 0.5 if not_applied else float(t.revision))
    ticks = sorted({c for c, (_, inherited, _) in zip(coords, kept) if not inherited})
    if len(ticks) < 2:
        return None
    labels = [str(int(c)) if c.is_integer() else f"{int(c)}: not applied" for c in ticks]
    return Dimension("revision", coords, ticks, labels)


def _render_parallel(data: ParallelData) -> Any:
    if data.message:
        return empty_figure("Parallel coordinates", data.message)
    go = import_plotly()
    dims = []
    for d in data.dimensions:
        dim: dict[str, Any] = {"label": d.label, "values": d.values}
        lo, hi = min(d.values), max(d.values)
        if d.tickvals is not None:
            dim["tickvals"] = d.tickvals
            dim["ticktext"] = d.ticktext
            lo, hi = min(lo, *d.tickvals), max(hi, *d.tickvals)
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        dim["range"] = [lo, hi]
        dims.append(dim)
    trace = go.Parcoords(
        dimensions=dims,
        line={
            "color": data.color,
            "colorscale": COLORSCALE,
            "reversescale": data.reversescale,
            "showscale": True,
            "colorbar": {"title": {"text": data.target_name}, "thickness": 12},
        },
        # plotly >= 6 draws a light halo ("shadow") behind parcoords text, a smudge on dark
        # themes.
        labelfont={"color": FONT_COLOR, "shadow": "none"},
        tickfont={"color": FONT_COLOR, "size": 10, "shadow": "none"},
        rangefont={"color": FONT_COLOR, "size": 9, "shadow": "none"},
        labelangle=-20,
    )
    title = "Parallel coordinates"
    if data.n_omitted:
        title += f" <span style='font-size:11px'>({omitted_text(data)} not shown)</span>"
    fig = go.Figure(data=[trace], layout=base_layout(title))
    fig.update_layout(margin={"l": 70, "r": 40, "t": 100, "b": 30})
    return fig


def omitted_text(data: ParallelData) -> str:
    """Why trials are missing from the lines, e.g. ``2 pruned/failed, 5 missing a parameter``."""
    parts = []
    if data.n_not_complete:
        parts.append(f"{data.n_not_complete} pruned/failed")
    if data.n_missing:
        parts.append(f"{data.n_missing} missing a parameter")
    if data.n_no_value:
        parts.append(f"{data.n_no_value} without a target value")
    return ", ".join(parts)


def plot_parallel_coordinate(
    study: Study | StudySnapshot | Sequence[FrozenTrial],
    params: Sequence[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = "Objective Value",
) -> Any:
    """Each COMPLETE trial as a line through the objective and its parameter values, coloured
    so the best trials are warm; drag along an axis to filter.

    Log parameters are drawn in ``log10`` with power-of-ten ticks, categorical ones by index
    with their labels. A ``source`` axis separates inherited (warm-start) trials and a
    ``revision`` axis the search-space revisions, when there are any. By default the axes are
    the parameters every COMPLETE trial has (conditional spaces: pass ``params=`` for others).
    The title counts the trials not drawn: pruned or failed (no value), missing one of the
    parameters, or without a ``target`` value.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> [d.label for d in plot_parallel_coordinate(s).data[0].dimensions]
        ['Objective Value', 'x']
    """
    return _render_parallel(_parallel_data(as_snapshot(study), params, target, target_name))

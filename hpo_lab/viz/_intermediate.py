"""Learning curves: the values each trial reported by step, pruned trials marked where they
stopped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from hpo_lab.trial._state import TrialState
from hpo_lab.viz._live import (
    CHUNK_SIZE,
    ChangeFeed,
    ChunkedTraces,
    Unit,
    group_units,
    trial_numbers_in,
)
from hpo_lab.viz._snapshot import StudySnapshot, as_snapshot, import_plotly
from hpo_lab.viz._style import COLORS, STATE_STYLE, base_layout, marker

if TYPE_CHECKING:
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["IntermediateData", "LiveIntermediateValues", "plot_intermediate_values"]

_GROUPS = ("complete", "pruned", "fail", "inherited")
_STATE_GROUP = {
    TrialState.COMPLETE: "complete",
    TrialState.PRUNED: "pruned",
    TrialState.FAIL: "fail",
}


@dataclass
class Curve:
    """One trial's learning curve."""

    number: int
    steps: list[int]
    values: list[float]


@dataclass
class IntermediateData:
    """What :func:`plot_intermediate_values` draws.

    Attributes:
        curves: ``group -> curves`` for ``complete``, ``pruned``, ``fail``, ``running`` and
            ``inherited`` trials that reported at least one value, by trial number.
        pruned_ends: ``(step, value, number)`` where each pruned trial stopped.
        message: Why nothing is drawn, or ``None``.
    """

    curves: dict[str, list[Curve]] = field(default_factory=dict)
    pruned_ends: list[tuple[int, float, int]] = field(default_factory=list)
    target_name: str = "Intermediate Value"
    message: str | None = None


def trial_curve(trial: FrozenTrial) -> Curve | None:
    """The curve of a trial, or ``None`` if it reported nothing."""
    if not trial.intermediate_values:
        return None
    steps = sorted(trial.intermediate_values)
    return Curve(trial.number, steps, [float(trial.intermediate_values[s]) for s in steps])


def _intermediate_data(
    snap: StudySnapshot, target_name: str = "Intermediate Value"
) -> IntermediateData:
    data = IntermediateData(
        curves={g: [] for g in (*_GROUPS, "running")}, target_name=target_name
    )
    for t in snap.trials:
        curve = trial_curve(t)
        if curve is None:
            continue
        group = _STATE_GROUP.get(t.state, "running" if t.state == TrialState.RUNNING else None)
        if group is None:
            continue
        data.curves[group].append(curve)
        if t.state == TrialState.PRUNED:
            data.pruned_ends.append((curve.steps[-1], curve.values[-1], t.number))
    for t in snap.inherited:
        curve = trial_curve(t)
        if curve is not None:
            data.curves["inherited"].append(curve)
    if not any(data.curves.values()):
        data.message = (
            "No trial has reported intermediate values yet (trial.report(value, step))"
        )
    return data


def _curve_unit(curve: Curve) -> Unit:
    # A None after each curve breaks the line, so many trials share one trace.
    n = len(curve.steps)
    return {
        "x": [*curve.steps, None],
        "y": [*curve.values, None],
        "customdata": [[curve.number]] * n + [[None]],
    }


def _make_line(group: str, first: bool) -> Any:
    go = import_plotly()
    style = STATE_STYLE[group]
    dash = "dot" if group in ("inherited", "fail") else "solid"
    return go.Scatter(
        x=[],
        y=[],
        mode="lines+markers",
        name=style["label"],
        legendgroup=group,
        showlegend=first,
        line={"color": style["color"], "width": 1.3, "dash": dash},
        marker={"size": 3, "color": style["color"]},
        opacity=0.7,
        connectgaps=False,
        hovertemplate="Trial %{customdata[0]}<br>step %{x}: %{y}<extra></extra>",
    )


def _make_end(first: bool) -> Any:
    go = import_plotly()
    return go.Scatter(
        x=[],
        y=[],
        mode="markers",
        name="pruned here",
        legendgroup="pruned-end",
        showlegend=first,
        marker=marker("pruned", size=9, line={"width": 1, "color": COLORS["pruned"]}),
        hovertemplate="Trial %{customdata[0]} pruned at step %{x}<extra></extra>",
    )


def _running_columns(curves: Sequence[Curve]) -> dict[str, Any]:
    xs: list[Any] = []
    ys: list[Any] = []
    cd: list[Any] = []
    for c in curves:
        unit = _curve_unit(c)
        xs += unit["x"]
        ys += unit["y"]
        cd += unit["customdata"]
    return {"x": xs, "y": ys, "customdata": cd}


def _render_intermediate(data: IntermediateData) -> Any:
    go = import_plotly()
    fig = go.Figure(layout=base_layout("Learning curves"))
    fig.update_xaxes(title="Step")
    fig.update_yaxes(title=data.target_name)
    for group in _GROUPS:
        curves = data.curves[group]
        if curves:
            ChunkedTraces(fig, group, partial(_make_line, group)).append(
                [_curve_unit(c) for c in curves]
            )
    if data.pruned_ends:
        ChunkedTraces(fig, "pruned-end", _make_end).append(
            [{"x": [s], "y": [v], "customdata": [[n]]} for s, v, n in data.pruned_ends]
        )
    running = _make_line("running", True)
    running.update(_running_columns(data.curves["running"]))
    fig.add_trace(running)
    if data.message:
        fig.add_annotation(
            text=data.message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False
        )
    return fig


def plot_intermediate_values(
    study: Study | StudySnapshot | Sequence[FrozenTrial],
    *,
    target_name: str = "Intermediate Value",
) -> Any:
    """The learning curve of every trial that called ``trial.report``: one line per trial,
    coloured by state; a triangle marks the step where a pruned trial was stopped; inherited
    (warm-start) curves are dotted.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> def objective(t):
        ...     for step in range(3):
        ...         t.report(step * t.suggest_float("x", 0, 1), step)
        ...     return 0.0
        >>> s.optimize(objective, n_trials=2)
        >>> fig = plot_intermediate_values(s)
        >>> [(tr.name, len(tr.x)) for tr in fig.data]
        [('complete', 8), ('running', 0)]
    """
    return _render_intermediate(_intermediate_data(as_snapshot(study), target_name))


class LiveIntermediateValues:
    """Keeps a learning-curve figure up to date: a trial's curve is appended once it finishes;
    the curves of running trials (few) are redrawn on each :meth:`update`.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> live = LiveIntermediateValues(s)
        >>> s.optimize(lambda t: t.report(1.0, 0) or 1.0, n_trials=2)
        >>> live.update()
        2
    """

    def __init__(
        self,
        study: Study,
        figure: Any = None,
        *,
        target_name: str = "Intermediate Value",
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self._feed = ChangeFeed(study)
        if figure is None:
            figure = plot_intermediate_values(
                StudySnapshot(direction=study.direction, inherited=tuple(study.inherited_trials)),
                target_name=target_name,
            )
            figure.layout.annotations = []
        self.figure = figure
        self._chunks = {
            g: ChunkedTraces(figure, g, partial(_make_line, g), chunk_size)
            for g in _GROUPS
        }
        self._ends = ChunkedTraces(figure, "pruned-end", _make_end, chunk_size)
        self._drawn: set[int] = set()
        self._running_index = 0
        for i, trace in enumerate(figure.data):
            if trace.legendgroup in ("complete", "pruned", "fail"):
                self._drawn |= trial_numbers_in(trace)
            if trace.legendgroup == "running":
                self._running_index = i
        self._running: dict[int, FrozenTrial] = {}

    def update(self, trials: Iterable[FrozenTrial] | None = None) -> int:
        """Append curves of trials finished since the last call and redraw running ones;
        returns how many curves were appended."""
        changed = self._feed.poll() if trials is None else list(trials)
        units: list[tuple[str, Unit]] = []
        ends: list[Unit] = []
        for t in changed:
            if t.state == TrialState.RUNNING:
                self._running[t.number] = t
                continue
            self._running.pop(t.number, None)
            group = _STATE_GROUP.get(t.state)
            if group is None or t.number in self._drawn:
                continue
            curve = trial_curve(t)
            self._drawn.add(t.number)
            if curve is None:
                continue
            units.append((group, _curve_unit(curve)))
            if t.state == TrialState.PRUNED:
                ends.append(
                    {"x": [curve.steps[-1]], "y": [curve.values[-1]], "customdata": [[t.number]]}
                )
        running = [
            c
            for t in sorted(self._running.values(), key=lambda t: t.number)
            if (c := trial_curve(t)) is not None
        ]
        fig = self.figure
        with fig.batch_update():
            for group, us in group_units(units).items():
                self._chunks[group].append(us)
            self._ends.append(ends)
            fig.data[self._running_index].update(_running_columns(running))
        return len(units)

"""Timeline: one bar per trial on the worker that ran it, to show parallelism and stalls."""

from __future__ import annotations

import datetime
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
from hpo_lab.viz._style import STATE_STYLE, base_layout, format_value

if TYPE_CHECKING:
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["LiveTimeline", "TimelineData", "plot_timeline"]

_GROUPS = ("complete", "pruned", "fail")
_STATE_GROUP = {
    TrialState.COMPLETE: "complete",
    TrialState.PRUNED: "pruned",
    TrialState.FAIL: "fail",
    TrialState.RUNNING: "running",
}


@dataclass
class Bars:
    """Columns of bars: worker (``y``), start (``base``), duration in ms (``x``), hover text."""

    y: list[str] = field(default_factory=list)
    base: list[str] = field(default_factory=list)
    x: list[float] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)


@dataclass
class TimelineData:
    """What :func:`plot_timeline` draws: bars per state (``complete``, ``pruned``, ``fail``,
    ``running``; a running bar ends at ``now``), the workers in order of first use, and why
    nothing is drawn (``message``)."""

    groups: dict[str, Bars]
    workers: list[str]
    now: datetime.datetime
    message: str | None = None


def _now_like(reference: datetime.datetime | None) -> datetime.datetime:
    if reference is not None and reference.tzinfo is not None:
        return datetime.datetime.now(reference.tzinfo)
    return datetime.datetime.now()


def timeline_bar(
    trial: FrozenTrial, now: datetime.datetime
) -> tuple[str, str, str, float, str] | None:
    """``(group, worker, start, duration_ms, hover)`` of one trial, or ``None`` if it has not
    started (or never ran)."""
    group = _STATE_GROUP.get(trial.state)
    start = trial.datetime_start
    if group is None or start is None:
        return None
    end = trial.datetime_complete if trial.state.is_finished() else now
    if end is None:
        end = start
    ms = max((end - start).total_seconds() * 1000.0, 0.0)
    worker = trial.worker or "unknown worker"
    lines = [
        f"<b>Trial {trial.number}</b> · {STATE_STYLE[group]['label']}",
        f"worker: {worker}",
        f"start: {start.isoformat(sep=' ', timespec='seconds')}",
        f"duration: {ms / 1000.0:.3g} s",
    ]
    if trial.value is not None:
        lines.append(f"value: {format_value(trial.value)}")
    if trial.fail_reason is not None:
        lines.append(f"failed: {trial.fail_reason}")
    return group, worker, start.isoformat(), ms, "<br>".join(lines)


def _timeline_data(snap: StudySnapshot, now: datetime.datetime | None = None) -> TimelineData:
    groups = {g: Bars() for g in (*_GROUPS, "running")}
    starts = [t.datetime_start for t in snap.trials if t.datetime_start is not None]
    if now is None:
        now = _now_like(starts[0] if starts else None)
    workers: list[str] = []
    seen: set[str] = set()
    for t in sorted(snap.trials, key=lambda t: (t.datetime_start or now, t.number)):
        bar = timeline_bar(t, now)
        if bar is None:
            continue
        group, worker, start, ms, text = bar
        if worker not in seen:
            seen.add(worker)
            workers.append(worker)
        g = groups[group]
        g.y.append(worker)
        g.base.append(start)
        g.x.append(ms)
        g.text.append(text)
        g.numbers.append(t.number)
    message = None if workers else "No trials have started yet"
    return TimelineData(groups=groups, workers=workers, now=now, message=message)


def _make_trace(group: str, first: bool) -> Any:
    go = import_plotly()
    style = STATE_STYLE[group]
    return go.Bar(
        x=[],
        y=[],
        base=[],
        orientation="h",
        name=style["label"],
        legendgroup=group,
        showlegend=first,
        marker={"color": style["color"], "line": {"width": 0}},
        opacity=0.85,
        textposition="none",
        hovertemplate="%{text}<extra></extra>",
    )


def _unit(bars_y: str, base: str, ms: float, text: str, number: int) -> Unit:
    return {"y": [bars_y], "base": [base], "x": [ms], "text": [text], "customdata": [[number]]}


def _running_columns(bars: Bars) -> dict[str, Any]:
    return {
        "y": bars.y,
        "base": bars.base,
        "x": bars.x,
        "text": bars.text,
        "customdata": [[n] for n in bars.numbers],
    }


def _render_timeline(data: TimelineData) -> Any:
    go = import_plotly()
    fig = go.Figure(
        layout=base_layout(
            "Timeline",
            barmode="overlay",
            bargap=0.35,
        )
    )
    fig.update_xaxes(type="date", title="Time")
    fig.update_yaxes(
        title="Worker",
        type="category",
        categoryorder="array",
        categoryarray=data.workers,
        autorange="reversed",
    )
    for group in _GROUPS:
        bars = data.groups[group]
        if not bars.y:
            continue
        chunks = ChunkedTraces(fig, group, partial(_make_trace, group))
        chunks.append(
            [
                _unit(*row)
                for row in zip(bars.y, bars.base, bars.x, bars.text, bars.numbers)
            ]
        )
    running = _make_trace("running", True)
    running.update(_running_columns(data.groups["running"]))
    fig.add_trace(running)
    if data.message:
        fig.add_annotation(
            text=data.message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False
        )
    return fig


def plot_timeline(study: Study | StudySnapshot | Sequence[FrozenTrial]) -> Any:
    """One horizontal bar per trial, from its start to its end, on the row of the worker (thread
    or process) that evaluated it; colour shows the state, running trials end at the present.

    Gaps on a row are idle workers; bars that overlap across rows are parallel trials.
    Inherited trials ran in the parent study and are not shown.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> fig = plot_timeline(s)
        >>> [(tr.name, len(tr.x)) for tr in fig.data]
        [('complete', 3), ('running', 0)]
    """
    return _render_timeline(_timeline_data(as_snapshot(study)))


class LiveTimeline:
    """Keeps a timeline figure up to date: finished trials are appended once; the bars of
    running trials (few) are redrawn on each :meth:`update`.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> live = LiveTimeline(s)
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> live.update()
        2
    """

    def __init__(
        self, study: Study, figure: Any = None, *, chunk_size: int = CHUNK_SIZE
    ) -> None:
        self._feed = ChangeFeed(study)
        if figure is None:
            figure = plot_timeline(StudySnapshot(direction=study.direction))
            figure.layout.annotations = []
        self.figure = figure
        self._chunks = {
            g: ChunkedTraces(figure, g, partial(_make_trace, g), chunk_size)
            for g in _GROUPS
        }
        self._drawn: set[int] = set()
        self._running_index = 0
        for i, trace in enumerate(figure.data):
            if trace.legendgroup in _GROUPS:
                self._drawn |= trial_numbers_in(trace)
            if trace.legendgroup == "running":
                self._running_index = i
        self._running: dict[int, FrozenTrial] = {}
        self._workers: list[str] = list(figure.layout.yaxis.categoryarray or ())

    def update(
        self, trials: Iterable[FrozenTrial] | None = None, now: datetime.datetime | None = None
    ) -> int:
        """Append trials finished since the last call and redraw running ones; returns how many
        finished trials were appended."""
        changed = self._feed.poll() if trials is None else list(trials)
        units: list[tuple[str, Unit]] = []
        for t in changed:
            if t.state == TrialState.RUNNING:
                self._running[t.number] = t
                continue
            self._running.pop(t.number, None)
            if not t.state.is_finished() or t.number in self._drawn:
                continue
            bar = timeline_bar(t, now or _now_like(t.datetime_start))
            if bar is None:
                continue
            group, worker, start, ms, text = bar
            self._note_worker(worker)
            self._drawn.add(t.number)
            units.append((group, _unit(worker, start, ms, text, t.number)))
        running = Bars()
        for t in sorted(self._running.values(), key=lambda t: t.number):
            bar = timeline_bar(t, now or _now_like(t.datetime_start))
            if bar is None:
                continue
            _, worker, start, ms, text = bar
            self._note_worker(worker)
            running.y.append(worker)
            running.base.append(start)
            running.x.append(ms)
            running.text.append(text)
            running.numbers.append(t.number)
        fig = self.figure
        with fig.batch_update():
            for group, us in group_units(units).items():
                self._chunks[group].append(us)
            fig.data[self._running_index].update(_running_columns(running))
            if tuple(fig.layout.yaxis.categoryarray or ()) != tuple(self._workers):
                fig.layout.yaxis.categoryarray = list(self._workers)
        return len(units)

    def _note_worker(self, worker: str) -> None:
        if worker not in self._workers:
            self._workers.append(worker)

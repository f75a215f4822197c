"""Optimization history: every trial's value by number, and the best value so far."""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from hpo_lab.search_space._revision import SpaceRevision
from hpo_lab.trial._state import TrialState
from hpo_lab.viz._live import (
    CHUNK_SIZE,
    ChangeFeed,
    ChunkedTraces,
    Unit,
    group_units,
    trial_numbers_in,
)
from hpo_lab.viz._narrowed import Narrowing, NarrowingLookup
from hpo_lab.viz._snapshot import (
    StudySnapshot,
    TargetType,
    as_snapshot,
    import_plotly,
    last_intermediate,
    trial_value,
)
from hpo_lab.viz._style import (
    COLORS,
    STATE_STYLE,
    base_layout,
    format_value,
    marker,
)

if TYPE_CHECKING:
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = [
    "HistoryData",
    "LiveOptimizationHistory",
    "RevisionMarks",
    "plot_optimization_history",
]

# Groups: points on the value axis, and a rug along the bottom for trials without a value.
_GROUPS = ("complete", "pruned", "inherited", "rug-pruned", "rug-fail")


@dataclass
class Points:
    """Columns of one group of points: ``x``, ``y`` and hover ``text``, and trial numbers."""

    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)

    def add(self, x: float, y: float, text: str, number: int) -> None:
        self.x.append(x)
        self.y.append(y)
        self.text.append(text)
        self.numbers.append(number)


@dataclass
class HistoryData:
    """What :func:`plot_optimization_history` draws.

    Attributes:
        groups: ``complete``, ``pruned`` (at their last reported value), ``inherited`` (at
            negative x, left of trial 0), ``rug-pruned`` and ``rug-fail`` (no value: drawn as a
            rug along the bottom).
        best_x, best_y: The best-so-far step line over own COMPLETE trials (only the points
            where it improves, plus the last trial); empty when ``target`` is given.
        revisions: ``(revision, first trial number, label)`` of each search-space revision
            after the first: where its trials start.
        target_name: The value axis title.
        message: Why nothing is drawn, or ``None``.
    """

    groups: dict[str, Points]
    best_x: list[int]
    best_y: list[float]
    revisions: list[tuple[int, int, str]]
    target_name: str
    direction: str
    message: str | None = None


def _hover(
    trial: FrozenTrial, value: float | None, what: str, narrowing: Narrowing | None = None
) -> str:
    lines = [f"<b>Trial {trial.number}</b> · {what}"]
    if value is not None:
        lines.append(f"value: {format_value(value)}")
    if trial.origin is not None:
        lines.append(f"from {trial.origin.study_name} #{trial.origin.number}")
    for name, v in list(trial.params.items())[:8]:
        lines.append(f"{name}: {format_value(v)}")
    if narrowing is not None:
        lines.append(narrowing.hover_line())
    if trial.fail_reason is not None:
        lines.append(f"failed: {trial.fail_reason}")
    return "<br>".join(lines)


def history_point(
    trial: FrozenTrial, target: TargetType | None, narrowing: Narrowing | None = None
) -> tuple[str, float | None, str] | None:
    """The group, y and hover text of one own finished trial, or ``None`` if not drawn.

    ``narrowing`` (see :class:`~hpo_lab.viz._narrowed.NarrowingLookup`) adds a line saying on
    which parameters the trial's revision narrowed it, or did not apply.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> t = FrozenTrial(number=4, state=TrialState.FAIL, revision=1)
        >>> history_point(t, None, Narrowing(1, (), ("x",)))[2].split("<br>")
        ['<b>Trial 4</b> · failed', 'rev 1 narrowing not applied: x']
    """
    if trial.state == TrialState.COMPLETE:
        v = trial_value(trial, target)
        if v is None:  # the target has no value for this trial
            return None
        return "complete", v, _hover(trial, v, "complete", narrowing)
    if trial.state == TrialState.PRUNED:
        v = last_intermediate(trial) if target is None else None
        if v is None:
            return "rug-pruned", 0.0, _hover(trial, None, "pruned", narrowing)
        return "pruned", v, _hover(trial, v, f"pruned at step {trial.last_step}", narrowing)
    if trial.state == TrialState.FAIL:
        return "rug-fail", 0.0, _hover(trial, None, "failed", narrowing)
    return None


def revision_label(
    revision: SpaceRevision,
    applied: Collection[str] | None = None,
    ignored: Collection[str] = (),
) -> str:
    """A short text of a revision's constraints, e.g. ``rev 1: lr∈[0.0001, 0.01]``.

    With ``applied``, only those parameters' constraints are listed (the ones that narrowed a
    trial), and ``ignored`` ones are named as not applied.

    Example:
        >>> from hpo_lab.distributions import FloatDistribution
        >>> rev = SpaceRevision(1, {"x": FloatDistribution(0.2, 0.4), "y": FloatDistribution(0, 1)})
        >>> revision_label(rev, applied=["y"], ignored=["x"])
        'rev 1: y∈[0, 1]; not applied: x'
    """
    parts = []
    for name, d in sorted(revision.constraints.items()):
        if applied is not None and name not in applied:
            continue
        if hasattr(d, "choices"):
            parts.append(f"{name}∈{{{', '.join(map(str, d.choices))}}}")
        else:
            parts.append(f"{name}∈[{format_value(d.low)}, {format_value(d.high)}]")
    body = "; ".join(parts) if parts else "full space"
    shown_ignored = sorted(n for n in ignored if applied is None or n not in applied)
    if shown_ignored:
        body += f"; not applied: {', '.join(shown_ignored)}"
    return f"rev {revision.number}: {body}"


class RevisionMarks:
    """Where each revision's marker goes and what it says, kept as trials arrive.

    A revision is marked at its first trial that it narrowed (see :mod:`._narrowed`); a
    revision that narrowed none of its trials gets no marker. Trials of a revision the lookup
    does not know (a plain list of trials) are taken as narrowed, as there is nothing to check.
    Live figures feed it each changed trial and redraw a marker when :meth:`marker` changes.

    Example:
        >>> from hpo_lab.distributions import FloatDistribution
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> revs = [SpaceRevision(0), SpaceRevision(1, {"x": FloatDistribution(0.2, 0.4)})]
        >>> marks = RevisionMarks(NarrowingLookup(revs))
        >>> for n, low in [(0, 0.0), (1, 0.5), (2, 0.0)]:
        ...     _ = marks.add(FrozenTrial(number=n, state=TrialState.COMPLETE, value=0.0,
        ...         params={"x": 0.3}, distributions={"x": FloatDistribution(low, 1.0)},
        ...         revision=min(n, 1)))
        >>> marks.marker(1, lowest=0)
        (2, 'rev 1: x∈[0.2, 0.4]')
    """

    def __init__(self, lookup: NarrowingLookup) -> None:
        self.lookup = lookup
        self.first: dict[int, int] = {}  # first trial asked under each revision
        self.first_narrowed: dict[int, int] = {}
        self.applied: dict[int, set[str]] = {}
        self.ignored: dict[int, set[str]] = {}

    def add(self, trial: FrozenTrial) -> Narrowing | None:
        """Take one trial in; returns its narrowing (for the hover text)."""
        r = trial.revision
        if r <= 0:
            return None
        if r not in self.first or trial.number < self.first[r]:
            self.first[r] = trial.number
        narrowing = self.lookup.of(trial)
        known = self.lookup.knows(r)
        if narrowing is not None:
            self.applied.setdefault(r, set()).update(narrowing.applied)
            self.ignored.setdefault(r, set()).update(narrowing.ignored)
        narrowed = (narrowing is not None and narrowing.narrowed) or not known
        if narrowed and (r not in self.first_narrowed or trial.number < self.first_narrowed[r]):
            self.first_narrowed[r] = trial.number
        return narrowing

    def marker(self, r: int, lowest: int) -> tuple[int, str] | None:
        """``(trial number, label)`` of revision ``r``'s marker, or ``None`` for none.

        A revision in force from the first own trial (``lowest``: a warm-started child copies
        its parent's constraints) narrows nothing this study has seen: no marker.
        """
        n = self.first_narrowed.get(r)
        if n is None or self.first[r] <= lowest:
            return None
        revision = self.lookup.revision(r)
        if revision is None:
            return n, f"rev {r}"
        label = revision_label(revision, self.applied.get(r, set()), self.ignored.get(r, set()))
        return n, label

    def markers(self, lowest: int) -> list[tuple[int, int, str]]:
        """``(revision, trial number, label)`` of every marker, by revision."""
        out = []
        for r in sorted(self.first):
            marker = self.marker(r, lowest)
            if marker is not None:
                out.append((r, *marker))
        return out


def revision_starts(
    trials: Iterable[FrozenTrial], revisions: Sequence[SpaceRevision]
) -> list[tuple[int, int, str]]:
    """The first own trial narrowed under each revision after revision 0, with its label.

    Example:
        >>> revision_starts([], [])
        []
    """
    marks = RevisionMarks(NarrowingLookup(revisions))
    numbers: list[int] = []
    for t in trials:
        numbers.append(t.number)
        marks.add(t)
    return marks.markers(min(numbers, default=0))


class _BestLine:
    """The best-so-far step line, kept incrementally as COMPLETE trials arrive in any order."""

    def __init__(self, maximize: bool) -> None:
        self.maximize = maximize
        self.numbers: list[int] = []
        self.values: list[float] = []
        self.prefix: list[float] = []  # prefix[i]: best of values[: i + 1]
        self.steps_x: list[int] = []  # where the best improves
        self.steps_y: list[float] = []

    def add(self, number: int, value: float) -> None:
        i = bisect.bisect_left(self.numbers, number)
        self.numbers.insert(i, number)
        self.values.insert(i, value)
        del self.prefix[i:]
        cut = bisect.bisect_left(self.steps_x, number)
        del self.steps_x[cut:], self.steps_y[cut:]
        better = max if self.maximize else min
        # Trials finish nearly in number order, so little is recomputed.
        for k in range(i, len(self.values)):
            v = self.values[k]
            b = v if k == 0 else better(self.prefix[k - 1], v)
            self.prefix.append(b)
            if k == 0 or b != self.prefix[k - 1]:
                self.steps_x.append(self.numbers[k])
                self.steps_y.append(b)

    def line(self) -> tuple[list[int], list[float]]:
        xs, ys = list(self.steps_x), list(self.steps_y)
        if self.numbers and xs[-1] != self.numbers[-1]:
            xs.append(self.numbers[-1])
            ys.append(self.prefix[-1])
        return xs, ys


def _history_data(
    snap: StudySnapshot,
    target: TargetType | None = None,
    target_name: str = "Objective Value",
) -> HistoryData:
    groups = {g: Points() for g in _GROUPS}
    best = _BestLine(snap.direction == "maximize")
    marks = RevisionMarks(NarrowingLookup(snap.revisions))
    for t in snap.trials:
        point = history_point(t, target, marks.add(t))
        if point is None:
            continue
        group, y, text = point
        assert y is not None
        groups[group].add(t.number, y, text, t.number)
        if group == "complete" and target is None:
            best.add(t.number, y)
    inherited = sorted(snap.inherited, key=lambda t: (t.origin.study_name, t.origin.number)
                       if t.origin else ("", t.number))
    k = len(inherited)
    for i, t in enumerate(inherited):
        v = trial_value(t, target)
        if v is None:
            continue
        groups["inherited"].add(i - k, v, _hover(t, v, "inherited"), t.number)
    best_x, best_y = best.line()
    message = None
    if not any(g.x for g in groups.values()):
        message = "No finished trials yet" if not snap.trials else "No finished trials to show"
    return HistoryData(
        groups=groups,
        best_x=best_x,
        best_y=best_y,
        revisions=marks.markers(min((t.number for t in snap.trials), default=0)),
        target_name=target_name,
        direction=snap.direction,
        message=message,
    )


def _make_trace(group: str, first: bool) -> Any:
    go = import_plotly()
    rug = group.startswith("rug-")
    state = group[4:] if rug else group
    style = STATE_STYLE[state]
    label = style["label"] + (" (no value)" if rug and state == "pruned" else "")
    return go.Scatter(
        x=[],
        y=[],
        mode="markers",
        name=label,
        legendgroup=group,
        showlegend=first,
        marker=marker(state, size=8 if rug else 7, opacity=0.85),
        yaxis="y2" if rug else "y",
        hovertemplate="%{text}<extra></extra>",
    )


def _unit(points_x: float, y: float, text: str, number: int) -> Unit:
    return {"x": [points_x], "y": [y], "text": [text], "customdata": [[number]]}


def _render_history(data: HistoryData) -> Any:
    go = import_plotly()
    layout = base_layout(
        "Optimization history",
        xaxis_title="Trial",
        yaxis_title=data.target_name,
    )
    layout["yaxis2"] = {"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}
    fig = go.Figure(layout=layout)
    fig.update_xaxes(title="Trial")
    fig.update_layout(yaxis={"title": {"text": data.target_name}})
    for group in _GROUPS:
        pts = data.groups[group]
        if not pts.x:
            continue
        rug_y = [0.03] * len(pts.x) if group.startswith("rug-") else pts.y
        chunks = ChunkedTraces(fig, group, partial(_make_trace, group))
        chunks.append(
            [_unit(x, y, s, n) for x, y, s, n in zip(pts.x, rug_y, pts.text, pts.numbers)]
        )
    if data.best_x:
        fig.add_trace(_best_trace(data.best_x, data.best_y))
    if data.groups["inherited"].x:
        fig.add_vline(x=-0.5, line={"color": COLORS["inherited"], "dash": "dot", "width": 1})
    for rev, number, label in data.revisions:
        _add_revision_marker(fig, rev, number, label)
    if data.message:
        fig.add_annotation(
            text=data.message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False
        )
    return fig


def _best_trace(xs: list[int], ys: list[float]) -> Any:
    go = import_plotly()
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines",
        line={"color": COLORS["best"], "width": 2.2, "shape": "hv"},
        name="best so far",
        legendgroup="best",
        hovertemplate="best so far: %{y}<extra></extra>",
    )


def _add_revision_marker(fig: Any, revision: int, number: int, label: str) -> None:
    fig.add_vline(
        x=number - 0.5,
        line={"color": COLORS["revision"], "dash": "dash", "width": 1.2},
        annotation={
            "text": label,
            "textangle": -90,
            "font": {"size": 10, "color": COLORS["revision"]},
            "name": f"revision-{revision}",
        },
        annotation_position="top left",
        name=f"revision-{revision}",
    )


def _remove_revision_marker(fig: Any, revision: int) -> None:
    name = f"revision-{revision}"
    fig.layout.shapes = [sh for sh in fig.layout.shapes if sh.name != name]
    fig.layout.annotations = [a for a in fig.layout.annotations if a.name != name]


def plot_optimization_history(
    study: Study | StudySnapshot | Sequence[FrozenTrial],
    *,
    target: TargetType | None = None,
    target_name: str = "Objective Value",
) -> Any:
    """Each trial's value by trial number, with the best value so far.

    Pruned trials sit at their last reported value (triangles), failed ones on a rug along the
    bottom (crosses), inherited warm-start trials left of trial 0 (open circles), and a dashed
    line marks where each narrowed search-space revision starts.

    Args:
        study: A study, a :class:`StudySnapshot` or a list of trials.
        target: Plot ``target(trial)`` instead of the value (no best line then).
        target_name: The value axis title.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        >>> fig = plot_optimization_history(s)
        >>> [tr.name for tr in fig.data]
        ['complete', 'best so far']
    """
    snap = as_snapshot(study)
    return _render_history(_history_data(snap, target, target_name))


class LiveOptimizationHistory:
    """Keeps a history figure up to date by appending only trials that finished since the last
    :meth:`update`.

    Works on a ``plotly.graph_objects.Figure`` or a ``FigureWidget`` (pass ``figure``, which
    must come from :func:`plot_optimization_history`; by default one is built). Inherited
    trials are drawn once, when the figure is built.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> live = LiveOptimizationHistory(s)
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> live.update()
        3
        >>> sum(len(tr.x) for tr in live.figure.data if tr.legendgroup == "complete")
        3
    """

    def __init__(
        self,
        study: Study,
        figure: Any = None,
        *,
        target: TargetType | None = None,
        target_name: str = "Objective Value",
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self._study = study
        self._target = target
        self._feed = ChangeFeed(study)
        if figure is None:
            figure = plot_optimization_history(
                StudySnapshot(
                    direction=study.direction,
                    inherited=tuple(study.inherited_trials),
                    revisions=tuple(study.search_space_history),
                    study_name=study.study_name,
                ),
                target=target,
                target_name=target_name,
            )
            # The placeholder message goes: the figure fills as trials arrive.
            figure.layout.annotations = [
                a for a in figure.layout.annotations if a.xref != "paper"
            ]
        self.figure = figure
        self._chunks = {
            g: ChunkedTraces(figure, g, partial(_make_trace, g), chunk_size)
            for g in _GROUPS
        }
        self._drawn: set[int] = set()
        for trace in figure.data:
            if trace.legendgroup in _GROUPS and trace.legendgroup != "inherited":
                self._drawn |= trial_numbers_in(trace)
        self._best = _BestLine(study.direction == "maximize")
        if target is None:
            # A figure built earlier already shows COMPLETE trials: the best-so-far line must
            # continue from them, not restart with the first new trial.
            for trace in figure.data:
                if trace.legendgroup != "complete" or trace.customdata is None:
                    continue
                for row, y in zip(trace.customdata, trace.y):
                    if row is not None and y is not None and row[0] == row[0]:
                        self._best.add(int(row[0]), float(y))
        self._best_index: int | None = None
        for i, trace in enumerate(figure.data):
            if trace.legendgroup == "best":
                self._best_index = i
        # What each revision's marker shows: None for one drawn before (not known here).
        self._markers: dict[int, tuple[int, str] | None] = {
            int(shape.name.split("-")[1]): None
            for shape in figure.layout.shapes
            if (shape.name or "").startswith("revision-")
        }
        self._marks = RevisionMarks(NarrowingLookup(study.search_space_history))

    def update(self, trials: Iterable[FrozenTrial] | None = None) -> int:
        """Append trials finished since the last call; returns how many were appended.

        ``trials`` are changed trials pushed by the caller (for example from study events); by
        default they are read from the study's storage cursor.
        """
        changed = self._feed.poll() if trials is None else list(trials)
        units: list[tuple[str, Unit]] = []
        new_best = False
        revised: set[int] = set()
        lookup = self._marks.lookup
        for t in changed:
            if t.revision > 0:
                if not lookup.knows(t.revision):
                    lookup.update(self._study.search_space_history)
                narrowing = self._marks.add(t)
                revised.add(t.revision)
            else:
                narrowing = None
            if not t.state.is_finished():
                continue
            # Pushed trials may repeat ones already drawn; counting them again would corrupt
            # the best-so-far line.
            if t.number in self._drawn:
                continue
            if t.state == TrialState.COMPLETE and self._target is None:
                v = trial_value(t, None)
                assert v is not None
                self._best.add(t.number, v)
                new_best = True
            point = history_point(t, self._target, narrowing)
            if point is None:
                continue
            group, y, text = point
            assert y is not None
            y = 0.03 if group.startswith("rug-") else y
            self._drawn.add(t.number)
            units.append((group, _unit(t.number, y, text, t.number)))
        fig = self.figure
        with fig.batch_update():
            for group, group_units_ in group_units(units).items():
                self._chunks[group].append(group_units_)
            if new_best:
                xs, ys = self._best.line()
                if self._best_index is None:
                    fig.add_trace(_best_trace(xs, ys))
                    self._best_index = len(fig.data) - 1
                else:
                    fig.data[self._best_index].update(x=xs, y=ys)
        for r in sorted(revised):
            # A revision in force from the first trial (a warm-started child copies its
            # parent's) narrows nothing this study has seen: lowest is 0.
            marker = self._marks.marker(r, 0)
            if r in self._markers and self._markers[r] == marker:
                continue
            if r in self._markers:
                _remove_revision_marker(fig, r)
                del self._markers[r]
            if marker is not None:
                _add_revision_marker(fig, r, *marker)
                self._markers[r] = marker
        return len(units)

"""The panel's live figures as plain data, small however long the study runs.

A :class:`FigureModel` is a plotly figure held as dicts and lists (never validated by plotly,
which would cost more than the update itself) that changes by whole-trace operations: points
appended to a trace, a trace replaced, a style or layout key set. It keeps what changed since it
was last sent, so the panel can send either the whole figure or only a *patch* (the appended
points and replaced traces), and it counts revisions: a full render carries its revision in
``layout.meta.hpo_rev`` and a patch says which revision it applies to, so the browser applies a
patch only to the exact figure it was computed against.

:class:`HistoryModel` (optimization history) and :class:`CurvesModel` (learning curves) keep
each figure bounded: at most :data:`PATCH_POINTS` new points per group in one update (more are
thinned on the kernel side), and a group's trace is thinned to half when it would pass
:data:`TRACE_CAP` points. Thinning (:func:`hpo_lab.viz._live.thin`) always keeps the best
trials, the points where the best value improved and the most recent trials; the rest is an even
sample. An update therefore costs the new points, and its size does not grow with the study.

Only the panel's bridge thread calls these (see ``_panel.py``).
"""

from __future__ import annotations

import bisect
import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hpo_lab.trial._state import TrialState
from hpo_lab.viz._history import revision_label
from hpo_lab.viz._live import thin
from hpo_lab.viz._rungs import OUTCOMES, RungTally
from hpo_lab.viz._style import COLORS, FONT_COLOR, STATE_STYLE, base_layout, format_value, marker

if TYPE_CHECKING:
    from hpo_lab.search_space._revision import SpaceRevision
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = [
    "KEEP_BEST",
    "PATCH_POINTS",
    "STEPS_CAP",
    "TRACE_CAP",
    "BestSoFar",
    "CurvesModel",
    "FigureModel",
    "HistoryModel",
]

#: Most new points of one group sent in one update; more are thinned first.
PATCH_POINTS = 100
#: Most points of one group's trace; past it the trace is thinned to half. (A browser draws
#: the whole figure for every change: its cost follows this, not the study.)
TRACE_CAP = 400
#: Best trials that thinning always keeps, per group.
KEEP_BEST = 20
#: Most points of one learning curve (its steps are thinned evenly, first and last kept).
STEPS_CAP = 100
#: Most curves of one group in the learning-curves figure.
CURVES_CAP = 60


class FigureModel:
    """A plotly figure as plain data, with the changes made since it was last sent.

    Example:
        >>> trace = {"type": "scatter", "x": [], "y": []}
        >>> model = FigureModel({"title": {"text": "demo"}}, [trace])
        >>> model.extend(0, {"x": [1, 2], "y": [5.0, 4.0]})
        >>> model.take_patch()
        {'base': 0, 'rev': 1, 'traces': [{'i': 0, 'extend': {'x': [1, 2], 'y': [5.0, 4.0]}}]}
        >>> model.take_patch() is None
        True
        >>> model.spec()["layout"]["meta"], model.traces[0]["x"]
        ({'hpo_rev': 2}, [1, 2])
    """

    def __init__(self, layout: dict[str, Any], traces: list[dict[str, Any]]) -> None:
        self.layout = layout
        self.traces = traces
        #: The revision the browser's figure has once the last patch or render reached it.
        self.rev = 0
        self._ops: dict[int, dict[str, Any]] = {}
        self._layout_ops: dict[str, Any] = {}

    @property
    def changed(self) -> bool:
        """Whether something changed since the last :meth:`take_patch` or :meth:`spec`."""
        return bool(self._ops or self._layout_ops)

    def extend(self, i: int, columns: dict[str, list[Any]]) -> None:
        """Append points to trace ``i`` (equal-length columns: ``x``, ``y``, ...)."""
        trace = self.traces[i]
        for key, values in columns.items():
            trace[key].extend(values)
        op = self._ops.setdefault(i, {})
        if "replace" in op:
            return  # the replacement sends the whole trace, these points included
        extend = op.setdefault("extend", {})
        for key, values in columns.items():
            extend.setdefault(key, []).extend(values)

    def replace(self, i: int, columns: dict[str, list[Any]]) -> None:
        """Replace the data columns of trace ``i``."""
        trace = self.traces[i]
        for key, values in columns.items():
            trace[key] = list(values)
        op = self._ops.setdefault(i, {})
        op.pop("extend", None)
        op["replace"] = sorted(set(op.get("replace", ())) | set(columns))

    def restyle(self, i: int, **props: Any) -> None:
        """Set top-level attributes of trace ``i`` (``showlegend``, ...)."""
        changed = {k: v for k, v in props.items() if self.traces[i].get(k) != v}
        if not changed:
            return
        self.traces[i].update(changed)
        self._ops.setdefault(i, {}).setdefault("style", {}).update(changed)

    def relayout(self, **props: Any) -> None:
        """Set top-level layout keys (``shapes``, ``annotations``, ...)."""
        self.layout.update(props)
        self._layout_ops.update(props)

    def spec(self) -> dict[str, Any]:
        """The whole figure for a full render, at a new revision (pending changes included)."""
        self.rev += 1
        self._ops.clear()
        self._layout_ops.clear()
        layout = dict(self.layout)
        layout["meta"] = {"hpo_rev": self.rev}
        return {"data": self.traces, "layout": layout}

    def take_patch(self) -> dict[str, Any] | None:
        """What changed since the last patch or render, as a patch from ``base`` to ``rev``;
        ``None`` if nothing did."""
        if not self.changed:
            return None
        base = self.rev
        self.rev += 1
        traces: list[dict[str, Any]] = []
        for i, op in sorted(self._ops.items()):
            entry: dict[str, Any] = {"i": i}
            if "replace" in op:
                entry["replace"] = {key: self.traces[i][key] for key in op["replace"]}
            elif "extend" in op:
                entry["extend"] = op["extend"]
            if "style" in op:
                entry["style"] = op["style"]
            traces.append(entry)
        patch: dict[str, Any] = {"base": base, "rev": self.rev, "traces": traces}
        if self._layout_ops:
            patch["layout"] = dict(self._layout_ops)
        self._ops = {}
        self._layout_ops = {}
        return patch


def apply_patch(figure: Any, patch: dict[str, Any], model: FigureModel) -> None:
    """Apply ``patch`` to a plotly ``FigureWidget`` (or ``Figure``) showing ``model``: each
    changed trace gets its whole (bounded) columns from the model."""
    with figure.batch_update():
        for entry in patch["traces"]:
            trace = figure.data[entry["i"]]
            columns = entry.get("replace") or entry.get("extend") or {}
            update = {key: model.traces[entry["i"]][key] for key in columns}
            update.update(entry.get("style", {}))
            trace.update(update)
        if "layout" in patch:
            figure.layout.update(patch["layout"])


class BestSoFar:
    """The best-so-far step line over COMPLETE trials that may arrive in any order.

    Example:
        >>> best = BestSoFar(maximize=False)
        >>> for n, v in [(0, 5.0), (2, 3.0), (1, 4.0), (3, 6.0)]:
        ...     best.add(n, v)
        >>> best.line()
        ([0, 1, 2, 3], [5.0, 4.0, 3.0, 3.0])
        >>> best.steps
        [0, 1, 2]
    """

    def __init__(self, maximize: bool) -> None:
        self.maximize = maximize
        self._numbers: list[int] = []
        self._values: list[float] = []
        self._prefix: list[float] = []  # _prefix[i]: best of _values[: i + 1]
        #: Trial numbers where the best value improves, ascending.
        self.steps: list[int] = []
        self._step_values: list[float] = []

    def __len__(self) -> int:
        return len(self._numbers)

    def add(self, number: int, value: float) -> None:
        """Take the value of COMPLETE trial ``number``."""
        i = bisect.bisect_left(self._numbers, number)
        self._numbers.insert(i, number)
        self._values.insert(i, value)
        del self._prefix[i:]
        cut = bisect.bisect_left(self.steps, number)
        del self.steps[cut:], self._step_values[cut:]
        better = max if self.maximize else min
        for k in range(i, len(self._values)):  # trials finish nearly in order: little to redo
            v = self._values[k]
            b = v if k == 0 else better(self._prefix[k - 1], v)
            self._prefix.append(b)
            if k == 0 or b != self._prefix[k - 1]:
                self.steps.append(self._numbers[k])
                self._step_values.append(b)

    @property
    def best(self) -> float | None:
        """The best value so far."""
        return self._prefix[-1] if self._prefix else None

    def line(self, cap: int = 400) -> tuple[list[int], list[float]]:
        """The step line's points (at most ``cap`` steps, the latest kept), ending at the
        highest trial number."""
        xs, ys = self.steps[-cap:], self._step_values[-cap:]
        if self._numbers and (not xs or xs[-1] != self._numbers[-1]):
            xs = [*xs, self._numbers[-1]]
            ys = [*ys, self._prefix[-1]]
        return list(xs), list(ys)


class _Top:
    """The ``k`` best ``(value, number)`` pairs seen (lowest badness first)."""

    def __init__(self, k: int, maximize: bool) -> None:
        self.k = k
        self.sign = -1.0 if maximize else 1.0
        self.items: list[tuple[float, int]] = []

    def add(self, number: int, value: float) -> None:
        key = (self.sign * value, number)
        if len(self.items) >= self.k and key >= self.items[-1]:
            return
        bisect.insort(self.items, key)
        del self.items[self.k :]

    def numbers(self) -> set[int]:
        return {n for _, n in self.items}


def _hover(trial: FrozenTrial, value: float | None, what: str) -> str:
    lines = [f"Trial {trial.number} · {what}"]
    if value is not None:
        lines.append(f"value {format_value(value)}")
    params = ", ".join(f"{k}={format_value(v)}" for k, v in list(trial.params.items())[:6])
    if params:
        lines.append(html.escape(params, quote=False))
    return "<br>".join(lines)


def _finite(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _empty_note(text: str) -> dict[str, Any]:
    return {
        "text": text,
        "x": 0.5,
        "y": 0.5,
        "xref": "paper",
        "yref": "paper",
        "showarrow": False,
        "font": {"size": 14, "color": FONT_COLOR},
        "name": "empty",
    }


class _Point:
    """One point of the history; its hover text is made only if the point is drawn (most
    points of a long study are thinned away first)."""

    __slots__ = ("_text", "_trial", "_valued", "_what", "number", "x", "y")

    def __init__(
        self,
        number: int,
        x: float,
        y: float,
        text: str | None = None,
        trial: FrozenTrial | None = None,
        what: str = "",
        valued: bool = True,
    ) -> None:
        self.number = number
        self.x = x
        self.y = y
        self._text = text
        self._trial = trial
        self._what = what
        self._valued = valued  # False on the rugs, whose y is only a position

    @property
    def text(self) -> str:
        if self._text is None:
            assert self._trial is not None
            self._text = _hover(self._trial, self.y if self._valued else None, self._what)
            self._trial = None
        return self._text


_HISTORY_GROUPS = ("inherited", "complete", "pruned", "rug-pruned", "rug-fail")
_BEST = len(_HISTORY_GROUPS)


def _history_trace(group: str) -> dict[str, Any]:
    rug = group.startswith("rug-")
    state = group[4:] if rug else group
    label = STATE_STYLE[state]["label"] + (" (no value)" if rug and state == "pruned" else "")
    return {
        "type": "scatter",
        "mode": "markers",
        "name": label,
        "legendgroup": group,
        "showlegend": False,
        "marker": marker(state, size=8 if rug else 7, opacity=0.85),
        "yaxis": "y2" if rug else "y",
        "hovertemplate": "%{text}<extra></extra>",
        "x": [],
        "y": [],
        "text": [],
        "customdata": [],
    }


def _history_layout() -> dict[str, Any]:
    layout = base_layout("Optimization history")
    layout["xaxis"]["title"] = {"text": "Trial", "font": {"color": FONT_COLOR}}
    layout["yaxis"]["title"] = {"text": "Objective Value", "font": {"color": FONT_COLOR}}
    layout["yaxis2"] = {"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}
    # A full render keeps the user's zoom and hidden legend entries.
    layout["uirevision"] = "hpo"
    layout["shapes"] = []
    layout["annotations"] = [_empty_note("No finished trials yet")]
    return layout


class HistoryModel:
    """The optimization history: own trials by number, inherited ones left of trial 0, the
    best-so-far line and a marker where each narrowed revision starts.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> model = HistoryModel("minimize")
        >>> done = TrialState.COMPLETE
        >>> model.add([FrozenTrial(number=i, state=done, value=float(10 - i)) for i in range(3)])
        >>> model.flush()
        >>> [len(t["x"]) for t in model.figure.traces]
        [0, 3, 0, 0, 0, 3]
    """

    def __init__(self, direction: str) -> None:
        self.maximize = direction == "maximize"
        traces = [_history_trace(g) for g in _HISTORY_GROUPS]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "line": {"color": COLORS["best"], "width": 2.2, "shape": "hv"},
                "name": "best so far",
                "legendgroup": "best",
                "showlegend": False,
                "hovertemplate": "best so far: %{y}<extra></extra>",
                "x": [],
                "y": [],
            }
        )
        self.figure = FigureModel(_history_layout(), traces)
        self.best = BestSoFar(self.maximize)
        self._top = {g: _Top(KEEP_BEST, self.maximize) for g in _HISTORY_GROUPS}
        self._pending: dict[str, list[_Point]] = {g: [] for g in _HISTORY_GROUPS}
        self._drawn: set[int] = set()
        self._best_changed = False
        self._first_of_revision: dict[int, int] = {}
        self._lowest: int | None = None
        self._revision_shapes: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self._marked: set[int] = set()
        self._has_inherited = False
        self._empty = True
        #: Own trials drawn or thinned away so far.
        self.n_seen = 0

    def add(self, trials: Iterable[FrozenTrial]) -> None:
        """Take changed own trials (any state; only finished ones are drawn, once)."""
        for t in trials:
            if self._lowest is None or t.number < self._lowest:
                self._lowest = t.number
            if t.revision > 0:
                first = self._first_of_revision.get(t.revision)
                if first is None or t.number < first:
                    self._first_of_revision[t.revision] = t.number
            if not t.state.is_finished() or t.number in self._drawn:
                continue
            self._drawn.add(t.number)
            self.n_seen += 1
            if t.state == TrialState.COMPLETE:
                v = _finite(t.value)
                if v is None:
                    continue
                self.best.add(t.number, v)
                self._best_changed = True
                self._top["complete"].add(t.number, v)
                self._pending["complete"].append(
                    _Point(t.number, t.number, v, trial=t, what="complete")
                )
            elif t.state == TrialState.PRUNED:
                step = t.last_step
                v = None if step is None else _finite(t.intermediate_values[step])
                if v is None:
                    self._pending["rug-pruned"].append(
                        _Point(t.number, t.number, 0.03, trial=t, what="pruned", valued=False)
                    )
                else:
                    self._top["pruned"].add(t.number, v)
                    self._pending["pruned"].append(
                        _Point(t.number, t.number, v, trial=t, what=f"pruned at step {step}")
                    )
            elif t.state == TrialState.FAIL:
                self._pending["rug-fail"].append(
                    _Point(t.number, t.number, 0.03, trial=t, what="failed", valued=False)
                )

    def set_inherited(self, inherited: Sequence[FrozenTrial]) -> None:
        """Draw the warm-start trials (the parent's lineage may grow while it runs)."""
        ordered = sorted(
            inherited,
            key=lambda t: (t.origin.study_name, t.origin.number) if t.origin else ("", t.number),
        )
        k = len(ordered)
        points: list[_Point] = []
        top = _Top(KEEP_BEST, self.maximize)
        for i, t in enumerate(ordered):
            v = _finite(t.value) if t.state == TrialState.COMPLETE else None
            if v is None:
                continue
            points.append(_Point(i - k, i - k, v, trial=t, what="inherited"))
            top.add(i - k, v)
        chosen = set(thin([p.number for p in points], TRACE_CAP // 2, top.numbers()))
        kept = [p for p in points if p.number in chosen]
        self.figure.replace(_HISTORY_GROUPS.index("inherited"), self._columns(kept))
        self.figure.restyle(0, showlegend=bool(kept))
        if bool(kept) != self._has_inherited:
            self._has_inherited = bool(kept)
            self._relayout_shapes()
        if kept:
            self._clear_empty()

    def mark_revisions(self, revisions: Sequence[SpaceRevision]) -> None:
        """Add a marker where each narrowed revision's first own trial sits."""
        new = [
            r
            for r in revisions
            if r.number > 0
            and r.number not in self._marked
            and r.number in self._first_of_revision
            and self._lowest is not None
            and self._first_of_revision[r.number] > self._lowest
        ]
        if not new:
            return
        for r in new:
            self._marked.add(r.number)
            x = self._first_of_revision[r.number] - 0.5
            shape = {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": x,
                "x1": x,
                "y0": 0,
                "y1": 1,
                "line": {"color": COLORS["revision"], "dash": "dash", "width": 1.2},
                "name": f"revision-{r.number}",
            }
            note = {
                "text": revision_label(r),
                "x": x,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "textangle": -90,
                "showarrow": False,
                "xanchor": "right",
                "yanchor": "top",
                "font": {"size": 10, "color": COLORS["revision"]},
                "name": f"revision-{r.number}",
            }
            self._revision_shapes.append((shape, note))
        self._relayout_shapes()

    def _relayout_shapes(self) -> None:
        shapes = [s for s, _ in self._revision_shapes]
        notes = [n for _, n in self._revision_shapes]
        if self._has_inherited:
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": -0.5,
                    "x1": -0.5,
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": COLORS["inherited"], "dash": "dot", "width": 1},
                    "name": "inherited",
                }
            )
        if self._empty:
            notes.append(_empty_note("No finished trials yet"))
        self.figure.relayout(shapes=shapes, annotations=notes)

    def _clear_empty(self) -> None:
        if self._empty:
            self._empty = False
            self._relayout_shapes()

    @staticmethod
    def _columns(points: Sequence[_Point]) -> dict[str, list[Any]]:
        return {
            "x": [p.x for p in points],
            "y": [p.y for p in points],
            "text": [p.text for p in points],
            "customdata": [p.number for p in points],
        }

    def _keep(self, group: str) -> set[int]:
        keep = self._top[group].numbers()
        if group == "complete":
            keep.update(self.best.steps[-40:])
        return keep

    def flush(self) -> None:
        """Move the trials taken since the last flush into the figure (thinned as needed)."""
        for g, pending in self._pending.items():
            if not pending:
                continue
            self._pending[g] = []
            keep = self._keep(g)
            if len(pending) > PATCH_POINTS:
                pending.sort(key=lambda p: p.number)
                chosen = set(thin([p.number for p in pending], PATCH_POINTS, keep))
                pending = [p for p in pending if p.number in chosen]
            i = _HISTORY_GROUPS.index(g)
            trace = self.figure.traces[i]
            if len(trace["x"]) + len(pending) > TRACE_CAP:
                points = [
                    _Point(n, x, y, s)
                    for n, x, y, s in zip(
                        trace["customdata"], trace["x"], trace["y"], trace["text"]
                    )
                ]
                points += pending
                points.sort(key=lambda p: p.number)
                chosen = set(
                    thin([p.number for p in points], TRACE_CAP // 2, keep, recent=TRACE_CAP // 8)
                )
                self.figure.replace(i, self._columns([p for p in points if p.number in chosen]))
            else:
                self.figure.extend(i, self._columns(pending))
            self.figure.restyle(i, showlegend=True)
            self._clear_empty()
        if self._best_changed:
            self._best_changed = False
            xs, ys = self.best.line()
            self.figure.replace(_BEST, {"x": xs, "y": ys})
            self.figure.restyle(_BEST, showlegend=True)


_CURVE_GROUPS = ("inherited", "complete", "pruned", "fail")
_ENDS = len(_CURVE_GROUPS)
_RUNNING = _ENDS + 1
# Rung decisions of successive halving / Hyperband (promoted, stopped, relaxed), one trace each.
_RUNGS = {outcome: _RUNNING + 1 + i for i, outcome in enumerate(OUTCOMES)}
_CURVE_STATE = {
    TrialState.COMPLETE: "complete",
    TrialState.PRUNED: "pruned",
    TrialState.FAIL: "fail",
}


@dataclass
class _Curve:
    number: int
    steps: list[int]
    values: list[float | None]
    value: float | None  # the trial's final value (COMPLETE), for "the best curves"


def _curve(trial: FrozenTrial) -> _Curve | None:
    if not trial.intermediate_values:
        return None
    steps = sorted(trial.intermediate_values)
    if len(steps) > STEPS_CAP:
        chosen = set(thin(steps, STEPS_CAP, keep={steps[0], steps[-1]}, recent=1))
        steps = [s for s in steps if s in chosen]
    values = [_finite(trial.intermediate_values[s]) for s in steps]
    final = _finite(trial.value) if trial.state == TrialState.COMPLETE else None
    return _Curve(trial.number, steps, values, final)


def _curve_columns(curves: Sequence[_Curve]) -> dict[str, list[Any]]:
    # A None after each curve breaks the line, so many trials share one trace.
    xs: list[Any] = []
    ys: list[Any] = []
    cd: list[Any] = []
    for c in curves:
        xs += [*c.steps, None]
        ys += [*c.values, None]
        cd += [c.number] * len(c.steps) + [None]
    return {"x": xs, "y": ys, "customdata": cd}


def _curve_trace(group: str) -> dict[str, Any]:
    style = STATE_STYLE[group]
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": style["label"],
        "legendgroup": group,
        "showlegend": False,
        "line": {
            "color": style["color"],
            "width": 1.3,
            "dash": "dot" if group in ("inherited", "fail") else "solid",
        },
        "marker": {"size": 3, "color": style["color"]},
        "opacity": 0.7,
        "connectgaps": False,
        "hovertemplate": "Trial %{customdata}<br>step %{x}: %{y}<extra></extra>",
        "x": [],
        "y": [],
        "customdata": [],
    }


class CurvesModel:
    """Learning curves: each trial's reported values by step; a finished trial's curve is
    appended once, running trials' curves are redrawn; pruned trials are marked where they
    stopped.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> model = CurvesModel("minimize")
        >>> t = FrozenTrial(number=0, state=TrialState.COMPLETE, value=1.0,
        ...                 intermediate_values={0: 3.0, 1: 2.0})
        >>> model.add([t]); model.flush()
        >>> model.figure.traces[1]["x"]
        [0, 1, None]
    """

    def __init__(self, direction: str) -> None:
        self.maximize = direction == "maximize"
        traces = [_curve_trace(g) for g in _CURVE_GROUPS]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "pruned here",
                "legendgroup": "pruned-end",
                "showlegend": False,
                "marker": marker("pruned", size=9, line={"width": 1, "color": COLORS["pruned"]}),
                "hovertemplate": "Trial %{customdata} pruned at step %{x}<extra></extra>",
                "x": [],
                "y": [],
                "customdata": [],
            }
        )
        running = _curve_trace("running")
        running["showlegend"] = False
        traces.append(running)
        for outcome, style in OUTCOMES.items():
            traces.append({
                "type": "scatter", "mode": "markers", "name": style["label"],
                "legendgroup": f"rung-{outcome}", "showlegend": False,
                "marker": {"symbol": style["symbol"], "color": style["color"], "size": 8,
                           "line": {"width": 1.5, "color": style["color"]}},
                "hovertemplate": f"Trial %{{customdata}} {style['label']} at step %{{x}}"
                                 "<extra></extra>",
                "x": [], "y": [], "customdata": [],
            })
        #: Rung decisions and the resource spent (the header's "saved N% of steps").
        self.rungs = RungTally()
        layout = base_layout("Learning curves")
        layout["xaxis"]["title"] = {"text": "Step", "font": {"color": FONT_COLOR}}
        layout["yaxis"]["title"] = {"text": "Intermediate Value", "font": {"color": FONT_COLOR}}
        layout["uirevision"] = "hpo"
        layout["annotations"] = [
            _empty_note("No trial has reported intermediate values yet (trial.report(value, step))")
        ]
        self.figure = FigureModel(layout, traces)
        self._curves: dict[str, list[_Curve]] = {g: [] for g in _CURVE_GROUPS}
        self._pending: dict[str, list[_Curve]] = {g: [] for g in _CURVE_GROUPS}
        self._ends: list[tuple[int, int, float]] = []
        self._running: dict[int, _Curve] = {}
        self._running_changed = False
        self._drawn: set[int] = set()
        self._empty = True

    def add(self, trials: Iterable[FrozenTrial]) -> None:
        """Take changed own trials."""
        trials = list(trials)
        self.rungs.add(trials)
        for t in trials:
            if t.state == TrialState.RUNNING:
                c = _curve(t)
                if c is not None:
                    self._running[t.number] = c
                    self._running_changed = True
                continue
            if self._running and self._running.pop(t.number, None) is not None:
                self._running_changed = True
            if not t.intermediate_values:
                continue  # no curve to draw
            group = _CURVE_STATE.get(t.state)
            if group is None or t.number in self._drawn:
                continue
            self._drawn.add(t.number)
            c = _curve(t)
            if c is None:
                continue
            self._pending[group].append(c)
            if t.state == TrialState.PRUNED and c.values[-1] is not None:
                self._ends.append((t.number, c.steps[-1], c.values[-1]))

    def set_inherited(self, inherited: Sequence[FrozenTrial]) -> None:
        """Draw the warm-start trials' curves (a thinned few)."""
        curves = [c for t in inherited if (c := _curve(t)) is not None]
        curves = self._thin(curves, CURVES_CAP // 3)
        self.figure.replace(0, _curve_columns(curves))
        self.figure.restyle(0, showlegend=bool(curves))
        if curves:
            self._clear_empty()

    def _thin(self, curves: list[_Curve], cap: int) -> list[_Curve]:
        if len(curves) <= cap:
            return curves
        sign = -1.0 if self.maximize else 1.0
        ranked = sorted((sign * c.value, c.number) for c in curves if c.value is not None)
        best = {n for _, n in ranked[: max(1, cap // 6)]}
        by_number = sorted(curves, key=lambda c: c.number)
        chosen = set(thin([c.number for c in by_number], cap, best))
        return [c for c in by_number if c.number in chosen]

    def _clear_empty(self) -> None:
        if self._empty:
            self._empty = False
            self.figure.relayout(annotations=[])

    def flush(self) -> None:
        """Move what was taken since the last flush into the figure."""
        for g, pending in self._pending.items():
            if not pending:
                continue
            self._pending[g] = []
            pending = self._thin(pending, max(1, PATCH_POINTS // 10))
            i = _CURVE_GROUPS.index(g)
            drawn = self._curves[g]
            if len(drawn) + len(pending) > CURVES_CAP:
                drawn = self._curves[g] = self._thin(drawn + pending, CURVES_CAP // 2)
                self.figure.replace(i, _curve_columns(drawn))
            else:
                drawn += pending
                self.figure.extend(i, _curve_columns(pending))
            self.figure.restyle(i, showlegend=True)
            self._clear_empty()
        if self._ends:
            ends, self._ends = self._ends, []
            trace = self.figure.traces[_ENDS]
            if len(trace["x"]) + len(ends) > TRACE_CAP:
                old = list(zip(trace["customdata"], trace["x"], trace["y"]))
                merged = sorted(old + ends)
                chosen = set(thin([n for n, _, _ in merged], TRACE_CAP // 2))
                kept = [e for e in merged if e[0] in chosen]
                self.figure.replace(
                    _ENDS,
                    {
                        "x": [s for _, s, _ in kept],
                        "y": [v for _, _, v in kept],
                        "customdata": [n for n, _, _ in kept],
                    },
                )
            else:
                self.figure.extend(
                    _ENDS,
                    {
                        "x": [s for _, s, _ in ends],
                        "y": [v for _, _, v in ends],
                        "customdata": [n for n, _, _ in ends],
                    },
                )
            self.figure.restyle(_ENDS, showlegend=True)
        for outcome, marks in self.rungs.take_marks().items():
            i = _RUNGS[outcome]
            columns: dict[str, list[Any]] = {
                "x": [m.step for m in marks], "y": [_finite(m.value) for m in marks],
                "customdata": [m.number for m in marks],
            }
            trace = self.figure.traces[i]
            if len(trace["x"]) + len(marks) > TRACE_CAP:  # keep the latest half
                keep = TRACE_CAP // 2
                columns = {k: (list(trace[k]) + v)[-keep:] for k, v in columns.items()}
                self.figure.replace(i, columns)
            else:
                self.figure.extend(i, columns)
            self.figure.restyle(i, showlegend=True)
        if self._running_changed:
            self._running_changed = False
            running = [self._running[n] for n in sorted(self._running)][-16:]
            self.figure.replace(_RUNNING, _curve_columns(running))
            self.figure.restyle(_RUNNING, showlegend=bool(running))
            if running:
                self._clear_empty()

"""Multi-fidelity at a glance: where rung-based pruners promoted or stopped each trial, what the
trials spent against full training, and how well each rung's ranking predicted the final one.

Data functions (pure, on trials) feed the plot and the control panel: :func:`rung_marks`,
:func:`resource_usage` (and :class:`ResourceTally`, its incremental form for live views),
:func:`rung_correlations`; :func:`plot_rungs` draws them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hpo_lab.trial._state import TrialState
from hpo_lab.viz._intermediate import Curve, trial_curve
from hpo_lab.viz._snapshot import StudySnapshot, as_snapshot, import_plotly
from hpo_lab.viz._style import COLORS, LINE_COLOR, base_layout

if TYPE_CHECKING:
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = [
    "OUTCOMES",
    "ResourceTally",
    "ResourceUsage",
    "RungCorrelationRow",
    "RungMark",
    "RungTally",
    "RungsData",
    "plot_rungs",
    "resource_usage",
    "rung_correlations",
    "rung_marks",
]

#: What a rung decision did to a trial, and how each is drawn.
OUTCOMES: dict[str, dict[str, Any]] = {
    "promoted": {"symbol": "triangle-up", "color": COLORS["complete"], "label": "promoted"},
    "stopped": {"symbol": "x", "color": COLORS["best"], "label": "stopped"},
    "relaxed": {"symbol": "circle-open", "color": COLORS["pruned"],
                "label": "promoted (rung relaxed)"},
}


@dataclass(frozen=True)
class RungMark:
    """One rung decision: trial ``number`` was promoted, stopped, or let through a relaxed
    rung at the report ``step`` (its first at or past the rung's ``resource``)."""

    number: int
    step: int
    resource: int
    value: float
    outcome: str


def rung_marks(trial: FrozenTrial) -> list[RungMark]:
    """The rung decisions recorded with ``trial`` (by successive halving or Hyperband).

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.pruners import SuccessiveHalvingPruner
        >>> study = hpo_lab.create_study(pruner=SuccessiveHalvingPruner(1, 2))
        >>> for v in (0.2, 0.1, 0.3):
        ...     t = study.ask(); t.report(v, 1)
        ...     _ = t.should_prune(), study.tell(t, state=hpo_lab.TrialState.PRUNED)
        >>> [m.outcome for t in study.trials for m in rung_marks(t)]
        ['promoted', 'promoted', 'stopped']
    """
    out = []
    for d in trial.decisions:
        if d.resource is None or d.value is None:
            continue
        if d.prune:
            outcome = "stopped"
        elif "relaxed" in d.details:
            outcome = "relaxed"
        else:
            outcome = "promoted"
        out.append(RungMark(trial.number, d.step, int(d.resource), float(d.value), outcome))
    return out


@dataclass(frozen=True)
class ResourceUsage:
    """The resource trials used, against training every one of them fully.

    Attributes:
        spent: The sum over trials of their largest reported step.
        full: What it would have cost to run every trial to ``full_resource``.
        full_resource: The largest step any trial reported (the resource of a full trial).
        n_trials: Trials that reported at least once.
    """

    spent: float
    full: float
    full_resource: int
    n_trials: int

    @property
    def saved(self) -> float | None:
        """The fraction of ``full`` not spent (``None`` before any report)."""
        return None if self.full <= 0 else 1.0 - self.spent / self.full

    def text(self, unit: str = "steps") -> str:
        """One line for a header.

        Example:
            >>> ResourceUsage(spent=870, full=3000, full_resource=30, n_trials=100).text("epochs")
            'saved 71% of epochs (870 of 3,000: 100 trials, 30 each in full)'
        """
        saved = self.saved
        if saved is None:
            return f"no {unit} reported yet"
        return (
            f"saved {saved:.0%} of {unit} ({self.spent:,.0f} of {self.full:,.0f}: "
            f"{self.n_trials} trials, {self.full_resource} each in full)"
        )


class ResourceTally:
    """:func:`resource_usage` kept up to date from changed trials, in time proportional to the
    changes (for live views: feed it what the store's change cursor returns).

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> tally = ResourceTally()
        >>> tally.add([FrozenTrial(0, TrialState.COMPLETE, value=1.0,
        ...                        intermediate_values={1: 3.0, 10: 1.0}),
        ...            FrozenTrial(1, TrialState.PRUNED, intermediate_values={1: 5.0})])
        >>> u = tally.usage(); (u.spent, u.full, round(u.saved, 2))
        (11.0, 20.0, 0.45)
    """

    def __init__(self) -> None:
        self._last: dict[int, int] = {}
        self._spent = 0
        self._top = 0

    def add(self, trials: Iterable[FrozenTrial]) -> None:
        """Take new or changed own trials."""
        for t in trials:
            last = t.last_step
            if last is None:
                continue
            self._spent += last - self._last.get(t.number, 0)
            self._last[t.number] = last
            self._top = max(self._top, last)

    def usage(self) -> ResourceUsage:
        """The usage so far."""
        n = len(self._last)
        return ResourceUsage(float(self._spent), float(n * self._top), self._top, n)


class RungTally:
    """What a live view shows of rung-based pruning, kept from changed trials: new rung
    decisions to draw (:meth:`take_marks`), the resource spent against full training, and the
    rungs where pruning was last relaxed (:meth:`summary`, one line for a header).

    Each trial's decisions are taken once, when it finishes, so feeding it every change (as a
    store's change cursor gives them) costs time proportional to the changes.

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.pruners import SuccessiveHalvingPruner
        >>> study = hpo_lab.create_study(pruner=SuccessiveHalvingPruner(1, 2))
        >>> for v in (0.2, 0.1, 0.3):
        ...     t = study.ask(); t.report(v, 1); t.report(v, 4)
        ...     _ = t.should_prune(), study.tell(t, v)
        >>> tally = RungTally()
        >>> tally.add(study.trials)
        >>> {k: len(v) for k, v in tally.take_marks().items()}
        {'promoted': 2, 'stopped': 1}
        >>> tally.summary("epochs")
        'saved 0% of epochs (12 of 12: 3 trials, 4 each in full)'
    """

    def __init__(self) -> None:
        self.resources = ResourceTally()
        self._taken: set[int] = set()
        self._marks: dict[str, list[RungMark]] = {}
        self._relaxed: dict[int, tuple[int, dict[str, Any]]] = {}
        self._any = False

    def add(self, trials: Iterable[FrozenTrial]) -> None:
        """Take new or changed own trials."""
        for t in trials:
            self.resources.add((t,))
            if t.state in (TrialState.RUNNING, TrialState.WAITING) or t.number in self._taken:
                continue
            self._taken.add(t.number)
            for m in rung_marks(t):
                self._any = True
                self._marks.setdefault(m.outcome, []).append(m)
            for d in t.decisions:
                if d.resource is None:
                    continue
                r, cursor = int(d.resource), d.cursor or 0
                if r not in self._relaxed or cursor >= self._relaxed[r][0]:
                    self._relaxed[r] = (cursor, dict(d.details.get("relaxed") or {}))

    def take_marks(self) -> dict[str, list[RungMark]]:
        """The rung decisions taken since the last call, by outcome."""
        marks, self._marks = self._marks, {}
        return marks

    def summary(self, unit: str = "steps") -> str | None:
        """``"saved 71% of epochs (...)"``, plus the rungs where pruning is relaxed and why;
        ``None`` before the first rung decision."""
        if not self._any:
            return None
        text = self.resources.usage().text(unit)
        relaxed = sorted((r, why) for r, (_, why) in self._relaxed.items() if why)
        verified = [(r, why) for r, why in relaxed if why.get("verified")]
        if verified:
            rows = ", ".join(
                f"{r} (Spearman {why['rho']:.2f} over {why.get('n')})"
                if why.get("rho") is not None else str(r)
                for r, why in verified
            )
            text += f"; pruning relaxed at step {rows}"
        elif relaxed:
            text += "; pruning waits for the rank check (too few complete trials yet)"
        return text


def resource_usage(trials: Iterable[FrozenTrial]) -> ResourceUsage:
    """What ``trials`` spent (each its largest reported step) against running every one to
    the largest step any of them reported.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> resource_usage([FrozenTrial(0, TrialState.PRUNED, intermediate_values={3: 1.0}),
        ...                 FrozenTrial(1, TrialState.COMPLETE, value=0.5,
        ...                             intermediate_values={9: 0.5})]).text("epochs")
        'saved 33% of epochs (12 of 18: 2 trials, 9 each in full)'
    """
    tally = ResourceTally()
    tally.add(trials)
    return tally.usage()


@dataclass(frozen=True)
class RungCorrelationRow:
    """How well the values at ``resource`` ranked the final values: Spearman ``rho`` over
    ``n`` unselected complete trials, and whether the pruner last relaxed the rung."""

    resource: int
    rho: float
    n: int
    relaxed: bool


def rung_correlations(
    trials: Sequence[FrozenTrial], maximize: bool = False
) -> list[RungCorrelationRow]:
    """For each rung resource the trials' decisions name: the rank correlation between the
    values there and the final values, over the complete trials that went past it without being
    selected there (see ``hpo_lab.pruners._rank_check``), and whether the latest decision at
    that rung was relaxed.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState, PruneDecision
        >>> free = PruneDecision(False, 1, "asha", value=0.0, resource=1,
        ...                      details={"relaxed": {"by": 1}})
        >>> trials = [FrozenTrial(n, TrialState.COMPLETE, value=float(n), decisions=(free,),
        ...                       intermediate_values={1: -float(n), 5: float(n)})
        ...           for n in range(5)]
        >>> rung_correlations(trials)
        [RungCorrelationRow(resource=1, rho=-1.0, n=5, relaxed=True)]
    """
    from hpo_lab.pruners._halving import spearman
    from hpo_lab.pruners._rank_check import rung_pairs

    latest: dict[int, tuple[int, bool]] = {}
    for t in trials:
        for d in t.decisions:
            if d.resource is None:
                continue
            r = int(d.resource)
            cursor = d.cursor or 0
            if r not in latest or cursor >= latest[r][0]:
                latest[r] = (cursor, "relaxed" in d.details)
    rows = []
    for r in sorted(latest):
        xs, ys = rung_pairs(trials, r, maximize)
        rho = spearman(xs, ys) if len(xs) >= 3 else float("nan")
        rows.append(RungCorrelationRow(r, rho, len(xs), latest[r][1]))
    return rows


@dataclass
class RungsData:
    """What :func:`plot_rungs` draws."""

    curves: dict[str, list[Curve]] = field(default_factory=dict)
    marks: dict[str, list[RungMark]] = field(default_factory=dict)
    resources: list[int] = field(default_factory=list)
    usage: ResourceUsage | None = None
    correlations: list[RungCorrelationRow] = field(default_factory=list)
    message: str | None = None


def _rungs_data(snap: StudySnapshot) -> RungsData:
    data = RungsData(curves={"complete": [], "pruned": [], "other": []},
                     marks={k: [] for k in OUTCOMES})
    resources: set[int] = set()
    for t in snap.trials:
        curve = trial_curve(t)
        if curve is not None:
            group = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned"}.get(
                t.state, "other"
            )
            data.curves[group].append(curve)
        for m in rung_marks(t):
            data.marks[m.outcome].append(m)
            resources.add(m.resource)
    data.resources = sorted(resources)
    data.usage = resource_usage(snap.trials)
    data.correlations = rung_correlations(list(snap.trials), snap.direction == "maximize")
    if not data.resources:
        data.message = (
            "No rung decisions yet: SuccessiveHalvingPruner or HyperbandPruner records them"
        )
    return data


def plot_rungs(
    study: Study | StudySnapshot | Sequence[FrozenTrial], *, unit: str = "steps"
) -> Any:
    """Learning curves with each rung decision marked (promoted, stopped, or let through a
    relaxed rung), the rung resources as dotted lines, what pruning saved in the title, and
    the rank correlation of each rung with the final values where pruning was relaxed.

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.pruners import SuccessiveHalvingPruner
        >>> study = hpo_lab.create_study(pruner=SuccessiveHalvingPruner(1, 3))
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", 0, 1)
        ...     for step in range(1, 10):
        ...         trial.report(x + 1 / step, step)
        ...         if trial.should_prune():
        ...             raise hpo_lab.TrialPruned()
        ...     return x
        >>> study.optimize(objective, n_trials=20)
        >>> fig = plot_rungs(study, unit="epochs")
        >>> fig.layout.title.text.startswith("Rungs: saved")
        True
        >>> sorted({tr.name for tr in fig.data if tr.mode == "markers"})
        ['promoted', 'stopped']
    """
    go = import_plotly()
    data = _rungs_data(as_snapshot(study))
    usage = data.usage
    title = "Rungs" if usage is None or usage.saved is None else f"Rungs: {usage.text(unit)}"
    fig = go.Figure(layout=base_layout(title))
    fig.update_xaxes(title="Step")
    fig.update_yaxes(title="Intermediate Value")
    for group, curves in data.curves.items():
        if not curves:
            continue
        xs: list[Any] = []
        ys: list[Any] = []
        for c in curves:
            xs += [*c.steps, None]
            ys += [*c.values, None]
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", name=f"{group} curves", legendgroup=group,
            line={"width": 1, "color": COLORS.get(group, COLORS["fail"])}, opacity=0.35,
            hoverinfo="skip", connectgaps=False,
        ))
    for outcome, marks in data.marks.items():
        if not marks:
            continue
        style = OUTCOMES[outcome]
        fig.add_trace(go.Scatter(
            x=[m.step for m in marks], y=[m.value for m in marks], mode="markers",
            name=style["label"] if outcome != "relaxed" else "relaxed",
            marker={"symbol": style["symbol"], "color": style["color"], "size": 8,
                    "line": {"width": 1.5, "color": style["color"]}},
            customdata=[[m.number, m.resource] for m in marks],
            hovertemplate=(
                f"Trial %{{customdata[0]}} {style['label']} at rung %{{customdata[1]}}"
                "<br>step %{x}: %{y}<extra></extra>"
            ),
        ))
    for r in data.resources:
        fig.add_vline(x=r, line={"dash": "dot", "width": 1, "color": LINE_COLOR})
    relaxed = [row for row in data.correlations if row.relaxed]
    if relaxed:
        text = "; ".join(
            f"step {row.resource}: Spearman {row.rho:.2f} over {row.n}" if row.n >= 3
            else f"step {row.resource}: {row.n} unselected complete trials"
            for row in relaxed
        )
        fig.add_annotation(text=f"pruning relaxed ({text})", x=0, y=1.08, xref="paper",
                           yref="paper", showarrow=False, xanchor="left")
    if data.message:
        fig.add_annotation(text=data.message, x=0.5, y=0.5, xref="paper", yref="paper",
                           showarrow=False)
    return fig

"""Empirical distribution function of the objective values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hpo_lab.trial._state import TrialState
from hpo_lab.viz._narrowed import NarrowingLookup
from hpo_lab.viz._snapshot import (
    StudySnapshot,
    TargetType,
    as_snapshot,
    import_plotly,
    trial_value,
)
from hpo_lab.viz._style import COLORS, COLORSCALE, base_layout, empty_figure

if TYPE_CHECKING:
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["EdfData", "plot_edf"]


@dataclass
class EdfLine:
    """One step line: sorted values and the fraction of trials at or below each."""

    name: str
    values: list[float]
    fractions: list[float]
    kind: str  # "study", "revision" or "inherited"


@dataclass
class EdfData:
    """What :func:`plot_edf` draws: one line for the study, or one per search-space revision
    when it was narrowed (trials whose revision's narrowing did not apply to them apart), and
    one for inherited trials; ``n_omitted`` counts pruned and failed trials (no value)."""

    lines: list[EdfLine]
    target_name: str
    n_omitted: int
    message: str | None = None


def _line(name: str, values: list[float], kind: str) -> EdfLine:
    vs = sorted(values)
    n = len(vs)
    return EdfLine(name, vs, [(i + 1) / n for i in range(n)], kind)


def _edf_data(
    snap: StudySnapshot,
    target: TargetType | None = None,
    target_name: str = "Objective Value",
) -> EdfData:
    # Trials whose revision's narrowing did not apply to them (the objective's declarations
    # missed it) get a line of their own: counting them as narrowed would be untrue.
    lookup = NarrowingLookup(snap.revisions)
    by_revision: dict[tuple[int, bool], list[float]] = {}
    for t in snap.trials:
        v = trial_value(t, target)
        if v is not None:
            narrowing = lookup.of(t)
            not_applied = narrowing is not None and not narrowing.narrowed
            by_revision.setdefault((t.revision, not_applied), []).append(v)
    lines: list[EdfLine] = []
    if len(by_revision) > 1:
        for rev, not_applied in sorted(by_revision):
            vals = by_revision[(rev, not_applied)]
            what = f"rev {rev}, narrowing not applied" if not_applied else f"rev {rev}"
            lines.append(_line(f"{what} ({len(vals)} trials)", vals, "revision"))
    elif by_revision:
        vals = next(iter(by_revision.values()))
        lines.append(_line(f"{snap.study_name or 'this study'} ({len(vals)} trials)", vals,
                           "study"))
    inherited = [v for t in snap.inherited if (v := trial_value(t, target)) is not None]
    if inherited:
        lines.append(_line(f"inherited ({len(inherited)} trials)", inherited, "inherited"))
    omitted = sum(1 for t in snap.trials if t.state in (TrialState.PRUNED, TrialState.FAIL))
    return EdfData(
        lines=lines,
        target_name=target_name,
        n_omitted=omitted,
        message=None if lines else "No COMPLETE trials yet",
    )


def _revision_color(i: int, n: int) -> str:
    # Spread the revisions along the shared colour scale, early cool, late warm.
    stops = [c for _, c in COLORSCALE]
    if n <= 1:
        return str(stops[0])
    pos = i / (n - 1) * (len(stops) - 1)
    return str(stops[round(pos)])


def _render_edf(data: EdfData) -> Any:
    if data.message:
        return empty_figure("Empirical distribution", data.message)
    go = import_plotly()
    title = "Empirical distribution"
    if data.n_omitted:
        title += f" <span style='font-size:11px'>({data.n_omitted} pruned/failed not shown)</span>"
    fig = go.Figure(layout=base_layout(title))
    revisions = [ln for ln in data.lines if ln.kind == "revision"]
    for line in data.lines:
        if line.kind == "inherited":
            color, dash = COLORS["inherited"], "dot"
        elif line.kind == "revision":
            color, dash = _revision_color(revisions.index(line), len(revisions)), "solid"
        else:
            color, dash = COLORS["complete"], "solid"
        fig.add_trace(
            go.Scatter(
                x=line.values,
                y=line.fractions,
                mode="lines",
                line={"shape": "hv", "color": color, "width": 2, "dash": dash},
                name=line.name,
                hovertemplate="%{y:.0%} of trials ≤ %{x}<extra>" + line.name + "</extra>",
            )
        )
    fig.update_xaxes(title=data.target_name)
    fig.update_yaxes(title="Cumulative probability", range=[0, 1.02], tickformat=".0%")
    return fig


def plot_edf(
    study: Study | StudySnapshot | Sequence[FrozenTrial],
    *,
    target: TargetType | None = None,
    target_name: str = "Objective Value",
) -> Any:
    """The fraction of COMPLETE trials whose value is at most x: a curve far to the left
    (minimising) means most trials are good. One curve per search-space revision shows whether
    narrowing helped; inherited trials get a dotted curve.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
        >>> list(plot_edf(s).data[0].y)
        [0.25, 0.5, 0.75, 1.0]
    """
    return _render_edf(_edf_data(as_snapshot(study), target, target_name))

"""Parameter importances as horizontal bars, with bootstrap intervals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hpo_lab.importance._evaluator import get_param_importances
from hpo_lab.trial._state import TrialState
from hpo_lab.viz._params import check_known
from hpo_lab.viz._snapshot import (
    StudySnapshot,
    TargetType,
    as_snapshot,
    check_params,
    import_plotly,
)
from hpo_lab.viz._style import COLORS, FONT_COLOR, base_layout, empty_figure

if TYPE_CHECKING:
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["ImportanceData", "plot_param_importances"]

# get_param_importances' default cap: beyond it a uniform sample of trials is evaluated.
MAX_TRIALS = 1000


@dataclass
class ImportanceData:
    """What :func:`plot_param_importances` draws, most important parameter first.

    ``lower`` and ``upper`` are empty unless intervals were asked for. ``n_trials`` trials were
    evaluated; ``n_skipped`` had no target value and ``n_capped`` were left out by the trial cap.
    """

    names: list[str]
    values: list[float]
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    target_name: str = "Objective Value"
    n_trials: int = 0
    message: str | None = None
    n_skipped: int = 0
    n_capped: int = 0


def _importance_data(
    snap: StudySnapshot,
    params: Sequence[str] | None = None,
    target: TargetType | None = None,
    target_name: str = "Objective Value",
    intervals: bool = True,
    seed: int | None = 0,
) -> ImportanceData:
    params = check_params(params)
    own = snap.trials
    complete = [t for t in own if t.state == TrialState.COMPLETE]
    if any(t.state.is_finished() for t in own):
        check_known(list(own), params)  # unknown names are the caller's error
    if not complete:
        return ImportanceData([], [], target_name=target_name, message="No COMPLETE trials yet")
    n_skipped = (
        0 if target is None else sum(1 for t in complete if target(t) is None)
    )
    try:
        if intervals:
            res = get_param_importances(
                snap, params=params, target=target, intervals=True, seed=seed
            )
            imp = res.importances
            lower = [res.lower[k] for k in imp]
            upper = [res.upper[k] for k in imp]
            n_used, n_capped = res.n_trials, res.n_capped
        else:
            imp = get_param_importances(snap, params=params, target=target, seed=seed)
            lower, upper = [], []
            n_valued = len(complete) - n_skipped
            n_used, n_capped = min(n_valued, MAX_TRIALS), max(0, n_valued - MAX_TRIALS)
    except ValueError as exc:
        # Too few trials, or no shared parameter yet: say so in the figure.
        return ImportanceData(
            [], [], target_name=target_name, n_trials=len(complete) - n_skipped,
            message=str(exc), n_skipped=n_skipped,
        )
    return ImportanceData(
        names=list(imp),
        values=list(imp.values()),
        lower=lower,
        upper=upper,
        target_name=target_name,
        n_trials=n_used,
        n_skipped=n_skipped,
        n_capped=n_capped,
    )


def _render_importances(data: ImportanceData) -> Any:
    title = "Parameter importance"
    if data.message:
        return empty_figure(title, data.message)
    go = import_plotly()
    names = data.names[::-1]  # plotly draws the first bar at the bottom
    values = data.values[::-1]
    bar: dict[str, Any] = {
        "x": values,
        "y": names,
        "orientation": "h",
        "marker": {"color": COLORS["complete"]},
        # Outside the bar: a narrow bar cannot hold its label, and white text inside would
        # vanish on a light theme where it spills out.
        "text": [f"{v:.2f}" for v in values],
        "textposition": "outside",
        "textfont": {"color": FONT_COLOR},
        "cliponaxis": False,
        "name": "importance",
        "hovertemplate": "%{y}: %{x:.3f}<extra></extra>",
    }
    if data.lower:
        lo = data.lower[::-1]
        hi = data.upper[::-1]
        bar["error_x"] = {
            "type": "data",
            "symmetric": False,
            "array": [max(h - v, 0.0) for h, v in zip(hi, values)],
            "arrayminus": [max(v - low, 0.0) for low, v in zip(lo, values)],
            "color": COLORS["best"],
            "thickness": 1.5,
            "width": 4,
        }
        # The error bar would run through a label beside the bar; the hover keeps the numbers.
        bar["text"] = None
        bar["customdata"] = [[low, h] for low, h in zip(lo, hi)]
        bar["hovertemplate"] = (
            "%{y}: %{x:.3f} (interval %{customdata[0]:.3f} to %{customdata[1]:.3f})"
            "<extra></extra>"
        )
    notes = [f"fANOVA, {data.n_trials} trials"]
    if data.n_capped:
        notes.append(f"a uniform sample; {data.n_capped} more not evaluated")
    if data.n_skipped:
        notes.append(f"{data.n_skipped} without a target value left out")
    fig = go.Figure(
        data=[go.Bar(**bar)],
        layout=base_layout(
            f"{title} <span style='font-size:11px'>({'; '.join(notes)})</span>",
            showlegend=False,
            height=max(300, 90 + 34 * len(names)),
        ),
    )
    fig.update_xaxes(title=f"Importance for {data.target_name}", rangemode="tozero")
    fig.update_yaxes(title="", showgrid=False)
    return fig


def plot_param_importances(
    study: Study | StudySnapshot | Sequence[FrozenTrial],
    params: Sequence[str] | None = None,
    *,
    target: TargetType | None = None,
    target_name: str = "Objective Value",
    intervals: bool = True,
    seed: int | None = 0,
) -> Any:
    """How much of the value's variation each parameter explains (fANOVA, summing to 1), most
    important on top, with bootstrap intervals as error bars.

    Uses the study's own COMPLETE trials; see :func:`hpo_lab.importance.get_param_importances`.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: 10 * t.suggest_float("a", 0, 1) + t.suggest_float("b", 0, 1),
        ...            n_trials=40)
        >>> list(plot_param_importances(s, intervals=False).data[0].y)
        ['b', 'a']
    """
    snap = as_snapshot(study)
    return _render_importances(
        _importance_data(snap, params, target, target_name, intervals, seed)
    )

"""The terminator's room for improvement after each trial, against the objective's noise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hpo_lab.terminator._error import BaseErrorEvaluator
from hpo_lab.terminator._improvement import DEFAULT_MIN_N_TRIALS, BaseImprovementEvaluator
from hpo_lab.terminator._terminator import improvement_history
from hpo_lab.viz._snapshot import StudySnapshot, as_snapshot
from hpo_lab.viz._style import COLORS, empty_figure, styled_figure

if TYPE_CHECKING:
    from hpo_lab.study._study import Study

__all__ = ["TerminatorImprovementData", "plot_terminator_improvement"]

_TITLE = "Terminator Improvement"


@dataclass
class TerminatorImprovementData:
    """What :func:`plot_terminator_improvement` draws.

    ``improvements[i]`` (and ``errors[i]``) were estimated from the COMPLETE trials up to trial
    ``trial_numbers[i]``; estimates before ``min_n_trials`` COMPLETE trials are drawn faintly,
    as the terminator does not act on them.
    """

    trial_numbers: list[int]
    improvements: list[float]
    errors: list[float] | None
    min_n_trials: int
    message: str | None = None


def _terminator_data(
    snap: StudySnapshot,
    plot_error: bool,
    improvement_evaluator: BaseImprovementEvaluator | None,
    error_evaluator: BaseErrorEvaluator | None,
    min_n_trials: int,
) -> TerminatorImprovementData:
    if not any(t.state.value == "COMPLETE" for t in snap.trials):
        return TerminatorImprovementData([], [], None, min_n_trials, "no COMPLETE trial yet")
    history = improvement_history(
        snap.trials,
        snap.direction,
        improvement_evaluator=improvement_evaluator,
        error_evaluator=error_evaluator,
        with_error=plot_error,
    )
    return TerminatorImprovementData(
        history.trial_numbers, history.improvements, history.errors, min_n_trials
    )


def plot_terminator_improvement(
    study: Study | StudySnapshot | Any,
    plot_error: bool = False,
    improvement_evaluator: BaseImprovementEvaluator | None = None,
    error_evaluator: BaseErrorEvaluator | None = None,
    min_n_trials: int = DEFAULT_MIN_N_TRIALS,
) -> Any:
    """How much the study could still improve after each trial, and (``plot_error``) the
    objective's noise: the terminator stops where the first line falls below the second.

    Optuna's signature. The estimates are recomputed for every trial (one model fit each with
    the default :class:`~hpo_lab.terminator.RegretBoundEvaluator`), so this takes seconds for a
    few hundred trials. With ``plot_error`` the objective must report its cross-validation
    scores (:func:`~hpo_lab.terminator.report_cross_validation_scores`) unless another
    ``error_evaluator`` is given.

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.terminator import BestValueStagnationEvaluator
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        >>> fig = plot_terminator_improvement(
        ...     s, improvement_evaluator=BestValueStagnationEvaluator(), min_n_trials=2)
        >>> [trace.name for trace in fig.data]
        ['improvement (before min_n_trials)', 'improvement']
    """
    data = _terminator_data(
        as_snapshot(study), plot_error, improvement_evaluator, error_evaluator, min_n_trials
    )
    if data.message is not None:
        return empty_figure(_TITLE, data.message)
    fig = styled_figure(_TITLE, xaxis={"title": {"text": "Trial"}},
                        yaxis={"title": {"text": "Terminator improvement"}})
    cut = min(min_n_trials, len(data.trial_numbers))
    early = slice(0, cut + 1)
    late = slice(cut, None)
    color = COLORS["complete"]
    fig.add_scatter(
        x=data.trial_numbers[early], y=data.improvements[early], mode="markers+lines",
        name="improvement (before min_n_trials)", opacity=0.35,
        marker={"color": color}, line={"color": color}, legendgroup="improvement",
    )
    if len(data.trial_numbers) > cut:
        fig.add_scatter(
            x=data.trial_numbers[late], y=data.improvements[late], mode="markers+lines",
            name="improvement", marker={"color": color}, line={"color": color},
            legendgroup="improvement",
        )
    if data.errors is not None:
        fig.add_scatter(
            x=data.trial_numbers, y=data.errors, mode="markers+lines", name="error",
            marker={"color": COLORS["best"]}, line={"color": COLORS["best"]},
        )
    return fig

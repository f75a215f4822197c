"""How noisy is the objective? Error evaluators for the terminator."""

from __future__ import annotations

import abc
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

__all__ = [
    "CV_SCORES_KEY",
    "BaseErrorEvaluator",
    "CrossValidationErrorEvaluator",
    "StaticErrorEvaluator",
    "report_cross_validation_scores",
]

#: The trial system attribute holding the scores of :func:`report_cross_validation_scores`
#: (Optuna's key, so studies moved between the two keep them).
CV_SCORES_KEY = "terminator:cv_scores"


def best_complete_trial(trials: Sequence[FrozenTrial], direction: str) -> FrozenTrial:
    """The COMPLETE trial with the best value; ``ValueError`` if there is none.

    Example:
        >>> best_complete_trial([FrozenTrial(0, TrialState.COMPLETE, value=2.0),
        ...                      FrozenTrial(1, TrialState.COMPLETE, value=1.0)], "maximize").number
        0
    """
    complete = [
        t for t in trials
        if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
    ]
    if not complete:
        raise ValueError("no trial is COMPLETE yet, so there is no best trial to evaluate")
    pick = max if str(direction) == "maximize" else min
    return pick(complete, key=lambda t: float(t.value))  # type: ignore[arg-type]


class BaseErrorEvaluator(abc.ABC):
    """Estimates the statistical error of the objective's value (its noise).

    The terminator stops a study when the room left for improvement is smaller than this
    error. Optuna's ``BaseErrorEvaluator`` interface, so evaluators written for it plug in.
    """

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: Any) -> float:
        """The error, from the study's trials (all states) and its direction."""


class CrossValidationErrorEvaluator(BaseErrorEvaluator):
    """The error of a cross-validated objective: the spread of the best trial's fold scores.

    With ``k`` fold scores of variance ``s2``, the error is ``sqrt((1/k + 1/(k-1)) * s2)``,
    the corrected resampled variance of Nadeau and Bengio (2003) that the automatic
    termination paper uses (Makarova et al. 2022). The scores come from
    :func:`report_cross_validation_scores`.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> t = study.ask()
        >>> report_cross_validation_scores(t, [0.8, 0.9, 0.85])
        >>> _ = study.tell(t, 0.85)
        >>> round(CrossValidationErrorEvaluator().evaluate(study.trials, "minimize"), 4)
        0.0373
    """

    def evaluate(self, trials: list[FrozenTrial], study_direction: Any) -> float:
        best = best_complete_trial(trials, study_direction)
        scores = best.system_attrs.get(CV_SCORES_KEY)
        if scores is None:
            raise ValueError(
                f"the best trial ({best.number}) has no cross-validation scores: call "
                "report_cross_validation_scores(trial, scores) in the objective, or give the "
                "terminator another error_evaluator (StaticErrorEvaluator(constant))"
            )
        values = np.asarray(scores, dtype=float)
        k = len(values)
        return float(math.sqrt((1 / k + 1 / (k - 1)) * float(np.var(values))))


class StaticErrorEvaluator(BaseErrorEvaluator):
    """A fixed error: stop once the room left for improvement is below ``constant``.

    Example:
        >>> StaticErrorEvaluator(0.01).evaluate([], "minimize")
        0.01
    """

    def __init__(self, constant: float) -> None:
        if (
            isinstance(constant, bool)
            or not isinstance(constant, numbers.Real)
            or not math.isfinite(float(constant))
        ):
            raise ValueError(f"constant must be a finite number, but got constant={constant!r}")
        self._constant: float = float(constant)

    def evaluate(self, trials: list[FrozenTrial], study_direction: Any) -> float:
        return self._constant


def report_cross_validation_scores(trial: Any, scores: Sequence[float]) -> None:
    """Keep a trial's cross-validation scores (one per fold) for the terminator.

    Call it in the objective with the fold scores whose mean the objective returns; they are
    stored in the trial's ``system_attrs`` under :data:`CV_SCORES_KEY`.

    Example:
        >>> import hpo_lab
        >>> t = hpo_lab.create_study().ask()
        >>> report_cross_validation_scores(t, [0.9, 0.8])
        >>> t.system_attrs[CV_SCORES_KEY]
        [0.9, 0.8]
        >>> report_cross_validation_scores(t, [0.9])
        Traceback (most recent call last):
        ...
        ValueError: scores must hold at least two fold scores, but got [0.9]
    """
    try:
        values = [float(s) for s in scores]
    except (TypeError, ValueError):
        raise ValueError(f"scores must be a sequence of numbers, but got {scores!r}") from None
    if len(values) <= 1:
        raise ValueError(f"scores must hold at least two fold scores, but got {list(scores)!r}")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"scores must be finite numbers, but got {values!r}")
    trial.set_system_attr(CV_SCORES_KEY, values)

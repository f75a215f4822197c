"""When to stop: the terminator, its callback, and what it reports for plots and the panel."""

from __future__ import annotations

import abc
import logging
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hpo_lab.terminator._error import (
    BaseErrorEvaluator,
    CrossValidationErrorEvaluator,
    StaticErrorEvaluator,
)
from hpo_lab.terminator._improvement import (
    DEFAULT_MIN_N_TRIALS,
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
    RegretBoundEvaluator,
)
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

__all__ = [
    "BaseTerminator",
    "ImprovementHistory",
    "TerminationEstimate",
    "Terminator",
    "TerminatorCallback",
    "improvement_history",
]

_logger = logging.getLogger("hpo_lab")


def _trials_and_direction(study: Any) -> tuple[list[FrozenTrial], str]:
    """The trials (inherited ones included) and direction of a study, a view or an Optuna-style
    study object."""
    view = getattr(study, "view", None)
    source = view if view is not None else study
    try:
        trials = source.get_trials()
    except TypeError:  # pragma: no cover - an object whose get_trials needs arguments
        trials = list(source.trials)
    return list(trials), str(source.direction)


def _default_error(improvement: BaseImprovementEvaluator) -> BaseErrorEvaluator:
    if isinstance(improvement, BestValueStagnationEvaluator):
        return StaticErrorEvaluator(0.0)
    return CrossValidationErrorEvaluator()


@dataclass(frozen=True)
class TerminationEstimate:
    """What the terminator thinks of a study now; what a panel shows.

    Attributes:
        should_stop: Whether the room for improvement is below the error.
        improvement: The room left for improvement (``None`` if it could not be estimated).
        error: The objective's statistical error (``None`` if it could not be estimated).
        n_complete: COMPLETE trials it looked at.
        min_n_trials: COMPLETE trials needed before it may say stop.
        reason: One sentence for a user.
    """

    should_stop: bool
    improvement: float | None
    error: float | None
    n_complete: int
    min_n_trials: int
    reason: str


class BaseTerminator(abc.ABC):
    """Decides whether a study should stop (Optuna's ``BaseTerminator`` interface)."""

    @abc.abstractmethod
    def should_terminate(self, study: Any) -> bool:
        """Whether ``study`` (a study or a view of one) should stop now."""


class Terminator(BaseTerminator):
    """Stop a study when the room left for improvement is smaller than the objective's noise.

    The room for improvement comes from ``improvement_evaluator`` (default: a Gaussian-process
    bound on the best trial's regret, :class:`RegretBoundEvaluator`), the noise from
    ``error_evaluator`` (default: the spread of the best trial's cross-validation scores,
    :class:`CrossValidationErrorEvaluator`; with :class:`BestValueStagnationEvaluator`, zero).
    Nothing is decided before ``min_n_trials`` trials are COMPLETE. After Makarova et al.
    (2022), "Automatic Termination for Hyperparameter Optimization"; Optuna's ``Terminator``.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        >>> stagnation = Terminator(BestValueStagnationEvaluator(2), min_n_trials=3)
        >>> stagnation.estimate(study.view).n_complete
        5
    """

    def __init__(
        self,
        improvement_evaluator: BaseImprovementEvaluator | None = None,
        error_evaluator: BaseErrorEvaluator | None = None,
        min_n_trials: int = DEFAULT_MIN_N_TRIALS,
    ) -> None:
        if isinstance(min_n_trials, bool) or not isinstance(min_n_trials, numbers.Integral) or (
            min_n_trials < 1
        ):
            raise ValueError(
                f"min_n_trials must be an int >= 1, but got min_n_trials={min_n_trials!r}"
            )
        self._improvement: BaseImprovementEvaluator = (
            improvement_evaluator or RegretBoundEvaluator()
        )
        self._error: BaseErrorEvaluator = error_evaluator or _default_error(self._improvement)
        self._min_n_trials: int = int(min_n_trials)

    def should_terminate(self, study: Any) -> bool:
        """Whether ``study`` should stop: improvement below error, with enough trials.

        Errors of the evaluators (no cross-validation scores reported, no shared parameter)
        propagate, as in Optuna.
        """
        trials, direction = _trials_and_direction(study)
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        if len(complete) < self._min_n_trials:
            return False
        improvement = self._improvement.evaluate(trials, direction)
        error = self._error.evaluate(trials, direction)
        return bool(improvement < error)

    def estimate(self, study: Any) -> TerminationEstimate:
        """The terminator's view of ``study`` (a study or a view) now, never raising: a panel
        or a progress line shows it. Costs a model fit with the default evaluator.

        Example:
            >>> import hpo_lab
            >>> Terminator().estimate(hpo_lab.create_study()).reason
            '0 of 20 trials COMPLETE: too few to judge yet'
        """
        trials, direction = _trials_and_direction(study)
        n = sum(t.state == TrialState.COMPLETE for t in trials)
        if n < self._min_n_trials:
            return TerminationEstimate(
                False, None, None, n, self._min_n_trials,
                f"{n} of {self._min_n_trials} trials COMPLETE: too few to judge yet",
            )
        try:
            improvement = float(self._improvement.evaluate(trials, direction))
        except ValueError as exc:
            return TerminationEstimate(False, None, None, n, self._min_n_trials, str(exc))
        try:
            error = float(self._error.evaluate(trials, direction))
        except ValueError as exc:
            return TerminationEstimate(False, improvement, None, n, self._min_n_trials, str(exc))
        stop = improvement < error
        verdict = "stop: further gains are within the noise" if stop else "keep going"
        return TerminationEstimate(
            stop, improvement, error, n, self._min_n_trials,
            f"room for improvement {improvement:.4g} vs error {error:.4g}: {verdict}",
        )


class TerminatorCallback:
    """An ``optimize`` callback that stops the study when the terminator says so.

    Example:
        >>> import hpo_lab
        >>> stop = TerminatorCallback(Terminator(BestValueStagnationEvaluator(3), min_n_trials=2))
        >>> study = hpo_lab.create_study()
        >>> study.optimize(lambda t: 1.0, n_trials=50, callbacks=[stop])
        >>> len(study.trials)   # the best value never moves after trial 0
        5
    """

    def __init__(self, terminator: BaseTerminator | None = None) -> None:
        self._terminator = terminator or Terminator()

    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        """Ask the terminator about ``study``; stop it if the answer is yes."""
        if self._terminator.should_terminate(study):
            _logger.info("study %r stopped by the terminator", getattr(study, "study_name", ""))
            study.stop()


@dataclass(frozen=True)
class ImprovementHistory:
    """The terminator's estimates as the study went, one per trial from the first COMPLETE.

    Attributes:
        trial_numbers: The trial each estimate was made after.
        improvements: The room for improvement then.
        errors: The error then (``None`` unless asked for).
    """

    trial_numbers: list[int]
    improvements: list[float]
    errors: list[float] | None


def improvement_history(
    trials: Sequence[FrozenTrial],
    direction: Any,
    *,
    improvement_evaluator: BaseImprovementEvaluator | None = None,
    error_evaluator: BaseErrorEvaluator | None = None,
    with_error: bool = False,
) -> ImprovementHistory:
    """Re-evaluate the terminator after each trial (the data of the improvement plot).

    For every trial from the first COMPLETE one, the evaluators see the COMPLETE trials up to
    it. One model fit per trial with the default evaluator: seconds for a few hundred trials.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
        >>> history = improvement_history(study.trials, study.direction,
        ...                               improvement_evaluator=BestValueStagnationEvaluator())
        >>> history.trial_numbers, history.errors
        ([0, 1, 2, 3], None)
    """
    improver = improvement_evaluator or RegretBoundEvaluator()
    erring = error_evaluator or _default_error(improver)
    numbers_: list[int] = []
    improvements: list[float] = []
    errors: list[float] = []
    complete: list[FrozenTrial] = []
    for t in sorted(trials, key=lambda t: t.number):
        if t.state == TrialState.COMPLETE:
            complete.append(t)
        if not complete:
            continue
        numbers_.append(t.number)
        improvements.append(float(improver.evaluate(list(complete), direction)))
        if with_error:
            errors.append(float(erring.evaluate(list(complete), direction)))
    return ImprovementHistory(numbers_, improvements, errors if with_error else None)

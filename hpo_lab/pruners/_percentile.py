"""Percentile pruning: stop a trial whose best value so far is worse than a percentile of the
finished trials' values at the same step.

The rule lives in :func:`percentile_prune_decision`, numpy code that knows nothing of studies;
:class:`PercentilePruner` (and :class:`~hpo_lab.pruners.MedianPruner`, the 50th percentile) only
gather its inputs from the :class:`~hpo_lab.study.StudyView`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from hpo_lab.pruners._base import BasePruner
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.views._protocol import StudyView

__all__ = [
    "PercentilePruner",
    "is_pruning_step",
    "percentile_prune_decision",
    "worst_aware_percentile",
]

_DIRECTIONS = ("minimize", "maximize")


def is_pruning_step(
    step: int, reported_steps: Sequence[int], n_warmup_steps: int, interval_steps: int
) -> bool:
    """Whether a decision is due at ``step``, the trial's latest report.

    Decisions are due at the first report at or past each of ``n_warmup_steps``,
    ``n_warmup_steps + interval_steps``, ... . Reports may skip steps (a trial reporting every
    third epoch still meets every interval once); ``reported_steps`` are all the steps the trial
    has reported, ``step`` included.

    Example:
        >>> is_pruning_step(4, [0, 1, 2, 3, 4], n_warmup_steps=2, interval_steps=2)
        True
        >>> is_pruning_step(5, [0, 1, 2, 3, 4, 5], n_warmup_steps=2, interval_steps=2)
        False
        >>> is_pruning_step(7, [0, 7], n_warmup_steps=2, interval_steps=2)
        True
    """
    if step < n_warmup_steps:
        return False
    latest_boundary = n_warmup_steps + (step - n_warmup_steps) // interval_steps * interval_steps
    previous = max((s for s in reported_steps if s < step), default=-1)
    # Due only if no earlier report already reached this boundary.
    return previous < latest_boundary


def _as_losses(values: np.ndarray, maximize: bool) -> np.ndarray:
    # One orientation for both directions: smaller is better, NaN is the worst (+inf).
    losses = -values if maximize else values.copy()
    losses[np.isnan(losses)] = np.inf
    return losses


def worst_aware_percentile(losses: np.ndarray, q: float) -> float:
    """The ``q``-th percentile (numpy's default, linear interpolation) of ``losses``, where
    ``+inf`` stands for the worst value.

    ``np.percentile`` returns NaN when it interpolates between two infinities; here the result
    is ``+inf`` then, as it should be for "worse than everything finite".

    Example:
        >>> worst_aware_percentile(np.array([3.0, 1.0, 2.0]), 50)
        2.0
        >>> worst_aware_percentile(np.array([1.0, np.inf, np.inf]), 75)
        inf
    """
    ordered = np.sort(np.asarray(losses, dtype=float))
    if ordered.size == 0:
        raise ValueError("worst_aware_percentile needs at least one value, but got none")
    position = (ordered.size - 1) * q / 100.0
    lo = math.floor(position)
    hi = min(lo + 1, ordered.size - 1)
    a, b = float(ordered[lo]), float(ordered[hi])
    frac = position - lo
    if frac == 0.0 or a == b:
        return a
    if math.isinf(b):
        return math.inf
    return a + (b - a) * frac


def percentile_prune_decision(
    trial_values: Mapping[int, float],
    step: int,
    completed_values_at_step: Sequence[float],
    *,
    percentile: float,
    maximize: bool,
    n_min_trials: int = 1,
) -> bool:
    """The percentile rule at one step, on plain numbers.

    Prune when the trial's best value over ``trial_values`` (all its reports so far) is worse
    than the ``percentile``-th percentile of ``completed_values_at_step`` (the COMPLETE trials'
    values at ``step``). For maximisation the mirrored percentile ``100 - percentile`` is used,
    so ``percentile=25`` keeps the best quarter either way. NaN counts as the worst value: a
    trial that reported only NaN is pruned, and a NaN among the others lies above every number.
    With fewer than ``n_min_trials`` values at ``step`` there is nothing to compare with, and
    the trial goes on.

    Startup, warm-up and interval checks are the caller's (see :func:`is_pruning_step`).

    Example:
        >>> percentile_prune_decision({0: 5.0, 1: 4.0}, 1, [1.0, 2.0, 3.0],
        ...                           percentile=50, maximize=False)
        True
        >>> percentile_prune_decision({0: 5.0, 1: 4.0}, 1, [1.0, 2.0, 3.0],
        ...                           percentile=50, maximize=True)
        False
    """
    values = np.fromiter(trial_values.values(), dtype=float, count=len(trial_values))
    if values.size == 0:
        return False
    best = float(np.min(_as_losses(values, maximize)))
    if math.isinf(best) and best > 0:
        return True
    others = np.asarray(completed_values_at_step, dtype=float)
    if others.size == 0 or others.size < n_min_trials:
        return False
    threshold = worst_aware_percentile(_as_losses(others, maximize), percentile)
    return best > threshold


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, but got {name}={value!r}")
    return int(value)


class PercentilePruner(BasePruner):
    """Prune a trial whose best intermediate value is worse than the given percentile of the
    COMPLETE trials' values at the same step (Optuna's ``PercentilePruner`` semantics).

    Args:
        percentile: In ``[0, 100]``; smaller prunes more (``25.0`` keeps only trials in the best
            quarter). For maximisation the mirrored percentile is used.
        n_startup_trials: No pruning until this many trials are COMPLETE.
        n_warmup_steps: No pruning before this step.
        interval_steps: Decide only every ``interval_steps`` steps after the warm-up.
        n_min_trials: No pruning at a step fewer than this many COMPLETE trials reported.

    Inherited (warm-start) COMPLETE trials count, both towards ``n_startup_trials`` and in the
    statistics: they are learning curves of the same objective, and a child study pruning from
    its first trial is much of the point of warm-starting. PRUNED, FAIL and unfinished trials
    never count. NaN is the worst value (see :func:`percentile_prune_decision`); Optuna instead
    ignores other trials' NaN values.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(pruner=PercentilePruner(25.0, n_startup_trials=3))
        >>> def objective(trial):
        ...     slope = trial.number % 4           # trials 0..3 converge to 0, 1, 2, 3
        ...     for step in range(5):
        ...         trial.report(slope + 1.0 / (step + 1), step)
        ...         if trial.should_prune():
        ...             raise hpo_lab.TrialPruned()
        ...     return slope
        >>> study.optimize(objective, n_trials=8)
        >>> # only the slope-0 curves stay in the best quarter
        >>> [t.state.value for t in study.trials][3:]
        ['PRUNED', 'COMPLETE', 'PRUNED', 'PRUNED', 'PRUNED']
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        if isinstance(percentile, bool) or not isinstance(percentile, numbers.Real):
            raise ValueError(f"percentile must be a number in [0, 100], but got {percentile!r}")
        if not 0.0 <= float(percentile) <= 100.0:
            raise ValueError(
                f"percentile must be in [0, 100], but got percentile={percentile!r}"
            )
        self._percentile: float = float(percentile)
        self._n_startup_trials: int = _check_int("n_startup_trials", n_startup_trials, 0)
        self._n_warmup_steps: int = _check_int("n_warmup_steps", n_warmup_steps, 0)
        self._interval_steps: int = _check_int("interval_steps", interval_steps, 1)
        self._n_min_trials: int = _check_int("n_min_trials", n_min_trials, 1)

    def decide(self, view: StudyView, trial: FrozenTrial) -> PruneDecision | None:
        step = trial.last_step
        if step is None:
            return None
        steps = list(trial.intermediate_values)
        if not is_pruning_step(step, steps, self._n_warmup_steps, self._interval_steps):
            return None
        rule = self._rule_name()
        completed = view.get_trials(states=(TrialState.COMPLETE,), include_inherited=True)
        if len(completed) < max(1, self._n_startup_trials):
            return PruneDecision(
                False, step, rule,
                f"{len(completed)} trials complete, fewer than n_startup_trials="
                f"{self._n_startup_trials}",
                n_compared=len(completed),
            )
        at_step = [t.intermediate_values[step] for t in completed if step in t.intermediate_values]
        if view.direction not in _DIRECTIONS:  # pragma: no cover - guarded by create_study
            raise ValueError(f"unknown direction {view.direction!r}")
        maximize = view.direction == "maximize"
        prune = percentile_prune_decision(
            trial.intermediate_values,
            step,
            at_step,
            percentile=self._percentile,
            maximize=maximize,
            n_min_trials=self._n_min_trials,
        )
        values = np.fromiter(trial.intermediate_values.values(), dtype=float)
        finite = values[~np.isnan(values)]
        best = (
            float("nan") if finite.size == 0
            else float(finite.max() if maximize else finite.min())
        )
        if len(at_step) < self._n_min_trials or not at_step:
            return PruneDecision(
                prune, step, rule,
                f"{len(at_step)} complete trials reported step {step}, fewer than "
                f"n_min_trials={self._n_min_trials}"
                + ("; its values are all NaN" if prune else ""),
                value=best, n_compared=len(at_step),
            )
        threshold = worst_aware_percentile(
            _as_losses(np.asarray(at_step, dtype=float), maximize), self._percentile
        )
        threshold = -threshold if maximize else threshold
        q = 100.0 - self._percentile if maximize else self._percentile
        verdict = "worse than" if prune else "within"
        return PruneDecision(
            prune, step, rule,
            f"best value {best:.6g} is {verdict} the {q:g}th percentile {threshold:.6g} of "
            f"{len(at_step)} complete trials at step {step}",
            value=best, threshold=threshold, n_compared=len(at_step),
        )

    def _rule_name(self) -> str:
        return "percentile"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(percentile={self._percentile}, "
            f"n_startup_trials={self._n_startup_trials}, n_warmup_steps={self._n_warmup_steps}, "
            f"interval_steps={self._interval_steps}, n_min_trials={self._n_min_trials})"
        )

"""Patient pruning: wait until a trial has stopped improving before asking another pruner."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_lab import _validation
from hpo_lab.pruners._base import BasePruner
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from hpo_lab.views._protocol import StudyView

__all__ = ["PatientPruner"]


class PatientPruner(BasePruner):
    """Prune only a trial that has not improved for ``patience`` reports (Optuna's
    ``PatientPruner`` semantics), and then only if ``wrapped_pruner`` agrees (or always, when
    it is ``None``).

    "Not improved": the best of its last ``patience + 1`` values is worse than the best value
    before them by more than ``min_delta``. While the trial improves, nothing is decided and
    the wrapped pruner is not asked.

    Args:
        wrapped_pruner: The pruner asked once patience has run out, or ``None``.
        patience: Reports without improvement that are tolerated (an int >= 0).
        min_delta: Tolerance (>= 0): the recent best may be this much worse than the best
            before it without counting as "not improved".

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(pruner=PatientPruner(None, patience=2))
        >>> trial = study.ask()
        >>> for step, loss in enumerate([1.0, 0.5, 0.6, 0.7, 0.8]):
        ...     trial.report(loss, step)
        >>> trial.should_prune()
        True
        >>> print(trial.freeze().decisions[-1].reason)  # doctest: +NORMALIZE_WHITESPACE
        no improvement over the last 3 values (best 0.6) on the best before them (0.5),
        min_delta=0
    """

    def __init__(
        self, wrapped_pruner: BasePruner | None, patience: int, min_delta: float = 0.0
    ) -> None:
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, BasePruner):
            raise ValueError(
                "wrapped_pruner must be a pruner or None, but got "
                f"wrapped_pruner={wrapped_pruner!r}"
            )
        self._wrapped = wrapped_pruner
        self._patience = _validation.check_int("patience", patience, 0)
        self._min_delta = _validation.check_number("min_delta", min_delta, minimum=0)
        self.compares_running_trials = bool(
            wrapped_pruner is not None and wrapped_pruner.compares_running_trials
        )

    def decide(self, view: StudyView, trial: FrozenTrial) -> PruneDecision | None:
        step = trial.last_step
        if step is None:
            return None
        steps = sorted(trial.intermediate_values)
        if len(steps) <= self._patience + 1:
            return None
        values = np.array([trial.intermediate_values[s] for s in steps], dtype=float)
        before, recent = values[: -self._patience - 1], values[-self._patience - 1 :]
        maximize = view.direction == "maximize"
        sign = -1.0 if maximize else 1.0
        # Best as a loss (smaller is better); all-NaN counts as the worst.
        best_before = _best_loss(sign * before)
        best_recent = _best_loss(sign * recent)
        if not best_before + self._min_delta < best_recent:
            return None
        shown_before, shown_recent = sign * best_before, sign * best_recent
        why = (
            f"no improvement over the last {self._patience + 1} values (best "
            f"{shown_recent:.6g}) on the best before them ({shown_before:.6g}), "
            f"min_delta={self._min_delta:g}"
        )
        if self._wrapped is None:
            return PruneDecision(
                True, step, "patient", why, value=shown_recent,
                threshold=sign * (best_before + self._min_delta),
            )
        inner = self._wrapped.decide(view, trial)
        if inner is None:
            return None
        details: dict[str, Any] = dict(inner.details)
        details["patience"] = why
        return inner.replace(
            rule=f"patient+{inner.rule}" if inner.rule else "patient",
            reason=f"{why}; {inner.reason}" if inner.reason else why,
            details=details,
        )

    def study_attrs(self, view: StudyView) -> dict[str, Any]:
        return {} if self._wrapped is None else self._wrapped.study_attrs(view)

    def __repr__(self) -> str:
        return (
            f"PatientPruner({self._wrapped!r}, patience={self._patience}, "
            f"min_delta={self._min_delta:g})"
        )


def _best_loss(losses: np.ndarray) -> float:
    finite = losses[~np.isnan(losses)]
    return float(finite.min()) if finite.size else math.inf

"""Threshold pruning: stop a trial whose latest value leaves a fixed range (or is NaN)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from hpo_lab import _validation
from hpo_lab.pruners._base import BasePruner
from hpo_lab.pruners._percentile import is_pruning_step
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from hpo_lab.views._protocol import StudyView

__all__ = ["ThresholdPruner"]


class ThresholdPruner(BasePruner):
    """Prune a trial whose latest intermediate value is below ``lower``, above ``upper`` or
    NaN (Optuna's ``ThresholdPruner`` semantics): for diverging losses, or a metric that must
    clear a bar by some step.

    Args:
        lower: Values below it are pruned (``None``: no lower bound).
        upper: Values above it are pruned (``None``: no upper bound). One of the two is needed.
        n_warmup_steps: No pruning before this step.
        interval_steps: Decide only every ``interval_steps`` steps after the warm-up.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(pruner=ThresholdPruner(upper=1.0))
        >>> trial = study.ask()
        >>> trial.report(0.5, 0); trial.should_prune()
        False
        >>> trial.report(3.0, 1); trial.should_prune()
        True
        >>> trial.freeze().decisions[-1].reason
        'value 3 at step 1 is above upper=1'
    """

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        if lower is None and upper is None:
            raise ValueError(
                "ThresholdPruner needs lower or upper, but got lower=None, upper=None"
            )
        self._lower = -math.inf if lower is None else _validation.check_number("lower", lower)
        self._upper = math.inf if upper is None else _validation.check_number("upper", upper)
        if self._lower > self._upper:
            raise ValueError(f"lower must be <= upper, but got lower={lower!r}, upper={upper!r}")
        self._n_warmup_steps = _validation.check_int("n_warmup_steps", n_warmup_steps, 0)
        self._interval_steps = _validation.check_int("interval_steps", interval_steps, 1)

    def decide(self, view: StudyView, trial: FrozenTrial) -> PruneDecision | None:
        step = trial.last_step
        if step is None:
            return None
        steps = list(trial.intermediate_values)
        if not is_pruning_step(step, steps, self._n_warmup_steps, self._interval_steps):
            return None
        value = trial.intermediate_values[step]
        where = f"value {value:.6g} at step {step}"
        if math.isnan(value):
            return PruneDecision(True, step, "threshold", f"{where} is NaN", value=value)
        if value < self._lower:
            return PruneDecision(
                True, step, "threshold", f"{where} is below lower={self._lower:g}",
                value=value, threshold=self._lower,
            )
        if value > self._upper:
            return PruneDecision(
                True, step, "threshold", f"{where} is above upper={self._upper:g}",
                value=value, threshold=self._upper,
            )
        return PruneDecision(
            False, step, "threshold",
            f"{where} is within [{self._lower:g}, {self._upper:g}]", value=value,
        )

    def __repr__(self) -> str:
        return (
            f"ThresholdPruner(lower={self._lower!r}, upper={self._upper!r}, "
            f"n_warmup_steps={self._n_warmup_steps}, interval_steps={self._interval_steps})"
        )

"""Pruning in a plain training loop (PyTorch or anything else): report, then ask."""

from __future__ import annotations

import numbers
from typing import Any

from hpo_lab.exceptions import TrialPruned
from hpo_lab.trial._base import TrialInterface

__all__ = ["report_and_prune"]


def _as_float(value: Any) -> float:
    # A 0-d torch tensor or numpy scalar: .item() gives the Python number without a copy of
    # anything else (and works on a CUDA tensor, which float() also does, more slowly).
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, numbers.Number):
        try:
            value = item()
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(
                f"report_and_prune takes a number or a one-element tensor, but got {value!r}"
            ) from None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"report_and_prune takes a number, but got {value!r}")
    return float(value)


def report_and_prune(trial: TrialInterface, value: Any, step: int) -> None:
    """Report ``value`` at ``step`` and raise :class:`hpo_lab.TrialPruned` if the study's pruner
    says to stop: the two lines every epoch of a plain PyTorch loop needs, in one.

    ``value`` may be a Python number, a numpy scalar or a one-element tensor (``loss`` as
    computed, no ``.item()`` needed).

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.pruners import MedianPruner
        >>> study = hpo_lab.create_study(pruner=MedianPruner(n_startup_trials=1))
        >>> def objective(trial):
        ...     slope = trial.suggest_float("slope", 0.1, 1.0)
        ...     for epoch in range(5):
        ...         loss = 1.0 - slope * epoch / 5
        ...         report_and_prune(trial, loss, step=epoch)
        ...     return loss
        >>> study.optimize(objective, n_trials=6)
        >>> sorted({t.state.value for t in study.trials}) <= ["COMPLETE", "PRUNED"]
        True
    """
    trial.report(_as_float(value), step)
    if trial.should_prune():
        raise TrialPruned(f"trial {trial.number} was pruned at step {step}")

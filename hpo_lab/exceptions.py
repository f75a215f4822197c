"""Exceptions users meet."""

from __future__ import annotations

__all__ = ["TrialPruned"]


class TrialPruned(Exception):
    """Raise from an objective to end the trial as PRUNED.

    Example:
        >>> import hpo_lab
        >>> def objective(trial):
        ...     trial.report(1.0, step=0)
        ...     raise hpo_lab.TrialPruned()
        >>> study = hpo_lab.create_study()
        >>> study.optimize(objective, n_trials=1)
        >>> study.trials[0].state.value
        'PRUNED'
    """

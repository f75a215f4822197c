"""Median pruning: the percentile rule at the 50th percentile."""

from __future__ import annotations

from hpo_lab.pruners._percentile import PercentilePruner

__all__ = ["MedianPruner"]


class MedianPruner(PercentilePruner):
    """Prune a trial whose best intermediate value is worse than the median of the COMPLETE
    trials' values at the same step (Optuna's ``MedianPruner`` semantics).

    Same arguments and rules as :class:`~hpo_lab.pruners.PercentilePruner` with
    ``percentile=50``: no pruning before ``n_startup_trials`` trials are COMPLETE (inherited
    warm-start trials count), before step ``n_warmup_steps``, off the ``interval_steps`` grid,
    or when fewer than ``n_min_trials`` COMPLETE trials reported the step.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(pruner=MedianPruner(n_startup_trials=2))
        >>> def objective(trial):
        ...     offset = [0.0, 2.0, 5.0, 1.0][trial.number]
        ...     for step in range(3):
        ...         trial.report(offset + 1.0 / (step + 1), step)
        ...         if trial.should_prune():
        ...             raise hpo_lab.TrialPruned()
        ...     return offset
        >>> study.optimize(objective, n_trials=4)
        >>> [t.state.value for t in study.trials]
        ['COMPLETE', 'COMPLETE', 'PRUNED', 'COMPLETE']
    """

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(
            50.0,
            n_startup_trials,
            n_warmup_steps,
            interval_steps,
            n_min_trials=n_min_trials,
        )

    def _rule_name(self) -> str:
        return "median"

    def __repr__(self) -> str:
        return (
            f"MedianPruner(n_startup_trials={self._n_startup_trials}, "
            f"n_warmup_steps={self._n_warmup_steps}, interval_steps={self._interval_steps}, "
            f"n_min_trials={self._n_min_trials})"
        )

"""LightGBM: a training callback that reports an evaluation metric and prunes."""

from __future__ import annotations

from typing import Any

from hpo_lab.exceptions import TrialPruned
from hpo_lab.trial._base import TrialInterface

__all__ = ["LightGBMPruningCallback"]


class LightGBMPruningCallback:
    """Report an evaluation metric after each boosting round, and stop the trial when the
    study's pruner says so (Optuna's ``LightGBMPruningCallback``, same arguments).

    Args:
        trial: The trial of the objective that trains.
        metric: The metric's name as LightGBM logs it (``"binary_logloss"``, ``"auc"``,
            ``"l2"``...).
        valid_name: The validation set's name: ``"valid_0"`` for the first ``eval_set`` or
            ``valid_sets`` entry unless ``valid_names`` renamed it. With ``lgb.cv`` the mean
            over folds is reported, whatever ``valid_name``.
        report_interval: Report every this many rounds.

    A metric where greater is better (``"auc"``) must go with a study that maximizes, and the
    other way round; a mismatch raises ``ValueError`` (when the trial's study is at hand).

    Example:
        >>> import numpy as np, lightgbm as lgb, hpo_lab
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
        >>> def objective(trial):
        ...     train = lgb.Dataset(X[:150], y[:150])
        ...     valid = lgb.Dataset(X[150:], y[150:], reference=train)
        ...     params = {"objective": "binary", "metric": "binary_logloss", "verbose": -1,
        ...               "num_leaves": trial.suggest_int("leaves", 2, 8)}
        ...     booster = lgb.train(params, train, 5, valid_sets=[valid], callbacks=[
        ...         LightGBMPruningCallback(trial, "binary_logloss")])
        ...     return booster.best_score["valid_0"]["binary_logloss"]
        >>> study = hpo_lab.create_study()
        >>> study.optimize(objective, n_trials=2)
        >>> len(study.trials[0].intermediate_values)
        5
    """

    def __init__(
        self,
        trial: TrialInterface,
        metric: str,
        valid_name: str = "valid_0",
        report_interval: int = 1,
    ) -> None:
        if not isinstance(metric, str) or not metric:
            raise ValueError(f"metric must be a metric name, but got metric={metric!r}")
        if isinstance(report_interval, bool) or not isinstance(report_interval, int) or (
            report_interval < 1
        ):
            raise ValueError(
                f"report_interval must be an int >= 1, but got report_interval={report_interval!r}"
            )
        self._trial = trial
        self._metric = metric
        self._valid_name = valid_name
        self._report_interval = report_interval

    def _direction_check(self, higher_better: bool) -> None:
        try:
            study = self._trial.study
        except AttributeError:  # a worker's trial proxy has no study
            return
        direction = str(getattr(study, "direction", ""))
        if direction and (direction == "maximize") != bool(higher_better):
            raise ValueError(
                f"LightGBMPruningCallback: {self._metric!r} is "
                f"{'greater' if higher_better else 'smaller'}-is-better but the study "
                f"{direction}s; pick a metric that goes the study's way, or the other direction"
            )

    def __call__(self, env: Any) -> None:
        """Called by LightGBM after each round with its ``CallbackEnv``."""
        if (env.iteration + 1) % self._report_interval:
            return
        names = []
        for entry in env.evaluation_result_list:
            valid_name, metric, value, higher_better = entry[:4]
            names.append(f"{valid_name}/{metric}")
            is_cv = len(entry) == 5  # lgb.cv: (name, metric, mean, higher_better, stdv)
            if metric != self._metric or not (is_cv or valid_name == self._valid_name):
                continue
            self._direction_check(higher_better)
            self._trial.report(float(value), step=env.iteration)
            if self._trial.should_prune():
                raise TrialPruned(
                    f"trial {self._trial.number} was pruned at iteration {env.iteration}"
                )
            return
        raise ValueError(
            f"LightGBMPruningCallback: {self._valid_name}/{self._metric} is not among the "
            f"evaluation results {names}; pass eval_set (or valid_sets) and name one of these"
        )

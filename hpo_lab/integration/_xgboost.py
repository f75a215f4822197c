"""XGBoost: a training callback that reports an evaluation metric and prunes."""

from __future__ import annotations

from typing import Any

import xgboost as xgb

from hpo_lab.exceptions import TrialPruned
from hpo_lab.trial._base import TrialInterface

__all__ = ["XGBoostPruningCallback"]


class XGBoostPruningCallback(xgb.callback.TrainingCallback):  # type: ignore[misc]
    """Report an evaluation metric after each boosting round, and stop the trial when the
    study's pruner says so (Optuna's ``XGBoostPruningCallback``, same arguments).

    Args:
        trial: The trial of the objective that trains.
        observation_key: ``"<eval name>-<metric>"``: with ``xgb.train(..., evals=[(dvalid,
            "validation")])`` and ``eval_metric="logloss"`` it is ``"validation-logloss"``; with
            the scikit-learn API and ``eval_set=[...]`` it is ``"validation_0-logloss"``. With
            ``xgb.cv`` the mean over folds is reported (``"test-logloss"``).

    Example:
        >>> import numpy as np, xgboost as xgb, hpo_lab
        >>> rng = np.random.default_rng(0)
        >>> X = rng.normal(size=(200, 4)); y = (X[:, 0] > 0).astype(int)
        >>> def objective(trial):
        ...     cb = XGBoostPruningCallback(trial, "validation_0-logloss")
        ...     model = xgb.XGBClassifier(n_estimators=5, eval_metric="logloss",
        ...                               max_depth=trial.suggest_int("depth", 1, 4),
        ...                               callbacks=[cb])
        ...     model.fit(X[:150], y[:150], eval_set=[(X[150:], y[150:])], verbose=False)
        ...     return model.evals_result()["validation_0"]["logloss"][-1]
        >>> study = hpo_lab.create_study()
        >>> study.optimize(objective, n_trials=2)
        >>> len(study.trials[0].intermediate_values)
        5
    """

    def __init__(self, trial: TrialInterface, observation_key: str) -> None:
        super().__init__()
        if not isinstance(observation_key, str) or "-" not in observation_key:
            raise ValueError(
                "observation_key must be '<eval name>-<metric>', for example "
                f"'validation_0-logloss', but got observation_key={observation_key!r}"
            )
        self._trial = trial
        self._observation_key = observation_key

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        """Report the metric of this round; raise ``TrialPruned`` to stop training."""
        results: dict[str, float] = {}
        for dataset, metrics in evals_log.items():
            for metric, scores in metrics.items():
                last = scores[-1]
                results[f"{dataset}-{metric}"] = float(last[0] if isinstance(last, tuple) else last)
        if self._observation_key not in results:
            raise ValueError(
                f"XGBoostPruningCallback: {self._observation_key!r} is not among the evaluation "
                f"results {sorted(results)}; pass eval_set (or evals) and name one of these"
            )
        self._trial.report(results[self._observation_key], step=epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"trial {self._trial.number} was pruned at iteration {epoch}")
        return False

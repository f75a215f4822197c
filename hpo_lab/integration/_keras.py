"""Keras 3: a callback that reports a logged metric after each epoch and prunes.

Keras 3 picks its backend when first imported. If ``KERAS_BACKEND`` is unset, Keras is not
imported yet and TensorFlow is not installed, this module selects the torch backend (Keras'
own default, TensorFlow, would fail to import).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings
from typing import Any

if (
    "keras" not in sys.modules
    and "KERAS_BACKEND" not in os.environ
    and importlib.util.find_spec("tensorflow") is None
):
    os.environ["KERAS_BACKEND"] = "torch"

import keras

from hpo_lab.exceptions import TrialPruned
from hpo_lab.trial._base import TrialInterface

__all__ = ["KerasPruningCallback"]


class KerasPruningCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Report a metric Keras logs at the end of each epoch, and stop the trial when the
    study's pruner says so (Optuna's ``KerasPruningCallback``, same arguments).

    Args:
        trial: The trial of the objective that trains.
        monitor: A key of the epoch logs, for example ``"val_loss"`` or ``"val_accuracy"``.
        interval: Report every this many epochs.

    Example:
        >>> import numpy as np, hpo_lab
        >>> X = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
        >>> y = X.sum(axis=1, keepdims=True)
        >>> def objective(trial):
        ...     model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        ...     model.compile(keras.optimizers.SGD(trial.suggest_float("lr", 1e-3, 1e-1)), "mse")
        ...     history = model.fit(X, y, validation_split=0.25, epochs=3, verbose=0,
        ...                         callbacks=[KerasPruningCallback(trial, "val_loss")])
        ...     return history.history["val_loss"][-1]
        >>> study = hpo_lab.create_study()
        >>> study.optimize(objective, n_trials=1)
        >>> sorted(study.trials[0].intermediate_values)
        [0, 1, 2]
    """

    def __init__(self, trial: TrialInterface, monitor: str, interval: int = 1) -> None:
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor must be a metric name, but got monitor={monitor!r}")
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f"interval must be an int >= 1, but got interval={interval!r}")
        self._trial = trial
        self._monitor = monitor
        self._interval = interval

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Report ``monitor`` for this epoch; raise ``TrialPruned`` to stop training."""
        if (epoch + 1) % self._interval:
            return
        logs = logs or {}
        value = logs.get(self._monitor)
        if value is None:
            warnings.warn(
                f"the metric {self._monitor!r} is not among the epoch logs {sorted(logs)}; "
                "nothing is reported for pruning",
                UserWarning,
                stacklevel=2,
            )
            return
        self._trial.report(float(value), step=epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"trial {self._trial.number} was pruned at epoch {epoch}")

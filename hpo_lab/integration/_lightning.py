"""PyTorch Lightning: a callback that reports a logged metric after each validation and prunes."""

from __future__ import annotations

import warnings
from typing import Any

from hpo_lab.exceptions import TrialPruned
from hpo_lab.trial._base import TrialInterface

try:  # the unified package first, as Optuna does; the standalone one otherwise
    from lightning.pytorch import Callback as _Callback
except ImportError:  # pragma: no cover - the dev extra installs lightning
    from pytorch_lightning import Callback as _Callback

__all__ = ["PyTorchLightningPruningCallback"]


class PyTorchLightningPruningCallback(_Callback):  # type: ignore[misc]
    """Report a logged metric at the end of each validation epoch, and stop the trial when
    the study's pruner says so (Optuna's ``PyTorchLightningPruningCallback``).

    Args:
        trial: The trial of the objective that trains.
        monitor: A metric the ``LightningModule`` logs with ``self.log(...)`` during
            validation, for example ``"val_loss"``.

    The step reported is the epoch. The sanity check before training reports nothing. Runs
    with one process only: a distributed (DDP) run is refused with a clear error.

    Example:
        >>> import torch, hpo_lab
        >>> from lightning.pytorch import LightningModule, Trainer
        >>> data = torch.utils.data.TensorDataset(torch.randn(32, 3), torch.randn(32, 1))
        >>> loader = torch.utils.data.DataLoader(data, batch_size=16)
        >>> class Net(LightningModule):
        ...     def __init__(self, lr):
        ...         super().__init__()
        ...         self.layer, self.lr = torch.nn.Linear(3, 1), lr
        ...     def training_step(self, batch, _):
        ...         return torch.nn.functional.mse_loss(self.layer(batch[0]), batch[1])
        ...     def validation_step(self, batch, _):
        ...         loss = torch.nn.functional.mse_loss(self.layer(batch[0]), batch[1])
        ...         self.log("val_loss", loss)
        ...     def configure_optimizers(self):
        ...         return torch.optim.SGD(self.parameters(), lr=self.lr)
        >>> def objective(trial):
        ...     trainer = Trainer(max_epochs=2, logger=False, enable_checkpointing=False,
        ...                       enable_progress_bar=False, enable_model_summary=False,
        ...                       callbacks=[PyTorchLightningPruningCallback(trial, "val_loss")])
        ...     trainer.fit(Net(trial.suggest_float("lr", 1e-3, 1e-1)), loader, loader)
        ...     return trainer.callback_metrics["val_loss"].item()
        >>> study = hpo_lab.create_study()
        >>> study.optimize(objective, n_trials=1)  # doctest: +ELLIPSIS
        >>> sorted(study.trials[0].intermediate_values)
        [0, 1]
    """

    def __init__(self, trial: TrialInterface, monitor: str) -> None:
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"monitor must be a metric name, but got monitor={monitor!r}")
        self._trial = trial
        self.monitor = monitor

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        """Refuse a multi-process run: the trial lives in this process only."""
        if getattr(trainer, "world_size", 1) > 1:
            raise ValueError(
                "PyTorchLightningPruningCallback supports one process only (world_size "
                f"{trainer.world_size}); run one trial per process instead of DDP"
            )

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        """Report ``monitor`` for this epoch; raise ``TrialPruned`` to stop training."""
        if trainer.sanity_checking:
            return
        score = trainer.callback_metrics.get(self.monitor)
        if score is None:
            warnings.warn(
                f"the metric {self.monitor!r} is not among the logged metrics "
                f"{sorted(trainer.callback_metrics)}; nothing is reported for pruning",
                UserWarning,
                stacklevel=2,
            )
            return
        epoch = int(pl_module.current_epoch)
        self._trial.report(float(score.item() if hasattr(score, "item") else score), step=epoch)
        if self._trial.should_prune():
            raise TrialPruned(f"trial {self._trial.number} was pruned at epoch {epoch}")

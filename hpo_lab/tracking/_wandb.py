"""Weights & Biases: a run per trial (or per study); works offline (``WANDB_MODE=offline``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpo_lab.tracking._base import Tracker, numeric_params, state_of

if TYPE_CHECKING:
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["WandbTracker"]


class WandbTracker(Tracker):
    """Log trials to Weights & Biases: a run per trial grouped by study (or one per study).

    Args:
        project: The W&B project (default: ``WANDB_PROJECT``, else W&B's default).
        per_trial: One run per trial, named ``trial-<n>`` with ``group`` = the study's name
            (default), or one run named after the study with each trial at step = its number.
        metric_name: The name of the final value in the summary (default ``"value"``).
        init_kwargs: More arguments for ``wandb.init`` (``mode="offline"``, ``dir``,
            ``entity``, ``tags``...).

    Per trial, a run has the parameters as its config, ``intermediate_value`` logged by step,
    and in its summary ``value``, ``state`` and ``trial``. With ``WANDB_MODE=offline`` (or
    ``init_kwargs={"mode": "offline"}``) nothing leaves the machine; ``wandb sync`` uploads
    later.

    Example:
        >>> import os, tempfile, hpo_lab
        >>> os.environ.update(WANDB_MODE="offline", WANDB_SILENT="true")
        >>> tracker = WandbTracker(project="demo", init_kwargs={"dir": tempfile.mkdtemp()})
        >>> study = hpo_lab.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, callbacks=[tracker])
        >>> tracker.close()
    """

    def __init__(
        self,
        project: str | None = None,
        *,
        per_trial: bool = True,
        metric_name: str = "value",
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(per_trial=per_trial, metric_name=metric_name)
        try:
            import wandb
        except ImportError as exc:
            raise ImportError(
                f"WandbTracker needs wandb ({exc}): pip install 'hpo_lab[wandb]'"
            ) from exc
        self._wandb = wandb
        self.project = project
        self._init_kwargs = dict(init_kwargs or {})
        self._runs: dict[tuple[str, int], Any] = {}
        self._study_runs: dict[str, Any] = {}

    def _init(self, **kwargs: Any) -> Any:
        args = {"project": self.project, "reinit": "create_new", **self._init_kwargs, **kwargs}
        return self._wandb.init(**args)

    def _run_of(self, study_name: str, trial: FrozenTrial) -> Any:
        if self.per_trial:
            return self._runs[(study_name, trial.number)]
        run = self._study_runs.get(study_name)
        if run is None:
            run = self._study_runs[study_name] = self._init(name=study_name, group=study_name)
        return run

    def run_of(self, study_name: str, number: int) -> Any:
        """The ``wandb`` run of a trial (per trial, while open) or of the study (per study)."""
        with self._lock:
            if self.per_trial:
                return self._runs.get((study_name, number))
            return self._study_runs.get(study_name)

    def _start_trial(self, study_name: str, trial: FrozenTrial) -> None:
        if not self.per_trial:
            self._run_of(study_name, trial)
            return
        self._runs[(study_name, trial.number)] = self._init(
            name=f"trial-{trial.number}", group=study_name, job_type="trial",
            config={"hpo_lab.study": study_name, "hpo_lab.trial": trial.number},
        )

    def _log_intermediate(
        self, study_name: str, trial: FrozenTrial, step: int, value: float
    ) -> None:
        run = self._run_of(study_name, trial)
        if self.per_trial:
            run.log({"intermediate_value": float(value)}, step=int(step))
            return
        prefix = f"trial_{trial.number}"
        run.define_metric(f"{prefix}/intermediate_value", step_metric=f"{prefix}/step")
        run.log({f"{prefix}/step": int(step), f"{prefix}/intermediate_value": float(value)})

    def _finish_trial(self, study_name: str, trial: FrozenTrial) -> None:
        run = self._run_of(study_name, trial)
        state = state_of(trial)
        if self.per_trial:
            run.config.update(dict(trial.params), allow_val_change=True)
            run.summary["trial"] = trial.number
            run.summary["state"] = state
            if trial.value is not None:
                run.summary[self.metric_name] = float(trial.value)
            for key, value in trial.user_attrs.items():
                run.summary[f"user.{key}"] = value
            run.finish(exit_code=0 if state != "FAIL" else 1)
            del self._runs[(study_name, trial.number)]
            return
        row: dict[str, Any] = {"trial": trial.number, "state": state}
        row.update({f"param.{k}": v for k, v in numeric_params(trial.params).items()})
        if trial.value is not None:
            row[self.metric_name] = float(trial.value)
        run.define_metric("trial")
        for key in row:
            if key != "trial":
                run.define_metric(key, step_metric="trial")
        run.log(row)

    def close(self) -> None:
        """Finish the study's run (``per_trial=False``) and any trial run still open."""
        with self._lock:
            for run in [*self._runs.values(), *self._study_runs.values()]:
                run.finish()
            self._runs.clear()
            self._study_runs.clear()
            super().close()

"""MLflow: one run per trial (or one per study), through ``MlflowClient`` (no global state)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from hpo_lab.tracking._base import Tracker, numeric_params, state_of

if TYPE_CHECKING:
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["MLflowTracker"]

_STATUS = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}


def _ms(moment: Any) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


class MLflowTracker(Tracker):
    """Log trials to MLflow: an experiment per study, a run per trial (or one per study).

    Args:
        tracking_uri: Where MLflow writes (``"file:/path/mlruns"``, ``"sqlite:///mlflow.db"``,
            a server URL); ``None`` uses MLflow's current one (``mlflow.set_tracking_uri``,
            ``MLFLOW_TRACKING_URI``). MLflow 3 refuses ``file:`` stores unless
            ``MLFLOW_ALLOW_FILE_STORE=true``; ``sqlite:`` needs SQLAlchemy and Alembic.
        experiment_name: The experiment (default: the study's name); made if missing.
        per_trial: One run per trial, named ``trial-<n>`` (default), or one run named after
            the study with each trial at step = its number.
        metric_name: The name of the final value's metric (default ``"value"``).
        tags: Extra tags for every run.

    Per trial, a run has the trial's parameters as params, ``value`` and the intermediate
    values (metric ``intermediate_value``, by step) as metrics, and tags ``hpo_lab.study``,
    ``hpo_lab.trial``, ``hpo_lab.state`` and the user attributes (``user.<key>``). Its status
    is FINISHED (complete), KILLED (pruned) or FAILED, and its times are the trial's.

    Example:
        >>> import os, tempfile, hpo_lab
        >>> os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
        >>> uri = "file:" + tempfile.mkdtemp()
        >>> tracker = MLflowTracker(tracking_uri=uri)
        >>> study = hpo_lab.create_study(study_name="demo")
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, callbacks=[tracker])
        >>> import mlflow
        >>> runs = mlflow.MlflowClient(uri).search_runs(
        ...     [mlflow.MlflowClient(uri).get_experiment_by_name("demo").experiment_id])
        >>> sorted(r.info.run_name for r in runs)
        ['trial-0', 'trial-1']
    """

    def __init__(
        self,
        tracking_uri: str | None = None,
        *,
        experiment_name: str | None = None,
        per_trial: bool = True,
        metric_name: str = "value",
        tags: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(per_trial=per_trial, metric_name=metric_name)
        try:
            from mlflow import MlflowClient
        except ImportError as exc:
            raise ImportError(
                f"MLflowTracker needs mlflow ({exc}): pip install 'hpo_lab[mlflow]'"
            ) from exc
        self._client = MlflowClient(tracking_uri)
        self.tracking_uri = self._client.tracking_uri
        self._experiment_name = experiment_name
        self._tags = {str(k): str(v) for k, v in (tags or {}).items()}
        self._experiments: dict[str, str] = {}
        self._runs: dict[tuple[str, int], str] = {}
        self._study_runs: dict[str, str] = {}

    def _experiment(self, study_name: str) -> str:
        name = self._experiment_name or study_name
        exp_id = self._experiments.get(name)
        if exp_id is None:
            found = self._client.get_experiment_by_name(name)
            if found is not None:
                exp_id = found.experiment_id
            else:
                exp_id = self._client.create_experiment(name)
            self._experiments[name] = exp_id
        return exp_id

    def _run_of(self, study_name: str, trial: FrozenTrial) -> str:
        if self.per_trial:
            return self._runs[(study_name, trial.number)]
        run_id = self._study_runs.get(study_name)
        if run_id is None:
            run = self._client.create_run(
                self._experiment(study_name),
                run_name=study_name,
                tags={**self._tags, "hpo_lab.study": study_name},
            )
            run_id = self._study_runs[study_name] = run.info.run_id
        return run_id

    def run_id(self, study_name: str, number: int) -> str | None:
        """The MLflow run id of a trial (per trial) or of the study (per study), if logged."""
        with self._lock:
            if self.per_trial:
                return self._runs.get((study_name, number))
            return self._study_runs.get(study_name)

    def _start_trial(self, study_name: str, trial: FrozenTrial) -> None:
        if not self.per_trial:
            self._run_of(study_name, trial)
            return
        run = self._client.create_run(
            self._experiment(study_name),
            start_time=_ms(trial.datetime_start),
            run_name=f"trial-{trial.number}",
            tags={**self._tags, "hpo_lab.study": study_name, "hpo_lab.trial": str(trial.number)},
        )
        self._runs[(study_name, trial.number)] = run.info.run_id

    def _log_intermediate(
        self, study_name: str, trial: FrozenTrial, step: int, value: float
    ) -> None:
        run_id = self._run_of(study_name, trial)
        key = "intermediate_value" if self.per_trial else f"trial_{trial.number}/intermediate_value"
        self._client.log_metric(run_id, key, float(value), step=int(step))

    def _finish_trial(self, study_name: str, trial: FrozenTrial) -> None:
        from mlflow.entities import Metric, Param, RunTag

        run_id = self._run_of(study_name, trial)
        now = int(time.time() * 1000)
        state = state_of(trial)
        if self.per_trial:
            params = [Param(k, str(v)) for k, v in trial.params.items()]
            tags = [RunTag("hpo_lab.state", state)] + [
                RunTag(f"user.{k}", str(v)) for k, v in trial.user_attrs.items()
            ]
            metrics = []
            if trial.value is not None:
                metrics.append(Metric(self.metric_name, float(trial.value), now, 0))
            self._client.log_batch(run_id, metrics=metrics, params=params, tags=tags)
            self._client.set_terminated(
                run_id, status=_STATUS.get(state, "FINISHED"), end_time=_ms(trial.datetime_complete)
            )
            return
        step = trial.number
        metrics = [
            Metric(f"param.{k}", v, now, step) for k, v in numeric_params(trial.params).items()
        ]
        if trial.value is not None:
            metrics.append(Metric(self.metric_name, float(trial.value), now, step))
        self._client.log_batch(run_id, metrics=metrics)
        self._client.log_dict(
            run_id,
            {
                "number": trial.number,
                "state": state,
                "value": trial.value,
                "params": {k: v for k, v in trial.params.items()},
                "intermediate_values": {str(k): v for k, v in trial.intermediate_values.items()},
                "user_attrs": dict(trial.user_attrs),
            },
            f"trials/trial-{trial.number:05d}.json",
        )

    def close(self) -> None:
        """End the study's run (``per_trial=False``); per-trial runs end with their trial."""
        with self._lock:
            for run_id in self._study_runs.values():
                self._client.set_terminated(run_id, status="FINISHED")
            self._study_runs.clear()
            super().close()

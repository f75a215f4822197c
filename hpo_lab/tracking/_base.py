"""The tracker interface: what an adapter (MLflow, Weights & Biases) implements, and how a
study's trials reach it.

A tracker receives trials two ways, and logs each trial once whichever way it came:

* as a callback, ``study.optimize(objective, callbacks=[tracker])`` (or ``study.start``), as
  Optuna's ``MLflowCallback`` is used: each trial is logged when it finishes, with every
  intermediate value it reported;
* attached to a study, ``tracker.attach(study)``: intermediate values are logged as they are
  reported (the tracker's charts move while trials run), whatever runs the trials (a
  background run, ``%%hpo``, ``HPOSearchCV(study=...)``, another process on the same file).

``per_trial=True`` gives each trial its own tracker run (parameters, the ``value`` metric,
intermediate values as the ``intermediate_value`` metric by step, state and user attributes
as tags); ``per_trial=False`` logs the whole study into one run, each trial at step = its
number (``value``, numeric parameters, and its intermediate values under
``trial_<n>/intermediate_value``).
"""

from __future__ import annotations

import abc
import logging
import math
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.study._events import Event
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["Tracker"]

_logger = logging.getLogger("hpo_lab")


class Tracker(abc.ABC):
    """Logs a study's trials to an experiment tracker; subclasses write to one tracker.

    Contract for subclasses (each method is called under the tracker's lock, so never by two
    threads at once):

    * :meth:`_start_trial` opens the trial's run (per trial) or does nothing (per study);
    * :meth:`_log_intermediate` logs one reported value;
    * :meth:`_finish_trial` logs parameters, the final value and the state, and closes the
      trial's run;
    * :meth:`close` closes whatever is left open (the study's run).

    Args:
        per_trial: One tracker run per trial (default) or one for the whole study.
        metric_name: The name of the final value's metric.
    """

    def __init__(self, *, per_trial: bool = True, metric_name: str = "value") -> None:
        if not isinstance(per_trial, bool):
            raise TypeError(f"per_trial must be True or False, but got per_trial={per_trial!r}")
        if not isinstance(metric_name, str) or not metric_name:
            raise ValueError(f"metric_name must be a non-empty str, but got {metric_name!r}")
        self.per_trial = per_trial
        self.metric_name = metric_name
        self._lock = threading.RLock()
        self._logged_steps: dict[tuple[str, int], set[int]] = {}
        self._finished: set[tuple[str, int]] = set()
        self._closed = False

    # -- what an adapter implements ----------------------------------------------------------
    @abc.abstractmethod
    def _start_trial(self, study_name: str, trial: FrozenTrial) -> None:
        """Open the trial's run (per trial), before any of its values are logged."""

    @abc.abstractmethod
    def _log_intermediate(
        self, study_name: str, trial: FrozenTrial, step: int, value: float
    ) -> None:
        """Log one intermediate value of a trial."""

    @abc.abstractmethod
    def _finish_trial(self, study_name: str, trial: FrozenTrial) -> None:
        """Log the trial's parameters, final value and state; close its run (per trial)."""

    def close(self) -> None:
        """Close what is still open (the study's run with ``per_trial=False``); idempotent."""
        self._closed = True

    # -- how trials reach it ------------------------------------------------------------------
    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        """The ``callbacks=[tracker]`` form: log a finished trial (with what it reported)."""
        self._on_finished(study.study_name, trial)

    def attach(self, study: Study) -> Callable[[], None]:
        """Log ``study``'s trials live from now on; returns a function that detaches.

        Example:
            >>> import hpo_lab
            >>> class Printer(Tracker):
            ...     def _start_trial(self, study_name, trial): pass
            ...     def _log_intermediate(self, study_name, trial, step, value):
            ...         print("step", step, value)
            ...     def _finish_trial(self, study_name, trial): print("value", trial.value)
            >>> study = hpo_lab.create_study()
            >>> detach = Printer().attach(study)
            >>> def objective(trial):
            ...     trial.report(0.5, step=0)
            ...     return 0.25
            >>> study.optimize(objective, n_trials=1)
            step 0 0.5
            value 0.25
            >>> detach()
        """
        return study.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        from hpo_lab.study._events import TRIAL_FINISHED, TRIAL_REPORTED

        trial = event.trial
        if trial is None:
            return
        if event.kind == TRIAL_REPORTED and event.step is not None:
            value = trial.intermediate_values.get(event.step)
            if value is not None:
                self._on_reported(event.study_name, trial, event.step, value)
        elif event.kind == TRIAL_FINISHED:
            self._on_finished(event.study_name, trial)

    def _ensure_started(self, study_name: str, trial: FrozenTrial) -> set[int]:
        key = (study_name, trial.number)
        steps = self._logged_steps.get(key)
        if steps is None:
            self._start_trial(study_name, trial)
            steps = self._logged_steps[key] = set()
        return steps

    def _on_reported(self, study_name: str, trial: FrozenTrial, step: int, value: float) -> None:
        with self._lock:
            if self._closed or (study_name, trial.number) in self._finished:
                return
            try:
                steps = self._ensure_started(study_name, trial)
                if step not in steps:
                    self._log_intermediate(study_name, trial, step, value)
                    steps.add(step)
            except Exception:
                _logger.exception("%s could not log trial %d", type(self).__name__, trial.number)

    def _on_finished(self, study_name: str, trial: FrozenTrial) -> None:
        with self._lock:
            key = (study_name, trial.number)
            if self._closed or key in self._finished:
                return
            try:
                steps = self._ensure_started(study_name, trial)
                for step, value in sorted(trial.intermediate_values.items()):
                    if step not in steps:
                        self._log_intermediate(study_name, trial, step, value)
                        steps.add(step)
                self._finish_trial(study_name, trial)
            except Exception:
                _logger.exception("%s could not log trial %d", type(self).__name__, trial.number)
            finally:
                self._finished.add(key)
                self._logged_steps.pop(key, None)

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def numeric_params(params: Mapping[str, Any]) -> dict[str, float]:
    """The parameters that are numbers (bools as 0/1), for trackers' numeric metrics.

    Example:
        >>> numeric_params({"lr": 0.1, "opt": "adam", "layers": 3, "bn": True})
        {'lr': 0.1, 'layers': 3.0, 'bn': 1.0}
    """
    out: dict[str, float] = {}
    for name, value in params.items():
        if isinstance(value, (bool, int, float)) and math.isfinite(float(value)):
            out[name] = float(value)
    return out


def state_of(trial: FrozenTrial) -> str:
    """The trial's state as text (``COMPLETE``, ``PRUNED``, ``FAIL``...).

    Example:
        >>> import hpo_lab
        >>> t = hpo_lab.create_trial(value=1.0, params={}, distributions={})
        >>> state_of(t)
        'COMPLETE'
    """
    state = trial.state
    return state.value if isinstance(state, TrialState) else str(state)

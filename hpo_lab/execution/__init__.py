"""Background runs: a runner thread asks, an executor evaluates, the runner tells.

``study.start(objective, ...)`` (or :func:`start_run`) returns a :class:`Run` at once; trials
run on threads, loky processes or a Dask cluster while the notebook stays free.
"""

from typing import Any

from hpo_lab.execution._base import BaseExecutor, Outcome
from hpo_lab.execution._proxy import TrialAbandonedError, TrialProxy
from hpo_lab.execution._run import Run, RunProgress, RunStatus
from hpo_lab.execution._runner import run_sync, start_run
from hpo_lab.study._launch import set_launcher


class _Launcher:
    """Hands ``Study.start`` and ``Study.optimize(n_jobs > 1)`` to the runner."""

    def start(self, study: Any, objective: Any, **kwargs: Any) -> Run:
        return start_run(study, objective, **kwargs)

    def run_sync(self, study: Any, objective: Any, **kwargs: Any) -> None:
        run_sync(study, objective, **kwargs)


set_launcher(_Launcher())

__all__ = [
    "BaseExecutor",
    "Outcome",
    "Run",
    "RunProgress",
    "RunStatus",
    "TrialAbandonedError",
    "TrialProxy",
    "run_sync",
    "start_run",
]

"""Background runs: a runner thread asks, an executor evaluates, the runner tells.

``study.start(objective, ...)`` (or :func:`start_run`) returns a :class:`Run` at once; trials
run on threads, loky processes or a Dask cluster while the notebook stays free.
"""

from hpo_lab.execution._base import BaseExecutor, Outcome
from hpo_lab.execution._proxy import TrialAbandonedError, TrialProxy
from hpo_lab.execution._run import Run, RunProgress, RunStatus
from hpo_lab.execution._runner import run_sync, start_run

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

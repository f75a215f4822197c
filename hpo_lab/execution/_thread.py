"""The thread executor: each trial runs in a daemon thread of this process.

Right for objectives that release the GIL (numpy, scikit-learn, torch). The objective gets the
real :class:`~hpo_lab.trial.Trial`; suggestions and reports go straight to the (thread-safe)
storage. A thread cannot be killed, so a trial past its timeout is marked FAIL and its thread
abandoned; being a daemon, it never holds up interpreter exit.
"""

from __future__ import annotations

import threading
import traceback
from typing import TYPE_CHECKING, Any

from hpo_lab.exceptions import TrialPruned
from hpo_lab.execution._base import BaseExecutor, Outcome
from hpo_lab.execution._run import mark_thread_owner

if TYPE_CHECKING:
    from hpo_lab.trial._trial import Trial

__all__ = ["ThreadExecutor"]


class ThreadExecutor(BaseExecutor):
    """Runs ``objective(trial)`` in a fresh daemon thread per trial.

    Example:
        >>> import queue, hpo_lab
        >>> inbox = queue.SimpleQueue()
        >>> study = hpo_lab.create_study()
        >>> ex = ThreadExecutor(lambda t: t.suggest_float("x", 0, 1) * 0 + 7)
        >>> ex.open(inbox.put, n_jobs=1)
        >>> ex.submit(0, study.ask())
        >>> kind, number, outcome = inbox.get(timeout=10)
        >>> kind, number, outcome.value
        ('done', 0, 7.0)
    """

    name = "thread"

    def __init__(self, objective: Any, run_label: str = "run") -> None:
        self._objective = objective
        self._run_label = run_label
        self._threads: dict[int, threading.Thread] = {}
        self._lock = threading.Lock()

    def submit(self, number: int, trial: Trial) -> None:
        thread = threading.Thread(
            target=self._work,
            args=(number, trial),
            name=f"hpo-{self._run_label}-trial-{number}",
            daemon=True,
        )
        with self._lock:
            self._threads[number] = thread
        thread.start()

    def _work(self, number: int, trial: Trial) -> None:
        mark_thread_owner(self.owner)
        try:
            value = self._objective(trial)
        except TrialPruned:
            outcome = Outcome("pruned")
        except BaseException as exc:
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            outcome = Outcome("error", None, exc, text, type(exc).__name__)
        else:
            outcome = Outcome("value", value)
        with self._lock:
            self._threads.pop(number, None)
        self._post(("done", number, outcome))

    def kill(self, number: int) -> bool:
        with self._lock:
            self._threads.pop(number, None)
        return False

    def shutdown(self, wait: bool = False) -> None:
        if wait:
            with self._lock:
                threads = list(self._threads.values())
            for thread in threads:
                thread.join()

"""The handle of a background run: status, progress and controls."""

from __future__ import annotations

import numbers
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hpo_lab.study._events import Event, EventBus
from hpo_lab.study._launch import RunProgress, RunStatus

if TYPE_CHECKING:
    from hpo_lab.study._study import Study

__all__ = [
    "RUN_STATE_CHANGED",
    "TRIAL_STARTED",
    "Run",
    "RunProgress",
    "RunStatus",
]

TRIAL_STARTED = "trial_started"
RUN_STATE_CHANGED = "run_state_changed"

# The run whose runner or thread-executor worker the current thread is: waiting for that run
# from such a thread would wait for itself.
_owner = threading.local()


def mark_thread_owner(run: Any) -> None:
    """Record that the current thread works for ``run`` (its runner or one of its workers)."""
    _owner.run = run


def _check_positive_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, but got {name}={value!r}")
    return int(value)


class Run:
    """A background run of a study, as returned by :meth:`Study.start`.

    The run's runner thread owns the ask/tell loop; this handle only reads its state and sends
    it controls, so every method is safe to call from any thread (a widget callback included).

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> run = study.start(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        >>> run.wait(timeout=60)
        True
        >>> run.status.value, run.progress.finished, study.run is None
        ('finished', 5, True)
    """

    def __init__(
        self, study: Study, n_trials: int | None, n_jobs: int, executor_name: str
    ) -> None:
        self._study = study
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._events = EventBus()
        self._status = RunStatus.RUNNING
        self._n_trials = n_trials
        self._n_jobs = n_jobs
        self._executor_name = executor_name
        self._exception: BaseException | None = None
        self._cancel_reason: Any = None  # a FailReason once stop(cancel=True) was asked
        self._closing = False  # the runner decided to end; extend() comes too late
        self._counts = {"complete": 0, "pruned": 0, "failed": 0}
        self._running = 0
        self._wake: Callable[[], None] = lambda: None
        # The objective and start_run arguments, so that a warm start can repeat the run; the
        # objective is dropped when the run ends (a finished run must not pin its closure).
        self._objective: Callable[[Any], Any] | None = None
        self._settings: dict[str, Any] = {}
        #: Numbers of the trials this run started, in order.
        self.numbers: list[int] = []

    # -- state -----------------------------------------------------------------------------------
    @property
    def study(self) -> Study:
        """The study the run adds trials to."""
        return self._study

    @property
    def status(self) -> RunStatus:
        """The run's :class:`RunStatus`."""
        return self._status

    @property
    def n_jobs(self) -> int:
        """How many trials may run at once."""
        return self._n_jobs

    @property
    def n_trials(self) -> int | None:
        """The trial budget (``None``: until stopped or timed out)."""
        return self._n_trials

    @property
    def executor(self) -> str:
        """``"thread"``, ``"process"`` or ``"dask"``."""
        return self._executor_name

    @property
    def progress(self) -> RunProgress:
        """Finished / total trials, and how many are running, pruned and failed."""
        with self._lock:
            c = self._counts
            return RunProgress(
                finished=c["complete"] + c["pruned"] + c["failed"],
                total=self._n_trials,
                running=self._running,
                complete=c["complete"],
                pruned=c["pruned"],
                failed=c["failed"],
            )

    @property
    def objective(self) -> Callable[[Any], Any] | None:
        """The objective while the run is live (``None`` once it has ended)."""
        return self._objective

    @property
    def settings(self) -> dict[str, Any]:
        """The :func:`~hpo_lab.execution.start_run` arguments this run was started with
        (``timeout``, ``n_jobs``, ``executor``, ``catch``, ``trial_timeout``, ``blas_threads``,
        ``gc_after_trial``; ``n_trials`` as first given), as a new dict.

        Example:
            >>> import hpo_lab
            >>> run = hpo_lab.create_study().start(lambda t: 1.0, n_trials=1, n_jobs=2)
            >>> run.settings["n_jobs"], run.settings["executor"]
            (2, 'thread')
            >>> run.wait(60)
            True
        """
        return dict(self._settings)

    @property
    def exception(self) -> BaseException | None:
        """The exception that ended the run (status ``failed``), else ``None``."""
        return self._exception

    def is_live(self) -> bool:
        """Whether the run has not ended yet."""
        return self._status.is_live()

    # -- controls --------------------------------------------------------------------------------
    def pause(self) -> None:
        """Start no new trials until :meth:`resume`; running trials finish. No-op once stopping."""
        self._transition(RunStatus.PAUSED, frm=(RunStatus.RUNNING,))

    def resume(self) -> None:
        """Start trials again after :meth:`pause`."""
        self._transition(RunStatus.RUNNING, frm=(RunStatus.PAUSED,))

    def stop(self, wait: bool = False, *, cancel: bool = False) -> None:
        """Start no new trials; the run ends when the running ones are done.

        With ``cancel=True`` running trials are marked FAIL (cancelled) at once: process
        workers are killed, threads are abandoned (they cannot be killed) and Dask tasks are
        told to give up. With ``wait=True`` return only when the run has ended.
        """
        from hpo_lab.trial._state import FailReason

        self._stop(FailReason.CANCELLED if cancel else None)
        if wait and not self._on_own_thread():
            # From the run's own threads (a callback, the objective) the run cannot end while
            # we wait, so stop(wait=True) there is the same as stop().
            self.wait()

    def _stop(self, cancel_reason: Any) -> None:
        with self._lock:
            if cancel_reason is not None and self._status.is_live():
                self._cancel_reason = cancel_reason
        self._transition(RunStatus.STOPPING, frm=(RunStatus.RUNNING, RunStatus.PAUSED))
        self._wake()

    def extend(self, n: int) -> None:
        """Add ``n`` trials to the budget of a live run.

        Example:
            >>> import threading, hpo_lab
            >>> gate = threading.Event()  # holds the first trial, so the run is still live
            >>> study = hpo_lab.create_study()
            >>> objective = lambda t: gate.wait() and t.suggest_float("x", 0, 1)
            >>> run = study.start(objective, n_trials=2)
            >>> run.extend(3); run.n_trials
            5
            >>> gate.set(); run.wait(60)
            True
            >>> len(study.trials)
            5
        """
        n = _check_positive_int("n", n, 1)
        with self._lock:
            if self._closing or not self._status.is_live():
                raise RuntimeError(
                    f"cannot extend a run that has ended (status {self._status.value}); "
                    "start a new one with study.start(...)"
                )
            if self._n_trials is None:
                raise ValueError(
                    "cannot extend a run without an n_trials budget (it runs until stopped "
                    "or timed out)"
                )
            self._n_trials += n
        self._wake()

    def set_n_jobs(self, n_jobs: int) -> None:
        """Allow ``n_jobs`` trials at once from now on (fewer: running trials still finish)."""
        n_jobs = _check_positive_int("n_jobs", n_jobs, 1)
        with self._lock:
            self._n_jobs = n_jobs
        self._wake()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run ends or ``timeout`` seconds pass; return whether it ended.

        Waits in short slices so that Ctrl-C reaches the caller promptly.
        """
        if timeout is not None and timeout < 0:
            raise ValueError(f"timeout must be >= 0 seconds or None, but got timeout={timeout!r}")
        if self._on_own_thread():
            raise RuntimeError(
                "run.wait() was called from one of the run's own threads (a subscribe or "
                "callbacks= callback, or the objective on the thread executor): the run cannot "
                "end while that thread waits. Call run.stop() there and wait elsewhere."
            )
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            slice_ = 0.1 if deadline is None else min(0.1, max(0.0, deadline - time.monotonic()))
            if self._done.wait(slice_):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` on ``trial_started``, ``trial_reported``, ``trial_finished``
        and ``run_state_changed`` (``event.data`` is the new :class:`RunStatus`) events of this
        run. Callbacks run on the runner's (or a worker's) thread and must be quick. Returns an
        unsubscribe function.
        """
        return self._events.subscribe(callback)

    # -- used by the runner ------------------------------------------------------------------------
    def _on_own_thread(self) -> bool:
        return getattr(_owner, "run", None) is self

    def _transition(self, to: RunStatus, frm: tuple[RunStatus, ...]) -> bool:
        with self._lock:
            if self._status not in frm:
                return False
            self._status = to
        self._emit_state(to)
        self._wake()
        return True

    def _emit_state(self, status: RunStatus) -> None:
        if self._events:
            self._events.emit(Event(RUN_STATE_CHANGED, self._study.study_name, data=status))

    def __repr__(self) -> str:
        return (
            f"Run(study={self._study.study_name!r}, status={self._status.value!r}, "
            f"progress='{self.progress}', executor={self._executor_name!r})"
        )

"""The runner thread: ask -> evaluate on an executor -> tell, and nothing else writes results.

One runner per :class:`~hpo_lab.execution.Run`. It asks trials (so the sampler sees every
RUNNING trial when it proposes the next one), hands them to the executor, answers the
requests of trial proxies, enforces budgets and per-trial timeouts, and tells every outcome.
Executors and the :class:`Run` handle talk to it through one inbox queue, so its state needs
no locks beyond the handle's.
"""

from __future__ import annotations

import gc
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hpo_lab import _validation
from hpo_lab.execution._base import BaseExecutor, Outcome
from hpo_lab.execution._exit import ensure_exit_hook_last, register_live, unregister_live
from hpo_lab.execution._run import TRIAL_STARTED, Run, RunStatus, mark_thread_owner
from hpo_lab.schedulers._base import BaseScheduler, Launch
from hpo_lab.study._events import TRIAL_FINISHED, TRIAL_REPORTED, Event
from hpo_lab.trial._base import TrialBase
from hpo_lab.trial._state import FailReason, TrialState

if TYPE_CHECKING:
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial
    from hpo_lab.trial._trial import Trial

__all__ = ["run_sync", "start_run"]

_logger = logging.getLogger("hpo_lab")

_start_lock = threading.Lock()


@dataclass
class _Flight:
    trial: Trial
    deadline: float | None
    announced: bool = False
    slot: int = 0


def _make_executor(
    executor: Any, objective: Any, n_jobs: int, blas_threads: int | None, label: str
) -> BaseExecutor:
    from hpo_lab.execution._limits import resolve_thread_limit

    if isinstance(executor, BaseExecutor):
        return executor
    if executor == "thread":
        from hpo_lab.execution._thread import ThreadExecutor

        return ThreadExecutor(objective, label)
    if executor == "process":
        from hpo_lab.execution._process import ProcessExecutor

        return ProcessExecutor(objective, resolve_thread_limit(blas_threads, n_jobs))
    from hpo_lab.execution._dask import DaskExecutor, is_dask_client

    if is_dask_client(executor):
        return DaskExecutor(executor, objective, resolve_thread_limit(blas_threads, n_jobs))
    raise ValueError(
        f"executor must be 'thread', 'process' or a distributed.Client, but got {executor!r}"
    )


class _Runner:
    # A resource budget (in the steps trials report, e.g. epochs), set by start_run: each trial
    # of the run counts its largest reported step, finished ones in `spent`.
    budget: float | None = None
    spent: float = 0.0

    def __init__(
        self,
        study: Study,
        objective: Callable[[Any], Any],
        run: Run,
        executor: BaseExecutor,
        timeout: float | None,
        catch: tuple[type[BaseException], ...],
        trial_timeout: float | None,
        callbacks: Sequence[Callable[[Study, FrozenTrial], None]],
        gc_after_trial: bool,
        scheduler: BaseScheduler | None = None,
    ) -> None:
        self.study = study
        self.scheduler = scheduler
        self.objective = objective
        self.run = run
        self.executor = executor
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.catch = catch
        self.trial_timeout = trial_timeout
        self.callbacks = tuple(callbacks)
        self.gc_after_trial = gc_after_trial
        self.inbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._post_lock = threading.Lock()
        self.flights: dict[int, _Flight] = {}
        self.started = 0
        self.exhausted = False
        self.executor_jobs = run._n_jobs
        self.thread = threading.Thread(
            target=self.loop, name=f"hpo-runner-{study.study_name}", daemon=True
        )
        run._wake = self.wake
        executor.owner = run

    def wake(self) -> None:
        self.inbox.put(("wake",))

    def _post(self, message: tuple[Any, ...]) -> None:
        # What executors post. An outcome carries the time it was posted, so whether a trial
        # ended before its deadline does not depend on when this thread reads it; the lock
        # makes the stamp and the put one step for _check_timeouts.
        with self._post_lock:
            if message[0] == "done":
                message = (*message, time.monotonic())
            self.inbox.put(message)

    # -- the loop ----------------------------------------------------------------------------------
    def loop(self) -> None:
        run = self.run
        mark_thread_owner(run)
        unsubscribe = self.study.subscribe(self._forward_report)
        try:
            self.executor.open(self._post, run._n_jobs)
            while True:
                self._apply_controls()
                self._launch()
                if self._should_end():
                    break
                try:
                    message: tuple[Any, ...] | None = self.inbox.get(timeout=self._wait_time())
                except queue.Empty:
                    message = None
                while message is not None:
                    self._handle(message)
                    try:
                        message = self.inbox.get_nowait()
                    except queue.Empty:
                        message = None
                self._check_timeouts()
        except BaseException as exc:
            _logger.exception("the runner of study %r failed", self.study.study_name)
            if run._exception is None:
                run._exception = exc
        finally:
            self._close(unsubscribe)

    def _wait_time(self) -> float:
        now = time.monotonic()
        wait = 0.25  # also how often a study.stop() from elsewhere is noticed
        if self.deadline is not None:
            wait = min(wait, max(0.0, self.deadline - now))
        for flight in self.flights.values():
            if flight.deadline is not None:
                wait = min(wait, max(0.0, flight.deadline - now))
        return wait

    def _apply_controls(self) -> None:
        run = self.run
        if self.study._stop_flag:  # study.stop(), e.g. from an optimize-style callback
            self.study._stop_flag = False
            run._stop(None)
        with run._lock:
            n_jobs = run._n_jobs
            cancel = run._cancel_reason
            run._cancel_reason = None
        if n_jobs != self.executor_jobs:
            self.executor_jobs = n_jobs
            self.executor.resize(n_jobs)
        if cancel is not None:
            why = (
                "the Python process was shutting down (a kernel restart, say) while it ran"
                if cancel == FailReason.INTERRUPTED
                else "the run was stopped and its running trials cancelled"
            )
            for number in list(self.flights):
                self._give_up(number, cancel, why)

    def _budget_left(self) -> bool:
        n_trials = self.run._n_trials
        if n_trials is not None and self.started >= n_trials:
            return False
        if self.budget is not None and self.resource_spent() >= self.budget:
            return False
        return self.deadline is None or time.monotonic() < self.deadline

    def _launch(self) -> None:
        run, study = self.run, self.study
        while (
            run._status == RunStatus.RUNNING
            and len(self.flights) < run._n_jobs
            and self._budget_left()
            and not self.exhausted
        ):
            if study.sampler.is_exhausted(study.view):
                self.exhausted = True
                return
            launch: Launch | None = None
            if self.scheduler is not None:
                if self.scheduler.done(study.view):
                    self.exhausted = True
                    return
                launch = self.scheduler.next(study.view)
                if launch is None:
                    if not self.flights:
                        _logger.warning(
                            "study %r: the scheduler has nothing to start and nothing is "
                            "running; the run ends", study.study_name,
                        )
                        self.exhausted = True
                    return
            # The lowest free slot names the worker lane, so the timeline shows the parallelism.
            busy = {f.slot for f in self.flights.values()}
            slot = next(i for i in range(len(busy) + 1) if i not in busy)
            worker = f"{type(self.executor).__name__}-{slot}"
            if launch is None:
                trial = study.ask(worker=worker)
            else:
                trial = study.ask(
                    worker=worker,
                    parent=launch.parent,
                    fixed_params=launch.params,
                    system_attrs=launch.system_attrs,
                )
            self.started += 1
            # Remote trials start their clock when a worker picks them up (their "_start"
            # handshake), so queueing and worker start-up do not count against trial_timeout.
            deadline = (
                None
                if self.trial_timeout is None or self.executor.remote
                else time.monotonic() + self.trial_timeout
            )
            self.flights[trial.number] = _Flight(trial, deadline, slot=slot)
            with run._lock:
                run._running = len(self.flights)
                run.numbers.append(trial.number)
            if run._events:  # before submitting, so it precedes the trial's own events
                run._events.emit(Event(TRIAL_STARTED, study.study_name, trial.freeze()))
            self.executor.submit(trial.number, trial)

    def _should_end(self) -> bool:
        if self.flights:
            return False
        run = self.run
        with run._lock:
            status = run._status
            end = (
                status == RunStatus.STOPPING
                or not self._budget_left()
                or self.exhausted
                or run._exception is not None
            )
            if end:
                run._closing = True
        return end

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "done":
            number, outcome = message[1], message[2]
            flight = self.flights.get(number)
            if flight is None:
                return
            posted = message[3] if len(message) > 3 else time.monotonic()
            if flight.deadline is not None and posted >= flight.deadline:
                # It ended past its limit: a timeout, whatever its worker reported.
                self._time_out(number, ended=True)
            else:
                del self.flights[number]
                self._tell(flight.trial, outcome)
        elif kind == "request":
            self._answer(message[1], message[2])

    def _answer(self, message: list[Any], reply: Callable[[list[Any]], None] | None) -> None:
        _, number, method, args, kwargs = message
        flight = self.flights.get(number)
        if flight is None:
            if reply is not None:
                reply(["gone", f"trial {number} is no longer running here (timed out, "
                               "cancelled or its run ended)"])
            return
        if method == "_start":
            if flight.announced:
                # Dask started the task again: the worker running it died.
                self.flights.pop(number)
                self._tell(flight.trial, Outcome(
                    "died", text="the worker evaluating it died (the task was rescheduled)"))
                if reply is not None:
                    reply(["ok", False])
                return
            flight.announced = True
            if self.trial_timeout is not None:
                flight.deadline = time.monotonic() + self.trial_timeout
            if reply is not None:
                reply(["ok", True])
            return
        if method == "_sync":
            if reply is not None:
                reply(["ok", None])
            return
        if method == "_objective":  # a worker without this run's objective in its cache
            if reply is not None:
                reply(["ok", getattr(self.executor, "payload", None)])
            return
        try:
            # Exactly the trial interface's primitives (see hpo_lab.trial.TrialBase).
            if method not in TrialBase.REMOTE:
                raise ValueError(f"a trial proxy cannot call {method!r}")
            answer = getattr(flight.trial, method)(*args, **kwargs)
        except Exception as exc:
            if reply is not None:
                reply(["err", type(exc).__name__, str(exc)])
            else:
                _logger.warning("trial %d: %s from a worker failed: %s", number, method, exc)
            return
        if reply is not None:
            reply(["ok", answer])

    def _tell(self, trial: Trial, outcome: Outcome) -> None:
        study, run = self.study, self.run
        fatal: BaseException | None = None
        if outcome.kind == "value":
            frozen = study.tell(trial, outcome.value, skip_if_finished=True)
        elif outcome.kind == "pruned":
            frozen = study.tell(trial, state=TrialState.PRUNED, skip_if_finished=True)
        elif outcome.kind == "error":
            exc = outcome.exception
            frozen = study.tell(
                trial,
                state=TrialState.FAIL,
                fail_reason=FailReason.EXCEPTION,
                fail_message=outcome.text,
                skip_if_finished=True,
            )
            caught = (
                isinstance(exc, self.catch)
                if exc is not None
                else any(issubclass(Exception, c) for c in self.catch)
            )
            if caught:
                first = outcome.text.strip().splitlines()[-1] if outcome.text else outcome.type_name
                _logger.warning("trial %d failed: %s", trial.number, first)
            else:
                fatal = exc if exc is not None else RuntimeError(outcome.text)
        elif outcome.kind == "died":
            frozen = study.tell(
                trial,
                state=TrialState.FAIL,
                fail_reason=FailReason.WORKER_DIED,
                fail_message=f"the worker process died: {outcome.text}",
                skip_if_finished=True,
            )
            _logger.warning("trial %d failed: its worker died (%s)", trial.number, outcome.text)
        else:
            frozen = study.tell(
                trial,
                state=TrialState.FAIL,
                fail_reason=FailReason.CANCELLED,
                fail_message=outcome.text or "the worker gave the trial up",
                skip_if_finished=True,
            )
        self._count(frozen)
        scheduler = self.scheduler
        if scheduler is not None:
            obsolete = scheduler.finished(study.view, frozen)
            if obsolete and not scheduler.keep_checkpoints:
                study._remove_checkpoints(obsolete)
        if fatal is not None:
            with run._lock:
                if run._exception is None:
                    run._exception = fatal
            run._transition(RunStatus.STOPPING, frm=(RunStatus.RUNNING, RunStatus.PAUSED))
        for callback in self.callbacks:
            callback(study, frozen)
        if self.gc_after_trial:
            gc.collect()

    def resource_spent(self) -> float:
        """The resource this run's trials have used so far (their largest reported steps)."""
        flights = list(self.flights.values())
        return self.spent + sum(f.trial._frozen.last_step or 0 for f in flights)

    def _count(self, frozen: FrozenTrial) -> None:
        self.spent += frozen.last_step or 0
        run = self.run
        key = {
            TrialState.COMPLETE: "complete",
            TrialState.PRUNED: "pruned",
        }.get(frozen.state, "failed")
        with run._lock:
            run._counts[key] += 1
            run._running = len(self.flights)
        if run._events:
            run._events.emit(Event(TRIAL_FINISHED, self.study.study_name, frozen))

    def _give_up(
        self, number: int, reason: FailReason, message: str, *, ended: bool = False
    ) -> None:
        flight = self.flights.pop(number, None)
        if flight is None:
            return
        # An evaluation that has already ended has nothing left to kill.
        killed = False if ended else self.executor.kill(number)
        if ended:
            message += "; it ended only after that"
        elif not killed and self.executor.name == "thread":
            if reason != FailReason.INTERRUPTED:
                message += "; its code may still finish in the background, unrecorded"
        elif not killed and self.executor.name == "dask":
            message += "; its Dask task cannot be killed and gives up at its next request"
        elif killed:
            message += "; its worker process was killed"
        try:
            frozen = self.study.tell(
                flight.trial, state=TrialState.FAIL, fail_reason=reason, fail_message=message,
                skip_if_finished=True,
            )
        except Exception:
            _logger.exception("could not mark trial %d FAIL (%s)", number, reason)
            return
        self._count(frozen)

    def _check_timeouts(self) -> None:
        if self.trial_timeout is None:
            return
        with self._post_lock:
            now = time.monotonic()
            due = [
                number
                for number, flight in self.flights.items()
                if flight.deadline is not None and now >= flight.deadline
            ]
            if not due:
                return
            # Everything posted before `now` is in the inbox: read it first, so an outcome
            # posted in time keeps its trial, however late this thread got to it.
            posted = []
            while True:
                try:
                    posted.append(self.inbox.get_nowait())
                except queue.Empty:
                    break
        for message in posted:
            self._handle(message)
        # A trial still without an outcome was running at `now`, past its deadline.
        for number in due:
            if number in self.flights:
                self._time_out(number)

    def _time_out(self, number: int, *, ended: bool = False) -> None:
        message = f"trial {number} ran past its per-trial limit of {self.trial_timeout:g} s"
        self._give_up(number, FailReason.TIMEOUT, message, ended=ended)

    def _forward_report(self, event: Event) -> None:
        # Study events from any thread; pass on reports of this run's trials.
        trial = event.trial
        if (
            event.kind == TRIAL_REPORTED
            and trial is not None
            and self.run._events
            and trial.number in self.flights
        ):
            self.run._events.emit(event)

    def _close(self, unsubscribe: Callable[[], None]) -> None:
        run = self.run
        for number in list(self.flights):
            self._give_up(number, FailReason.INTERRUPTED, "the run ended while it was running")
        try:
            self.executor.shutdown(wait=False)
        except Exception:
            _logger.exception("shutting the %s executor down failed", self.executor.name)
        unsubscribe()
        with run._lock:
            run._closing = True
            final = RunStatus.FAILED if run._exception is not None else RunStatus.FINISHED
            run._status = final
            run._running = 0
        unregister_live(self)
        # A finished run must not pin the objective (and whatever its closure holds) or the
        # executor: the study keeps its last Run, and the Run keeps nothing of the runner.
        run._wake = lambda: None
        run._runner = None  # type: ignore[attr-defined]
        self.objective = None  # type: ignore[assignment]
        run._objective = None
        self.executor.owner = None
        run._emit_state(final)
        run._done.set()


def start_run(
    study: Study,
    objective: Callable[[Any], Any],
    n_trials: int | None = None,
    timeout: float | None = None,
    n_jobs: int = 1,
    executor: Any = "thread",
    catch: Iterable[type[BaseException]] | type[BaseException] = (Exception,),
    *,
    trial_timeout: float | None = None,
    blas_threads: int | None = None,
    callbacks: Sequence[Callable[[Study, FrozenTrial], None]] | None = None,
    gc_after_trial: bool = False,
    scheduler: BaseScheduler | None = None,
    checkpoints: str = "auto",
    show_progress_bar: bool = False,
    budget: float | None = None,
) -> Run:
    """Start a background run of ``study`` and return its :class:`Run` at once.

    Args:
        objective: ``objective(trial) -> float``. On the process and Dask executors it gets a
            trial proxy with the same ``suggest_*``, ``report``, ``should_prune`` and
            ``set_user_attr`` methods, but no ``trial.study`` (only the runner holds the
            study). It is pickled once per run (an unpicklable one is a ``TypeError`` here)
            and loaded once per worker process; numpy values it passes are sent as Python
            numbers and lists.
        n_trials: How many trials this run starts (``None``: until stopped or timed out).
        timeout: Start no trial after this many seconds (running ones finish).
        n_jobs: Trials evaluated at once (``-1``: one per core).
        executor: ``"thread"``, ``"process"`` (loky) or a ``distributed.Client``.
        catch: Exceptions from the objective that fail the trial and let the run go on; any
            other exception fails the trial and ends the run (status ``failed``).
        trial_timeout: Per-trial limit in seconds; a trial past it is FAIL (timeout) and, on
            the process executor, its worker is killed.
        blas_threads: BLAS/OpenMP threads per process or Dask worker (default: its share of
            the cores at start; ``run.set_n_jobs`` does not change it, as workers already
            set theirs).
        callbacks: ``callback(study, frozen_trial)`` after each trial, on the runner thread.
        gc_after_trial: Run the garbage collector after each trial.
        scheduler: Decides what starts next instead of the sampler alone, for example
            :class:`hpo_lab.pbt.PopulationBasedTraining`; the run ends when it is done (or at
            ``n_trials``, ``timeout`` or ``stop()``).
        checkpoints: How process and Dask workers reach ``trial.checkpoint``: ``"auto"``
            (directly when they can reach the study's folder, else through the runner) or
            ``"scheduler"`` (always through the runner, for workers on machines that do not
            share the folder).
        show_progress_bar: Show the run's progress on one terminal line until it ends
            (:func:`hpo_lab.progress.attach_progress`; not drawn in a notebook, whose panel
            shows it).
        budget: A resource budget in the units of the steps trials report (epochs, samples,
            seconds): no trial starts once the run's trials have used it, each counting its
            largest reported step (report ``step=epoch + 1`` to count epochs from 1). Trials
            running then finish, so a run spends at most ``n_jobs`` trials' worth more. It
            combines with ``n_trials`` and ``timeout``: whichever is spent first ends the run.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> run = start_run(study, lambda t: t.suggest_int("k", 0, 9), n_trials=4, n_jobs=2)
        >>> run.wait(60), len(study.trials)
        (True, 4)
    """
    if not callable(objective):
        raise TypeError(f"objective must be callable, but got {objective!r}")
    n_trials = _validation.check_n_trials(n_trials)
    timeout = _validation.check_seconds("timeout", timeout)
    trial_timeout = _validation.check_seconds("trial_timeout", trial_timeout)
    n_jobs = _validation.check_n_jobs(n_jobs)
    catch_types = _validation.check_catch(catch)
    callbacks = _validation.check_callbacks(callbacks)
    budget = _validation.check_budget(budget)
    if scheduler is not None and not isinstance(scheduler, BaseScheduler):
        raise TypeError(
            f"scheduler must be a hpo_lab scheduler (for example "
            f"hpo_lab.pbt.PopulationBasedTraining), but got {scheduler!r}"
        )
    if checkpoints not in ("auto", "scheduler"):
        raise ValueError(
            f"checkpoints must be 'auto' or 'scheduler', but got checkpoints={checkpoints!r}"
        )
    if scheduler is not None:
        scheduler.check(study.view)
    with _start_lock:
        live = study.run
        if live is not None:
            raise RuntimeError(
                f"study {study.study_name!r} already has a live run ({live.status.value}); "
                "stop it (run.stop()) or wait for it (run.wait()) before starting another"
            )
        ensure_exit_hook_last()
        study._stop_flag = False  # a study.stop() from before this run is not meant for it
        ex = _make_executor(executor, objective, n_jobs, blas_threads, study.study_name)
        ex.checkpoints = checkpoints
        run = Run(study, n_trials, n_jobs, ex.name)
        run._objective = objective
        run._settings = {
            "n_trials": n_trials,
            "timeout": timeout,
            "n_jobs": n_jobs,
            "executor": executor,
            "catch": catch_types,
            "trial_timeout": trial_timeout,
            "blas_threads": blas_threads,
            "gc_after_trial": gc_after_trial,
            "scheduler": scheduler,
            "checkpoints": checkpoints,
            "budget": budget,
        }
        runner = _Runner(
            study, objective, run, ex, timeout, catch_types, trial_timeout,
            callbacks, gc_after_trial, scheduler,
        )
        runner.budget = budget
        study._run = run
        register_live(runner)
        run._runner = runner  # type: ignore[attr-defined]  # keeps the runner alive with its run
    if show_progress_bar:  # subscribed before the thread starts, so it misses no trial
        from hpo_lab.progress import attach_progress

        attach_progress(run)
    runner.thread.start()
    return run


def run_sync(
    study: Study,
    objective: Callable[[Any], Any],
    n_trials: int | None = None,
    timeout: float | None = None,
    n_jobs: int = 1,
    executor: Any = "thread",
    catch: Iterable[type[BaseException]] | type[BaseException] = (),
    **kwargs: Any,
) -> None:
    """The synchronous form: run the same loop as :func:`start_run` and wait for it.

    Ctrl-C (or a kernel interrupt) stops the run cleanly: running trials are marked FAIL
    (interrupted), process workers are killed, and ``KeyboardInterrupt`` propagates. An
    exception not in ``catch`` is re-raised once running trials are done.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> run_sync(study, lambda t: t.suggest_float("x", 0, 1), n_trials=6, n_jobs=2)
        >>> len(study.trials)
        6
    """
    run = start_run(study, objective, n_trials, timeout, n_jobs, executor, catch, **kwargs)
    try:
        run.wait()
    except KeyboardInterrupt:
        run._stop(FailReason.INTERRUPTED)
        while True:
            try:
                run.wait()
                break
            except KeyboardInterrupt:  # a second Ctrl-C: the cleanup is already quick
                continue
        raise
    if run.exception is not None:
        raise run.exception

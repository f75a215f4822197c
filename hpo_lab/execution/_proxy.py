"""The trial an objective receives in a worker process, and the channels back to the runner.

In a worker process (loky) or a Dask worker the real :class:`~hpo_lab.trial.Trial` stays with
the runner, the only writer of the run's results. The objective gets a :class:`TrialProxy`,
which derives from the same :class:`~hpo_lab.trial.TrialBase` as the real trial: everything an
objective sees or calls is the same code; only the four primitives of
:attr:`TrialBase.REMOTE <hpo_lab.trial.TrialBase.REMOTE>` travel, each as that table says
(``"call"`` blocks for the runner's answer, ``"send"`` is one-way). The proxy starts from the
trial's record as the runner had it at submission and mirrors what it sends. Messages on one
channel arrive in the order they were sent, so a ``should_prune`` is always answered after the
reports that precede it.

Wire format (plain tuples/lists of JSON-compatible values, so Dask queues can carry them)::

    ["call" | "send", trial_number, primitive, args, kwargs]   worker -> runner
    ["ok", value] | ["err", exception_type, message] | ["gone", message]   runner -> worker
"""

from __future__ import annotations

import os
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from hpo_lab import _json
from hpo_lab.exceptions import TrialPruned
from hpo_lab.trial._base import TrialBase
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

__all__ = [
    "Channel",
    "DaskChannel",
    "RemoteJob",
    "ShippedObjective",
    "SocketChannel",
    "TrialAbandonedError",
    "TrialProxy",
    "run_remote_trial",
]

# The exceptions a runner may send back by name; anything else arrives as a RuntimeError.
_REMOTE_ERRORS: dict[str, type[Exception]] = {
    "ValueError": ValueError,
    "TypeError": TypeError,
    "KeyError": KeyError,
    "RuntimeError": RuntimeError,
}


class TrialAbandonedError(RuntimeError):
    """The runner no longer waits for this trial (it timed out, was cancelled or the run ended)."""


class Channel(Protocol):
    """What a proxy needs from its way back to the runner."""

    def request(self, message: list[Any]) -> list[Any]:
        """Send ``message`` and block for the answer."""

    def send(self, message: list[Any]) -> None:
        """Send ``message`` without waiting."""


# One connection per worker process and runner address: a worker runs one trial at a time, so
# requests and answers on it never interleave.
_connections: dict[str, Any] = {}
_connections_lock = threading.Lock()
_dask_queues: dict[str, Any] = {}
_dask_events: dict[str, Any] = {}
_DASK_CHECK_S = 0.5  # how often a waiting task checks whether its run has ended
_process_token = uuid.uuid4().hex[:12]  # unique per process, across hosts


class SocketChannel:
    """A channel over a local socket (``multiprocessing.connection``), for loky workers.

    Only the address and the key travel to the worker; it connects on first use.

    Example:
        >>> ch = SocketChannel("/tmp/nowhere.sock", b"key")
        >>> ch.address
        '/tmp/nowhere.sock'
    """

    def __init__(self, address: str, authkey: bytes) -> None:
        self.address = address
        self.authkey = authkey

    def _connection(self) -> Any:
        from multiprocessing.connection import Client

        with _connections_lock:
            conn = _connections.get(self.address)
            if conn is None:
                try:
                    conn = Client(self.address, family="AF_UNIX", authkey=self.authkey)
                except OSError as exc:
                    raise TrialAbandonedError(
                        f"the runner at {self.address} cannot be reached ({exc})"
                    ) from None
                # A worker serves one run at a time; connections to earlier runners are dead.
                for old in _connections.values():
                    try:
                        old.close()
                    except OSError:
                        pass
                _connections.clear()
                _connections[self.address] = conn
            return conn

    def _drop(self) -> None:
        with _connections_lock:
            _connections.pop(self.address, None)

    def request(self, message: list[Any]) -> list[Any]:
        conn = self._connection()
        try:
            conn.send(message)
            reply: list[Any] = conn.recv()
        except (EOFError, OSError) as exc:
            self._drop()
            raise TrialAbandonedError(f"the runner went away ({exc!r})") from None
        return reply

    def send(self, message: list[Any]) -> None:
        conn = self._connection()
        try:
            conn.send(message)
        except OSError as exc:
            self._drop()
            raise TrialAbandonedError(f"the runner went away ({exc!r})") from None


class DaskChannel:
    """A channel over ``distributed.Queue`` objects (Dask's Pub/Sub is gone).

    Requests go to one queue the runner reads; each trial attempt gets its own answer queue,
    named in its requests. Messages travel as JSON text (queues carry msgpack-able data only).

    Example:
        >>> DaskChannel("hpo-run-1-requests").request_queue
        'hpo-run-1-requests'
    """

    def __init__(self, request_queue: str, closed_event: str | None = None) -> None:
        self.request_queue = request_queue
        self.closed_event = closed_event

    def _queue(self, name: str) -> Any:
        # Queue handles are kept per worker process: creating one is a scheduler round trip.
        queue = _dask_queues.get(name)
        if queue is None:
            import distributed

            make_queue: Any = distributed.Queue
            queue = make_queue(name, client=distributed.get_client())
            _dask_queues[name] = queue
        return queue

    def _reply_queue_name(self) -> str:
        # One answer queue per worker thread: a thread runs one trial at a time, so answers
        # cannot cross, and the handle (and the runner's) is reused from trial to trial.
        return (
            f"{self.request_queue}-reply-{_process_token}-{os.getpid()}-{threading.get_ident()}"
        )

    def request(self, message: list[Any]) -> list[Any]:
        reply_name = self._reply_queue_name()
        reply_queue = self._queue(reply_name)
        self._check_open()
        self._queue(self.request_queue).put(_json.dumps([*message, reply_name]))
        # Polled, not a blocking get: a runner that ended answers nothing more, and a task
        # blocked for good would hold its Dask worker thread forever. A batch get returns at
        # once (a get with a timeout would log a scheduler error each time it expires).
        pause = 0.001
        next_check = time.monotonic() + _DASK_CHECK_S
        while True:
            texts = reply_queue.get(batch=True)
            if texts:
                reply: list[Any] = _json.loads(texts[0])
                return reply
            if time.monotonic() >= next_check:
                self._check_open()
                next_check = time.monotonic() + _DASK_CHECK_S
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _check_open(self) -> None:
        if self.closed_event is None:
            return
        event = _dask_events.get(self.closed_event)
        if event is None:
            import distributed

            make_event: Any = distributed.Event
            event = make_event(self.closed_event, client=distributed.get_client())
            _dask_events[self.closed_event] = event
        if event.is_set():
            raise TrialAbandonedError("the run this trial belongs to has ended")

    def send(self, message: list[Any]) -> None:
        self._check_open()
        self._queue(self.request_queue).put(_json.dumps([*message, None]))


def plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays turned into Python numbers and lists.

    What goes over a channel must be plain data (Dask's travels as JSON), and the thread
    executor's real trial accepts numpy values, so the proxy converts them before sending.

    Example:
        >>> import numpy as np
        >>> plain([np.int64(3), (np.float32(0.5), "a"), {"k": np.arange(2)}])
        [3, (0.5, 'a'), {'k': [0, 1]}]
    """
    if isinstance(value, (str, bytes, bool, int, float, type(None))):
        return value
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()  # a numpy scalar gives a Python scalar, an array nested lists
    return value


@dataclass(frozen=True)
class ShippedObjective:
    """A run's objective as sent to a worker: pickled once per run and unpickled once per
    worker process (cached under ``token``). Without ``payload`` the worker asks the runner
    for it on its first trial of the run.
    """

    token: str
    payload: bytes | None = None


# Unpickled objectives by run token. Two entries: a Dask worker's threads may serve two runs.
_objectives: dict[str, Any] = {}
_objectives_lock = threading.Lock()


def _resolve_objective(objective: Any, proxy: TrialProxy) -> Any:
    if not isinstance(objective, ShippedObjective):
        return objective
    with _objectives_lock:
        cached = _objectives.get(objective.token)
    if cached is not None:
        return cached
    payload = objective.payload
    if payload is None:
        payload = proxy._call("_objective")
    if not isinstance(payload, bytes):
        raise TrialAbandonedError("the runner has no objective to send (its run ended)")
    import cloudpickle

    loaded = cloudpickle.loads(payload)
    with _objectives_lock:
        while len(_objectives) >= 2:
            del _objectives[next(iter(_objectives))]
        _objectives[objective.token] = loaded
    return loaded


@dataclass(frozen=True)
class RemoteJob:
    """What a worker needs to evaluate one trial: its record, channel and limits.

    Example:
        >>> job = RemoteJob.for_trial(FrozenTrial(4, TrialState.RUNNING), channel=None)
        >>> job.number, job.frozen.state.value
        (4, 'RUNNING')
    """

    number: int
    trial_id: int
    channel: Any
    frozen: FrozenTrial | None = None
    relative_params: dict[str, Any] | None = None
    thread_limit: int | None = None
    handshake: bool = False
    parent_pid: int | None = None
    checkpoints: str = "auto"

    @classmethod
    def for_trial(
        cls,
        trial: FrozenTrial | TrialBase,
        channel: Any,
        **options: Any,
    ) -> RemoteJob:
        """The job for ``trial`` (the real trial, or its record), sent over ``channel``."""
        if isinstance(trial, TrialBase):
            frozen, relative = trial.freeze(), trial.relative_params
        else:
            frozen, relative = trial, {}
        return cls(
            number=frozen.number,
            trial_id=frozen.trial_id,
            channel=channel,
            frozen=frozen,
            relative_params=relative,
            **options,
        )


_watchdog_started = False


def _watch_parent(parent_pid: int) -> None:
    """Exit this worker when the process that started it is gone.

    A runner killed with SIGKILL cannot stop its workers; without this they would wait for
    work forever (and keep the dead runner's pipes open).
    """
    global _watchdog_started
    if _watchdog_started:
        return
    _watchdog_started = True

    def watch() -> None:
        import time

        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="hpo-parent-watchdog", daemon=True).start()


def _raise_reply(reply: list[Any]) -> Any:
    kind = reply[0]
    if kind == "ok":
        return reply[1]
    if kind == "gone":
        raise TrialAbandonedError(str(reply[1]))
    error = _REMOTE_ERRORS.get(str(reply[1]), RuntimeError)
    raise error(str(reply[2]))


class TrialProxy(TrialBase):
    """The trial an objective gets in a worker process: :class:`~hpo_lab.trial.TrialBase`
    with its primitives forwarded to the runner that owns the real trial.

    Everything else (validation, the record it reads ``params``, ``user_attrs`` and the rest
    from, the Optuna spellings) is the real trial's code. ``study`` is not available in a
    worker: only the runner holds the study.

    Example:
        >>> class Echo:  # a channel that answers every suggestion with the lower bound
        ...     def request(self, message):
        ...         if message[2] == "_suggest":
        ...             return ["ok", message[3][1]["low"]]
        ...         return ["ok", False]
        ...     def send(self, message):
        ...         pass
        >>> job = RemoteJob.for_trial(FrozenTrial(3, TrialState.RUNNING), channel=Echo())
        >>> proxy = TrialProxy(job)
        >>> proxy.suggest_int("k", 2, 9), proxy.params, proxy.should_prune()
        (2, {'k': 2}, False)
    """

    def __init__(self, job: RemoteJob) -> None:
        self._job = job
        self._channel: Channel = job.channel
        self._frozen = job.frozen or FrozenTrial(
            job.number, TrialState.RUNNING, trial_id=job.trial_id
        )
        self._relative_params = dict(job.relative_params or {})
        self._unsynced = False  # one-way messages sent since the last answered request

    @property
    def study(self) -> Any:
        """Not available in a worker process."""
        raise AttributeError(
            "trial.study is not available in a worker process: only the runner holds the study"
        )

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        message = ["call", self._job.number, method, plain(list(args)), plain(kwargs)]
        reply = self._channel.request(message)
        self._unsynced = False
        return _raise_reply(reply)

    def _send(self, method: str, *args: Any) -> None:
        self._channel.send(["send", self._job.number, method, plain(list(args)), {}])
        self._unsynced = True

    def _flush(self) -> None:
        """Block until the runner has handled every one-way message sent so far.

        The result travels on another path (the pool's result pipe or Dask), which may
        overtake the channel: without this, a last ``report`` could land after the trial
        was told and be lost.
        """
        if self._unsynced:
            self._call("_sync")

    def _forward(self, method: str, *args: Any) -> Any:
        if TrialBase.REMOTE[method] == "call":
            return self._call(method, *args)
        self._send(method, *args)
        return None

    # The primitives, forwarded as TrialBase.REMOTE says.
    def _suggest(self, name: str, declared: dict[str, Any]) -> Any:
        return self._forward("_suggest", name, declared)

    def _report(self, step: int, value: float) -> None:
        self._forward("_report", step, value)

    def _should_prune(self) -> bool:
        return bool(self._forward("_should_prune"))

    def _set_attr(self, key: str, value: Any, system: bool) -> None:
        self._forward("_set_attr", key, value, system)

    def _checkpoint_dirs(self) -> dict[str, str | None]:
        dirs: dict[str, str | None] = self._forward("_checkpoint_dirs")
        return dirs

    def _checkpoint_put(self, data: str) -> None:
        self._forward("_checkpoint_put", data)

    def _checkpoint_get(self, which: str, exists_only: bool) -> str | None:
        answer: str | None = self._forward("_checkpoint_get", which, exists_only)
        return answer

    def _checkpoint_saved(self, size: int) -> None:
        self._forward("_checkpoint_saved", size)

    def _folder_shared(self, root: str) -> bool:
        if self._job.checkpoints == "scheduler":
            return False
        return super()._folder_shared(root)


def run_remote_trial(objective: Any, job: RemoteJob) -> tuple[Any, ...]:
    """Evaluate ``objective`` (a callable or a :class:`ShippedObjective`) on a proxy in a
    worker; return the outcome as a plain tuple.

    ``("value", v)``, ``("pruned",)``, ``("error", pickled_exception_or_None, traceback_text,
    type_name)`` or ``("abandoned",)``. Exceptions are caught here so that only a dying process
    (not a raising objective) ever breaks a pool.
    """
    if job.parent_pid is not None:
        _watch_parent(job.parent_pid)
    if job.thread_limit is not None:
        from hpo_lab.execution._limits import apply_thread_limits

        apply_thread_limits(job.thread_limit)
    proxy = TrialProxy(job)
    try:
        # Before the handshake, which starts the trial's clock: loading a large objective
        # is worker start-up, not evaluation.
        objective = _resolve_objective(objective, proxy)
        if job.handshake and not proxy._call("_start", os.getpid()):
            return ("abandoned",)
        try:
            value = objective(proxy)
        finally:
            proxy._flush()
    except TrialPruned:
        return ("pruned",)
    except TrialAbandonedError:
        return ("abandoned",)
    except BaseException as exc:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        pickled: bytes | None
        try:
            import cloudpickle

            pickled = cloudpickle.dumps(exc)
        except Exception:
            pickled = None
        return ("error", pickled, text, type(exc).__name__)
    return ("value", _portable(value))


def _portable(value: Any) -> Any:
    # Return values travel back by pickle; numbers become floats so nothing unpicklable
    # (a tensor, a lazy array) breaks the pool. Anything else is kept for tell() to judge.
    if isinstance(value, (bool, str, type(None), tuple, list)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return repr(value)

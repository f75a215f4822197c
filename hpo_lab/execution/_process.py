"""The process executor: trials run in loky worker processes, objectives travel by cloudpickle.

Right for pure-Python CPU-bound objectives (the GIL would serialise threads), and functions
defined in a notebook work because cloudpickle ships them by value.

Each worker slot is its own single-process loky pool. A loky pool whose worker dies is broken
as a whole (every pending task fails), so one pool per slot is what lets a dead worker fail
only its own trial: the slot gets a fresh pool and the others never notice. The same is how a
per-trial timeout kills exactly one evaluation.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import uuid
from typing import TYPE_CHECKING, Any

from hpo_lab.execution._base import (
    BaseExecutor,
    Outcome,
    Post,
    outcome_from_remote,
    pickle_objective,
)
from hpo_lab.execution._exit import ensure_exit_hook_last, register_cleanup
from hpo_lab.execution._limits import thread_limit_env
from hpo_lab.execution._proxy import (
    RemoteJob,
    ShippedObjective,
    SocketChannel,
    run_remote_trial,
)

if TYPE_CHECKING:
    from hpo_lab.trial._trial import Trial

__all__ = ["ProcessExecutor", "SocketServer", "shutdown_spare_pools"]

# An objective that ran out of memory leaves its process in an unknown state (and a memory
# rlimit it set would stay): such a worker is replaced, like a dead one.
_RECYCLE_AFTER = ("MemoryError",)

# Idle single-worker pools left by finished runs, reused by the next run with the same thread
# limit: starting a worker (a fresh interpreter importing numpy and hpo_lab) costs about as
# much as dozens of short trials, and notebooks start many short runs.
_spare_lock = threading.Lock()
_spare: list[tuple[int | None, Any]] = []
_MAX_SPARE = max(2, os.cpu_count() or 1)


def _healthy(pool: Any) -> bool:
    flags = getattr(pool, "_flags", None)
    return flags is None or not (flags.broken or flags.shutdown)


def _take_spare(thread_limit: int | None) -> Any:
    with _spare_lock:
        for i, (limit, pool) in enumerate(_spare):
            if limit == thread_limit:
                del _spare[i]
                if _healthy(pool):
                    return pool
                _kill_pool(pool)
                return None
    return None


def _give_spare(thread_limit: int | None, pool: Any) -> None:
    if not _healthy(pool):
        _kill_pool(pool)
        return
    with _spare_lock:
        _spare.append((thread_limit, pool))
        # The most recently used pools are the likeliest to be asked for again.
        evicted = [p for _, p in _spare[:-_MAX_SPARE]]
        del _spare[:-_MAX_SPARE]
    for old in evicted:
        _kill_pool(old)


def shutdown_spare_pools() -> None:
    """Kill the idle worker processes kept for later runs.

    Example:
        >>> shutdown_spare_pools()
    """
    with _spare_lock:
        pools = [pool for _, pool in _spare]
        _spare.clear()
    for pool in pools:
        _kill_pool(pool)


register_cleanup(shutdown_spare_pools)


def _import_loky() -> Any:
    try:
        import cloudpickle  # noqa: F401
        import loky
    except ImportError:
        raise ImportError(
            "executor='process' needs loky and cloudpickle: pip install 'hpo_lab[process]'"
        ) from None
    return loky


class SocketServer:
    """The runner's end of the worker channels: a local socket, one reader thread per worker.

    Each request is posted to the runner as ``("request", message, reply)``.

    Example:
        >>> import queue
        >>> inbox = queue.SimpleQueue()
        >>> server = SocketServer(inbox.put)
        >>> channel = server.channel()
        >>> channel.send(["send", 0, "report", [0.5, 1], {}])
        >>> inbox.get(timeout=10)[1]
        ['send', 0, 'report', [0.5, 1], {}]
        >>> server.close()
    """

    def __init__(self, post: Post) -> None:
        from multiprocessing.connection import Listener

        self._post = post
        self._dir = tempfile.mkdtemp(prefix="hpo-run-")
        self._address = os.path.join(self._dir, "runner.sock")
        self._authkey = os.urandom(24)
        self._listener = Listener(self._address, family="AF_UNIX", authkey=self._authkey)
        self._closing = False
        self._conns: list[Any] = []
        self._lock = threading.Lock()
        self._acceptor = threading.Thread(
            target=self._accept_loop, name="hpo-channel-accept", daemon=True
        )
        self._acceptor.start()

    def channel(self) -> SocketChannel:
        """The picklable channel a worker uses to reach this server."""
        return SocketChannel(self._address, self._authkey)

    def _accept_loop(self) -> None:
        while not self._closing:
            try:
                conn = self._listener.accept()
            except Exception:  # a failed handshake (the closing waker, or a stranger)
                if self._closing:
                    return
                continue
            if self._closing:
                conn.close()
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(
                target=self._read_loop, args=(conn,), name="hpo-channel-read", daemon=True
            ).start()

    def _read_loop(self, conn: Any) -> None:
        def reply(answer: list[Any]) -> None:
            try:
                conn.send(answer)
            except OSError:
                pass  # the worker died while waiting; its death is reported elsewhere

        while True:
            try:
                message = conn.recv()
            except Exception:  # EOF, a reset, or close() from the runner while reading
                break
            self._post(("request", message, reply if message[0] == "call" else None))
        with self._lock:
            if conn in self._conns:
                self._conns.remove(conn)
        try:
            conn.close()
        except OSError:
            pass

    def close(self) -> None:
        """Stop accepting, close every connection and remove the socket file."""
        if self._closing:
            return
        self._closing = True
        import socket

        # accept() does not return on close(); a bare connection wakes it. Not an
        # authenticated Client: its handshake would wait on an acceptor that may be gone.
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as waker:
                waker.settimeout(1.0)
                waker.connect(self._address)
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.close()
            except OSError:
                pass
        shutil.rmtree(self._dir, ignore_errors=True)


class ProcessExecutor(BaseExecutor):
    """Runs trials in loky worker processes; the objective gets a trial proxy.

    Args:
        objective: Any callable cloudpickle can ship (lambdas and notebook functions work).
        thread_limit: BLAS/OpenMP threads per worker (``None``: no limit set).

    Example:
        >>> import queue, hpo_lab
        >>> inbox = queue.SimpleQueue()
        >>> ex = ProcessExecutor(lambda t: 42)
        >>> ex.open(inbox.put, n_jobs=1)
        >>> ex.submit(0, hpo_lab.create_study().ask())
        >>> kind, message, reply = inbox.get(timeout=120)  # the worker asks for the objective
        >>> message[2], reply(["ok", ex.payload])
        ('_objective', None)
        >>> kind, message, reply = inbox.get(timeout=120)  # and says it started the trial
        >>> message[2], reply(["ok", True])
        ('_start', None)
        >>> inbox.get(timeout=120)[2].value
        42.0
        >>> ex.shutdown()
    """

    name = "process"
    remote = True
    can_kill = True

    def __init__(self, objective: Any, thread_limit: int | None = None) -> None:
        self._loky = _import_loky()
        # Pickled once here (an unpicklable objective is a clear error at start, not a failed
        # trial per worker); each worker process asks for it once and caches it by token.
        self.payload = pickle_objective(objective)
        self._shipped = ShippedObjective(uuid.uuid4().hex)
        self._thread_limit = thread_limit
        self._lock = threading.Lock()
        self._idle: list[Any] = []
        self._busy: dict[int, Any] = {}
        self._server: SocketServer | None = None
        self._closed = False

    def open(self, post: Post, n_jobs: int) -> None:
        super().open(post, n_jobs)
        self._server = SocketServer(post)
        self._channel = self._server.channel()

    def _new_pool(self) -> Any:
        env = thread_limit_env(self._thread_limit) if self._thread_limit is not None else None
        return self._loky.ProcessPoolExecutor(max_workers=1, env=env)

    def submit(self, number: int, trial: Trial) -> None:
        job = RemoteJob.for_trial(
            trial,
            self._channel,
            thread_limit=self._thread_limit,
            handshake=True,  # starts the trial's clock once a worker has it
            parent_pid=os.getpid(),
            checkpoints=self.checkpoints,
        )
        with self._lock:
            pool = self._idle.pop() if self._idle else None
        if pool is None:
            pool = _take_spare(self._thread_limit) or self._new_pool()
        with self._lock:
            self._busy[number] = pool
        try:
            future = pool.submit(run_remote_trial, self._shipped, job)
        except Exception as exc:  # a pool broken between trials: report it as the trial's
            self._finish(number, pool, Outcome("died", text=f"{type(exc).__name__}: {exc}"))
            return
        future.add_done_callback(lambda f: self._on_done(number, pool, f))
        ensure_exit_hook_last()  # loky adds its exit hook when its first pool starts

    def _on_done(self, number: int, pool: Any, future: Any) -> None:
        try:
            outcome = outcome_from_remote(future.result())
        except BaseException as exc:
            # TerminatedWorkerError / BrokenProcessPool: the process died under the trial.
            outcome = Outcome("died", text=f"{type(exc).__name__}: {exc}")
        self._finish(number, pool, outcome)

    def _finish(self, number: int, pool: Any, outcome: Outcome) -> None:
        discard = outcome.kind == "died" or outcome.type_name in _RECYCLE_AFTER
        with self._lock:
            mine = self._busy.get(number) is pool
            if mine:
                del self._busy[number]
                if (
                    not discard
                    and not self._closed
                    and len(self._idle) + len(self._busy) < self._n_jobs
                ):
                    self._idle.append(pool)
                    pool = None
        if pool is not None and mine:
            _kill_pool(pool)
        self._post(("done", number, outcome))

    def kill(self, number: int) -> bool:
        with self._lock:
            pool = self._busy.pop(number, None)
        if pool is None:
            return False
        _kill_pool(pool)
        return True

    def resize(self, n_jobs: int) -> None:
        super().resize(n_jobs)
        with self._lock:
            extra = max(0, len(self._idle) + len(self._busy) - n_jobs)
            doomed = [self._idle.pop() for _ in range(min(extra, len(self._idle)))]
        for pool in doomed:
            _give_spare(self._thread_limit, pool)

    def shutdown(self, wait: bool = False) -> None:
        with self._lock:
            self._closed = True
            idle, busy = self._idle, list(self._busy.values())
            self._idle, self._busy = [], {}
        for pool in busy:
            if wait:
                pool.shutdown(wait=True)
                idle.append(pool)
            else:
                _kill_pool(pool)
        for pool in idle:
            _give_spare(self._thread_limit, pool)
        if self._server is not None:
            self._server.close()


def _kill_pool(pool: Any) -> None:
    # SIGKILL first: shutdown(kill_workers=True) alone waits for the manager thread, and a
    # worker stuck in C code would keep it waiting.
    for pid in list(getattr(pool, "_processes", {}) or {}):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        pool.shutdown(wait=False, kill_workers=True)
    except Exception:
        pass

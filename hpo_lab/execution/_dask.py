"""The Dask executor: trials run as tasks on a ``distributed.Client``'s workers.

For more than one machine. The objective gets a trial proxy whose channel is a pair of
``distributed.Queue`` objects (requests to the runner, answers per trial attempt).

Dask reschedules a task whose worker died, which would evaluate the trial twice. So each task
first announces itself (``_start``); the runner answers yes only once per trial. A second
announcement means the first worker died: the trial is marked FAIL (worker_died) and the new
attempt returns at once. A running task cannot be killed, so a per-trial timeout marks the
trial FAIL and the task is told to give up at its next suggestion, report or pruning check.
"""

from __future__ import annotations

import threading
import uuid
import warnings
from typing import TYPE_CHECKING, Any

from hpo_lab import _json
from hpo_lab.execution._base import (
    BaseExecutor,
    Outcome,
    Post,
    outcome_from_remote,
    pickle_objective,
)
from hpo_lab.execution._proxy import DaskChannel, RemoteJob, ShippedObjective, run_remote_trial

if TYPE_CHECKING:
    from hpo_lab.trial._trial import Trial

__all__ = ["DaskExecutor", "is_dask_client"]


def is_dask_client(obj: Any) -> bool:
    """Whether ``obj`` is a ``distributed.Client`` (without importing distributed).

    Example:
        >>> is_dask_client("thread")
        False
    """
    cls = type(obj)
    return cls.__name__ == "Client" and cls.__module__.startswith("distributed")


class DaskExecutor(BaseExecutor):
    """Runs trials as Dask tasks; see the module docstring.

    Args:
        client: A connected ``distributed.Client``.
        objective: Any callable Dask can ship (cloudpickle).
        thread_limit: BLAS/OpenMP threads per task (``None``: no limit set).
    """

    name = "dask"
    remote = True

    def __init__(self, client: Any, objective: Any, thread_limit: int | None = None) -> None:
        try:
            import distributed
        except ImportError:
            raise ImportError(
                "a Dask executor needs dask.distributed: pip install 'hpo_lab[dask]'"
            ) from None
        self._Queue: Any = distributed.Queue
        self._Event: Any = distributed.Event
        self._client = client
        self.payload = pickle_objective(objective)
        self._thread_limit = thread_limit
        self._token = uuid.uuid4().hex[:12]
        self._futures: dict[int, Any] = {}
        self._reply_queues: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._closing = False

    def open(self, post: Post, n_jobs: int) -> None:
        super().open(post, n_jobs)
        self._request_name = f"hpo-{self._token}-requests"
        self._requests: Any = self._Queue(self._request_name, client=self._client)
        # Set at shutdown: a task the run gave up on stops waiting for answers.
        self._closed_name = f"hpo-{self._token}-closed"
        self._closed: Any = self._Event(self._closed_name, client=self._client)
        self._channel = DaskChannel(self._request_name, self._closed_name)
        # The objective travels to each worker once (Dask keeps the bytes there, and moves
        # them worker to worker) and is unpickled once per worker process. A task rather
        # than scatter(): Dask recomputes a task result lost with a dying worker, while
        # scattered data would be gone for good.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "large object in task graph": it is, once
            self._payload_future: Any = self._client.submit(
                _identity, self.payload, key=f"hpo-objective-{self._token}", pure=False
            )
        self._reader = threading.Thread(
            target=self._read_loop, name="hpo-dask-channel", daemon=True
        )
        self._reader.start()

    def _read_loop(self) -> None:
        # A blocking get: a timed-out get is logged as an error by the scheduler, so shutdown
        # wakes this loop with a "stop" message instead.
        while not self._closing:
            try:
                text = self._requests.get()
            except Exception:  # the client is closing under us
                return
            message = _json.loads(text)
            if message[0] == "stop":
                return
            reply_name = message.pop()
            reply = None
            if message[0] == "call":
                reply = self._replier(reply_name)
            self._post(("request", message, reply))

    def _replier(self, name: str) -> Any:
        def reply(answer: list[Any]) -> None:
            try:
                queue = self._reply_queues.get(name)
                if queue is None:
                    queue = self._Queue(name, client=self._client)
                    self._reply_queues[name] = queue
                queue.put(_json.dumps(answer))
            except Exception:
                pass  # the client is closing; the task is abandoned anyway

        return reply

    def submit(self, number: int, trial: Trial) -> None:
        job = RemoteJob.for_trial(
            trial,
            self._channel,
            thread_limit=self._thread_limit,
            handshake=True,
            checkpoints=self.checkpoints,
        )
        future = self._client.submit(
            _run_dask_trial,
            self._token,
            self._payload_future,
            job,
            key=f"hpo-trial-{self._token}-{number}",
            pure=False,
        )
        with self._lock:
            self._futures[number] = future
        future.add_done_callback(lambda f: self._on_done(number, f))

    def _on_done(self, number: int, future: Any) -> None:
        with self._lock:
            self._futures.pop(number, None)
        if future.status == "cancelled":
            outcome = Outcome("abandoned")
        else:
            try:
                outcome = outcome_from_remote(future.result())
            except BaseException as exc:  # KilledWorker: it took down every worker it met
                outcome = Outcome("died", text=f"{type(exc).__name__}: {exc}")
        self._post(("done", number, outcome))

    def kill(self, number: int) -> bool:
        with self._lock:
            future = self._futures.pop(number, None)
        if future is not None:
            try:
                future.cancel()
            except Exception:
                pass
        return False

    def shutdown(self, wait: bool = False) -> None:
        self._closing = True
        try:
            self._closed.set()
        except Exception:
            pass
        with self._lock:
            futures, self._futures = list(self._futures.values()), {}
        if futures and not wait:
            try:
                self._client.cancel(futures)
            except Exception:
                pass
        if wait:
            for future in futures:
                try:
                    future.result()
                except BaseException:
                    pass
        try:
            self._requests.put(_json.dumps(["stop"]))
        except Exception:
            pass
        self._reader.join(timeout=2)
        try:
            self._payload_future.release()
        except Exception:
            pass


def _run_dask_trial(token: str, payload: bytes, job: RemoteJob) -> tuple[Any, ...]:
    # Dask hands the scattered payload in as bytes already held by this worker.
    return run_remote_trial(ShippedObjective(token, payload), job)


def _identity(payload: bytes) -> bytes:
    return payload

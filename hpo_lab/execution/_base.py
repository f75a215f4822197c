"""The executor contract the runner drives.

Who calls what: the runner thread calls :meth:`BaseExecutor.open` once, then
:meth:`~BaseExecutor.submit` for each trial it asked, :meth:`~BaseExecutor.kill` for a trial
it gives up on (per-trial timeout, ``stop(cancel=True)``), :meth:`~BaseExecutor.resize` when
``n_jobs`` changes, and :meth:`~BaseExecutor.shutdown` at the end. Executors never touch the
study or the store: they report back by ``post``-ing messages to the runner's inbox, from any
thread:

* ``("done", number, Outcome)`` when an evaluation ends, however it ends;
* ``("request", message, reply)`` for a proxy's request (remote executors only), where
  ``reply`` is ``None`` for one-way messages or a function taking the answer.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from hpo_lab.trial._trial import Trial

__all__ = ["BaseExecutor", "Outcome", "Post", "outcome_from_remote", "pickle_objective"]

Post = Callable[[tuple[Any, ...]], None]


class Outcome(NamedTuple):
    """How one evaluation ended.

    ``kind`` is ``"value"`` (``value`` holds the return value), ``"pruned"``, ``"error"``
    (``exception`` when it could be rebuilt, and ``text`` the traceback), ``"died"`` (the
    worker process died; ``text`` says how) or ``"abandoned"`` (the worker gave up on a trial
    the runner had already finished).

    Example:
        >>> Outcome("value", 0.5).value
        0.5
    """

    kind: str
    value: Any = None
    exception: BaseException | None = None
    text: str = ""
    type_name: str = ""


def outcome_from_remote(result: tuple[Any, ...]) -> Outcome:
    """Turn :func:`~hpo_lab.execution._proxy.run_remote_trial`'s tuple into an :class:`Outcome`.

    Example:
        >>> outcome_from_remote(("pruned",)).kind
        'pruned'
    """
    kind = result[0]
    if kind == "value":
        return Outcome("value", result[1])
    if kind == "error":
        _, pickled, text, type_name = result
        exc: BaseException | None = None
        if pickled is not None:
            try:
                import cloudpickle

                exc = cloudpickle.loads(pickled)
            except Exception:  # a class that only exists in the worker
                exc = None
        return Outcome("error", None, exc, text, type_name)
    return Outcome(kind)


def pickle_objective(objective: Any) -> bytes:
    """Pickle ``objective`` with cloudpickle for worker processes, once per run.

    Raises ``TypeError`` naming the objective and the cause when it cannot be pickled.

    Example:
        >>> import threading
        >>> len(pickle_objective(lambda t: 1.0)) > 0
        True
        >>> lock = threading.Lock()
        >>> pickle_objective(lambda t: lock)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        TypeError: objective <function <lambda> at ...> cannot be sent to worker processes: ...
    """
    import cloudpickle

    try:
        return bytes(cloudpickle.dumps(objective))
    except Exception as exc:
        raise TypeError(
            f"objective {objective!r} cannot be sent to worker processes: {exc}; use "
            "executor='thread', or create what it cannot pickle (locks, connections, open "
            "files) inside the objective"
        ) from exc


class BaseExecutor(abc.ABC):
    """Evaluates trials somewhere and posts how each ended; see the module docstring."""

    #: The objective receives a proxy and its requests arrive through ``post``.
    remote: bool = False
    #: A per-trial timeout can stop the evaluation (by killing its worker).
    can_kill: bool = False
    #: Human-readable name, for messages and events.
    name: str = "executor"
    #: The Run this executor works for (set by the runner; ``None`` once it ended).
    owner: Any = None
    #: The objective pickled once for the run (remote executors), sent to workers that ask.
    payload: bytes | None = None
    #: How a remote worker reaches checkpoints: ``"auto"`` (the folder when it can reach it,
    #: else through the runner) or ``"scheduler"`` (always through the runner).
    checkpoints: str = "auto"

    def open(self, post: Post, n_jobs: int) -> None:
        """Get ready to run up to ``n_jobs`` trials at once, reporting through ``post``."""
        self._post = post
        self._n_jobs = n_jobs

    @abc.abstractmethod
    def submit(self, number: int, trial: Trial) -> None:
        """Start evaluating the objective on ``trial``; return at once."""

    @abc.abstractmethod
    def kill(self, number: int) -> bool:
        """Stop evaluating trial ``number`` if possible; return whether it was stopped.

        Either way the runner has stopped waiting for it; a later ``done`` is ignored.
        """

    def resize(self, n_jobs: int) -> None:
        """The run now allows ``n_jobs`` trials at once."""
        self._n_jobs = n_jobs

    @abc.abstractmethod
    def shutdown(self, wait: bool = False) -> None:
        """Release workers; with ``wait=False`` return quickly, killing what still runs."""

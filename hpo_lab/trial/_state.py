"""Trial states and the reasons a trial can fail."""

from __future__ import annotations

import enum

__all__ = ["FailReason", "TrialState"]


class TrialState(str, enum.Enum):
    """The five states of a trial.

    ``WAITING`` (enqueued, not started), ``RUNNING``, and the finished states ``COMPLETE``,
    ``PRUNED`` and ``FAIL``.

    Example:
        >>> TrialState.PRUNED.is_finished()
        True
    """

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAIL = "FAIL"

    def is_finished(self) -> bool:
        """Whether the trial has ended (COMPLETE, PRUNED or FAIL)."""
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)

    def __str__(self) -> str:
        return self.value


class FailReason(str, enum.Enum):
    """Why a trial is FAIL.

    ``exception``: the objective raised. ``bad_value``: it returned NaN, inf, a non-number or a
    tuple. ``timeout``: it ran past its per-trial limit. ``worker_died``: the process evaluating
    it died. ``interrupted``: Ctrl-C / kernel interrupt. ``cancelled``: stopped before it ran
    (for example an enqueued trial outside a narrowed space). ``stale``: found RUNNING in a store
    with no live owner (the process was killed).

    Example:
        >>> FailReason("stale") is FailReason.STALE
        True
    """

    EXCEPTION = "exception"
    BAD_VALUE = "bad_value"
    TIMEOUT = "timeout"
    WORKER_DIED = "worker_died"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"
    STALE = "stale"

    def __str__(self) -> str:
        return self.value

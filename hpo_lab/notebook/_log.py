"""A run's log: text that trials printed or warned, kept for the control panel.

Trial threads must never print into the notebook (the output would land in whatever cell runs
at the time), so the notebook layer routes their output here and the panel shows it.

Example:
    >>> log = RunLog(maxlen=3)
    >>> log.write("hello\\n", trial=0)
    >>> log.write("careful", trial=1, stream="warning")
    >>> entries, cursor = log.since(0)
    >>> [(e.trial, e.stream, e.text) for e in entries]
    [(0, 'stdout', 'hello\\n'), (1, 'warning', 'careful')]
    >>> log.since(cursor)[0]
    []
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass
from typing import Any

__all__ = ["LogEntry", "RunLog", "log_for"]


@dataclass(frozen=True)
class LogEntry:
    """One piece of output: ``seq`` increases by one per entry over the log's life."""

    seq: int
    time: float
    trial: int | None
    stream: str
    text: str


class RunLog:
    """A thread-safe, bounded log; readers keep a cursor and ask for what came after it.

    Writers (trial threads, the runner) call :meth:`write`; the panel's bridge thread calls
    :meth:`since`. Only the newest ``maxlen`` entries are kept.
    """

    def __init__(self, maxlen: int = 2000) -> None:
        if maxlen < 1:
            raise ValueError(f"maxlen must be >= 1, but got maxlen={maxlen}")
        self._entries: collections.deque[LogEntry] = collections.deque(maxlen=maxlen)
        self._lock = threading.Lock()
        self._next_seq = 0

    def write(self, text: str, *, trial: int | None = None, stream: str = "stdout") -> None:
        """Append ``text`` (empty text is dropped)."""
        if not text:
            return
        with self._lock:
            self._entries.append(LogEntry(self._next_seq, time.time(), trial, stream, text))
            self._next_seq += 1

    def since(self, cursor: int) -> tuple[list[LogEntry], int]:
        """Entries with ``seq >= cursor`` still kept, and the cursor to pass next time."""
        with self._lock:
            out = [e for e in self._entries if e.seq >= cursor]
            return out, self._next_seq

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


_LOGS: dict[int, tuple[Any, RunLog]] = {}
_LOGS_LOCK = threading.Lock()


def log_for(owner: Any) -> RunLog:
    """The one :class:`RunLog` of ``owner`` (a run or a study), made on first use.

    Example:
        >>> class Owner: pass
        >>> o = Owner()
        >>> log_for(o) is log_for(o)
        True
    """
    with _LOGS_LOCK:
        # Keep a strong reference to the owner beside its log so an id is never reused
        # while the entry lives; logs are small and runs are few per kernel.
        hit = _LOGS.get(id(owner))
        if hit is not None and hit[0] is owner:
            return hit[1]
        log = RunLog()
        _LOGS[id(owner)] = (owner, log)
        return log

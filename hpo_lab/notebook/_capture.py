"""Route what trial threads print or warn into their run's log, never into the notebook.

A kernel has one ``sys.stdout``: text a background thread prints lands in whichever cell runs
at that moment. While any run is live, :func:`acquire` installs thin wrappers over
``sys.stdout``, ``sys.stderr`` and ``warnings.showwarning`` (and a filter on the ``hpo_lab``
logger) that look up the writing thread:
a thread registered with :func:`route` (a trial's thread) writes into its :class:`RunLog`,
tagged with the trial number; every other thread passes through untouched. The last
:func:`release` puts the originals back (unless something else replaced them meanwhile, which
is then left alone).

A wrapper, once installed, is never freed: ``print()`` on another thread may hold a borrowed
reference to ``sys.stdout`` (CPython 3.11 keeps no reference of its own while it writes), and
the last :func:`release` runs on a runner thread at the end of a run. Freeing the wrapper there
would free it under that ``print()`` (a crash, not an exception). So each base stream gets one
wrapper for the process's lifetime, reused by every later :func:`acquire`.

Example:
    >>> import sys
    >>> from hpo_lab.notebook._log import RunLog
    >>> log = RunLog()
    >>> acquire()
    >>> with route(log, trial=4):
    ...     print("inside a trial")
    >>> print("outside")
    outside
    >>> release()
    >>> [(e.trial, e.stream, e.text) for e in log.since(0)[0]]
    [(4, 'stdout', 'inside a trial'), (4, 'stdout', '\\n')]
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from hpo_lab.notebook._log import RunLog

__all__ = [
    "RoutingStream",
    "acquire",
    "active",
    "release",
    "route",
    "route_thread_named",
    "unroute_thread_named",
]

_routes: dict[int, tuple[RunLog, int | None]] = {}
# Threads routed by name: a run's runner thread ("hpo-runner-NAME") logs failed trials.
# The target is asked for the log at write time: a runner may log before its run is known.
_named: dict[str, Callable[[], RunLog | None]] = {}
_lock = threading.Lock()
_users = 0
_saved: dict[str, Any] = {}
# Every wrapper ever installed, by (id of its base stream, stream name): kept for the process's
# lifetime (see the module docstring). A wrapper holds its base, so an id is never reused here.
_wrappers: dict[tuple[int, str], RoutingStream] = {}


def _lookup() -> tuple[RunLog, int | None] | None:
    hit = _routes.get(threading.get_ident())
    if hit is None and _named:
        target = _named.get(threading.current_thread().name)
        log = target() if target is not None else None
        if log is not None:
            return log, None
    return hit


class RoutingStream:
    """A text stream that sends routed threads' writes to their log and the rest to ``base``."""

    def __init__(self, base: TextIO, stream: str) -> None:
        self._base = base
        self._stream = stream

    @property
    def base(self) -> TextIO:
        """The stream this one wraps."""
        return self._base

    def write(self, text: str) -> int:
        """Write ``text`` to the calling thread's log if it is routed, else to the base stream."""
        hit = _lookup()
        if hit is None:
            return self._base.write(text)
        hit[0].write(text, trial=hit[1], stream=self._stream)
        return len(text)

    def writelines(self, lines: Any) -> None:
        """Write each line."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Flush the base stream (the log needs no flushing)."""
        if _lookup() is None:
            self._base.flush()

    def __getattr__(self, name: str) -> Any:
        # encoding, isatty, fileno, ipykernel's own attributes...: those of the base stream.
        return getattr(self._base, name)


def _routed_showwarning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    hit = _lookup()
    if hit is None:
        # Read once: a release() on another thread may clear _saved meanwhile.
        original = _saved.get("showwarning", _original_showwarning)
        original(message, category, filename, lineno, file, line)
        return
    text = warnings.formatwarning(message, category, filename, lineno, line)
    hit[0].write(text, trial=hit[1], stream="warning")


class _LogRouter(logging.Filter):
    """Takes the ``hpo_lab`` logger's records made on routed threads (a runner saying that a
    trial failed) into their run's log, whatever handlers logging has: they must not reach
    the notebook either."""

    def filter(self, record: logging.LogRecord) -> bool:
        hit = _lookup()
        if hit is None:
            return True
        hit[0].write(f"{record.levelname}: {record.getMessage()}\n", trial=hit[1], stream="log")
        return False


_log_router = _LogRouter()
_original_showwarning = warnings.showwarning


def _wrapper(base: TextIO, stream: str) -> RoutingStream:
    # Called under _lock. The same wrapper for the same base stream, made once and kept.
    key = (id(base), stream)
    wrapper = _wrappers.get(key)
    if wrapper is None:
        wrapper = _wrappers[key] = RoutingStream(base, stream)
    return wrapper


def acquire() -> None:
    """Install the routing wrappers (counted: each live run holds them once)."""
    global _users
    with _lock:
        _users += 1
        if _users > 1:
            return
        _saved["stdout"], _saved["stderr"] = sys.stdout, sys.stderr
        _saved["showwarning"] = warnings.showwarning
        # A wrapper left installed by someone who saved and restored sys.stdout around us
        # (pytest's capture, a redirect_stdout) already routes through the shared tables:
        # wrapping it again would only stack another layer on every run.
        if not isinstance(sys.stdout, RoutingStream):
            sys.stdout = _wrapper(sys.stdout, "stdout")
        if not isinstance(sys.stderr, RoutingStream):
            sys.stderr = _wrapper(sys.stderr, "stderr")
        warnings.showwarning = _routed_showwarning
        logging.getLogger("hpo_lab").addFilter(_log_router)


def release() -> None:
    """Undo one :func:`acquire`; the last one restores the streams it wrapped."""
    global _users
    with _lock:
        if _users == 0:
            return
        _users -= 1
        if _users:
            return
        # The wrappers stay alive in _wrappers: a print() on another thread may be inside one.
        if isinstance(sys.stdout, RoutingStream):
            sys.stdout = sys.stdout.base
        if isinstance(sys.stderr, RoutingStream):
            sys.stderr = sys.stderr.base
        logging.getLogger("hpo_lab").removeFilter(_log_router)
        if warnings.showwarning is _routed_showwarning:
            warnings.showwarning = _saved["showwarning"]
        _saved.clear()


def active() -> bool:
    """Whether the wrappers are installed.

    Example:
        >>> active()
        False
    """
    with _lock:
        return _users > 0


@contextlib.contextmanager
def route(log: RunLog, trial: int | None = None) -> Iterator[None]:
    """Send the calling thread's output to ``log`` (tagged with ``trial``) inside the block."""
    ident = threading.get_ident()
    previous = _routes.get(ident)
    _routes[ident] = (log, trial)
    try:
        yield
    finally:
        if previous is None:
            _routes.pop(ident, None)
        else:
            _routes[ident] = previous


def route_thread_named(name: str, target: Callable[[], RunLog | None]) -> None:
    """Send the output of threads called ``name`` to the log ``target()`` returns then
    (``None``: pass it through).

    Example:
        >>> log = RunLog()
        >>> target = lambda: log
        >>> route_thread_named("hpo-runner-demo", target)
        >>> unroute_thread_named("hpo-runner-demo", target)
    """
    _named[name] = target


def unroute_thread_named(name: str, target: Callable[[], RunLog | None]) -> None:
    """Stop routing threads called ``name``, if ``target`` is still the one routing them (a
    later run of the same study may have taken the name over)."""
    if _named.get(name) is target:
        _named.pop(name, None)

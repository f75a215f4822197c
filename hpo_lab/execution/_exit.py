"""Stopping live runs when the interpreter exits, before anything waits for their workers."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

__all__ = ["ensure_exit_hook_last", "register_cleanup", "register_live", "unregister_live"]

_lock = threading.Lock()
_live: weakref.WeakSet[Any] = weakref.WeakSet()
_cleanups: list[Callable[[], None]] = []


def register_cleanup(cleanup: Callable[[], None]) -> None:
    """Call ``cleanup()`` at exit, after live runs are stopped (for example to kill spare
    worker processes)."""
    with _lock:
        if cleanup not in _cleanups:
            _cleanups.append(cleanup)


def register_live(runner: Any) -> None:
    """Track a runner until it ends."""
    with _lock:
        _live.add(runner)


def unregister_live(runner: Any) -> None:
    """Forget a runner that has ended."""
    with _lock:
        _live.discard(runner)


def _stop_all_at_exit() -> None:
    # Running trials are marked FAIL (interrupted) and worker processes killed rather than
    # waited for: an objective that takes an hour must not hold the interpreter for an hour.
    from hpo_lab.trial._state import FailReason

    with _lock:
        runners = list(_live)
    for runner in runners:
        runner.run._stop(FailReason.INTERRUPTED)
    deadline = time.monotonic() + 5.0
    for runner in runners:
        runner.thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if runner.thread.is_alive():
            try:
                runner.executor.shutdown(wait=False)
            except Exception:
                pass
    with _lock:
        cleanups = list(_cleanups)
    for cleanup in cleanups:
        try:
            cleanup()
        except Exception:
            pass


def ensure_exit_hook_last() -> None:
    """Make :func:`_stop_all_at_exit` the first exit hook to run.

    It uses threading's pre-join hooks, which run before the interpreter joins non-daemon
    threads, newest first. loky adds its own hook (which joins its manager threads, and so
    waits for running tasks) when its first pool starts; call this again after that.
    """
    register = getattr(threading, "_register_atexit", None)
    if register is None:  # pragma: no cover - Pythons without the pre-join hooks
        import atexit

        with _lock:
            atexit.unregister(_stop_all_at_exit)
            atexit.register(_stop_all_at_exit)
        return
    hooks = getattr(threading, "_threading_atexits", None)
    with _lock:
        if hooks and hooks[-1] is _stop_all_at_exit:
            return
        try:
            register(_stop_all_at_exit)
        except RuntimeError:  # the interpreter is already shutting down
            pass

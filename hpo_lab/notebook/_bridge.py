"""The one thread that applies a panel's widget and figure changes.

Workers, run events and widget callbacks never touch widgets: they call :meth:`Bridge.wake`,
which only sets an event. The bridge thread wakes on it or every ``interval`` seconds, and calls
the panel's ``_tick()`` (which polls the store's change cursor and applies every change in one
batch), but never more often than once per ``min_gap`` seconds, so a fast objective cannot make
the panel flood the browser.

The thread holds the panel through a weak reference: a panel that is garbage-collected, or
closed, ends its thread. So does a panel with nothing left to do (its owner's ``_settled()``
says so: the run ended and its last update is shown): a kernel that ran many ``%%hpo`` cells
keeps no thread per finished panel polling the store. A later :meth:`Bridge.wake` (a click, a
new run attached) starts the thread again, under the same name. An owner may also ask for a
slower poll while nothing changes (its ``_poll_interval()``); a wake is still served at once.
And it may ask for a longer gap between updates (its ``_min_gap()``): a panel over a large
study does, so that redrawing its figures in the browser, on the same cores as the trials,
stays a small share of the machine.

In foreground mode (``Panel.wait()``) the calling thread ticks instead and the bridge thread
stands by (:meth:`Bridge.suspend`), so one thread at a time changes widgets.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import weakref
from typing import Any

__all__ = ["Bridge"]

_logger = logging.getLogger("hpo_lab")
_counter = itertools.count(1)


class Bridge:
    """Calls ``owner._tick()`` on its own thread a few times a second.

    Example:
        >>> class Owner:
        ...     ticks = 0
        ...     def _tick(self):
        ...         self.ticks += 1
        >>> owner = Owner()
        >>> bridge = Bridge(owner, interval=0.05, min_gap=0.05)
        >>> bridge.start(); bridge.wake()
        >>> deadline = time.monotonic() + 10
        >>> while owner.ticks < 2 and time.monotonic() < deadline:
        ...     time.sleep(0.01)
        >>> bridge.stop(); owner.ticks >= 2, bridge.is_alive()
        (True, False)
    """

    def __init__(self, owner: Any, *, interval: float = 0.5, min_gap: float = 0.25) -> None:
        if not interval > 0:
            raise ValueError(f"interval must be > 0 seconds, but got interval={interval!r}")
        if not min_gap >= 0:
            raise ValueError(f"min_gap must be >= 0 seconds, but got min_gap={min_gap!r}")
        self._owner = weakref.ref(owner)
        self._name = f"hpo-panel-bridge-{next(_counter)}"
        self._parked = False  # the loop ended because the owner had nothing left to do
        self.interval = float(interval)
        self.min_gap = float(min_gap)
        self._event = threading.Event()
        self._stopped = threading.Event()
        self._suspended = 0
        self._lock = threading.Lock()
        #: Serialises ticks: held while one runs, on whichever thread.
        self.tick_lock = threading.RLock()
        self._thread = self._new_thread()

    def _new_thread(self) -> threading.Thread:
        return threading.Thread(target=self._loop, name=self._name, daemon=True)

    @property
    def thread(self) -> threading.Thread:
        """The bridge thread (the latest one, after a parked bridge was woken)."""
        with self._lock:
            return self._thread

    def start(self) -> None:
        """Start the thread (once)."""
        self._thread.start()

    def is_alive(self) -> bool:
        """Whether the thread runs."""
        return self.thread.is_alive()

    def wake(self) -> None:
        """Ask for an update soon (cheap; safe from any thread, a worker's included); a
        parked bridge starts its thread again."""
        self._event.set()
        with self._lock:
            if not self._parked or self._stopped.is_set():
                return
            self._parked = False
            self._thread = self._new_thread()
            thread = self._thread
        thread.start()

    def suspend(self) -> None:
        """Stop ticking on the bridge thread until :meth:`resume` (nests)."""
        with self._lock:
            self._suspended += 1

    def resume(self) -> None:
        """Undo one :meth:`suspend`."""
        with self._lock:
            self._suspended = max(0, self._suspended - 1)
        self._event.set()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread and wait for it (not from the thread itself)."""
        self._stopped.set()
        self._event.set()
        thread = self.thread
        if (
            thread.is_alive()
            and threading.current_thread() is not thread
            and thread.ident is not None
        ):
            thread.join(timeout)

    def tick(self, owner: Any | None = None) -> None:
        """Run one update now, on the calling thread, serialised with the bridge thread."""
        owner = owner if owner is not None else self._owner()
        if owner is None:
            return
        with self.tick_lock:
            owner._tick()

    def _loop(self) -> None:
        last = 0.0
        wait = self.interval
        min_gap = self.min_gap
        while not self._stopped.is_set():
            self._event.wait(wait)
            if self._stopped.is_set():
                break
            gap = min_gap - (time.monotonic() - last)
            # Woken early: the wake is remembered, the update waits for its turn.
            if gap > 0 and self._stopped.wait(gap):
                break
            self._event.clear()
            with self._lock:
                suspended = self._suspended > 0
            if suspended:
                continue
            owner = self._owner()
            if owner is None:
                break
            settled = False
            try:
                self.tick(owner)
                settled = bool(getattr(owner, "_settled", lambda: False)())
                wait = float(getattr(owner, "_poll_interval", lambda: self.interval)())
                min_gap = max(self.min_gap, float(getattr(owner, "_min_gap", lambda: 0.0)()))
            except Exception:
                _logger.exception("updating the control panel failed; it keeps trying")
            finally:
                del owner
            last = time.monotonic()
            if settled:
                with self._lock:
                    # A wake that came during the tick is served by this thread.
                    if not self._event.is_set():
                        self._parked = True
                        return

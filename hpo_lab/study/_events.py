"""Plain-callback events emitted by a study (and, later, by a run).

Nothing in the core knows who listens: the notebook layer subscribes, as can user code.
Callbacks run on the thread that caused the event; they should be quick and must not raise
(an exception in a callback is logged and the callback stays subscribed).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["Event", "EventBus"]

_logger = logging.getLogger("hpo_lab")

TRIAL_CREATED = "trial_created"
TRIAL_REPORTED = "trial_reported"
TRIAL_FINISHED = "trial_finished"
SPACE_CHANGED = "space_changed"


@dataclass(frozen=True)
class Event:
    """Something that happened in a study.

    Attributes:
        kind: ``"trial_created"``, ``"trial_reported"``, ``"trial_finished"`` or
            ``"space_changed"`` (runs add ``"run_state_changed"``).
        study_name: The study it happened in.
        trial: The trial concerned, as it is after the event (``None`` for space changes).
        step: For ``trial_reported``, the step reported.
        data: Extra details (the new revision for ``space_changed``, the state for runs).
    """

    kind: str
    study_name: str
    trial: FrozenTrial | None = None
    step: int | None = None
    data: Any = None


class EventBus:
    """A list of callbacks, safe to subscribe to and emit from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: tuple[Callable[[Event], None], ...] = ()

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Add a callback; returns a function that removes it."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, but got {callback!r}")
        with self._lock:
            self._callbacks = (*self._callbacks, callback)

        def unsubscribe() -> None:
            with self._lock:
                self._callbacks = tuple(c for c in self._callbacks if c is not callback)

        return unsubscribe

    def __bool__(self) -> bool:
        return bool(self._callbacks)

    def emit(self, event: Event) -> None:
        """Call every callback with ``event``; exceptions are logged, not raised."""
        for callback in self._callbacks:
            try:
                callback(event)
            except Exception:
                _logger.exception("event callback %r failed on %s", callback, event.kind)

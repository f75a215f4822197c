"""Re-rendering the plots that depend on every trial, at most once per interval."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from hpo_lab.viz._live import ChangeFeed
from hpo_lab.viz._snapshot import snapshot

if TYPE_CHECKING:
    from hpo_lab.study._study import Study

__all__ = ["Budget", "LivePlot", "Throttle"]


class Throttle:
    """Says whether enough time has passed since the last accepted call.

    Example:
        >>> now = [0.0]
        >>> throttle = Throttle(2.0, clock=lambda: now[0])
        >>> throttle.ready(), throttle.ready()
        (True, False)
        >>> now[0] = 2.5
        >>> throttle.ready()
        True
    """

    def __init__(self, interval: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        if not interval >= 0:
            raise ValueError(f"interval must be >= 0 seconds, but got interval={interval!r}")
        self.interval = float(interval)
        self._clock = clock
        self._last: float | None = None

    def ready(self) -> bool:
        """``True`` (and the interval restarts) if the interval has passed since the last
        ``True``; the first call is always ``True``."""
        now = self._clock()
        if self._last is not None and now - self._last < self.interval:
            return False
        self._last = now
        return True

    def mark(self) -> None:
        """Restart the interval now (after an update forced through)."""
        self._last = self._clock()

    def seconds_left(self) -> float:
        """How long until :meth:`ready` would be ``True`` again."""
        if self._last is None:
            return 0.0
        return max(0.0, self.interval - (self._clock() - self._last))


class LivePlot:
    """Keeps a figure of a plot that depends on every trial (importance, parallel coordinates,
    EDF, contour, slice) current, re-rendering it at most once per ``interval`` seconds and
    only when trials changed.

    The figure (a ``Figure`` or ``FigureWidget``) is updated in place, so a displayed widget
    refreshes. Call :meth:`update` as often as you like, e.g. from a polling loop.

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.viz import plot_edf
        >>> s = hpo_lab.create_study()
        >>> live = LivePlot(s, plot_edf, interval=0.0)
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> live.update(), len(live.figure.data[0].x)
        (True, 3)
        >>> live.update()  # nothing changed
        False
    """

    def __init__(
        self,
        study: Study,
        plot: Callable[..., Any],
        figure: Any = None,
        *,
        interval: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        **plot_kwargs: Any,
    ) -> None:
        self._study = study
        self._plot = plot
        self._kwargs = plot_kwargs
        self._feed = ChangeFeed(study)
        self._throttle = Throttle(interval, clock)
        self._dirty = bool(self._feed.poll())
        self.n_renders = 0
        if figure is None:
            figure = self._render()
            self._dirty = False
            self._throttle.mark()
        self.figure = figure

    def _render(self) -> Any:
        self.n_renders += 1
        return self._plot(snapshot(self._study), **self._kwargs)

    def update(self, force: bool = False) -> bool:
        """Re-render if trials changed and the interval has passed (or ``force``); returns
        whether the figure was re-rendered."""
        if self._feed.poll():
            self._dirty = True
        if not (force or self._dirty):
            return False
        if not force and not self._throttle.ready():
            return False
        new = self._render()
        self._dirty = False
        if force:
            self._throttle.mark()
        fig = self.figure
        with fig.batch_update():
            fig.layout = new.layout
        fig.data = ()
        fig.add_traces(list(new.data))
        return True


class Budget:
    """Says when a recurring task (a heavy plot, a table) may run again: once ``interval``
    seconds have passed since it last ran, and at least ``cost / share`` seconds, where ``cost``
    is how long it took. A task that grows slower as the study grows runs less often, so it
    never takes more than ``share`` of the time.

    Example:
        >>> now = [0.0]
        >>> budget = Budget(1.0, share=0.1, clock=lambda: now[0])
        >>> budget.ready()
        True
        >>> with budget.run():
        ...     now[0] += 0.5  # the task took half a second
        >>> now[0] = 3.0
        >>> budget.ready(), budget.wait
        (False, 5.0)
        >>> now[0] = 5.6
        >>> budget.ready()
        True
    """

    def __init__(
        self,
        interval: float,
        share: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not interval >= 0:
            raise ValueError(f"interval must be >= 0 seconds, but got interval={interval!r}")
        if not 0 < share <= 1:
            raise ValueError(f"share must be in (0, 1], but got share={share!r}")
        self.interval = float(interval)
        self.share = float(share)
        self._clock = clock
        self._started: float | None = None
        #: How long the last run took (seconds).
        self.cost = 0.0

    @property
    def wait(self) -> float:
        """The least time between two starts now: ``max(interval, cost / share)``."""
        return max(self.interval, self.cost / self.share)

    def ready(self) -> bool:
        """Whether the task may run now."""
        return self._started is None or self._clock() - self._started >= self.wait

    @contextlib.contextmanager
    def run(self) -> Iterator[None]:
        """Time one run of the task (from its start)."""
        start = self._clock()
        self._started = start
        try:
            yield
        finally:
            self.cost = max(0.0, self._clock() - start)

"""Progress outside notebooks: one updating line for ``optimize`` and background runs.

``study.optimize(..., show_progress_bar=True)`` and ``study.start(..., show_progress_bar=True)``
show, on one line of the terminal (stderr), the finished and total trials, the best value so
far and its trial, the elapsed time and the time left (by the trial rate, and by ``timeout``
when one is set)::

    study-3f2a: 40%|████      | 12/30 [00:03<00:04, 3.9 trial/s, best=0.0123 (#7)]

Nothing floods a log: on a terminal the line is redrawn at most ten times a second; written to
a file or a pipe (CI logs), at most every 30 s and once at the end. hpo_lab's own warnings
(a failed trial) are printed above the line instead of breaking it. In a Jupyter kernel,
``optimize`` shows tqdm's notebook bar, and a background run shows no bar: its control panel
(``hpo_lab.panel(run)``) shows its progress.

The line is drawn by tqdm (extra ``progress``); without it, asking for a bar raises an
``ImportError`` that names the extra.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO, cast

from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.study._events import Event
    from hpo_lab.study._launch import RunHandle
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["ProgressBar", "attach_progress", "in_notebook", "optimize_with_progress"]

_logger = logging.getLogger("hpo_lab")

#: Seconds between redraws on a terminal, and written to a file or pipe.
TERMINAL_INTERVAL = 0.1
FILE_INTERVAL = 30.0


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (IPython is never imported to find out).

    Example:
        >>> in_notebook()
        False
    """
    ipython = sys.modules.get("IPython")
    get_ipython = getattr(ipython, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def _columns(file: Any) -> int:
    try:
        return os.get_terminal_size(file.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 0


def _tqdm_module() -> Any:
    try:
        import tqdm
    except ImportError as exc:
        raise ImportError(
            f"show_progress_bar needs tqdm ({exc}): pip install 'hpo_lab[progress]'"
        ) from exc
    return tqdm


class _AboveTheBar(logging.Handler):
    """Prints log records above the bar (``tqdm.write``), as Python's last-resort handler
    would print them (the message only, WARNING and above)."""

    def __init__(self, tqdm_class: Any, stream: TextIO) -> None:
        super().__init__(logging.WARNING)
        self._tqdm_class = tqdm_class
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._tqdm_class.write(self.format(record), file=self._stream)
        except Exception:
            self.handleError(record)


class ProgressBar:
    """One line: finished/total trials, best value so far, elapsed time and time left.

    Feed it finished trials by calling it as an ``optimize`` callback (``bar(study, trial)``)
    or through :meth:`trial_finished`; :meth:`close` ends the line. It may be fed from any
    thread.

    Args:
        total: The trial budget (``None``: unknown; the time left then comes from ``timeout``).
        timeout: The run's time limit in seconds, if any.
        direction: ``"minimize"`` or ``"maximize"`` (which value is best).
        desc: Text before the counts (the study's name).
        best: The best value before this bar started, with its trial number.
        file: Where to draw (default ``sys.stderr``).
        notebook: Use tqdm's notebook bar (what ``optimize`` does in a Jupyter kernel).

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> bar = ProgressBar(total=2, direction="minimize", desc="demo", file=out)
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, callbacks=[bar])
        >>> bar.close()
        >>> "2/2" in out.getvalue() and "best=" in out.getvalue()
        True
    """

    def __init__(
        self,
        *,
        total: int | None,
        timeout: float | None = None,
        direction: str = "minimize",
        desc: str = "",
        best: tuple[float, int] | None = None,
        file: TextIO | None = None,
        notebook: bool = False,
    ) -> None:
        tqdm = _tqdm_module()
        self._file = sys.stderr if file is None else file
        isatty = getattr(self._file, "isatty", None)
        terminal = bool(isatty()) if callable(isatty) else False
        if notebook:
            from tqdm.notebook import tqdm as tqdm_class
        else:
            tqdm_class = tqdm.tqdm
        self._tqdm_class = tqdm_class
        self._lock = threading.Lock()
        self._maximize = str(direction) == "maximize"
        self._best = best
        self._timeout = timeout
        self._start = time.monotonic()
        self._closed = False
        kwargs: dict[str, Any] = {}
        if not notebook:
            kwargs["file"] = self._file
            kwargs["mininterval"] = TERMINAL_INTERVAL if terminal else FILE_INTERVAL
            if terminal and _columns(self._file) > 0:
                kwargs["dynamic_ncols"] = True  # follows the window's width
            else:  # a file, a pipe, or a terminal that reports no size
                kwargs["ncols"] = 100
        self._bar = tqdm_class(total=total, desc=desc or None, unit=" trial", **kwargs)
        self._set_postfix()
        self._restore_logging = self._route_logging()

    def _route_logging(self) -> Callable[[], None]:
        # With no logging configured, hpo_lab's warnings would go to Python's last-resort
        # handler on stderr and break the line; print them above it instead.
        logger = logging.getLogger("hpo_lab")
        if logger.handlers or logging.getLogger().handlers or not logger.propagate:
            return lambda: None
        handler = _AboveTheBar(self._tqdm_class, self._file)
        logger.addHandler(handler)
        return lambda: logger.removeHandler(handler)

    # -- feeding -----------------------------------------------------------------------------------
    def __call__(self, study: Any, trial: FrozenTrial) -> None:
        """The ``optimize(callbacks=[...])`` form of :meth:`trial_finished`."""
        self.trial_finished(trial)

    def trial_finished(self, trial: FrozenTrial, total: int | None = None) -> None:
        """Count one finished trial (and take ``total`` as the new budget, if given)."""
        with self._lock:
            if self._closed:
                return
            value = trial.value
            better = value is not None and (
                self._best is None
                or (self._maximize and value > self._best[0])
                or (not self._maximize and value < self._best[0])
            )
            if trial.state == TrialState.COMPLETE and better and math.isfinite(value or 0.0):
                self._best = (float(value or 0.0), trial.number)
            if total is not None and total != self._bar.total:
                self._bar.total = total
            self._set_postfix()
            self._bar.update(1)

    def _set_postfix(self) -> None:
        parts = []
        if self._best is not None:
            parts.append(f"best={self._best[0]:.6g} (#{self._best[1]})")
        if self._timeout is not None:
            left = max(0.0, self._timeout - (time.monotonic() - self._start))
            parts.append(f"timeout in {self._tqdm_class.format_interval(left)}")
        self._bar.set_postfix_str(", ".join(parts), refresh=False)

    @property
    def n(self) -> int:
        """How many finished trials the bar has counted."""
        return int(self._bar.n)

    def close(self) -> None:
        """Draw the line a last time and end it (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._set_postfix()
            self._bar.close()
            self._restore_logging()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _best_before(study: Study) -> tuple[float, int] | None:
    try:
        best = study.best_trial
    except ValueError:
        return None
    return None if best.value is None else (float(best.value), best.number)


def optimize_with_progress(
    study: Study,
    objective: Callable[[Any], Any],
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Sequence[type[BaseException]] | Iterable[type[BaseException]],
    callbacks: Sequence[Callable[..., None]],
    gc_after_trial: bool,
    **optimize_kwargs: Any,
) -> None:
    """``study.optimize(...)`` with a :class:`ProgressBar` (what ``show_progress_bar=True``
    does): the bar is one more callback, and the line ends however the loop ends. Other
    keyword arguments (``scheduler``...) go to ``optimize`` as given.

    Example:
        >>> import io, contextlib, hpo_lab
        >>> study = hpo_lab.create_study()
        >>> err = io.StringIO()
        >>> with contextlib.redirect_stderr(err):
        ...     study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3,
        ...                    show_progress_bar=True)
        >>> "3/3" in err.getvalue()
        True
    """
    bar = ProgressBar(
        total=n_trials,
        timeout=timeout,
        direction=str(study.direction),
        desc=study.study_name,
        best=_best_before(study),
        notebook=in_notebook() and _notebook_bar_available(),
    )
    with bar:
        study.optimize(
            objective,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            catch=cast("tuple[type[Exception], ...]", tuple(catch)),
            callbacks=[*callbacks, bar],
            gc_after_trial=gc_after_trial,
            **optimize_kwargs,
        )


def _notebook_bar_available() -> bool:
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def attach_progress(run: RunHandle, *, file: TextIO | None = None) -> ProgressBar | None:
    """Show a background run's progress on one line until it ends; return the bar.

    In a Jupyter kernel nothing is drawn (``None``): the run's panel shows its progress, and
    a line drawn from the run's thread would land in whichever cell runs at the time.

    Example:
        >>> import io, threading, hpo_lab
        >>> gate = threading.Event()
        >>> study = hpo_lab.create_study()
        >>> run = study.start(lambda t: gate.wait() and t.suggest_float("x", 0, 1), n_trials=3)
        >>> out = io.StringIO()
        >>> bar = attach_progress(run, file=out)
        >>> gate.set(); run.wait(60)
        True
        >>> bar.n
        3
    """
    if in_notebook():
        _logger.info(
            "study %r: a background run in a notebook shows its progress in its panel "
            "(hpo_lab.panel(run)), not as a text line",
            run.study.study_name,
        )
        return None
    from hpo_lab.study._events import TRIAL_FINISHED

    done = run.progress.finished
    bar = ProgressBar(
        total=run.n_trials,
        timeout=run.settings.get("timeout"),
        direction=str(run.study.direction),
        desc=run.study.study_name,
        best=_best_before(run.study),
        file=file,
    )
    if done:
        bar._bar.update(done)

    def on_event(event: Event) -> None:
        if event.kind == TRIAL_FINISHED and event.trial is not None:
            bar.trial_finished(event.trial, total=run.n_trials)
        elif event.kind == "run_state_changed" and not run.status.is_live():
            bar.close()
            unsubscribe()

    unsubscribe = run.subscribe(on_event)
    if not run.is_live():  # it ended before we subscribed
        bar.close()
        unsubscribe()
    return bar

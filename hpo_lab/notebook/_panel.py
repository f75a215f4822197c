"""The control panel: a live view of a study and the controls of its background run.

Layout: a header (study, status, progress, counts, best value and parameters, elapsed time and
ETA, lineage, source-change note), the run's controls (pause, resume, stop, "+N trials",
workers), and tabs: optimization history, parameter importance, parallel coordinates, slice,
learning curves, a sortable trials table, failures with tracebacks, the run's log and the
space editor.

Threads (the rule that keeps widgets live in JupyterLab, Notebook 7, VS Code and Colab):

* The panel is built and displayed on the main thread, from the cell.
* Afterwards only the bridge thread (:mod:`hpo_lab.notebook._bridge`) changes widgets and
  figures: a few times a second it reads the store's change cursor (so trials written by other
  processes show too) and applies every change in one batch, inside ``hold_sync()``.
* Run events only wake the bridge early. Widget callbacks (which a kernel may deliver on a
  subshell thread) only post commands to the run, or to the study, under a lock; what they have
  to show (a message, a child study's panel) is queued for the bridge.
* :meth:`Panel.wait` (foreground mode, the default on Colab, whose stack does not render updates
  sent from background threads) ticks on the calling thread while the bridge thread stands by.

Heavy plots (importance, parallel coordinates, slice) are re-rendered only while their tab is
shown, at most every ``HEAVY_INTERVAL`` seconds. When the run ends, a static HTML snapshot
(summary and main plots) is written into the cell output through a display handle made at
:meth:`Panel.display`, so a saved notebook shows the results where widgets do not render.

Stable DOM class names (for browser tests): ``hpo-panel``, ``hpo-header``, ``hpo-progress``,
``hpo-best``, ``hpo-status``, ``hpo-pause``, ``hpo-resume``, ``hpo-stop``, ``hpo-add-trials``,
``hpo-workers``, ``hpo-tab-<name>`` (history, importance, parallel, slice, curves, trials,
failures, log, space), ``hpo-space-editor``, ``hpo-range-<param>``, ``hpo-apply``,
``hpo-warm-start``, ``hpo-log``, ``hpo-history-plot``, ``hpo-message``, ``hpo-lineage``.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import dataclasses
import datetime
import html
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from hpo_lab.notebook._body import SOURCE_HASH_ATTR
from hpo_lab.notebook._bridge import Bridge
from hpo_lab.notebook._env import resolve_figures_mode
from hpo_lab.notebook._figures import FigureView, import_widgets
from hpo_lab.notebook._log import RunLog, log_for
from hpo_lab.notebook._relay import make_relay, register_panel
from hpo_lab.notebook._space_editor import SpaceEditor
from hpo_lab.notebook._static import static_html
from hpo_lab.study._best import best_of
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState
from hpo_lab.viz._snapshot import StudySnapshot
from hpo_lab.viz._throttle import Throttle

if TYPE_CHECKING:
    from hpo_lab.distributions import Distribution
    from hpo_lab.execution._run import Run
    from hpo_lab.study._study import Study

__all__ = ["HEAVY_INTERVAL", "QUIET_POLL_INTERVAL", "SPACE_INTERVAL", "Panel", "panel"]

_logger = logging.getLogger("hpo_lab")

#: Least seconds between two re-renders of a heavy plot (importance, parallel, slice).
HEAVY_INTERVAL = 3.0
#: Least seconds between two redraws of the space editor's good-trial hints.
SPACE_INTERVAL = 2.0
#: Seconds between two polls of the store by a panel without a live run once nothing changed
#: for a few polls (a click or a run's event is still served at once).
QUIET_POLL_INTERVAL = 3.0
_QUIET_AFTER = 4

_TABS = (
    ("history", "History"),
    ("importance", "Importance"),
    ("parallel", "Parallel"),
    ("slice", "Slice"),
    ("curves", "Curves"),
    ("trials", "Trials"),
    ("failures", "Failures"),
    ("log", "Log"),
    ("space", "Space editor"),
)
_HEAVY = ("importance", "parallel", "slice")
_FIGURE_TABS = ("history", "importance", "parallel", "slice", "curves")
_SORTS = (
    ("newest first", "newest"),
    ("best first", "best"),
    ("oldest first", "oldest"),
    ("longest first", "duration"),
)
_TABLE_ROWS = 100
_LOG_LINES = 500


@dataclasses.dataclass
class _Figures:
    # The panel's figures, built together on the bridge thread.
    history_live: Any
    history_view: FigureView
    curves_live: Any
    curves_view: FigureView
    heavy_views: dict[str, FigureView]


def _seconds(seconds: float) -> str:
    h, rest = divmod(round(seconds), 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def _timestamp(d: datetime.datetime | None) -> float | None:
    return None if d is None else d.timestamp()


def _set(widget: Any, name: str, value: Any) -> None:
    # Send only real changes: every assignment of a synced trait is a message to the browser.
    if getattr(widget, name) != value:
        setattr(widget, name, value)


def _is_run(obj: Any) -> bool:
    # Duck-typed: a module imported twice (doctest collection) must not make a Run foreign.
    return all(hasattr(obj, a) for a in ("study", "subscribe", "progress", "set_n_jobs"))


def _is_study(obj: Any) -> bool:
    return all(hasattr(obj, a) for a in ("study_name", "storage", "narrow", "inherited_trials"))


def _ipython_display() -> Any:
    try:
        import IPython.display as ipd
    except ImportError as exc:  # pragma: no cover - IPython is installed where tests run
        raise ImportError(
            "showing the control panel needs IPython: pip install 'hpo_lab[notebook]'"
        ) from exc
    return ipd


def _close_tree(widget: Any) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()


class Panel:
    """The control panel of a study or of its background run.

    Args:
        obj: A :class:`~hpo_lab.execution.Run` (live controls) or a
            :class:`~hpo_lab.Study` (its live run if it has one, else a static panel with
            every plot and the controls disabled).
        figures: ``"widget"`` (plotly ``FigureWidget``), ``"html"`` (re-rendered output) or
            ``"auto"`` (see :func:`hpo_lab.notebook.set_figures_mode`; with plotly 6+ it
            means ``"html"``, see :func:`~hpo_lab.notebook._env.default_figures_mode`).
        log: The log shown in the Log tab (default: ``log_for(run)``, or ``log_for(study)``).

    Attributes:
        widget: The root widget (an ``ipywidgets.VBox``).
        children: Panels of studies warm-started from this one, newest last.
        static_html: The last static snapshot published (``""`` before the run ends).

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(study_name="demo")
        >>> run = study.start(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        >>> panel = Panel(run, figures="html")
        >>> run.wait(60)
        True
        >>> panel.refresh()
        >>> panel.progress.value, panel.status.value
        (5, 'finished')
        >>> panel.close()
    """

    def __init__(
        self,
        obj: Study | Run,
        *,
        figures: Literal["auto", "widget", "html"] = "auto",
        log: RunLog | None = None,
    ) -> None:
        target: Any = obj
        run: Run | None
        if _is_run(target):
            run = target
            study: Study = target.study
        elif _is_study(target):
            study = target
            run = target.run
        else:
            raise TypeError(f"Panel takes a Study or a Run, but got {type(obj).__name__}")
        self.mode = resolve_figures_mode(figures)
        self._requested = figures
        #: Whether the browser showed it runs the panel's widget code (the relay's comm opened).
        self.frontend_seen = False
        self._study = study
        self._storage = study.storage
        self._study_id = self._storage.get_study_id(study.study_name)
        self._log = log if log is not None else log_for(run if run is not None else study)
        self._trials: dict[int, FrozenTrial] = {}
        self._cursor = 0
        self._log_cursor = 0
        self._log_lines: collections.deque[str] = collections.deque(maxlen=_LOG_LINES)
        self._log_partial: dict[tuple[Any, str], str] = {}
        self._lock = threading.Lock()  # held by widget callbacks while they post commands
        self._messages: list[tuple[str, bool]] = []
        self._new_children: list[Run] = []
        self.children: list[Panel] = []
        self._run: Run | None = None
        self._objective: Callable[[Any], Any] | None = None
        self._settings: dict[str, Any] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._run_t0: float | None = None
        self._run_t1: float | None = None
        self._closed = False
        self._published_for: object = None
        self._static_handle: Any = None
        self.static_html = ""
        self._force = False
        self._heavy_dirty = set(_HEAVY)
        self._heavy_throttle = {name: Throttle(HEAVY_INTERVAL) for name in _HEAVY}
        self._table_dirty = True
        self._failures_seen = -1
        self._space_dirty = True
        self._space_throttle = Throttle(SPACE_INTERVAL)
        self._revision_count = -1
        self._inherited: list[FrozenTrial] = list(study.inherited_trials)
        self._source_changes: list[int] = []
        #: How many batched updates the panel has applied (one per tick).
        self.n_updates = 0
        self._quiet_ticks = 0
        #: Identifies the panel to control messages relayed from the browser.
        self.control_id = uuid.uuid4().hex[:12]
        self._relay_counts: collections.Counter[str] = collections.Counter()
        self._relay: Any = None
        self._build()
        register_panel(self.control_id, self)
        self._bridge = Bridge(self)
        if run is not None:
            self._follow(run)
        # The header and controls are filled before the panel is shown, on the constructing
        # thread; the figures are left to the bridge thread.
        self._deferring = True
        try:
            self._bridge.tick(self)
        finally:
            self._deferring = False
        self._bridge.start()
        self._bridge.wake()

    # -- building ---------------------------------------------------------------------------------
    def _build(self) -> None:
        w = import_widgets()
        study = self._study
        self.title = w.HTML(value=f"<b>{html.escape(study.study_name)}</b>")
        self.status = w.HTML(value="")
        self.status.add_class("hpo-status")
        self.progress = w.IntProgress(value=0, min=0, max=1)
        self.progress.add_class("hpo-progress")
        self.progress_text = w.HTML(value="")
        self.counts = w.HTML(value="")
        self.best = w.HTML(value="")
        self.best.add_class("hpo-best")
        self.times = w.HTML(value="")
        self.source_note = w.HTML(value="")
        self.source_note.add_class("hpo-source-note")
        self.lineage = w.HTML(value=self._lineage_text())
        self.lineage.add_class("hpo-lineage")
        self.header = w.VBox(
            [
                w.HBox([self.title, self.status, self.progress, self.progress_text]),
                w.HBox([self.counts, self.times]),
                self.best,
                self.source_note,
                self.lineage,
            ]
        )
        self.header.add_class("hpo-header")

        def button(text: str, css: str, handler: Callable[[], None], tip: str) -> Any:
            b = w.Button(description=text, tooltip=tip)
            b.add_class(css)
            b.on_click(lambda _b: handler())
            return b

        self.pause_button = button("Pause", "hpo-pause", self._on_pause, "start no new trials")
        self.resume_button = button("Resume", "hpo-resume", self._on_resume, "start trials again")
        self.stop_button = button(
            "Stop", "hpo-stop", self._on_stop, "start no new trials; end when running ones end"
        )
        self.add_n = w.BoundedIntText(value=10, min=1, max=1_000_000, description="N")
        self.add_n.layout.width = "140px"
        self.add_button = button(
            "+N trials", "hpo-add-trials", self._on_add, "add N trials to the run's budget"
        )
        self.workers = w.BoundedIntText(value=1, min=1, max=1024, description="workers")
        self.workers.layout.width = "160px"
        self.workers.add_class("hpo-workers")
        self._syncing_workers = False
        self.workers.observe(self._on_workers, names="value")
        self.controls = w.HBox(
            [
                self.pause_button,
                self.resume_button,
                self.stop_button,
                self.add_n,
                self.add_button,
                self.workers,
            ]
        )
        self.controls.add_class("hpo-controls")
        self.message = w.HTML(value="")
        self.message.add_class("hpo-message")

        # The figures are built later, on the bridge thread (see _build_figures): importing
        # plotly and building them takes seconds in a fresh kernel, and the cell returns first.
        self._figures: _Figures | None = None
        self._deferring = False
        self._loading: dict[str, Any] = {}
        for key in _FIGURE_TABS:
            note = w.HTML(value="<i>loading plots…</i>")
            note.add_class("hpo-figures-loading")
            self._loading[key] = note

        self.sort_by = w.Dropdown(options=list(_SORTS), value="newest", description="sort by")
        self.sort_by.observe(lambda _c: self._mark_table(), names="value")
        self.table = w.HTML(value="")
        self.table.add_class("hpo-trials-table")
        self.failures = w.HTML(value="<i>No failed trials.</i>")
        self.failures.add_class("hpo-failures")
        self.log_view = w.HTML(value="<i>Nothing logged yet.</i>")
        self.log_view.add_class("hpo-log")
        self.editor = SpaceEditor(self._on_apply, self._on_warm_start, self._bridge_wake)

        pages = {
            **{key: [self._loading[key]] for key in _FIGURE_TABS},
            "trials": [self.sort_by, self.table],
            "failures": [self.failures],
            "log": [self.log_view],
            "space": [self.editor.widget],
        }
        boxes = []
        self._tab_boxes: dict[str, Any] = {}
        for key, _title in _TABS:
            box = w.VBox(pages[key])
            box.add_class(f"hpo-tab-{key}")
            boxes.append(box)
            self._tab_boxes[key] = box
        self.tabs = w.Tab(children=boxes)
        for i, (_key, title) in enumerate(_TABS):
            self.tabs.set_title(i, title)
        self.tabs.observe(lambda _c: self._bridge_wake(), names="selected_index")
        self.children_box = w.VBox([])
        self.widget = w.VBox(
            [self.header, self.controls, self.message, self.tabs, self.children_box]
        )
        self.widget.add_class("hpo-panel")
        self.widget.add_class(f"hpo-panel-{self.control_id}")
        # The widgets a tick may change, synced once per tick.
        self._synced = [
            self.title,
            self.status,
            self.progress,
            self.progress_text,
            self.counts,
            self.best,
            self.times,
            self.source_note,
            self.lineage,
            self.message,
            self.table,
            self.failures,
            self.log_view,
            self.pause_button,
            self.resume_button,
            self.stop_button,
            self.add_button,
            self.workers,
            self.editor.status,
        ]

    # -- figures (built on the bridge thread) -------------------------------------------------
    @property
    def figures_built(self) -> bool:
        """Whether the figures exist yet (the bridge thread builds them after the cell returns).

        Example:
            >>> import hpo_lab
            >>> p = Panel(hpo_lab.create_study(), figures="html")
            >>> p.refresh(); p.figures_built
            True
            >>> p.close()
        """
        return self._figures is not None

    def _ensure_figures(self) -> _Figures:
        figures = self._figures
        if figures is None:
            with self._bridge.tick_lock:
                figures = self._figures
                if figures is None:
                    figures = self._build_figures()
        return figures

    @property
    def history_view(self) -> FigureView:
        """The optimization history's figure (built on first use if the bridge has not yet)."""
        return self._ensure_figures().history_view

    @property
    def curves_view(self) -> FigureView:
        """The learning curves' figure."""
        return self._ensure_figures().curves_view

    @property
    def heavy_views(self) -> dict[str, FigureView]:
        """The importance, parallel coordinates and slice figures, by tab name."""
        return self._ensure_figures().heavy_views

    def _build_figures(self) -> _Figures:
        # Under the tick lock: on the bridge thread, or whoever asked for a figure first.
        from hpo_lab.viz import LiveIntermediateValues, LiveOptimizationHistory
        from hpo_lab.viz._snapshot import import_plotly

        go = import_plotly()
        study = self._study
        history_live = LiveOptimizationHistory(study)
        history_view = FigureView(
            history_live.figure, self.mode, "hpo-history-plot", min_interval=1.0
        )
        if self.mode == "widget":
            history_live = LiveOptimizationHistory(study, figure=history_view.figure)
        curves_live = LiveIntermediateValues(study)
        curves_view = FigureView(curves_live.figure, self.mode, "hpo-curves-plot", min_interval=1.0)
        if self.mode == "widget":
            curves_live = LiveIntermediateValues(study, figure=curves_view.figure)
        heavy_views = {
            name: FigureView(go.Figure(), self.mode, f"hpo-{name}-plot", min_interval=0.0)
            for name in _HEAVY
        }
        known = [self._trials[n] for n in sorted(self._trials)]
        if known:
            history_live.update(known)
            history_view.touch()
            curves_live.update(known)
            curves_view.touch()
        figures = _Figures(history_live, history_view, curves_live, curves_view, heavy_views)
        self._figures = figures
        views = {"history": history_view, "curves": curves_view, **heavy_views}
        if not self._closed:
            for key in _FIGURE_TABS:
                self._tab_boxes[key].children = (views[key].widget,)
                self._loading[key].close()
        return figures

    def _lineage_text(self) -> str:
        names = self._study.lineage
        text = ""
        if len(names) > 1:
            text = "lineage: " + " ← ".join(html.escape(n) for n in names)
            text += f" ({len(self._study.inherited_trials)} inherited trials)"
        kids = [c._study.study_name for c in getattr(self, "children", [])]
        if kids:
            text += ("; " if text else "") + "warm-started: " + ", ".join(map(html.escape, kids))
        return text

    # -- following a run --------------------------------------------------------------------------
    def _follow(self, run: Run) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._run = run
        if run.objective is not None:
            self._objective = run.objective
        self._settings = run.settings
        self._run_t0 = time.time()
        self._run_t1 = None
        bridge = self._bridge
        self._unsubscribe = run.subscribe(lambda _event: bridge.wake())

    def attach(self, run: Run) -> None:
        """Follow ``run``, a new run of the same study (after ``extend``, ``continue`` or
        ``%hpo`` re-runs); the controls act on it from now on.

        Example:
            >>> import hpo_lab
            >>> study = hpo_lab.create_study()
            >>> panel = Panel(study, figures="html")
            >>> run = study.start(lambda t: t.suggest_int("k", 0, 3), n_trials=2)
            >>> panel.attach(run); run.wait(60)
            True
            >>> panel.refresh(); panel.progress.value
            2
            >>> panel.close()
        """
        if not _is_run(run):
            raise TypeError(f"attach() takes a Run, but got {type(run).__name__}")
        if run.study.study_name != self._study.study_name:
            raise ValueError(
                f"attach() takes a run of study {self._study.study_name!r}, but got a run of "
                f"{run.study.study_name!r}; make a new panel for another study"
            )
        with self._lock:
            self._follow(run)
        self._bridge.wake()

    # -- public -----------------------------------------------------------------------------------
    @property
    def run(self) -> Run | None:
        """The run the panel follows (``None`` for a static panel)."""
        return self._run

    @property
    def study(self) -> Study:
        """The study the panel shows."""
        return self._study

    def display(self) -> None:
        """Show the panel in the current cell's output (call it once, from the cell).

        Also makes the (empty) display slot where the static snapshot goes when the run
        ends. Without IPython this prints nothing and does nothing.
        """
        ipd = _ipython_display()
        if self._relay is None:
            self._relay = make_relay(self.control_id)
            if self._relay is not None:
                self.widget.children = (*self.widget.children, self._relay)
        # The widget view, with a short text fallback for viewers without the widget state
        # (GitHub, nbviewer), where the snapshot below shows the results.
        ipd.display(
            {
                "text/plain": f"hpo_lab control panel of study {self._study.study_name!r}",
                "application/vnd.jupyter.widget-view+json": {
                    "version_major": 2,
                    "version_minor": 0,
                    "model_id": self.widget.model_id,
                },
            },
            raw=True,
        )
        handle = ipd.display(ipd.HTML(self.static_html), display_id=True)
        with self._lock:
            self._static_handle = handle
        self._bridge.wake()

    def refresh(self) -> None:
        """Apply one update now, on the calling thread, re-rendering every changed plot
        (tabs not shown included).

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
            >>> p = Panel(s, figures="html")
            >>> p.refresh(); p.progress.value, p.status.value
            (3, 'no run')
            >>> p.close()
        """
        self._force = True
        try:
            self._bridge.tick(self)
        finally:
            self._force = False

    def wait(self, timeout: float | None = None) -> bool:
        """Foreground mode: block until the run ends, updating the panel from this thread a few
        times a second; return whether it ended (``False`` on timeout).

        Ctrl-C (``KeyboardInterrupt``) stops the run cleanly (``run.stop()``: no new trials,
        running ones finish; a second Ctrl-C cancels them), then ``False`` is returned.

        Example:
            >>> import hpo_lab
            >>> study = hpo_lab.create_study()
            >>> panel = Panel(study.start(lambda t: t.suggest_int("k", 0, 9), n_trials=3),
            ...               figures="html")
            >>> panel.wait(60), panel.progress.value
            (True, 3)
            >>> panel.close()
        """
        if timeout is not None and not timeout >= 0:
            raise ValueError(f"timeout must be >= 0 seconds or None, but got timeout={timeout!r}")
        run = self._run
        if run is None:
            self.refresh()
            return True
        deadline = None if timeout is None else time.monotonic() + timeout
        bridge = self._bridge
        bridge.suspend()
        try:
            while True:
                bridge.tick(self)
                if not run.is_live():
                    bridge.tick(self)
                    return True
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                run.wait(bridge.min_gap if left is None else min(bridge.min_gap, left))
        except KeyboardInterrupt:
            # Ctrl-C: no new trials, running ones finish; a second Ctrl-C cancels them.
            run.stop()
            cancelled = False
            while True:
                try:
                    while not run.wait(bridge.min_gap):
                        bridge.tick(self)
                    break
                except KeyboardInterrupt:
                    if not cancelled:
                        run.stop(cancel=True)
                        cancelled = True
            bridge.tick(self)
            return False
        finally:
            bridge.resume()

    def close(self) -> None:
        """Stop the bridge thread, stop following the run and close the widgets (the run
        itself goes on)."""
        if self._closed:
            return
        self._closed = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._bridge.stop()
        with self._bridge.tick_lock:
            _close_tree(self.widget)

    def _settled(self) -> bool:
        # Whether the bridge thread may end: the run is over, its snapshot published and every
        # change shown. A static panel (no run) keeps polling: other processes may write trials.
        run = self._run
        if self._closed:
            return True
        if run is None or run.is_live() or self._published_for != (id(run), self._cursor):
            return False
        with self._lock:
            if self._messages or self._new_children:
                return False
        shown = _TABS[self.tabs.selected_index or 0][0]
        # Heavy plots render when their tab is shown; choosing a tab wakes the bridge.
        return not (
            shown in self._heavy_dirty
            or (shown == "trials" and self._table_dirty)
            or self._space_dirty
            or self._figures is None
            or self._figures.history_view.pending
            or self._figures.curves_view.pending
        )

    def _poll_interval(self) -> float:
        # A panel without a live run polls slowly once the store has been quiet a while.
        run = self._run
        if (run is None or not run.is_live()) and self._quiet_ticks >= _QUIET_AFTER:
            return QUIET_POLL_INTERVAL
        return self._bridge.interval

    @property
    def bridge_thread(self) -> threading.Thread:
        """The thread that applies this panel's widget changes."""
        return self._bridge.thread

    def __repr__(self) -> str:
        run = self._run
        state = run.status.value if run is not None else "no run"
        return f"Panel(study={self._study.study_name!r}, status={state!r}, figures={self.mode!r})"

    def _ipython_display_(self) -> None:
        self.display()

    # -- callbacks: they only post commands -----------------------------------------------------
    def _bridge_wake(self) -> None:
        bridge = getattr(self, "_bridge", None)
        if bridge is not None:
            bridge.wake()

    def _frontend_seen(self) -> None:
        # The browser runs widget code (the relay's comm opened).
        with self._lock:
            self.frontend_seen = True
            children = list(self.children)
        for child in children:
            child._frontend_seen()

    def _post(self, text: str, error: bool = False) -> None:
        self._messages.append((text, error))

    def _control(self, action: Callable[[Run], None]) -> None:
        with self._lock:
            run = self._run
            if run is None or not run.is_live():
                self._post("no live run to control", error=True)
            else:
                try:
                    action(run)
                except (ValueError, RuntimeError) as exc:
                    self._post(str(exc), error=True)
        self._bridge.wake()

    def _run_command(self, command: str) -> None:
        if command == "pause":
            self._control(lambda run: run.pause())
        elif command == "resume":
            self._control(lambda run: run.resume())
        elif command == "stop":
            self._control(lambda run: run.stop())

    def _relayed(self, command: str) -> None:
        # The browser relayed a click at once (see _relay.py); the button's own click
        # message comes later and is dropped then.
        if self._closed:
            return
        with self._lock:
            self._relay_counts[command] += 1
        self._run_command(command)

    def _clicked(self, command: str) -> None:
        with self._lock:
            if self._relay_counts[command] > 0:
                self._relay_counts[command] -= 1
                return
        self._run_command(command)

    def _on_pause(self) -> None:
        self._clicked("pause")

    def _on_resume(self) -> None:
        self._clicked("resume")

    def _on_stop(self) -> None:
        self._clicked("stop")

    def _on_add(self) -> None:
        n = int(self.add_n.value)

        def add(run: Run) -> None:
            run.extend(n)
            self._post(f"added {n} trials: the budget is now {run.n_trials}")

        self._control(add)

    def _on_workers(self, change: Any) -> None:
        if self._syncing_workers:
            return
        n = int(change["new"])
        self._control(lambda run: run.set_n_jobs(n))

    def _mark_table(self) -> None:
        self._table_dirty = True
        self._bridge_wake()

    def _edited_ranges(self) -> dict[str, Any] | None:
        ranges = self.editor.ranges()
        if not ranges:
            self._post("no parameters yet: wait for a trial to suggest some", error=True)
            return None
        for name, spec in ranges.items():
            if isinstance(spec, list) and not spec:
                self._post(f"choose at least one value for {name!r}", error=True)
                return None
        return ranges

    def _on_apply(self) -> None:
        with self._lock:
            ranges = self._edited_ranges()
            if ranges is not None:
                try:
                    revision = self._study.narrow(**ranges)
                except ValueError as exc:
                    self._post(str(exc), error=True)
                else:
                    self._space_dirty = True
                    narrowed = ", ".join(sorted(revision.constraints)) or "nothing (full space)"
                    self._post(
                        f"applied revision {revision.number} for future trials; narrowed: "
                        f"{narrowed}"
                    )
        self._bridge.wake()

    def _child_name(self) -> str:
        taken = {s.study_name for s in self._storage.get_all_studies()}
        k = 1
        while f"{self._study.study_name}_warm{k}" in taken:
            k += 1
        return f"{self._study.study_name}_warm{k}"

    def _on_warm_start(self) -> None:
        with self._lock:
            try:
                self._warm_start()
            except (ValueError, TypeError, RuntimeError) as exc:
                self._post(f"warm start failed: {exc}", error=True)
        self._bridge.wake()

    def _warm_start(self) -> None:
        from hpo_lab.study._study import create_study

        objective = self._objective
        if objective is None:
            raise ValueError(
                "this panel has no objective to run: warm-start from the panel of a run "
                "started in this kernel (study.start(...) or %%hpo)"
            )
        from hpo_lab.execution._base import BaseExecutor

        if isinstance(self._settings.get("executor"), BaseExecutor):
            raise ValueError(
                "the run used an executor object, which ends with its run; start the child "
                "yourself: hpo_lab.create_study(warm_start_from=study).start(objective, "
                "executor=...)"
            )
        ranges = self._edited_ranges()
        if ranges is None:
            return
        parent = self._study
        try:
            sampler = copy.deepcopy(parent.sampler)
        except Exception:
            sampler = parent.sampler
        try:
            pruner = copy.deepcopy(parent.pruner)
        except Exception:
            pruner = parent.pruner
        child = create_study(
            study_name=self._child_name(),
            storage=parent.storage,
            direction=parent.direction,
            sampler=sampler,
            pruner=pruner,
            warm_start_from=parent,
        )
        known = child.declared_distributions()
        narrowing = {name: spec for name, spec in ranges.items() if name in known}
        if narrowing:
            child.narrow(**narrowing)
        settings = dict(self._settings)
        run = self._run
        if run is not None and run.n_trials is not None:
            settings["n_trials"] = run.n_trials
        child_run = child.start(objective, **settings)
        self._new_children.append(child_run)
        self._post(
            f"warm-started {child.study_name} with {len(child.inherited_trials)} inherited trials"
        )

    # -- the update (bridge thread, or the caller of refresh/wait) -------------------------------
    @contextlib.contextmanager
    def _batch(self) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for widget in [*self._synced, *self.editor.synced_widgets()]:
                stack.enter_context(widget.hold_sync())
            yield

    def _tick(self) -> None:
        if self._closed:
            return
        with self._lock:
            messages, self._messages = self._messages, []
            new_children, self._new_children = self._new_children, []
        changed, self._cursor = self._storage.get_trials_since(self._study_id, self._cursor)
        self._quiet_ticks = 0 if changed else self._quiet_ticks + 1
        for t in changed:
            self._trials[t.number] = t
        entries, self._log_cursor = self._log.since(self._log_cursor)
        force = self._force
        run = self._run
        trials = [self._trials[n] for n in sorted(self._trials)]
        with self._batch():
            if messages:
                text, error = messages[-1]
                color = "#c00" if error else "#060"
                _set(
                    self.message,
                    "value",
                    f'<span style="color:{color}">{html.escape(text, quote=False)}</span>',
                )
            for child_run in new_children:
                child = Panel(child_run, figures=self._requested)
                if self.frontend_seen:
                    child._frontend_seen()  # shown in this panel, so in the same browser
                self.children.append(child)
                self.children_box.children = (*self.children_box.children, child.widget)
            if new_children:
                _set(self.lineage, "value", self._lineage_text())
            self._update_header(run, trials)
            self._update_controls(run)
            figures = self._figures
            if figures is None and not self._deferring:
                figures = self._build_figures()  # fed with every trial known
            elif figures is not None and changed:
                figures.history_live.update(changed)
                figures.history_view.touch()
                figures.curves_live.update(changed)
                figures.curves_view.touch()
            if changed:
                self._heavy_dirty = set(_HEAVY)
                self._table_dirty = True
                self._space_dirty = True
                self._update_source_note(trials)
                self._update_failures(trials)
            if figures is not None:
                self._update_heavy(figures, trials, force)
            self._update_table(trials, force)
            if entries:
                self._update_log(entries)
            self._update_space(trials, force)
            if figures is not None:
                figures.history_view.flush(force)
                figures.curves_view.flush(force)
                self._publish_if_ended(run, trials)
        self.n_updates += 1

    def _update_header(self, run: Run | None, trials: list[FrozenTrial]) -> None:
        states = collections.Counter(t.state for t in trials)
        if run is not None:
            p = run.progress
            status = run.status.value
            finished, total = p.finished, p.total
            running, pruned, failed, complete = p.running, p.pruned, p.failed, p.complete
        else:
            status = "no run"
            running = states[TrialState.RUNNING]
            pruned, failed = states[TrialState.PRUNED], states[TrialState.FAIL]
            complete = states[TrialState.COMPLETE]
            finished = complete + pruned + failed
            total = len(trials)
        _set(self.status, "value", status)
        _set(self.progress, "max", max(1, total if total is not None else finished))
        _set(self.progress, "value", min(finished, self.progress.max))
        bar = {"finished": "success", "failed": "danger", "paused": "warning"}.get(status, "")
        _set(self.progress, "bar_style", bar)
        _set(self.progress_text, "value", f"{finished}/{'?' if total is None else total} trials")
        _set(
            self.counts,
            "value",
            f"{complete} complete · {running} running · {pruned} pruned · {failed} failed",
        )
        best = best_of(trials, self._study.direction)
        if best is not None:
            params = ", ".join(f"{k}={_short(v)}" for k, v in sorted(best.params.items()))
            best_text = (
                f"best {best.value:.6g} (trial {best.number}): {html.escape(params, quote=False)}"
            )
        else:
            best_text = "best: no COMPLETE trial yet"
        _set(self.best, "value", best_text)
        _set(self.times, "value", self._times_text(run, trials, finished, total))

    def _times_text(
        self, run: Run | None, trials: list[FrozenTrial], finished: int, total: int | None
    ) -> str:
        if run is None:
            starts = [s for t in trials if (s := _timestamp(t.datetime_start)) is not None]
            ends = [e for t in trials if (e := _timestamp(t.datetime_complete)) is not None]
            if not starts or not ends:
                return ""
            return f" · took {_seconds(max(ends) - min(starts))}"
        if self._run_t0 is None:
            return ""
        mine = [self._trials[n] for n in run.numbers[:1] if n in self._trials]
        if mine and (s := _timestamp(mine[0].datetime_start)) is not None:
            self._run_t0 = min(self._run_t0, s)
        if not run.is_live():
            if self._run_t1 is None:
                self._run_t1 = time.time()
            return f" · took {_seconds(self._run_t1 - self._run_t0)}"
        elapsed = time.time() - self._run_t0
        text = f" · elapsed {_seconds(elapsed)}"
        if total is not None and finished > 0 and run.status.value == "running":
            text += f" · ETA {_seconds(elapsed / finished * max(0, total - finished))}"
        return text

    def _update_controls(self, run: Run | None) -> None:
        status = run.status.value if run is not None else "none"
        live = status in ("running", "paused")
        _set(self.pause_button, "disabled", status != "running")
        _set(self.resume_button, "disabled", status != "paused")
        _set(self.stop_button, "disabled", not live)
        _set(self.add_button, "disabled", not live or run is None or run.n_trials is None)
        _set(self.add_n, "disabled", not live)
        _set(self.workers, "disabled", not live)
        if run is not None and self.workers.value != run.n_jobs:
            self._syncing_workers = True
            try:
                self.workers.value = run.n_jobs
            finally:
                self._syncing_workers = False
        self.editor.set_enabled(apply=True, warm=self._objective is not None)

    def _update_source_note(self, trials: list[FrozenTrial]) -> None:
        changes: list[int] = []
        previous: Any = None
        for t in trials:
            if not t.state.is_finished():
                continue
            h = t.system_attrs.get(SOURCE_HASH_ATTR)
            if h is None:
                continue
            if previous is not None and h != previous:
                changes.append(t.number)
            previous = h
        if changes != self._source_changes:
            self._source_changes = changes
            text = ""
            if changes:
                at = ", ".join(str(n) for n in changes[-5:])
                text = f"objective source changed at trial {at}"
            _set(self.source_note, "value", text)

    def _snapshot(self, trials: list[FrozenTrial]) -> StudySnapshot:
        return StudySnapshot(
            trials=tuple(trials),
            direction=self._study.direction,
            inherited=tuple(self._inherited),
            revisions=tuple(self._storage.get_space_revisions(self._study_id)),
            study_name=self._study.study_name,
        )

    def _update_heavy(self, figures: _Figures, trials: list[FrozenTrial], force: bool) -> None:
        if not self._heavy_dirty:
            return
        from hpo_lab.viz import plot_parallel_coordinate, plot_param_importances, plot_slice

        plots: dict[str, Callable[[StudySnapshot], Any]] = {
            "importance": lambda s: plot_param_importances(s, intervals=False),
            "parallel": plot_parallel_coordinate,
            "slice": plot_slice,
        }
        shown = _TABS[self.tabs.selected_index or 0][0]
        snap: StudySnapshot | None = None
        for name in list(self._heavy_dirty):
            if not force and (name != shown or not self._heavy_throttle[name].ready()):
                continue
            if snap is None:
                snap = self._snapshot(trials)
            try:
                figure = plots[name](snap)
            except Exception:
                _logger.exception("the %s plot of the control panel failed", name)
                self._heavy_dirty.discard(name)
                continue
            view = figures.heavy_views[name]
            view.replace(figure)
            view.flush(force=True)
            self._heavy_dirty.discard(name)

    def _update_table(self, trials: list[FrozenTrial], force: bool) -> None:
        shown = _TABS[self.tabs.selected_index or 0][0]
        if not self._table_dirty or not (force or shown == "trials"):
            return
        from hpo_lab.study._dataframe import trials_to_dataframe

        df = trials_to_dataframe(trials)
        if df.empty:
            _set(self.table, "value", "<i>No trials yet.</i>")
            self._table_dirty = False
            return
        key = self.sort_by.value
        if key == "best":
            df = df.sort_values(
                "value",
                ascending=self._study.direction == "minimize",
                na_position="last",
                kind="stable",
            )
        elif key == "newest":
            df = df.sort_values("number", ascending=False, kind="stable")
        elif key == "duration" and "duration" in df:
            df = df.sort_values("duration", ascending=False, na_position="last", kind="stable")
        drop = [c for c in ("datetime_start", "datetime_complete") if c in df]
        shown_df = df.drop(columns=drop).head(_TABLE_ROWS)
        table = shown_df.to_html(index=False, na_rep="", border=0, classes="hpo-table")
        if len(df) > _TABLE_ROWS:
            table += f"<i>{_TABLE_ROWS} of {len(df)} trials shown</i>"
        _set(self.table, "value", table)
        self._table_dirty = False

    def _update_failures(self, trials: list[FrozenTrial]) -> None:
        failed = [t for t in trials if t.state == TrialState.FAIL]
        if len(failed) == self._failures_seen:
            return
        self._failures_seen = len(failed)
        if not failed:
            _set(self.failures, "value", "<i>No failed trials.</i>")
            return
        items = []
        for t in failed[-50:]:
            message = t.fail_message or ""
            lines = message.strip().splitlines()
            summary = lines[-1] if lines else (t.fail_reason.value if t.fail_reason else "")
            reason = t.fail_reason.value if t.fail_reason is not None else "failed"
            items.append(
                f"<details><summary>trial {t.number} ({html.escape(reason)}): "
                f"{html.escape(summary)}</summary><pre>{html.escape(message)}</pre></details>"
            )
        _set(self.failures, "value", "".join(items))

    def _update_log(self, entries: list[Any]) -> None:
        # print() writes its pieces separately: join them per trial and stream into lines.
        partial = self._log_partial
        for e in entries:
            key = (e.trial, e.stream)
            text = partial.pop(key, "") + e.text
            *lines, rest = text.split("\n")
            tag = "" if e.trial is None else f"[trial {e.trial}] "
            prefix = "warning: " if e.stream == "warning" else ""
            if e.stream == "warning" and rest:
                lines, rest = [*lines, rest], ""  # a warning is one whole message
            for line in lines:
                self._log_lines.append(f"{tag}{prefix}{line}")
            if rest:
                partial[key] = rest
        shown = list(self._log_lines)
        for (trial, stream), rest in partial.items():
            tag = "" if trial is None else f"[trial {trial}] "
            shown.append(f"{tag}{'warning: ' if stream == 'warning' else ''}{rest}")
        body = html.escape("\n".join(shown[-_LOG_LINES:]), quote=False)
        _set(self.log_view, "value", f"<pre style='max-height:300px;overflow:auto'>{body}</pre>")

    def _update_space(self, trials: list[FrozenTrial], force: bool) -> None:
        revisions = self._storage.get_space_revisions(self._study_id)
        new_revision = len(revisions) != self._revision_count
        if new_revision:
            self._revision_count = len(revisions)
            self._space_dirty = True
            if self._study.parent is not None:
                self._inherited = list(self._study.inherited_trials)
        # Hints change with every trial: redrawn at most every SPACE_INTERVAL seconds.
        ready = force or new_revision or not self.editor.rows or self._space_throttle.ready()
        if not self._space_dirty or not ready:
            self.editor.update_readouts()  # the user may have moved a control
            return
        self._space_throttle.mark()
        self._space_dirty = False
        declared: dict[str, Distribution] = {}
        for t in self._inherited:
            declared.update(t.distributions)
        for t in trials:
            declared.update(t.distributions)
        current = revisions[-1]
        effective = {name: current.effective(name, d) for name, d in declared.items()}
        self.editor.update(declared, effective, trials, self._study.direction)
        text = f"current revision: {current.number}"
        if current.constraints:
            text += " (narrowed: " + ", ".join(sorted(current.constraints)) + ")"
        _set(self.editor.status, "value", html.escape(text))

    def _publish_if_ended(self, run: Run | None, trials: list[FrozenTrial]) -> None:
        if run is not None and run.is_live():
            return
        if run is None and self._static_handle is None:
            return  # a static panel publishes its snapshot once displayed
        key = (id(run), self._cursor)
        if self._published_for == key:
            return
        self._published_for = key
        status = run.status.value if run is not None else None
        try:
            self.static_html = static_html(self._snapshot(trials), status)
        except Exception:
            _logger.exception("the static snapshot of the control panel failed")
            return
        handle = self._static_handle
        if handle is not None:
            handle.update(_ipython_display().HTML(self.static_html))


def panel(
    obj: Study | Run,
    *,
    figures: Literal["auto", "widget", "html"] = "auto",
    display: bool = True,
) -> Panel:
    """Make the control panel of a study or run, and show it (unless ``display=False``).

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> p = panel(s, figures="html", display=False)
        >>> p.status.value
        'no run'
        >>> p.close()
    """
    p = Panel(obj, figures=figures)
    if display:
        p.display()
    return p

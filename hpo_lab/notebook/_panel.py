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

What a tick does, and why its cost does not grow with the study, is in ``_panel_update.py``:
only the shown tab is brought up to date, the live figures send patches of bounded size, heavy
plots (importance, parallel coordinates, slice) are recomputed from a bounded selection of
trials on a budget, at least ``HEAVY_INTERVAL`` seconds apart. When the run ends, a static HTML
snapshot (summary and main plots) is written into the cell output through a display handle made
at :meth:`Panel.display`, so a saved notebook shows the results where widgets do not render;
where the panel itself renders, the snapshot hides itself (it would show every plot twice).

Stable DOM class names (for browser tests): ``hpo-panel``, ``hpo-header``, ``hpo-progress``,
``hpo-best``, ``hpo-status``, ``hpo-pause``, ``hpo-resume``, ``hpo-stop``, ``hpo-add-trials``,
``hpo-workers``, ``hpo-tab-<name>`` (history, importance, parallel, slice, curves, trials,
failures, log, space; pbt once the panel sees a trial of population-based training),
``hpo-space-editor``, ``hpo-range-<param>``, ``hpo-apply``,
``hpo-warm-start``, ``hpo-log``, ``hpo-history-plot``, ``hpo-message``, ``hpo-lineage``.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import html
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from hpo_lab.execution import start_run
from hpo_lab.notebook._bridge import Bridge
from hpo_lab.notebook._env import resolve_figures_mode
from hpo_lab.notebook._figures import FigureView, LiveView, import_widgets
from hpo_lab.notebook._livefig import CurvesModel, HistoryModel
from hpo_lab.notebook._log import RunLog, log_for
from hpo_lab.notebook._panel_html import LogLines
from hpo_lab.notebook._panel_update import PanelUpdates, _ipython_display
from hpo_lab.notebook._relay import make_relay, register_panel
from hpo_lab.notebook._space_editor import SpaceEditor
from hpo_lab.notebook._tally import Tally
from hpo_lab.viz._throttle import Budget

if TYPE_CHECKING:
    from hpo_lab.execution._run import Run
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = [
    "HEAVY_INTERVAL",
    "QUIET_POLL_INTERVAL",
    "RELAY_WAIT",
    "SPACE_INTERVAL",
    "TAB_KEYS",
    "Panel",
    "panel",
]

_logger = logging.getLogger("hpo_lab")

#: Least seconds between two re-renders of a heavy plot (importance, parallel, slice); more
#: when one takes long (each may use a tenth of the bridge's time).
HEAVY_INTERVAL = 3.0
#: Least seconds between two redraws of the space editor's good-trial hints.
SPACE_INTERVAL = 2.0
#: Longest wait, after the panel is shown, for its relay widget to start in the browser before
#: the plots are first drawn (see PanelUpdates._update_live).
RELAY_WAIT = 5.0
#: Seconds between two polls of the store by a panel without a live run once nothing changed
#: for a few polls (a click or a run's event is still served at once).
QUIET_POLL_INTERVAL = 3.0
#: From this many trials on, a panel updates at most once per ``LARGE_STUDY_GAP`` seconds
#: (twice a second below it); measured in ``benchmarks/panel_scale.py``.
LARGE_STUDY = 2_000
LARGE_STUDY_GAP = 1.0
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
#: The tabs' keys, in order (``tabs.selected_index`` indexes it).
TAB_KEYS = tuple(key for key, _title in _TABS)
_HEAVY = ("importance", "parallel", "slice")
_FIGURE_TABS = ("history", "importance", "parallel", "slice", "curves")
_SORTS = (
    ("newest first", "newest"),
    ("best first", "best"),
    ("oldest first", "oldest"),
    ("longest first", "duration"),
)


@dataclasses.dataclass
class _Figures:
    # The panel's figure views, built together on the bridge thread.
    history_view: LiveView
    curves_view: LiveView
    heavy_views: dict[str, FigureView]

    def live_views(self) -> dict[str, LiveView]:
        return {"history": self.history_view, "curves": self.curves_view}

    def all_views(self) -> dict[str, LiveView | FigureView]:
        return {**self.live_views(), **self.heavy_views}


def _is_run(obj: Any) -> bool:
    # Duck-typed: a module imported twice (doctest collection) must not make a Run foreign.
    return all(hasattr(obj, a) for a in ("study", "subscribe", "progress", "set_n_jobs"))


def _is_study(obj: Any) -> bool:
    return all(hasattr(obj, a) for a in ("study_name", "storage", "narrow", "inherited_trials"))


def _close_tree(widget: Any) -> None:
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    widget.close()


class Panel(PanelUpdates):
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
        self._tally = Tally(study.direction)
        # The live figures' data: plain dicts, so they are made here; their views (which need
        # plotly) are built on the bridge thread.
        self._history = HistoryModel(study.direction)
        self._curves = CurvesModel(study.direction)
        self._cursor = 0
        self._log_cursor = 0
        self._log_lines = LogLines()
        self._log_shown = -1
        self._lock = threading.Lock()  # held by widget callbacks while they post commands
        self._messages: list[tuple[str, bool]] = []
        self._new_children: list[Run] = []
        self._figure_commands: list[tuple[str, str | None, float | None]] = []
        self.children: list[Panel] = []
        self._run: Run | None = None
        self._objective: Callable[[Any], Any] | None = None
        self._settings: dict[str, Any] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._run_t0: float | None = None
        self._run_t1: float | None = None
        self._closed = False
        self._published_for: object = None
        # A static panel's snapshot, while other processes write: at least 10 s apart, and
        # at most a twentieth of the time.
        self._static_budget = Budget(10.0, share=0.05)
        self._static_handle: Any = None
        self.static_html = ""
        self._force = False
        #: Whether the browser applies the live figures' patches (the relay said so).
        self._patches = False
        self._relay_since: float | None = None  # when the relay widget was shown
        #: The heavy plots and the tabs, in order; a PBT tab joins them once the panel sees
        #: a trial of population-based training (see _add_pbt_tab).
        self._heavy_names: tuple[str, ...] = _HEAVY
        self._tab_keys: tuple[str, ...] = TAB_KEYS
        self._pbt_seen = False
        self._heavy_dirty = set(_HEAVY)
        self._heavy_budget = {name: Budget(HEAVY_INTERVAL) for name in _HEAVY}
        self._table_dirty = True
        self._table_budget = Budget(1.0)
        self._failures_shown = -1
        self._space_dirty = True
        self._space_budget = Budget(SPACE_INTERVAL)
        self._revision_count = -1
        self._space_revisions: list[Any] = []
        # Inherited (warm-start) trials, read on the bridge thread and kept current with the
        # parent's lineage (see PanelUpdates._poll_lineage).
        self._inherited: list[FrozenTrial] = []
        self._inherited_dirty = study.parent is not None
        self._inherited_budget = Budget(1.0)
        self._ancestors: dict[int, int] | None = None
        self._source_shown: list[int] = []
        #: How many batched updates the panel has applied (one per tick).
        self.n_updates = 0
        self._quiet_ticks = 0
        #: Identifies the panel to control messages relayed from the browser.
        self.control_id = uuid.uuid4().hex[:12]
        self._relay_counts: collections.Counter[str] = collections.Counter()
        self._relay: Any = None
        self._build()
        register_panel(self.control_id, self)
        # Two batched updates a second at most: a person reads no faster, and each batch is a
        # dozen widget messages and work on the kernel's GIL while trials run.
        self._bridge = Bridge(self, interval=0.5, min_gap=0.5)
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
    def history_view(self) -> LiveView:
        """The optimization history's figure (built on first use if the bridge has not yet)."""
        return self._ensure_figures().history_view

    @property
    def curves_view(self) -> LiveView:
        """The learning curves' figure."""
        return self._ensure_figures().curves_view

    @property
    def heavy_views(self) -> dict[str, FigureView]:
        """The importance, parallel coordinates and slice figures, by tab name."""
        return self._ensure_figures().heavy_views

    def _build_figures(self) -> _Figures:
        # Under the tick lock: on the bridge thread, or whoever asked for a figure first. In
        # "html" mode no plotly is imported here (the live figures are plain data; heavy plots
        # import it when their tab is first shown): a fresh kernel's run does not compete with
        # seconds of imports.
        history_view = LiveView(self._history.figure, self.mode, "hpo-history-plot")
        curves_view = LiveView(self._curves.figure, self.mode, "hpo-curves-plot")
        blank: Any = None
        if self.mode == "widget":
            from hpo_lab.viz._snapshot import import_plotly

            blank = import_plotly().Figure()
        heavy_views = {
            name: FigureView(blank, self.mode, f"hpo-{name}-plot", min_interval=0.0)
            for name in self._heavy_names
        }
        figures = _Figures(history_view, curves_view, heavy_views)
        if self._patches:
            for view in figures.all_views().values():
                view.html_fallback = False
        self._figures = figures
        views = figures.all_views()
        if not self._closed:
            for key in _FIGURE_TABS + self._heavy_names[len(_HEAVY) :]:
                self._tab_boxes[key].children = (views[key].widget,)
                self._loading[key].close()
        return figures

    def _add_pbt_tab(self) -> None:
        """Add the PBT tab (each member's hyperparameters and score over the steps, with the
        exploits drawn): on the bridge thread, once a trial of population-based training is
        seen."""
        if "pbt" in self._tab_keys or self._closed:
            return
        w = import_widgets()
        note = w.HTML(value="<i>loading plots…</i>")
        note.add_class("hpo-figures-loading")
        self._loading["pbt"] = note
        box = w.VBox([note])
        box.add_class("hpo-tab-pbt")
        self._tab_boxes["pbt"] = box
        self._heavy_names = (*self._heavy_names, "pbt")
        self._heavy_budget["pbt"] = Budget(HEAVY_INTERVAL)
        self._heavy_dirty.add("pbt")
        self.tabs.children = (*self.tabs.children, box)
        self.tabs.set_title(len(self.tabs.children) - 1, "PBT")
        self._tab_keys = (*self._tab_keys, "pbt")
        figures = self._figures
        if figures is not None:
            blank: Any = None
            if self.mode == "widget":
                from hpo_lab.viz._snapshot import import_plotly

                blank = import_plotly().Figure()
            view = FigureView(blank, self.mode, "hpo-pbt-plot", min_interval=0.0)
            if self._patches:
                view.html_fallback = False
            figures.heavy_views["pbt"] = view
            box.children = (view.widget,)
            note.close()

    def _lineage_text(self) -> str:
        names = self._study.lineage
        text = ""
        if len(names) > 1:
            text = "lineage: " + " ← ".join(html.escape(n) for n in names)
            if not self._inherited_dirty or self._inherited:
                text += f" ({len(self._inherited)} inherited trials)"
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
                self._relay_since = time.monotonic()
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
            if self._figure_commands:
                return False
        shown = self._shown()
        figures = self._figures
        # Only the shown tab is kept current; choosing another tab wakes the bridge.
        return not (
            figures is None
            or shown in self._heavy_dirty
            or (shown == "trials" and self._table_dirty)
            or (shown == "space" and self._space_dirty)
            or self._inherited_dirty
            or (shown in figures.live_views() and figures.live_views()[shown].pending)
        )

    def _min_gap(self) -> float:
        # Past LARGE_STUDY trials, one update a second (not two): each update redraws figures
        # in the browser, which shares the machine's cores with the trials.
        return LARGE_STUDY_GAP if len(self._tally) >= LARGE_STUDY else 0.0

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

    def _figure_command(
        self, command: str, figure: str | None, value: float | None = None
    ) -> None:
        # From the relay: the browser applies patches ("patches"), a graph missed one and
        # needs a full render ("resync"), or drawing a patch takes it ``value`` s ("draw").
        with self._lock:
            self._figure_commands.append((command, figure, value))
        self._bridge_wake()

    def _note(self, text: str) -> None:
        """Show ``text`` in the panel's message line (from any thread)."""
        with self._lock:
            self._post(text)
        self._bridge_wake()

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

    def _on_warm_start(self) -> None:
        with self._lock:
            try:
                self._warm_start()
            except (ValueError, TypeError, RuntimeError) as exc:
                self._post(f"warm start failed: {exc}", error=True)
        self._bridge.wake()

    def _warm_start(self) -> None:
        from hpo_lab.study._warm import warm_start

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
        # The one warm-start path (%hpo warm takes it too): copies of the parent's sampler
        # and pruner, the edited ranges checked against the parent first.
        child = warm_start(self._study, narrow=ranges)
        settings = dict(self._settings)
        run = self._run
        if run is not None and run.n_trials is not None:
            settings["n_trials"] = run.n_trials
        child_run = start_run(child, objective, **settings)
        self._new_children.append(child_run)
        self._post(
            f"warm-started {child.study_name} with {len(child.inherited_trials)} inherited trials"
        )

    # -- the update (bridge thread, or the caller of refresh/wait): see _panel_update.py ------
    @contextlib.contextmanager
    def _batch(self) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for widget in [*self._synced, *self.editor.synced_widgets()]:
                stack.enter_context(widget.hold_sync())
            yield

    def _add_child(self, child_run: Run) -> None:
        child = Panel(child_run, figures=self._requested)
        if self.frontend_seen:
            child._frontend_seen()  # shown in this panel, so in the same browser
        self.children.append(child)
        self.children_box.children = (*self.children_box.children, child.widget)


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

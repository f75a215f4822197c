"""The control panel's update: one batch of widget and figure changes per tick.

:class:`PanelUpdates` is the half of :class:`~hpo_lab.notebook._panel.Panel` that runs on the
bridge thread (or on the thread of ``refresh()`` / ``wait()``). Each tick reads the store's
change cursor and costs what changed, not what the study holds:

* the changed trials go into the panel's :class:`~hpo_lab.notebook._tally.Tally` (counts, the
  best trial, failures, source changes) and into the live figures' models, which thin what they
  draw (see ``_livefig.py``);
* only the tab that is shown is brought up to date (its figure patched or rendered, its table,
  failures, log or space editor redrawn); a tab brought up when chosen;
* heavy plots (importance, parallel coordinates, slice), the trials table and the space
  editor's hints are redrawn on a :class:`~hpo_lab.viz._throttle.Budget`: at least every few
  seconds, and less often as they take longer, from a bounded selection of trials;
* the warm-start lineage is polled through each ancestor's change cursor, so trials a parent
  adds after the child started reach the child's plots.
"""

from __future__ import annotations

import contextlib
import html
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from hpo_lab.notebook._panel_html import failures_html, table_html
from hpo_lab.notebook._static import static_html
from hpo_lab.pbt._pbt import PBT_ATTR
from hpo_lab.trial._state import TrialState
from hpo_lab.viz._live import thin
from hpo_lab.viz._snapshot import StudySnapshot

if TYPE_CHECKING:
    from hpo_lab.distributions import Distribution
    from hpo_lab.execution._run import Run
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["HEAVY_TRIALS", "STATIC_TRIALS", "TABLE_ROWS", "PanelUpdates"]

_logger = logging.getLogger("hpo_lab")

#: Most trials a heavy plot (importance, parallel coordinates, slice) is computed from.
HEAVY_TRIALS = 600
#: Most trials the static snapshot's plots draw.
STATIC_TRIALS = 1000
#: Rows of the trials table.
TABLE_ROWS = 100


def _seconds(seconds: float) -> str:
    h, rest = divmod(round(seconds), 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)


def _set(widget: Any, name: str, value: Any) -> None:
    # Send only real changes: every assignment of a synced trait is a message to the browser.
    if getattr(widget, name) != value:
        setattr(widget, name, value)


def _ipython_display() -> Any:
    try:
        import IPython.display as ipd
    except ImportError as exc:  # pragma: no cover - IPython is installed where tests run
        raise ImportError(
            "showing the control panel needs IPython: pip install 'hpo_lab[notebook]'"
        ) from exc
    return ipd


class PanelUpdates:
    """The update half of the panel (attributes are set by ``Panel.__init__``)."""

    # Set by Panel; typed here for the checker.
    _closed: bool
    _force: bool
    _deferring: bool
    _lock: Any
    _messages: list[tuple[str, bool]]
    _new_children: list[Any]
    _figure_commands: list[tuple[str, str | None, float | None]]
    _storage: Any
    _study: Any
    _study_id: int
    _cursor: int
    _tally: Any
    _history: Any
    _curves: Any
    _log: Any
    _log_cursor: int
    _log_lines: Any
    _log_shown: int
    _run: Any
    _figures: Any
    _patches: bool
    _relay: Any
    _relay_since: float | None
    frontend_seen: bool
    _quiet_ticks: int
    _inherited: list[FrozenTrial]
    _inherited_dirty: bool
    _inherited_budget: Any
    _ancestors: dict[int, int] | None
    _revision_count: int
    _space_revisions: list[Any]
    _heavy_dirty: set[str]
    _heavy_budget: dict[str, Any]
    _heavy_names: tuple[str, ...]
    _tab_keys: tuple[str, ...]
    _pbt_seen: bool
    _table_dirty: bool
    _table_budget: Any
    _failures_shown: int
    _space_dirty: bool
    _space_budget: Any
    _source_shown: list[int]
    _run_t0: float | None
    _run_t1: float | None
    _published_for: object
    _static_budget: Any
    _static_handle: Any
    static_html: str
    n_updates: int
    children: list[Any]
    control_id: str

    # The panel's widgets (see Panel._build).
    status: Any
    progress: Any
    progress_text: Any
    counts: Any
    best: Any
    times: Any
    source_note: Any
    lineage: Any
    message: Any
    table: Any
    failures: Any
    log_view: Any
    sort_by: Any
    editor: Any
    tabs: Any
    pause_button: Any
    resume_button: Any
    stop_button: Any
    add_button: Any
    add_n: Any
    workers: Any
    _syncing_workers: bool
    _objective: Any

    def _build_figures(self) -> Any:
        raise NotImplementedError  # Panel's

    def _batch(self) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError  # Panel's

    def _lineage_text(self) -> str:
        raise NotImplementedError  # Panel's

    def _add_child(self, run: Run) -> None:
        raise NotImplementedError  # Panel's

    def _add_pbt_tab(self) -> None:
        raise NotImplementedError  # Panel's

    # -- the tick ---------------------------------------------------------------------------------
    def _shown(self) -> str:
        keys: tuple[str, ...] = self._tab_keys
        return keys[min(self.tabs.selected_index or 0, len(keys) - 1)]

    def _tick(self) -> None:
        if self._closed:
            return
        with self._lock:
            messages, self._messages = self._messages, []
            new_children, self._new_children = self._new_children, []
            commands, self._figure_commands = self._figure_commands, []
        changed, self._cursor = self._storage.get_trials_since(self._study_id, self._cursor)
        self._quiet_ticks = 0 if changed else self._quiet_ticks + 1
        # Read once a tick (another process may narrow the space): a query on SQLite.
        self._space_revisions = list(self._storage.get_space_revisions(self._study_id))
        self._tally.update(changed)
        self._history.add(changed)
        self._curves.add(changed)
        entries, self._log_cursor = self._log.since(self._log_cursor)
        if entries:
            self._log_lines.add(entries)
        if changed:
            self._heavy_dirty = set(self._heavy_names)
            if "pbt" not in self._tab_keys and any(PBT_ATTR in t.system_attrs for t in changed):
                self._pbt_seen = True
            self._table_dirty = True
            self._space_dirty = True
        if not self._deferring:
            self._poll_lineage()
        force = self._force
        run = self._run
        shown = self._shown()
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
                self._add_child(child_run)
            if new_children:
                _set(self.lineage, "value", self._lineage_text())
            if self._pbt_seen:
                self._pbt_seen = False
                self._add_pbt_tab()
            self._update_header(run)
            self._update_controls(run)
            self._update_source_note()
            figures = self._figures
            if figures is None and not self._deferring:
                figures = self._build_figures()
            if figures is not None:
                self._figure_commands_apply(figures, commands)
                self._update_live(figures, shown, force, run)
                self._update_heavy(figures, shown, force)
            self._update_table(shown, force)
            self._update_failures(shown, force)
            self._update_log(shown, force)
            self._update_space(shown, force)
            if figures is not None:
                self._publish_if_ended(run)
        self.n_updates += 1

    # -- lineage (warm start) -----------------------------------------------------------------
    def _poll_lineage(self) -> None:
        # The parent (and its ancestors) may still be running: read their change cursors, and
        # recompute the inherited trials, on a budget, when one of them finished a trial.
        if self._study.parent is None:
            return
        if self._ancestors is None:
            self._ancestors = {}
            info = self._storage.get_study_info(self._study_id)
            parent_id = info.parent_id
            while parent_id is not None and parent_id not in self._ancestors:
                self._ancestors[parent_id] = 0
                parent_id = self._storage.get_study_info(parent_id).parent_id
            self._inherited_dirty = True
        for study_id, cursor in self._ancestors.items():
            changed, self._ancestors[study_id] = self._storage.get_trials_since(study_id, cursor)
            if any(t.state.is_finished() for t in changed):
                self._inherited_dirty = True
        revisions = self._space_revisions
        if len(revisions) != self._revision_count:
            self._inherited_dirty = True  # a narrowing changes which trials fit
        if not self._inherited_dirty or not (self._force or self._inherited_budget.ready()):
            return
        with self._inherited_budget.run():
            self._inherited_dirty = False
            self._inherited = list(self._study.inherited_trials)
            self._history.set_inherited(self._inherited)
            self._curves.set_inherited(self._inherited)
        self._heavy_dirty = set(self._heavy_names)
        self._space_dirty = True
        _set(self.lineage, "value", self._lineage_text())

    # -- header and controls ------------------------------------------------------------------
    def _update_header(self, run: Run | None) -> None:
        tally = self._tally
        states = tally.counts
        complete, pruned = states[TrialState.COMPLETE], states[TrialState.PRUNED]
        failed, running = states[TrialState.FAIL], states[TrialState.RUNNING]
        n_study = len(tally)
        bar = ""
        if run is not None:
            p = run.progress
            status = run.status.value
            finished, total = p.finished, p.total
            if status in ("finished", "stopping") and finished and p.complete + p.pruned == 0:
                status, bar = "all trials failed", "danger"  # not a success: say so
            else:
                bar = {"finished": "success", "failed": "danger", "paused": "warning"}.get(
                    status, ""
                )
            text = f"{finished}/{'?' if total is None else total} trials"
            if n_study > finished + p.running:
                text += " of this run"
        else:
            status = "no run"
            finished = complete + pruned + failed
            total = n_study
            text = f"{finished}/{total} trials"
        _set(self.status, "value", status)
        progress = self.progress
        _set(progress, "max", max(1, total if total is not None else finished))
        _set(progress, "value", min(finished, progress.max))
        _set(progress, "bar_style", bar)
        _set(self.progress_text, "value", text)
        counts = f"{complete} complete · {running} running · {pruned} pruned · {failed} failed"
        rungs = self._curves.rungs.summary()
        if rungs is not None:  # successive halving / Hyperband: what pruning saved, relaxed rungs
            counts += f" · {html.escape(rungs, quote=False)}"
        if run is not None and n_study > run.progress.finished + run.progress.running:
            counts = f"study: {n_study} trials · {counts}"
        _set(self.counts, "value", counts)
        best = tally.best
        if best is not None:
            params = ", ".join(f"{k}={_short(v)}" for k, v in sorted(best.params.items()))
            best_text = (
                f"best {best.value:.6g} (trial {best.number}): {html.escape(params, quote=False)}"
            )
        else:
            best_text = "best: no COMPLETE trial yet"
        _set(self.best, "value", best_text)
        _set(self.times, "value", self._times_text(run, finished, total))

    def _times_text(self, run: Run | None, finished: int, total: int | None) -> str:
        tally = self._tally
        if run is None:
            if tally.first_start is None or tally.last_end is None:
                return ""
            return f" · took {_seconds(tally.last_end - tally.first_start)}"
        if self._run_t0 is None:
            return ""
        first = run.numbers[:1]
        if first and first[0] in tally.trials:
            d = tally.trials[first[0]].datetime_start
            if d is not None:
                self._run_t0 = min(self._run_t0, d.timestamp())
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
        _set(
            self.add_button,
            "disabled",
            not live or run is None or run.n_trials is None,
        )
        _set(self.add_n, "disabled", not live)
        workers = self.workers
        _set(workers, "disabled", not live)
        if run is not None and workers.value != run.n_jobs:
            self._syncing_workers = True
            try:
                workers.value = run.n_jobs
            finally:
                self._syncing_workers = False
        self.editor.set_enabled(apply=True, warm=self._objective is not None)

    def _update_source_note(self) -> None:
        changes = self._tally.source_changes
        if changes != self._source_shown:
            self._source_shown = changes
            text = ""
            if changes:
                text = "objective source changed at trial " + ", ".join(map(str, changes[-5:]))
            _set(self.source_note, "value", text)

    # -- figures ------------------------------------------------------------------------------
    def _figure_commands_apply(
        self, figures: Any, commands: list[tuple[str, str | None, float | None]]
    ) -> None:
        for command, name, value in commands:
            if command == "patches" and not self._patches:
                self._patches = True
                # The browser draws plotly's JSON itself: renders need no HTML fallback.
                for view in figures.all_views().values():
                    view.html_fallback = False
            elif command == "resync" and name is not None:
                view = figures.live_views().get(name)
                if view is not None:
                    view.resync()
            elif command == "draw" and name is not None and value is not None:
                view = figures.live_views().get(name)
                if view is not None:
                    view.set_draw_cost(value)

    def _sender(self, name: str) -> Callable[[dict[str, Any]], None] | None:
        relay = self._relay
        if not self._patches or relay is None:
            return None
        return lambda patch: relay.send({"figure": name, "patch": patch})

    def _update_live(self, figures: Any, shown: str, force: bool, run: Run | None) -> None:
        self._history.mark_revisions(self._revisions())
        self._history.flush()
        self._curves.flush()
        if not force and self._relay_waiting():
            return
        ended = run is not None and not run.is_live()
        for name, view in figures.live_views().items():
            if force or name == shown:
                view.flush(force, send=None if force else self._sender(name), full=ended)

    def _relay_waiting(self) -> bool:
        # The first plot waits (up to RELAY_WAIT s) for the relay widget to start in the page:
        # drawing a plot loads and runs plotly.js, megabytes, and a page that does so at the
        # same moment can miss anywidget's 2 s limit to start the relay, which then never
        # works (no Pause while a cell runs, no patches).
        from hpo_lab.notebook._panel import RELAY_WAIT

        since = self._relay_since
        return (
            since is not None
            and not self.frontend_seen
            and time.monotonic() - since < RELAY_WAIT
        )

    def _revisions(self) -> list[Any]:
        revisions = self._space_revisions
        if len(revisions) != self._revision_count:
            self._space_dirty = True
        return list(revisions)

    def _selection(self, cap: int, keep: Iterable[int] = ()) -> StudySnapshot:
        """A snapshot of at most ``cap`` own trials (the best, the latest, an even sample, and
        ``keep``) and as many inherited ones, for plots that would otherwise draw thousands."""
        own = self._tally.selection(cap, keep)
        inherited = self._inherited
        if len(inherited) > cap:
            sign = -1.0 if self._study.direction == "maximize" else 1.0
            ranked = sorted(
                (sign * t.value, i) for i, t in enumerate(inherited) if t.value is not None
            )
            keep = {i for _, i in ranked[: max(1, cap // 10)]}
            chosen = set(thin(list(range(len(inherited))), cap, keep))
            inherited = [t for i, t in enumerate(inherited) if i in chosen]
        return StudySnapshot(
            trials=tuple(own),
            direction=self._study.direction,
            inherited=tuple(inherited),
            revisions=tuple(self._space_revisions),
            study_name=self._study.study_name,
        )

    def _update_heavy(self, figures: Any, shown: str, force: bool) -> None:
        if not self._heavy_dirty:
            return
        from hpo_lab.viz import (
            plot_parallel_coordinate,
            plot_param_importances,
            plot_pbt_schedule,
            plot_slice,
        )

        plots: dict[str, Callable[[StudySnapshot], Any]] = {
            "importance": lambda s: plot_param_importances(s, intervals=False),
            "parallel": plot_parallel_coordinate,
            "slice": plot_slice,
            "pbt": plot_pbt_schedule,
        }
        snap: StudySnapshot | None = None
        for name in list(self._heavy_dirty):
            budget = self._heavy_budget[name]
            if not force and (name != shown or not budget.ready()):
                continue
            with budget.run():
                if snap is None:
                    snap = self._selection(HEAVY_TRIALS)
                try:
                    figure = plots[name](snap)
                except Exception:
                    _logger.exception("the %s plot of the control panel failed", name)
                    self._heavy_dirty.discard(name)
                    continue
                n_all = len(self._tally)
                if len(snap.trials) < n_all:
                    title = figure.layout.title.text or ""
                    figure.update_layout(
                        title_text=f"{title} · from {len(snap.trials)} of {n_all} trials"
                    )
                view = figures.heavy_views[name]
                view.replace(figure)
                view.flush(force=True)
            self._heavy_dirty.discard(name)

    # -- tabs without plots -------------------------------------------------------------------
    def _update_table(self, shown: str, force: bool) -> None:
        if not self._table_dirty or not (
            force or (shown == "trials" and self._table_budget.ready())
        ):
            return
        with self._table_budget.run():
            tally = self._tally
            key = self.sort_by.value
            if key == "best":
                rows = [tally.trials[n] for n in tally.best_numbers(TABLE_ROWS)]
                if len(rows) < TABLE_ROWS:
                    seen = {t.number for t in rows}
                    rest = tally.top(TABLE_ROWS + len(seen), key=lambda t: t.number)
                    rows += [t for t in rest if t.number not in seen][: TABLE_ROWS - len(rows)]
            elif key == "newest":
                rows = tally.top(TABLE_ROWS, key=lambda t: -t.number)
            elif key == "duration":
                rows = tally.top(TABLE_ROWS, key=_longest_first)
            else:
                rows = tally.top(TABLE_ROWS, key=lambda t: t.number)
            text = table_html(
                rows, len(tally), self._study.direction == "minimize", dict(_SORT_NAMES)[key]
            )
            _set(self.table, "value", text)
        self._table_dirty = False

    def _update_failures(self, shown: str, force: bool) -> None:
        failed = self._tally.failed
        if len(failed) == self._failures_shown or not (force or shown == "failures"):
            return
        self._failures_shown = len(failed)
        trials = [self._tally.trials[n] for n in failed[-50:]]
        _set(self.failures, "value", failures_html(trials, len(failed)))

    def _update_log(self, shown: str, force: bool) -> None:
        lines = self._log_lines
        if lines.version == self._log_shown or not (force or shown == "log"):
            return
        self._log_shown = lines.version
        _set(self.log_view, "value", lines.html())

    def _update_space(self, shown: str, force: bool) -> None:
        editor = self.editor
        revisions = self._space_revisions
        new_revision = len(revisions) != self._revision_count
        if new_revision:
            self._revision_count = len(revisions)
            self._space_dirty = True
        if not (force or shown == "space"):
            return
        ready = force or new_revision or not editor.rows or self._space_budget.ready()
        if not self._space_dirty or not ready:
            editor.update_readouts()  # the user may have moved a control
            return
        with self._space_budget.run():
            self._space_dirty = False
            declared: dict[str, Distribution] = {}
            for t in self._inherited:
                declared.update(t.distributions)
            declared.update({name: d for name, (_, d) in self._tally.declared.items()})
            current = revisions[-1]
            effective = {name: current.effective(name, d) for name, d in declared.items()}
            editor.update(declared, effective, self._tally.recent_complete(200), self._tally.good())
            text = f"current revision: {current.number}"
            if current.constraints:
                text += " (narrowed: " + ", ".join(sorted(current.constraints)) + ")"
            _set(editor.status, "value", html.escape(text))

    # -- the static snapshot ------------------------------------------------------------------
    def _publish_if_ended(self, run: Run | None) -> None:
        if run is not None and run.is_live():
            return
        if run is None and self._static_handle is None:
            return  # a static panel publishes its snapshot once displayed
        key = (id(run), self._cursor)
        if self._published_for == key:
            return
        if run is None and self._published_for is not None and not self._force:
            # A static panel whose store other processes still write to: the snapshot (plots
            # of up to STATIC_TRIALS trials, seconds of work) is redone once the store is
            # quiet, or on a budget while it is not; not on every poll.
            from hpo_lab.notebook._panel import _QUIET_AFTER

            if self._quiet_ticks < _QUIET_AFTER and not self._static_budget.ready():
                return
        with self._static_budget.run():
            self._publish(run, key)

    def _publish(self, run: Run | None, key: object) -> None:
        self._published_for = key
        status = self.status.value if run is not None else None
        tally = self._tally
        full = StudySnapshot(
            trials=tuple(tally.trials[n] for n in sorted(tally.trials)),
            direction=self._study.direction,
            inherited=tuple(self._inherited),
            study_name=self._study.study_name,
        )
        try:
            self.static_html = static_html(
                full,
                status,
                # Where the best value improved: the snapshot's best-so-far line stays exact.
                drawn=self._selection(STATIC_TRIALS, keep=self._history.best.steps[-200:]),
                panel_id=self.control_id,
            )
        except Exception:
            _logger.exception("the static snapshot of the control panel failed")
            return
        handle = self._static_handle
        if handle is not None:
            handle.update(_ipython_display().HTML(self.static_html))


_SORT_NAMES = (
    ("newest", "newest"),
    ("best", "best"),
    ("oldest", "oldest"),
    ("duration", "longest"),
)


def _longest_first(t: FrozenTrial) -> float:
    if t.datetime_start is None or t.datetime_complete is None:
        return float("inf")
    return -(t.datetime_complete - t.datetime_start).total_seconds()

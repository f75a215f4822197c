"""A figure in the panel: a plotly ``FigureWidget`` updated in place, or re-rendered output.

Two kinds of view:

* :class:`LiveView` shows a :class:`~hpo_lab.notebook._livefig.FigureModel` (the history and
  the learning curves, which grow as trials finish). In ``"html"`` mode it renders the model
  into an ``ipywidgets.Output`` as plotly's JSON (drawn by the frontend's own plotly.js), and
  afterwards sends only *patches* (the points appended, the traces replaced) through the panel's
  relay widget, once the browser has said it applies them; a full render happens at the start,
  when the browser asks for one (its figure missed a patch), every ``RESYNC_INTERVAL`` seconds
  while patches flow (so the saved widget state stays close), and when the run ends. Frontends
  that never say so get full renders, at most once per :data:`FULL_INTERVAL` seconds; the
  model keeps their size bounded. Patches come at most every ``min_interval`` seconds, more
  seldom when the browser says drawing them takes long. In ``"widget"`` mode it is a
  ``FigureWidget`` whose changed traces are updated in place.
* :class:`FigureView` shows whole figures that are re-rendered (importance, parallel
  coordinates, slice): ``replace`` then ``flush``.

Only the panel's bridge thread calls their ``replace``, ``touch`` and ``flush``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

from hpo_lab.notebook._livefig import FigureModel, apply_patch
from hpo_lab.viz._snapshot import import_plotly
from hpo_lab.viz._throttle import Throttle

__all__ = [
    "FULL_INTERVAL",
    "PATCH_INTERVAL",
    "RESYNC_INTERVAL",
    "FigureView",
    "LiveView",
    "import_widgets",
    "mime_bundle",
    "spec_bundle",
]

#: Seconds between two full renders of a live figure while patches flow.
RESYNC_INTERVAL = 60.0
#: Least seconds between two full renders nobody asked for (a frontend that applies no
#: patches): JupyterLab draws a rendered plotly output several times over, and a PNG of it.
FULL_INTERVAL = 3.0
#: Bounds of the least time between two patches; within them it follows what the browser
#: says a patch costs it to draw (see :meth:`LiveView.set_draw_cost`).
PATCH_INTERVAL = (1.0, 5.0)


def import_widgets() -> Any:
    """``ipywidgets``, or an ImportError that names the extra to install.

    Example:
        >>> import_widgets().__name__
        'ipywidgets'
    """
    try:
        import ipywidgets
    except ImportError as exc:  # pragma: no cover - ipywidgets is installed where tests run
        raise ImportError(
            "the hpo_lab control panel needs ipywidgets: pip install 'hpo_lab[notebook]'"
        ) from exc
    return ipywidgets


def mime_bundle(figure: Any) -> dict[str, Any]:
    """The display data of a figure: plotly's JSON mimetype (drawn by JupyterLab, Notebook 7
    and VS Code with the plotly.js they ship) and an HTML fallback (Colab, nbviewer) that loads
    plotly.js from its CDN.

    plotly's own renderers are not used: its ``notebook`` renderer writes the whole plotly.js
    (megabytes) into an output the first time it draws, and a re-render must stay small, since
    an output widget keeps it in the notebook's widget state.

    Example:
        >>> import plotly.graph_objects as go
        >>> bundle = mime_bundle(go.Figure())
        >>> sorted(bundle), len(bundle["text/html"]) < 10_000
        (['application/vnd.plotly.v1+json', 'text/html'], True)
    """
    # One serialisation for both: plotly's to_html would validate and serialise the figure
    # again (about 20 ms for a history of 800 trials, on the bridge thread, every re-render).
    text = figure.to_json()
    spec = json.loads(text)
    spec.setdefault("config", {})
    return {"application/vnd.plotly.v1+json": spec, "text/html": _html(text)}


def spec_bundle(spec: dict[str, Any], html_fallback: bool = True) -> dict[str, Any]:
    """The display data of a figure given as plain data (``{"data": ..., "layout": ...}``):
    plotly's JSON mimetype, and the HTML fallback unless the frontend is known to draw the
    JSON itself.

    Example:
        >>> bundle = spec_bundle({"data": [], "layout": {}}, html_fallback=False)
        >>> sorted(bundle)
        ['application/vnd.plotly.v1+json']
    """
    data = {"data": spec["data"], "layout": spec["layout"], "config": {}}
    bundle: dict[str, Any] = {"application/vnd.plotly.v1+json": data}
    if html_fallback:
        bundle["text/html"] = _html(json.dumps(data))
    return bundle


_plotlyjs_version: list[str] = []


def plotlyjs_version() -> str:
    """The plotly.js version plotly.py was built for, read without importing plotly (a
    fresh kernel spends seconds on that, and the live figures need no plotly.py).

    Example:
        >>> import plotly.offline
        >>> plotlyjs_version() == plotly.offline.get_plotlyjs_version()
        True
    """
    if not _plotlyjs_version:
        import importlib.metadata
        import re

        # Through the installed distribution's files: no import machinery for "plotly" runs
        # (a finder on sys.meta_path may be slow or hold it), and nothing is imported.
        found = None
        try:
            dist = importlib.metadata.distribution("plotly")
            path = dist.locate_file("plotly/offline/_plotlyjs_version.py")
            found = re.search(r"""["']([0-9][^"']*)["']""", path.read_text())
        except (importlib.metadata.PackageNotFoundError, OSError):
            found = None
        if found is not None:
            _plotlyjs_version.append(found.group(1))
        else:
            import plotly.offline

            _plotlyjs_version.append(str(plotly.offline.get_plotlyjs_version()))
    return _plotlyjs_version[0]


def _html(figure_json: str) -> str:
    # A div and a script that draws the figure with plotly.js from its CDN (the version
    # plotly.py was built for), loaded once per page.
    version = plotlyjs_version()
    div = f"hpo-{uuid.uuid4().hex}"
    safe = figure_json.replace("</", "<\\/")  # no "</script>" inside the script
    return (
        f'<div id="{div}" class="plotly-graph-div" style="height:100%;width:100%"></div>'
        f'<script src="https://cdn.plot.ly/plotly-{version}.min.js" charset="utf-8"></script>'
        f"<script>(function(){{var f={safe};"
        f'Plotly.newPlot("{div}",f.data||[],f.layout||{{}},{{responsive:true}});}})();</script>'
    )


class FigureView:
    """One displayed figure of the panel.

    Args:
        figure: A ``go.Figure`` to start from (``None``: nothing shown until
            :meth:`replace`; in ``"html"`` mode plotly is then not needed until it is).
        mode: ``"widget"`` or ``"html"``.
        css_class: A DOM class name added to the displayed element.
        min_interval: In ``"html"`` mode, the least time between two re-renders (seconds).

    Example:
        >>> import plotly.graph_objects as go
        >>> view = FigureView(go.Figure(go.Scatter(x=[1], y=[2])), "html", min_interval=0)
        >>> view.flush(), len(view.widget.outputs), view.n_renders
        (True, 1, 1)
        >>> view.flush()  # nothing changed
        False
    """

    def __init__(
        self,
        figure: Any = None,
        mode: str = "html",
        css_class: str | None = None,
        min_interval: float = 1.0,
    ) -> None:
        if mode not in ("widget", "html"):
            raise ValueError(f"mode must be 'widget' or 'html', but got mode={mode!r}")
        widgets = import_widgets()
        self.mode = mode
        self.n_renders = 0
        #: Whether a render carries the HTML fallback (dropped once the browser has shown it
        #: draws plotly's JSON itself).
        self.html_fallback = True
        self._throttle = Throttle(min_interval)
        if mode == "widget":
            go = import_plotly()
            self.figure: Any = go.FigureWidget(figure)
            self.widget: Any = self.figure
            self._dirty = False
        else:
            self.figure = figure
            self.widget = widgets.Output()
            self._dirty = figure is not None
        if css_class:
            self.widget.add_class(css_class)

    def replace(self, new: Any) -> None:
        """Show ``new`` (a freshly rendered figure) instead of the current one."""
        if self.mode == "widget":
            fig = self.figure
            with fig.batch_update():
                fig.layout = new.layout
            fig.data = ()
            fig.add_traces(list(new.data))
            self.n_renders += 1
        else:
            self.figure = new
            self._dirty = True

    @property
    def pending(self) -> bool:
        """Whether a change waits for :meth:`flush` (``"html"`` mode)."""
        return self.mode == "html" and self._dirty

    def touch(self) -> None:
        """Say that the figure was changed in place (``"html"`` mode re-renders it on flush)."""
        if self.mode == "html":
            self._dirty = True

    def flush(self, force: bool = False) -> bool:
        """Re-render changed ``"html"`` output if the interval has passed (or ``force``);
        returns whether it re-rendered. ``"widget"`` mode has nothing to flush."""
        if self.mode == "widget" or not self._dirty:
            return False
        if not self._throttle.ready() and not force:
            return False
        if force:
            self._throttle.mark()
        bundle = mime_bundle(self.figure)
        if not self.html_fallback:
            bundle.pop("text/html")
        self.widget.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)
        self._dirty = False
        self.n_renders += 1
        return True


class LiveView:
    """A live figure of the panel, showing a :class:`FigureModel` (see the module docstring).

    Args:
        model: The figure's data.
        mode: ``"widget"`` or ``"html"``.
        css_class: A DOM class name added to the displayed element.
        min_interval: The least time between two updates sent (seconds).

    Example:
        >>> from hpo_lab.notebook._livefig import HistoryModel
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> model = HistoryModel("minimize")
        >>> view = LiveView(model.figure, "html", min_interval=0)
        >>> model.add([FrozenTrial(number=0, state=TrialState.COMPLETE, value=1.0)])
        >>> model.flush(); view.flush(), view.n_renders
        (True, 1)
        >>> patches = []
        >>> model.add([FrozenTrial(number=1, state=TrialState.COMPLETE, value=0.5)])
        >>> model.flush(); view.flush(send=patches.append), view.n_patches, len(patches)
        (True, 1, 1)
    """

    def __init__(
        self,
        model: FigureModel,
        mode: str,
        css_class: str | None = None,
        min_interval: float = 1.0,
    ) -> None:
        if mode not in ("widget", "html"):
            raise ValueError(f"mode must be 'widget' or 'html', but got mode={mode!r}")
        widgets = import_widgets()
        self.model = model
        self.mode = mode
        #: Full renders and patches sent so far.
        self.n_renders = 0
        self.n_patches = 0
        self.html_fallback = True
        self._throttle = Throttle(min_interval)
        self._full_throttle = Throttle(max(min_interval, FULL_INTERVAL) if min_interval else 0)
        self._needs_full = True
        self._patched_since = 0.0  # when the first patch after the last full render went out
        if mode == "widget":
            go = import_plotly()
            self.figure: Any = go.FigureWidget(model.spec())
            self.widget: Any = self.figure
            self._needs_full = False
        else:
            self.figure = None
            self.widget = widgets.Output()
        if css_class:
            self.widget.add_class(css_class)

    @property
    def pending(self) -> bool:
        """Whether a change waits for :meth:`flush`."""
        return self._needs_full or self.model.changed

    def resync(self) -> None:
        """Render the whole figure at the next flush (the browser's copy missed a patch)."""
        if self.mode == "html":
            self._needs_full = True

    def set_draw_cost(self, seconds: float) -> None:
        """Say how long the browser takes to draw a patch: patches then come at most every
        four times that (within :data:`PATCH_INTERVAL`), so drawing them keeps at most a
        quarter of the page busy.

        Example:
            >>> from hpo_lab.notebook._livefig import HistoryModel
            >>> view = LiveView(HistoryModel("minimize").figure, "html")
            >>> view.set_draw_cost(0.6); view.patch_interval
            2.4
            >>> view.set_draw_cost(0.01); view.patch_interval
            1.0
        """
        low, high = PATCH_INTERVAL
        self._throttle.interval = min(high, max(low, 4.0 * max(0.0, float(seconds))))

    @property
    def patch_interval(self) -> float:
        """The least time between two patches now (seconds)."""
        return self._throttle.interval

    def flush(
        self,
        force: bool = False,
        *,
        send: Callable[[dict[str, Any]], Any] | None = None,
        full: bool = False,
    ) -> bool:
        """Send what changed, if ``min_interval`` has passed (or ``force``): a patch through
        ``send`` when given (the browser applies patches), else a full render; ``full`` asks
        for a full render. Returns whether something was sent."""
        if self.mode == "widget":
            if not self.model.changed or not (force or self._throttle.ready()):
                return False
            patch = self.model.take_patch()
            assert patch is not None
            apply_patch(self.figure, patch, self.model)
            self.n_patches += 1
            return True
        if full and self.n_patches and self._patched_since:
            self._needs_full = True
        if not self.pending:
            return False
        now = time.monotonic()
        stale = self._patched_since and now - self._patched_since > RESYNC_INTERVAL
        if send is not None and not self._needs_full and not stale:
            if not (force or self._throttle.ready()):
                return False
            patch = self.model.take_patch()
            if patch is None:
                return False
            send(patch)
            self.n_patches += 1
            if not self._patched_since:
                self._patched_since = now
            return True
        # A full render: the first, one asked for (forced, a resync, the run's end), or one
        # that replaces patches, at most every FULL_INTERVAL seconds otherwise.
        asked = force or self._needs_full or self.n_renders == 0
        if not asked and not self._full_throttle.ready():
            return False
        self._full_throttle.mark()
        self._throttle.mark()
        bundle = spec_bundle(self.model.spec(), self.html_fallback)
        self.widget.outputs = ({"output_type": "display_data", "data": bundle, "metadata": {}},)
        self._needs_full = False
        self._patched_since = 0.0
        self.n_renders += 1
        return True

"""A figure in the panel: a plotly ``FigureWidget`` updated in place, or re-rendered output.

In ``"widget"`` mode the view's figure *is* the displayed ``FigureWidget``: live plots append to
it and the browser receives only the changes. In ``"html"`` mode (Colab, or no ``FigureWidget``)
the view keeps an ordinary ``go.Figure``; :meth:`FigureView.flush` re-renders it into an
``ipywidgets.Output`` at most once per ``min_interval`` seconds, by setting the output's
``outputs`` (a plain trait, so no ``with output:`` context is needed on the bridge thread).

Only the panel's bridge thread calls :meth:`FigureView.replace`, :meth:`FigureView.touch` and
:meth:`FigureView.flush`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from hpo_lab.viz._snapshot import import_plotly
from hpo_lab.viz._throttle import Throttle

__all__ = ["FigureView", "import_widgets", "mime_bundle"]


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


def _html(figure_json: str) -> str:
    # A div and a script that draws the figure with plotly.js from its CDN (the version
    # plotly.py was built for), loaded once per page.
    import plotly.offline

    version = plotly.offline.get_plotlyjs_version()
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
        figure: A ``go.Figure`` to start from.
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
        self, figure: Any, mode: str, css_class: str | None = None, min_interval: float = 1.0
    ) -> None:
        if mode not in ("widget", "html"):
            raise ValueError(f"mode must be 'widget' or 'html', but got mode={mode!r}")
        widgets = import_widgets()
        self.mode = mode
        self.n_renders = 0
        self._throttle = Throttle(min_interval)
        if mode == "widget":
            go = import_plotly()
            self.figure: Any = go.FigureWidget(figure)
            self.widget: Any = self.figure
            self._dirty = False
        else:
            self.figure = figure
            self.widget = widgets.Output()
            self._dirty = True
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
        self.widget.outputs = (
            {"output_type": "display_data", "data": mime_bundle(self.figure), "metadata": {}},
        )
        self._dirty = False
        self.n_renders += 1
        return True

"""One look for every plot, readable on light and dark JupyterLab themes.

Backgrounds are transparent so the notebook's theme shows through; text, axes and grid use a
mid grey and the data colours sit at medium luminance, so each keeps enough contrast on white
and on near-black. Trial states keep the same colour and marker symbol in every plot.

Contrast (WCAG ratios, checked by the tests): text is 4.5:1 on white and 4.1:1 on JupyterLab's
dark ``#111111`` (no single grey reaches 4.5:1 on both: the best compromise is 4.35:1); every
state and mark colour is at least 3:1, the bar for graphics, on both.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "COLORS",
    "COLORSCALE",
    "FONT_COLOR",
    "GRID_COLOR",
    "STATE_STYLE",
    "base_layout",
    "empty_figure",
    "styled_figure",
]

FONT_COLOR = "#767676"
GRID_COLOR = "rgba(128, 128, 128, 0.22)"
LINE_COLOR = "rgba(128, 128, 128, 0.55)"

COLORS: dict[str, str] = {
    "complete": "#3d85c6",
    "best": "#e4572e",
    "pruned": "#b8740a",
    "fail": "#888888",
    "inherited": "#22a39f",
    "running": "#8e6bd1",
    "revision": "#b8529a",
}

# Medium-luminance ends: neither end disappears on a white or a black background.
COLORSCALE: list[list[Any]] = [
    [0.0, "#3d6fd1"],
    [0.5, "#9a62c4"],
    [1.0, "#ef6a3a"],
]

STATE_STYLE: dict[str, dict[str, Any]] = {
    "complete": {"symbol": "circle", "color": COLORS["complete"], "label": "complete"},
    "pruned": {"symbol": "triangle-down", "color": COLORS["pruned"], "label": "pruned"},
    "fail": {"symbol": "x-thin-open", "color": COLORS["fail"], "label": "failed"},
    "inherited": {
        "symbol": "circle-open",
        "color": COLORS["inherited"],
        "label": "inherited (warm start)",
    },
    "running": {"symbol": "hourglass", "color": COLORS["running"], "label": "running"},
}


def marker(state: str, size: int = 7, **extra: Any) -> dict[str, Any]:
    """The marker dict of a trial state."""
    style = STATE_STYLE[state]
    out: dict[str, Any] = {"symbol": style["symbol"], "color": style["color"], "size": size}
    if style["symbol"].endswith("-open"):
        out["line"] = {"width": 1.6, "color": style["color"]}
    out.update(extra)
    return out


def _axis() -> dict[str, Any]:
    return {
        "gridcolor": GRID_COLOR,
        "zerolinecolor": GRID_COLOR,
        "linecolor": LINE_COLOR,
        "showline": True,
        "ticks": "outside",
        "tickcolor": LINE_COLOR,
        "title": {"font": {"color": FONT_COLOR}},
    }


def base_layout(title: str | None = None, **extra: Any) -> dict[str, Any]:
    """The layout shared by every plot; ``extra`` overrides top-level keys.

    Example:
        >>> base_layout("History")["paper_bgcolor"]
        'rgba(0,0,0,0)'
    """
    layout: dict[str, Any] = {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {
            "family": "Inter, 'Segoe UI', Helvetica, Arial, sans-serif",
            "size": 12,
            "color": FONT_COLOR,
        },
        "colorway": [COLORS[k] for k in ("complete", "best", "inherited", "pruned", "running")],
        "margin": {"l": 60, "r": 24, "t": 56, "b": 48},
        "legend": {
            "bgcolor": "rgba(0,0,0,0)",
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.0,
            "xanchor": "right",
            "x": 1.0,
        },
        "hoverlabel": {"font": {"family": "Inter, Helvetica, Arial, sans-serif"}},
        "xaxis": _axis(),
        "yaxis": _axis(),
    }
    if title is not None:
        layout["title"] = {
            "text": title,
            "x": 0.0,
            "xref": "paper",
            "xanchor": "left",
            "font": {"size": 15},
        }
    layout.update(extra)
    return layout


def axis_style() -> dict[str, Any]:
    """The style of one axis (for subplots)."""
    return _axis()


def styled_figure(title: str | None = None, **layout: Any) -> Any:
    """An empty ``plotly.graph_objects.Figure`` with the shared look."""
    from hpo_lab.viz._snapshot import import_plotly

    go = import_plotly()
    return go.Figure(layout=base_layout(title, **layout))


def empty_figure(title: str, message: str) -> Any:
    """A figure that says why there is nothing to plot yet.

    Example:
        >>> fig = empty_figure("History", "no trials yet")
        >>> fig.layout.annotations[0].text
        'no trials yet'
    """
    fig = styled_figure(title)
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 14, "color": FONT_COLOR},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def format_value(v: Any) -> str:
    """Compact text of a parameter or objective value for hovers and labels.

    Example:
        >>> format_value(0.000123456), format_value(3), format_value("adam")
        ('0.000123456', '3', 'adam')
    """
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)

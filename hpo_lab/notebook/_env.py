"""Where the notebook layer runs: Colab or not, and which way live figures are drawn.

The magics and the control panel both read this module: on Colab ``%%hpo`` waits in the
foreground (Colab's stack does not render widget updates sent from background threads) and the
panel draws figures as re-rendered HTML instead of ``FigureWidget``.

Figure modes: ``"widget"`` (plotly ``FigureWidget``, updated in place), ``"html"`` (the figure
re-rendered as output, throttled) or ``"auto"``. The setting comes from
:func:`set_figures_mode`, else the ``HPO_LAB_FIGURES`` environment variable, else ``"auto"``.

Example:
    >>> set_figures_mode("html")
    >>> figures_setting()
    'html'
    >>> set_figures_mode("auto")
    >>> resolve_figures_mode("html")
    'html'
"""

from __future__ import annotations

import os
import sys

__all__ = [
    "FIGURE_MODES",
    "default_figures_mode",
    "figure_widget_available",
    "figures_setting",
    "in_colab",
    "resolve_figures_mode",
    "set_figures_mode",
]

FIGURE_MODES = ("auto", "widget", "html")

_setting: str | None = None


def in_colab() -> bool:
    """Whether this kernel runs in Google Colab.

    Example:
        >>> in_colab()
        False
    """
    return "google.colab" in sys.modules


def _check_mode(name: str, mode: object) -> str:
    if mode not in FIGURE_MODES:
        raise ValueError(f"{name} must be 'auto', 'widget' or 'html', but got {name}={mode!r}")
    return str(mode)


def set_figures_mode(mode: str) -> None:
    """Force how panels draw figures from now on: ``"widget"``, ``"html"`` or ``"auto"``
    (``"auto"`` clears the setting, so ``HPO_LAB_FIGURES`` applies again).

    Example:
        >>> set_figures_mode("sometimes")
        Traceback (most recent call last):
        ...
        ValueError: mode must be 'auto', 'widget' or 'html', but got mode='sometimes'
    """
    global _setting
    checked = _check_mode("mode", mode)
    _setting = None if checked == "auto" else checked


def figures_setting() -> str:
    """The figures mode set by :func:`set_figures_mode`, else ``HPO_LAB_FIGURES``, else auto.

    Example:
        >>> figures_setting() in FIGURE_MODES
        True
    """
    if _setting is not None:
        return _setting
    env = os.environ.get("HPO_LAB_FIGURES", "").strip().lower()
    if not env:
        return "auto"
    return _check_mode("HPO_LAB_FIGURES", env)


def figure_widget_available() -> bool:
    """Whether plotly's ``FigureWidget`` can be built here (plotly >= 6 needs anywidget).

    Example:
        >>> isinstance(figure_widget_available(), bool)
        True
    """
    # Found, not imported: importing plotly costs a fresh kernel seconds, and the panel asks
    # this while the cell runs.
    import importlib.metadata

    try:
        major = int(importlib.metadata.version("plotly").split(".")[0])
        importlib.metadata.version("ipywidgets")
        if major >= 6:
            importlib.metadata.version("anywidget")
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return True


def default_figures_mode() -> str:
    """What ``"auto"`` means here: ``"html"`` on Colab, without ``FigureWidget``, or with
    plotly 6+, else ``"widget"``.

    plotly 6's ``FigureWidget`` brings its own 5 MB plotly.js per figure, started in the page
    beside the frontend's copy; several copies starting at once sometimes break plotly.js's
    registry and leave a plot empty for good, so re-rendered output (one plotly.js) is the
    default there.

    Example:
        >>> default_figures_mode() in ("widget", "html")
        True
    """
    if in_colab() or not figure_widget_available():
        return "html"
    import importlib.metadata

    if int(importlib.metadata.version("plotly").split(".")[0]) >= 6:
        return "html"
    return "widget"


def resolve_figures_mode(requested: str = "auto") -> str:
    """The concrete mode (``"widget"`` or ``"html"``) for a panel that asks for ``requested``.

    An explicit ``"widget"`` or ``"html"`` wins; ``"auto"`` follows :func:`figures_setting`,
    then :func:`default_figures_mode`.

    Example:
        >>> resolve_figures_mode("widget")
        'widget'
    """
    mode = _check_mode("figures", requested)
    if mode == "auto":
        mode = figures_setting()
    if mode == "auto":
        mode = default_figures_mode()
    return mode

"""A static HTML snapshot of a study: summary table and the main plots.

The panel publishes it into its cell output when a run ends, so a saved notebook shows the
results on GitHub or nbviewer, where widgets do not render. The plots load plotly.js from its
CDN when the page is viewed (nothing is fetched while the snapshot is made).
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from hpo_lab.study._best import best_of
from hpo_lab.trial._state import TrialState
from hpo_lab.viz._snapshot import StudySnapshot

__all__ = ["static_html", "summary_html"]


def summary_html(snap: StudySnapshot, status: str | None = None) -> str:
    """The summary table: trial counts by state, the best value and its parameters.

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.viz import snapshot
        >>> s = hpo_lab.create_study(study_name="demo")
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> "COMPLETE" in summary_html(snapshot(s))
        True
    """
    counts = Counter(t.state.value for t in snap.trials)
    rows = [("study", html.escape(snap.study_name))]
    if status is not None:
        rows.append(("status", html.escape(status)))
    rows.append(("trials", str(len(snap.trials))))
    rows += [(state, str(counts[state])) for state in sorted(counts)]
    if snap.inherited:
        rows.append(("inherited", str(len(snap.inherited))))
    best = best_of(snap.trials, snap.direction)
    if best is not None:
        rows.append(("best value", f"{best.value:.6g} (trial {best.number})"))
        for name, value in sorted(best.params.items()):
            rows.append((f"best {html.escape(name)}", html.escape(repr(value))))
    body = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='hpo-summary'>{body}</table>"


def static_html(
    snap: StudySnapshot,
    status: str | None = None,
    *,
    drawn: StudySnapshot | None = None,
    panel_id: str | None = None,
) -> str:
    """Summary table, optimization history and parameter importance as one HTML fragment.

    Args:
        snap: The study: the summary counts every trial in it.
        status: The run's status, for the summary.
        drawn: The trials the plots draw (by default ``snap``'s); a selection keeps a large
            study's snapshot small, and the snapshot says how many of how many it draws.
        panel_id: The ``control_id`` of the panel shown above the snapshot: where that panel
            renders (JupyterLab, Notebook 7), a style rule hides the snapshot, which is for
            viewers without the widgets (GitHub, nbviewer), so no plot shows twice.

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.viz import snapshot
        >>> s = hpo_lab.create_study(study_name="demo")
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        >>> page = static_html(snapshot(s), "finished")
        >>> "hpo-static" in page, page.count("plotly-graph-div")
        (True, 2)
    """
    from hpo_lab.viz import plot_optimization_history, plot_param_importances

    plotted = drawn if drawn is not None else snap
    classes = "hpo-static"
    parts = []
    if panel_id is not None:
        own = f"hpo-static-{html.escape(panel_id)}"
        classes += f" {own}"
        parts.append(
            f"<style>.jp-OutputArea:has(.hpo-panel-{html.escape(panel_id)}) .{own}"
            "{display:none}</style>"
        )
    parts += [
        f"<div class='{classes}'>",
        f"<h4>hpo_lab study {html.escape(snap.study_name)}</h4>",
        summary_html(snap, status),
    ]
    if len(plotted.trials) < len(snap.trials):
        parts.append(
            f"<p><i>The plots draw {len(plotted.trials)} of the {len(snap.trials)} trials: "
            "the best, the latest and an even sample of the rest.</i></p>"
        )
    figures: list[Any] = [plot_optimization_history(plotted)]
    if sum(1 for t in plotted.trials if t.state == TrialState.COMPLETE) >= 2:
        figures.append(plot_param_importances(plotted, intervals=False))
    for i, fig in enumerate(figures):
        parts.append(
            fig.to_html(
                include_plotlyjs="cdn" if i == 0 else False,
                full_html=False,
                default_height="360px",
            )
        )
    parts.append("</div>")
    return "".join(parts)

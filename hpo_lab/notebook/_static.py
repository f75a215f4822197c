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


def static_html(snap: StudySnapshot, status: str | None = None) -> str:
    """Summary table, optimization history and parameter importance as one HTML fragment.

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

    parts = [
        "<div class='hpo-static'>",
        f"<h4>hpo_lab study {html.escape(snap.study_name)}</h4>",
        summary_html(snap, status),
    ]
    figures: list[Any] = [plot_optimization_history(snap)]
    if sum(1 for t in snap.trials if t.state == TrialState.COMPLETE) >= 2:
        figures.append(plot_param_importances(snap, intervals=False))
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

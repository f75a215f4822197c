"""Throttled re-rendering, chunked traces, and lazy imports."""

from __future__ import annotations

import subprocess
import sys

import plotly.graph_objects as go
import pytest

import hpo_lab
from hpo_lab.viz import LivePlot, Throttle, plot_edf, plot_parallel_coordinate
from hpo_lab.viz._live import ChunkedTraces


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_live_plot_rerenders_at_most_every_interval_and_only_on_change() -> None:
    s = hpo_lab.create_study()
    clock = FakeClock()
    live = LivePlot(s, plot_edf, interval=2.0, clock=clock)
    fig = live.figure
    assert live.n_renders == 1
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    clock.now += 1.0
    assert live.update() is False  # changed, but within 2 s
    clock.now += 1.5
    assert live.update() is True
    assert live.figure is fig  # updated in place
    assert len(fig.data[0].x) == 3
    clock.now += 10
    assert live.update() is False  # nothing changed
    assert live.n_renders == 2
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert live.update(force=True) is True
    assert len(fig.data[0].x) == 4


def test_live_plot_passes_options_through() -> None:
    s = hpo_lab.create_study()
    s.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("k", 0, 3), n_trials=4)
    live = LivePlot(s, plot_parallel_coordinate, params=["k"], interval=0)
    assert [d.label for d in live.figure.data[0].dimensions] == ["Objective Value", "k"]


def test_throttle_rejects_negative_interval() -> None:
    with pytest.raises(ValueError, match="interval must be >= 0"):
        Throttle(-1)


def test_chunks_keep_units_whole_and_one_legend_entry() -> None:
    fig = go.Figure()
    chunks = ChunkedTraces(
        fig, "g", lambda first: go.Scatter(legendgroup="g", showlegend=first), chunk_size=4
    )
    chunks.append([{"x": [1, 2, 3]}, {"x": [4, 5]}, {"x": [6]}])
    assert [list(t.x) for t in fig.data] == [[1, 2, 3], [4, 5, 6]]
    assert [t.showlegend for t in fig.data] == [True, False]
    chunks.append([{"x": [7, 8, 9, 10, 11]}])  # a unit larger than a chunk gets its own trace
    assert [list(t.x) for t in fig.data][-1] == [7, 8, 9, 10, 11]
    with pytest.raises(ValueError, match="chunk_size must be >= 1"):
        ChunkedTraces(fig, "g", lambda first: go.Scatter(), chunk_size=0)


def test_importing_hpo_lab_and_viz_does_not_import_plotly() -> None:
    code = (
        "import sys, hpo_lab, hpo_lab.viz, hpo_lab.importance\n"
        "bad = [m for m in ('plotly', 'IPython', 'ipywidgets', 'dask', 'sklearn') "
        "if m in sys.modules]\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_figure_widget_is_updated_in_place() -> None:
    import anywidget  # noqa: F401 - FigureWidget needs it; a missing one must fail, not skip

    from hpo_lab.viz import LiveOptimizationHistory, plot_optimization_history

    s = hpo_lab.create_study()
    widget = go.FigureWidget(plot_optimization_history(s))
    live = LiveOptimizationHistory(s, widget, chunk_size=3)
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=7)
    assert live.update() == 7
    assert sum(len(t.x) for t in widget.data if t.legendgroup == "complete") == 7


def test_figure_widget_works_with_every_live_form() -> None:
    import anywidget  # noqa: F401 - FigureWidget needs it; a missing one must fail, not skip

    from hpo_lab.viz import (
        LiveIntermediateValues,
        LiveTimeline,
        plot_intermediate_values,
        plot_timeline,
    )

    s = hpo_lab.create_study()
    timeline = LiveTimeline(s, go.FigureWidget(plot_timeline(s)))
    curves = LiveIntermediateValues(s, go.FigureWidget(plot_intermediate_values(s)))
    edf = LivePlot(s, plot_edf, go.FigureWidget(plot_edf(s)), interval=0)
    s.optimize(lambda t: t.report(t.suggest_float("x", 0, 1), 0) or 1.0, n_trials=4)
    assert timeline.update() == 4
    assert curves.update() == 4
    assert edf.update() is True
    assert isinstance(edf.figure, go.FigureWidget)
    assert list(edf.figure.data[0].y) == [0.25, 0.5, 0.75, 1.0]


def _reporting(t: hpo_lab.Trial) -> float:
    x = t.suggest_float("x", 0, 1)
    for step in range(5):
        t.report(x * step, step)
    return x


@pytest.mark.parametrize("which", ["timeline", "curves"])
def test_live_timeline_and_curves_send_only_the_new_trials(which: str, recording_figure) -> None:
    from hpo_lab.viz import (
        LiveIntermediateValues,
        LiveTimeline,
        plot_intermediate_values,
        plot_timeline,
    )

    live_cls, plot = (
        (LiveTimeline, plot_timeline) if which == "timeline"
        else (LiveIntermediateValues, plot_intermediate_values)
    )
    s = hpo_lab.create_study()
    fig = recording_figure(plot(hpo_lab.create_study()))
    live = live_cls(s, fig, chunk_size=50)
    sent, traces = [], []
    for n_before in (30, 300, 1200):
        s.optimize(_reporting, n_trials=n_before - len(s.trials))
        live.update()
        fig.take()
        s.optimize(_reporting, n_trials=3)
        assert live.update() == 3
        sent.append(fig.take())
        traces.append(len(fig.data))
    # What goes to the browser for 3 new trials is bounded by them and one open chunk of 50
    # (each curve has 5 steps and a break), whatever the study's size: 40x more trials must
    # not cost more.
    assert max(sent) <= 3 * (50 * 6 + 40), sent
    assert sent[2] <= 2 * max(sent[0], sent[1]), sent
    assert traces[-1] < 1203 / 5, traces  # chunked: far fewer traces than trials

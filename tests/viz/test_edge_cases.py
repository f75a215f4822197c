"""Every plot renders for every edge case, with the shared look."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

import hpo_lab
from hpo_lab import viz
from hpo_lab.viz._style import FONT_COLOR

PLOTS = {
    "history": viz.plot_optimization_history,
    "importances": viz.plot_param_importances,
    "parallel": viz.plot_parallel_coordinate,
    "slice": viz.plot_slice,
    "contour": viz.plot_contour,
    "intermediate": viz.plot_intermediate_values,
    "timeline": viz.plot_timeline,
    "edf": viz.plot_edf,
}


@pytest.mark.parametrize("plot", list(PLOTS.values()), ids=list(PLOTS))
def test_every_plot_builds_for_every_edge_case(plot, edge_study: hpo_lab.Study) -> None:
    fig = plot(edge_study)
    assert isinstance(fig, go.Figure)
    json.loads(fig.to_json())  # the figure validates and serialises
    assert fig.layout.paper_bgcolor == "rgba(0,0,0,0)"
    assert fig.layout.plot_bgcolor == "rgba(0,0,0,0)"
    assert fig.layout.font.color == FONT_COLOR


@pytest.mark.parametrize("plot", list(PLOTS.values()), ids=list(PLOTS))
def test_snapshot_and_trial_list_give_the_same_figure(plot, mixed_study: hpo_lab.Study) -> None:
    a = plot(mixed_study).to_dict()
    b = plot(viz.snapshot(mixed_study)).to_dict()
    assert a == b
    plot(mixed_study.trials)  # a bare list of trials works too


@pytest.mark.parametrize("plot", list(PLOTS.values()), ids=list(PLOTS))
def test_empty_study_says_why_nothing_is_drawn(plot) -> None:
    fig = plot(hpo_lab.create_study())
    texts = [a.text for a in fig.layout.annotations]
    assert any(t and ("No" in t or "needs" in t) for t in texts), texts


@pytest.mark.parametrize(
    "plot",
    [viz.plot_slice, viz.plot_parallel_coordinate, viz.plot_contour, viz.plot_param_importances],
)
def test_unknown_params_raise(plot, mixed_study: hpo_lab.Study) -> None:
    with pytest.raises(ValueError, match="unknown parameter"):
        plot(mixed_study, params=["nope"])
    with pytest.raises(TypeError, match="list of names"):
        plot(mixed_study, params="lr")


def test_bad_source_raises() -> None:
    with pytest.raises(TypeError, match="plots take a Study"):
        viz.plot_edf(42)


def test_snapshot_rejects_a_bad_direction() -> None:
    with pytest.raises(ValueError, match="direction must be"):
        viz.StudySnapshot(direction="up")

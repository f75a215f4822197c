"""Slice, parallel coordinates, contour and EDF data."""

from __future__ import annotations

import math

import pytest

import hpo_lab
from hpo_lab.trial import TrialState
from hpo_lab.viz import plot_contour, plot_parallel_coordinate, plot_slice, snapshot
from hpo_lab.viz._contour import _contour_data
from hpo_lab.viz._edf import _edf_data
from hpo_lab.viz._parallel import _parallel_data
from hpo_lab.viz._slice import _slice_data


def test_slice_panels_points_and_revision_bands(mixed_study: hpo_lab.Study) -> None:
    data = _slice_data(snapshot(mixed_study))
    assert [p.axis.name for p in data.panels] == ["k", "lr", "opt"]
    kinds = {p.axis.name: p.axis.kind for p in data.panels}
    assert kinds == {"k": "linear", "lr": "log", "opt": "categorical"}
    lr = data.panels[1]
    complete = [t for t in mixed_study.trials if t.state == TrialState.COMPLETE]
    assert lr.points["complete"].x == [t.params["lr"] for t in complete]
    assert lr.points["complete"].y == [t.value for t in complete]
    assert len(lr.points["rug-fail"].x) == sum(
        1 for t in mixed_study.trials if t.state == TrialState.FAIL
    )
    assert [(r, (c.low, c.high)) for r, c in lr.bands] == [(1, (1e-3, 1e-1))]
    assert [(r, c.choices) for r, c in data.panels[2].bands] == [(1, ("adam", "rms"))]
    assert data.panels[0].bands == []


def test_slice_axes_are_log_and_categorical(mixed_study: hpo_lab.Study) -> None:
    fig = plot_slice(mixed_study)
    assert fig.layout.xaxis2.type == "log"
    assert fig.layout.xaxis3.type == "category"
    assert list(fig.layout.xaxis3.categoryarray) == ["sgd", "adam", "rms"]
    bands = [s for s in fig.layout.shapes if s.name == "revision-1"]
    assert next((s.xref, s.x0, s.x1) for s in bands) == ("x2", 1e-3, 1e-1)


def test_slice_params_selects_panels(mixed_study: hpo_lab.Study) -> None:
    data = _slice_data(snapshot(mixed_study), params=["opt"])
    assert [p.axis.name for p in data.panels] == ["opt"]


def test_slice_shows_inherited_apart(warm_study: hpo_lab.Study) -> None:
    data = _slice_data(snapshot(warm_study))
    n_inh = sum(1 for t in warm_study.inherited_trials if t.state == TrialState.COMPLETE)
    assert len(data.panels[0].points["inherited"].x) == n_inh > 0


def test_parallel_dimensions_encode_log_and_categories(mixed_study: hpo_lab.Study) -> None:
    data = _parallel_data(snapshot(mixed_study))
    labels = [d.label for d in data.dimensions]
    assert labels == ["Objective Value", "k", "lr (log)", "opt", "revision"]
    complete = [t for t in mixed_study.trials if t.state == TrialState.COMPLETE]
    assert data.color == [t.value for t in complete]
    lr = data.dimensions[2]
    assert lr.values == pytest.approx([math.log10(t.params["lr"]) for t in complete])
    assert lr.ticktext is not None
    assert "0.001" in lr.ticktext
    opt = data.dimensions[3]
    assert opt.ticktext == ["sgd", "adam", "rms"]
    assert opt.values == [float(["sgd", "adam", "rms"].index(t.params["opt"])) for t in complete]
    assert data.n_omitted == len(mixed_study.trials) - len(complete)
    assert data.reversescale is True


def test_parallel_marks_inherited_trials(warm_study: hpo_lab.Study) -> None:
    data = _parallel_data(snapshot(warm_study))
    source = next(d for d in data.dimensions if d.label == "source")
    n_own = sum(1 for t in warm_study.trials if t.state == TrialState.COMPLETE)
    assert source.values.count(0.0) == n_own
    assert source.values.count(1.0) == len(warm_study.inherited_trials) - sum(
        1 for t in warm_study.inherited_trials if t.state != TrialState.COMPLETE
    )
    fig = plot_parallel_coordinate(warm_study)
    assert list(fig.data[0].dimensions[-1].ticktext) == ["this study", "warm start"]


def test_contour_panels_grid_and_transpose(mixed_study: hpo_lab.Study) -> None:
    data = _contour_data(snapshot(mixed_study), resolution=12)
    assert data.names == ["k", "lr", "opt"]
    assert sorted(data.panels) == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]
    p = data.panels[(0, 1)]  # lr on x, k on y
    assert p.x_axis.name == "lr"
    assert len(p.grid_x) == 12
    assert p.z is not None
    assert len(p.z) == 12
    assert len(p.z[0]) == 12
    assert p.grid_x[0] == pytest.approx(-4.0)
    assert p.grid_x[-1] == pytest.approx(0.0)
    values = [t.value for t in mixed_study.trials if t.state == TrialState.COMPLETE]
    flat = [v for row in p.z for v in row]
    assert min(values) - 1e-9 <= min(flat)
    assert max(flat) <= max(values) + 1e-9
    q = data.panels[(1, 0)]
    assert q.z == [list(r) for r in zip(*p.z)]
    # The narrowed box of revision 1: lr in [1e-3, 1e-1] (log10: -3, -1), k unconstrained.
    assert p.region is not None
    assert p.region[:2] == pytest.approx((-3.0, -1.0))
    assert len(p.points["fail"][0]) > 0


def test_contour_two_params_single_panel(mixed_study: hpo_lab.Study) -> None:
    fig = plot_contour(mixed_study, params=["k", "lr"])
    assert fig.data[0].type == "contour"
    assert fig.layout.xaxis.title.text == "k"
    assert fig.layout.yaxis.title.text == "lr"
    with pytest.raises(ValueError, match="at least 2 params"):
        plot_contour(mixed_study, params=["k"])


def test_contour_with_one_or_two_points_still_interpolates() -> None:
    s = hpo_lab.create_study()
    s.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=2)
    p = _contour_data(snapshot(s), resolution=5).panels[(1, 0)]
    assert p.z is not None
    assert {v for row in p.z for v in row} <= {t.value for t in s.trials}


def test_edf_fractions_and_lines(mixed_study: hpo_lab.Study) -> None:
    data = _edf_data(snapshot(mixed_study))
    assert [ln.kind for ln in data.lines] == ["revision", "revision"]
    rev0 = sorted(t.value for t in mixed_study.trials
                  if t.state == TrialState.COMPLETE and t.revision == 0)
    assert data.lines[0].values == rev0
    assert data.lines[0].fractions[-1] == 1.0
    assert data.lines[0].fractions[0] == pytest.approx(1 / len(rev0))
    assert data.n_omitted == sum(1 for t in mixed_study.trials if t.state != TrialState.COMPLETE)


def test_edf_inherited_line(warm_study: hpo_lab.Study) -> None:
    data = _edf_data(snapshot(warm_study))
    assert data.lines[-1].kind == "inherited"

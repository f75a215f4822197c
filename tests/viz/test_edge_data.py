"""The DATA each plot draws for the edge cases: 0, 1 and 2 trials, all failed, all pruned,
targets without a value, ``params=`` before any trial, conditional spaces, and categorical
choices that are equal in Python."""

from __future__ import annotations

import math

import pytest

import hpo_lab
from hpo_lab.samplers import RandomSampler
from hpo_lab.trial import TrialState
from hpo_lab.viz import (
    LivePlot,
    plot_contour,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_slice,
    snapshot,
)
from hpo_lab.viz._contour import _contour_data
from hpo_lab.viz._edf import _edf_data
from hpo_lab.viz._history import _history_data
from hpo_lab.viz._importances import _importance_data
from hpo_lab.viz._intermediate import _intermediate_data
from hpo_lab.viz._parallel import _parallel_data
from hpo_lab.viz._slice import _slice_data
from hpo_lab.viz._timeline import _timeline_data

from .conftest import EDGE_CASES


def _case(name: str) -> hpo_lab.Study:
    return EDGE_CASES[name]()


def _values(study: hpo_lab.Study) -> list[float]:
    return [t.value for t in study.trials if t.state == TrialState.COMPLETE]  # type: ignore[misc]


def _reported(study: hpo_lab.Study) -> list[float]:
    return [t.intermediate_values[0] for t in study.trials]


# -- 0, 1, 2 trials -----------------------------------------------------------------------------


def test_empty_study_data_is_empty_with_a_message() -> None:
    snap = snapshot(_case("empty"))
    h = _history_data(snap)
    assert all(not g.x for g in h.groups.values()) and h.best_x == [] and h.message
    assert _slice_data(snap).panels == [] and _slice_data(snap).message
    p = _parallel_data(snap)
    assert p.dimensions == [] and p.message == "No COMPLETE trials yet"
    c = _contour_data(snap)
    assert c.panels == {} and c.message
    e = _edf_data(snap)
    assert e.lines == [] and e.message
    i = _importance_data(snap)
    assert i.names == [] and i.message == "No COMPLETE trials yet"
    assert _intermediate_data(snap).message
    t = _timeline_data(snap)
    assert all(not g.x for g in t.groups.values()) and t.message


@pytest.mark.parametrize("n", [1, 2])
def test_one_and_two_trials_data(n: int) -> None:
    study = _case("one" if n == 1 else "two")
    snap = snapshot(study)
    values = _values(study)
    assert len(values) == n

    h = _history_data(snap)
    assert h.groups["complete"].x == list(range(n))
    assert h.groups["complete"].y == values
    best = [min(values[: k + 1]) for k in range(n)]
    assert h.best_y[-1] == best[-1] and h.best_x[0] == 0 and h.message is None

    s = _slice_data(snap)
    assert [p.axis.name for p in s.panels] == ["x", "y"]
    assert [p.axis.kind for p in s.panels] == ["linear", "log"]
    for panel in s.panels:
        assert panel.points["complete"].y == values
        assert panel.points["complete"].x == [t.params[panel.axis.name] for t in study.trials]

    p = _parallel_data(snap)
    assert [d.label for d in p.dimensions] == ["Objective Value", "x", "y (log)"]
    assert p.dimensions[0].values == values
    assert p.dimensions[2].values == pytest.approx(
        [math.log10(t.params["y"]) for t in study.trials]
    )
    assert p.n_omitted == 0

    c = _contour_data(snap)
    panel = c.panels[(1, 0)]
    assert panel.points["complete"][2] == list(range(n))
    assert panel.z is not None
    flat = [v for row in panel.z for v in row]
    # Interpolation never leaves the range of the observations.
    assert min(values) - 1e-9 <= min(flat) and max(flat) <= max(values) + 1e-9

    e = _edf_data(snap)
    assert e.lines[0].values == sorted(values)
    assert e.lines[0].fractions == [(k + 1) / n for k in range(n)]

    i = _importance_data(snap)
    if n == 1:
        assert i.names == [] and "at least 2" in (i.message or "")
    else:
        assert sorted(i.names) == ["x", "y"] and sum(i.values) == pytest.approx(1.0)
        assert i.n_trials == 2

    t = _timeline_data(snap)
    assert t.groups["complete"].numbers == list(range(n))


def test_all_failed_data() -> None:
    study = _case("all_failed")
    snap = snapshot(study)
    h = _history_data(snap)
    assert h.groups["rug-fail"].x == [0, 1, 2] and h.groups["complete"].x == []
    assert h.best_x == []
    (panel,) = _slice_data(snap).panels
    assert len(panel.points["rug-fail"].x) == 3 and panel.points["complete"].x == []
    p = _parallel_data(snap)
    assert p.dimensions == [] and p.n_not_complete == 3
    c = _contour_data(snap)
    assert c.panels == {} and "only 'x'" in (c.message or "")
    e = _edf_data(snap)
    assert e.lines == [] and e.n_omitted == 3
    assert _importance_data(snap).message == "No COMPLETE trials yet"
    assert _intermediate_data(snap).message  # nothing reported
    assert _timeline_data(snap).groups["fail"].numbers == [0, 1, 2]


def test_all_pruned_data() -> None:
    study = _case("all_pruned")
    snap = snapshot(study)
    reported = _reported(study)
    h = _history_data(snap)
    assert h.groups["pruned"].x == [0, 1, 2]
    assert h.groups["pruned"].y == reported  # at their last reported value
    assert h.best_x == []
    (panel,) = _slice_data(snap).panels
    assert panel.points["pruned"].y == reported
    p = _parallel_data(snap)
    assert p.dimensions == [] and p.n_not_complete == 3
    e = _edf_data(snap)
    assert e.lines == [] and e.n_omitted == 3
    assert _importance_data(snap).message == "No COMPLETE trials yet"
    curves = _intermediate_data(snap)
    assert [c.values for c in curves.curves["pruned"]] == [[v] for v in reported]
    assert [end[1] for end in curves.pruned_ends] == reported
    assert _timeline_data(snap).groups["pruned"].numbers == [0, 1, 2]


# -- a target without a value -------------------------------------------------------------------


def _half_target(t: hpo_lab.FrozenTrial) -> float | None:
    return None if t.params["k"] <= 2 else float(t.params["k"])


def test_target_returning_none_leaves_trials_out_everywhere(mixed_study: hpo_lab.Study) -> None:
    snap = snapshot(mixed_study)
    complete = [t for t in mixed_study.trials if t.state == TrialState.COMPLETE]
    kept = [t.number for t in complete if t.params["k"] > 2]
    dropped = len(complete) - len(kept)
    assert kept and dropped
    target = _half_target

    for panel in _slice_data(snap, target=target).panels:
        assert panel.points["complete"].numbers == [
            n for n in kept if panel.axis.name in mixed_study.trials[n].params
        ]
    c = _contour_data(snap, target=target)
    assert sorted(c.panels[(1, 0)].points["complete"][2]) == kept
    p = _parallel_data(snap, target=target)
    assert len(p.color) == len(kept) and p.n_no_value == dropped
    i = _importance_data(snap, target=target)  # type: ignore[arg-type]
    assert i.message is None and i.n_skipped == dropped and i.n_trials == len(kept)
    assert i.names[0] == "k"
    for plot in (plot_slice, plot_contour, plot_parallel_coordinate, plot_param_importances):
        fig = plot(mixed_study, target=target)  # type: ignore[operator]
        assert fig.data, plot.__name__


# -- params= before any trial -------------------------------------------------------------------


@pytest.mark.parametrize(
    "plot", [plot_slice, plot_parallel_coordinate, plot_contour, plot_param_importances]
)
def test_params_on_a_study_without_trials_yet_shows_a_message(plot) -> None:
    s = hpo_lab.create_study()
    live = LivePlot(s, plot, params=["x", "y"], interval=0)
    texts = [a.text for a in live.figure.layout.annotations]
    assert any(t.startswith("No ") for t in texts), texts
    assert not any("params" in t for t in texts), texts
    s.optimize(
        lambda t: t.suggest_float("x", 0, 1) * t.suggest_float("y", 0, 1), n_trials=6
    )
    assert live.update() is True
    assert live.figure.data, plot.__name__
    # Once trials exist, a name they do not have is the caller's error.
    with pytest.raises(ValueError, match="unknown parameter"):
        plot(s, params=["x", "nope"])


# -- conditional spaces -------------------------------------------------------------------------


def _conditional() -> hpo_lab.Study:
    def objective(t: hpo_lab.Trial) -> float:
        if t.suggest_categorical("model", ["svm", "rf"]) == "svm":
            return math.log10(t.suggest_float("C", 1e-3, 1e3, log=True)) ** 2
        return t.suggest_int("depth", 1, 10) * 0.5

    s = hpo_lab.create_study(sampler=RandomSampler(seed=2))
    s.optimize(objective, n_trials=30)
    return s


def test_parallel_on_a_conditional_space_uses_the_shared_params() -> None:
    s = _conditional()
    n_svm = sum(1 for t in s.trials if "C" in t.params)
    assert 0 < n_svm < 30
    data = _parallel_data(snapshot(s))
    assert [d.label for d in data.dimensions] == ["Objective Value", "model"]
    assert len(data.color) == 30 and data.message is None
    data = _parallel_data(snapshot(s), params=["model", "C"])
    assert len(data.color) == n_svm
    assert (data.n_missing, data.n_not_complete) == (30 - n_svm, 0)
    title = plot_parallel_coordinate(s, params=["model", "C"]).layout.title.text
    assert f"{30 - n_svm} missing a parameter" in title and "pruned" not in title
    data = _parallel_data(snapshot(s), params=["C", "depth"])
    assert data.dimensions == [] and "No COMPLETE trial has all of ['C', 'depth']" in (
        data.message or ""
    )


def test_contour_says_when_no_trial_has_both_params() -> None:
    s = _conditional()
    data = _contour_data(snapshot(s), params=["C", "depth"])
    assert data.message == "No trial has both 'C' and 'depth'; pass params="
    fig = plot_contour(s, params=["C", "depth"])
    assert [a.text for a in fig.layout.annotations] == [data.message]
    fig = plot_contour(s)  # the matrix: the C/depth panels say so
    texts = [a.text for a in fig.layout.annotations]
    assert texts.count("no trial has both") == 2


# -- categorical choices equal in Python --------------------------------------------------------


def test_choices_equal_in_python_stay_apart() -> None:
    s = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    s.optimize(
        lambda t: float(t.suggest_categorical("a", [0, 1, False, True]) is True)
        + float(t.suggest_categorical("b", [1, 1.0, "1"]) == "1")
        + t.suggest_float("x", 0, 1),
        n_trials=40,
    )
    snap = snapshot(s)
    panels = {p.axis.name: p for p in _slice_data(snap).panels}
    assert panels["a"].axis.choices == (0, 1, False, True)
    assert [type(c) for c in panels["b"].axis.choices] == [int, float, str]
    assert panels["b"].axis.labels() == ["1", "1.0", "'1'"]
    dims = {d.label: d for d in _parallel_data(snap).dimensions}
    assert dims["a"].ticktext == ["0", "1", "False", "True"]
    assert dims["b"].ticktext == ["1", "1.0", "'1'"]
    expected = [
        [0, 1, False, True].index(t.params["a"]) if not isinstance(t.params["a"], bool)
        else 2 + int(t.params["a"])
        for t in s.trials
    ]
    assert dims["a"].values == [float(v) for v in expected]
    fig = plot_slice(s, params=["b"])
    assert list(fig.layout.xaxis.categoryarray) == ["1", "1.0", "'1'"]
    labels = {"int": "1", "float": "1.0", "str": "'1'"}
    xs = [x for tr in fig.data for x in tr.x]
    assert xs == [labels[type(t.params["b"]).__name__] for t in s.trials]

"""Plots label a trial as narrowed only where its revision's constraint applied to it.

The scenario: ``study.narrow(x=(0.2, 0.4))``, then an edited objective declares ``x`` in
``[0.5, 1]``: those trials were sampled from the declaration, not from the narrowed range.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

import hpo_lab
from hpo_lab.samplers import RandomSampler
from hpo_lab.viz import (
    LiveOptimizationHistory,
    plot_contour,
    plot_edf,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_slice,
)
from hpo_lab.viz._contour import _contour_data
from hpo_lab.viz._edf import _edf_data
from hpo_lab.viz._history import _history_data
from hpo_lab.viz._narrowed import Narrowing, NarrowingLookup
from hpo_lab.viz._parallel import _parallel_data
from hpo_lab.viz._slice import _slice_data
from hpo_lab.viz._snapshot import snapshot


def _objective(x_low: float) -> Callable[[hpo_lab.Trial], float]:
    def objective(trial: hpo_lab.Trial) -> float:
        return trial.suggest_float("x", x_low, 1.0) + trial.suggest_float("y", 0.0, 1.0)

    return objective


@pytest.fixture(autouse=True)
def _quiet(caplog: pytest.LogCaptureFixture) -> None:
    # The ignored narrowing is logged (tested in tests/test_inputs.py); keep it out of reports.
    caplog.set_level(logging.ERROR, logger="hpo_lab")


def _study(*x_lows: float) -> hpo_lab.Study:
    """5 trials of revision 0, then ``narrow(x=(0.2, 0.4))`` and 3 trials per ``x_lows``."""
    study = hpo_lab.create_study(sampler=RandomSampler(seed=1))
    study.optimize(_objective(0.0), n_trials=5)
    study.narrow(x=(0.2, 0.4))
    for x_low in x_lows:
        study.optimize(_objective(x_low), n_trials=3)
    return study


def test_the_lookup_tells_applied_from_ignored() -> None:
    study = _study(0.5, 0.0)
    lookup = NarrowingLookup(study.search_space_history)
    got = [lookup.of(t) for t in study.trials]
    assert got[:5] == [None] * 5
    assert got[5:8] == [Narrowing(1, (), ("x",))] * 3
    assert got[8:] == [Narrowing(1, ("x",), ())] * 3
    assert got[5] is not None and got[5].hover_line() == "rev 1 narrowing not applied: x"
    assert got[8] is not None and got[8].hover_line() == "narrowed (rev 1): x"


def test_history_marks_the_first_trial_that_was_narrowed() -> None:
    study = _study(0.5, 0.0)
    data = _history_data(snapshot(study))
    assert data.revisions == [(1, 8, "rev 1: x∈[0.2, 0.4]")]
    texts = dict(zip(data.groups["complete"].numbers, data.groups["complete"].text))
    assert all("rev 1 narrowing not applied: x" in texts[n] for n in (5, 6, 7))
    assert all("narrowed (rev 1): x" in texts[n] for n in (8, 9, 10))
    assert not any("narrow" in texts[n] for n in range(5))
    fig = plot_optimization_history(study)
    assert [sh.x0 for sh in fig.layout.shapes if sh.name == "revision-1"] == [7.5]


def test_a_revision_that_narrowed_no_trial_is_not_marked_anywhere() -> None:
    study = _study(0.5)
    snap = snapshot(study)
    assert _history_data(snap).revisions == []
    fig = plot_optimization_history(study)
    assert not [sh for sh in fig.layout.shapes if (sh.name or "").startswith("revision-")]
    # slice: no band for a range that narrowed nothing
    panel = next(p for p in _slice_data(snap).panels if p.axis.name == "x")
    assert panel.bands == []
    assert not [s for s in plot_slice(study).layout.shapes if s.name == "revision-1"]
    # parallel coordinates: those trials sit on a "not applied" tick, not on revision 1
    dims = {d.label: d for d in _parallel_data(snap).dimensions}
    assert dims["revision"].ticktext == ["0", "1: not applied"]
    assert dims["revision"].values == [0.0] * 5 + [1.5] * 3
    assert "revision" in [d.label for d in plot_parallel_coordinate(study).data[0].dimensions]
    # EDF: their own line, not counted as narrowed
    assert [ln.name for ln in _edf_data(snap).lines] == [
        "rev 0 (5 trials)",
        "rev 1, narrowing not applied (3 trials)",
    ]
    assert len(plot_edf(study).data) == 2
    # contour: no narrowed box drawn for a constraint the declaration misses
    assert all(p.region is None for p in _contour_data(snap).panels.values())
    assert not [s for s in plot_contour(study).layout.shapes if s.line.dash == "dash"]


def test_an_applied_revision_keeps_its_labels() -> None:
    study = _study(0.5, 0.0)
    snap = snapshot(study)
    panel = next(p for p in _slice_data(snap).panels if p.axis.name == "x")
    assert [rev for rev, _ in panel.bands] == [1]
    dims = {d.label: d for d in _parallel_data(snap).dimensions}
    assert dims["revision"].ticktext == ["0", "1", "1: not applied"]
    assert dims["revision"].values == [0.0] * 5 + [1.5] * 3 + [1.0] * 3
    assert [ln.name for ln in _edf_data(snap).lines] == [
        "rev 0 (5 trials)",
        "rev 1 (3 trials)",
        "rev 1, narrowing not applied (3 trials)",
    ]
    region = _contour_data(snap).panels[(1, 0)].region
    assert region is not None and region[:2] == pytest.approx((0.2, 0.4))


def test_a_fresh_narrowing_shows_where_the_next_trials_go() -> None:
    study = _study()
    panel = next(p for p in _slice_data(snapshot(study)).panels if p.axis.name == "x")
    assert [rev for rev, _ in panel.bands] == [1]


def test_the_label_names_what_did_not_apply() -> None:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=2))
    study.optimize(_objective(0.0), n_trials=3)
    study.narrow(x=(0.2, 0.4), y=(0.5, 0.6))
    study.optimize(_objective(0.5), n_trials=2)
    assert _history_data(snapshot(study)).revisions == [
        (1, 3, "rev 1: y∈[0.5, 0.6]; not applied: x")
    ]


def test_live_history_marks_a_revision_only_once_it_narrows_a_trial() -> None:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=1))
    live = LiveOptimizationHistory(study)
    study.optimize(_objective(0.0), n_trials=5)
    study.narrow(x=(0.2, 0.4))
    study.optimize(_objective(0.5), n_trials=3)
    live.update()

    def markers() -> list[tuple[float, str]]:
        shapes = [sh.x0 for sh in live.figure.layout.shapes if sh.name == "revision-1"]
        texts = [a.text for a in live.figure.layout.annotations if a.name == "revision-1"]
        return list(zip(shapes, texts))

    assert markers() == []
    study.optimize(_objective(0.0), n_trials=3)
    live.update()
    assert markers() == [(7.5, "rev 1: x∈[0.2, 0.4]")]
    static = plot_optimization_history(study)
    assert [(sh.x0, sh.name) for sh in static.layout.shapes] == [(7.5, "revision-1")]

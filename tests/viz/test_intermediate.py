"""Learning curves: data, pruned markers, live appends."""

from __future__ import annotations

import hpo_lab
from hpo_lab.trial import TrialState
from hpo_lab.viz import LiveIntermediateValues, plot_intermediate_values, snapshot
from hpo_lab.viz._intermediate import _intermediate_data


def test_curves_by_state_and_pruned_ends(mixed_study: hpo_lab.Study) -> None:
    data = _intermediate_data(snapshot(mixed_study))
    trials = mixed_study.trials
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert [c.number for c in data.curves["complete"]] == [t.number for t in complete]
    assert all(c.steps == [0, 1] for c in data.curves["complete"])
    assert data.curves["complete"][0].values == [
        complete[0].intermediate_values[0], complete[0].intermediate_values[1]
    ]
    pruned = [t for t in trials if t.state == TrialState.PRUNED and t.intermediate_values]
    assert [n for _, _, n in data.pruned_ends] == [t.number for t in pruned]
    assert all(step == 1 for step, _, _ in data.pruned_ends)
    # Failed trials reported nothing here, and pruned-before-reporting ones have no curve.
    assert data.curves["fail"] == []


def test_one_trace_per_group_with_gaps_between_trials(mixed_study: hpo_lab.Study) -> None:
    fig = plot_intermediate_values(mixed_study)
    complete = [tr for tr in fig.data if tr.legendgroup == "complete"]
    assert len(complete) == 1
    n = sum(1 for t in mixed_study.trials if t.state == TrialState.COMPLETE)
    assert list(complete[0].x).count(None) == n
    ends = next(tr for tr in fig.data if tr.legendgroup == "pruned-end")
    assert ends.marker.symbol == "triangle-down"


def test_inherited_curves_are_apart(warm_study: hpo_lab.Study) -> None:
    data = _intermediate_data(snapshot(warm_study))
    assert len(data.curves["inherited"]) == sum(
        1 for t in warm_study.inherited_trials if t.intermediate_values
    )


def test_live_running_curve_grows_then_moves() -> None:
    s = hpo_lab.create_study()
    live = LiveIntermediateValues(s, chunk_size=10)
    t = s.ask()
    t.report(1.0, 0)
    live.update()
    t.report(0.5, 1)
    live.update()
    running = next(tr for tr in live.figure.data if tr.legendgroup == "running")
    assert list(running.x) == [0, 1, None]
    s.tell(t, state=TrialState.PRUNED)
    assert live.update() == 1
    running = next(tr for tr in live.figure.data if tr.legendgroup == "running")
    assert list(running.x) == []
    pruned = next(tr for tr in live.figure.data if tr.legendgroup == "pruned")
    assert list(pruned.y) == [1.0, 0.5, None]
    ends = next(tr for tr in live.figure.data if tr.legendgroup == "pruned-end")
    assert list(ends.x) == [1]


def test_live_curves_match_a_fresh_render(mixed_study: hpo_lab.Study) -> None:
    live = LiveIntermediateValues(mixed_study, chunk_size=9)
    live.update()
    fresh = plot_intermediate_values(mixed_study)
    for group in ("complete", "pruned", "pruned-end"):
        got = [tr for tr in live.figure.data if tr.legendgroup == group]
        want = [tr for tr in fresh.data if tr.legendgroup == group]
        assert sorted(y for tr in got for y in tr.y if y is not None) == sorted(
            y for tr in want for y in tr.y if y is not None
        )
    assert len([tr for tr in live.figure.data if tr.legendgroup == "complete"]) > 1

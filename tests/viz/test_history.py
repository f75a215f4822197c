"""Optimization history: data and live appends."""

from __future__ import annotations

import random

import hpo_lab
from hpo_lab.trial import TrialState
from hpo_lab.viz import LiveOptimizationHistory, plot_optimization_history, snapshot
from hpo_lab.viz._history import _history_data


def _running_best(values: list[float], maximize: bool = False) -> list[float]:
    out, best = [], None
    for v in values:
        best = v if best is None else (max(best, v) if maximize else min(best, v))
        out.append(best)
    return out


def test_groups_hold_each_state_and_best_line_steps(mixed_study: hpo_lab.Study) -> None:
    data = _history_data(snapshot(mixed_study))
    trials = mixed_study.trials
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert data.groups["complete"].x == [t.number for t in complete]
    assert data.groups["complete"].y == [t.value for t in complete]
    pruned_with_value = [
        t for t in trials if t.state == TrialState.PRUNED and t.intermediate_values
    ]
    assert data.groups["pruned"].y == [t.intermediate_values[1] for t in pruned_with_value]
    assert data.groups["rug-pruned"].x == [
        t.number for t in trials if t.state == TrialState.PRUNED and not t.intermediate_values
    ]
    assert data.groups["rug-fail"].x == [t.number for t in trials if t.state == TrialState.FAIL]
    assert data.groups["rug-fail"].x, "the fixture should contain failed trials"
    # The best line's steps agree with the running minimum at each step.
    best = dict(zip([t.number for t in complete], _running_best([t.value for t in complete])))
    for x, y in zip(data.best_x, data.best_y):
        assert best[x] == y
    assert data.best_x[-1] == complete[-1].number
    assert data.best_y == sorted(data.best_y, reverse=True)


def test_maximize_best_line_increases() -> None:
    s = hpo_lab.create_study(direction="maximize")
    for v in [1.0, 3.0, 2.0, 5.0, 4.0]:
        t = s.ask()
        s.tell(t, v)
    data = _history_data(snapshot(s))
    assert data.best_x == [0, 1, 3, 4]
    assert data.best_y == [1.0, 3.0, 5.0, 5.0]


def test_revision_start_is_marked(mixed_study: hpo_lab.Study) -> None:
    data = _history_data(snapshot(mixed_study))
    first = min(t.number for t in mixed_study.trials if t.revision == 1)
    assert [(r, n) for r, n, _ in data.revisions] == [(1, first)]
    assert "lr∈[0.001, 0.1]" in data.revisions[0][2]
    fig = plot_optimization_history(mixed_study)
    assert [s.name for s in fig.layout.shapes] == ["revision-1"]
    assert fig.layout.shapes[0].x0 == first - 0.5


def test_inherited_trials_sit_left_of_zero(warm_study: hpo_lab.Study) -> None:
    data = _history_data(snapshot(warm_study))
    inh = data.groups["inherited"]
    assert len(inh.x) == len([t for t in warm_study.inherited_trials if t.value is not None])
    assert inh.x
    assert max(inh.x) == -1
    assert min(inh.x) == -len(warm_study.inherited_trials)
    # The best line is over the study's own trials only.
    own = {t.number for t in warm_study.trials}
    assert set(data.best_x) <= own


def test_target_replaces_values_and_drops_the_best_line(mixed_study: hpo_lab.Study) -> None:
    data = _history_data(snapshot(mixed_study), target=lambda t: t.params["k"], target_name="k")
    assert data.best_x == []
    assert data.groups["complete"].y == [
        float(t.params["k"]) for t in mixed_study.trials if t.state == TrialState.COMPLETE
    ]
    assert plot_optimization_history(mixed_study, target_name="k").layout.yaxis.title.text == "k"


def _points(fig, group: str) -> list[tuple[float, float]]:
    out = []
    for tr in fig.data:
        if tr.legendgroup == group:
            out += list(zip(tr.x, tr.y))
    return sorted(out)


def test_live_figure_matches_a_fresh_render(mixed_objective) -> None:
    s = hpo_lab.create_study()
    live = LiveOptimizationHistory(s, chunk_size=4)
    for _ in range(4):
        s.optimize(mixed_objective, n_trials=6, catch=(RuntimeError,))
        live.update()
    s.narrow(lr=(1e-3, 1e-1))
    s.optimize(mixed_objective, n_trials=6, catch=(RuntimeError,))
    live.update()
    fresh = plot_optimization_history(s)
    for group in ("complete", "pruned", "rug-fail", "rug-pruned", "best"):
        assert _points(live.figure, group) == _points(fresh, group), group
    assert [sh.name for sh in live.figure.layout.shapes] == ["revision-1"]
    # Chunks: no trace above chunk_size; one legend entry per group.
    for group in ("complete",):
        traces = [t for t in live.figure.data if t.legendgroup == group]
        assert len(traces) > 1
        assert all(len(t.x) <= 4 for t in traces)
        assert [t.showlegend for t in traces].count(True) == 1


def test_live_update_sends_only_new_points_whatever_the_study_size(recording_figure) -> None:
    s = hpo_lab.create_study()
    fig = recording_figure(plot_optimization_history(hpo_lab.create_study()))
    live = LiveOptimizationHistory(s, fig, chunk_size=50)
    sent = []
    for n_before in (40, 400, 2000):
        s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n_before - len(s.trials))
        live.update()
        fig.take()
        s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        assert live.update() == 3
        sent.append(fig.take())
    # Bounded by the new points, one chunk and the (short) best line: not by the study.
    assert max(sent) < 4 * (50 + 3 * 4 + 40), sent
    assert sum(len(t.x) for t in fig.data if t.legendgroup == "complete") == 2003
    assert all(len(t.x) <= 50 for t in fig.data if t.legendgroup == "complete")


def test_live_push_mode_with_trials_out_of_order() -> None:
    s = hpo_lab.create_study()
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=30)
    live = LiveOptimizationHistory(hpo_lab.create_study(direction=s.direction))
    trials = list(s.trials)
    random.Random(0).shuffle(trials)
    for k in range(0, 30, 7):
        live.update(trials[k : k + 7])
    data = _history_data(snapshot(s))
    best = next(t for t in live.figure.data if t.legendgroup == "best")
    assert list(best.x) == data.best_x
    assert list(best.y) == data.best_y


def test_live_over_an_existing_figure_does_not_duplicate() -> None:
    s = hpo_lab.create_study()
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    fig = plot_optimization_history(s)
    live = LiveOptimizationHistory(s, fig)
    assert live.figure is fig
    assert live.update() == 0
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert live.update() == 2
    assert sorted(n for tr in fig.data if tr.legendgroup == "complete"
                  for (n,) in tr.customdata) == list(range(7))


def test_trials_without_a_target_value_are_left_out(mixed_study: hpo_lab.Study) -> None:
    data = _history_data(
        snapshot(mixed_study), target=lambda t: t.params["k"] if t.params["k"] > 2 else None
    )
    assert data.groups["complete"].x == [
        t.number
        for t in mixed_study.trials
        if t.state == TrialState.COMPLETE and t.params["k"] > 2
    ]


def _best_line(fig) -> tuple[list[int], list[float]]:  # type: ignore[no-untyped-def]
    best = next(t for t in fig.data if t.legendgroup == "best")
    return list(best.x), list(best.y)


def test_live_over_an_existing_figure_continues_its_best_line() -> None:
    s = hpo_lab.create_study()
    for v in (0.01, 0.5, 0.6):
        t = s.ask()
        t.suggest_float("x", 0, 1)
        s.tell(t, v)
    fig = plot_optimization_history(s)
    live = LiveOptimizationHistory(s, fig)
    for v in (0.9, 0.8):
        t = s.ask()
        t.suggest_float("x", 0, 1)
        s.tell(t, v)
    assert live.update() == 2
    data = _history_data(snapshot(s))
    assert _best_line(fig) == (data.best_x, data.best_y)
    assert set(_best_line(fig)[1]) == {0.01}


def test_live_push_of_an_already_drawn_trial_changes_nothing() -> None:
    s = hpo_lab.create_study()
    live = LiveOptimizationHistory(s)
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    assert live.update() == 4
    before = _best_line(live.figure)
    assert live.update(list(s.trials)) == 0  # the same trials pushed again (event + poll)
    assert _best_line(live.figure) == before
    assert live._best.numbers == [0, 1, 2, 3]


def test_a_revision_in_force_from_the_first_trial_is_not_marked(
    warm_study: hpo_lab.Study,
) -> None:
    # The child copies its parent's narrowed space as its revision 1, before its trial 0.
    assert min(t.revision for t in warm_study.trials) >= 1
    data = _history_data(snapshot(warm_study))
    assert data.revisions == []
    fig = plot_optimization_history(warm_study)
    assert not [sh for sh in fig.layout.shapes if (sh.name or "").startswith("revision-")]
    live = LiveOptimizationHistory(warm_study, plot_optimization_history(
        hpo_lab.viz.StudySnapshot(inherited=tuple(warm_study.inherited_trials))
    ))
    live.update()
    assert not [
        sh for sh in live.figure.layout.shapes if (sh.name or "").startswith("revision-")
    ]

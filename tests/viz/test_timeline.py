"""Timeline: bars per worker, running bars, live appends."""

from __future__ import annotations

import datetime
import threading

import hpo_lab
from hpo_lab.trial import FrozenTrial, TrialState
from hpo_lab.viz import LiveTimeline, plot_timeline, snapshot
from hpo_lab.viz._timeline import _timeline_data

T0 = datetime.datetime(2026, 1, 1, 12, 0, 0)


def _trial(
    n: int, state: TrialState, start: float | None, end: float | None, worker: str
) -> FrozenTrial:
    return FrozenTrial(
        number=n,
        state=state,
        value=1.0 if state == TrialState.COMPLETE else None,
        datetime_start=None if start is None else T0 + datetime.timedelta(seconds=start),
        datetime_complete=None if end is None else T0 + datetime.timedelta(seconds=end),
        worker=worker,
    )


def test_bars_per_state_worker_and_duration() -> None:
    trials = [
        _trial(0, TrialState.COMPLETE, 0, 2, "w1"),
        _trial(1, TrialState.PRUNED, 0.5, 1, "w2"),
        _trial(2, TrialState.FAIL, 2, 2.25, "w1"),
        _trial(3, TrialState.RUNNING, 3, None, "w2"),
        _trial(4, TrialState.WAITING, None, None, "w1"),  # not started: no bar
    ]
    data = _timeline_data(hpo_lab.viz.StudySnapshot(trials=tuple(trials)),
                          now=T0 + datetime.timedelta(seconds=5))
    assert data.workers == ["w1", "w2"]
    assert data.groups["complete"].x == [2000.0]
    assert data.groups["pruned"].x == [500.0]
    assert data.groups["fail"].x == [250.0]
    assert data.groups["running"].x == [2000.0]  # runs until "now"
    assert data.groups["running"].y == ["w2"]
    assert data.groups["complete"].base == [T0.isoformat()]


def test_parallel_workers_get_their_own_rows() -> None:
    s = hpo_lab.create_study()
    barrier = threading.Barrier(2)

    def work() -> None:
        barrier.wait()
        s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)

    threads = [threading.Thread(target=work, name=f"w{i}") for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    data = _timeline_data(snapshot(s))
    assert len(data.workers) == 2
    assert sorted(data.groups["complete"].y) == sorted(t.worker for t in s.trials)
    fig = plot_timeline(s)
    assert list(fig.layout.yaxis.categoryarray) == data.workers


def test_live_timeline_moves_a_trial_from_running_to_finished() -> None:
    s = hpo_lab.create_study()
    live = LiveTimeline(s)
    t = s.ask()
    assert live.update() == 0
    running = next(tr for tr in live.figure.data if tr.legendgroup == "running")
    assert [row[0] for row in running.customdata] == [t.number]
    s.tell(t, 1.0)
    assert live.update() == 1
    running = next(tr for tr in live.figure.data if tr.legendgroup == "running")
    assert len(running.x) == 0
    complete = [tr for tr in live.figure.data if tr.legendgroup == "complete"]
    assert [row[0] for row in complete[0].customdata] == [t.number]
    assert live.update() == 0


def test_live_timeline_matches_a_fresh_render(mixed_study: hpo_lab.Study) -> None:
    live = LiveTimeline(mixed_study, chunk_size=7)
    live.update()
    fresh = plot_timeline(mixed_study)
    for group in ("complete", "pruned", "fail"):
        got = sorted(x for tr in live.figure.data if tr.legendgroup == group for x in tr.base)
        want = sorted(x for tr in fresh.data if tr.legendgroup == group for x in tr.base)
        assert got == want

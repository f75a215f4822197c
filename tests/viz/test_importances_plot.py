"""The importance bar chart."""

from __future__ import annotations

import hpo_lab
from hpo_lab.importance import get_param_importances
from hpo_lab.viz import plot_param_importances, snapshot
from hpo_lab.viz._importances import _importance_data


def test_bars_follow_the_evaluator(mixed_study: hpo_lab.Study) -> None:
    data = _importance_data(snapshot(mixed_study))
    expected = get_param_importances(mixed_study)
    assert data.names == list(expected)
    assert data.values == list(expected.values())
    assert all(lo <= hi for lo, hi in zip(data.lower, data.upper))
    fig = plot_param_importances(mixed_study)
    assert list(fig.data[0].y) == data.names[::-1]  # most important on top
    assert fig.data[0].error_x.array is not None


def test_without_intervals_no_error_bars(mixed_study: hpo_lab.Study) -> None:
    fig = plot_param_importances(mixed_study, intervals=False)
    assert fig.data[0].error_x.array is None


def test_too_few_trials_is_a_message_not_an_error() -> None:
    s = hpo_lab.create_study()
    s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    data = _importance_data(snapshot(s))
    assert data.names == []
    assert data.message is not None
    assert "at least 2 COMPLETE trials" in data.message


def test_title_counts_trials_left_out_by_the_cap_and_the_target() -> None:
    from hpo_lab.viz._importances import ImportanceData, _render_importances

    data = ImportanceData(["a"], [1.0], n_trials=1000, n_capped=4000, n_skipped=3)
    title = _render_importances(data).layout.title.text
    assert "1000 trials" in title
    assert "4000 more not evaluated" in title
    assert "3 without a target value" in title

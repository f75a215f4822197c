"""The panel's view of successive halving / Hyperband: rung marks on the learning curves and
what pruning saved in the header, from a real study."""

from __future__ import annotations

import math
from typing import Any

import pytest

import hpo_lab
from hpo_lab.notebook import Panel
from hpo_lab.pruners import SuccessiveHalvingPruner
from hpo_lab.samplers import RandomSampler


def _objective(trial: Any) -> float:
    u = trial.suggest_float("u", 0.0, 1.0)
    for epoch in range(1, 13):
        trial.report(u + (1.0 - 2.0 * u) * math.exp(-epoch / 3.0), epoch)
        if trial.should_prune():
            raise hpo_lab.TrialPruned()
    return u + (1.0 - 2.0 * u) * math.exp(-4.0)


def _points(panel: Panel, group: str) -> int:
    view = panel.curves_view
    if view.mode == "widget":
        return sum(len(t.x or ()) for t in view.figure.data if t.legendgroup == group)
    return sum(len(t["x"]) for t in view.model.traces if t["legendgroup"] == group)


@pytest.mark.parametrize("figures", ["widget", "html"])
@pytest.mark.parametrize("rank_check", [False, True])
def test_rung_marks_and_savings_are_shown(figures: str, rank_check: bool) -> None:
    study = hpo_lab.create_study(
        sampler=RandomSampler(seed=3),
        pruner=SuccessiveHalvingPruner(1, 3, rank_check=rank_check),
    )
    study.optimize(_objective, n_trials=40)
    panel = Panel(study, figures=figures)
    try:
        panel.refresh()
        decisions = [d for t in study.trials for d in t.decisions]
        stopped = sum(d.prune for d in decisions)
        relaxed = sum("relaxed" in d.details for d in decisions)
        assert _points(panel, "rung-stopped") == stopped > 0
        assert _points(panel, "rung-relaxed") == relaxed
        assert _points(panel, "rung-promoted") == len(decisions) - stopped - relaxed
        spent = sum(t.last_step or 0 for t in study.trials)
        saved = 1 - spent / (12 * len(study.trials))
        assert f"saved {saved:.0%} of steps" in panel.counts.value
        if rank_check:  # the crossing curves make the check relax the first rung, and say so
            assert "pruning relaxed at step 1 (Spearman" in panel.counts.value
    finally:
        panel.close()


def test_without_rung_decisions_the_header_says_nothing_of_them() -> None:
    study = hpo_lab.create_study(pruner=hpo_lab.pruners.MedianPruner(n_startup_trials=2))
    study.optimize(_objective, n_trials=8)
    panel = Panel(study, figures="html")
    try:
        panel.refresh()
        assert "saved" not in panel.counts.value
    finally:
        panel.close()

"""``study.start(..., budget=...)``: a run that stops starting trials once its trials have used a
resource budget (the steps they report, e.g. epochs)."""

from __future__ import annotations

from typing import Any

import pytest

import hpo_lab
from hpo_lab.pruners import NopPruner, SuccessiveHalvingPruner
from hpo_lab.samplers import RandomSampler


def _objective(trial: hpo_lab.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    for epoch in range(1, 10):
        trial.report(x + 1.0 / epoch, epoch)
        if trial.should_prune():
            raise hpo_lab.TrialPruned()
    return x


@pytest.mark.parametrize("n_jobs", [1, 3])
def test_the_run_ends_once_the_budget_is_spent(n_jobs: int) -> None:
    study = hpo_lab.create_study(
        sampler=RandomSampler(seed=0), pruner=SuccessiveHalvingPruner(1, 3)
    )
    run = study.start(_objective, budget=100, n_jobs=n_jobs)
    assert run.wait(120)
    assert run.status.value == "finished" and run.settings["budget"] == 100.0
    used = [t.last_step or 0 for t in study.trials]
    # No trial started after the budget was spent; the ones running then finished.
    assert 100 <= sum(used) <= 100 + n_jobs * 9
    assert sum(used[:-n_jobs]) < 100
    assert len(study.trials) > 100 // 9  # pruning bought more trials than full training would


def test_budget_combines_with_n_trials() -> None:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    run = study.start(_objective, budget=1000, n_trials=3)
    assert run.wait(60)
    assert len(study.trials) == 3  # n_trials came first


def test_a_run_in_a_resumed_study_counts_only_its_own_trials() -> None:
    # No pruning: every trial of the run trains its 9 epochs.
    study = hpo_lab.create_study(sampler=RandomSampler(seed=0), pruner=NopPruner())
    study.optimize(_objective, n_trials=5)  # 45 epochs before the run
    run = study.start(_objective, budget=18)
    assert run.wait(60)
    assert [t.last_step for t in study.trials[5:]] == [9, 9]


@pytest.mark.parametrize("budget", [0, -3, float("inf"), float("nan"), "10", True])
def test_bad_budgets_are_one_line_value_errors(budget: Any) -> None:
    study = hpo_lab.create_study()
    with pytest.raises(ValueError) as info:
        study.start(_objective, budget=budget)
    assert str(info.value).startswith("budget must be a finite number > 0")
    assert "\n" not in str(info.value) and study.run is None

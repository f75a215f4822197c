"""Each finished trial records how a model-based sampler chose it (``proposed_by``)."""

from __future__ import annotations

import math
from collections import Counter

import hpo_lab
from hpo_lab.notebook._panel_html import table_html
from hpo_lab.pruners import HyperbandPruner
from hpo_lab.samplers import (
    PROPOSED_BY_ATTR,
    AutoSampler,
    GPSampler,
    MultiFidelitySampler,
    RandomSampler,
    TPESampler,
)


def _records(study: hpo_lab.Study) -> list[str | None]:
    return [t.system_attrs.get(PROPOSED_BY_ATTR) for t in study.trials]


def _quadratic(trial: hpo_lab.Trial) -> float:
    return sum((trial.suggest_float(f"x{i}", 0.0, 1.0) - 0.3) ** 2 for i in range(2))


def test_tpe_records_its_start_up_its_model_and_enqueued_trials() -> None:
    study = hpo_lab.create_study(sampler=TPESampler(seed=0, n_startup_trials=4))
    study.enqueue_trial({"x0": 0.5, "x1": 0.5})
    study.optimize(_quadratic, n_trials=9)
    # The enqueued trial counts towards the start-up: three random ones follow it.
    assert _records(study) == ["enqueued", "random", "random", "random"] + ["tpe"] * 5


def test_gp_records_the_trust_region_and_the_warped_parameters() -> None:
    study = hpo_lab.create_study(sampler=GPSampler(seed=0, n_startup_trials=4))
    study.optimize(_quadratic, n_trials=7)
    assert _records(study) == ["random"] * 4 + ["gp"] * 3

    def eleven(trial: hpo_lab.Trial) -> float:  # 11 numeric parameters: a trust region
        return sum((trial.suggest_float(f"x{i}", 0.0, 1.0) - 0.3) ** 2 for i in range(11))

    study = hpo_lab.create_study(sampler=GPSampler(seed=0, n_startup_trials=4))
    study.optimize(eleven, n_trials=6)
    assert _records(study)[4:] == ["gp (trust region)"] * 2

    def log_scale(trial: hpo_lab.Trial) -> float:  # the optimum at lr = 1e-3, declared linear
        lr = trial.suggest_float("lr", 0.0, 1.0)
        width = trial.suggest_float("width", 0.0, 1.0)
        return (math.log10(lr + 1e-5) + 3.0) ** 2 + (width - 0.4) ** 2

    study = hpo_lab.create_study(sampler=GPSampler(seed=0))
    study.optimize(log_scale, n_trials=30)
    records = Counter(_records(study))
    assert records["gp (warped: lr, width)"] >= 5, records


def test_auto_records_the_model_its_rule_picked() -> None:
    sampler = AutoSampler(seed=0, n_startup_trials=4, max_gp_trials=8)
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(_quadratic, n_trials=11)
    assert _records(study) == ["random"] * 4 + ["gp"] * 4 + ["tpe"] * 3


def test_a_multi_fidelity_sampler_records_its_joint_model() -> None:
    def curve(trial: hpo_lab.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        for step in range(1, 10):
            trial.report((x - 0.3) ** 2 + 1.0 / step, step)
            if trial.should_prune():
                raise hpo_lab.TrialPruned()
        return (x - 0.3) ** 2

    study = hpo_lab.create_study(
        sampler=MultiFidelitySampler(seed=0), pruner=HyperbandPruner(1, 9, 3)
    )
    study.optimize(curve, n_trials=25)
    records = Counter(_records(study))
    assert records["multi-fidelity gp"] > 0 and records["random"] > 0, records


def test_samplers_without_a_model_record_nothing_and_the_table_shows_the_column() -> None:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    study.optimize(_quadratic, n_trials=3)
    assert _records(study) == [None] * 3
    assert "proposed by" not in table_html(study.trials, 3, True, "newest")

    study = hpo_lab.create_study(sampler=TPESampler(seed=0, n_startup_trials=2))
    study.optimize(_quadratic, n_trials=3)
    html = table_html(study.trials, 3, True, "newest")
    assert "<th>proposed by</th>" in html
    assert html.count("<td>random</td>") == 2 and html.count("<td>tpe</td>") == 1


def test_wrapped_samplers_that_keep_no_record_get_none() -> None:
    from hpo_lab.samplers import CmaEsSampler

    study = hpo_lab.create_study(sampler=MultiFidelitySampler(CmaEsSampler(seed=0)))
    study.optimize(_quadratic, n_trials=12)
    assert _records(study) == [None] * 12


def test_auto_records_tpe_when_tpe_modelled_while_the_gp_was_starting_up() -> None:
    # Pruned trials count towards TPE's start-up, not the GP's: while the GP waits for COMPLETE
    # trials, TPE proposes every parameter, and the record says so.
    def pruned_often(trial: hpo_lab.Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number % 3:
            raise hpo_lab.TrialPruned()
        return (x - 0.3) ** 2

    study = hpo_lab.create_study(sampler=AutoSampler(seed=0, n_startup_trials=4))
    study.optimize(pruned_often, n_trials=12, catch=())
    records = _records(study)
    assert records[:4] == ["random"] * 4
    # From trial 4 on TPE has 4 observations (pruned ones count), and the GP fewer COMPLETE
    # ones: TPE proposes until the GP takes over, and no trial from then on is "random".
    assert "random" not in records[4:] and records[4] == "tpe", records

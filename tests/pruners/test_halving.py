"""Successive halving and Hyperband: the arithmetic, Optuna's decisions, the records."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import optuna
import pytest

import hpo_lab
from hpo_lab.pruners import HyperbandPruner, SuccessiveHalvingPruner
from hpo_lab.pruners._halving import (
    bracket_of,
    bracket_weights,
    crossed_rungs,
    n_brackets,
    promotion,
    spearman,
)
from hpo_lab.trial import TrialState


def _curve(number: int, n_steps: int) -> list[float]:
    # Decaying curves with a per-trial level, rate and noise; a few cross each other.
    rng = np.random.default_rng(number)
    level, rate = rng.uniform(0.0, 2.0), rng.uniform(0.05, 1.0)
    return [
        float(level + math.exp(-rate * step) + 0.05 * rng.standard_normal())
        for step in range(1, n_steps + 1)
    ]


def _run(study: Any, pruned_exc: type[BaseException], n_trials: int, n_steps: int) -> list[Any]:
    """Trials 0..n-1 report the curves at steps 1..n_steps and stop when told; returns, per
    trial, the step it stopped at (None: ran to the end)."""
    stopped: list[Any] = []

    def objective(trial: Any) -> float:
        trial.suggest_float("x", 0.0, 1.0)
        values = _curve(trial.number, n_steps)
        for step, value in enumerate(values, start=1):
            trial.report(value, step)
            if trial.should_prune():
                stopped.append(step)
                raise pruned_exc()
        stopped.append(None)
        return values[-1]

    study.optimize(objective, n_trials=n_trials)
    return stopped


CASES: list[tuple[str, Callable[[], Any], Callable[[], Any], str]] = [
    ("sh_defaults", SuccessiveHalvingPruner, lambda: optuna.pruners.SuccessiveHalvingPruner(),
     "minimize"),
    ("sh_eta2_r2", lambda: SuccessiveHalvingPruner(2, 2),
     lambda: optuna.pruners.SuccessiveHalvingPruner(2, 2), "minimize"),
    ("sh_rate1_bootstrap", lambda: SuccessiveHalvingPruner(1, 3, 1, 2),
     lambda: optuna.pruners.SuccessiveHalvingPruner(1, 3, 1, 2), "maximize"),
    ("hyperband_defaults", HyperbandPruner, lambda: optuna.pruners.HyperbandPruner(), "minimize"),
    ("hyperband_fixed", lambda: HyperbandPruner(1, 16, 2),
     lambda: optuna.pruners.HyperbandPruner(1, 16, 2), "maximize"),
]


@pytest.mark.parametrize(("name", "ours", "theirs", "direction"), CASES, ids=[c[0] for c in CASES])
def test_decisions_match_optuna(
    name: str, ours: Callable[[], Any], theirs: Callable[[], Any], direction: str
) -> None:
    # The same trials, one after another, in studies of the same name: the same trials stop
    # at the same steps (Hyperband draws the same brackets, from the name and the number).
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    a = hpo_lab.create_study(study_name=name, direction=direction, pruner=ours())
    b = optuna.create_study(study_name=name, direction=direction, pruner=theirs())
    ours_stopped = _run(a, hpo_lab.TrialPruned, 60, 20)
    theirs_stopped = _run(b, optuna.TrialPruned, 60, 20)
    assert ours_stopped == theirs_stopped
    assert 5 < sum(s is not None for s in ours_stopped) < 60  # the comparison means something


def test_a_decision_records_the_rung_and_what_it_was_compared_with() -> None:
    study = hpo_lab.create_study(pruner=SuccessiveHalvingPruner(min_resource=1, reduction_factor=2))
    for value in (0.1, 0.2, 0.3):
        trial = study.ask()
        trial.report(value, 1)
        study.tell(trial, state=TrialState.PRUNED)
    trial = study.ask()
    trial.report(0.25, 1)
    assert trial.should_prune() is True
    d = trial.freeze().decisions[-1]
    assert (d.rule, d.rung, d.resource, d.value, d.n_compared) == ("asha", 0, 1, 0.25, 3)
    assert d.threshold == 0.2  # the 2nd best of 4 values: the top half
    assert "outside the top 1/2 of 4 values" in d.reason
    trial.report(0.1, 2)  # ignoring the advice, it crosses rung 1 with the best value there
    assert trial.should_prune() is False
    assert trial.freeze().decisions[-1].rung == 1


def test_a_sparse_report_crosses_several_rungs_at_once() -> None:
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    study = hpo_lab.create_study(pruner=pruner)
    others = study.ask()
    for step, v in ((1, 0.5), (2, 0.5), (4, 0.5)):
        others.report(v, step)
    study.tell(others, 0.5)
    trial = study.ask()
    trial.report(0.9, 0)
    trial.report(0.4, 4)  # rungs at 1, 2 and 4 all crossed by this report
    assert trial.should_prune() is False
    d = trial.freeze().decisions[-1]
    assert d.rung == 2 and d.details["compared"] == [1, 2]


def test_nan_at_a_rung_is_pruned_and_no_rung_means_no_decision() -> None:
    study = hpo_lab.create_study(pruner=SuccessiveHalvingPruner(min_resource=2, reduction_factor=2))
    trial = study.ask()
    trial.report(1.0, 1)
    assert trial.should_prune() is False and trial.freeze().decisions == ()
    trial.report(float("nan"), 2)
    assert trial.should_prune() is True
    assert "NaN" in trial.freeze().decisions[-1].reason


def test_auto_min_resource_waits_for_the_first_complete_trial_and_is_stored() -> None:
    study = hpo_lab.create_study(pruner=SuccessiveHalvingPruner(reduction_factor=2))
    first = study.ask()
    for step in range(1, 251):
        first.report(1.0, step)
    assert first.should_prune() is False and first.freeze().decisions == ()
    study.tell(first, 1.0)
    second = study.ask()
    second.report(2.0, 1)
    second.report(2.0, 2)  # min_resource = 250 // 100 = 2
    assert second.should_prune() is True
    assert second.freeze().decisions[-1].details["min_resource"] == 2
    stored = study.system_attrs["pruner:min_resource"]
    assert stored["value"] == 2 and stored["trial"] == 0
    assert stored["cursor"] == study.trials[0].finished_cursor


def test_hyperband_brackets_are_a_function_of_the_study_name_and_number() -> None:
    pruner = HyperbandPruner(max_resource=27)
    a = hpo_lab.create_study(study_name="same", pruner=pruner)
    b = hpo_lab.create_study(study_name="same", pruner=HyperbandPruner(max_resource=27))
    c = hpo_lab.create_study(study_name="other", pruner=pruner)
    got = {}
    for study in (a, b, c):
        trials = [study.ask().freeze() for _ in range(40)]
        got[study] = [study.pruner.bracket(study.view, t) for t in trials]
    assert got[a] == got[b]
    assert got[a] != got[c]
    counts = np.bincount(got[a] + got[c], minlength=4)
    assert counts[0] > counts[3]  # the aggressive bracket gets the most trials


def test_hyperband_compares_a_trial_only_within_its_bracket() -> None:
    study = hpo_lab.create_study(study_name="hb", pruner=HyperbandPruner(1, 9, 3))
    pruner = study.pruner
    assert isinstance(pruner, HyperbandPruner)
    for _ in range(30):
        trial = study.ask()
        trial.report(float(trial.number), 1)
        trial.report(float(trial.number), 3)
        trial.should_prune()
        study.tell(trial, state=TrialState.PRUNED)
    for t in study.trials:
        for d in t.decisions:
            bracket = pruner.bracket(study.view, t)
            assert d.details["bracket"] == bracket
            peers = [
                u for u in study.trials
                if u.number < t.number and pruner.bracket(study.view, u) == bracket
                and (u.last_step or 0) >= (d.resource or 0)
            ]
            assert d.n_compared == len(peers)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_resource": 0}, "min_resource must be an int >= 1 or 'auto', but got min_resource=0"),
        ({"min_resource": "some"}, "min_resource must be an int >= 1 or 'auto'"),
        ({"reduction_factor": 1}, "reduction_factor must be an int >= 2, but got reduction_f"),
        ({"min_early_stopping_rate": -1}, "min_early_stopping_rate must be an int >= 0"),
        ({"bootstrap_count": 2}, "bootstrap_count > 0 needs a fixed min_resource"),
        ({"rank_check": "yes"}, "rank_check must be True, False or a RankCheck"),
    ],
)
def test_successive_halving_rejects_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        SuccessiveHalvingPruner(**kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_resource": "auto"}, "min_resource must be an int >= 1"),
        ({"max_resource": 0}, "max_resource must be an int >= 1 or 'auto'"),
        ({"min_resource": 5, "max_resource": 3}, "max_resource must be >= min_resource"),
        ({"bootstrap_count": 1}, "bootstrap_count > 0 needs a fixed max_resource"),
    ],
)
def test_hyperband_rejects_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        HyperbandPruner(**kwargs)
    assert "\n" not in str(info.value)


def test_arithmetic() -> None:
    assert crossed_rungs(3, 9, 1, 3) == [2]
    assert crossed_rungs(None, 0, 1, 3) == []
    assert n_brackets(1, 81, 3) == 5 and n_brackets(3, 81, 3) == 4
    assert bracket_weights(1, 3) == [1]
    # Optuna's bracket rule, on many keys: the shares follow the weights.
    weights = bracket_weights(4, 3)
    drawn = np.bincount([bracket_of(f"s_{n}", weights) for n in range(4900)], minlength=4)
    assert np.allclose(drawn / drawn.sum(), np.array(weights) / sum(weights), atol=0.03)
    assert promotion(float("nan"), [1.0, 2.0], 2, maximize=False)[0] is False
    promoted, threshold = promotion(0.0, [float("nan")] * 3, 2, maximize=False)
    assert promoted is True and math.isnan(threshold)  # NaN ranks below every number
    assert math.isnan(spearman([1, 2], [1, 2]))
    assert spearman([1, 2, 3, float("nan")], [1, 2, 3, 4]) == 1.0

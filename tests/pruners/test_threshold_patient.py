"""ThresholdPruner and PatientPruner: Optuna's decisions, and one-line errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import optuna
import pytest

import hpo_lab
from hpo_lab.pruners import MedianPruner, PatientPruner, ThresholdPruner


def _curve(number: int) -> list[float]:
    # Noisy curves that go down, then up again for some trials, with a NaN now and then.
    rng = np.random.default_rng(number)
    turn = int(rng.integers(3, 12))
    out = []
    for step in range(12):
        v = 1.0 / (step + 1) + (0.08 * (step - turn) if step > turn else 0.0)
        v += 0.03 * float(rng.standard_normal()) + 0.2 * (number % 5)
        out.append(math.nan if (number % 9 == 4 and step == 5) else v)
    return out


def _stops(study: Any, pruned: type[BaseException]) -> list[Any]:
    stopped: list[Any] = []

    def objective(trial: Any) -> float:
        trial.suggest_float("x", 0.0, 1.0)
        values = _curve(trial.number)
        for step, v in enumerate(values):
            trial.report(v, step)
            if trial.should_prune():
                stopped.append(step)
                raise pruned()
        stopped.append(None)
        return float(np.nanmin(values))

    study.optimize(objective, n_trials=40)
    return stopped


CASES: list[tuple[str, Callable[[Any], Any], str]] = [
    ("threshold_upper", lambda p: p.ThresholdPruner(upper=0.9, n_warmup_steps=2), "minimize"),
    ("threshold_both", lambda p: p.ThresholdPruner(lower=0.3, upper=1.2, interval_steps=3),
     "minimize"),
    ("patient_alone", lambda p: p.PatientPruner(None, patience=2), "minimize"),
    ("patient_delta_max", lambda p: p.PatientPruner(None, patience=1, min_delta=0.02),
     "maximize"),
    ("patient_median", lambda p: p.PatientPruner(p.MedianPruner(n_startup_trials=3), patience=1),
     "minimize"),
]


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
@pytest.mark.parametrize(("name", "make", "direction"), CASES, ids=[c[0] for c in CASES])
def test_decisions_match_optuna(name: str, make: Callable[[Any], Any], direction: str) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ours = _stops(
        hpo_lab.create_study(direction=direction, pruner=make(hpo_lab.pruners)),
        hpo_lab.TrialPruned,
    )
    theirs = _stops(
        optuna.create_study(direction=direction, pruner=make(optuna.pruners)), optuna.TrialPruned
    )
    assert ours == theirs
    assert sum(s is not None for s in ours) > 0
    if direction == "minimize":  # (maximizing these falling curves stops every trial)
        assert sum(s is not None for s in ours) < 40


def test_threshold_records_the_bound_it_crossed() -> None:
    study = hpo_lab.create_study(pruner=ThresholdPruner(lower=0.0, upper=1.0))
    trial = study.ask()
    trial.report(-0.5, 0)
    assert trial.should_prune()
    d = trial.freeze().decisions[-1]
    assert (d.rule, d.value, d.threshold) == ("threshold", -0.5, 0.0)
    assert d.reason == "value -0.5 at step 0 is below lower=0"


def test_patient_asks_the_wrapped_pruner_only_once_patience_has_run_out() -> None:
    asked: list[int] = []

    class Counting(MedianPruner):
        def decide(self, view: Any, trial: Any) -> Any:
            asked.append(trial.last_step)
            return super().decide(view, trial)

    study = hpo_lab.create_study(pruner=PatientPruner(Counting(n_startup_trials=0), patience=1))
    trial = study.ask()
    for step, v in enumerate([1.0, 0.5, 0.4, 0.6, 0.7]):
        trial.report(v, step)
        trial.should_prune()
    assert asked == [4]  # steps 0-3 improved within patience; step 4 did not
    d = trial.freeze().decisions[-1]
    assert d.rule == "patient+median" and "no improvement" in d.details["patience"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ThresholdPruner(), "ThresholdPruner needs lower or upper, but got lower=None"),
        (lambda: ThresholdPruner(lower=2, upper=1), "lower must be <= upper, but got lower=2"),
        (lambda: ThresholdPruner(upper="a"), "upper must be a number, but got upper='a'"),
        (lambda: ThresholdPruner(upper=1, n_warmup_steps=-1), "n_warmup_steps must be an int >= 0"),
        (lambda: ThresholdPruner(upper=1, interval_steps=0), "interval_steps must be an int >= 1"),
        (lambda: PatientPruner(None, patience=-1), "patience must be an int >= 0"),
        (lambda: PatientPruner(None, 1, min_delta=-0.1), "min_delta must be a number >= 0"),
        (lambda: PatientPruner("median", 1), "wrapped_pruner must be a pruner or None"),
    ],
)
def test_bad_arguments_give_one_line(make: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value).startswith(message) and "\n" not in str(info.value)

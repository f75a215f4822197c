"""The terminator: room for improvement against noise, its callback, estimate and plot."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import hpo_lab
from hpo_lab.samplers import RandomSampler, TPESampler
from hpo_lab.terminator import (
    BestValueStagnationEvaluator,
    CrossValidationErrorEvaluator,
    RegretBoundEvaluator,
    StaticErrorEvaluator,
    Terminator,
    TerminatorCallback,
    improvement_history,
    report_cross_validation_scores,
)
from hpo_lab.terminator._error import CV_SCORES_KEY


def _cv_objective(noise: float):  # type: ignore[no-untyped-def]
    def objective(trial: hpo_lab.Trial) -> float:
        x = trial.suggest_float("x", -2.0, 2.0)
        c = trial.suggest_categorical("c", ["a", "b"])
        rng = np.random.default_rng(trial.number)
        mean = 1.0 - 0.1 * x * x - 0.05 * (c == "b")
        scores = mean + noise * rng.standard_normal(5)
        report_cross_validation_scores(trial, scores)
        return float(np.mean(scores))

    return objective


def test_a_noisy_objective_is_stopped_and_a_precise_one_is_not() -> None:
    lengths = {}
    for noise in (1.0, 1e-6):
        study = hpo_lab.create_study(direction="maximize", sampler=TPESampler(seed=0))
        stop = TerminatorCallback(Terminator(RegretBoundEvaluator(seed=0), min_n_trials=8))
        study.optimize(_cv_objective(noise), n_trials=20, callbacks=[stop])
        lengths[noise] = len(study.trials)
    assert 8 <= lengths[1.0] < 20
    assert lengths[1e-6] == 20


def test_estimate_is_what_a_panel_shows_and_never_raises() -> None:
    study = hpo_lab.create_study(direction="maximize", sampler=RandomSampler(seed=0))
    terminator = Terminator(RegretBoundEvaluator(seed=0), min_n_trials=5)
    assert terminator.estimate(study.view).reason == "0 of 5 trials COMPLETE: too few to judge yet"
    study.optimize(_cv_objective(0.05), n_trials=6)
    estimate = terminator.estimate(study.view)
    assert estimate.n_complete == 6 and estimate.min_n_trials == 5
    assert estimate.improvement is not None and estimate.improvement >= 0
    assert estimate.error is not None and estimate.error > 0
    assert estimate.should_stop == (estimate.improvement < estimate.error)
    assert "room for improvement" in estimate.reason
    assert estimate == terminator.estimate(study)  # a study or its view
    assert estimate == terminator.estimate(study.view.snapshot())


def test_without_cv_scores_the_default_error_explains_itself() -> None:
    study = hpo_lab.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    terminator = Terminator(RegretBoundEvaluator(seed=0), min_n_trials=2)
    estimate = terminator.estimate(study.view)
    assert estimate.should_stop is False and estimate.error is None
    assert "report_cross_validation_scores(trial, scores)" in estimate.reason
    with pytest.raises(ValueError, match="has no cross-validation scores"):
        terminator.should_terminate(study)
    with_static = Terminator(RegretBoundEvaluator(seed=0), StaticErrorEvaluator(1e9), 2)
    assert with_static.should_terminate(study) is True


def test_the_regret_bound_is_in_the_objectives_units_and_repeatable() -> None:
    study = hpo_lab.create_study(sampler=TPESampler(seed=1, n_startup_trials=5))
    study.optimize(lambda t: (t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=30)
    evaluator = RegretBoundEvaluator(seed=0)
    bound = evaluator.evaluate(study.trials, study.direction)
    assert bound >= 0 and evaluator.evaluate(study.trials, "minimize") == bound
    scaled = [t.replace(value=10 * t.value + 3) for t in study.trials]
    assert evaluator.evaluate(scaled, "minimize") == pytest.approx(10 * bound, rel=1e-4)


def test_the_regret_bound_agrees_with_optunas_in_size() -> None:
    from optuna.terminator import RegretBoundEvaluator as OptunaRegretBound

    from hpo_lab.optuna import export_study

    study = hpo_lab.create_study(direction="maximize", sampler=TPESampler(seed=0))
    study.optimize(_cv_objective(0.2), n_trials=30)
    ours = RegretBoundEvaluator(seed=0).evaluate(study.trials, study.direction)
    theirs_study = export_study(study)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna marks its terminator experimental
        theirs = OptunaRegretBound(seed=0).evaluate(theirs_study.trials, theirs_study.direction)
    assert 0.5 < ours / theirs < 2.0


def test_stagnation_needs_no_model() -> None:
    study = hpo_lab.create_study()
    stop = TerminatorCallback(Terminator(BestValueStagnationEvaluator(4), min_n_trials=1))
    values = iter([5.0, 4.0, 6.0, 6.0, 6.0, 6.0, 6.0, 6.0, 6.0])
    study.optimize(lambda t: next(values), n_trials=9, callbacks=[stop])
    assert len(study.trials) == 7  # the best value (trial 1) stood for 5 trials


def test_cv_error_is_the_corrected_spread_of_the_best_trials_folds() -> None:
    study = hpo_lab.create_study(direction="maximize")
    for scores in ([0.5, 0.7, 0.6], [0.9, 0.7, 0.8, 0.8]):
        trial = study.ask()
        report_cross_validation_scores(trial, scores)
        study.tell(trial, float(np.mean(scores)))
    k, var = 4, float(np.var([0.9, 0.7, 0.8, 0.8]))
    expected = math.sqrt((1 / k + 1 / (k - 1)) * var)
    assert CrossValidationErrorEvaluator().evaluate(study.trials, "maximize") == pytest.approx(
        expected
    )
    assert study.trials[1].system_attrs[CV_SCORES_KEY] == [0.9, 0.7, 0.8, 0.8]


def test_improvement_history_and_its_plot() -> None:
    from hpo_lab.viz import plot_terminator_improvement

    study = hpo_lab.create_study(direction="maximize", sampler=RandomSampler(seed=0))
    study.optimize(_cv_objective(0.05), n_trials=7)
    history = improvement_history(
        study.trials, study.direction, improvement_evaluator=RegretBoundEvaluator(seed=0),
        with_error=True,
    )
    assert history.trial_numbers == list(range(7))
    assert history.errors is not None and len(history.errors) == 7
    fig = plot_terminator_improvement(
        study, plot_error=True, improvement_evaluator=RegretBoundEvaluator(seed=0),
        min_n_trials=4,
    )
    assert [trace.name for trace in fig.data] == [
        "improvement (before min_n_trials)", "improvement", "error"
    ]
    assert list(fig.data[1].y) == pytest.approx(history.improvements[4:])
    empty = plot_terminator_improvement(hpo_lab.create_study())
    assert empty.layout.annotations[0].text == "no COMPLETE trial yet"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Terminator(min_n_trials=0), "min_n_trials must be an int >= 1, but got"),
        (lambda: RegretBoundEvaluator(top_trials_ratio=0), "top_trials_ratio must be in (0, 1]"),
        (lambda: StaticErrorEvaluator(math.inf), "constant must be a finite number, but got"),
        (lambda: BestValueStagnationEvaluator(-1), "max_stagnation_trials must be an int >= 0"),
        (
            lambda: report_cross_validation_scores(hpo_lab.create_study().ask(), ["a", "b"]),
            "scores must be a sequence of numbers, but got ['a', 'b']",
        ),
        (
            lambda: report_cross_validation_scores(hpo_lab.create_study().ask(), [1.0, math.nan]),
            "scores must be finite numbers, but got [1.0, nan]",
        ),
    ],
)
def test_bad_arguments_say_what_and_why(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)

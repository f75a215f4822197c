"""The live Trial: suggestions, reports, pruning and attributes."""

from __future__ import annotations

import datetime
import math
from typing import Any

import pytest

import hpo_lab
from hpo_lab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpo_lab.pruners import BasePruner
from hpo_lab.study import StudyView
from hpo_lab.trial import FrozenTrial, Trial, TrialState


def _trial() -> Trial:
    return hpo_lab.create_study().ask()


def test_suggest_float_int_categorical_values_and_distributions() -> None:
    trial = _trial()
    x = trial.suggest_float("x", -2.0, 3.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    q = trial.suggest_float("q", 0.0, 1.0, step=0.25)
    n = trial.suggest_int("n", 1, 9, step=2)
    w = trial.suggest_int("w", 1, 1024, log=True)
    c = trial.suggest_categorical("c", ["a", 1, None, 2.5, True])
    assert type(x) is float and -2.0 <= x <= 3.0
    assert type(lr) is float and 1e-5 <= lr <= 1e-1
    assert q in (0.0, 0.25, 0.5, 0.75, 1.0)
    assert type(n) is int and n in (1, 3, 5, 7, 9)
    assert type(w) is int and 1 <= w <= 1024
    assert c in ("a", 1, None, 2.5, True)
    assert trial.params == {"x": x, "lr": lr, "q": q, "n": n, "w": w, "c": c}
    assert trial.distributions == {
        "x": FloatDistribution(-2.0, 3.0),
        "lr": FloatDistribution(1e-5, 1e-1, log=True),
        "q": FloatDistribution(0.0, 1.0, step=0.25),
        "n": IntDistribution(1, 9, step=2),
        "w": IntDistribution(1, 1024, log=True),
        "c": CategoricalDistribution(("a", 1, None, 2.5, True)),
    }
    assert trial.freeze().params == trial.params


def test_step_and_log_are_keyword_only() -> None:
    trial = _trial()
    with pytest.raises(TypeError):
        trial.suggest_float("x", 0.0, 1.0, 0.1)  # type: ignore[misc]
    with pytest.raises(TypeError):
        trial.suggest_int("k", 0, 10, 2)  # type: ignore[misc]


def test_same_name_twice_returns_the_same_value() -> None:
    trial = _trial()
    for _ in range(3):
        first = (
            trial.suggest_float("x", 0.0, 1.0),
            trial.suggest_int("k", 0, 100),
            trial.suggest_categorical("c", ["a", "b", "c"]),
        )
        assert first == (
            trial.suggest_float("x", 0.0, 1.0),
            trial.suggest_int("k", 0, 100),
            trial.suggest_categorical("c", ["a", "b", "c"]),
        )


@pytest.mark.parametrize(
    "again",
    [
        lambda t: t.suggest_float("x", 0.0, 2.0),
        lambda t: t.suggest_float("x", 0.0, 1.0, log=False, step=0.5),
        lambda t: t.suggest_int("x", 0, 1),
        lambda t: t.suggest_categorical("x", [0.0, 1.0]),
    ],
)
def test_same_name_with_another_distribution_is_an_error(again: Any) -> None:
    trial = _trial()
    trial.suggest_float("x", 0.0, 1.0)
    with pytest.raises(ValueError, match="'x' was already suggested in this trial as"):
        again(trial)


def test_later_trials_may_declare_a_name_differently() -> None:
    study = hpo_lab.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=2)
    study.optimize(lambda t: t.suggest_int("x", 5, 6), n_trials=2)
    assert [type(t.params["x"]) for t in study.trials] == [float, float, int, int]
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.suggest_float("x", 3.0, 1.0), "low"),
        (lambda t: t.suggest_float("x", 0.0, 1.0, log=True), "log"),
        (lambda t: t.suggest_float("x", 1.0, 2.0, log=True, step=0.5), "step"),
        (lambda t: t.suggest_int("x", 5, 1), "low"),
        (lambda t: t.suggest_int("x", 1, 5, step=0), "step"),
        (lambda t: t.suggest_categorical("x", []), "choice"),
        (lambda t: t.suggest_float("", 0.0, 1.0), "name"),
    ],
)
def test_bad_suggestions_raise_value_errors(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(_trial())


def test_conditional_define_by_run_space() -> None:
    def objective(trial: Trial) -> float:
        kind = trial.suggest_categorical("kind", ["linear", "tree"])
        if kind == "linear":
            return trial.suggest_float("alpha", 1e-4, 1.0, log=True)
        depth = trial.suggest_int("depth", 1, 8)
        if depth > 4:
            trial.suggest_categorical("split", ["gini", "entropy"])
        return float(depth)

    study = hpo_lab.create_study(sampler=hpo_lab.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=40)
    for t in study.trials:
        expected = {"kind"}
        if t.params["kind"] == "linear":
            expected.add("alpha")
        else:
            expected.add("depth")
            if t.params["depth"] > 4:
                expected.add("split")
        assert set(t.params) == expected == set(t.distributions)
    kinds = {t.params["kind"] for t in study.trials}
    assert kinds == {"linear", "tree"}


def test_report_stores_values_and_rejects_bad_input() -> None:
    trial = _trial()
    trial.report(0.5, 0)
    trial.report(1, step=3)
    trial.report(math.nan, 4)
    values = trial.freeze().intermediate_values
    assert values[0] == 0.5 and values[3] == 1.0 and math.isnan(values[4])
    for step in (-1, 1.5, "2", True):
        with pytest.raises(ValueError, match="step must be a non-negative int"):
            trial.report(1.0, step)  # type: ignore[arg-type]
    for value in ("x", None, True):
        with pytest.raises(TypeError, match="report takes a number"):
            trial.report(value, 9)  # type: ignore[arg-type]


def test_duplicate_report_warns_and_keeps_the_first_value() -> None:
    trial = _trial()
    trial.report(1.0, 2)
    with pytest.warns(UserWarning, match="already reported step 2"):
        trial.report(5.0, 2)
    assert trial.freeze().intermediate_values == {2: 1.0}


class _AlwaysPrune(BasePruner):
    def prune(self, view: StudyView, trial: FrozenTrial) -> bool:
        return trial.last_step is not None


def test_should_prune_asks_the_study_pruner_and_trial_pruned_ends_as_pruned() -> None:
    study = hpo_lab.create_study(pruner=_AlwaysPrune())

    def objective(trial: Trial) -> float:
        assert trial.should_prune() is False  # nothing reported yet
        trial.report(1.0, 0)
        if trial.should_prune():
            raise hpo_lab.TrialPruned("pruned at step 0")
        return 0.0

    study.optimize(objective, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.PRUNED] * 2
    assert study.trials[0].intermediate_values == {0: 1.0}
    assert study.trials[0].fail_reason is None
    assert issubclass(hpo_lab.TrialPruned, Exception)


def test_user_attrs_number_and_datetime_start() -> None:
    study = hpo_lab.create_study()
    before = datetime.datetime.now()
    a, b = study.ask(), study.ask()
    assert (a.number, b.number) == (0, 1)
    assert a.datetime_start is not None
    assert before - datetime.timedelta(seconds=1) <= a.datetime_start <= datetime.datetime.now()
    a.set_user_attr("acc", 0.9)
    a.set_user_attr("tags", ["x", "y"])
    a.set_user_attr("acc", 0.95)
    assert a.user_attrs == {"acc": 0.95, "tags": ["x", "y"]}
    study.tell(a, 1.0)
    assert study.trials[0].user_attrs == {"acc": 0.95, "tags": ["x", "y"]}
    assert b.user_attrs == {}
    assert a.study is study
    assert "number=0" in repr(a)


def test_returned_dicts_are_copies() -> None:
    trial = _trial()
    trial.suggest_float("x", 0.0, 1.0)
    trial.params["x"] = 99.0
    trial.user_attrs["y"] = 1
    assert trial.params["x"] != 99.0
    assert trial.user_attrs == {}


def test_old_optuna_spellings() -> None:
    trial = _trial()
    assert 0.0 <= trial.suggest_uniform("u", 0.0, 1.0) <= 1.0
    assert 1e-3 <= trial.suggest_loguniform("l", 1e-3, 1.0) <= 1.0
    assert trial.suggest_discrete_uniform("d", 0.0, 1.0, 0.5) in (0.0, 0.5, 1.0)
    assert trial.distributions["l"] == FloatDistribution(1e-3, 1.0, log=True)

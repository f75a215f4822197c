"""Search-space revisions: study.narrow()."""

from __future__ import annotations

from typing import Any

import pytest

import hpo_lab
from hpo_lab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpo_lab.samplers import RandomSampler
from hpo_lab.trial import FailReason, Trial, TrialState


def objective(trial: Trial) -> float:
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    opt = trial.suggest_categorical("optimizer", ["sgd", "adam", "adamw"])
    layers = trial.suggest_int("layers", 1, 8)
    return lr * layers + (opt == "sgd")


def _study(storage: Any = None) -> hpo_lab.Study:
    study = hpo_lab.create_study(storage=storage, sampler=RandomSampler(seed=0))
    study.optimize(objective, n_trials=10)
    return study


def test_new_trials_lie_in_the_narrowed_ranges_and_old_ones_stay(storage: Any) -> None:
    study = _study(storage)
    before = study.trials
    best_before = study.best_trial
    revision = study.narrow(lr=(1e-4, 1e-2), optimizer=["adam", "adamw"])
    assert revision.number == 1
    assert revision.constraints == {
        "lr": FloatDistribution(1e-4, 1e-2),
        "optimizer": CategoricalDistribution(("adam", "adamw")),
    }
    study.optimize(objective, n_trials=30)
    assert study.trials[:10] == before
    for t in study.trials[10:]:
        assert t.revision == 1
        assert 1e-4 <= t.params["lr"] <= 1e-2
        assert t.params["optimizer"] in ("adam", "adamw")
        # The declared distribution is what the trial records; the narrowing is the revision's.
        assert t.distributions["lr"] == FloatDistribution(1e-5, 1e-1, log=True)
    assert {t.params["optimizer"] for t in study.trials[10:]} == {"adam", "adamw"}
    best = study.best_trial
    assert best.value is not None and best_before.value is not None
    assert best.value <= best_before.value
    assert study.search_space["lr"] == FloatDistribution(1e-4, 1e-2, log=True)
    assert study.search_space["layers"] == IntDistribution(1, 8)


def test_revisions_accumulate_and_widening_back_removes_the_constraint(storage: Any) -> None:
    study = _study(storage)
    study.narrow(lr=(1e-4, 1e-2))
    study.narrow(layers=(2, 4))
    third = study.narrow(lr=(1e-5, 1e-1))  # back to the declared range
    assert third.number == 3
    assert set(third.constraints) == {"layers"}
    assert [r.number for r in study.search_space_history] == [0, 1, 2, 3]
    assert [set(r.constraints) for r in study.search_space_history] == [
        set(), {"lr"}, {"lr", "layers"}, {"layers"}
    ]
    assert study.view.current_revision.number == 3
    study.optimize(objective, n_trials=5)
    assert all(2 <= t.params["layers"] <= 4 for t in study.trials[10:])
    assert [t.revision for t in study.trials[10:]] == [3] * 5
    assert study.trials_dataframe()["revision"].tolist() == [0] * 10 + [3] * 5
    everything = study.narrow(layers=(1, 8), optimizer=["sgd", "adam", "adamw"])
    assert everything.constraints == {}


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        ({"momentum": (0.1, 0.9)}, "cannot narrow unknown parameter 'momentum'.*known parameters"),
        ({"lr": (1e-6, 1e-2)}, "outside its declared range"),
        ({"lr": (1e-4, 0.5)}, "outside its declared range"),
        ({"lr": (1e-2, 1e-4)}, "low must be <= high"),
        ({"lr": 0.01}, "takes a \\(low, high\\) pair"),
        ({"optimizer": ["adam", "rmsprop"]}, "'rmsprop'.*not among the declared"),
        ({"optimizer": []}, "at least one choice"),
        ({"optimizer": "adam"}, "takes a list of choices"),
        ({}, "needs at least one parameter"),
    ],
)
def test_narrow_errors(ranges: dict[str, Any], message: str) -> None:
    study = _study()
    with pytest.raises(ValueError, match=message):
        study.narrow(**ranges)
    assert len(study.search_space_history) == 1


def test_narrow_on_a_study_without_trials_names_no_parameters() -> None:
    with pytest.raises(ValueError, match="known parameters: none yet"):
        hpo_lab.create_study().narrow(x=(0, 1))


def test_waiting_trials_outside_the_new_ranges_are_cancelled(storage: Any) -> None:
    study = _study(storage)
    study.enqueue_trial({"lr": 0.05})
    study.enqueue_trial({"lr": 0.005})
    study.enqueue_trial({"layers": 7})
    study.narrow(lr=(1e-4, 1e-2))
    states = [t.state for t in study.trials[10:]]
    assert states == [TrialState.FAIL, TrialState.WAITING, TrialState.WAITING]
    cancelled = study.trials[10]
    assert cancelled.fail_reason == FailReason.CANCELLED
    assert cancelled.fail_message is not None and "revision 1" in cancelled.fail_message
    study.optimize(objective, n_trials=2)
    assert study.trials[11].params["lr"] == 0.005 and study.trials[12].params["layers"] == 7


def test_narrowing_through_another_study_object_applies_to_the_next_ask(storage: Any) -> None:
    # Two handles on one stored study (for example a re-run notebook cell): a narrowing made
    # through one must govern the trials the other asks next.
    study = hpo_lab.create_study(study_name="shared", storage=storage)
    study.optimize(objective, n_trials=3)
    other = hpo_lab.load_study(study_name="shared", storage=storage)
    other.narrow(layers=(3, 3))
    study.optimize(objective, n_trials=3)
    assert [t.params["layers"] for t in study.trials[3:]] == [3, 3, 3]
    assert [t.revision for t in study.trials[3:]] == [1, 1, 1]

"""ask / tell, objective values and trial states."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import hpo_lab
from hpo_lab.storages import TrialFinishedError
from hpo_lab.trial import FailReason, TrialState


def test_exactly_five_states_and_the_fail_reasons() -> None:
    assert [s.value for s in TrialState] == ["WAITING", "RUNNING", "COMPLETE", "PRUNED", "FAIL"]
    assert [s for s in TrialState if s.is_finished()] == [
        TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL
    ]
    assert {r.value for r in FailReason} == {
        "exception", "bad_value", "timeout", "worker_died", "interrupted", "cancelled", "stale"
    }
    assert str(TrialState.FAIL) == "FAIL" and str(FailReason.STALE) == "stale"


def test_ask_tell_by_trial_and_by_number(storage: Any) -> None:
    study = hpo_lab.create_study(storage=storage)
    a, b = study.ask(), study.ask()
    assert [t.state for t in study.trials] == [TrialState.RUNNING] * 2
    x = a.suggest_float("x", 0, 1)
    done = study.tell(a, x)
    assert done.state == TrialState.COMPLETE and done.value == x
    assert done.datetime_complete is not None and done.duration is not None
    b.report(3.0, 0)
    assert study.tell(1, state=TrialState.PRUNED).state == TrialState.PRUNED
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.PRUNED]
    assert study.trials[1].value is None


def test_tell_twice(storage: Any) -> None:
    study = hpo_lab.create_study(storage=storage)
    trial = study.ask()
    first = study.tell(trial, 1.0)
    with pytest.raises(TrialFinishedError, match="trial 0 is already finished"):
        study.tell(trial, 2.0)
    with pytest.raises(TrialFinishedError):
        study.tell(0, state=TrialState.FAIL)
    assert study.tell(trial, 2.0, skip_if_finished=True) == first
    assert study.trials[0].value == 1.0


def test_tell_errors() -> None:
    study = hpo_lab.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="has no trial number 5"):
        study.tell(5, 1.0)
    with pytest.raises(ValueError, match=r"takes a finished state, but got state=RUNNING"):
        study.tell(trial, state=TrialState.RUNNING)
    with pytest.raises(ValueError, match="state must be a TrialState, but got state='DONE'"):
        study.tell(trial, state="DONE")  # type: ignore[arg-type]
    assert study.tell(trial, state="PRUNED").state == TrialState.PRUNED  # type: ignore[arg-type]


def test_tell_fail_defaults_to_exception_reason() -> None:
    study = hpo_lab.create_study()
    done = study.tell(study.ask(), state=TrialState.FAIL)
    assert done.fail_reason == FailReason.EXCEPTION


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.5, 1.5),
        (3, 3.0),
        (np.float32(0.5), 0.5),
        (np.float64(-2.0), -2.0),
        (np.int64(7), 7.0),
        (np.array(4.25), 4.25),
    ],
)
def test_accepted_objective_values(value: Any, expected: float) -> None:
    study = hpo_lab.create_study()
    study.optimize(lambda t: value, n_trials=1)
    t = study.trials[0]
    assert t.state == TrialState.COMPLETE
    assert t.value == expected and type(t.value) is float


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (math.nan, "returned nan"),
        (math.inf, "returned inf"),
        (-math.inf, "returned -inf"),
        (np.float64("nan"), "returned nan"),
        (None, "returned None"),
        ("0.5", "returned '0.5'"),
        (True, "returned True"),
        (np.bool_(False), "returned np.False_"),
        ((1.0, 2.0), "multi-objective optimisation is not supported yet"),
        ([1.0], "multi-objective optimisation is not supported yet"),
        (np.array([1.0, 2.0]), "multi-objective optimisation is not supported yet"),
        (1 + 2j, "which is not a number"),
        (object(), "which is not a number"),
    ],
)
def test_bad_objective_values_fail_the_trial_and_the_study_goes_on(
    value: Any, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    study = hpo_lab.create_study()
    values = iter([value, 1.0])
    study.optimize(lambda t: next(values), n_trials=2)
    bad, good = study.trials
    assert bad.state == TrialState.FAIL and bad.value is None
    assert bad.fail_reason == FailReason.BAD_VALUE
    assert bad.fail_message is not None and message in bad.fail_message
    assert message in caplog.text
    assert good.state == TrialState.COMPLETE


def test_enqueue_trial_fixed_params_used_others_sampled(storage: Any) -> None:
    study = hpo_lab.create_study(storage=storage)
    study.enqueue_trial({"x": 0.25, "opt": "sgd"}, user_attrs={"why": "baseline"})
    study.enqueue_trial({"x": 0.75})
    assert [t.state for t in study.trials] == [TrialState.WAITING] * 2

    def objective(t: hpo_lab.Trial) -> float:
        opt = t.suggest_categorical("opt", ["adam", "sgd"])
        y = t.suggest_int("y", 0, 100)
        return t.suggest_float("x", 0, 1) + y + (opt == "sgd")

    study.optimize(objective, n_trials=3)
    first, second, third = study.trials
    assert (first.params["x"], first.params["opt"]) == (0.25, "sgd")
    assert first.user_attrs == {"why": "baseline"}
    assert second.params["x"] == 0.75 and 0 <= second.params["y"] <= 100
    assert third.params["x"] not in (0.25, 0.75)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_enqueue_skip_if_exists() -> None:
    study = hpo_lab.create_study()
    study.enqueue_trial({"x": 0.5})
    study.enqueue_trial({"x": 0.5}, skip_if_exists=True)
    assert len(study.trials) == 1
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    study.enqueue_trial({"x": 0.5}, skip_if_exists=True)  # already evaluated
    study.enqueue_trial({"x": 0.5})
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.WAITING]
    with pytest.raises(TypeError, match="params must be a dict"):
        study.enqueue_trial([("x", 1.0)])  # type: ignore[arg-type]


def test_enqueued_value_outside_the_distribution_fails_that_trial() -> None:
    study = hpo_lab.create_study()
    study.enqueue_trial({"x": 5.0})
    with pytest.raises(ValueError, match=r"the enqueued value x=5.0 lies outside"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    failed = study.trials[0]
    assert failed.state == TrialState.FAIL and failed.fail_reason == FailReason.EXCEPTION
    assert failed.fail_message is not None and "lies outside" in failed.fail_message
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[1].state == TrialState.COMPLETE


def test_get_trials_by_state() -> None:
    study = hpo_lab.create_study()
    study.enqueue_trial({"x": 1})
    study.tell(study.ask(), 1.0)
    running = study.ask()
    assert running.number == 1
    assert [t.number for t in study.get_trials(states=(TrialState.COMPLETE,))] == [0]
    assert [t.number for t in study.get_trials(deepcopy=True, states=[TrialState.RUNNING])] == [1]


def test_running_and_waiting_trials_follow_changes_made_elsewhere(tmp_path: Any) -> None:
    # Unfinished trials are looked up without scanning the study: what another handle on the
    # same file starts, finishes or enqueues must show all the same, in number order.
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    a = hpo_lab.create_study(study_name="s", storage=storage)
    b = hpo_lab.load_study(study_name="s", storage=storage)
    unfinished = (TrialState.RUNNING, TrialState.WAITING)

    def numbers(study: hpo_lab.Study, states: Any) -> list[int]:
        return [t.number for t in study.get_trials(deepcopy=False, states=states)]

    t0, t1, t2 = a.ask(), a.ask(), a.ask()
    assert numbers(b, {TrialState.RUNNING}) == [0, 1, 2]
    b.tell(t1.number, 1.0)
    b.enqueue_trial({"x": 0.5})
    assert numbers(a, [TrialState.RUNNING]) == [0, 2]
    assert numbers(a, (TrialState.WAITING,)) == [3]
    assert numbers(a, unfinished) == [0, 2, 3]
    a.tell(t0, 0.0)
    b.tell(t2.number, state=TrialState.PRUNED)
    assert numbers(a, unfinished) == [3]
    a.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)  # runs the enqueued trial
    assert numbers(a, unfinished) == numbers(b, unfinished) == []
    # A mixed set of states (finished among them) still reads the whole study.
    assert numbers(b, (TrialState.RUNNING, TrialState.COMPLETE)) == [0, 1, 3]


# -- review fixes ---------------------------------------------------------------------------
class _FloatRaises:
    def __float__(self) -> float:
        raise RuntimeError("only one element tensors can be converted to Python scalars")


@pytest.mark.parametrize(
    "value", [10**400, _FloatRaises(), __import__("decimal").Decimal("sNaN")], ids=repr
)
def test_any_error_from_float_is_a_bad_value(value: Any, caplog: pytest.LogCaptureFixture) -> None:
    study = hpo_lab.create_study()
    study.optimize(lambda t: value, n_trials=2)
    assert [(t.state, t.fail_reason) for t in study.trials] == [
        (TrialState.FAIL, FailReason.BAD_VALUE)
    ] * 2
    assert "not a number" in (study.trials[0].fail_message or "")
    frozen = study.tell(study.ask(), value)
    assert (frozen.state, frozen.fail_reason) == (TrialState.FAIL, FailReason.BAD_VALUE)


def test_a_sampler_error_in_after_trial_still_stores_the_trial(
    storage: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(hpo_lab.samplers.RandomSampler):
        def after_trial(self, view: Any, trial: Any, state: Any, value: Any) -> None:
            raise RuntimeError("sampler bug")

    study = hpo_lab.create_study(storage=storage, sampler=Broken(seed=0))
    with pytest.raises(RuntimeError, match="sampler bug"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    [trial] = study.trials
    assert trial.state == TrialState.COMPLETE and trial.value == trial.params["x"]
    assert "after_trial" in caplog.text and "COMPLETE" in caplog.text
    # The failed hook leaves nothing RUNNING; a direct tell() behaves the same.
    t = study.ask()
    with pytest.raises(RuntimeError, match="sampler bug"):
        study.tell(t, state=TrialState.PRUNED)
    assert study.trials[1].state == TrialState.PRUNED


def test_tell_a_waiting_trial_is_a_clear_error(storage: Any) -> None:
    study = hpo_lab.create_study(storage=storage)
    study.enqueue_trial({"x": 0.5})
    with pytest.raises(ValueError, match=r"trial 0 is WAITING .*ask\(\) starts it"):
        study.tell(0, 1.0)
    assert study.trials[0].state == TrialState.WAITING
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[0].params == {"x": 0.5}


def test_tell_a_trial_of_another_study_is_a_clear_error(storage: Any) -> None:
    a = hpo_lab.create_study(study_name="a", storage=storage)
    b = hpo_lab.create_study(study_name="b", storage=a.storage)
    trial = b.ask()
    with pytest.raises(ValueError, match=r"trial 0 belongs to study 'b', not to 'a'"):
        a.tell(trial, 1.0)
    assert b.trials[0].state == TrialState.RUNNING
    # Another Study object on the same study may tell it.
    again = hpo_lab.load_study(study_name="b", storage=a.storage)
    assert again.tell(trial, 1.0).state == TrialState.COMPLETE


def test_returned_trials_are_copies(storage: Any) -> None:
    study = hpo_lab.create_study(study_name="m", storage=storage)

    def objective(t: hpo_lab.Trial) -> float:
        t.report(0.5, 0)
        t.set_user_attr("u", 1)
        return t.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=2)
    before = [(t.params, t.user_attrs, t.intermediate_values) for t in study.trials]
    study.trials[0].params["x"] = -1.0
    study.best_trial.params["x"] = -1.0
    study.get_trials()[1].user_attrs["hack"] = 1
    study.get_trials(states=(TrialState.COMPLETE,))[0].intermediate_values[0] = 9.0
    study.best_params["x"] = -1.0
    after = [(t.params, t.user_attrs, t.intermediate_values) for t in study.trials]
    assert after == before
    fresh = hpo_lab.load_study(study_name="m", storage=study.storage)
    assert [(t.params, t.user_attrs) for t in fresh.trials] == [b[:2] for b in before]
    # deepcopy=False hands out the shared records (the fast path samplers use).
    assert study.get_trials(deepcopy=False)[0] is study.get_trials(deepcopy=False)[0]
    assert study.get_trials()[0] is not study.get_trials()[0]


def test_enqueue_outside_the_current_revision_is_a_clear_error(storage: Any) -> None:
    study = hpo_lab.create_study(storage=storage)
    study.optimize(
        lambda t: t.suggest_float("lr", 1e-5, 1e-1, log=True)
        + (t.suggest_categorical("opt", ["adam", "sgd"]) == "sgd"),
        n_trials=3,
    )
    study.narrow(lr=(1e-4, 1e-2), opt=["adam"])
    with pytest.raises(ValueError, match=r"lr=0\.05.*revision 1.*\[0\.0001, 0\.01\]"):
        study.enqueue_trial({"lr": 0.05})
    with pytest.raises(ValueError, match=r"opt='sgd'.*\['adam'\]"):
        study.enqueue_trial({"lr": 1e-3, "opt": "sgd"})
    assert len(study.trials) == 3
    study.enqueue_trial({"lr": 1e-3, "opt": "adam"})  # inside: accepted
    assert study.trials[-1].state == TrialState.WAITING


def test_a_bad_suggest_names_the_parameter() -> None:
    trial = hpo_lab.create_study().ask()
    with pytest.raises(ValueError, match=r"parameter 'lr': low must be <= high, but got low=1"):
        trial.suggest_float("lr", 1, 0)
    with pytest.raises(ValueError, match=r"parameter 'k': log=True requires low >= 1"):
        trial.suggest_int("k", 0, 10, log=True)
    with pytest.raises(ValueError, match=r"parameter 'opt': choices must not be empty"):
        trial.suggest_categorical("opt", [])


def test_numpy_choices_come_back_as_python_values() -> None:
    trial = hpo_lab.create_study().ask()
    value = trial.suggest_categorical("c", np.array(["a", "b"]))
    assert type(value) is str
    assert type(trial.suggest_categorical("k", [np.int64(1), np.int64(2)])) is int

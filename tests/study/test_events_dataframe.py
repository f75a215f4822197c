"""subscribe() events and trials_dataframe()."""

from __future__ import annotations

import datetime
from typing import Any

import pandas as pd
import pytest

import hpo_lab
from hpo_lab.study import Event
from hpo_lab.trial import Trial, TrialState


def _curve(trial: Trial) -> float:
    x = trial.suggest_float("x", 0, 1)
    trial.report(x, 0)
    trial.report(x / 2, 1)
    return x


def test_events_in_order() -> None:
    study = hpo_lab.create_study(study_name="ev")
    events: list[Event] = []
    study.subscribe(events.append)
    study.optimize(_curve, n_trials=2)
    kinds = [(e.kind, e.trial.number if e.trial else None, e.step) for e in events]
    assert kinds == [
        ("trial_created", 0, None),
        ("trial_reported", 0, 0),
        ("trial_reported", 0, 1),
        ("trial_finished", 0, None),
        ("trial_created", 1, None),
        ("trial_reported", 1, 0),
        ("trial_reported", 1, 1),
        ("trial_finished", 1, None),
    ]
    assert all(e.study_name == "ev" for e in events)
    finished = events[3].trial
    assert finished is not None and finished.state == TrialState.COMPLETE
    assert events[2].trial is not None and events[2].trial.intermediate_values.keys() == {0, 1}
    events.clear()
    study.enqueue_trial({"x": 0.5})
    study.enqueue_trial({"x": 0.9})
    revision = study.narrow(x=(0.2, 0.8))
    assert [e.kind for e in events] == [
        "trial_created", "trial_created", "trial_finished", "space_changed"
    ]
    cancelled = events[2].trial
    assert cancelled is not None and cancelled.number == 3
    assert cancelled.state == TrialState.FAIL
    assert events[3].data == revision and events[3].trial is None


def test_unsubscribe_and_a_raising_callback(caplog: pytest.LogCaptureFixture) -> None:
    study = hpo_lab.create_study()
    seen: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("listener bug")

    study.subscribe(broken)
    unsubscribe = study.subscribe(lambda e: seen.append(e.kind))
    study.optimize(_curve, n_trials=1)
    assert len(seen) == 4
    assert "listener bug" in caplog.text
    assert study.trials[0].state == TrialState.COMPLETE
    unsubscribe()
    study.optimize(_curve, n_trials=1)
    assert len(seen) == 4
    with pytest.raises(TypeError, match="callback must be callable"):
        study.subscribe(42)  # type: ignore[arg-type]


def test_trials_dataframe_columns_and_values() -> None:
    study = hpo_lab.create_study()

    def objective(trial: Trial) -> Any:
        k = trial.suggest_int("k", 1, 3)
        trial.set_user_attr("tag", f"t{trial.number}")
        if trial.number == 1:
            raise hpo_lab.TrialPruned()
        if trial.number == 2:
            return float("nan")
        return float(k)

    study.optimize(objective, n_trials=3)
    study.narrow(k=(1, 2))
    study.optimize(lambda t: float(t.suggest_int("k", 1, 3)), n_trials=1)
    df = study.trials_dataframe()
    assert list(df.columns) == [
        "number", "value", "state", "datetime_start", "datetime_complete", "duration",
        "revision", "fail_reason", "params_k", "user_attrs_tag",
    ]
    assert list(df["number"]) == [0, 1, 2, 3]
    assert list(df["state"]) == ["COMPLETE", "PRUNED", "FAIL", "COMPLETE"]
    assert list(df["revision"]) == [0, 0, 0, 1]
    assert [None if pd.isna(r) else r for r in df["fail_reason"]] == [None, None, "bad_value", None]
    assert df["value"][0] == study.trials[0].value and pd.isna(df["value"][1])
    assert df["params_k"].tolist() == [t.params["k"] for t in study.trials]
    assert df["user_attrs_tag"].tolist()[:3] == ["t0", "t1", "t2"]
    assert isinstance(df["duration"][0], (datetime.timedelta, pd.Timedelta))
    assert df["duration"][0] == study.trials[0].duration


def test_trials_dataframe_of_an_empty_study() -> None:
    df = hpo_lab.create_study().trials_dataframe()
    assert len(df) == 0 and "number" in df.columns


def test_trials_dataframe_with_inherited_trials() -> None:
    parent = hpo_lab.create_study(study_name="p")
    parent.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    child = hpo_lab.create_study(study_name="c", warm_start_from=parent)
    child.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert "inherited" not in child.trials_dataframe().columns
    df = child.trials_dataframe(include_inherited=True)
    assert list(df.columns)[-3:] == ["inherited", "origin_study", "origin_number"]
    assert df["inherited"].tolist() == [False, True, True]
    assert pd.isna(df["origin_study"][0]) and pd.isna(df["origin_number"][0])
    assert df["origin_study"].tolist()[1:] == ["p", "p"]
    assert df["origin_number"].tolist()[1:] == [0, 1]
    assert df["params_x"].tolist()[1:] == [t.params["x"] for t in parent.trials]


def test_trials_dataframe_takes_optunas_attrs() -> None:
    # Random search: the model-based samplers add a system attribute of their own.
    study = hpo_lab.create_study(sampler=hpo_lab.samplers.RandomSampler(seed=0))

    def objective(t: hpo_lab.Trial) -> float:
        t.set_user_attr("u", 1)
        t.set_system_attr("s", 2)
        return t.suggest_float("x", 0, 1) + t.suggest_int("k", 0, 3)

    study.optimize(objective, n_trials=2)
    df = study.trials_dataframe(attrs=("number", "value", "params", "state"))
    assert list(df.columns) == ["number", "value", "state", "params_k", "params_x"]
    df = study.trials_dataframe(attrs=("number", "user_attrs", "system_attrs"))
    assert list(df.columns) == ["number", "user_attrs_u", "system_attrs_s"]
    assert df["system_attrs_s"].tolist() == [2, 2]
    assert "system_attrs_s" not in study.trials_dataframe().columns
    with pytest.raises(ValueError, match=r"unknown column group\(s\) \['values!'\]"):
        study.trials_dataframe(attrs=("number", "values!"))
    df = study.trials_dataframe(("number",), include_inherited=True)
    assert list(df.columns) == ["number", "inherited", "origin_study", "origin_number"]

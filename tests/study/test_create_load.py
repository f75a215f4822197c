"""create_study / load_study arguments and errors."""

from __future__ import annotations

import math
from typing import Any

import pytest

import hpo_lab
from hpo_lab.pruners import HyperbandPruner, MedianPruner, NopPruner
from hpo_lab.samplers import AutoSampler, RandomSampler
from hpo_lab.storages import DuplicatedStudyError, StudyNotFoundError


def test_defaults() -> None:
    study = hpo_lab.create_study()
    assert study.direction == "minimize"
    assert isinstance(study.sampler, AutoSampler)
    assert isinstance(study.pruner, HyperbandPruner)
    assert study.study_name.startswith("study-")
    assert hpo_lab.create_study().study_name != study.study_name
    assert study.trials == []


def _curves(asks: bool) -> Any:
    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        value = 0.0
        for epoch in range(1, 28):
            value = x + 1.0 / epoch
            trial.report(value, epoch)
            if asks and trial.should_prune():
                raise hpo_lab.TrialPruned()
        return value

    return objective


def test_the_default_pruner_prunes_only_objectives_that_ask() -> None:
    asking = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    asking.optimize(_curves(asks=True), n_trials=40)
    states = [t.state.value for t in asking.trials]
    assert 0 < states.count("PRUNED") < 40
    assert all(t.decisions[-1].rule for t in asking.trials if t.state.value == "PRUNED")
    silent = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    silent.optimize(_curves(asks=False), n_trials=40)
    assert [t.state.value for t in silent.trials] == ["COMPLETE"] * 40
    # An explicit NopPruner still never prunes.
    never = hpo_lab.create_study(sampler=RandomSampler(seed=0), pruner=NopPruner())
    never.optimize(_curves(asks=True), n_trials=40)
    assert [t.state.value for t in never.trials] == ["COMPLETE"] * 40


def _crossing(trial: Any) -> float:
    """Large u learns fast, small u ends best: the ranking at the first steps is reversed."""
    u = trial.suggest_float("u", 0.0, 1.0)
    value = 0.0
    for step in range(1, 28):
        value = u + (1.0 - 2.0 * u) * math.exp(-step / 3.0)
        trial.report(value, step)
        if trial.should_prune():
            raise hpo_lab.TrialPruned()
    return value


def test_the_default_pruner_checks_that_early_rankings_hold() -> None:
    # Where curves cross, the default Hyperband relaxes the rung whose ranking is reversed, so
    # it never stops the best of the same random draws; Optuna's HyperbandPruner() does.
    plain_lost = 0
    for seed in range(8):
        best = {}
        pruners = [("default", None), ("plain", HyperbandPruner()), ("none", NopPruner())]
        for label, pruner in pruners:
            study = hpo_lab.create_study(
                study_name=f"cross{seed}", sampler=RandomSampler(seed=seed), pruner=pruner
            )
            study.optimize(_crossing, n_trials=80)
            best[label] = study.best_value
            if label == "default":
                assert study.system_attrs["pruner:rank_check"]["relaxed"]["1"]["rho"] < 0
        assert best["default"] == best["none"], (seed, best)
        plain_lost += best["plain"] > best["none"]
    assert plain_lost >= 3


def test_load_study_defaults_to_auto_sampler(tmp_path: Any) -> None:
    path = f"sqlite:///{tmp_path / 'runs.db'}"
    hpo_lab.create_study(study_name="s", storage=path, sampler=RandomSampler(seed=0))
    loaded = hpo_lab.load_study(study_name="s", storage=path)
    assert isinstance(loaded.sampler, AutoSampler)


@pytest.mark.parametrize("direction", ["minimise", "MAXIMIZE", "", None, 1])
def test_bad_direction(direction: Any) -> None:
    with pytest.raises(ValueError, match=r"direction must be 'minimize' or 'maximize', but got"):
        hpo_lab.create_study(direction=direction)


@pytest.mark.parametrize("name", ["", 3])
def test_bad_study_name(name: Any) -> None:
    with pytest.raises(ValueError, match="study_name must be a non-empty str"):
        hpo_lab.create_study(study_name=name)


def test_bad_storage() -> None:
    with pytest.raises(ValueError, match="is not supported"):
        hpo_lab.create_study(storage="postgresql://host/db")
    with pytest.raises(TypeError, match="storage must be"):
        hpo_lab.create_study(storage=3.5)  # type: ignore[arg-type]


def test_duplicate_name_and_load_if_exists(storage: Any) -> None:
    first = hpo_lab.create_study(study_name="s", storage=storage, direction="maximize")
    first.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with pytest.raises(DuplicatedStudyError, match="s"):
        hpo_lab.create_study(study_name="s", storage=storage, direction="maximize")
    assert issubclass(DuplicatedStudyError, ValueError)
    again = hpo_lab.create_study(
        study_name="s", storage=storage, direction="maximize", load_if_exists=True
    )
    assert [t.number for t in again.trials] == [0, 1]
    with pytest.raises(ValueError, match="exists with direction='maximize', not 'minimize'"):
        hpo_lab.create_study(study_name="s", storage=storage, load_if_exists=True)


def test_load_study(storage: Any) -> None:
    created = hpo_lab.create_study(study_name="s", storage=storage, direction="maximize")
    created.optimize(lambda t: t.suggest_int("k", 0, 5), n_trials=3)
    pruner = MedianPruner()
    sampler = RandomSampler(seed=1)
    loaded = hpo_lab.load_study(study_name="s", storage=storage, sampler=sampler, pruner=pruner)
    assert loaded.direction == "maximize"
    assert loaded.sampler is sampler and loaded.pruner is pruner
    assert loaded.trials == created.trials
    loaded.optimize(lambda t: t.suggest_int("k", 0, 5), n_trials=1)
    assert len(created.trials) == 4  # both objects see the same store


def test_load_unknown_study_names_the_known_ones(storage: Any) -> None:
    hpo_lab.create_study(study_name="present", storage=storage)
    with pytest.raises(StudyNotFoundError, match=r"no study named 'absent'.*present"):
        hpo_lab.load_study(study_name="absent", storage=storage)


def test_sqlite_url_and_path_are_the_same_store(tmp_path: Any) -> None:
    path = tmp_path / "x.db"
    hpo_lab.create_study(study_name="s", storage=str(path)).optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=2
    )
    loaded = hpo_lab.load_study(study_name="s", storage=f"sqlite:///{path}")
    assert len(loaded.trials) == 2


def test_study_user_attrs_and_repr(storage: Any) -> None:
    study = hpo_lab.create_study(study_name="s", storage=storage)
    study.set_user_attr("dataset", "digits")
    assert hpo_lab.load_study(study_name="s", storage=storage).user_attrs == {"dataset": "digits"}
    assert repr(study) == "Study(study_name='s', direction='minimize')"

"""Studies move between real Optuna and hpo_lab in both directions and keep their history."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import optuna
import pytest

import hpo_lab
from hpo_lab.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_lab.optuna import export_study, import_study

optuna.logging.set_verbosity(optuna.logging.ERROR)


def _optuna_objective(trial: optuna.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    depth = trial.suggest_int("depth", 2, 12, step=2)
    kind = trial.suggest_categorical("kind", ["a", "b", None])
    momentum = trial.suggest_float("momentum", 0.0, 0.9, step=0.1)
    trial.set_user_attr("note", f"trial {trial.number}")
    if trial.number == 3:
        raise RuntimeError("boom")
    for step in range(4):
        trial.report(lr * depth / (step + 1), step)
    if trial.number == 5:
        raise optuna.TrialPruned()
    return lr * depth + (kind == "b") + momentum


def _optuna_study(storage: str | None = None) -> optuna.Study:
    study = optuna.create_study(
        study_name="theirs", storage=storage, sampler=optuna.samplers.RandomSampler(seed=0)
    )
    study.set_user_attr("dataset", "toy")
    study.optimize(_optuna_objective, n_trials=8, catch=(RuntimeError,))
    return study


def _same_distribution(ours: Any, theirs: Any) -> bool:
    kinds = {
        FloatDistribution: "FloatDistribution",
        IntDistribution: "IntDistribution",
        CategoricalDistribution: "CategoricalDistribution",
    }
    if kinds[type(ours)] != type(theirs).__name__:
        return False
    if isinstance(ours, CategoricalDistribution):
        return list(ours.choices) == list(theirs.choices)
    return (ours.low, ours.high, ours.log, ours.step) == (
        theirs.low, theirs.high, theirs.log, theirs.step
    )


def _assert_same_trials(ours: list[Any], theirs: list[Any]) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.number == b.number
        assert a.state.value == b.state.name
        # Optuna gives a PRUNED trial its last report as value; hpo_lab keeps values for
        # COMPLETE trials (the report itself is in intermediate_values either way).
        assert a.value == (b.value if b.state.name == "COMPLETE" else None)
        assert a.params == b.params
        assert a.distributions.keys() == b.distributions.keys()
        assert all(_same_distribution(a.distributions[n], b.distributions[n]) for n in a.params)
        assert a.intermediate_values == b.intermediate_values
        assert a.user_attrs == b.user_attrs
        assert a.datetime_start == b.datetime_start
        assert a.datetime_complete == b.datetime_complete


def test_an_in_memory_optuna_study_comes_over_whole() -> None:
    theirs = _optuna_study()
    ours = import_study(theirs, to_study_name="ours")
    assert ours.study_name == "ours" and ours.direction == "minimize"
    assert ours.user_attrs == {"dataset": "toy"}
    _assert_same_trials(ours.trials, theirs.trials)
    states = [t.state.value for t in ours.trials]
    assert states.count("FAIL") == 1 and states.count("PRUNED") == 1
    failed = ours.trials[3]
    assert failed.fail_reason == hpo_lab.FailReason.EXCEPTION
    assert "Optuna" in (failed.fail_message or "")
    # The imported history is the sampler's: a continued study numbers on from it.
    ours.optimize(lambda t: t.suggest_float("lr", 1e-4, 1e-1, log=True), n_trials=2)
    assert [t.number for t in ours.trials][-2:] == [8, 9]


def test_a_sqlite_url_round_trip_keeps_everything(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    theirs = _optuna_study(storage=url)
    ours_path = tmp_path / "ours.db"
    ours = import_study(url, storage=str(ours_path))
    assert ours.study_name == "theirs"
    reloaded = hpo_lab.load_study(study_name="theirs", storage=str(ours_path))
    _assert_same_trials(reloaded.trials, theirs.trials)
    # ... and back into a second Optuna database, read by a fresh Optuna study object.
    back_url = f"sqlite:///{tmp_path / 'back.db'}"
    export_study(reloaded, storage=back_url)
    again = optuna.load_study(study_name="theirs", storage=back_url)
    _assert_same_trials(reloaded.trials, again.trials)
    assert again.user_attrs == {"dataset": "toy"}
    assert again.best_value == theirs.best_value


def test_an_hpo_lab_study_goes_to_optuna_and_comes_back(tmp_path: Path) -> None:
    ours = hpo_lab.create_study(study_name="mine", storage=str(tmp_path / "mine.db"),
                                direction="maximize")

    def objective(trial: hpo_lab.Trial) -> float:
        x = trial.suggest_float("x", -2.0, 2.0)
        k = trial.suggest_int("k", 1, 100, log=True)
        trial.set_user_attr("k_squared", k * k)
        trial.report(x, 0)
        if trial.number == 2:
            return math.nan  # FAIL, bad_value
        if trial.number == 4:
            raise hpo_lab.TrialPruned()
        return -(x**2) + math.log(k)

    ours.optimize(objective, n_trials=7)
    theirs = export_study(ours, storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    assert theirs.direction == optuna.study.StudyDirection.MAXIMIZE
    _assert_same_trials(ours.trials, optuna.load_study(
        study_name="mine", storage=f"sqlite:///{tmp_path / 'optuna.db'}").trials)
    back = import_study(theirs, to_study_name="again")
    _assert_same_trials(back.trials, theirs.trials)
    failed = back.trials[2]
    assert failed.fail_reason == hpo_lab.FailReason.BAD_VALUE
    assert failed.fail_message == ours.trials[2].fail_message
    assert "hpo_lab:fail_reason" not in failed.system_attrs
    assert back.best_params == ours.best_params


def test_unfinished_trials_stay_behind(caplog: pytest.LogCaptureFixture) -> None:
    theirs = optuna.create_study()
    theirs.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    theirs.enqueue_trial({"x": 0.5})
    theirs.enqueue_trial({"x": 0.25})
    theirs.ask()  # one RUNNING, one WAITING
    ours = import_study(theirs)
    assert len(ours.trials) == 2
    assert "2 unfinished trials" in caplog.text


def test_what_cannot_be_imported_says_why(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    with pytest.raises(FileNotFoundError, match="no Optuna database at") as info:
        import_study(f"sqlite:///{missing}")
    assert str(missing) in str(info.value)
    assert not missing.exists()  # Optuna would have created it
    url = f"sqlite:///{tmp_path / 'two.db'}"
    for name in ("a", "b"):
        optuna.create_study(study_name=name, storage=url)
    with pytest.raises(ValueError, match=r"pass study_name: .* holds 2 studies \(a, b\)"):
        import_study(url)
    with pytest.raises(ValueError, match=r"no study named 'c' .* \(studies: a, b\)"):
        import_study(url, study_name="c")
    multi = optuna.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match="has 2 objectives; multi-objective"):
        import_study(multi)
    with pytest.raises(TypeError, match=r"source must be an optuna\.Study or an Optuna storage"):
        import_study(42)
    ours = hpo_lab.create_study(study_name="dup")
    with pytest.raises(ValueError, match="dup"):
        import_study(optuna.create_study(study_name="dup"), storage=ours.storage)
    with pytest.raises(TypeError, match="study must be an hpo_lab Study"):
        export_study(optuna.create_study())  # type: ignore[arg-type]


def test_a_plain_path_means_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.db"
    optuna.create_study(study_name="p", storage=f"sqlite:///{path}").optimize(
        lambda t: t.suggest_int("k", 0, 3), n_trials=3)
    assert len(import_study(str(path)).trials) == 3

"""AutoSampler: the documented rule picks GP or TPE, and the choice is exactly that sampler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import hpo_lab
from hpo_lab.pruners import MedianPruner, SuccessiveHalvingPruner
from hpo_lab.samplers import AutoSampler, GPSampler, RandomSampler, TPESampler
from hpo_lab.samplers._base import BaseSampler
from hpo_lab.trial import TrialState
from hpo_lab.trial._trial import Trial


def _flat(trial: Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_int("y", 0, 10)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return (x - 1.0) ** 2 + (y - 3) ** 2 + (c != "b")


def _conditional(trial: Trial) -> float:
    kind = trial.suggest_categorical("kind", ["linear", "tree"])
    if kind == "linear":
        return (trial.suggest_float("lr", 1e-4, 1.0, log=True) - 0.01) ** 2
    return float((trial.suggest_int("depth", 1, 12) - 4) ** 2)


def _wide(trial: Trial) -> float:
    return sum((trial.suggest_float(f"x{i}", 0.0, 1.0) - 0.3) ** 2 for i in range(65))


def _cells(trial: Trial) -> float:
    ops = [trial.suggest_categorical(f"edge{j}", ["a", "b", "c", "d", "e"]) for j in range(4)]
    return float(sum(op != "c" for op in ops))


def _cells_and_rate(trial: Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    return _cells(trial) + (lr - 0.01) ** 2


def _params(sampler: BaseSampler, objective: Callable[[Trial], float], n: int) -> list[Any]:
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(objective, n_trials=n)
    return [t.params for t in study.trials]


def test_flat_small_space_runs_the_gp_exactly() -> None:
    auto = _params(AutoSampler(seed=3), _flat, 16)
    assert auto == _params(GPSampler(seed=3), _flat, 16)
    assert auto != _params(TPESampler(seed=3), _flat, 16)


@pytest.mark.parametrize(
    "objective", [_conditional, _wide, _cells], ids=["conditional", "65-d", "all-categorical"]
)
def test_conditional_and_wide_spaces_run_tpe_exactly(
    objective: Callable[[Trial], float],
) -> None:
    auto = _params(AutoSampler(seed=5), objective, 25)
    assert auto == _params(TPESampler(seed=5), objective, 25)


def test_choose_follows_the_documented_rule() -> None:
    sampler = AutoSampler(seed=0, max_gp_trials=12)
    study = hpo_lab.create_study(sampler=sampler)
    assert sampler.choose(study.view) == "gp"  # nothing observed yet
    study.optimize(_flat, n_trials=11)
    assert sampler.choose(study.view) == "gp"
    study.optimize(_flat, n_trials=1)
    assert sampler.choose(study.view) == "tpe"  # 12 observations: TPE takes over

    few_choices = AutoSampler(seed=0, max_gp_choices=2)
    study = hpo_lab.create_study(sampler=few_choices)
    study.optimize(_flat, n_trials=3)
    assert few_choices.choose(study.view) == "gp"  # 3 choices > 2, but beside numbers

    study = hpo_lab.create_study(sampler=AutoSampler(seed=0))
    study.optimize(_wide, n_trials=2)
    assert study.sampler.choose(study.view) == "tpe"  # type: ignore[attr-defined]
    study = hpo_lab.create_study(sampler=AutoSampler(seed=0, max_gp_dims=65))
    study.optimize(_wide, n_trials=2)
    assert study.sampler.choose(study.view) == "gp"  # type: ignore[attr-defined]

    # 20 categorical choices in all: TPE when nothing else is there, the GP beside a number.
    for objective, expected in ((_cells, "tpe"), (_cells_and_rate, "gp")):
        study = hpo_lab.create_study(sampler=AutoSampler(seed=0))
        study.optimize(objective, n_trials=2)
        assert study.sampler.choose(study.view) == expected  # type: ignore[attr-defined]
    study = hpo_lab.create_study(sampler=AutoSampler(seed=0, max_gp_choices=20))
    study.optimize(_cells, n_trials=2)
    assert study.sampler.choose(study.view) == "gp"  # type: ignore[attr-defined]

    study = hpo_lab.create_study(sampler=RandomSampler(seed=1))
    study.optimize(_conditional, n_trials=10)
    assert {frozenset(t.params) for t in study.trials} == {
        frozenset({"kind", "lr"}),
        frozenset({"kind", "depth"}),
    }
    assert AutoSampler().choose(study.view) == "tpe"


def _epochs(trial: Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    value = 0.0
    for step in range(1, 10):
        value = (x - 0.3) ** 2 + 1.0 / step
        trial.report(value, step)
        if trial.should_prune():
            raise hpo_lab.TrialPruned()
    return value


@pytest.mark.parametrize("conditional", [False, True])
def test_rung_pruners_switch_the_gp_to_the_multi_fidelity_model(conditional: bool) -> None:
    def objective(trial: Trial) -> float:
        if conditional:
            trial.suggest_categorical(f"extra{trial.number % 2}", ["a", "b"])
        return _epochs(trial)

    study = hpo_lab.create_study(
        sampler=RandomSampler(seed=0), pruner=SuccessiveHalvingPruner(1, 3)
    )
    study.optimize(objective, n_trials=20)
    assert any(t.state == TrialState.PRUNED for t in study.trials)
    # A rung pruner decided: the joint model of rung values (TPE for a conditional space,
    # judged on pruned trials too).
    assert AutoSampler().choose(study.view) == ("tpe" if conditional else "fidelity")
    plain = AutoSampler(multi_fidelity=False).choose(study.view)
    assert plain != "fidelity" and (conditional or plain == "gp")
    median = hpo_lab.create_study(pruner=MedianPruner(n_startup_trials=2))
    median.optimize(_epochs, n_trials=20)
    assert any(t.state == TrialState.PRUNED for t in median.trials)
    assert AutoSampler().choose(median.view) == "gp"  # no rungs, no resource levels


def test_under_a_rung_pruner_it_proposes_what_the_joint_model_does() -> None:
    from hpo_lab.samplers._gp._fidelity import FidelityGPSampler

    def run(sampler: BaseSampler) -> list[Any]:
        study = hpo_lab.create_study(study_name="s", sampler=sampler,
                                     pruner=SuccessiveHalvingPruner(1, 3))
        study.optimize(_epochs, n_trials=25)
        return [t.params for t in study.trials]

    # Start-up draws come from the shared stream, the rest from the joint model: a lone
    # FidelityGPSampler with the same seed makes the same proposals.
    auto = run(AutoSampler(seed=4))
    assert auto == run(FidelityGPSampler(seed=4))
    assert auto != run(AutoSampler(seed=4, multi_fidelity=False))


def test_switching_to_tpe_mid_study_keeps_every_observation() -> None:
    study = hpo_lab.create_study(sampler=AutoSampler(seed=2, max_gp_trials=15))
    study.optimize(_flat, n_trials=40)
    assert len(study.trials) == 40
    assert study.best_value <= 1.0


def test_inherited_trials_count_as_observations() -> None:
    parent = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    parent.optimize(_flat, n_trials=12)
    sampler = AutoSampler(seed=0)
    child = hpo_lab.create_study(sampler=sampler, warm_start_from=parent)
    # The GP is used from the child's first trial: its proposal equals a bare GP's.
    gp_child = hpo_lab.create_study(sampler=GPSampler(seed=0), warm_start_from=parent)
    first, gp_first = child.ask(), gp_child.ask()
    _flat(first)
    _flat(gp_first)
    assert first.params == gp_first.params
    cold = hpo_lab.create_study(sampler=AutoSampler(seed=0))
    cold_first = cold.ask()
    _flat(cold_first)
    assert cold_first.params != first.params


def test_default_sampler_of_create_study() -> None:
    assert isinstance(hpo_lab.create_study().sampler, AutoSampler)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"n_startup_trials": -1},
            "n_startup_trials must be an integer >= 0, but got n_startup_trials=-1",
        ),
        ({"max_gp_dims": 2.5}, "max_gp_dims must be an integer >= 0, but got max_gp_dims=2.5"),
        (
            {"max_gp_trials": True},
            "max_gp_trials must be an integer >= 0, but got max_gp_trials=True",
        ),
    ],
)
def test_bad_arguments_name_the_value_and_the_rule(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        AutoSampler(**kwargs)
    with pytest.raises(TypeError, match="seed must be an int or None, but got seed='1'"):
        AutoSampler(seed="1")  # type: ignore[arg-type]

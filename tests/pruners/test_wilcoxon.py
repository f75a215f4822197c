"""WilcoxonPruner: the shared pruner contract, and what the signed-rank rule does."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hpo_lab
from hpo_lab.distributions import FloatDistribution
from hpo_lab.pruners import WilcoxonPruner
from hpo_lab.pruners._wilcoxon import wilcoxon_prune_decision
from hpo_lab.testing._collection import missing_contract_tests
from hpo_lab.testing.pytest_pruners import PrunerContractTests, PrunerFactory

FACTORIES: dict[str, PrunerFactory] = {
    "wilcoxon": WilcoxonPruner,
    "wilcoxon_strict": lambda: WilcoxonPruner(p_threshold=0.01, n_startup_steps=4),
    "wilcoxon_eager": lambda: WilcoxonPruner(p_threshold=0.5, n_startup_steps=0),
}


class TestWilcoxonContract(PrunerContractTests):
    @pytest.fixture(params=sorted(FACTORIES))
    def pruner_factory(self, request: pytest.FixtureRequest) -> PrunerFactory:
        return FACTORIES[request.param]


def test_wilcoxon_collected_the_contract() -> None:
    missing = missing_contract_tests(
        __file__, "TestWilcoxonContract", PrunerContractTests, FACTORIES
    )
    assert all(not m for m in missing.values()), missing


INSTANCES = np.linspace(-1.0, 1.0, 30)


def _objective(trial: hpo_lab.Trial) -> float:
    x = trial.suggest_float("x", -2.0, 2.0)
    order = np.random.default_rng(trial.number).permutation(len(INSTANCES))
    losses = []
    for i in order:
        losses.append(float((x - INSTANCES[i]) ** 2))
        trial.report(losses[-1], int(i))
        if trial.should_prune():
            raise hpo_lab.TrialPruned()
    return float(np.mean(losses))


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_a_clearly_worse_trial_is_pruned_early_and_a_better_one_runs(direction: str) -> None:
    sign = 1.0 if direction == "minimize" else -1.0

    def objective(trial: hpo_lab.Trial) -> float:
        x = trial.suggest_float("x", -2.0, 2.0)
        losses = []
        for i, c in enumerate(INSTANCES):
            losses.append(sign * float((x - c) ** 2))
            trial.report(losses[-1], i)
            if trial.should_prune():
                raise hpo_lab.TrialPruned()
        return float(np.mean(losses))

    study = hpo_lab.create_study(direction=direction, pruner=WilcoxonPruner(p_threshold=0.05))
    for x in (0.5, 1.9, 0.0):
        study.enqueue_trial({"x": x})
    study.optimize(objective, n_trials=3)
    first, worse, better = study.trials
    assert first.state.value == "COMPLETE"
    assert worse.state.value == "PRUNED"
    assert len(worse.intermediate_values) < 10
    assert better.state.value == "COMPLETE"
    decision = worse.decisions[-1]
    assert decision.prune and decision.rule == "wilcoxon"
    assert decision.details["best_trial"] == 0
    assert decision.details["p_value"] < 0.05
    assert "Wilcoxon signed-rank test" in decision.reason


def test_shuffled_instance_order_pairs_values_by_step() -> None:
    study = hpo_lab.create_study(pruner=WilcoxonPruner(p_threshold=0.05))
    study.enqueue_trial({"x": 0.0})
    study.enqueue_trial({"x": 1.8})
    study.optimize(_objective, n_trials=2)
    pruned = study.trials[1]
    assert pruned.state.value == "PRUNED"
    # The steps it reported are a shuffled subset; every one paired with the best trial's.
    assert set(pruned.intermediate_values) <= set(study.trials[0].intermediate_values)


def test_returning_an_estimate_instead_of_raising_keeps_the_trial_complete() -> None:
    def objective(trial: hpo_lab.Trial) -> float:
        x = trial.suggest_float("x", -2.0, 2.0)
        losses = []
        for i, c in enumerate(INSTANCES):
            losses.append(float((x - c) ** 2))
            trial.report(losses[-1], i)
            if trial.should_prune():
                return float(np.mean(losses))
        return float(np.mean(losses))

    study = hpo_lab.create_study(pruner=WilcoxonPruner())
    study.enqueue_trial({"x": 0.0})
    study.enqueue_trial({"x": 1.9})
    study.optimize(objective, n_trials=2)
    assert [t.state.value for t in study.trials] == ["COMPLETE", "COMPLETE"]
    assert len(study.trials[1].intermediate_values) < len(INSTANCES)


def test_the_mean_safety_net_keeps_a_trial_whose_overall_mean_is_as_good() -> None:
    best = {0: 0.0, 1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0, 5: 100.0}
    trial = {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0, 6: -100.0}
    test = wilcoxon_prune_decision(trial, best, maximize=False, p_threshold=0.1)
    assert test is not None and test.p_value is not None and test.p_value < 0.1
    assert test.prune is False
    assert "no worse than the best trial's" in test.reason


def test_startup_steps_and_non_finite_values() -> None:
    best = {i: 0.0 for i in range(10)}
    worse = {i: 1.0 for i in range(10)}
    assert wilcoxon_prune_decision({0: 1.0}, best, maximize=False, p_threshold=0.5) is None
    assert wilcoxon_prune_decision(
        {i: 1.0 for i in range(3)}, best, maximize=False, p_threshold=0.5, n_startup_steps=4
    ) is None
    assert wilcoxon_prune_decision(worse, best, maximize=False, p_threshold=0.5).prune
    nan = {**worse, 3: math.nan}
    test = wilcoxon_prune_decision(nan, best, maximize=False, p_threshold=0.5)
    assert test is not None and not test.prune and "NaN or infinite" in test.reason
    identical = wilcoxon_prune_decision(best, best, maximize=False, p_threshold=0.5)
    assert identical is not None and identical.p_value == 1.0 and not identical.prune


def test_a_best_trial_without_reports_cannot_be_paired() -> None:
    study = hpo_lab.create_study(pruner=WilcoxonPruner())
    study.add_trial(hpo_lab.create_trial(
        value=0.0, params={"x": 0.0}, distributions={"x": FloatDistribution(-2.0, 2.0)}
    ))
    trial = study.ask()
    for i in range(5):
        trial.report(10.0, i)
    assert trial.should_prune() is False
    assert "reported no values" in trial.freeze().decisions[-1].reason


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"p_threshold": 1.5}, "p_threshold must be a number in [0, 1], but got p_threshold=1.5"),
        ({"p_threshold": "0.1"}, "p_threshold must be a number in [0, 1], but got"),
        ({"n_startup_steps": -1}, "n_startup_steps must be an int >= 0, but got n_startup_steps="),
        ({"n_startup_steps": 2.5}, "n_startup_steps must be an int >= 0"),
    ],
)
def test_bad_arguments_say_what_and_why(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        WilcoxonPruner(**kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)

"""TPESampler(constraints_func=...): constraint values are stored and steer the search."""

from __future__ import annotations

import math
from typing import Any

import pytest

import hpo_lab
from hpo_lab.samplers import TPESampler
from hpo_lab.samplers._tpe._sampler import violation


def _objective(trial: hpo_lab.Trial) -> float:
    x = trial.suggest_float("x", -100, 100)
    y = trial.suggest_categorical("y", [-1, 0, 1])
    return x**2 + y


def _constraints(trial: Any) -> tuple[float, float]:
    x, y = trial.params["x"], trial.params["y"]
    return 3 * x * y + 10, x * y + 30


def _feasible(trial: Any) -> bool:
    return all(c <= 0 for c in trial.system_attrs["constraints"])


def test_constraints_are_stored_and_the_search_moves_to_the_feasible_optimum() -> None:
    study = hpo_lab.create_study(sampler=TPESampler(seed=0, constraints_func=_constraints))
    study.optimize(_objective, n_trials=150)
    assert all(t.system_attrs["constraints"] == list(_constraints(t)) for t in study.trials)
    feasible = [t for t in study.trials if _feasible(t)]
    plain = hpo_lab.create_study(sampler=TPESampler(seed=0))
    plain.optimize(_objective, n_trials=150)
    n_plain = sum(all(c <= 0 for c in _constraints(t)) for t in plain.trials)
    assert len(feasible) > 2 * n_plain
    assert 899 <= min(t.value for t in feasible) < 950  # x*y <= -30: x**2 + y >= 899


def test_pruned_trials_get_constraints_and_failed_ones_do_not() -> None:
    study = hpo_lab.create_study(sampler=TPESampler(constraints_func=_constraints))

    def objective(trial: hpo_lab.Trial) -> float:
        value = _objective(trial)
        if trial.number == 0:
            raise hpo_lab.TrialPruned()
        if trial.number == 1:
            raise RuntimeError("fails")
        return value

    study.optimize(objective, n_trials=3, catch=(RuntimeError,))
    assert "constraints" in study.trials[0].system_attrs
    assert "constraints" not in study.trials[1].system_attrs
    assert "constraints" in study.trials[2].system_attrs


def test_infeasible_observations_rank_after_feasible_ones() -> None:
    from hpo_lab.samplers._tpe._sampler import _INFEASIBLE, _score
    from hpo_lab.trial import FrozenTrial, TrialState

    good = FrozenTrial(0, TrialState.COMPLETE, value=100.0, system_attrs={"constraints": [-1.0]})
    bad = FrozenTrial(1, TrialState.COMPLETE, value=-100.0, system_attrs={"constraints": [2.0]})
    assert _score(good, 1.0) < _score(bad, 1.0)
    assert _score(bad, 1.0) == (_INFEASIBLE, 0.0, 2.0) and violation(bad) == 2.0


@pytest.mark.parametrize(
    ("returned", "error", "message"),
    [
        (math.nan, TypeError, "constraints_func must return a sequence of floats, but returned"),
        ([1.0, math.nan], ValueError, "constraint values must be finite numbers"),
        (["a"], TypeError, "constraints_func must return a sequence of floats, but returned"),
    ],
)
def test_bad_constraint_values_fail_loudly_and_the_trial_is_still_stored(
    returned: Any, error: type[Exception], message: str
) -> None:
    study = hpo_lab.create_study(sampler=TPESampler(constraints_func=lambda t: returned))
    with pytest.raises(error) as info:
        study.optimize(_objective, n_trials=1)
    assert str(info.value).startswith(message)
    assert study.trials[0].state.value == "COMPLETE"
    with pytest.raises(TypeError, match="constraints_func must be callable or None, but got 3"):
        TPESampler(constraints_func=3)  # type: ignore[arg-type]

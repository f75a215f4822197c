"""Objective code written for Optuna runs unchanged with hpo_lab in its place."""

from __future__ import annotations

import math
import types
from typing import Any

import hpo_lab

# Written against Optuna's public API, in the style of its README; executed once with the real
# optuna module and once with hpo_lab bound to the name ``optuna``.
OPTUNA_SCRIPT = '''
import math

def objective(trial):
    classifier = trial.suggest_categorical("classifier", ["SVC", "RandomForest"])
    if classifier == "SVC":
        c = trial.suggest_float("svc_c", 1e-10, 1e10, log=True)
        base = abs(math.log10(c)) / 10
    else:
        depth = trial.suggest_int("rf_max_depth", 2, 32, log=True)
        n_estimators = trial.suggest_int("rf_n_estimators", 10, 100, step=10)
        base = 1.0 / depth + 1.0 / n_estimators
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    momentum = trial.suggest_float("momentum", 0.0, 0.9, step=0.1)
    loss = 1.0
    for epoch in range(8):
        loss = base + abs(math.log10(lr) + 3) / (epoch + 1) + momentum / 10
        trial.report(loss, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    trial.set_user_attr("final_loss", loss)
    return loss

sampler = optuna.samplers.RandomSampler(seed=0)
pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2)
study = optuna.create_study(direction="minimize", sampler=sampler, pruner=pruner)
study.optimize(objective, n_trials=40)
pruned = study.get_trials(states=[optuna.trial.TrialState.PRUNED])
complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
best = study.best_trial
df = study.trials_dataframe()
'''


def _run(module: types.ModuleType) -> dict[str, Any]:
    namespace: dict[str, Any] = {"optuna": module}
    exec(compile(OPTUNA_SCRIPT, "<optuna objective>", "exec"), namespace)
    return namespace


def test_optuna_objective_runs_unchanged_on_hpo_lab() -> None:
    ns = _run(hpo_lab)
    study = ns["study"]
    assert isinstance(study, hpo_lab.Study)
    assert len(study.trials) == 40
    assert ns["pruned"] and ns["complete"]
    assert len(ns["pruned"]) + len(ns["complete"]) == 40
    for t in study.trials:
        assert t.params["classifier"] in ("SVC", "RandomForest")
        assert 1e-5 <= t.params["lr"] <= 1e-1
        assert math.isclose(t.params["momentum"] * 10, round(t.params["momentum"] * 10))
        if t.params["classifier"] == "RandomForest":
            assert t.params["rf_n_estimators"] % 10 == 0
    assert ns["best"].user_attrs["final_loss"] == ns["best"].value
    for t in ns["pruned"]:
        assert max(t.intermediate_values) >= 2  # no pruning during the warm-up
    assert {"number", "value", "state", "params_lr"} <= set(ns["df"].columns)


def test_the_same_script_runs_on_optuna() -> None:
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    ns = _run(optuna)
    assert len(ns["study"].trials) == 40 and ns["pruned"]

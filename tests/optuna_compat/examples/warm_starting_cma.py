# CMA-ES on a source task, then warm-started from its trials on a related target task.
import json

import optuna


def sphere(trial):
    x = trial.suggest_float("x", -15, 15)
    y = trial.suggest_float("y", -15, 15)
    return x**2 + y**2


def biased_sphere(trial):
    x = trial.suggest_float("x", -15, 15)
    y = trial.suggest_float("y", -15, 15)
    return (x - 1) ** 2 + (y - 1) ** 2


if __name__ == "__main__":
    source = optuna.create_study(sampler=optuna.samplers.CmaEsSampler(seed=0))
    source.optimize(biased_sphere, n_trials=50)
    print(f"source task: {source.best_value} at {source.best_params}")
    warm = optuna.samplers.CmaEsSampler(source_trials=source.trials, seed=0)
    target = optuna.create_study(sampler=warm)
    target.optimize(sphere, n_trials=50)
    print(f"target task: {target.best_value} at {target.best_params}")
    print("RESULT", json.dumps({"source": source.best_value, "target": target.best_value}))

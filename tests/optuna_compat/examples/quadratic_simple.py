# The shortest Optuna program: minimise x**2 with a trial budget and a time limit.
import json

import optuna


def objective(trial):
    x = trial.suggest_float("x", -100, 100)
    return x**2


if __name__ == "__main__":
    study = optuna.create_study()
    study.optimize(objective, n_trials=60, timeout=30)
    print(f"best params {study.best_params}, best value {study.best_value}")
    print("RESULT", json.dumps({"n_trials": len(study.trials), "best_value": study.best_value}))

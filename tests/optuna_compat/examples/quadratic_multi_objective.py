# Two objectives at once (a Pareto front): not supported by hpo_lab yet.
import json

import optuna


def objective(trial):
    x = trial.suggest_float("x", -100, 100)
    y = trial.suggest_float("y", -100, 100)
    return x**2 + y, (x - 2) ** 2 - y


if __name__ == "__main__":
    study = optuna.create_study(directions=["minimize", "minimize"])
    study.optimize(objective, n_trials=20)
    print("RESULT", json.dumps({"n_best": len(study.best_trials)}))

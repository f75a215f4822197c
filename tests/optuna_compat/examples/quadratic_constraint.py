# Constrained optimisation: TPE with a constraints function (c <= 0 is feasible).
import json

import optuna


def objective(trial):
    x = trial.suggest_float("x", -100, 100)
    y = trial.suggest_categorical("y", [-1, 0, 1])
    return x**2 + y


def constraints(trial):
    x, y = trial.params["x"], trial.params["y"]
    return (3 * x * y + 10, x * y + 30)


if __name__ == "__main__":
    sampler = optuna.samplers.TPESampler(constraints_func=constraints, seed=1)
    study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=120, timeout=60)
    feasible = [t for t in study.trials if all(c <= 0.0 for c in t.system_attrs["constraints"])]
    best = min(feasible, key=lambda t: t.value)
    c1, c2 = best.system_attrs["constraints"]
    print(f"best feasible trial {best.number}: {best.params} value {best.value} ({c1=}, {c2=})")
    print("RESULT", json.dumps({
        "n_feasible": len(feasible), "n_trials": len(study.trials), "best_feasible": best.value,
    }))

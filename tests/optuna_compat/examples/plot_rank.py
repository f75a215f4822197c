# A noisy objective with important and unimportant parameters, drawn with plot_rank.
import json
import random

import optuna
from optuna.visualization import plot_rank


def objective(trial):
    lr = trial.suggest_float("learning_rate", 1e-5, 1e-1, log=True)
    batch = trial.suggest_categorical("batch_size", [16, 32, 64, 128])
    layers = trial.suggest_int("n_layers", 1, 5)
    dropout = trial.suggest_float("dropout_rate", 0.0, 0.5)
    optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"])
    return ((lr - 0.01) ** 2 * 1000 + (batch - 64) ** 2 * 0.01 + (layers - 3) ** 2 * 10
            + (dropout - 0.2) ** 2 * 50 + {"adam": 0, "sgd": 20, "rmsprop": 10}[optimizer]
            + random.gauss(0, 5))


if __name__ == "__main__":
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=42))
    study.optimize(objective, n_trials=20)
    fig = plot_rank(study)
    fig.write_html("rank.html")
    print("RESULT", json.dumps({"best": study.best_value}))

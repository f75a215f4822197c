# Tune a small MLP with pruning, then draw the study's plots (digits instead of a download).
import json

import optuna
from optuna.visualization import (
    plot_contour,
    plot_intermediate_values,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_slice,
)
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

x, y = load_digits(return_X_y=True)
x_train, x_valid, y_train, y_valid = train_test_split(x[:600], y[:600], random_state=0)


def objective(trial):
    model = MLPClassifier(
        hidden_layer_sizes=tuple(trial.suggest_int(f"n_units_l{i}", 8, 32) for i in range(3)),
        learning_rate_init=trial.suggest_float("lr_init", 1e-5, 1e-1, log=True),
    )
    for step in range(8):
        model.partial_fit(x_train, y_train, classes=list(range(10)))
        value = model.score(x_valid, y_valid)
        trial.report(value, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return value


if __name__ == "__main__":
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.MedianPruner())
    study.optimize(objective, n_trials=14, timeout=120)
    figures = [
        plot_optimization_history(study),
        plot_intermediate_values(study),
        plot_parallel_coordinate(study),
        plot_parallel_coordinate(study, params=["lr_init", "n_units_l0"]),
        plot_contour(study),
        plot_contour(study, params=["n_units_l0", "n_units_l1"]),
        plot_slice(study),
        plot_slice(study, params=["n_units_l0", "n_units_l1"]),
        plot_param_importances(study),
    ]
    for fig in figures:
        fig.show()
    pruned = study.get_trials(states=(optuna.trial.TrialState.PRUNED,))
    print("RESULT", json.dumps({"n_figures": len(figures), "pruned": len(pruned)}))

# Plot how much room for improvement the terminator saw after each trial, with the CV error.
import json

import optuna
from optuna.terminator.erroreval import report_cross_validation_scores
from optuna.visualization import plot_terminator_improvement
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import KFold, cross_val_score


def objective(trial):
    x, y = load_wine(return_X_y=True)
    model = RandomForestClassifier(
        max_depth=trial.suggest_int("max_depth", 2, 32),
        min_samples_split=trial.suggest_float("min_samples_split", 0, 1),
        criterion=trial.suggest_categorical("criterion", ("gini", "entropy")),
        n_estimators=8,
    )
    scores = cross_val_score(model, x, y, cv=KFold(n_splits=5, shuffle=True))
    report_cross_validation_scores(trial, scores)
    return scores.mean()


study = optuna.create_study()
study.optimize(objective, n_trials=8)
fig = plot_terminator_improvement(study, plot_error=True)
fig.show()
print("RESULT", json.dumps({"n_traces": len(fig.data)}))

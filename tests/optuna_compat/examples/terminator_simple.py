# Let the terminator end the study once improvement is within the cross-validation noise.
import json

import optuna
from optuna.terminator.callback import TerminatorCallback
from optuna.terminator.erroreval import report_cross_validation_scores
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


if __name__ == "__main__":
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=24, callbacks=[TerminatorCallback()])
    print(f"{len(study.trials)} trials, best {study.best_value} at {study.best_params}")
    print("RESULT", json.dumps({"n_trials": len(study.trials), "best_value": study.best_value}))

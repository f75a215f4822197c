# The terminator on a LightGBM classifier tuned by cross-validation (wine).
import json

import lightgbm as lgb
import optuna
from optuna.terminator.callback import TerminatorCallback
from optuna.terminator.erroreval import report_cross_validation_scores
from sklearn.datasets import load_wine
from sklearn.model_selection import KFold, cross_val_score


def objective(trial):
    x, y = load_wine(return_X_y=True)
    params = {
        "objective": "multiclass",
        "num_class": 3,
        "verbosity": -1,
        "n_estimators": 15,
        "n_jobs": 1,
        "lambda_l1": trial.suggest_float("lambda_l1", 1e-8, 10.0, log=True),
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-8, 10.0, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 2, 256),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.4, 1.0),
        "bagging_fraction": trial.suggest_float("bagging_fraction", 0.4, 1.0),
        "bagging_freq": trial.suggest_int("bagging_freq", 1, 7),
        "min_child_samples": trial.suggest_int("min_child_samples", 5, 100),
    }
    scores = cross_val_score(lgb.LGBMClassifier(**params), x, y, cv=KFold(n_splits=3, shuffle=True))
    report_cross_validation_scores(trial, scores)
    return scores.mean()


if __name__ == "__main__":
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=22, callbacks=[TerminatorCallback()])
    print(f"{len(study.trials)} trials, best {study.best_value}")
    print("RESULT", json.dumps({"n_trials": len(study.trials), "best_value": study.best_value}))

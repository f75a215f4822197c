# Choose between two classifiers and tune each one's own hyperparameter (iris).
import json

import optuna
import sklearn.datasets
import sklearn.ensemble
import sklearn.model_selection
import sklearn.svm


def objective(trial):
    iris = sklearn.datasets.load_iris()
    name = trial.suggest_categorical("classifier", ["SVC", "RandomForest"])
    if name == "SVC":
        model = sklearn.svm.SVC(C=trial.suggest_float("svc_c", 1e-10, 1e10, log=True), gamma="auto")
    else:
        depth = trial.suggest_int("rf_max_depth", 2, 32, log=True)
        model = sklearn.ensemble.RandomForestClassifier(max_depth=depth, n_estimators=10)
    return sklearn.model_selection.cross_val_score(model, iris.data, iris.target, cv=3).mean()


if __name__ == "__main__":
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=20)
    print(study.best_trial)
    print("RESULT", json.dumps({"best_value": study.best_value, "n_trials": len(study.trials)}))

# The objective as a callable object that holds its data (iris loaded once).
import json

import optuna
import sklearn.datasets
import sklearn.ensemble
import sklearn.model_selection
import sklearn.svm


class Objective:
    def __init__(self, data):
        self.data = data

    def __call__(self, trial):
        x, y = self.data.data, self.data.target
        name = trial.suggest_categorical("classifier", ["SVC", "RandomForest"])
        if name == "SVC":
            c = trial.suggest_float("svc_c", 1e-10, 1e10, log=True)
            model = sklearn.svm.SVC(C=c, gamma="auto")
        else:
            depth = trial.suggest_int("rf_max_depth", 2, 32, log=True)
            model = sklearn.ensemble.RandomForestClassifier(max_depth=depth, n_estimators=10)
        return sklearn.model_selection.cross_val_score(model, x, y, cv=3).mean()


if __name__ == "__main__":
    study = optuna.create_study(direction="maximize")
    study.optimize(Objective(sklearn.datasets.load_iris()), n_trials=20)
    print(study.best_trial)
    print("RESULT", json.dumps({"best_value": study.best_value}))

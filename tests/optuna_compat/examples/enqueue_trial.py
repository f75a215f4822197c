# Start a study from hand-picked values with enqueue_trial (SVC on iris).
import json

import optuna
import sklearn.datasets
import sklearn.model_selection
import sklearn.svm


def objective(trial):
    iris = sklearn.datasets.load_iris()
    c = trial.suggest_float("svc_c", 1e-10, 1e10, log=True)
    model = sklearn.svm.SVC(C=c, gamma="auto")
    return sklearn.model_selection.cross_val_score(model, iris.data, iris.target, cv=3).mean()


if __name__ == "__main__":
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({"svc_c": 1})
    study.enqueue_trial({"svc_c": 10})
    study.optimize(objective, n_trials=12)
    for t in study.trials[:2]:
        print(f"C={t.params['svc_c']}, value={t.value}")
    print("RESULT", json.dumps({
        "first_two": [t.params["svc_c"] for t in study.trials[:2]],
        "n_trials": len(study.trials),
        "best_value": study.best_value,
    }))

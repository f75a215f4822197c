# Report a validation score after each partial_fit and stop hopeless trials (SGD on iris).
import json

import optuna
import sklearn.datasets
import sklearn.linear_model
import sklearn.model_selection
from optuna.trial import TrialState


def objective(trial):
    iris = sklearn.datasets.load_iris()
    classes = sorted(set(iris.target))
    x_tr, x_va, y_tr, y_va = sklearn.model_selection.train_test_split(
        iris.data, iris.target, test_size=0.25, random_state=trial.number
    )
    alpha = trial.suggest_float("alpha", 1e-5, 1e-1, log=True)
    model = sklearn.linear_model.SGDClassifier(alpha=alpha, random_state=0)
    for step in range(20):
        model.partial_fit(x_tr, y_tr, classes=classes)
        score = model.score(x_va, y_va)
        trial.report(score, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return model.score(x_va, y_va)


if __name__ == "__main__":
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=30)
    pruned = study.get_trials(deepcopy=False, states=[TrialState.PRUNED])
    complete = study.get_trials(deepcopy=False, states=[TrialState.COMPLETE])
    print(f"finished {len(study.trials)}, pruned {len(pruned)}, complete {len(complete)}")
    print("RESULT", json.dumps({
        "n_trials": len(study.trials), "n_pruned": len(pruned), "best_value": study.best_value,
    }))

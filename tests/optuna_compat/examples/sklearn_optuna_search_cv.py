# OptunaSearchCV: a scikit-learn search object whose candidates come from a study (iris, SVC).
import json

import optuna
from sklearn.datasets import load_iris
from sklearn.svm import SVC

if __name__ == "__main__":
    model = SVC(gamma="auto")
    param_distributions = {
        "C": optuna.distributions.FloatDistribution(1e-10, 1e10, log=True),
        "degree": optuna.distributions.IntDistribution(1, 5),
    }
    search = optuna.integration.OptunaSearchCV(
        model, param_distributions, n_trials=15, timeout=600, verbose=0
    )
    x, y = load_iris(return_X_y=True)
    search.fit(x, y)
    best = search.study_.best_trial
    print(f"best {best.value} at {best.params}")
    print("RESULT", json.dumps({"best_value": best.value, "n_trials": len(search.study_.trials)}))

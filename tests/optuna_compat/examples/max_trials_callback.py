# Several runs of one script share a SQLite study; MaxTrialsCallback caps the total.
import json

import optuna
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState


def objective(trial):
    x = trial.suggest_float("x", 0, 10)
    return x**2


if __name__ == "__main__":
    counts = []
    for _ in range(3):  # three "workers", one after the other
        study = optuna.create_study(
            study_name="capped", storage="sqlite:///shared.sqlite", load_if_exists=True
        )
        study.optimize(
            objective, n_trials=6, callbacks=[MaxTrialsCallback(10, states=(TrialState.COMPLETE,))]
        )
        df = study.trials_dataframe()
        counts.append(int((df.state == "COMPLETE").sum()))
    print(f"complete trials after each run: {counts}; best {study.best_trial.params}")
    print("RESULT", json.dumps({"counts": counts}))

# Trials of varying duration, a progress callback, and the timeline plot saved as HTML.
import json
import random
import time

import optuna
from optuna.visualization import plot_timeline


def objective(trial):
    n_estimators = trial.suggest_int("n_estimators", 10, 200)
    max_depth = trial.suggest_int("max_depth", 3, 15)
    learning_rate = trial.suggest_float("learning_rate", 0.01, 0.3, log=True)
    subsample = trial.suggest_float("subsample", 0.5, 1.0)
    time.sleep(0.005 + 0.01 * (n_estimators / 100) * (max_depth / 10) + random.uniform(0, 0.01))
    return (abs(n_estimators - 100) * 0.001 + abs(max_depth - 8) * 0.01
            + abs(learning_rate - 0.1) * 2 + abs(subsample - 0.8) * 0.5 + random.gauss(0, 0.05))


def callback(study, trial):
    if trial.number % 5 == 0:
        print(f"trial {trial.number}: {trial.value:.4f} in {trial.duration.total_seconds():.3f}s")


if __name__ == "__main__":
    study = optuna.create_study(
        direction="minimize", study_name="timeline", sampler=optuna.samplers.TPESampler(seed=42)
    )
    study.optimize(objective, n_trials=20, callbacks=[callback])
    durations = [t.duration.total_seconds() for t in study.trials if t.duration]
    fig = plot_timeline(study)
    fig.update_layout(title="Timeline", width=1000, height=600, xaxis_title="Time")
    fig.write_html("timeline.html")
    print("RESULT", json.dumps({"n_durations": len(durations), "best": study.best_trial.number}))

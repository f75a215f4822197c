# The same with the study's own storage handed to get_all_artifact_meta.
import json
import os

import numpy as np
import optuna
from optuna.artifacts import (
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)

os.makedirs("./store", exist_ok=True)
artifact_store = FileSystemArtifactStore(base_path="./store")
xs = np.linspace(0, 1, 20)
ys = 2 * xs - 3


def objective(trial):
    a = trial.suggest_float("a", -5, 5)
    b = trial.suggest_float("b", -5, 5)
    np.savetxt("line.csv", a * xs + b, delimiter=",")
    upload_artifact(artifact_store=artifact_store, file_path="line.csv", study_or_trial=trial)
    return float(np.mean((a * xs + b - ys) ** 2))


if __name__ == "__main__":
    study = optuna.create_study(
        study_name="demo", storage="sqlite:///simple-artifacts.db", load_if_exists=True
    )
    study.optimize(objective, n_trials=10)
    meta = get_all_artifact_meta(study.best_trial, storage=study._storage)
    download_artifact(artifact_store=artifact_store, artifact_id=meta[0].artifact_id,
                      file_path="./best-line.csv")
    print("RESULT", json.dumps({"n_meta": len(meta), "exists": os.path.isfile("best-line.csv")}))

# Keep a file per trial in an artifact store, then fetch the best trial's file back.
import json
import os
import tempfile

import numpy as np
import optuna
from optuna.artifacts import (
    FileSystemArtifactStore,
    download_artifact,
    get_all_artifact_meta,
    upload_artifact,
)

base_path = "./artifacts-here"
os.makedirs(base_path, exist_ok=True)
artifact_store = FileSystemArtifactStore(base_path=base_path)
storage = optuna.storages.RDBStorage("sqlite:///artifact-demo.db")

rng = np.random.default_rng(0)
xs = rng.random(20) * 10 - 5
ys = 2 * xs**2 - 3
np.savetxt("dataset.csv", np.c_[xs, ys], delimiter=",")


def objective(trial):
    a = trial.suggest_float("a", -5, 5)
    b = trial.suggest_float("b", -5, 5)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "prediction.csv")
        np.savetxt(path, a * xs**2 + b, delimiter=",")
        upload_artifact(artifact_store=artifact_store, file_path=path, study_or_trial=trial)
    return float(np.mean((a * xs**2 + b - ys) ** 2))


if __name__ == "__main__":
    study = optuna.create_study(study_name="demo", storage=storage, load_if_exists=True)
    upload_artifact(artifact_store=artifact_store, file_path="dataset.csv", study_or_trial=study)
    study.optimize(objective, n_trials=15)
    meta = get_all_artifact_meta(study.best_trial, storage=storage)
    download_artifact(
        artifact_store=artifact_store, artifact_id=meta[0].artifact_id, file_path="./best.csv"
    )
    best = np.loadtxt("./best.csv", delimiter=",")
    a, b = study.best_params["a"], study.best_params["b"]
    print(f"best trial's file holds {len(best)} predictions")
    print("RESULT", json.dumps({
        "n_meta": len(meta), "filename": meta[0].filename,
        "matches": bool(np.allclose(best, a * xs**2 + b)),
        "files": len(os.listdir(base_path)),
    }))

"""Each pruning callback in a real (seconds-long) training run on generated data.

Every test runs the same story: two good trials, then a hopeless one (a learning rate that
barely moves the loss, or a one-leaf model), which the median pruner stops after the warm-up
step. Its learning curve was reported step by step, and the good trials reported every epoch.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np
import pytest

import hpo_lab
from hpo_lab.pruners import MedianPruner

RNG = np.random.default_rng(0)
X = RNG.normal(size=(240, 6)).astype("float32")
Y = (X[:, 0] + 0.5 * X[:, 1] - X[:, 2] > 0).astype("float32")
X_TRAIN, Y_TRAIN, X_VALID, Y_VALID = X[:180], Y[:180], X[180:], Y[180:]


def _study(good: float, bad: float, name: str = "lr") -> hpo_lab.Study:
    study = hpo_lab.create_study(pruner=MedianPruner(n_startup_trials=2, n_warmup_steps=1))
    for value in (good, good, bad):
        study.enqueue_trial({name: value})
    return study


def _check(study: hpo_lab.Study, steps: int) -> None:
    states = [t.state.value for t in study.trials]
    assert states == ["COMPLETE", "COMPLETE", "PRUNED"], [
        (t.params, t.intermediate_values) for t in study.trials
    ]
    assert all(sorted(t.intermediate_values) == list(range(steps)) for t in study.trials[:2])
    pruned = study.trials[2]
    assert 2 <= len(pruned.intermediate_values) < steps  # stopped after the warm-up step
    assert pruned.decisions[-1].prune


def test_plain_pytorch_loop_with_report_and_prune() -> None:
    import torch

    from hpo_lab.integration import report_and_prune

    x, y = torch.from_numpy(X_TRAIN), torch.from_numpy(Y_TRAIN)
    xv, yv = torch.from_numpy(X_VALID), torch.from_numpy(Y_VALID)

    def objective(trial: hpo_lab.Trial) -> float:
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
        optimizer = torch.optim.SGD(model.parameters(), lr=trial.suggest_float("lr", 1e-6, 1.0))
        loss_fn = torch.nn.BCEWithLogitsLoss()
        for epoch in range(8):
            for i in range(0, len(x), 30):
                optimizer.zero_grad()
                loss_fn(model(x[i : i + 30]).squeeze(-1), y[i : i + 30]).backward()
                optimizer.step()
            with torch.no_grad():
                val_loss = loss_fn(model(xv).squeeze(-1), yv)
            report_and_prune(trial, val_loss, step=epoch)  # a tensor, no .item() needed
        return float(val_loss)

    study = _study(good=0.5, bad=1e-6)
    study.optimize(objective, n_trials=3)
    _check(study, 8)
    with pytest.raises(TypeError, match="one-element tensor"):
        report_and_prune(study.ask(), torch.ones(3), step=0)


def test_pytorch_lightning_callback() -> None:
    import torch
    from lightning.pytorch import LightningModule, Trainer

    from hpo_lab.integration import PyTorchLightningPruningCallback

    def loader(x: np.ndarray, y: np.ndarray) -> Any:
        data = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
        return torch.utils.data.DataLoader(data, batch_size=60)

    class Net(LightningModule):
        def __init__(self, lr: float) -> None:
            super().__init__()
            self.lr = lr
            self.net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(),
                                           torch.nn.Linear(8, 1))

        def _loss(self, batch: Any) -> Any:
            x, y = batch
            return torch.nn.functional.binary_cross_entropy_with_logits(
                self.net(x).squeeze(-1), y
            )

        def training_step(self, batch: Any, index: int) -> Any:
            return self._loss(batch)

        def validation_step(self, batch: Any, index: int) -> None:
            self.log("val_loss", self._loss(batch))

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=self.lr)

    def objective(trial: hpo_lab.Trial, monitor: str = "val_loss") -> float:
        torch.manual_seed(0)
        trainer = Trainer(
            max_epochs=6, logger=False, enable_checkpointing=False, enable_progress_bar=False,
            enable_model_summary=False, accelerator="cpu", devices=1,
            callbacks=[PyTorchLightningPruningCallback(trial, monitor=monitor)],
        )
        trainer.fit(Net(trial.suggest_float("lr", 1e-6, 1.0)), loader(X_TRAIN, Y_TRAIN),
                    loader(X_VALID, Y_VALID))
        return float(trainer.callback_metrics["val_loss"])

    study = _study(good=0.5, bad=1e-6)
    study.optimize(objective, n_trials=3)
    _check(study, 6)

    other = hpo_lab.create_study()
    with pytest.warns(UserWarning, match="'val_acc' is not among the logged metrics"):
        other.optimize(lambda t: objective(t, monitor="val_acc"), n_trials=1)
    assert other.trials[0].intermediate_values == {}


def test_keras_callback_on_the_torch_backend() -> None:
    import importlib

    from hpo_lab.integration import KerasPruningCallback

    # Imported after hpo_lab.integration's Keras module picked the torch backend.
    keras = importlib.import_module("keras")

    assert keras.backend.backend() == "torch"

    def objective(trial: hpo_lab.Trial, monitor: str = "val_loss") -> float:
        keras.utils.set_random_seed(0)
        model = keras.Sequential([
            keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(keras.optimizers.SGD(trial.suggest_float("lr", 1e-6, 1.0)),
                      "binary_crossentropy")
        history = model.fit(
            X_TRAIN, Y_TRAIN, validation_data=(X_VALID, Y_VALID), epochs=6, batch_size=60,
            verbose=0, callbacks=[KerasPruningCallback(trial, monitor)],
        )
        return float(history.history["val_loss"][-1])

    study = _study(good=0.5, bad=1e-6)
    study.optimize(objective, n_trials=3)
    _check(study, 6)
    other = hpo_lab.create_study()
    with pytest.warns(UserWarning, match="'val_auc' is not among the epoch logs"):
        other.optimize(lambda t: objective(t, monitor="val_auc"), n_trials=1)


def test_xgboost_callback_with_train_and_the_sklearn_api() -> None:
    import xgboost as xgb

    from hpo_lab.integration import XGBoostPruningCallback

    train = xgb.DMatrix(X_TRAIN, label=Y_TRAIN)
    valid = xgb.DMatrix(X_VALID, label=Y_VALID)

    def objective(trial: hpo_lab.Trial) -> float:
        params = {"objective": "binary:logistic", "eval_metric": "logloss", "max_depth": 2,
                  "eta": trial.suggest_float("eta", 1e-6, 1.0), "seed": 0}
        booster = xgb.train(params, train, 10, evals=[(valid, "validation")], verbose_eval=False,
                            callbacks=[XGBoostPruningCallback(trial, "validation-logloss")])
        return float(booster.eval(valid).split(":")[1])

    study = _study(good=0.3, bad=1e-6, name="eta")
    study.optimize(objective, n_trials=3)
    _check(study, 10)

    def sklearn_objective(trial: hpo_lab.Trial, key: str = "validation_0-logloss") -> float:
        model = xgb.XGBClassifier(
            n_estimators=10, eval_metric="logloss", max_depth=2,
            learning_rate=trial.suggest_float("eta", 1e-6, 1.0),
            callbacks=[XGBoostPruningCallback(trial, key)],
        )
        model.fit(X_TRAIN, Y_TRAIN, eval_set=[(X_VALID, Y_VALID)], verbose=False)
        return float(model.evals_result()["validation_0"]["logloss"][-1])

    study = _study(good=0.3, bad=1e-6, name="eta")
    study.optimize(sklearn_objective, n_trials=3)
    _check(study, 10)
    with pytest.raises(ValueError, match=r"'validation_0-auc' is not among .*logloss"):
        hpo_lab.create_study().optimize(
            lambda t: sklearn_objective(t, "validation_0-auc"), n_trials=1
        )
    with pytest.raises(ValueError, match="observation_key must be"):
        XGBoostPruningCallback(hpo_lab.create_study().ask(), "logloss")


def test_lightgbm_callback_with_train_and_cv() -> None:
    import lightgbm as lgb

    from hpo_lab.integration import LightGBMPruningCallback

    def params(trial: hpo_lab.Trial, metric: str = "binary_logloss") -> dict[str, Any]:
        return {"objective": "binary", "metric": metric, "verbose": -1, "seed": 0,
                "learning_rate": trial.suggest_float("lr", 1e-6, 1.0), "num_leaves": 4}

    def objective(trial: hpo_lab.Trial) -> float:
        train = lgb.Dataset(X_TRAIN, Y_TRAIN)
        valid = lgb.Dataset(X_VALID, Y_VALID, reference=train)
        booster = lgb.train(params(trial), train, 10, valid_sets=[valid],
                            callbacks=[LightGBMPruningCallback(trial, "binary_logloss")])
        return float(booster.best_score["valid_0"]["binary_logloss"])

    study = _study(good=0.3, bad=1e-6)
    study.optimize(objective, n_trials=3)
    _check(study, 10)

    def cv_objective(trial: hpo_lab.Trial) -> float:
        result = lgb.cv(params(trial), lgb.Dataset(X, Y), 10, nfold=3, seed=0,
                        callbacks=[LightGBMPruningCallback(trial, "binary_logloss")])
        return float(result["valid binary_logloss-mean"][-1])

    study = _study(good=0.3, bad=1e-6)
    study.optimize(cv_objective, n_trials=3)
    _check(study, 10)

    # auc is greater-is-better: a minimizing study is told, not silently inverted.
    def auc_objective(trial: hpo_lab.Trial) -> float:
        train = lgb.Dataset(X_TRAIN, Y_TRAIN)
        lgb.train(params(trial, "auc"), train, 3, valid_sets=[lgb.Dataset(X_VALID, Y_VALID)],
                  callbacks=[LightGBMPruningCallback(trial, "auc")])
        return 0.0

    with pytest.raises(ValueError, match="'auc' is greater-is-better but the study minimizes"):
        hpo_lab.create_study().optimize(auc_objective, n_trials=1)
    with pytest.raises(ValueError, match="valid_0/binary_error is not among"):
        hpo_lab.create_study().optimize(
            lambda t: lgb.train(
                params(t), lgb.Dataset(X_TRAIN, Y_TRAIN), 2,
                valid_sets=[lgb.Dataset(X_VALID, Y_VALID)],
                callbacks=[LightGBMPruningCallback(t, "binary_error")],
            ) and 0.0,
            n_trials=1,
        )


def test_a_missing_framework_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import hpo_lab.integration as integration

    monkeypatch.setitem(sys.modules, "xgboost", None)  # as if xgboost were not installed
    monkeypatch.delitem(sys.modules, "hpo_lab.integration._xgboost", raising=False)
    monkeypatch.delitem(vars(integration), "XGBoostPruningCallback", raising=False)
    with pytest.raises(ImportError, match=r"pip install 'hpo_lab\[xgboost\]'"):
        integration.XGBoostPruningCallback
    with pytest.raises(AttributeError, match="no attribute 'CatBoostPruningCallback'"):
        integration.CatBoostPruningCallback


def test_keras_module_leaves_an_explicit_backend_alone() -> None:
    # In a fresh interpreter: Keras picks its backend once per process. The numpy backend
    # needs jax, which is not installed, so the import fails, naming why, and the user's
    # choice of backend was not replaced by torch.
    import subprocess

    code = (
        "import os\n"
        "try:\n"
        "    from hpo_lab.integration import KerasPruningCallback\n"
        "except ImportError as exc:\n"
        "    print('error:', exc)\n"
        "print(os.environ['KERAS_BACKEND'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "KERAS_BACKEND": "numpy"})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == "numpy"
    assert "KerasPruningCallback could not import keras (No module named 'jax')" in lines[0]


def test_importing_integration_and_tracking_loads_no_framework() -> None:
    import json
    import subprocess

    heavy = ["torch", "lightning", "keras", "xgboost", "lightgbm", "mlflow", "wandb", "tqdm"]
    code = (
        "import json, sys\n"
        "import hpo_lab.integration, hpo_lab.tracking, hpo_lab.progress\n"
        f"print(json.dumps([m for m in {heavy!r} if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []

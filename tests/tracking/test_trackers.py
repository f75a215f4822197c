"""The trackers with the real packages, offline: an MLflow file store and W&B offline runs,
read back the way a user (or ``wandb sync``) would read them."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

import hpo_lab
from hpo_lab.pruners import MedianPruner
from hpo_lab.tracking import MLflowTracker, Tracker, WandbTracker


def objective(trial: hpo_lab.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    trial.suggest_categorical("kind", ["a", "b"])
    trial.set_user_attr("note", "hello")
    for step in range(3):
        trial.report(x * (3 - step), step=step)
        if trial.should_prune():
            raise hpo_lab.TrialPruned()
    if trial.number == 3:
        raise RuntimeError("boom")
    return x


def _study(name: str) -> hpo_lab.Study:
    study = hpo_lab.create_study(
        study_name=name, pruner=MedianPruner(n_startup_trials=1, n_warmup_steps=1)
    )
    for x in (0.2, 0.9, 0.1, 0.05):  # trial 1 is pruned, trial 3 fails
        study.enqueue_trial({"x": x, "kind": "a"})
    return study


# -- MLflow ----------------------------------------------------------------------------------------
@pytest.fixture
def mlflow_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    # MLflow 3 keeps the file store behind this switch (its sqlite store needs a migration
    # of several seconds per test); the tracker does not care which store it writes to.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    return "file:" + str(tmp_path / "mlruns")


def _runs(uri: str, experiment: str) -> dict[str, Any]:
    import mlflow

    client = mlflow.MlflowClient(uri)
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None
    return {r.info.run_name: r for r in client.search_runs([exp.experiment_id])}


def test_mlflow_run_per_trial_as_an_optimize_callback(mlflow_uri: str) -> None:
    import mlflow

    tracker = MLflowTracker(tracking_uri=mlflow_uri)
    study = _study("mlflow-callback")
    study.optimize(objective, n_trials=4, callbacks=[tracker], catch=(RuntimeError,))

    runs = _runs(mlflow_uri, "mlflow-callback")
    assert sorted(runs) == ["trial-0", "trial-1", "trial-2", "trial-3"]
    first = runs["trial-0"]
    assert first.data.params == {"x": "0.2", "kind": "a"}
    assert first.data.metrics["value"] == 0.2
    assert first.data.tags["hpo_lab.state"] == "COMPLETE"
    assert first.data.tags["hpo_lab.study"] == "mlflow-callback"
    assert first.data.tags["user.note"] == "hello"
    history = mlflow.MlflowClient(mlflow_uri).get_metric_history(
        first.info.run_id, "intermediate_value"
    )
    assert [m.step for m in history] == [0, 1, 2]
    assert [m.value for m in history] == pytest.approx([0.6, 0.4, 0.2])
    assert first.info.status == "FINISHED"
    assert first.info.start_time == int(study.trials[0].datetime_start.timestamp() * 1000)
    assert runs["trial-1"].info.status == "KILLED"  # pruned
    assert runs["trial-1"].data.tags["hpo_lab.state"] == "PRUNED"
    assert "value" not in runs["trial-1"].data.metrics
    assert runs["trial-3"].info.status == "FAILED"
    assert tracker.run_id("mlflow-callback", 0) == first.info.run_id


def test_mlflow_attached_logs_intermediate_values_while_the_trial_runs(mlflow_uri: str) -> None:
    import mlflow

    client = mlflow.MlflowClient(mlflow_uri)
    tracker = MLflowTracker(tracking_uri=mlflow_uri, experiment_name="live")
    study = hpo_lab.create_study(study_name="attached")
    seen: list[int] = []

    def watched(trial: hpo_lab.Trial) -> float:
        for step in range(3):
            trial.report(float(step), step=step)
            run_id = tracker.run_id("attached", trial.number)
            assert run_id is not None  # the run exists as soon as the trial reports
            seen.append(len(client.get_metric_history(run_id, "intermediate_value")))
        return 1.0

    detach = tracker.attach(study)
    run = study.start(watched, n_trials=2, n_jobs=2)  # a background run on two threads
    assert run.wait(60)
    detach()
    assert sorted(seen) == [1, 1, 2, 2, 3, 3]  # each report was in MLflow before the next
    runs = _runs(mlflow_uri, "live")
    assert sorted(runs) == ["trial-0", "trial-1"]
    assert all(r.info.status == "FINISHED" and r.data.metrics["value"] == 1.0
               for r in runs.values())


def test_mlflow_one_run_per_study(mlflow_uri: str) -> None:
    import mlflow

    with MLflowTracker(tracking_uri=mlflow_uri, per_trial=False) as tracker:
        study = _study("whole-study")
        study.optimize(objective, n_trials=4, callbacks=[tracker], catch=(RuntimeError,))
    runs = _runs(mlflow_uri, "whole-study")
    (run,) = runs.values()
    assert run.info.run_name == "whole-study" and run.info.status == "FINISHED"
    client = mlflow.MlflowClient(mlflow_uri)
    values = client.get_metric_history(run.info.run_id, "value")
    assert [(m.step, m.value) for m in values] == [(0, 0.2), (2, 0.1)]  # complete trials
    xs = client.get_metric_history(run.info.run_id, "param.x")
    assert [m.step for m in xs] == [0, 1, 2, 3]
    curve = client.get_metric_history(run.info.run_id, "trial_1/intermediate_value")
    assert [m.step for m in curve] == [0, 1]  # pruned after step 1
    artifacts = Path(client.download_artifacts(run.info.run_id, "trials"))
    assert sorted(p.name for p in artifacts.iterdir())[0] == "trial-00000.json"


def test_tracker_arguments_are_checked() -> None:
    with pytest.raises(TypeError, match="per_trial must be True or False"):
        MLflowTracker(per_trial="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="metric_name must be a non-empty str"):
        MLflowTracker(metric_name="")


def test_a_failing_tracker_never_fails_the_study(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(Tracker):
        def _start_trial(self, study_name: str, trial: Any) -> None:
            raise OSError("disk full")

        def _log_intermediate(self, *args: Any) -> None:
            pass

        def _finish_trial(self, *args: Any) -> None:
            pass

    study = hpo_lab.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2, callbacks=[Broken()])
    assert [t.state.value for t in study.trials] == ["COMPLETE", "COMPLETE"]
    assert "Broken could not log trial 0" in caplog.text


# -- Weights & Biases ------------------------------------------------------------------------------
def _wandb_records(run_dir: Path) -> list[Any]:
    """The records of an offline run's ``.wandb`` file (a LevelDB-style log of protobufs)."""
    from wandb.proto import wandb_internal_pb2 as pb

    (path,) = run_dir.glob("*.wandb")
    data = path.read_bytes()
    assert data[:4] == b":W&B"
    block, pos, pending, records = 32768, 7, b"", []
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # a block's tail too short for a header is padding
            pos += block - pos % block
            continue
        length, kind = struct.unpack("<HB", data[pos + 4 : pos + 7])
        chunk = data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        pending += chunk
        if kind in (1, 4):  # FULL or LAST
            record = pb.Record()
            record.ParseFromString(pending)
            records.append(record)
            pending = b""
        elif kind == 0:
            break
    return records


def _wandb_run(run_dir: Path) -> dict[str, Any]:
    import json

    out: dict[str, Any] = {"history": [], "config": {}, "summary": {}, "name": None}
    for record in _wandb_records(run_dir):
        kind = record.WhichOneof("record_type")
        if kind == "run":  # the first run record names it; later ones may update other fields
            out["name"] = out["name"] or record.run.display_name
            out["group"] = out.get("group") or record.run.run_group
        elif kind == "history":
            out["history"].append({i.key or "/".join(i.nested_key): json.loads(i.value_json)
                                   for i in record.history.item})
        elif kind == "config":
            for item in record.config.update:
                out["config"][item.key] = json.loads(item.value_json)
        elif kind == "summary":
            for item in record.summary.update:
                out["summary"][item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
    return out


@pytest.fixture
def wandb_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    return tmp_path  # given to wandb.init as dir: WANDB_DIR is read once per process


def _offline_runs(root: Path) -> dict[str, dict[str, Any]]:
    import time

    runs = {}
    for run_dir in sorted((root / "wandb").glob("offline-run-*")):
        # W&B's service writes the file on its own thread: a run that finish() ended may
        # still be on its way to disk. Wait for its exit record, as `wandb sync` would.
        deadline = time.monotonic() + 60
        while not any(r.WhichOneof("record_type") == "exit" for r in _wandb_records(run_dir)):
            assert time.monotonic() < deadline, f"{run_dir.name} was never written out"
            time.sleep(0.1)
        run = _wandb_run(run_dir)
        runs[run["name"]] = run
    return runs


def test_wandb_offline_run_per_trial(wandb_dir: Path) -> None:
    tracker = WandbTracker(project="hpo-lab-tests", init_kwargs={"dir": str(wandb_dir)})
    study = _study("wandb-study")
    tracker.attach(study)
    study.optimize(objective, n_trials=4, catch=(RuntimeError,))
    tracker.close()
    runs = _offline_runs(wandb_dir)
    assert sorted(runs) == ["trial-0", "trial-1", "trial-2", "trial-3"]
    first = runs["trial-0"]
    assert first["group"] == "wandb-study"
    assert first["config"]["x"] == 0.2 and first["config"]["kind"] == "a"
    assert [h["_step"] for h in first["history"]] == [0, 1, 2]
    assert [h["intermediate_value"] for h in first["history"]] == pytest.approx([0.6, 0.4, 0.2])
    assert first["summary"]["value"] == 0.2 and first["summary"]["state"] == "COMPLETE"
    assert first["summary"]["user.note"] == "hello"
    assert runs["trial-1"]["summary"]["state"] == "PRUNED"
    assert "value" not in runs["trial-1"]["summary"]


def test_wandb_offline_one_run_per_study(wandb_dir: Path) -> None:
    tracker = WandbTracker(
        project="hpo-lab-tests", per_trial=False, init_kwargs={"dir": str(wandb_dir)}
    )
    study = _study("wandb-whole")
    study.optimize(objective, n_trials=4, callbacks=[tracker], catch=(RuntimeError,))
    tracker.close()
    (run,) = _offline_runs(wandb_dir).values()
    assert run["name"] == "wandb-whole"
    rows = [h for h in run["history"] if "trial" in h]
    assert [r["trial"] for r in rows] == [0, 1, 2, 3]
    assert [r.get("value") for r in rows] == [0.2, None, 0.1, None]
    assert [r["state"] for r in rows] == ["COMPLETE", "PRUNED", "COMPLETE", "FAIL"]
    curve = [h["trial_0/intermediate_value"] for h in run["history"]
             if "trial_0/intermediate_value" in h]
    assert curve == pytest.approx([0.6, 0.4, 0.2])

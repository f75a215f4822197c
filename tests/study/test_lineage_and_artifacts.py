"""Trial-to-trial lineage, finished trials added from elsewhere, and the artifact folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import hpo_lab
from hpo_lab.distributions import FloatDistribution
from hpo_lab.trial import TrialState, create_trial


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: Any, tmp_path: Path) -> Any:
    return None if request.param == "memory" else str(tmp_path / "runs.db")


def test_a_trial_continues_another(storage: Any) -> None:
    study = hpo_lab.create_study(storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    child = study.ask(parent=1)
    assert (child.freeze().parent_number, child.freeze().parent_trial_id) == (
        1, study.trials[1].trial_id
    )
    study.tell(child, 0.5)
    grandchild = study.ask(parent=study.trials[2])
    study.tell(grandchild, 0.25)
    assert [t.parent_number for t in study.trials] == [None, None, 1, 2]
    with pytest.raises(ValueError, match="has no trial number 9"):
        study.ask(parent=9)
    with pytest.raises(TypeError, match="a trial or a trial number"):
        study.ask(parent="1")  # type: ignore[arg-type]


def test_a_continuing_trial_never_takes_an_enqueued_slot() -> None:
    study = hpo_lab.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    study.enqueue_trial({"x": 0.5})
    cont = study.ask(parent=0)
    assert cont.params == {} and study.trials[1].state == TrialState.WAITING


def test_add_trial_and_events(storage: Any) -> None:
    study = hpo_lab.create_study(storage=storage, direction="maximize")
    seen: list[str] = []
    study.subscribe(lambda e: seen.append(e.kind))
    added = study.add_trial(create_trial(
        value=3.0, params={"x": 0.1}, distributions={"x": FloatDistribution(0, 1)},
        intermediate_values={0: 1.0, 1: 3.0},
    ))
    assert added.number == 0 and seen == ["trial_finished"]
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert study.best_value == 3.0 or study.best_value > 3.0
    copied = hpo_lab.create_study(storage=storage, direction="maximize")
    copied.add_trials(study.trials)
    assert [(t.state, t.value, t.params) for t in copied.trials] == [
        (t.state, t.value, t.params) for t in study.trials
    ]
    with pytest.raises(ValueError, match=r"parameter 'x': 2 lies outside"):
        create_trial(value=1.0, params={"x": 2}, distributions={"x": FloatDistribution(0, 1)})
    with pytest.raises(ValueError, match="COMPLETE trial needs a finite number"):
        create_trial(value=float("nan"))


def test_artifacts_live_beside_the_store(storage: Any, tmp_path: Path) -> None:
    study = hpo_lab.create_study(study_name="art", storage=storage)
    trial = study.ask()
    info = study.artifacts.save_bytes("ckpt/epoch 3.pt", b"x" * 10, trial=trial)
    src = tmp_path / "plot.png"
    src.write_bytes(b"png" * 5)
    whole = study.artifacts.save_file("plot.png", src)
    assert study.artifacts.read_bytes(info) == b"x" * 10
    assert info.trial_number == 0 and whole.trial_number is None
    assert study.artifacts.disk_usage() == 25
    assert study.artifacts.disk_usage(trial=0) == 10
    assert [a.name for a in study.artifacts.list(trial=trial)] == ["ckpt/epoch 3.pt"]
    if storage is not None:
        assert info.path.startswith(str(tmp_path / "runs.db.artifacts"))
        assert os.path.dirname(os.path.dirname(info.path)).endswith("study-1")
        # Another process opening the file sees the same records.
        again = hpo_lab.load_study(study_name="art", storage=hpo_lab.storages.SQLiteStorage(
            storage))
        assert [a.name for a in again.artifacts.list()] == ["ckpt/epoch 3.pt", "plot.png"]
    study.artifacts.remove(info)
    assert not os.path.exists(info.path)
    assert study.artifacts.disk_usage() == 15
    with pytest.raises(ValueError, match="has no artifact with id"):
        study.artifacts.read_bytes(info.artifact_id)
    with pytest.raises(ValueError, match="artifact name must be a non-empty str"):
        study.artifacts.save_bytes("", b"")
    with pytest.raises(FileNotFoundError, match="no file to save as artifact"):
        study.artifacts.save_file("missing", tmp_path / "nope")


def test_deleting_a_study_removes_its_artifacts(tmp_path: Path) -> None:
    path = str(tmp_path / "runs.db")
    study = hpo_lab.create_study(study_name="gone", storage=path)
    info = study.artifacts.save_bytes("a", b"1")
    study.storage.delete_study(study._study_id)
    assert not os.path.exists(info.path)

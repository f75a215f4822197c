"""Checkpoints: saved beside the store, recorded in it, loaded by the trials that continue."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pbt_objectives as po
import pytest

import hpo_lab
from hpo_lab.schedulers import BaseScheduler, Launch
from hpo_lab.trial import TrialState
from hpo_lab.views import StudyView


class _Chain(BaseScheduler):
    """Trial n continues trial n - 1: a minimal scheduler for checkpoint tests."""

    def __init__(self, length: int) -> None:
        self.length = length

    def next(self, view: StudyView) -> Launch | None:
        trials = view.get_trials(include_inherited=False)
        if any(t.state == TrialState.RUNNING for t in trials):
            return None
        return Launch(parent=trials[-1].number if trials else None)

    def done(self, view: StudyView) -> bool:
        trials = view.get_trials(include_inherited=False)
        return len(trials) >= self.length and trials[-1].state.is_finished()


def _check_chain(study: Any) -> None:
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
    assert trials[0].user_attrs["inherited"] is None
    for t in trials[1:]:
        assert t.parent_number == t.number - 1
        assert t.user_attrs["inherited"] == 4.0 * (t.number - 1)  # the parent's weights
    assert all(not t.user_attrs["had_own"] and t.user_attrs["has_own"] for t in trials)
    assert [t.user_attrs["own_n"] for t in trials] == [0, 1, 2]
    assert all(t.system_attrs["checkpoint"] > 0 for t in trials)
    records = study.artifacts.list()
    assert sorted(a.trial_number for a in records) == [0, 1, 2]
    assert all(a.name == "checkpoint" and os.path.exists(a.path) for a in records)


@pytest.mark.parametrize("storage_kind", ["memory", "sqlite"])
def test_thread_executor(storage_kind: str, tmp_path: Path) -> None:
    storage = None if storage_kind == "memory" else str(tmp_path / "c.db")
    study = hpo_lab.create_study(storage=storage)
    run = study.start(po.checkpoint_roundtrip, scheduler=_Chain(3))
    assert run.wait(60) and run.exception is None
    _check_chain(study)
    if storage is not None:
        folder = tmp_path / "c.db.artifacts"
        assert all(str(folder) in a.path for a in study.artifacts.list())
        # The file holds the record, never the pickled checkpoint.
        conn = sqlite3.connect(tmp_path / "c.db")
        blobs = conn.execute("SELECT count(*) FROM trials WHERE params LIKE '%weights%'")
        assert blobs.fetchone()[0] == 0
        conn.close()


@pytest.mark.slow
def test_process_executor() -> None:
    study = hpo_lab.create_study()
    run = study.start(po.checkpoint_roundtrip, scheduler=_Chain(3), executor="process")
    assert run.wait(120) and run.exception is None, run.exception
    _check_chain(study)


DASK_WORKERS = 1  # the dask_client fixture's cluster (tests/conftest.py)


@pytest.fixture(scope="module")
def client(dask_client: Any) -> Any:
    return dask_client


@pytest.mark.slow
@pytest.mark.parametrize("transport", ["auto", "scheduler"])
def test_dask_executor(client: Any, transport: str) -> None:
    # "scheduler": as a worker on another machine would, the checkpoint travels as bytes
    # through the runner instead of the shared folder.
    study = hpo_lab.create_study()
    run = study.start(
        po.checkpoint_roundtrip, scheduler=_Chain(3), executor=client, checkpoints=transport
    )
    assert run.wait(180) and run.exception is None, run.exception
    _check_chain(study)


def test_files_written_to_the_folder_are_recorded_when_the_trial_ends() -> None:
    study = hpo_lab.create_study()
    study.optimize(po.checkpoint_files, n_trials=2)
    records = study.artifacts.list()
    assert [(a.name, a.size, a.trial_number) for a in records] == [
        ("checkpoint files", 1000, 0), ("checkpoint files", 1000, 1)
    ]
    assert study.trials[0].system_attrs["checkpoint"] == 1000
    study.artifacts.remove(records[0])
    assert not os.path.exists(records[0].path)


def test_load_prefers_its_own_then_its_parent_then_the_default() -> None:
    study = hpo_lab.create_study()
    first = study.ask()
    assert first.checkpoint.load(default="nothing") == "nothing"
    assert first.checkpoint.parent_path is None
    first.checkpoint.save(np.arange(3))
    study.tell(first, 1.0)
    second = study.ask(parent=0)
    assert second.checkpoint.load().tolist() == [0, 1, 2]
    assert second.checkpoint.parent_path == os.path.dirname(
        study.artifacts.list()[0].path
    )
    second.checkpoint.save("mine")
    second.checkpoint.save("mine again")  # replaces; recorded once
    assert second.checkpoint.load() == "mine again"
    study.tell(second, 0.5)
    assert len(study.artifacts.list(trial=1)) == 1


def test_an_unpicklable_checkpoint_is_a_clear_error() -> None:
    import threading

    study = hpo_lab.create_study()
    trial = study.ask()
    with pytest.raises(TypeError, match="lock"):
        trial.checkpoint.save({"lock": threading.Lock()})
    assert study.artifacts.list() == []

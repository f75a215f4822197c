"""A database written at schema version 1 (committed in fixtures/) opens, migrates and works."""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
from pathlib import Path
from typing import Any, ClassVar

import pytest

import hpo_lab
from hpo_lab.pruners import MedianPruner
from hpo_lab.storages import SQLiteStorage
from hpo_lab.storages._sqlite import MIGRATIONS, SCHEMA_VERSION, SchemaVersionError
from hpo_lab.trial import FailReason, TrialState

FIXTURE = Path(__file__).parent / "fixtures" / "schema_v1.db"


def _raw_v1_rows(path: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM trials ORDER BY study_id, number")]
    conn.close()
    return rows


@pytest.fixture
def v1_copy(tmp_path: Path) -> Path:
    target = tmp_path / "old.db"
    shutil.copy(FIXTURE, target)
    return target


def test_fixture_is_really_version_1() -> None:
    conn = sqlite3.connect(f"file:{FIXTURE}?mode=ro", uri=True)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = {r[1] for r in conn.execute("PRAGMA table_info(trials)")}
    conn.close()
    assert "decisions" not in columns and "parent_trial_id" not in columns
    assert SCHEMA_VERSION == 2 and 1 in MIGRATIONS


def test_version_1_file_migrates_and_reads_back_exactly(v1_copy: Path) -> None:
    raw = _raw_v1_rows(v1_copy)
    store = SQLiteStorage(v1_copy)
    try:
        conn = sqlite3.connect(v1_copy)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        conn.close()
        studies = {s.study_id: s for s in store.get_all_studies()}
        assert [s.study_name for s in studies.values()] == ["parent", "child"]
        assert studies[1].user_attrs == {"dataset": "digits"}
        assert studies[1].system_attrs == {} and studies[2].system_attrs == {}
        assert studies[2].parent_id == 1
        trials = {
            (sid, t.number): t for sid in studies for t in store.get_all_trials(sid)
        }
        assert len(trials) == len(raw) == 12
        for row in raw:
            t = trials[(row["study_id"], row["number"])]
            assert t.state == TrialState(row["state"])
            assert t.value == row["value"]
            assert t.params == json.loads(row["params"])
            assert {k: d.to_dict() for k, d in t.distributions.items()} == json.loads(
                row["distributions"]
            )
            assert t.user_attrs == json.loads(row["user_attrs"])
            assert t.system_attrs == json.loads(row["system_attrs"])
            old_iv = {int(k): v for k, v in json.loads(row["intermediate_values"]).items()}
            assert t.intermediate_values.keys() == old_iv.keys()
            for step, v in old_iv.items():  # the NaN report of trial 2 stays NaN
                got = t.intermediate_values[step]
                assert (math.isnan(got) and math.isnan(v)) or got == v
            assert t.revision == row["revision"]
            assert t.worker == row["worker"]
            assert t.fail_reason == (None if row["fail_reason"] is None else FailReason(
                row["fail_reason"]))
            if row["datetime_start"] is not None:
                assert t.datetime_start is not None
                assert t.datetime_start.timestamp() == pytest.approx(row["datetime_start"])
            # What version 1 did not have: empty, and a usable finish cursor.
            assert t.decisions == () and t.parent_trial_id is None and t.parent_number is None
            assert t.created_cursor == 0 and t.report_cursors == {}
            finished = TrialState(row["state"]).is_finished()
            assert t.finished_cursor == (row["version"] if finished else None)
        assert [r.number for r in store.get_space_revisions(1)] == [0, 1]
    finally:
        store.close()


def test_migrated_file_is_a_working_study(v1_copy: Path) -> None:
    parent = hpo_lab.load_study(study_name="parent", storage=str(v1_copy))
    # Trial 8 was left RUNNING by a process long gone: loading marks it stale.
    stale = parent.trials[8]
    assert (stale.state, stale.fail_reason) == (TrialState.FAIL, FailReason.STALE)
    assert parent.trials[9].state == TrialState.WAITING
    assert parent.best_value == pytest.approx(2.6418452286737364)
    child = hpo_lab.load_study(
        study_name="child", storage=str(v1_copy), pruner=MedianPruner(n_startup_trials=1)
    )
    assert child.parent is not None and child.inherited_trials

    def objective(trial: hpo_lab.Trial) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        for step in range(3):
            trial.report(x * x + step, step)
            if trial.should_prune():
                raise hpo_lab.TrialPruned()
        return x * x

    child.optimize(objective, n_trials=6)
    new = child.trials[2:]
    assert len(new) == 6 and all(t.decisions for t in new)
    assert all(t.created_cursor > 0 and t.finished_cursor for t in new)
    info = child.artifacts.save_bytes("model.bin", b"abc", trial=new[0].number)
    assert Path(info.path).read_bytes() == b"abc"
    assert str(v1_copy) + ".artifacts" in info.path


def test_a_failed_migration_leaves_the_file_as_it_was(v1_copy: Path) -> None:
    before = v1_copy.read_bytes()

    def broken(conn: sqlite3.Connection) -> None:
        MIGRATIONS[1](conn)
        raise RuntimeError("disk full halfway")

    class Broken(SQLiteStorage):
        migrations: ClassVar[dict[int, Any]] = {1: broken}

    with pytest.raises(RuntimeError, match="disk full halfway"):
        Broken(v1_copy)
    conn = sqlite3.connect(v1_copy)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = {r[1] for r in conn.execute("PRAGMA table_info(trials)")}
    conn.close()
    assert "decisions" not in columns
    assert _raw_v1_rows(v1_copy) == _raw_v1_rows(FIXTURE)
    store = SQLiteStorage(v1_copy)  # and the real migration still works afterwards
    assert len(store.get_all_trials(1)) == 10
    store.close()
    assert len(before) > 0


def test_file_from_a_newer_version_is_refused(v1_copy: Path) -> None:
    conn = sqlite3.connect(v1_copy)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaVersionError, match=r"newer than version 2.*upgrade hpo_lab"):
        SQLiteStorage(v1_copy)

"""Storage strings and files users get wrong: each gives one clear line and changes nothing."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import hpo_lab
from hpo_lab.storages import (
    InMemoryStorage,
    SQLiteStorage,
    StorageError,
    get_storage,
)

FIXTURE = Path(__file__).parent / "fixtures" / "schema_v1.db"


def _study_file(path: Path, n: int = 3) -> None:
    study = hpo_lab.create_study(study_name="s", storage=SQLiteStorage(path))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n)
    study.storage.close()


def test_memory_strings_give_a_memory_storage_and_create_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for spec in (":memory:", "sqlite:///:memory:"):
        store = get_storage(spec)
        assert isinstance(store, InMemoryStorage)
        hpo_lab.create_study(storage=spec).optimize(lambda t: t.suggest_int("k", 0, 1), 1)
    with pytest.raises(ValueError, match=r"needs a file, but got ':memory:'.*storage=None"):
        SQLiteStorage(":memory:")
    assert os.listdir(tmp_path) == []


def test_file_uri_names_the_file_not_a_file_called_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "runs.db"
    store = get_storage(f"file:{target}?vfs=unix-dotfile")
    assert isinstance(store, SQLiteStorage)
    hpo_lab.create_study(study_name="u", storage=store).optimize(
        lambda t: t.suggest_int("k", 0, 1), n_trials=1
    )
    store.close()
    assert sorted(os.listdir(tmp_path)) == ["runs.db"] or all(
        name.startswith("runs.db") for name in os.listdir(tmp_path)
    )
    assert not any(name.startswith("file:") for name in os.listdir(tmp_path))
    assert len(hpo_lab.load_study(study_name="u", storage=str(target)).trials) == 1


def test_load_study_on_a_mistyped_path_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    with pytest.raises(
        StorageError, match=r"no SQLite file at '.*typo\.db' \(an existing study was asked for"
    ):
        hpo_lab.load_study(study_name="s", storage=str(missing))
    assert not missing.exists()
    with pytest.raises(StorageError, match="no SQLite file"):
        hpo_lab.load_study(study_name="s", storage=f"sqlite:///{missing}")
    assert not missing.exists()


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"name,value\na,1\n" * 50, "not a readable SQLite database"),
        (b"", None),  # an empty file is a new database: SQLite treats it as one
    ],
)
def test_a_file_that_is_not_a_database(tmp_path: Path, content: bytes, why: str | None) -> None:
    path = tmp_path / "data.db"
    path.write_bytes(content)
    if why is None:
        SQLiteStorage(path).close()
        return
    with pytest.raises(StorageError, match=why) as info:
        SQLiteStorage(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert path.read_bytes() == content


def test_a_truncated_database(tmp_path: Path) -> None:
    whole = tmp_path / "whole.db"
    _study_file(whole, n=50)
    cut = tmp_path / "cut.db"
    cut.write_bytes(whole.read_bytes()[: 3 * 4096 + 100])
    def read_all() -> None:
        store = SQLiteStorage(cut)
        hpo_lab.load_study(study_name="s", storage=store).trials

    with pytest.raises(StorageError, match=r"cut\.db.*(not a readable|cannot open)") as info:
        read_all()
    assert "\n" not in str(info.value)


def test_a_corrupt_row_names_the_file_and_the_trial(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    _study_file(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE trials SET params = '{\"x\": 0.5,' WHERE number = 1")
    conn.commit()
    conn.close()
    store = SQLiteStorage(path)
    with pytest.raises(StorageError, match=r"runs\.db.*trial 1 .*unreadable params column"):
        hpo_lab.load_study(study_name="s", storage=store).trials
    store.close()


def test_a_planted_trigger_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    _study_file(path)
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TRIGGER sneaky AFTER UPDATE ON trials BEGIN "
        "UPDATE trials SET value = 0 WHERE trial_id = NEW.trial_id; END"
    )
    conn.commit()
    conn.close()
    with pytest.raises(
        StorageError, match=r"holds triggers that hpo_lab did not create \(sneaky\)"
    ):
        SQLiteStorage(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA trusted_schema").fetchone() is not None
    conn.close()


def test_our_connection_does_not_trust_the_schema(tmp_path: Path) -> None:
    store = SQLiteStorage(tmp_path / "t.db")
    assert store._conn.execute("PRAGMA trusted_schema").fetchone()[0] == 0
    store.close()


def test_read_only_file_opens_for_reading() -> None:
    import tempfile

    # Outside pytest's private temporary folder, so another user can reach it.
    base = Path(tempfile.mkdtemp(prefix="hpo_lab-ro-"))
    base.chmod(0o755)
    folder = base / "ro"
    folder.mkdir()
    path = folder / "runs.db"
    _study_file(path)
    old = folder / "old.db"
    shutil.copy(FIXTURE, old)
    script = textwrap.dedent(
        f"""
        import os, sys, logging
        logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(message)s")
        import hpo_lab
        import hpo_lab.storages._sqlite  # everything imported before giving up root
        from hpo_lab.storages import StorageError
        if os.getuid() == 0:  # root may write anything: read as nobody, as a user would
            os.setgid(65534); os.setuid(65534)
        study = hpo_lab.load_study(study_name="s", storage={str(path)!r})
        print("trials", len(study.trials), study.storage.read_only)
        try:
            study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
        except StorageError as exc:
            print("write:", exc)
        try:
            hpo_lab.load_study(study_name="parent", storage={str(old)!r})
        except StorageError as exc:
            print("old:", exc)
        """
    )
    os.chmod(path, 0o444)
    os.chmod(old, 0o444)
    os.chmod(folder, 0o555)
    try:
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
        )
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(base, ignore_errors=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout
    assert "is read-only here" in lines and "opened for reading only" in lines
    assert "trials 3 True" in lines
    assert "write: SQLite file" in lines and "is open read-only" in lines
    assert "old: SQLite file" in lines and "schema version 1 and is read-only" in lines

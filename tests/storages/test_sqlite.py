"""SQLiteStorage with real files and real processes: sharing, crashes, WAL, schema versions."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
import storage_workers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hpo_lab
from hpo_lab.distributions import FloatDistribution
from hpo_lab.storages import BaseStorage, InMemoryStorage, TrialFinishedError, get_storage
from hpo_lab.storages._sqlite import (
    SCHEMA_VERSION,
    Migration,
    SchemaVersionError,
    SQLiteStorage,
)
from hpo_lab.trial._state import FailReason, TrialState

_spawn = multiprocessing.get_context("spawn")


def _wait_for(path: Path, proc: multiprocessing.process.BaseProcess, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not path.exists():
        assert proc.is_alive(), f"worker exited with {proc.exitcode} before writing {path.name}"
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "runs.db"


@pytest.fixture
def store(db: Path) -> Iterator[SQLiteStorage]:
    s = SQLiteStorage(db)
    yield s
    s.close()


# -- several processes on one file ------------------------------------------------------------
@pytest.mark.slow
def test_four_processes_share_one_study(db: Path) -> None:
    n_procs, per_proc = 4, 50
    barrier = _spawn.Barrier(n_procs)
    results = _spawn.Queue()
    procs = [
        _spawn.Process(
            target=storage_workers.optimize_shared,
            args=(str(db), "shared", per_proc, barrier, results),
        )
        for _ in range(n_procs)
    ]
    for p in procs:
        p.start()
    # Follow the study through the change cursor while the workers write, as a live view does.
    while not db.exists():
        time.sleep(0.01)
    reader = SQLiteStorage(db)
    seen: dict[int, hpo_lab.FrozenTrial] = {}
    cursor = 0
    study_id = None
    while any(p.is_alive() for p in procs):
        if study_id is None:
            try:
                study_id = reader.get_study_id("shared")
            except KeyError:
                time.sleep(0.01)
                continue
        changed, cursor = reader.get_trials_since(study_id, cursor)
        seen.update((t.number, t) for t in changed)
        time.sleep(0.005)
    outcomes = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert [o for _, o in outcomes] == ["ok"] * n_procs, outcomes

    assert study_id is not None
    changed, cursor = reader.get_trials_since(study_id, cursor)
    seen.update((t.number, t) for t in changed)
    trials = reader.get_all_trials(study_id)
    reader.close()
    total = n_procs * per_proc
    assert [t.number for t in trials] == list(range(total))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert seen == {t.number: t for t in trials}
    by_pid: dict[str, list[hpo_lab.FrozenTrial]] = {}
    for t in trials:
        assert t.worker is not None
        by_pid.setdefault(t.worker.split("/")[0], []).append(t)
    assert sorted(len(v) for v in by_pid.values()) == [per_proc] * n_procs
    # The processes really ran at the same time: trials of different processes overlap.
    overlaps = 0
    for a in trials:
        for b in trials:
            if a.worker != b.worker and a.number < b.number:
                assert a.datetime_start
                assert a.datetime_complete
                assert b.datetime_start
                assert b.datetime_complete
                if (
                    a.datetime_start < b.datetime_complete
                    and b.datetime_start < a.datetime_complete
                ):
                    overlaps += 1
    assert overlaps > total // 2


@pytest.mark.slow
def test_processes_pop_each_waiting_trial_once(db: Path) -> None:
    s = SQLiteStorage(db)
    sid = s.create_new_study("queue", "minimize")
    queued = [
        s.create_new_trial(sid, state=TrialState.WAITING, params={"i": i}) for i in range(120)
    ]
    barrier = _spawn.Barrier(3)
    results = _spawn.Queue()
    procs = [
        _spawn.Process(target=storage_workers.pop_all, args=(str(db), sid, barrier, results))
        for _ in range(3)
    ]
    for p in procs:
        p.start()
    popped = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(60)
    assert all(isinstance(ids, list) for ids in popped), popped
    flat = [tid for ids in popped for tid in ids]
    assert sorted(flat) == [t.trial_id for t in queued]  # each popped exactly once
    assert all(ids == sorted(ids) for ids in popped)  # FIFO within each process
    assert s.get_n_trials(sid, (TrialState.COMPLETE,)) == 120
    s.close()


@pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning")
def test_forked_child_reopens_the_inherited_storage(db: Path) -> None:
    parent_store = get_storage(str(db))
    study = hpo_lab.create_study(study_name="fork", storage=parent_store)
    held = study.ask()  # the parent owns a RUNNING trial with a heartbeat while it forks
    child = multiprocessing.get_context("fork").Process(
        target=storage_workers.optimize_inherited, args=(str(db), "fork", 5)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 0
    trials = study.get_trials()
    done = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(done) == 5
    assert {t.worker.split("/")[0] for t in done if t.worker} == {str(child.pid)}
    assert parent_store.fail_stale_trials(study._study_id) == []  # the parent is alive
    study.tell(held, 0.5)
    assert study.get_trials()[held.number].state == TrialState.COMPLETE
    parent_store.close()


# -- crash safety ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_killed_process_leaves_stale_trial_and_intact_history(tmp_path: Path, db: Path) -> None:
    creator = SQLiteStorage(db)
    hpo_lab.create_study(study_name="crash", storage=creator)
    creator.close()
    ready, release, marker = tmp_path / "p2_ready", tmp_path / "p2_release", tmp_path / "p1_in_k"
    p2 = _spawn.Process(
        target=storage_workers.hold_running_trial,
        args=(str(db), "crash", str(ready), str(release)),
    )
    p2.start()
    _wait_for(ready, p2)
    k = 4
    p1 = _spawn.Process(
        target=storage_workers.optimize_then_hang, args=(str(db), "crash", k, str(marker))
    )
    p1.start()
    _wait_for(marker, p1)
    p1_trial_k = int(marker.read_text())
    p2_trial = int(ready.read_text())
    os.kill(p1.pid, signal.SIGKILL)  # type: ignore[arg-type]
    p1.join(30)
    assert p1.exitcode == -signal.SIGKILL

    study = hpo_lab.load_study(study_name="crash", storage=str(db))
    trials = {t.number: t for t in study.get_trials()}
    p1_worker = f"{p1.pid}/"
    p1_done = [
        t
        for t in trials.values()
        if t.worker and t.worker.startswith(p1_worker) and t.number != p1_trial_k
    ]
    assert len(p1_done) == k
    for t in p1_done:
        x = t.params["x"]
        assert t.state == TrialState.COMPLETE
        assert t.value == pytest.approx(10 * x)
        assert t.intermediate_values == {s: pytest.approx(x * s) for s in range(3)}
        assert t.distributions == {"x": FloatDistribution(0.0, 1.0)}
    killed = trials[p1_trial_k]
    assert killed.state == TrialState.FAIL
    assert killed.fail_reason == FailReason.STALE
    assert killed.fail_message is not None
    assert str(p1.pid) in killed.fail_message
    assert killed.intermediate_values == {
        s: pytest.approx(killed.params["x"] * s) for s in range(3)
    }
    assert trials[p2_trial].state == TrialState.RUNNING  # its process is alive

    release.write_text("go")
    p2.join(60)
    assert p2.exitcode == 0
    final = {t.number: t for t in study.get_trials()}
    assert final[p2_trial].state == TrialState.COMPLETE
    assert final[p2_trial].value == pytest.approx(10 * final[p2_trial].params["x"])
    assert final[p1_trial_k].state == TrialState.FAIL
    study.storage.close()


@pytest.mark.slow
def test_heartbeat_age_fails_hung_process_not_live_one(tmp_path: Path, db: Path) -> None:
    creator = SQLiteStorage(db)
    study_id = creator.create_new_study("hb", "minimize")
    creator.close()
    procs = []
    workers = {
        "hung": storage_workers.hang_between_heartbeats,
        "live": storage_workers.hold_with_heartbeat,
    }
    for tag, target in workers.items():
        ready = tmp_path / tag
        p = _spawn.Process(target=target, args=(str(db), "hb", 0.05, str(ready)))
        p.start()
        procs.append((p, ready))
    try:
        numbers = {}
        for (p, ready), tag in zip(procs, workers):
            _wait_for(ready, p)
            numbers[tag] = int(ready.read_text())
        # The hung worker stops itself between two heartbeats (never inside a write), so it
        # is alive but silent: only the age of its heartbeat can reveal it.
        _wait_until_stopped(procs[0][0].pid)  # type: ignore[arg-type]
        checker = SQLiteStorage(db, heartbeat_interval=0.05, grace_period=1.0)
        assert checker.fail_stale_trials(study_id) == []
        assert _poll_stale(checker, study_id) == [numbers["hung"]]
        trials = {t.number: t for t in checker.get_all_trials(study_id)}
        assert trials[numbers["hung"]].fail_reason == FailReason.STALE
        assert "heartbeat" in (trials[numbers["hung"]].fail_message or "")
        assert trials[numbers["live"]].state == TrialState.RUNNING
        checker.close()
    finally:
        for p, _ in procs:
            os.kill(p.pid, signal.SIGKILL)  # type: ignore[arg-type]
            p.join(30)


def _wait_until_stopped(pid: int, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
        assert time.monotonic() < deadline, f"process {pid} did not stop"
        time.sleep(0.01)


def _stored_heartbeats(path: str, study_id: int) -> dict[int, float | None]:
    """The heartbeat stored for each RUNNING trial of the study, by trial number."""
    conn = sqlite3.connect(path)
    try:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "SELECT number, heartbeat FROM trials WHERE study_id = ? AND state = 'RUNNING'",
            (study_id,),
        ).fetchall()
    finally:
        conn.close()
    return {row["number"]: row["heartbeat"] for row in rows}


def _poll_stale(checker: SQLiteStorage, study_id: int) -> list[int]:
    started = time.monotonic()
    while True:
        # Read before each check: a trial failed by the check had at most this heartbeat (they
        # only grow), so the age bound below holds however late the polling started.
        beats = _stored_heartbeats(checker.path, study_id)
        found = checker.fail_stale_trials(study_id)
        if found:
            break
        assert time.monotonic() - started < 30, "no trial became stale"
        time.sleep(0.05)
    # Nothing can go stale before the grace period has passed since its last heartbeat.
    now = time.time()  # heartbeats are wall-clock times
    for number in found:
        beat = beats[number]
        assert beat is not None and now - beat >= checker.grace_period, (number, now, beat)
    return found


def test_released_trial_goes_stale_after_grace(db: Path) -> None:
    owner = SQLiteStorage(db, heartbeat_interval=0.05, grace_period=0.3)
    checker = SQLiteStorage(db, heartbeat_interval=0.05, grace_period=0.5)
    sid = owner.create_new_study("rel", "minimize")
    kept = owner.create_new_trial(sid)
    released = owner.create_new_trial(sid)
    owner.release_trial(released.trial_id)
    assert _poll_stale(checker, sid) == [released.number]
    assert owner.get_trial(kept.trial_id).state == TrialState.RUNNING
    assert owner.get_trial(released.trial_id).state == TrialState.FAIL
    # The trial still owned keeps beating, so even a tiny grace period leaves it RUNNING.
    assert owner.fail_stale_trials(sid) == []
    owner.close()
    checker.close()


def test_heartbeat_thread_does_not_keep_interpreter_alive(db: Path) -> None:
    script = Path(__file__).with_name("exit_with_running_trial.py")
    done = subprocess.run(
        [sys.executable, str(script), str(db)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "asked 0" in done.stdout
    with SQLiteStorageClosing(db) as s:
        sid = s.get_study_id("exit")
        assert s.fail_stale_trials(sid) == [0]


class SQLiteStorageClosing(SQLiteStorage):
    def __enter__(self) -> SQLiteStorage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- journal mode ---------------------------------------------------------------------------------
def test_wal_is_on_by_default(store: SQLiteStorage, db: Path) -> None:
    assert store.journal_mode == "wal"
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    plain = sqlite3.connect(db)
    assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    plain.close()


def test_falls_back_to_rollback_journal_without_shared_memory(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The unix-dotfile VFS has no shared-memory primitives, like many network filesystems.
    with caplog.at_level(logging.WARNING, logger="hpo_lab"):
        s = SQLiteStorage(f"file:{db}?vfs=unix-dotfile")
    assert s.journal_mode == "delete"
    assert any("WAL" in r.getMessage() and r.name == "hpo_lab" for r in caplog.records)
    study = hpo_lab.create_study(study_name="nfs", storage=s)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    s.close()
    plain = sqlite3.connect(db)
    assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert plain.execute("SELECT count(*) FROM trials").fetchone()[0] == 3
    plain.close()


# -- schema versions and migrations --------------------------------------------------------------
def _user_version(db: Path) -> int:
    plain = sqlite3.connect(db)
    try:
        return int(plain.execute("PRAGMA user_version").fetchone()[0])
    finally:
        plain.close()


def _columns(db: Path, table: str) -> set[str]:
    plain = sqlite3.connect(db)
    try:
        return {row[1] for row in plain.execute(f"PRAGMA table_info({table})")}
    finally:
        plain.close()


def _add_note_column(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE studies ADD COLUMN note TEXT NOT NULL DEFAULT 'v2'")


class _V2Storage(SQLiteStorage):
    schema_version = SCHEMA_VERSION + 1
    migrations: ClassVar[Mapping[int, Migration]] = {SCHEMA_VERSION: _add_note_column}


def test_new_file_records_schema_version(store: SQLiteStorage, db: Path) -> None:
    assert _user_version(db) == SCHEMA_VERSION
    assert {"studies", "trials", "space_revisions", "counters"} <= _tables(db)


def _tables(db: Path) -> set[str]:
    plain = sqlite3.connect(db)
    try:
        return {r[0] for r in plain.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        plain.close()


def test_older_file_is_upgraded_in_place(db: Path) -> None:
    old = SQLiteStorage(db)
    sid = old.create_new_study("kept", "maximize")
    t = old.create_new_trial(sid, params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)})
    old.finish_trial(t.trial_id, TrialState.COMPLETE, 2.0)
    old.close()

    new = _V2Storage(db)
    assert _user_version(db) == SCHEMA_VERSION + 1
    assert "note" in _columns(db, "studies")
    assert new.get_study_info(sid).direction == "maximize"
    assert new.get_trial(t.trial_id).value == 2.0
    new.close()
    # Code that knows only the older version refuses the newer file, naming both versions.
    with pytest.raises(
        SchemaVersionError, match=rf"version {SCHEMA_VERSION + 1}.*{SCHEMA_VERSION}"
    ):
        SQLiteStorage(db)


def test_failed_migration_leaves_file_untouched(db: Path) -> None:
    SQLiteStorage(db).close()

    def half_migration(conn: sqlite3.Connection) -> None:
        _add_note_column(conn)
        raise RuntimeError("migration bug")

    class Broken(SQLiteStorage):
        schema_version = SCHEMA_VERSION + 1
        migrations: ClassVar[Mapping[int, Migration]] = {SCHEMA_VERSION: half_migration}

    with pytest.raises(RuntimeError, match="migration bug"):
        Broken(db)
    assert _user_version(db) == SCHEMA_VERSION
    assert "note" not in _columns(db, "studies")

    class Gap(SQLiteStorage):
        schema_version = SCHEMA_VERSION + 2
        migrations: ClassVar[Mapping[int, Migration]] = {SCHEMA_VERSION: _add_note_column}

    with pytest.raises(
        SchemaVersionError, match=f"no migration from schema version {SCHEMA_VERSION + 1}"
    ):
        Gap(db)
    assert _user_version(db) == SCHEMA_VERSION


def test_newer_file_is_refused(db: Path) -> None:
    SQLiteStorage(db).close()
    plain = sqlite3.connect(db)
    plain.execute("PRAGMA user_version = 99")
    plain.close()
    with pytest.raises(
        SchemaVersionError, match=f"schema version 99, newer than version {SCHEMA_VERSION}"
    ):
        SQLiteStorage(db)


def test_foreign_sqlite_file_is_refused(db: Path) -> None:
    plain = sqlite3.connect(db)
    plain.execute("CREATE TABLE mine (a)")
    plain.commit()
    plain.close()
    with pytest.raises(SchemaVersionError, match="not written by hpo_lab"):
        SQLiteStorage(db)


# -- persistence ----------------------------------------------------------------------------------
def test_everything_persists_across_reopen(db: Path) -> None:
    s = SQLiteStorage(db)
    parent = s.create_new_study("parent", "minimize")
    child = s.create_new_study("child", "maximize", parent_id=parent)
    s.set_study_user_attr(child, "note", {"a": [1, 2]})
    rev = s.add_space_revision(child, {"x": FloatDistribution(0.2, 0.4)})
    t = s.create_new_trial(child, worker="w", revision=1)
    s.set_trial_param(t.trial_id, "x", 0.3, FloatDistribution(0, 1))
    s.report(t.trial_id, 2, 0.5)
    s.set_trial_attr(t.trial_id, "u", "v")
    done = s.finish_trial(t.trial_id, TrialState.COMPLETE, 0.25)
    waiting = s.create_new_trial(child, state=TrialState.WAITING, params={"x": 0.35})
    studies, revisions = s.get_all_studies(), s.get_space_revisions(child)
    s.close()

    again = SQLiteStorage(db)
    assert again.get_all_studies() == studies
    assert again.get_study_info(child).parent_id == parent
    assert again.get_space_revisions(child) == revisions
    assert revisions[1] == rev
    assert again.get_trial(t.trial_id) == done
    assert again.get_trial(waiting.trial_id) == waiting
    again.delete_study(parent)
    assert again.get_study_info(child).parent_id is None  # a deleted parent leaves no dangling id
    again.close()
    third = SQLiteStorage(db)
    assert [x.study_name for x in third.get_all_studies()] == ["child"]
    third.close()


def test_datetimes_are_naive_local(store: SQLiteStorage) -> None:
    sid = store.create_new_study("dt", "minimize")
    before = time.time()
    t = store.create_new_trial(sid)
    done = store.finish_trial(t.trial_id, TrialState.COMPLETE, 1.0)
    after = time.time()
    assert done.datetime_start is not None
    assert done.datetime_complete is not None
    assert done.datetime_start.tzinfo is None
    assert before - 1e-3 <= done.datetime_start.timestamp() <= done.datetime_complete.timestamp()
    assert done.datetime_complete.timestamp() <= after + 1e-3


# -- locking --------------------------------------------------------------------------------------
def _hold_write_lock(db: Path, seconds: float, locked: threading.Event) -> None:
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    locked.set()
    time.sleep(seconds)
    other.execute("COMMIT")
    other.close()


def test_waits_for_a_locked_file_instead_of_failing(store: SQLiteStorage, db: Path) -> None:
    sid = store.create_new_study("lock", "minimize")
    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db, 0.5, locked))
    holder.start()
    locked.wait(10)
    started = time.monotonic()
    t = store.create_new_trial(sid)
    waited = time.monotonic() - started
    holder.join()
    assert t.number == 0
    assert waited >= 0.3


def test_lock_held_past_timeout_raises_timeout_error(db: Path) -> None:
    s = SQLiteStorage(db, timeout=0.3)
    sid = s.create_new_study("lock", "minimize")
    locked = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db, 1.5, locked))
    holder.start()
    locked.wait(10)
    with pytest.raises(TimeoutError, match=r"runs\.db.*timeout=0\.3"):
        s.create_new_trial(sid)
    holder.join()
    assert s.create_new_trial(sid).number == 0  # no half-written trial was left behind
    s.close()


# -- storage arguments ----------------------------------------------------------------------------
def test_storage_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"'postgresql://u@h/db' is not supported.*sqlite:///"):
        get_storage("postgresql://u@h/db")
    with pytest.raises(ValueError, match="'sqlite:///' names no file"):
        get_storage("sqlite:///")
    with pytest.raises(TypeError, match="42"):
        get_storage(42)  # type: ignore[arg-type]
    by_path = get_storage("rel.db")
    assert isinstance(by_path, SQLiteStorage)
    assert by_path.path == str(tmp_path / "rel.db")
    assert get_storage("sqlite:///rel.db") is by_path
    assert get_storage(tmp_path / "rel.db") is by_path
    assert isinstance(get_storage(None), InMemoryStorage)
    by_path.close()
    reopened = get_storage("rel.db")
    assert reopened is not by_path  # a closed storage is never handed out again
    with pytest.raises(RuntimeError, match="closed"):
        by_path.get_all_studies()
    reopened.close()


def test_bad_constructor_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="heartbeat_interval must be > 0"):
        SQLiteStorage(tmp_path / "a.db", heartbeat_interval=0)
    with pytest.raises(
        ValueError, match=r"grace_period must be > heartbeat_interval.*grace_period=1"
    ):
        SQLiteStorage(tmp_path / "a.db", heartbeat_interval=2, grace_period=1)
    with pytest.raises(ValueError, match="timeout must be > 0"):
        SQLiteStorage(tmp_path / "a.db", timeout=-1)
    with pytest.raises(ValueError, match="cannot open SQLite file"):
        SQLiteStorage(tmp_path / "missing-dir" / "a.db")
    assert SQLiteStorage(tmp_path / "b.db", heartbeat_interval=20).grace_period == 120


# -- differential check against the in-memory storage ------------------------------------------
_op = st.one_of(
    st.tuples(st.just("create"), st.sampled_from([TrialState.RUNNING, TrialState.WAITING])),
    st.tuples(st.just("pop"), st.none()),
    st.tuples(st.just("param"), st.integers(0, 6), st.floats(0, 1)),
    st.tuples(st.just("report"), st.integers(0, 6), st.integers(0, 3), st.floats(-5, 5)),
    st.tuples(st.just("attr"), st.integers(0, 6), st.sampled_from(["a", "b"]), st.booleans()),
    st.tuples(
        st.just("finish"),
        st.integers(0, 6),
        st.sampled_from([TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL]),
    ),
)


def _apply(store: BaseStorage, sid: int, op: tuple[Any, ...]) -> object:
    ids = [t.trial_id for t in store.get_all_trials(sid)]
    kind = op[0]
    try:
        if kind == "create":
            return store.create_new_trial(sid, state=op[1], params={"p": 1})
        if kind == "pop":
            return store.pop_waiting_trial(sid)
        if not ids:
            return "no trial"
        tid = ids[op[1] % len(ids)]
        if kind == "param":
            return store.set_trial_param(tid, "x", op[2], FloatDistribution(0, 1))
        if kind == "report":
            return store.report(tid, op[2], op[3])
        if kind == "attr":
            store.set_trial_attr(tid, op[2], [op[1]], system=op[3])
            return store.get_trial(tid)
        return store.finish_trial(tid, op[2], 1.5, FailReason.EXCEPTION, "boom")
    except (TrialFinishedError, ValueError, KeyError) as exc:
        return type(exc).__name__


def _plain(result: object) -> object:
    if isinstance(result, hpo_lab.FrozenTrial):
        return result.replace(trial_id=-1, datetime_start=None, datetime_complete=None)
    return result


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_op, max_size=25))
def test_sqlite_behaves_like_in_memory(ops: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_store = SQLiteStorage(Path(tmp) / "diff.db")
        memory_store = InMemoryStorage()
        stores = [
            (sqlite_store, sqlite_store.create_new_study("d", "minimize"), [0]),
            (memory_store, memory_store.create_new_study("d", "minimize"), [0]),
        ]
        for op in ops:
            results = []
            changes = []
            for store, sid, cursor in stores:
                results.append(_plain(_apply(store, sid, op)))
                changed, cursor[0] = store.get_trials_since(sid, cursor[0])
                changes.append([_plain(t) for t in changed])
            assert results[0] == results[1], op
            assert changes[0] == changes[1], op
        final = [[_plain(t) for t in store.get_all_trials(sid)] for store, sid, _ in stores]
        assert final[0] == final[1]
        sqlite_store.close()


def test_opening_an_up_to_date_file_takes_no_write_lock(db: Path) -> None:
    SQLiteStorage(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process is mid-write (or stopped mid-write)
    try:
        started = time.monotonic()
        store = SQLiteStorage(db, timeout=2.0)
        assert time.monotonic() - started < 1.0
        assert store.get_all_studies() == []
        store.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_an_old_sqlite_library_is_a_clear_error(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hpo_lab.storages._sqlite as sqlite_module

    monkeypatch.setattr(sqlite_module, "_SQLITE_VERSION", (3, 34, 1))
    with pytest.raises(RuntimeError, match=r"needs SQLite >= 3\.35\.0 \(for RETURNING\)"):
        SQLiteStorage(db)
    assert not db.exists()

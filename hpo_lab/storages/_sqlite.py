"""A storage in one SQLite file, shared safely by threads and by processes.

Design notes:

* stdlib :mod:`sqlite3` only; the file is in WAL mode where the filesystem allows it (readers
  never block the writer), ``synchronous=NORMAL`` (a power cut may lose the last commits, never
  corrupt the file).
* Every write is one short ``BEGIN IMMEDIATE`` transaction, so two writers never deadlock on a
  read-to-write upgrade; "database is locked" is retried with backoff until ``timeout``.
* Everything a trial holds lives in its row, dictionaries as JSON text: reading a trial is one
  indexed row lookup. Nothing is ever pickled.
* A global counter, bumped inside each trial write, is stored in the row (``version``); since
  writes are serialised by SQLite, versions grow in commit order, which makes
  ``get_trials_since`` exact across processes.
* Crash safety: each storage object has an owner token (host, pid, random part). The RUNNING
  trials it owns get a heartbeat from a daemon thread; :meth:`SQLiteStorage.fail_stale_trials`
  fails RUNNING trials whose owner process is dead (same host) or whose heartbeat is too old.
"""

from __future__ import annotations

import atexit
import datetime
import logging
import os
import random
import secrets
import shutil
import socket
import sqlite3
import threading
import time
import urllib.parse
import weakref
from collections.abc import Callable, Container, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from hpo_lab import _json
from hpo_lab.distributions import dict_to_distribution
from hpo_lab.search_space._revision import (
    SpaceRevision,
    constraints_from_json,
    constraints_to_json,
)
from hpo_lab.storages._base import (
    ArtifactInfo,
    BaseStorage,
    DuplicatedStudyError,
    RevisionConflictError,
    StorageError,
    StudyInfo,
    StudyNotFoundError,
    TrialFinishedError,
    prepare_added_trial,
    prepare_new_trial,
)
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import FailReason, TrialState

if TYPE_CHECKING:
    from hpo_lab.distributions import Distribution

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Migration",
    "SQLiteStorage",
    "SchemaVersionError",
]

_logger = logging.getLogger("hpo_lab")
_T = TypeVar("_T")

Migration = Callable[[sqlite3.Connection], None]

#: The schema version this code writes. Files with a lower ``PRAGMA user_version`` are upgraded
#: on open; files with a higher one are refused.
SCHEMA_VERSION = 2

#: ``from_version -> function`` upgrading a file from ``from_version`` to ``from_version + 1``.
#: Each runs inside the single transaction that upgrades the file, so an upgrade either completes
#: or leaves the file as it was. Version 1 is the base schema (see ``_create_base_schema``).
MIGRATIONS: dict[int, Migration] = {}

_BASE_SCHEMA = """
CREATE TABLE studies (
    study_id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_name TEXT NOT NULL UNIQUE,
    direction TEXT NOT NULL CHECK (direction IN ('minimize', 'maximize')),
    parent_id INTEGER REFERENCES studies (study_id) ON DELETE SET NULL,
    datetime_created REAL NOT NULL,
    user_attrs TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE space_revisions (
    study_id INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
    number INTEGER NOT NULL CHECK (number >= 1),
    constraints TEXT NOT NULL,
    datetime_created REAL NOT NULL,
    PRIMARY KEY (study_id, number)
);
CREATE TABLE trials (
    trial_id INTEGER PRIMARY KEY AUTOINCREMENT,
    study_id INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    state TEXT NOT NULL
        CHECK (state IN ('WAITING', 'RUNNING', 'COMPLETE', 'PRUNED', 'FAIL')),
    value REAL,
    params TEXT NOT NULL DEFAULT '{}',
    distributions TEXT NOT NULL DEFAULT '{}',
    user_attrs TEXT NOT NULL DEFAULT '{}',
    system_attrs TEXT NOT NULL DEFAULT '{}',
    intermediate_values TEXT NOT NULL DEFAULT '{}',
    datetime_start REAL,
    datetime_complete REAL,
    revision INTEGER NOT NULL DEFAULT 0,
    fail_reason TEXT,
    fail_message TEXT,
    worker TEXT,
    owner TEXT,
    heartbeat REAL,
    version INTEGER NOT NULL,
    UNIQUE (study_id, number)
);
CREATE INDEX trials_study_version ON trials (study_id, version);
CREATE INDEX trials_study_state ON trials (study_id, state, number);
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('version', 0);
"""

_COLUMNS = (
    "trial_id, number, state, value, params, distributions, user_attrs, system_attrs, "
    "intermediate_values, datetime_start, datetime_complete, revision, fail_reason, "
    "fail_message, worker, decisions, parent_trial_id, parent_number, created_version, "
    "report_versions, finished_version"
)
# The same columns named through their table, for a join with a table that has a ``value``.
_TRIAL_COLUMNS = ", ".join(f"trials.{c.strip()}" for c in _COLUMNS.split(","))


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    """Pruning decisions, trial-to-trial links, per-event cursors, study system attributes and
    the artifact table."""
    for statement in (
        "ALTER TABLE trials ADD COLUMN decisions TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE trials ADD COLUMN parent_trial_id INTEGER "
        "REFERENCES trials (trial_id) ON DELETE SET NULL",
        "ALTER TABLE trials ADD COLUMN parent_number INTEGER",
        "ALTER TABLE trials ADD COLUMN created_version INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE trials ADD COLUMN report_versions TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE trials ADD COLUMN finished_version INTEGER",
        "ALTER TABLE studies ADD COLUMN system_attrs TEXT NOT NULL DEFAULT '{}'",
        # Rows written before this version finished at their last change at the latest.
        "UPDATE trials SET finished_version = version "
        "WHERE state IN ('COMPLETE', 'PRUNED', 'FAIL')",
        """CREATE TABLE artifacts (
            artifact_id INTEGER PRIMARY KEY AUTOINCREMENT,
            study_id INTEGER NOT NULL REFERENCES studies (study_id) ON DELETE CASCADE,
            trial_id INTEGER REFERENCES trials (trial_id) ON DELETE SET NULL,
            trial_number INTEGER,
            name TEXT NOT NULL,
            relpath TEXT NOT NULL,
            size INTEGER NOT NULL,
            datetime_created REAL NOT NULL
        )""",
        "CREATE INDEX artifacts_study ON artifacts (study_id, trial_id)",
    ):
        conn.execute(statement)


MIGRATIONS[1] = _migrate_1_to_2

# Lower bound for the default grace period, so that a short heartbeat interval does not make a
# trial stale after one slow commit.
_MIN_GRACE = 5.0


class SchemaVersionError(StorageError):
    """The file was written by a newer hpo_lab (or is not an hpo_lab file)."""


#: ``UPDATE ... RETURNING`` appeared in SQLite 3.35.0 (2021).
_MIN_SQLITE = (3, 35, 0)
_SQLITE_VERSION = tuple(int(p) for p in sqlite3.sqlite_version.split(".")[:3])


def _create_base_schema(conn: sqlite3.Connection) -> None:
    for statement in _BASE_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _is_file_problem(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return any(
        word in text
        for word in ("not a database", "malformed", "corrupt", "readonly", "read-only",
                     "unable to open", "disk i/o")
    )


def _writable(path: str) -> bool:
    folder = os.path.dirname(path) or "."
    return os.access(path, os.W_OK) and os.access(folder, os.W_OK | os.X_OK)


def _ts(value: float | None) -> datetime.datetime | None:
    return None if value is None else datetime.datetime.fromtimestamp(value)


def _loads_dict(text: str) -> dict[str, Any]:
    return {} if text == "{}" else _json.loads(text)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OSError:
        return True
    # A killed child its parent has not reaped yet still answers signal 0; it is dead for us.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
        return stat[stat.rindex(")") + 2 :][:1] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False  # it ended between the signal and the read
    except (OSError, ValueError):
        return True


_live: weakref.WeakSet[SQLiteStorage] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    # Stop heartbeat threads before the interpreter tears down; they are daemons anyway, so an
    # exit never waits on them, this only makes the last beat not race finalisation.
    for store in list(_live):
        store._stop_heartbeat(join_timeout=1.0)


def _reset_locks_in_child() -> None:
    # A lock held by another thread at fork time would stay held forever in the child.
    for store in list(_live):
        store._lock = threading.RLock()


os.register_at_fork(after_in_child=_reset_locks_in_child)


class SQLiteStorage(BaseStorage):
    """Studies and trials in one SQLite file; safe for threads and for processes sharing it.

    Args:
        path: The database file (created if missing), or a SQLite ``file:`` URI such as
            ``"file:/data/runs.db?vfs=unix-dotfile"``.
        heartbeat_interval: Seconds between heartbeats of the RUNNING trials this object owns.
        grace_period: A RUNNING trial whose heartbeat is older than this many seconds is stale
            (even if its owner is on another host). Default ``max(6 * heartbeat_interval, 5)``:
            five missed beats, which survives a slow disk or a long busy wait for the lock.
        timeout: Seconds to keep retrying while another process holds the write lock, before
            ``TimeoutError``.
        create: Create the file if it does not exist (``False``: a missing file is a
            :class:`~hpo_lab.storages.StorageError`, as ``load_study`` wants).
        read_only: Open for reading only. A file this process cannot write (or whose folder
            it cannot write, which WAL mode needs) is opened read-only anyway, with a warning;
            ``read_only`` tells which it is. Writes then raise ``StorageError``.

    ``journal_mode`` tells whether the file is in ``"wal"`` mode; on filesystems without shared
    memory (some network filesystems) it falls back to the rollback journal with a warning on
    the ``"hpo_lab"`` logger. Artifacts (checkpoints, files) of study ``i`` live in the folder
    ``<path>.artifacts/study-<i>`` beside the file.

    Example:
        >>> import hpo_lab, os, tempfile
        >>> store = SQLiteStorage(os.path.join(tempfile.mkdtemp(), "runs.db"))
        >>> study = hpo_lab.create_study(study_name="s", storage=store)
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> store.journal_mode, len(study.trials)
        ('wal', 3)
        >>> store.close()
    """

    #: The schema version this class writes; a subclass may raise it and add migrations.
    schema_version: ClassVar[int] = SCHEMA_VERSION
    #: ``from_version -> migration``; see :data:`MIGRATIONS`.
    migrations: ClassVar[Mapping[int, Migration]] = MIGRATIONS

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        heartbeat_interval: float = 10.0,
        grace_period: float | None = None,
        timeout: float = 60.0,
        create: bool = True,
        read_only: bool = False,
    ) -> None:
        if not heartbeat_interval > 0:
            raise ValueError(
                f"heartbeat_interval must be > 0 seconds, but got {heartbeat_interval!r}"
            )
        if grace_period is None:
            grace_period = max(6.0 * heartbeat_interval, _MIN_GRACE)
        if not grace_period > heartbeat_interval:
            raise ValueError(
                "grace_period must be > heartbeat_interval, but got "
                f"grace_period={grace_period!r}, heartbeat_interval={heartbeat_interval!r}"
            )
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, but got {timeout!r}")
        spec = os.fspath(path)
        if not spec:
            raise ValueError("path must name a file, but got ''")
        if spec == ":memory:" or spec.startswith("file::memory:"):
            raise ValueError(
                f"SQLiteStorage needs a file, but got {spec!r}; for a study in memory pass "
                "storage=None (or InMemoryStorage())"
            )
        self._uri = spec.startswith("file:")
        self.path = spec if self._uri else os.path.abspath(os.path.expanduser(spec))
        self.heartbeat_interval = float(heartbeat_interval)
        self.grace_period = float(grace_period)
        self.timeout = float(timeout)
        self.journal_mode = ""
        self.read_only = bool(read_only)
        self._create = bool(create)
        # One connection, guarded by a lock: SQLite serialises writers anyway, and one
        # connection keeps its statement cache warm for every thread.
        self._lock = threading.RLock()
        self._closed = False
        self._dist_cache: dict[str, dict[str, Distribution]] = {}
        self._revisions: dict[int, list[SpaceRevision]] = {}
        self._study_names: dict[int, str] = {}
        self._owned: set[int] = set()
        self._hb_thread: threading.Thread | None = None
        self._hb_stop = threading.Event()
        self._abandoned: list[sqlite3.Connection] = []
        self._host = socket.gethostname()
        self._pid = os.getpid()
        self.owner = self._new_owner()
        self._conn = self._open()
        _live.add(self)

    # -- connection, transactions --------------------------------------------------------------
    def _new_owner(self) -> str:
        return f"{self._host}:{os.getpid()}:{secrets.token_hex(4)}"

    def _file_path(self) -> str | None:
        """The file's path on disk (``None`` for a URI whose path cannot be told)."""
        if not self._uri:
            return self.path
        rest = self.path[len("file:") :].split("?", 1)[0]
        if rest.startswith("//"):
            rest = rest[2:]
            if not rest.startswith("/"):  # file://host/path: only an empty host is local
                return None
        return urllib.parse.unquote(rest) if rest else None

    def _open(self) -> sqlite3.Connection:
        if _SQLITE_VERSION < _MIN_SQLITE:
            raise RuntimeError(
                f"SQLiteStorage needs SQLite >= {'.'.join(map(str, _MIN_SQLITE))} (for "
                f"RETURNING), but this Python links SQLite {sqlite3.sqlite_version}; use a newer "
                "Python build or the in-memory storage"
            )
        file_path = self._file_path()
        if file_path is not None:
            exists = os.path.exists(file_path)
            if not exists and not self._create:
                raise StorageError(
                    f"no SQLite file at {file_path!r} (an existing study was asked for, so none "
                    "is created; create_study makes new files)"
                )
            if exists and os.path.isdir(file_path):
                raise StorageError(f"{file_path!r} is a folder, not an SQLite file")
            if exists and not self.read_only and not self._uri and not _writable(file_path):
                _logger.warning(
                    "SQLite file %s is read-only here (this process cannot write it or its "
                    "folder); it is opened for reading only",
                    file_path,
                )
                self.read_only = True
        target, uri = self.path, self._uri
        if self.read_only and not self._uri:
            target, uri = f"file:{urllib.parse.quote(self.path)}?mode=ro", True
        conn = self._connect(target, uri)
        try:
            self._retry(lambda: self._setup(conn))
        except sqlite3.DatabaseError as exc:
            conn.close()
            if self.read_only and not self._uri and _is_file_problem(exc):
                # WAL needs a shared-memory file beside the database; in a folder nobody may
                # write, SQLite can still read the file as immutable.
                conn = self._connect(
                    f"file:{urllib.parse.quote(self.path)}?mode=ro&immutable=1", True
                )
                try:
                    self._retry(lambda: self._setup(conn))
                except BaseException:
                    conn.close()
                    raise
                return conn
            raise self._file_error(exc) from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _connect(self, target: str, uri: bool) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                target,
                timeout=self.timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=uri,
                cached_statements=256,
            )
        except sqlite3.Error as exc:
            raise self._file_error(exc) from None
        conn.row_factory = sqlite3.Row
        return conn

    def _file_error(self, exc: BaseException) -> StorageError:
        text = str(exc)
        lowered = text.lower()
        if "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
            return StorageError(
                f"{self.path!r} is not a readable SQLite database ({text}): it may be another "
                "kind of file, truncated or corrupt"
            )
        if "readonly" in lowered or "read-only" in lowered:
            return StorageError(f"SQLite file {self.path!r} is read-only ({text})")
        return StorageError(f"cannot open SQLite file {self.path!r}: {text}")

    def _setup(self, conn: sqlite3.Connection) -> None:
        # A file shared with others must not run code planted in its schema (triggers, views
        # calling functions) on our writes.
        conn.execute("PRAGMA trusted_schema=OFF")
        if self.read_only:
            mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        else:
            mode = str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
            if mode != "wal" and mode != self.journal_mode:
                _logger.warning(
                    "SQLite file %s cannot use WAL (the filesystem or VFS lacks shared "
                    "memory); falling back to the %r rollback journal: readers and the writer "
                    "will block each other",
                    self.path,
                    mode,
                )
            conn.execute("PRAGMA synchronous=NORMAL")
        self.journal_mode = mode
        conn.execute("PRAGMA foreign_keys=ON")
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        # Opening a file that is already up to date takes no lock: a writer holding the lock
        # (or a stopped process that held it) must not keep readers from opening the file.
        if found == self.schema_version:
            self._check_tables(conn)
            return
        if found > self.schema_version:
            raise SchemaVersionError(
                f"SQLite file {self.path!r} has schema version {found}, newer than version "
                f"{self.schema_version} that this hpo_lab knows; upgrade hpo_lab to open it"
            )
        if self.read_only:
            raise StorageError(
                f"SQLite file {self.path!r} has schema version {found} and is read-only: "
                f"hpo_lab must upgrade it to version {self.schema_version} before reading it; "
                "open a writable copy"
            )
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._migrate(conn)
            self._check_tables(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _check_tables(self, conn: sqlite3.Connection) -> None:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = {"studies", "trials", "space_revisions", "counters"} - names
        if missing:
            raise SchemaVersionError(
                f"SQLite file {self.path!r} says schema version {self.schema_version} but lacks "
                f"the tables {sorted(missing)}; it was not written by hpo_lab"
            )
        # hpo_lab creates no triggers. One found in a shared file would run on every write
        # (trusted_schema=OFF stops only unsafe functions, not plain SQL), changing results
        # behind our back: refuse the file rather than write to it.
        triggers = sorted(
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
        )
        if triggers:
            raise StorageError(
                f"SQLite file {self.path!r} holds triggers that hpo_lab did not create "
                f"({', '.join(triggers)}); they would run on every write, so the file is not "
                "opened. Remove them (DROP TRIGGER) if you trust the file"
            )

    def _migrate(self, conn: sqlite3.Connection) -> None:
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
        target = self.schema_version
        if found == target:
            return
        if found == 0:
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise SchemaVersionError(
                    f"SQLite file {self.path!r} has schema version 0 but already holds tables; "
                    "it was not written by hpo_lab"
                )
            _create_base_schema(conn)
            found = 1
        for version in range(found, target):
            migration = self.migrations.get(version)
            if migration is None:
                raise SchemaVersionError(
                    f"no migration from schema version {version} to {version + 1} "
                    f"(file {self.path!r}, code version {target})"
                )
            migration(conn)
        conn.execute(f"PRAGMA user_version = {int(target)}")

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise RuntimeError(f"the SQLite storage of {self.path!r} is closed")
        if os.getpid() != self._pid:
            self._after_fork()
        return self._conn

    def _after_fork(self) -> None:
        # A connection must not be used across fork; closing it here could drop the parent's
        # locks, so it is only abandoned. Threads do not survive fork, nor does ownership.
        self._abandoned.append(self._conn)
        self._pid = os.getpid()
        self.owner = self._new_owner()
        self._owned = set()
        self._hb_thread = None
        self._hb_stop = threading.Event()
        self._conn = self._open()

    def _retry(self, fn: Callable[[], _T]) -> _T:
        deadline = time.monotonic() + self.timeout
        delay = 0.001
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"SQLite file {self.path!r} stayed locked by another writer for more "
                        f"than timeout={self.timeout} s ({exc})"
                    ) from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2.0, 0.05)

    def _write(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        if self.read_only:
            raise StorageError(
                f"SQLite file {self.path!r} is open read-only; it cannot be changed (open a "
                "writable copy to add trials)"
            )

        def attempt() -> _T:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

        with self._lock:
            try:
                return self._retry(attempt)
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and not _is_file_problem(exc):
                    raise
                raise self._file_error(exc) from None

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                return self._retry(lambda: self._connection().execute(sql, args).fetchall())
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and not _is_file_problem(exc):
                    raise
                raise self._file_error(exc) from None

    @staticmethod
    def _bump(conn: sqlite3.Connection) -> int:
        return int(
            conn.execute(
                "UPDATE counters SET value = value + 1 WHERE name = 'version' RETURNING value"
            ).fetchone()[0]
        )

    # -- row conversion ------------------------------------------------------------------------
    def _distributions(self, text: str) -> dict[str, Distribution]:
        cached = self._dist_cache.get(text)
        if cached is None:
            cached = {k: dict_to_distribution(v) for k, v in _json.loads(text).items()}
            if len(self._dist_cache) > 4096:
                self._dist_cache.clear()
            self._dist_cache[text] = cached
        return dict(cached)

    def _frozen(self, row: sqlite3.Row) -> FrozenTrial:
        column = "params"
        try:
            params = _loads_dict(row["params"])
            column = "distributions"
            dists = self._distributions(row["distributions"])
            column = "user_attrs"
            u_attrs = _loads_dict(row["user_attrs"])
            column = "system_attrs"
            s_attrs = _loads_dict(row["system_attrs"])
            column = "intermediate_values"
            iv = {int(k): v for k, v in _loads_dict(row["intermediate_values"]).items()}
            column = "decisions"
            decisions_text = row["decisions"]
            decisions = (
                ()
                if decisions_text == "[]"
                else tuple(PruneDecision.from_dict(d) for d in _json.loads(decisions_text))
            )
            column = "report_versions"
            cursors = {int(k): int(v) for k, v in _loads_dict(row["report_versions"]).items()}
            column = "state"
            state = TrialState(row["state"])
            column = "fail_reason"
            fail_reason = row["fail_reason"]
            reason = None if fail_reason is None else FailReason(fail_reason)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise StorageError(
                f"SQLite file {self.path!r}: trial {row['number']} (id {row['trial_id']}) has "
                f"an unreadable {column} column ({type(exc).__name__}: {exc}); the file is "
                "corrupt or was changed by another program"
            ) from None
        return FrozenTrial(
            number=row["number"],
            state=state,
            value=row["value"],
            params=params,
            distributions=dists,
            user_attrs=u_attrs,
            system_attrs=s_attrs,
            intermediate_values=iv,
            datetime_start=_ts(row["datetime_start"]),
            datetime_complete=_ts(row["datetime_complete"]),
            trial_id=row["trial_id"],
            revision=row["revision"],
            fail_reason=reason,
            fail_message=row["fail_message"],
            worker=row["worker"],
            decisions=decisions,
            parent_trial_id=row["parent_trial_id"],
            parent_number=row["parent_number"],
            created_cursor=row["created_version"],
            report_cursors=cursors,
            finished_cursor=row["finished_version"],
        )

    @staticmethod
    def _trial_row(conn: sqlite3.Connection, trial_id: int) -> sqlite3.Row:
        found = conn.execute(
            f"SELECT {_COLUMNS} FROM trials WHERE trial_id = ?", (trial_id,)
        ).fetchone()
        if found is None:
            raise KeyError(f"no trial with id {trial_id}")
        return found

    @staticmethod
    def _check_study(conn: sqlite3.Connection, study_id: int) -> None:
        if conn.execute("SELECT 1 FROM studies WHERE study_id = ?", (study_id,)).fetchone() is None:
            raise StudyNotFoundError(f"no study with id {study_id}")

    # -- studies -------------------------------------------------------------------------------
    def create_new_study(
        self, study_name: str, direction: str, parent_id: int | None = None
    ) -> int:
        if not isinstance(study_name, str) or not study_name:
            raise ValueError(f"study_name must be a non-empty string, but got {study_name!r}")
        if direction not in ("minimize", "maximize"):
            raise ValueError(f"direction must be 'minimize' or 'maximize', but got {direction!r}")

        def insert(conn: sqlite3.Connection) -> int:
            if (
                parent_id is not None
                and conn.execute(
                    "SELECT 1 FROM studies WHERE study_id = ?", (parent_id,)
                ).fetchone()
                is None
            ):
                raise StudyNotFoundError(f"no parent study with id {parent_id}")
            if (
                conn.execute("SELECT 1 FROM studies WHERE study_name = ?", (study_name,)).fetchone()
                is not None
            ):
                raise DuplicatedStudyError(f"a study named {study_name!r} already exists")
            cur = conn.execute(
                "INSERT INTO studies (study_name, direction, parent_id, datetime_created) "
                "VALUES (?, ?, ?, ?) RETURNING study_id",
                (study_name, direction, parent_id, time.time()),
            )
            return int(cur.fetchone()["study_id"])

        return self._write(insert)

    def delete_study(self, study_id: int) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            self._check_study(conn, study_id)
            conn.execute("DELETE FROM artifacts WHERE study_id = ?", (study_id,))
            conn.execute("DELETE FROM trials WHERE study_id = ?", (study_id,))
            conn.execute("DELETE FROM space_revisions WHERE study_id = ?", (study_id,))
            conn.execute("DELETE FROM studies WHERE study_id = ?", (study_id,))

        self._write(delete)
        self._revisions.pop(study_id, None)
        self._study_names.pop(study_id, None)
        folder = self._artifact_root()
        if folder is not None:
            shutil.rmtree(os.path.join(folder, f"study-{study_id}"), ignore_errors=True)

    def get_study_id(self, study_name: str) -> int:
        rows = self._read("SELECT study_id FROM studies WHERE study_name = ?", (study_name,))
        if not rows:
            raise StudyNotFoundError(f"no study named {study_name!r}")
        return int(rows[0]["study_id"])

    @staticmethod
    def _info(row: sqlite3.Row) -> StudyInfo:
        return StudyInfo(
            row["study_id"],
            row["study_name"],
            row["direction"],
            row["parent_id"],
            _ts(row["datetime_created"]),
            _loads_dict(row["user_attrs"]),
            _loads_dict(row["system_attrs"]),
        )

    def get_study_info(self, study_id: int) -> StudyInfo:
        rows = self._read(
            "SELECT study_id, study_name, direction, parent_id, datetime_created, user_attrs, "
            "system_attrs FROM studies WHERE study_id = ?",
            (study_id,),
        )
        if not rows:
            raise StudyNotFoundError(f"no study with id {study_id}")
        return self._info(rows[0])

    def get_all_studies(self) -> list[StudyInfo]:
        rows = self._read(
            "SELECT study_id, study_name, direction, parent_id, datetime_created, user_attrs, "
            "system_attrs FROM studies ORDER BY study_id"
        )
        return [self._info(r) for r in rows]

    def _study_name(self, study_id: int) -> str:
        name = self._study_names.get(study_id)
        if name is None:
            name = self.get_study_info(study_id).study_name
            self._study_names[study_id] = name
        return name

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, key, value, "user_attrs")

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, key, value, "system_attrs")

    def _set_study_attr(self, study_id: int, key: str, value: Any, column: str) -> None:
        kind = "study system attribute" if column == "system_attrs" else "study user attribute"
        value = _json.check_jsonable(kind, key, value)

        def update(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                f"SELECT {column} FROM studies WHERE study_id = ?", (study_id,)
            ).fetchone()
            if row is None:
                raise StudyNotFoundError(f"no study with id {study_id}")
            attrs = _loads_dict(row[column])
            attrs[key] = value
            conn.execute(
                f"UPDATE studies SET {column} = ? WHERE study_id = ?",
                (_json.dumps(attrs), study_id),
            )

        self._write(update)

    def add_space_revision(
        self,
        study_id: int,
        constraints: Mapping[str, Distribution],
        *,
        based_on: int | None = None,
    ) -> SpaceRevision:
        text = _json.dumps(constraints_to_json(constraints))
        now = time.time()

        def insert(conn: sqlite3.Connection) -> int:
            self._check_study(conn, study_id)
            latest = int(
                conn.execute(
                    "SELECT COALESCE(MAX(number), 0) FROM space_revisions WHERE study_id = ?",
                    (study_id,),
                ).fetchone()[0]
            )
            if based_on is not None and latest != based_on:
                raise RevisionConflictError(
                    f"revision {latest} was added since revision {based_on}"
                )
            conn.execute(
                "INSERT INTO space_revisions (study_id, number, constraints, datetime_created) "
                "VALUES (?, ?, ?, ?)",
                (study_id, latest + 1, text, now),
            )
            return latest + 1

        number = self._write(insert)
        return SpaceRevision(number, dict(constraints), _ts(now))

    def get_space_revisions(self, study_id: int) -> list[SpaceRevision]:
        # Revisions are append-only, so only those newer than the cached ones are read; the
        # study row comes along to tell a missing study from one without new revisions.
        with self._lock:
            cached = self._revisions.get(study_id, [])
            rows = self._read(
                "SELECT s.datetime_created AS study_created, r.number, r.constraints, "
                "r.datetime_created FROM studies AS s LEFT JOIN space_revisions AS r "
                "ON r.study_id = s.study_id AND r.number > ? "
                "WHERE s.study_id = ? ORDER BY r.number",
                (len(cached) - 1, study_id),
            )
            if not rows:
                self._revisions.pop(study_id, None)
                raise StudyNotFoundError(f"no study with id {study_id}")
            revisions = cached or [SpaceRevision(0, {}, _ts(rows[0]["study_created"]))]
            revisions += [
                SpaceRevision(
                    r["number"],
                    constraints_from_json(_json.loads(r["constraints"])),
                    _ts(r["datetime_created"]),
                )
                for r in rows
                if r["number"] is not None
            ]
            self._revisions[study_id] = revisions
            return list(revisions)

    # -- trials --------------------------------------------------------------------------------
    def create_new_trial(
        self,
        study_id: int,
        *,
        state: TrialState = TrialState.RUNNING,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
        revision: int = 0,
        worker: str | None = None,
        parent_trial_id: int | None = None,
    ) -> FrozenTrial:
        p, dists, u_attrs, s_attrs = prepare_new_trial(
            state, params, distributions, user_attrs, system_attrs
        )
        running = state == TrialState.RUNNING
        now = time.time()
        owner = self.owner if running else None
        args = (
            state.value,
            _json.dumps(p),
            _json.dumps({k: d.to_dict() for k, d in dists.items()}),
            _json.dumps(u_attrs),
            _json.dumps(s_attrs),
            now if running else None,
            int(revision),
            worker,
            owner,
            now if running else None,
            parent_trial_id,
        )

        def insert(conn: sqlite3.Connection) -> sqlite3.Row:
            self._check_study(conn, study_id)
            parent_number = None
            if parent_trial_id is not None:
                parent_number = self._trial_row(conn, parent_trial_id)["number"]
            version = self._bump(conn)
            cur = conn.execute(
                "INSERT INTO trials (study_id, number, state, params, distributions, user_attrs,"
                " system_attrs, datetime_start, revision, worker, owner, heartbeat,"
                " parent_trial_id, parent_number, version, created_version) "
                "SELECT ?, COALESCE(MAX(number), -1) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                f"?, ? FROM trials WHERE study_id = ? RETURNING {_COLUMNS}",
                (study_id, *args, parent_number, version, version, study_id),
            )
            return cur.fetchone()

        with self._lock:
            row = self._write(insert)
            if running:
                self._own(row["trial_id"])
        return self._frozen(row)

    def add_trial(self, study_id: int, trial: FrozenTrial) -> FrozenTrial:
        trial = prepare_added_trial(trial)
        start = trial.datetime_start.timestamp() if trial.datetime_start else None
        end = trial.datetime_complete.timestamp() if trial.datetime_complete else None

        def insert(conn: sqlite3.Connection) -> sqlite3.Row:
            self._check_study(conn, study_id)
            version = self._bump(conn)
            cur = conn.execute(
                "INSERT INTO trials (study_id, number, state, value, params, distributions, "
                "user_attrs, system_attrs, intermediate_values, datetime_start, "
                "datetime_complete, revision, fail_reason, fail_message, worker, decisions, "
                "version, created_version, report_versions, finished_version) "
                "SELECT ?, COALESCE(MAX(number), -1) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                f"?, ?, ?, ?, ? FROM trials WHERE study_id = ? RETURNING {_COLUMNS}",
                (
                    study_id,
                    trial.state.value,
                    trial.value,
                    _json.dumps(trial.params),
                    _json.dumps({k: d.to_dict() for k, d in trial.distributions.items()}),
                    _json.dumps(trial.user_attrs),
                    _json.dumps(trial.system_attrs),
                    _json.dumps({str(k): v for k, v in trial.intermediate_values.items()}),
                    start,
                    end,
                    int(trial.revision),
                    trial.fail_reason.value if trial.fail_reason is not None else None,
                    trial.fail_message,
                    trial.worker,
                    _json.dumps([d.to_dict() for d in trial.decisions]),
                    version,
                    version,
                    _json.dumps({str(k): version for k in trial.intermediate_values}),
                    version,
                    study_id,
                ),
            )
            return cur.fetchone()

        return self._frozen(self._write(insert))

    def pop_waiting_trial(
        self, study_id: int, worker: str | None = None, revision: int | None = None
    ) -> FrozenTrial | None:
        # The common case (nothing enqueued) costs one read and no write lock.
        probe = self._read(
            "SELECT (SELECT 1 FROM studies WHERE study_id = ?) AS study, "
            "(SELECT 1 FROM trials WHERE study_id = ? AND state = 'WAITING' LIMIT 1) AS waiting",
            (study_id, study_id),
        )[0]
        if probe["study"] is None:
            raise StudyNotFoundError(f"no study with id {study_id}")
        if probe["waiting"] is None:
            return None

        def pop(conn: sqlite3.Connection) -> sqlite3.Row | None:
            found = conn.execute(
                "SELECT trial_id FROM trials WHERE study_id = ? AND state = 'WAITING' "
                "ORDER BY number LIMIT 1",
                (study_id,),
            ).fetchone()
            if found is None:
                return None
            now = time.time()
            cur = conn.execute(
                "UPDATE trials SET state = 'RUNNING', datetime_start = ?, worker = ?, "
                "revision = COALESCE(?, revision), owner = ?, heartbeat = ?, version = ? "
                f"WHERE trial_id = ? RETURNING {_COLUMNS}",
                (now, worker, revision, self.owner, now, self._bump(conn), found["trial_id"]),
            )
            return cur.fetchone()

        with self._lock:
            row = self._write(pop)
            if row is None:
                return None
            self._own(row["trial_id"])
        return self._frozen(row)

    def set_trial_param(
        self, trial_id: int, name: str, value: Any, distribution: Distribution
    ) -> FrozenTrial:
        value = _json.check_jsonable("parameter", name, value)
        dist_dict = distribution.to_dict()

        def update(conn: sqlite3.Connection) -> sqlite3.Row:
            row = self._running_row(conn, trial_id)
            params = _loads_dict(row["params"])
            params[name] = value
            dists = _json.loads(row["distributions"])
            dists[name] = dist_dict
            cur = conn.execute(
                "UPDATE trials SET params = ?, distributions = ?, version = ? "
                f"WHERE trial_id = ? RETURNING {_COLUMNS}",
                (_json.dumps(params), _json.dumps(dists), self._bump(conn), trial_id),
            )
            return cur.fetchone()

        return self._frozen(self._write(update))

    def report(self, trial_id: int, step: int, value: float) -> FrozenTrial:
        step_key, value_f = str(int(step)), float(value)

        def update(conn: sqlite3.Connection) -> sqlite3.Row:
            row = self._running_row(conn, trial_id)
            version = self._bump(conn)
            iv = _loads_dict(row["intermediate_values"])
            iv[step_key] = value_f
            cursors = _loads_dict(row["report_versions"])
            cursors[step_key] = version
            cur = conn.execute(
                "UPDATE trials SET intermediate_values = ?, report_versions = ?, version = ? "
                f"WHERE trial_id = ? RETURNING {_COLUMNS}",
                (_json.dumps(iv), _json.dumps(cursors), version, trial_id),
            )
            return cur.fetchone()

        return self._frozen(self._write(update))

    def add_decision(self, trial_id: int, decision: PruneDecision) -> FrozenTrial:
        text = _json.dumps(decision.to_dict())

        def update(conn: sqlite3.Connection) -> sqlite3.Row:
            old = self._running_row(conn, trial_id)["decisions"]
            # Appending to the JSON array as text spares parsing every earlier decision.
            new = f"[{text}]" if old == "[]" else f"{old[:-1]},{text}]"
            cur = conn.execute(
                f"UPDATE trials SET decisions = ?, version = ? WHERE trial_id = ? "
                f"RETURNING {_COLUMNS}",
                (new, self._bump(conn), trial_id),
            )
            return cur.fetchone()

        return self._frozen(self._write(update))

    def set_trial_attr(
        self, trial_id: int, key: str, value: Any, *, system: bool = False
    ) -> FrozenTrial:
        value = _json.check_jsonable("system attribute" if system else "user attribute", key, value)
        column = "system_attrs" if system else "user_attrs"

        def update(conn: sqlite3.Connection) -> sqlite3.Row:
            row = conn.execute(
                f"SELECT {column} FROM trials WHERE trial_id = ?", (trial_id,)
            ).fetchone()
            if row is None:
                raise KeyError(f"no trial with id {trial_id}")
            attrs = _loads_dict(row[column])
            attrs[key] = value
            cur = conn.execute(
                f"UPDATE trials SET {column} = ?, version = ? WHERE trial_id = ? "
                f"RETURNING {_COLUMNS}",
                (_json.dumps(attrs), self._bump(conn), trial_id),
            )
            return cur.fetchone()

        return self._frozen(self._write(update))

    def _running_row(self, conn: sqlite3.Connection, trial_id: int) -> sqlite3.Row:
        row = self._trial_row(conn, trial_id)
        if row["state"] != TrialState.RUNNING.value:
            raise TrialFinishedError(
                f"trial {row['number']} is {row['state']}; only a RUNNING trial takes params "
                "and reports"
            )
        return row

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        value: float | None = None,
        fail_reason: FailReason | None = None,
        fail_message: str | None = None,
    ) -> FrozenTrial:
        if not state.is_finished():
            raise ValueError(f"finish_trial needs a finished state, but got {state}")
        value = float(value) if value is not None and state == TrialState.COMPLETE else None
        reason = fail_reason.value if fail_reason is not None and state == TrialState.FAIL else None

        def update(conn: sqlite3.Connection) -> sqlite3.Row:
            found = conn.execute(
                "SELECT number, state FROM trials WHERE trial_id = ?", (trial_id,)
            ).fetchone()
            if found is None:
                raise KeyError(f"no trial with id {trial_id}")
            if TrialState(found["state"]).is_finished():
                raise TrialFinishedError(
                    f"trial {found['number']} is already finished ({found['state']}); it "
                    f"cannot become {state}"
                )
            now = time.time()
            version = self._bump(conn)
            cur = conn.execute(
                "UPDATE trials SET state = ?, value = ?, fail_reason = ?, fail_message = ?, "
                "datetime_start = COALESCE(datetime_start, ?), datetime_complete = ?, "
                "heartbeat = NULL, version = ?, finished_version = ? "
                f"WHERE trial_id = ? RETURNING {_COLUMNS}",
                (state.value, value, reason, fail_message, now, now, version, version, trial_id),
            )
            return cur.fetchone()

        row = self._write(update)
        self._owned.discard(trial_id)
        return self._frozen(row)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        rows = self._read(f"SELECT {_COLUMNS} FROM trials WHERE trial_id = ?", (trial_id,))
        if not rows:
            raise KeyError(f"no trial with id {trial_id}")
        return self._frozen(rows[0])

    @staticmethod
    def _state_filter(states: Container[TrialState] | None) -> tuple[str, tuple[str, ...]] | None:
        if states is None:
            return "", ()
        if isinstance(states, (list, tuple, set, frozenset)):
            values = tuple(TrialState(s).value for s in states)
            return f" AND state IN ({', '.join('?' * len(values))})", values
        return None  # an arbitrary container: filter in Python

    def get_all_trials(
        self, study_id: int, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        where = self._state_filter(states)
        clause, values = where if where is not None else ("", ())
        with self._lock:
            self._check_study_read(study_id)
            rows = self._read(
                f"SELECT {_COLUMNS} FROM trials WHERE study_id = ?{clause} ORDER BY number",
                (study_id, *values),
            )
        trials = [self._frozen(r) for r in rows]
        if where is None and states is not None:
            trials = [t for t in trials if t.state in states]
        return trials

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        where = self._state_filter(states)
        if where is None:
            return len(self.get_all_trials(study_id, states))
        clause, values = where
        with self._lock:
            self._check_study_read(study_id)
            rows = self._read(
                f"SELECT count(*) FROM trials WHERE study_id = ?{clause}", (study_id, *values)
            )
        return int(rows[0][0])

    def get_trials_since(self, study_id: int, cursor: int) -> tuple[list[FrozenTrial], int]:
        # One SELECT reads one snapshot, the store's counter with the changed rows (a row of
        # NULLs joined to the counter where none changed); versions commit in increasing order,
        # so every change after this snapshot gets a version above the cursor returned here.
        rows = self._read(
            f"SELECT counters.value AS store_cursor, {_TRIAL_COLUMNS} FROM counters "
            "LEFT JOIN trials ON trials.study_id = ? AND trials.version > ? "
            "WHERE counters.name = 'version' ORDER BY trials.number",
            (study_id, int(cursor)),
        )
        new_cursor = max(int(cursor), int(rows[0]["store_cursor"]))
        changed = [self._frozen(r) for r in rows if r["trial_id"] is not None]
        if not changed:
            self._check_study_read(study_id)
        return changed, new_cursor

    def _check_study_read(self, study_id: int) -> None:
        if not self._read("SELECT 1 FROM studies WHERE study_id = ?", (study_id,)):
            raise StudyNotFoundError(f"no study with id {study_id}")

    # -- artifacts -----------------------------------------------------------------------------
    def _artifact_root(self) -> str | None:
        file_path = self._file_path()
        return None if file_path is None else f"{file_path}.artifacts"

    def artifact_dir(self, study_id: int) -> str:
        root = self._artifact_root()
        if root is None:
            raise StorageError(
                f"SQLite URI {self.path!r} names no local file, so it has no artifact folder"
            )
        self._check_study_read(study_id)
        folder = os.path.join(root, f"study-{study_id}")
        if not self.read_only:
            os.makedirs(folder, exist_ok=True)
        return folder

    def _artifact(self, row: sqlite3.Row, folder: str) -> ArtifactInfo:
        return ArtifactInfo(
            row["artifact_id"],
            row["study_id"],
            row["trial_id"],
            row["trial_number"],
            row["name"],
            os.path.join(folder, row["relpath"]),
            row["size"],
            _ts(row["datetime_created"]),
        )

    def add_artifact(
        self, study_id: int, trial_id: int | None, name: str, relpath: str, size: int
    ) -> ArtifactInfo:
        folder = self.artifact_dir(study_id)

        def insert(conn: sqlite3.Connection) -> sqlite3.Row:
            self._check_study(conn, study_id)
            number = None if trial_id is None else self._trial_row(conn, trial_id)["number"]
            cur = conn.execute(
                "INSERT INTO artifacts (study_id, trial_id, trial_number, name, relpath, size, "
                "datetime_created) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (study_id, trial_id, number, name, relpath, int(size), time.time()),
            )
            return cur.fetchone()

        return self._artifact(self._write(insert), folder)

    def get_artifacts(self, study_id: int, trial_id: int | None = None) -> list[ArtifactInfo]:
        root = self._artifact_root() or ""
        folder = os.path.join(root, f"study-{study_id}")
        self._check_study_read(study_id)
        if trial_id is None:
            rows = self._read(
                "SELECT * FROM artifacts WHERE study_id = ? ORDER BY artifact_id", (study_id,)
            )
        else:
            rows = self._read(
                "SELECT * FROM artifacts WHERE study_id = ? AND trial_id = ? "
                "ORDER BY artifact_id",
                (study_id, trial_id),
            )
        return [self._artifact(r, folder) for r in rows]

    def forget_artifact(self, artifact_id: int) -> ArtifactInfo:
        def delete(conn: sqlite3.Connection) -> sqlite3.Row:
            row = conn.execute(
                "DELETE FROM artifacts WHERE artifact_id = ? RETURNING *", (artifact_id,)
            ).fetchone()
            if row is None:
                raise KeyError(f"no artifact with id {artifact_id}")
            return row

        row = self._write(delete)
        root = self._artifact_root() or ""
        return self._artifact(row, os.path.join(root, f"study-{row['study_id']}"))

    # -- crash safety --------------------------------------------------------------------------
    def _own(self, trial_id: int) -> None:
        self._owned.add(trial_id)
        thread = self._hb_thread
        if thread is None or not thread.is_alive():
            self._start_heartbeat()

    def _start_heartbeat(self) -> None:
        ref = weakref.ref(self)
        stop = self._hb_stop
        interval = self.heartbeat_interval

        def beat_forever() -> None:
            # Holds the storage only weakly, so an unused storage can still be collected.
            while not stop.wait(interval):
                store = ref()
                if store is None:
                    return
                try:
                    store._beat()
                except Exception as exc:  # a missed beat is survivable; dying silently is not
                    _logger.warning("heartbeat of %s failed: %s", store.path, exc)
                del store

        thread = threading.Thread(
            target=beat_forever,
            name=f"hpo_lab-heartbeat-{os.path.basename(self.path)}",
            daemon=True,
        )
        self._hb_thread = thread
        thread.start()

    def _beat(self) -> None:
        owned = list(self._owned)
        if not owned:
            return
        now = time.time()

        def update(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "UPDATE trials SET heartbeat = ? WHERE trial_id = ? AND owner = ? "
                "AND state = 'RUNNING'",
                [(now, tid, self.owner) for tid in owned],
            )

        with self._lock:
            if not self._closed:  # close() may have won the race for the lock
                self._write(update)

    def _stop_heartbeat(self, join_timeout: float) -> None:
        self._hb_stop.set()
        thread = self._hb_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(join_timeout)

    def release_trial(self, trial_id: int) -> None:
        """Stop the heartbeat of a trial this object created or popped.

        A released trial that stays RUNNING becomes stale once its heartbeat is older than
        ``grace_period`` (or at once if this process exits).
        """
        self._owned.discard(trial_id)

    def _is_stale(self, owner: str | None, heartbeat: float | None, now: float) -> str | None:
        parts = owner.rsplit(":", 2) if owner is not None else []
        if len(parts) == 3:
            host, pid_text = parts[0], parts[1]
            if host == self._host and pid_text.isdigit() and not _pid_alive(int(pid_text)):
                return f"its process (pid {pid_text} on {host}) is no longer running"
        if heartbeat is not None and now - heartbeat > self.grace_period:
            return (
                f"no heartbeat for {now - heartbeat:.1f} s (grace period {self.grace_period} s); "
                f"its owner {owner} is presumed dead"
            )
        return None

    def fail_stale_trials(self, study_id: int) -> list[int]:
        """Fail (reason ``stale``) RUNNING trials whose owner is dead; return their numbers.

        A trial is stale if its owner process ran on this host and is gone, or if its heartbeat
        is older than ``grace_period`` seconds. Trials owned by this object are never stale.

        Heartbeats are wall-clock times written by the owner and compared with this process's
        clock, so the clocks of the hosts sharing a file must agree to well within
        ``grace_period``. Should a live trial be failed anyway (a skewed clock, a long pause),
        its owner logs a warning when it finishes and drops its result; the run goes on.

        Example:
            >>> import os, tempfile
            >>> store = SQLiteStorage(os.path.join(tempfile.mkdtemp(), "runs.db"))
            >>> sid = store.create_new_study("s", "minimize")
            >>> _ = store.create_new_trial(sid)
            >>> store.fail_stale_trials(sid)
            []
            >>> store.close()
        """
        if self.read_only:
            return []
        rows = self._read(
            "SELECT trial_id, number, owner, heartbeat FROM trials "
            "WHERE study_id = ? AND state = 'RUNNING'",
            (study_id,),
        )
        now = time.time()
        stale: list[tuple[int, int, str | None, str]] = []
        for row in rows:
            trial_id, owner = row["trial_id"], row["owner"]
            if owner == self.owner and trial_id in self._owned:
                continue
            why = self._is_stale(owner, row["heartbeat"], now)
            if why is not None:
                stale.append((trial_id, row["number"], owner, why))
        if not stale:
            return []

        def update(conn: sqlite3.Connection) -> list[int]:
            done = []
            for trial_id, number, owner, why in stale:
                version = self._bump(conn)
                cur = conn.execute(
                    "UPDATE trials SET state = 'FAIL', fail_reason = ?, fail_message = ?, "
                    "datetime_complete = ?, heartbeat = NULL, version = ?, finished_version = ? "
                    "WHERE trial_id = ? AND state = 'RUNNING' AND owner IS ?",
                    (
                        FailReason.STALE.value,
                        f"trial {number} was left RUNNING: {why}",
                        time.time(),
                        version,
                        version,
                        trial_id,
                        owner,
                    ),
                )
                if cur.rowcount:
                    done.append(number)
            return done

        numbers = self._write(update)
        if numbers:
            name = self._study_name(study_id)
            for number in numbers:
                _logger.warning(
                    "trial %d of study %r was left RUNNING by a process that is gone; "
                    "marked FAIL (stale)",
                    number,
                    name,
                )
        return numbers

    def close(self) -> None:
        """Stop the heartbeat and close the file; further use raises ``RuntimeError``."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._stop_heartbeat(join_timeout=max(1.0, self.heartbeat_interval))
        with self._lock:
            if os.getpid() == self._pid:
                self._conn.close()
        _live.discard(self)
        from hpo_lab import storages

        with storages._open_lock:
            if storages._open_files.get(self.path) is self:
                del storages._open_files[self.path]

    def __repr__(self) -> str:
        return f"SQLiteStorage({self.path!r})"

"""Where studies and trials live: in memory, or in an embedded SQLite file."""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

from hpo_lab.storages._base import (
    ArtifactInfo,
    BaseStorage,
    DuplicatedStudyError,
    RevisionConflictError,
    StorageError,
    StudyInfo,
    StudyNotFoundError,
    TrialFinishedError,
)
from hpo_lab.storages._in_memory import InMemoryStorage

__all__ = [
    "ArtifactInfo",
    "BaseStorage",
    "DuplicatedStudyError",
    "InMemoryStorage",
    "RevisionConflictError",
    "SQLiteStorage",
    "StorageError",
    "StudyInfo",
    "StudyNotFoundError",
    "TrialFinishedError",
    "get_storage",
]

_open_lock = threading.Lock()
_open_files: weakref.WeakValueDictionary[str, BaseStorage] = weakref.WeakValueDictionary()


_MEMORY = (":memory:", "sqlite:///:memory:", "sqlite://")


def _sqlite_path(spec: str) -> str:
    """The path (or ``file:`` URI) a storage string names."""
    if spec.startswith("sqlite:///"):
        path = spec[len("sqlite:///") :]
    elif "://" in spec and not spec.startswith("file:"):
        raise ValueError(
            f"storage {spec!r} is not supported: use a file path, 'sqlite:///path.db' or a "
            "SQLite 'file:' URI"
        )
    else:
        path = spec
    if not path:
        raise ValueError(f"storage {spec!r} names no file")
    if path.startswith("file:"):
        return path
    return os.path.abspath(os.path.expanduser(path))


def get_storage(
    storage: str | os.PathLike[str] | BaseStorage | None, *, create: bool = True
) -> BaseStorage:
    """Resolve a storage argument.

    ``None``, ``":memory:"`` or ``"sqlite:///:memory:"`` give a new in-memory storage; a path,
    ``"sqlite:///path.db"`` or a SQLite ``"file:..."`` URI gives the SQLite storage of that
    file (one shared object per file within a process); a storage is returned as is. With
    ``create=False`` a missing file is a :class:`StorageError` instead of a new database.

    Example:
        >>> isinstance(get_storage(None), InMemoryStorage)
        True
        >>> isinstance(get_storage("sqlite:///:memory:"), InMemoryStorage)
        True
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, (str, os.PathLike)):
        spec = os.fspath(storage)
        if spec in _MEMORY:
            return InMemoryStorage()
        path = _sqlite_path(spec)
        with _open_lock:
            existing = _open_files.get(path)
            if existing is not None:
                return existing
            from hpo_lab.storages._sqlite import SQLiteStorage

            store = SQLiteStorage(path, create=create)
            _open_files[path] = store
            return store
    raise TypeError(f"storage must be None, a path or a storage object, but got {storage!r}")


def __getattr__(name: str) -> Any:
    if name == "SQLiteStorage":
        from hpo_lab.storages._sqlite import SQLiteStorage

        return SQLiteStorage
    raise AttributeError(name)

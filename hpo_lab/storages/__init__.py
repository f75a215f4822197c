"""Where studies and trials live: in memory, or in an embedded SQLite file."""

from __future__ import annotations

import os
import threading
import weakref
from typing import Any

from hpo_lab.storages._base import (
    BaseStorage,
    DuplicatedStudyError,
    StudyInfo,
    StudyNotFoundError,
    TrialFinishedError,
)
from hpo_lab.storages._in_memory import InMemoryStorage

__all__ = [
    "BaseStorage",
    "DuplicatedStudyError",
    "InMemoryStorage",
    "SQLiteStorage",
    "StudyInfo",
    "StudyNotFoundError",
    "TrialFinishedError",
    "get_storage",
]

_open_lock = threading.Lock()
_open_files: weakref.WeakValueDictionary[str, BaseStorage] = weakref.WeakValueDictionary()


def _sqlite_path(spec: str) -> str:
    if spec.startswith("sqlite:///"):
        path = spec[len("sqlite:///") :]
    elif "://" in spec:
        raise ValueError(
            f"storage {spec!r} is not supported: use a file path or 'sqlite:///path.db'"
        )
    else:
        path = spec
    if not path:
        raise ValueError("storage path is empty")
    return os.path.abspath(os.path.expanduser(path))


def get_storage(storage: str | os.PathLike[str] | BaseStorage | None) -> BaseStorage:
    """Resolve a storage argument.

    ``None`` gives a new in-memory storage; a path or ``"sqlite:///path.db"`` gives the SQLite
    storage of that file (one shared object per file within a process); a storage is returned
    as is.

    Example:
        >>> isinstance(get_storage(None), InMemoryStorage)
        True
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, (str, os.PathLike)):
        path = _sqlite_path(os.fspath(storage))
        with _open_lock:
            existing = _open_files.get(path)
            if existing is not None:
                return existing
            from hpo_lab.storages._sqlite import SQLiteStorage

            store = SQLiteStorage(path)
            _open_files[path] = store
            return store
    raise TypeError(f"storage must be None, a path or a storage object, but got {storage!r}")


def __getattr__(name: str) -> Any:
    if name == "SQLiteStorage":
        from hpo_lab.storages._sqlite import SQLiteStorage

        return SQLiteStorage
    raise AttributeError(name)

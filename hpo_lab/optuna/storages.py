"""``optuna.storages`` on hpo_lab: SQLite files and memory.

``RDBStorage("sqlite:///path.db")`` opens hpo_lab's SQLite store of that file (hpo_lab's own
schema: to move an Optuna database over, use :func:`hpo_lab.optuna.import_study`). Other
database URLs are refused with a message.

Example:
    >>> import hpo_lab
    >>> type(RDBStorage("sqlite:///:memory:")).__name__
    'InMemoryStorage'
"""

from __future__ import annotations

from typing import Any

from hpo_lab.storages import BaseStorage, InMemoryStorage, get_storage

__all__ = ["BaseStorage", "InMemoryStorage", "RDBStorage"]


class RDBStorage:
    """Opens the hpo_lab storage of a ``sqlite:///`` URL (the object returned is that storage).

    ``heartbeat_interval`` and ``grace_period`` are hpo_lab's SQLite settings of the same
    names; Optuna's SQLAlchemy options (``engine_kwargs``...) have no meaning here.
    """

    def __new__(  # type: ignore[misc]
        cls,
        url: str,
        engine_kwargs: dict[str, Any] | None = None,
        skip_compatibility_check: bool = False,
        *,
        heartbeat_interval: int | None = None,
        grace_period: int | None = None,
        failed_trial_callback: Any = None,
        skip_table_creation: bool = False,
    ) -> BaseStorage:
        if heartbeat_interval is None and grace_period is None:
            return get_storage(url)
        from hpo_lab.storages import SQLiteStorage

        kwargs: dict[str, Any] = {}
        if heartbeat_interval is not None:
            kwargs["heartbeat_interval"] = float(heartbeat_interval)
        if grace_period is not None:
            kwargs["grace_period"] = float(grace_period)
        if not url.startswith("sqlite:///"):
            get_storage(url)  # the same one-line refusal as without heartbeats
        return SQLiteStorage(url[len("sqlite:///"):], **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("JournalStorage", "JournalFileBackend", "JournalRedisBackend", "GrpcStorageProxy"):
        raise AttributeError(
            f"optuna.storages.{name} has no hpo_lab counterpart: hpo_lab stores studies in "
            "SQLite files (several processes may share one) or in memory"
        )
    raise AttributeError(f"module 'optuna.storages' (hpo_lab) has no attribute {name!r}")

"""Every built-in storage runs through the shared storage contract."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import hpo_lab.storages
from hpo_lab.storages import BaseStorage, InMemoryStorage
from hpo_lab.storages._sqlite import SQLiteStorage
from hpo_lab.testing.pytest_storages import StorageContract, StorageFactory


class TestInMemoryStorage(StorageContract):
    storage_class = InMemoryStorage

    @pytest.fixture
    def storage_factory(self) -> StorageFactory:
        return InMemoryStorage


class TestSQLiteStorage(StorageContract):
    storage_class = SQLiteStorage

    @pytest.fixture
    def storage_factory(self, tmp_path: Path) -> StorageFactory:
        return lambda: SQLiteStorage(tmp_path / "contract.db")


class TestSQLiteStorageReopened(StorageContract):
    """Each test reads through a second storage object on the same file, as another process
    would: nothing may depend on state cached in the object that wrote it."""

    storage_class = SQLiteStorage

    @pytest.fixture
    def storage_factory(self, tmp_path: Path) -> StorageFactory:
        return lambda: _TwoHandles(tmp_path / "contract.db")


class _TwoHandles(SQLiteStorage):
    """Writes through this object, reads through a second one on the same file."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._reader = SQLiteStorage(path)
        for name in (
            "get_trial",
            "get_all_trials",
            "get_trials_since",
            "get_n_trials",
            "get_study_info",
            "get_all_studies",
            "get_study_id",
            "get_space_revisions",
        ):
            setattr(self, name, getattr(self._reader, name))

    def close(self) -> None:
        self._reader.close()
        super().close()


_CONTRACT_CLASSES = [TestInMemoryStorage, TestSQLiteStorage, TestSQLiteStorageReopened]


def _contract_tests() -> set[str]:
    return {name for name, _ in inspect.getmembers(StorageContract) if name.startswith("test_")}


def test_every_builtin_storage_runs_the_contract(request: pytest.FixtureRequest) -> None:
    builtins = {
        obj
        for name in hpo_lab.storages.__all__
        if inspect.isclass(obj := getattr(hpo_lab.storages, name))
        and issubclass(obj, BaseStorage)
        and not inspect.isabstract(obj)
    }
    assert builtins == {InMemoryStorage, SQLiteStorage}
    assert builtins <= {cls.storage_class for cls in _CONTRACT_CLASSES}
    assert len(_contract_tests()) >= 30
    # Unless tests were deselected, each storage's class really collected every contract test.
    if request.config.option.keyword or request.config.option.markexpr:
        return
    collected: dict[str, set[str]] = {}
    for item in request.session.items:
        cls = getattr(item, "cls", None)
        if cls is not None and issubclass(cls, StorageContract):
            collected.setdefault(cls.__name__, set()).add(item.originalname)  # type: ignore[attr-defined]
    if not collected:
        return  # this test was run alone by node id
    for cls in _CONTRACT_CLASSES:
        assert collected.get(cls.__name__) == _contract_tests(), cls.__name__

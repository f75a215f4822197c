from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hpo_lab.storages import InMemoryStorage


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """An in-memory storage object, or the path of a fresh SQLite file."""
    if request.param == "memory":
        return InMemoryStorage()
    return str(tmp_path / "x.db")

"""Fixtures of the notebook layer's tests."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell

from hpo_lab.notebook import _capture, _registry


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    """IPython's shell with hpo_lab loaded; afterwards every run is stopped, every panel
    closed, every study forgotten, and the output routing released."""
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "hpo_lab")
    yield ip
    for entry in _registry.entries():
        if entry.run is not None and entry.run.is_live():
            entry.run.stop(cancel=True)
            entry.run.wait(60)
        if entry.panel is not None:
            entry.panel.close()
        _registry.forget(entry.name)
    from hpo_lab.notebook import _magics

    while _magics._store_panels:
        _magics._store_panels.popitem()[1].close()
    deadline = time.monotonic() + 30
    while _capture.active() and time.monotonic() < deadline:
        time.sleep(0.01)  # the last run's end releases the output routing
    assert not _capture.active()

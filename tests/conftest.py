"""Suite-wide settings."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

# In CI the property tests run derandomized: the same examples every run, so a red CI always
# means a change broke something. Locally they explore new examples on every run.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")


@pytest.fixture(scope="module")
def dask_client(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A client of a real Dask ``LocalCluster`` of worker processes, one per test module: two
    workers, or the module's ``DASK_WORKERS``."""
    # Imported here, not at the top: the Colab-stack environment runs this suite's panel
    # tests without Dask. Where the fixture is used, a missing Dask fails the test.
    import distributed

    cluster = distributed.LocalCluster(
        processes=True,
        n_workers=getattr(request.module, "DASK_WORKERS", 2),
        threads_per_worker=1,
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture
def python_sigint() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt, as in a kernel, whatever handler an earlier test left,
    and even where pytest started with SIGINT ignored (``nohup``, a background job), where
    Python installs no handler of its own."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)

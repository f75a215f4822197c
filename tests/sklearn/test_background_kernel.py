"""``HPOSearchCV.fit(..., background=True)`` in a real Jupyter kernel: the cell returns at once
with the run, the control panel is displayed, another cell runs meanwhile, and the search
fills in when the run ends."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture
def client() -> Iterator[Any]:
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _run(client: Any, code: str, timeout: float = 120) -> list[dict[str, Any]]:
    msg_id = client.execute(code)
    mine: list[dict[str, Any]] = []
    while True:
        try:
            msg = client.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no reply from the kernel to {code!r}") from None
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            errors = [m["content"] for m in mine if m["msg_type"] == "error"]
            assert not errors, errors
            return mine
        mine.append(msg)


def _text(messages: list[dict[str, Any]]) -> str:
    parts = []
    for m in messages:
        if m["msg_type"] == "stream":
            parts.append(m["content"]["text"])
        elif m["msg_type"] in ("execute_result", "display_data"):
            parts.append(m["content"]["data"].get("text/plain", ""))
    return "".join(parts)


def test_background_fit_in_a_kernel_shows_the_panel_and_fills_in(client: Any) -> None:
    _run(client, (
        "import time\n"
        "from sklearn.datasets import load_digits\n"
        "from sklearn.svm import SVC\n"
        "from scipy.stats import loguniform\n"
        "from hpo_lab.sklearn import HPOSearchCV\n"
        "X, y = load_digits(return_X_y=True)\n"
        "search = HPOSearchCV(SVC(), {'C': loguniform(1e-2, 1e2), 'gamma': loguniform(1e-4, 1e-2)},"
        " n_trials=12, cv=3, random_state=0)\n"
    ))
    start = time.monotonic()
    out = _run(client, "run = search.fit(X, y, background=True)\nrun")
    returned_after = time.monotonic() - start
    widgets = [m for m in out if m["msg_type"] == "display_data"
               and "application/vnd.jupyter.widget-view+json" in m["content"]["data"]]
    assert widgets, [m["msg_type"] for m in out]  # the panel
    assert "Run(study=" in _text(out)  # the cell's value: the run, still going
    assert returned_after < 10
    busy = _text(_run(client, "print(run.is_live(), hasattr(search, 'cv_results_'))"))
    assert busy.split() in (["True", "False"], ["False", "False"], ["False", "True"])
    done = _text(_run(client, (
        "search.wait(timeout=180)\n"
        "print(run.status, len(search.cv_results_['params']), search.best_score_ > 0.9, "
        "type(search.panel_).__name__)"
    )))
    assert done.split() == ["finished", "12", "True", "Panel"]

"""``%%hpo`` in a real Jupyter kernel (ipykernel), driven over its messaging protocol."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pytest
from jupyter_client.manager import start_new_kernel

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


class _Kernel:
    def __init__(self, client: Any, manager: Any = None) -> None:
        self.client = client
        self.manager = manager
        self.streams: list[tuple[str, str]] = []  # every stream message of the session

    def run(self, code: str, timeout: float = 90) -> list[dict[str, Any]]:
        """Execute ``code``; return the iopub messages it produced, once the kernel is idle."""
        msg_id = self.client.execute(code)
        mine: list[dict[str, Any]] = []
        while True:
            try:
                msg = self.client.get_iopub_msg(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no reply from the kernel to {code!r}") from None
            if msg["msg_type"] == "stream":
                self.streams.append((msg["content"]["name"], msg["content"]["text"]))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return mine
            mine.append(msg)

    def text(self, code: str) -> str:
        out = self.run(code)
        errors = [m["content"] for m in out if m["msg_type"] == "error"]
        assert not errors, errors
        return "".join(m["content"]["text"] for m in out if m["msg_type"] == "stream")


@pytest.fixture
def kernel() -> Iterator[_Kernel]:
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        yield _Kernel(client, manager)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_trial_output_never_reaches_the_notebook_in_a_real_kernel(kernel: _Kernel) -> None:
    kernel.text("%load_ext hpo_lab")
    body = (
        "import warnings\nx = hp.float(0, 1)\nprint('TRIAL-PRINT', x)\n"
        "warnings.warn('TRIAL-WARN')\nx"
    )
    out = kernel.text(f"%%hpo fg --trials 3 --no-panel --wait\n{body}")
    assert "fg: finished, 3/3 finished" in out
    # A background run while other cells run: its output must not land in those cells either.
    kernel.text(f"%%hpo bg --trials 4 --jobs 2 --no-panel\n{body}")
    kernel.text("print('a cell while trials run')")
    assert "bg: finished, 4/4 finished" in kernel.text("%hpo wait bg")
    logged = kernel.text(
        "from hpo_lab.notebook import log_for, _registry\n"
        "entries = log_for(_registry.get('bg').run).since(0)[0]\n"
        "print(sum('TRIAL-PRINT' in e.text for e in entries), "
        "sum('TRIAL-WARN' in e.text for e in entries if e.stream == 'warning'))\n"
        "import sys\n"
        "print(type(sys.stdout).__name__)"
    )
    assert logged.split() == ["4", "4", "OutStream"]  # routed, then the kernel's stream is back
    leaked = [text for _, text in kernel.streams if "TRIAL-" in text]
    assert leaked == []


def test_an_interrupt_while_idle_says_the_run_goes_on(kernel: _Kernel) -> None:
    kernel.text("%load_ext hpo_lab")
    body = "import time\ntime.sleep(0.05)\nx = hp.float(0, 1)\nx"
    kernel.text(f"%%hpo idle_irq --trials 100000\n{body}")
    kernel.text("import time; time.sleep(0.5)")
    # Kernel > Interrupt with no cell running: SIGINT to the kernel process.
    kernel.manager.interrupt_kernel()
    out = kernel.text(
        "from hpo_lab.notebook import _registry\n"
        "entry = _registry.get('idle_irq')\n"
        "deadline = time.monotonic() + 20\n"
        "while 'goes on' not in entry.panel.message.value and time.monotonic() < deadline:\n"
        "    entry.panel.refresh(); time.sleep(0.1)\n"
        "print(entry.run.status.value, '|', entry.panel.message.value)\n"
        "entry.run.stop(); entry.run.wait(60)"
    )
    status, message = out.split("|", 1)
    assert status.strip() == "running"  # the run went on
    assert (
        "Interrupt does not stop the background run of 'idle_irq': it goes on. "
        "Stop it with the Stop button or %hpo stop idle_irq." in message
    ), message

"""Pause / Resume / Stop while another cell runs: the relay of ``_relay.py``.

The kernel test drives a real ipykernel through jupyter_client the way JupyterLab >= 4.4 does:
it opens a comm to the panel's control target from a kernel subshell while the main shell is busy
with a long cell, and checks that the run pauses (and the panel shows it) before that cell ends.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jupyter_client
import pytest

import hpo_lab
from hpo_lab.notebook import Panel
from hpo_lab.notebook._relay import CONTROL_TARGET, handle_control, make_relay


def _slow(trial: Any) -> float:
    time.sleep(0.05)
    return trial.suggest_float("x", 0, 1)


def test_a_relayed_click_acts_once() -> None:
    study = hpo_lab.create_study()
    run = study.start(_slow, n_trials=10_000)
    p = Panel(run, figures="html")
    try:
        assert make_relay(p.control_id) is None  # no kernel here: the buttons work alone
        assert handle_control({"panel": p.control_id, "command": "pause"}) == "pause"
        assert run.status.value == "paused"
        p.resume_button.click()  # a later click of another button acts
        assert run.status.value == "running"
        p.pause_button.click()  # the relayed click's own message: dropped, acted on already
        assert run.status.value == "running"
        p.pause_button.click()  # a new click acts
        assert run.status.value == "paused"
        assert handle_control({"panel": "unknown", "command": "pause"}) is None
        assert handle_control({"panel": p.control_id, "command": "rm -rf"}) is None
        assert handle_control("junk") is None
        p.close()  # a closed panel's stale view controls nothing
        handle_control({"panel": p.control_id, "command": "resume"})
        assert run.status.value == "paused"
    finally:
        run.stop()
        run.wait(60)
        p.close()


@pytest.mark.slow
def test_pause_acts_while_the_main_shell_is_busy() -> None:
    km, kc = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    try:

        def execute(code: str, timeout: float = 120) -> str:
            msg_id = kc.execute(code)
            out: list[str] = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                msg = kc.get_iopub_msg(timeout=timeout)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    out.append(msg["content"]["text"])
                elif msg["msg_type"] == "error":
                    raise AssertionError("\n".join(msg["content"]["traceback"]))
                elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return "".join(out)
            raise AssertionError(f"cell did not finish in {timeout} s: {code}")

        panel_id = execute(
            "import time, hpo_lab\n"
            "study = hpo_lab.create_study()\n"
            "def objective(t):\n"
            "    time.sleep(0.05)\n"
            "    return t.suggest_float('x', 0, 1)\n"
            "run = study.start(objective, n_trials=100_000)\n"
            "panel = hpo_lab.panel(run, figures='html')\n"
            "assert type(panel.widget.children[-1]).__name__ == 'Relay'\n"
            "print(panel.control_id)\n"
        ).strip()
        request = kc.session.msg("create_subshell_request", {})
        kc.control_channel.send(request)
        subshell = kc.get_control_msg(timeout=30)["content"]["subshell_id"]

        # What the relay's script does: open the control comm on a subshell, then send a
        # message per click, here while the main shell runs a long cell.
        comm_id = uuid.uuid4().hex
        open_msg = kc.session.msg(
            "comm_open",
            {
                "comm_id": comm_id,
                "target_name": CONTROL_TARGET,
                "data": {"panel": panel_id, "command": "open"},
            },
        )
        open_msg["header"]["subshell_id"] = subshell
        kc.shell_channel.send(open_msg)
        busy_id = kc.execute("time.sleep(8); print('after the busy cell:', run.status.value)")
        time.sleep(0.5)
        t0 = time.monotonic()
        click = kc.session.msg(
            "comm_msg", {"comm_id": comm_id, "data": {"panel": panel_id, "command": "pause"}}
        )
        click["header"]["subshell_id"] = subshell
        kc.shell_channel.send(click)
        shown_after = None
        busy_output = ""
        statuses: list[tuple[str, str | None]] = []
        while time.monotonic() - t0 < 30:
            msg = kc.get_iopub_msg(timeout=30)
            if msg["msg_type"] == "status":
                statuses.append(
                    (msg["content"]["execution_state"], msg["parent_header"].get("msg_id"))
                )
            if (
                shown_after is None
                and msg["msg_type"] == "comm_msg"
                and '"paused"' in json.dumps(msg["content"].get("data", {}))
            ):
                shown_after = time.monotonic() - t0
            if msg["parent_header"].get("msg_id") == busy_id and msg["msg_type"] == "stream":
                busy_output = msg["content"]["text"]
                break
        assert shown_after is not None, "the panel never showed 'paused'"
        assert shown_after < 4, f"paused only after {shown_after:.1f} s: it waited for the cell"
        assert "after the busy cell: paused" in busy_output
        # The click's "idle" (JupyterLab shows the last status it gets) is followed by "busy"
        # for the cell that still runs, before that cell ends: the status bar stays busy.
        click_idle = statuses.index(("idle", click["header"]["msg_id"]))
        assert statuses[-1] == ("busy", busy_id), statuses[click_idle:]
        assert ("busy", busy_id) in statuses[click_idle + 1 :], statuses
        execute("run.stop(); run.wait(60); panel.close()")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)

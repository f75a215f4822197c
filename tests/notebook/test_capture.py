"""Routing trial output (``hpo_lab.notebook._capture``) under threads that swap the streams.

Crashes are checked in a child interpreter, so that a crash fails the test instead of ending
pytest.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

# A runner thread acquires and releases the routing wrappers (what every run does at its start
# and end) while the main thread prints: before the fix, release() freed the wrapper that the
# main thread's print() was writing through, and the interpreter crashed within a second.
CHURN = textwrap.dedent(
    """
    import io, sys, threading, time
    from hpo_lab.notebook import _capture

    sys.setswitchinterval(1e-5)  # switch threads often: the race shows at once
    sys.stdout = io.StringIO()
    stop = threading.Event()

    def churn():
        while not stop.is_set():
            _capture.acquire()
            _capture.release()

    thread = threading.Thread(target=churn)
    thread.start()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3.0:
        print("x" * 10, 1, 2.5)
        print("to stderr", file=sys.stderr)
    stop.set()
    thread.join()
    assert not _capture.active()
    assert not isinstance(sys.stdout, _capture.RoutingStream)
    sys.__stdout__.write("survived\\n")
    """
)


def test_release_on_another_thread_never_frees_a_stream_that_print_is_using() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", CHURN],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (
        f"the interpreter ended with {done.returncode}:\n{done.stderr[-3000:]}"
    )
    assert done.stdout == "survived\n"

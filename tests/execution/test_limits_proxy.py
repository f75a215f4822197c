"""Thread limits, the proxy's local checks, the socket channel, and import lightness."""

from __future__ import annotations

import queue
import subprocess
import sys
import warnings
from typing import Any

import pytest

from hpo_lab.execution._limits import resolve_thread_limit, thread_limit_env
from hpo_lab.execution._process import SocketServer
from hpo_lab.execution._proxy import RemoteJob, TrialAbandonedError, TrialProxy
from hpo_lab.trial import FrozenTrial, TrialState


@pytest.mark.parametrize(
    ("blas", "workers", "cpus", "expected"),
    [(None, 1, 8, 8), (None, 2, 8, 4), (None, 3, 8, 2), (None, 16, 8, 1), (5, 2, 8, 5)],
)
def test_each_worker_gets_its_share(blas: Any, workers: int, cpus: int, expected: int) -> None:
    assert resolve_thread_limit(blas, workers, cpus) == expected


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_blas_threads(bad: Any) -> None:
    with pytest.raises(ValueError, match=f"but got blas_threads={bad!r}"):
        resolve_thread_limit(bad, 2)


def test_limit_env_covers_common_pools() -> None:
    env = thread_limit_env(2)
    assert {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"} <= set(env)
    assert set(env.values()) == {"2"}


class _Recorder:
    def __init__(self, answer: Any = None) -> None:
        self.sent: list[list[Any]] = []
        self.answer = answer

    def request(self, message: list[Any]) -> list[Any]:
        self.sent.append(message)
        return self.answer if self.answer is not None else ["ok", 0.5]

    def send(self, message: list[Any]) -> None:
        self.sent.append(message)


def _proxy(channel: Any) -> TrialProxy:
    frozen = FrozenTrial(7, TrialState.RUNNING, trial_id=9)
    return TrialProxy(RemoteJob.for_trial(frozen, channel))


def test_proxy_report_checks_locally_and_is_one_way() -> None:
    channel = _Recorder()
    proxy = _proxy(channel)
    with pytest.raises(ValueError, match="step must be a non-negative int, but got step=-1"):
        proxy.report(1.0, -1)
    with pytest.raises(TypeError, match="report takes a number, but got 'a'"):
        proxy.report("a", 0)  # type: ignore[arg-type]
    proxy.report(1.5, 0)
    assert channel.sent == [["send", 7, "_report", [0, 1.5], {}]]
    assert proxy.freeze().intermediate_values == {0: 1.5}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proxy.report(2.0, 0)
    assert "already reported step 0" in str(caught[0].message)
    assert len(channel.sent) == 1


def test_proxy_checks_arguments_locally_and_raises_runner_errors() -> None:
    channel = _Recorder()
    with pytest.raises(ValueError, match="parameter 'x': low must be <= high"):
        _proxy(channel).suggest_float("x", 3, 1)
    with pytest.raises(ValueError, match="user attribute 'f' must be JSON"):
        _proxy(channel).set_user_attr("f", object())
    assert channel.sent == []  # caught in the worker, no round trip
    refused = _proxy(_Recorder(["err", "ValueError", "the enqueued value x=9 lies outside"]))
    with pytest.raises(ValueError, match="enqueued value x=9 lies outside"):
        refused.suggest_float("x", 0, 1)
    gone = _proxy(_Recorder(["gone", "trial 7 is no longer running"]))
    gone.report(1.0, 0)  # one-way: nothing comes back
    with pytest.raises(TrialAbandonedError, match="no longer running"):
        gone.should_prune()


def test_socket_channel_round_trip_and_closed_runner() -> None:
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    server = SocketServer(inbox.put)
    channel = server.channel()
    import threading

    def answer() -> None:
        _, message, reply = inbox.get(timeout=10)
        reply(["ok", message[3]])

    t = threading.Thread(target=answer)
    t.start()
    assert channel.request(["call", 1, "suggest_int", ["k", 0, 3], {}]) == ["ok", ["k", 0, 3]]
    t.join()
    server.close()
    with pytest.raises(TrialAbandonedError):
        channel.request(["call", 1, "should_prune", [], {}])
    with pytest.raises(TrialAbandonedError):
        channel.request(["call", 1, "should_prune", [], {}])  # reconnecting fails too


def test_importing_execution_stays_light() -> None:
    code = (
        "import sys, hpo_lab, hpo_lab.execution\n"
        "heavy = {'loky', 'distributed', 'dask', 'cloudpickle', 'IPython', 'plotly'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

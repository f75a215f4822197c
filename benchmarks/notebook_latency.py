"""Kernel responsiveness while a ``%%hpo`` run is live: the round trip of a trivial cell.

Not a test: it measures and prints a table. Regenerate with

    /work/venv/bin/python benchmarks/notebook_latency.py              # about two minutes
    /work/venv/bin/python benchmarks/notebook_latency.py --quick      # a smoke run
    /work/venv/bin/python benchmarks/notebook_latency.py --cell-return 5  # cell return only

Each configuration gets a fresh IPython kernel (``jupyter_client``), the same kind a notebook
talks to. In it, ``%load_ext hpo_lab`` and a ``%%hpo`` cell start a run with 2 workers; once
trials finish, the benchmark sends ``--executes`` trivial cells (``1 + 1``), one at a time with a
short pause between them as a person typing would leave, and times each from ``execute_request``
to ``execute_reply``. The same is measured with no run at all. No browser is attached, so the
panel's widget messages go to the kernel's IOPub socket and no further.

``--cell-return N`` measures only how long a ``%%hpo`` cell takes to return in a fresh kernel
(after ``%load_ext hpo_lab`` and the quickstart's imports), with and without the panel, N
kernels each: what a user waits before the next cell can run.
"""

from __future__ import annotations

import argparse
import os
import platform
import queue
import statistics
import sys
import time
from dataclasses import dataclass

from jupyter_client.manager import KernelManager

SVC_BODY = """\
C = trial.suggest_float("C", 1e-2, 1e3, log=True)
gamma = trial.suggest_float("gamma", 1e-5, 1e-1, log=True)
cross_val_score(SVC(C=C, gamma=gamma), X, y, cv=3).mean()
"""
SVC_SETUP = """\
from sklearn.datasets import load_digits
from sklearn.model_selection import cross_val_score
from sklearn.svm import SVC
X, y = load_digits(return_X_y=True)
X, y = X[::2], y[::2]
"""
# Pure Python holds the GIL the whole time: the worst case for thread workers.
PYTHON_BODY = """\
x = trial.suggest_float("x", 0, 1)
acc = 0.0
for i in range(1_500_000):
    acc += (i % 7) * x
acc
"""


@dataclass(frozen=True)
class Config:
    label: str
    body: str | None  # None: no run at all
    options: str = ""
    setup: str = ""


CONFIGS = (
    Config("no run (baseline)", None),
    Config("SVC on digits (quickstart), 2 threads, no panel", SVC_BODY, "--no-panel", SVC_SETUP),
    Config("SVC on digits (quickstart), 2 threads, panel", SVC_BODY, "", SVC_SETUP),
    Config("pure-Python loop, 2 threads, panel", PYTHON_BODY, ""),
    Config("pure-Python loop, 2 processes, panel", PYTHON_BODY, "--executor process"),
)


class Kernel:
    """A python3 kernel and a blocking client; IOPub is drained, never read for results."""

    def __init__(self) -> None:
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env=dict(os.environ, PYTHONUNBUFFERED="1"))
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = 300.0) -> float:
        """Execute ``code``, raise on an error reply, return the round trip in seconds."""
        start = time.perf_counter()
        msg_id = self.kc.execute(code, store_history=False)
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = self.kc.get_shell_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"no reply to {code[:40]!r} within {timeout} s") from None
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        took = time.perf_counter() - start
        content = reply["content"]
        if content["status"] != "ok":
            raise RuntimeError(
                f"{code[:60]!r} failed: {content.get('ename')}: {content.get('evalue')}"
            )
        self._drain()
        return took

    def _drain(self) -> None:
        """Drop what IOPub holds (widget, stream and status messages): nothing reads them."""
        while True:
            try:
                self.kc.get_iopub_msg(timeout=0)
            except queue.Empty:
                return

    def value(self, expression: str) -> str:
        msg_id = self.kc.execute("", store_history=False, user_expressions={"v": expression})
        while True:
            reply = self.kc.get_shell_msg(timeout=60)
            if reply["parent_header"].get("msg_id") == msg_id:
                result = reply["content"]["user_expressions"]["v"]
                if result["status"] != "ok":
                    raise RuntimeError(f"{expression!r}: {result.get('evalue')}")
                return str(result["data"]["text/plain"])

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@dataclass(frozen=True)
class Row:
    label: str
    cell_ms: float | None  # how long the %%hpo cell took to return
    times_ms: list[float]
    trials_during: int


def _finished(kernel: Kernel) -> int:
    return int(kernel.value("sum(t.state.is_finished() for t in bench.trials)"))


def measure(config: Config, executes: int, pause: float) -> Row:
    kernel = Kernel()
    try:
        kernel.run("%load_ext hpo_lab\n" + config.setup)
        kernel.run("1 + 1")  # the first execute of a kernel is slower: not counted
        cell_ms = None
        if config.body is not None:
            line = f"%%hpo bench --trials 100000 --jobs 2 --seed 0 {config.options}".strip()
            cell_ms = 1e3 * kernel.run(f"{line}\n{config.body}")
            deadline = time.monotonic() + 120
            while _finished(kernel) < 4:  # workers are up and trials flow
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{config.label}: fewer than 4 trials in 120 s")
                time.sleep(0.2)
        before = _finished(kernel) if config.body is not None else 0
        times = []
        for _ in range(executes):
            times.append(1e3 * kernel.run("1 + 1"))
            time.sleep(pause)
        during = (_finished(kernel) - before) if config.body is not None else 0
        if config.body is not None:
            kernel.run("%hpo stop bench\n%hpo wait bench", timeout=300)
        return Row(config.label, cell_ms, times, during)
    finally:
        kernel.close()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def table(rows: list[Row]) -> str:
    lines = [
        "| configuration | `%%hpo` cell returned in (ms) | `1 + 1` round trip, median (ms) "
        "| p95 (ms) | max (ms) | trials finished while measuring |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        cell = "" if r.cell_ms is None else f"{r.cell_ms:.0f}"
        lines.append(
            f"| {r.label} | {cell} | {statistics.median(r.times_ms):.1f} | {_p95(r.times_ms):.1f} "
            f"| {max(r.times_ms):.1f} | {r.trials_during if r.cell_ms is not None else ''} |"
        )
    return "\n".join(lines)


def cell_return(panel: bool) -> float:
    """Milliseconds a ``%%hpo`` cell takes to return in a fresh kernel."""
    kernel = Kernel()
    try:
        kernel.run("%load_ext hpo_lab\n" + SVC_SETUP)
        kernel.run("1 + 1")
        line = "%%hpo bench --trials 20 --jobs 2 --seed 0" + ("" if panel else " --no-panel")
        took = 1e3 * kernel.run(f"{line}\n{SVC_BODY}")
        kernel.run("%hpo wait bench", timeout=300)
        return took
    finally:
        kernel.close()


def cell_return_table(repeats: int) -> str:
    lines = [
        "| `%%hpo` cell in a fresh kernel | median (ms) | min (ms) | max (ms) |",
        "|---|---:|---:|---:|",
    ]
    for panel in (False, True):
        times = [cell_return(panel) for _ in range(repeats)]
        label = "with the panel" if panel else "without the panel (`--no-panel`)"
        lines.append(
            f"| {label} | {statistics.median(times):.0f} | {min(times):.0f} | {max(times):.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executes", type=int, default=100, help="trivial cells per config")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between them")
    parser.add_argument("--quick", action="store_true", help="10 executes, two configurations")
    parser.add_argument(
        "--cell-return", type=int, default=0, metavar="N", help="only time the cell's return"
    )
    args = parser.parse_args(argv)
    if args.cell_return < 0:
        parser.error(f"--cell-return must be >= 0, but got {args.cell_return}")
    if args.cell_return:
        print(cell_return_table(args.cell_return))
        return 0
    if args.executes < 1 or args.pause < 0:
        parser.error(
            f"--executes must be >= 1 and --pause >= 0, but got {args.executes} and {args.pause}"
        )
    configs = CONFIGS
    if args.quick:
        args.executes = 10
        configs = (CONFIGS[0], CONFIGS[2])
    rows = [measure(c, args.executes, args.pause) for c in configs]
    import ipykernel

    import hpo_lab

    print(
        f"Machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, hpo_lab {hpo_lab.__version__}, "
        f"ipykernel {ipykernel.__version__}; {args.executes} executes per configuration, "
        f"{args.pause:g} s apart. Date: {time.strftime('%Y-%m-%d')}."
    )
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

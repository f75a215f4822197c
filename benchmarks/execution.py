"""Background-run benchmarks: throughput, main-thread responsiveness, dispatch overhead.

Not a test: it measures and prints tables. Regenerate with

    /work/venv/bin/python benchmarks/execution.py            # full (a few minutes)
    /work/venv/bin/python benchmarks/execution.py --quick    # smaller, for a smoke run

Each figure is the median of ``--repeats`` runs (default 3).
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import hpo_lab
from hpo_lab.samplers import RandomSampler


def busy_python(trial: Any) -> float:
    """GIL-holding pure-Python work, about 40 ms on one core."""
    x = trial.suggest_float("x", 0, 1)
    acc = 0.0
    for i in range(400_000):
        acc += (i % 7) * x
    return acc


_ARRAY = np.random.default_rng(0).random(2_000_000)


def numpy_release(trial: Any) -> float:
    """GIL-releasing numpy work (large ufunc loops, single-threaded), about 40 ms."""
    x = trial.suggest_float("x", 0, 1)
    out = 0.0
    for _ in range(3):
        out += float(np.sin(_ARRAY * x).sum())
    return out


def one_ms(trial: Any) -> float:
    x = trial.suggest_float("x", 0, 1)
    time.sleep(0.001)
    return x


def _median(fn: Callable[[], float], repeats: int) -> float:
    return statistics.median(fn() for _ in range(repeats))


class _FixedTrial:
    """Stands in for a trial in the raw baselines (no library at all)."""

    def suggest_float(self, name: str, low: float, high: float) -> float:
        return 0.5


def _raw_time(objective: Any, n_trials: int, n_jobs: int, executor: str) -> float:
    """The same work on a plain thread pool / loky pool: what the machine allows right now."""
    if executor == "thread":
        from concurrent.futures import ThreadPoolExecutor

        pool: Any = ThreadPoolExecutor(n_jobs)
    else:
        import loky

        pool = loky.ProcessPoolExecutor(n_jobs)
    list(pool.map(objective, [_FixedTrial()] * (2 * n_jobs)))  # start the workers
    started = time.perf_counter()
    list(pool.map(objective, [_FixedTrial()] * n_trials))
    elapsed = time.perf_counter() - started
    pool.shutdown()
    return elapsed


def _run_time(objective: Any, n_trials: int, n_jobs: int, executor: Any) -> float:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    started = time.perf_counter()
    kwargs = {"blas_threads": 1} if executor == "process" else {}
    run = study.start(objective, n_trials=n_trials, n_jobs=n_jobs, executor=executor, **kwargs)
    run.wait()
    elapsed = time.perf_counter() - started
    assert len(study.trials) == n_trials and run.progress.complete == n_trials, run
    return elapsed


def throughput(repeats: int, n_trials: int) -> list[tuple[str, float, float, float, float]]:
    rows = []
    for label, objective, executor in (
        ("pure-Python, GIL-holding (process)", busy_python, "process"),
        ("numpy, GIL-releasing (thread)", numpy_release, "thread"),
    ):
        _run_time(objective, 4, 2, executor)  # warm up: start processes, import numpy
        ones, twos, raw = [], [], []
        for _ in range(repeats):  # interleaved, so 1 and 2 workers see the same machine load
            ones.append(n_trials / _run_time(objective, n_trials, 1, executor))
            twos.append(n_trials / _run_time(objective, n_trials, 2, executor))
            raw.append(
                _raw_time(objective, n_trials, 1, executor)
                / _raw_time(objective, n_trials, 2, executor)
            )
        one, two = statistics.median(ones), statistics.median(twos)
        rows.append((label, one, two, two / one, statistics.median(raw)))
    return rows


def latency(repeats: int, seconds: float) -> list[tuple[str, float, float, float]]:
    rows = []
    for label, objective, executor in (
        ("idle (no run)", None, None),
        ("2 x numpy trials (thread)", numpy_release, "thread"),
        ("2 x pure-Python trials (process)", busy_python, "process"),
        ("2 x pure-Python trials (thread, worst case)", busy_python, "thread"),
    ):
        samples: list[float] = []
        for _ in range(repeats):
            run = None
            if objective is not None:
                study = hpo_lab.create_study()
                run = study.start(objective, n_trials=10_000, n_jobs=2, executor=executor)
                while run.progress.running < 2:
                    time.sleep(0.01)
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                target = time.perf_counter() + 0.01
                time.sleep(0.01)
                sum(range(1000))  # the "tiny main-thread task"
                samples.append(time.perf_counter() - target)
            if run is not None:
                run.stop(wait=True, cancel=True)
        ms = np.array(samples) * 1000
        rows.append((label, float(np.median(ms)), float(np.percentile(ms, 95)), float(ms.max())))
    return rows


def dispatch(repeats: int, n_trials: int, with_dask: bool) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    executors: list[tuple[str, Any]] = [("hpo_lab thread", "thread"), ("hpo_lab process", "process")]
    client = cluster = None
    if with_dask:
        try:
            import distributed

            cluster = distributed.LocalCluster(
                processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
            )
            client = distributed.Client(cluster)
            executors.append(("hpo_lab dask (LocalCluster, 2 procs)", client))
        except ImportError:
            pass
    for label, executor in executors:
        _run_time(one_ms, 10, 2, executor)
        wall = _median(lambda e=executor: _run_time(one_ms, n_trials, 2, e), repeats)
        per_trial = wall / n_trials
        rows.append((label, per_trial * 1000, (per_trial * 2 - 0.001) * 1000))
    if client is not None:
        client.close()
        cluster.close()
    try:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)

        def optuna_once() -> float:
            study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
            started = time.perf_counter()
            study.optimize(one_ms, n_trials=n_trials, n_jobs=2)
            return time.perf_counter() - started

        optuna_once()
        wall = _median(optuna_once, repeats)
        per_trial = wall / n_trials
        rows.append(("optuna optimize(n_jobs=2)", per_trial * 1000, (per_trial * 2 - 0.001) * 1000))
    except ImportError:
        pass
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    logging.getLogger("hpo_lab").setLevel(logging.ERROR)
    n_tp, lat_s, n_disp = (12, 1.0, 100) if args.quick else (40, 3.0, 300)

    print(f"# execution benchmarks ({platform.python_version()}, {os.cpu_count()} cores, "
          f"median of {args.repeats}, load average before: {os.getloadavg()[0]:.2f})\n")
    print("## Throughput, 1 vs 2 workers (target >= 1.8x)\n")
    print("| objective (executor) | 1 worker trials/s | 2 workers trials/s | speed-up "
          "| same work on a plain pool, speed-up |")
    print("|---|---:|---:|---:|---:|")
    for label, one, two, ratio, raw in throughput(args.repeats, n_tp):
        print(f"| {label} | {one:.1f} | {two:.1f} | {ratio:.2f}x | {raw:.2f}x |")
    print("\n## Main-thread latency of a tiny task while 2 background trials run (target p95 < 50 ms)\n")
    print("| background load | median ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|")
    for label, p50, p95, worst in latency(args.repeats, lat_s):
        print(f"| {label} | {p50:.1f} | {p95:.1f} | {worst:.1f} |")
    print(f"\n## Dispatch: wall time per trial, 1 ms objective, n_jobs=2, {n_disp} trials\n")
    print("| executor | wall ms / trial | overhead ms / trial / worker |")
    print("|---|---:|---:|")
    for label, per_trial, overhead in dispatch(args.repeats, n_disp, not args.no_dask):
        print(f"| {label} | {per_trial:.2f} | {overhead:.2f} |")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""Objectives and helpers shared by the execution tests.

Shipped to worker processes by value (see conftest), as functions defined in a notebook are.
"""

from __future__ import annotations

import os
import signal
import statistics
import time
from typing import Any

import hpo_lab
from hpo_lab.pruners._base import BasePruner
from hpo_lab.trial import TrialState

N_STEPS = 6


def quadratic(trial: Any) -> float:
    x = trial.suggest_float("x", -5, 5)
    k = trial.suggest_int("k", 0, 3)
    return (x - 1) ** 2 + k


def sleepy(seconds: float) -> Any:
    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", 0, 1)
        time.sleep(seconds)
        return x

    return objective


def curve(trial: Any) -> float:
    """A learning curve: trials with larger x are worse at every step."""
    x = trial.suggest_float("x", 0, 1)
    value = 0.0
    for step in range(N_STEPS):
        value = x + 1.0 / (step + 1)
        trial.report(value, step)
        time.sleep(0.002)  # lets trials from different workers interleave
        if trial.should_prune():
            raise hpo_lab.TrialPruned()
    return value


def dies_on_odd(trial: Any) -> float:
    """Trials with an odd k end their worker process in one of several ways."""
    k = trial.suggest_int("k", 0, 7)
    if k == 1:
        os._exit(3)
    if k == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    if k == 5:
        import ctypes

        ctypes.string_at(0)  # a segfault
    if k == 7:
        import resource

        import numpy as np

        # Simulated OOM: cap this worker's address space, then ask for far more.
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        with open("/proc/self/statm") as f:
            size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (size + 256 * 2**20, hard))
        np.ones(2**31, dtype=np.uint8)  # 2 GiB
    return float(k)


class RecordingMedianPruner(BasePruner):
    """The median rule, recording what it saw so a test can replay every decision.

    Prune at step s when at least ``n_startup`` finished trials reported step s and this
    trial's value there is above their median.
    """

    def __init__(self, n_startup: int = 3) -> None:
        self.n_startup = n_startup
        self.log: list[tuple[int, int, tuple[int, ...], bool]] = []

    def prune(self, view: Any, trial: Any) -> bool:
        step = max(trial.intermediate_values)
        finished = [
            t
            for t in view.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
            if step in t.intermediate_values
        ]
        decision = median_rule(
            trial.intermediate_values[step],
            [t.intermediate_values[step] for t in finished],
            self.n_startup,
        )
        self.log.append((trial.number, step, tuple(t.number for t in finished), decision))
        return decision


def median_rule(value: float, others: list[float], n_startup: int) -> bool:
    return len(others) >= n_startup and value > statistics.median(others)


def check_pruning_replay(study: Any, pruner: RecordingMedianPruner) -> int:
    """Replay every logged decision on the stored values; return how many trials were pruned."""
    trials = {t.number: t for t in study.trials}
    by_trial: dict[int, list[tuple[int, tuple[int, ...], bool]]] = {}
    for number, step, seen, decision in pruner.log:
        stored = [trials[n].intermediate_values[step] for n in seen]
        # The trials it saw were finished then, and their stored values give the same answer.
        assert median_rule(trials[number].intermediate_values[step], stored, pruner.n_startup) \
            == decision
        by_trial.setdefault(number, []).append((step, seen, decision))
    n_pruned = 0
    for number, trial in trials.items():
        decisions = by_trial[number]
        steps = [s for s, _, _ in decisions]
        assert steps == list(range(len(steps))), (number, steps)
        assert sorted(trial.intermediate_values) == steps
        pruned_at = [s for s, _, d in decisions if d]
        if trial.state == TrialState.PRUNED:
            n_pruned += 1
            # Pruned at the first step the rule says so, and not one step later.
            assert pruned_at == [steps[-1]], (number, pruned_at, steps)
        else:
            assert trial.state == TrialState.COMPLETE
            assert pruned_at == []
            assert len(steps) == N_STEPS
    return n_pruned


def check_consistent(study: Any, n: int) -> None:
    trials = study.trials
    assert [t.number for t in trials] == list(range(n))
    assert len({t.trial_id for t in trials}) == n
    assert all(t.state.is_finished() for t in trials)
    reloaded = study.storage.get_all_trials(study._study_id)
    assert [(t.number, t.state, t.value, t.params) for t in reloaded] == [
        (t.number, t.state, t.value, t.params) for t in trials
    ]


class PickleCounter:
    """Counts how often it is pickled in this process (the objective's closure holds one)."""

    count = 0

    def __reduce__(self) -> tuple[Any, ...]:
        PickleCounter.count += 1
        return (PickleCounter, ())


def _slow_load(seconds: float) -> SlowToLoad:
    time.sleep(seconds)
    return SlowToLoad(seconds)


class SlowToLoad:
    """Takes ``seconds`` to unpickle: stands for a large objective or a slow worker start."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __reduce__(self) -> tuple[Any, ...]:
        return (_slow_load, (self.seconds,))


def quick_with(payload: Any) -> Any:
    """A quick objective whose closure holds ``payload``."""

    def objective(trial: Any) -> float:
        assert payload is not None
        x = trial.suggest_float("x", 0, 1)
        time.sleep(0.1)
        return x

    return objective


def numpy_values(trial: Any) -> float:
    """Suggestions and a user attribute given as numpy values."""
    import numpy as np

    k = trial.suggest_int("k", np.int64(0), np.int64(5))
    x = trial.suggest_float("x", np.float32(0), np.float64(1))
    c = trial.suggest_categorical("c", [np.int64(1), np.int64(2)])
    trial.set_user_attr("a", np.arange(3))
    return float(k + x + c)


def suggests_after(seconds: float) -> Any:
    """Suggests, sleeps ``seconds``, then suggests again (outliving a short trial_timeout)."""

    def objective(trial: Any) -> float:
        trial.suggest_float("x", 0, 1)
        time.sleep(seconds)
        trial.suggest_float("y", 0, 1)
        return 1.0

    return objective

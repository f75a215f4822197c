"""Real studies covering the edge cases every plot must handle."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import pytest

import hpo_lab
from hpo_lab.samplers import RandomSampler


def mixed_objective(trial: hpo_lab.Trial) -> float:
    """Log, int and categorical parameters; reports; some trials pruned or failed."""
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    k = trial.suggest_int("k", 1, 5)
    opt = trial.suggest_categorical("opt", ["sgd", "adam", "rms"])
    if lr < 3e-4:
        raise RuntimeError("diverged")
    value = lr * k + (opt == "sgd")
    if lr > 0.1:
        if k > 3:
            raise hpo_lab.TrialPruned()  # pruned before reporting anything
        trial.report(value + 1.0, 0)
        trial.report(value + 0.5, 1)
        raise hpo_lab.TrialPruned()
    trial.report(value + 1.0, 0)
    trial.report(value + 0.5, 1)
    return value


def build_mixed(n_before: int = 25, n_after: int = 15, seed: int = 0) -> hpo_lab.Study:
    study = hpo_lab.create_study(study_name=f"mixed-{seed}", sampler=RandomSampler(seed=seed))
    study.optimize(mixed_objective, n_trials=n_before, catch=(RuntimeError,))
    study.narrow(lr=(1e-3, 1e-1), opt=["adam", "rms"])
    study.optimize(mixed_objective, n_trials=n_after, catch=(RuntimeError,))
    return study


def _empty() -> hpo_lab.Study:
    return hpo_lab.create_study()


def _complete(n: int) -> Callable[[], hpo_lab.Study]:
    def build() -> hpo_lab.Study:
        s = hpo_lab.create_study(sampler=RandomSampler(seed=n))
        s.optimize(
            lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 1e-3, 1, log=True),
            n_trials=n,
        )
        return s

    return build


def _all_failed() -> hpo_lab.Study:
    s = hpo_lab.create_study()

    def objective(t: hpo_lab.Trial) -> float:
        t.suggest_float("x", 0, 1)
        raise ValueError("always")

    s.optimize(objective, n_trials=3, catch=(ValueError,))
    return s


def _all_pruned() -> hpo_lab.Study:
    s = hpo_lab.create_study()

    def objective(t: hpo_lab.Trial) -> float:
        t.report(t.suggest_float("x", 0, 1), 0)
        raise hpo_lab.TrialPruned()

    s.optimize(objective, n_trials=3)
    return s


def _running_only() -> hpo_lab.Study:
    s = hpo_lab.create_study()
    t = s.ask()
    t.suggest_float("x", 0, 1)
    t.report(0.5, 0)
    return s


def _no_params() -> hpo_lab.Study:
    s = hpo_lab.create_study()
    s.optimize(lambda t: 1.0, n_trials=3)
    return s


def _mixed() -> hpo_lab.Study:
    return build_mixed()


def _warm() -> hpo_lab.Study:
    parent = build_mixed(seed=1)
    child = hpo_lab.create_study(
        study_name="child", storage=parent.storage, warm_start_from=parent,
        sampler=RandomSampler(seed=5),
    )
    child.optimize(mixed_objective, n_trials=6, catch=(RuntimeError,))
    return child


def _maximize() -> hpo_lab.Study:
    s = hpo_lab.create_study(direction="maximize", sampler=RandomSampler(seed=3))
    s.optimize(lambda t: t.suggest_int("k", 0, 10) * 1.0, n_trials=12)
    return s


EDGE_CASES: dict[str, Callable[[], hpo_lab.Study]] = {
    "empty": _empty,
    "one": _complete(1),
    "two": _complete(2),
    "all_failed": _all_failed,
    "all_pruned": _all_pruned,
    "running_only": _running_only,
    "no_params": _no_params,
    "mixed": _mixed,
    "warm": _warm,
    "maximize": _maximize,
}


@pytest.fixture(params=sorted(EDGE_CASES))
def edge_study(request: pytest.FixtureRequest) -> hpo_lab.Study:
    return EDGE_CASES[request.param]()


@pytest.fixture
def mixed_study() -> hpo_lab.Study:
    return build_mixed()


@pytest.fixture
def warm_study() -> hpo_lab.Study:
    return _warm()


def _size(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return max(1, sum(_size(v) for v in value))
    return 1


class RecordingFigure(go.Figure):
    """Counts the data items in each message plotly's widget layer would send."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sent: list[int] = []

    def _send_addTraces_msg(self, new_traces_data: Any) -> None:
        self._sent.append(_size(new_traces_data))

    def _send_restyle_msg(
        self, style: Any, trace_indexes: Any = None, source_view_id: Any = None
    ) -> None:
        self._sent.append(_size(style))

    def _send_update_msg(
        self,
        restyle_data: Any,
        relayout_data: Any,
        trace_indexes: Any = None,
        source_view_id: Any = None,
    ) -> None:
        self._sent.append(_size(restyle_data) + _size(relayout_data))

    def take(self) -> int:
        """Items sent since the last call."""
        total = sum(self._sent)
        self._sent.clear()
        return total


@pytest.fixture
def recording_figure() -> type[RecordingFigure]:
    return RecordingFigure


@pytest.fixture(name="mixed_objective")
def _mixed_objective_fixture() -> Callable[[hpo_lab.Trial], float]:
    return mixed_objective

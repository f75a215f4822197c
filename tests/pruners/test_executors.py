"""Successive halving and Hyperband on the process and Dask executors: the trials' proxies ask
the runner, decisions are recorded there, and every one replays from the records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hpo_lab.pruners import BasePruner, HyperbandPruner, RankCheck, SuccessiveHalvingPruner
from hpo_lab.testing.pytest_pruners import (
    DECISIONS_ATTR,
    replay_recorded_decisions,
    run_learning_curves,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

PRUNERS: dict[str, Callable[[], BasePruner]] = {
    "asha": lambda: SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
    "hyperband_auto": lambda: HyperbandPruner(reduction_factor=2),
    "asha_rank_check": lambda: SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=2, rank_check=RankCheck(min_pairs=4, confidence=0.5)
    ),
}


def _check(make: Callable[[], BasePruner], executor: Any) -> None:
    study = run_learning_curves(make(), n_trials=16, n_jobs=2, executor=executor)
    triples = replay_recorded_decisions(study, make)
    assert triples
    assert all(again is not None and again.same_as(live) for _, live, again in triples)
    # What the objective was told in the worker is what the runner recorded.
    for t in study.trials:
        told = {int(s): bool(d) for s, d in t.user_attrs.get(DECISIONS_ATTR, [])}
        for d in t.decisions:
            assert told.get(d.step) == d.prune


@pytest.mark.parametrize("name", sorted(PRUNERS))
def test_process_executor(name: str) -> None:
    _check(PRUNERS[name], "process")


@pytest.mark.parametrize("name", sorted(PRUNERS))
def test_dask_executor(name: str, dask_client: Any) -> None:
    _check(PRUNERS[name], dask_client)

"""The Dask executor on a real ``distributed.LocalCluster`` (worker processes, not threads)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import exec_objectives as eo
import pytest

import hpo_lab
from hpo_lab.trial import FailReason, TrialState

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    cluster = distributed.LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def test_dask_200_trials_4_jobs_recorded_once(client: Any) -> None:
    study = hpo_lab.create_study()
    run = study.start(eo.quadratic, n_trials=200, n_jobs=4, executor=client)
    assert run.wait(timeout=240)
    assert run.status.value == "finished", run.exception
    assert run.executor == "dask"
    eo.check_consistent(study, 200)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert all(t.value == (t.params["x"] - 1) ** 2 + t.params["k"] for t in study.trials)


def test_dask_pruning_matches_median_rule(client: Any) -> None:
    pruner = eo.RecordingMedianPruner(n_startup=3)
    study = hpo_lab.create_study(pruner=pruner)
    run = study.start(eo.curve, n_trials=24, n_jobs=2, executor=client)
    assert run.wait(timeout=240)
    assert eo.check_pruning_replay(study, pruner) > 0


def test_dask_worker_death_fails_only_its_trial(client: Any) -> None:
    study = hpo_lab.create_study()
    ks = [0, 1, 2, 4, 6]
    for k in ks:
        study.enqueue_trial({"k": k})
    run = study.start(eo.dies_on_odd, n_trials=len(ks), n_jobs=1, executor=client)
    assert run.wait(timeout=240)
    states = {t.params["k"]: t for t in study.trials}
    dead = states[1]
    assert dead.state == TrialState.FAIL and dead.fail_reason == FailReason.WORKER_DIED
    for k in (0, 2, 4, 6):
        assert states[k].state == TrialState.COMPLETE and states[k].value == k
    assert len(study.trials) == len(ks)


def test_dask_worker_limits_threads(client: Any) -> None:
    def objective(trial: Any) -> float:
        import os

        trial.set_user_attr("omp", os.environ.get("OMP_NUM_THREADS"))
        return 0.0

    study = hpo_lab.create_study()
    study.start(objective, n_trials=2, n_jobs=2, executor=client, blas_threads=1).wait(120)
    assert [t.user_attrs["omp"] for t in study.trials] == ["1", "1"]

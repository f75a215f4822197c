"""One trial interface: the same objective sees the same trial on every executor."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from hpo_lab.execution._proxy import TrialProxy
from hpo_lab.testing.pytest_trials import observe_on
from hpo_lab.trial import Trial, TrialBase, TrialInterface


def _public(cls: type) -> set[str]:
    return {n for n in dir(cls) if not n.startswith("_")}


def test_trial_and_proxy_share_one_definition() -> None:
    protocol = {n for n in dir(TrialInterface) if not n.startswith("_")}
    assert protocol <= _public(TrialBase)
    # Nothing public is defined twice: the proxy and the real trial add only `study`.
    for cls in (Trial, TrialProxy):
        assert issubclass(cls, TrialBase)
        own = {n for n in vars(cls) if not n.startswith("_")}
        assert own == {"study"}, (cls.__name__, own)
    # Every primitive the runner accepts is implemented by both, with the same signature.
    for name in TrialBase.REMOTE:
        base = inspect.signature(getattr(TrialBase, name))
        assert inspect.signature(getattr(Trial, name)).parameters.keys() == base.parameters.keys()
        assert inspect.signature(getattr(TrialProxy, name)).parameters.keys() == (
            base.parameters.keys()
        )


@pytest.fixture(scope="module")
def reference() -> list[Any]:
    return observe_on(sync=True)


def _compare(observed: list[Any], reference: list[Any], study_seen: str) -> None:
    assert len(observed) == len(reference) == 3
    for got, want in zip(observed, reference):
        assert got["stored"] == want["stored"]
        seen, expected = dict(got["seen"]), dict(want["seen"])
        assert seen.pop("study") == study_seen
        expected.pop("study")
        assert seen == expected


def test_optimize_sees_the_real_study(reference: list[Any]) -> None:
    assert all(o["seen"]["study"] == "Study" for o in reference)
    assert reference[0]["seen"]["user_attrs_at_start"] == {"from": "queue"}
    assert reference[0]["seen"]["suggested"][0] == 0.25
    assert all(e != "no error" for e in reference[0]["seen"]["errors"])


def test_thread_executor_sees_the_same_trial(reference: list[Any]) -> None:
    _compare(observe_on("thread"), reference, "Study")


@pytest.mark.slow
def test_process_executor_sees_the_same_trial(reference: list[Any]) -> None:
    _compare(
        observe_on("process"),
        reference,
        "AttributeError: trial.study is not available in a worker process: only the runner "
        "holds the study",
    )


DASK_WORKERS = 1  # the dask_client fixture's cluster (tests/conftest.py)


@pytest.fixture(scope="module")
def client(dask_client: Any) -> Any:
    return dask_client


@pytest.mark.slow
def test_dask_executor_sees_the_same_trial(reference: list[Any], client: Any) -> None:
    _compare(
        observe_on(client),
        reference,
        "AttributeError: trial.study is not available in a worker process: only the runner "
        "holds the study",
    )

"""``hpo_lab.study.warm_start``: the one warm-start path (the API, ``%hpo warm`` and the panel)."""

from __future__ import annotations

from typing import Any

import pytest

import hpo_lab
from hpo_lab.pruners import MedianPruner
from hpo_lab.samplers import RandomSampler
from hpo_lab.study import warm_start


def _parent(storage: Any) -> hpo_lab.Study:
    parent = hpo_lab.create_study(
        study_name="parent",
        storage=storage,
        direction="maximize",
        sampler=RandomSampler(seed=5),
        pruner=MedianPruner(),
    )
    parent.optimize(lambda t: t.suggest_float("x", 0, 10) + t.suggest_int("k", 0, 4), n_trials=10)
    return parent


def test_the_child_gets_copies_of_the_sampler_and_pruner_and_goes_on_from_them(
    storage: Any,
) -> None:
    parent = _parent(storage)
    child = warm_start(parent)
    assert child.study_name == "parent_warm1" and child.direction == "maximize"
    assert child.parent is not None and child.parent.study_name == "parent"
    assert len(child.inherited_trials) == 10
    assert child.sampler is not parent.sampler and isinstance(child.sampler, RandomSampler)
    assert child.pruner is not parent.pruner and isinstance(child.pruner, MedianPruner)
    # A copy goes on with the parent's seed stream: no point of the parent is proposed again.
    child.optimize(lambda t: t.suggest_float("x", 0, 10) + t.suggest_int("k", 0, 4), n_trials=5)
    seen = {t.params["x"] for t in parent.trials}
    assert not [t.params["x"] for t in child.trials if t.params["x"] in seen]
    assert warm_start(parent).study_name == "parent_warm2"


def test_given_sampler_name_and_ranges_are_used(storage: Any) -> None:
    parent = _parent(storage)
    sampler = RandomSampler(seed=1)
    child = warm_start(parent, "narrow", sampler=sampler, narrow={"x": (2.0, 6.0), "k": (1, 2)})
    assert child.study_name == "narrow" and child.sampler is sampler
    constraints = child.search_space_history[-1].constraints
    assert (constraints["x"].low, constraints["x"].high) == (2.0, 6.0)
    assert all(2 <= t.params["x"] <= 6 and 1 <= t.params["k"] <= 2 for t in child.inherited_trials)


@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        ({"depth": (1, 3)}, "cannot narrow unknown parameter 'depth' (parameters of study "),
        ({"x": (20.0, 30.0)}, "'x'"),
    ],
)
def test_bad_ranges_create_no_study(ranges: dict[str, Any], message: str) -> None:
    parent = _parent(None)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        warm_start(parent, "never", narrow=ranges)
    assert [s.study_name for s in parent.storage.get_all_studies()] == ["parent"]


def test_a_sampler_that_cannot_be_copied_is_named() -> None:
    import threading

    class Locked(RandomSampler):
        def __deepcopy__(self, memo: Any) -> Any:
            raise TypeError(f"cannot pickle {threading.Lock()!r}")

    parent = hpo_lab.create_study(study_name="p", sampler=Locked(seed=0))
    with pytest.raises(
        TypeError,
        match="the sampler of study 'p' \\(Locked\\) cannot be copied for the new study; "
        "pass sampler= to warm_start",
    ):
        warm_start(parent)
    with pytest.raises(TypeError, match="warm_start takes a parent Study, but got str"):
        warm_start("p")  # type: ignore[arg-type]

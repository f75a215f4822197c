from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_lab.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_lab.search_space import (
    SpaceRevision,
    build_constraint,
    constraints_from_json,
    constraints_to_json,
)
from hpo_lab.testing.pytest_samplers import distributions

LR = FloatDistribution(1e-5, 1e-1, log=True)
K = IntDistribution(0, 20, step=2)
OPT = CategoricalDistribution(("adam", "sgd", None))


@pytest.mark.parametrize(
    ("declared", "spec", "message"),
    [
        (LR, (1e-6, 1e-2), r"cannot narrow 'p' to \[1e-06, 0.01\]: outside its declared range"),
        (LR, (1e-3, 1.0), "outside its declared range"),
        (LR, (1e-2, 1e-3), "low must be <= high, but got low=0.01, high=0.001"),
        (LR, [1e-3], r"takes a \(low, high\) pair, but got \[0.001\]"),
        (LR, 0.5, r"takes a \(low, high\) pair, but got 0.5"),
        (LR, ("a", "b"), "bounds must be numbers"),
        (K, (5, 5), "leaves no value"),
        (OPT, "adam", "takes a list of choices, but got 'adam'"),
        (OPT, ["rmsprop"], r"\['rmsprop'\] not among the declared choices"),
        (OPT, [], "must keep at least one choice"),
    ],
)
def test_build_constraint_errors(declared: Distribution, spec: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_constraint("p", declared, spec)


def test_build_constraint() -> None:
    assert build_constraint("k", K, (3, 9)) == IntDistribution(4, 8)
    assert build_constraint("k", K, (None, 9)) == IntDistribution(0, 8)
    assert build_constraint("lr", LR, (1e-4, None)) == FloatDistribution(1e-4, 1e-1)
    assert build_constraint("lr", LR, FloatDistribution(1e-3, 1e-2)) == FloatDistribution(
        1e-3, 1e-2
    )
    assert build_constraint("opt", OPT, [None, "adam"]) == CategoricalDistribution(("adam", None))
    assert build_constraint("opt", OPT, CategoricalDistribution(("sgd",))) == (
        CategoricalDistribution(("sgd",))
    )


def test_build_constraint_keeps_typed_choices_apart() -> None:
    declared = CategoricalDistribution((True, 1, 1.0, "x"))
    assert build_constraint("c", declared, [1]) == CategoricalDistribution((1,))
    assert build_constraint("c", declared, [True, 1.0]) == CategoricalDistribution((True, 1.0))


def test_effective_and_admits() -> None:
    rev = SpaceRevision(
        1, {"lr": FloatDistribution(1e-4, 1e-2), "k": IntDistribution(4, 8), "opt": OPT}
    )
    assert rev.effective("lr", LR) == FloatDistribution(1e-4, 1e-2, log=True)
    assert rev.effective("k", K) == IntDistribution(4, 8, step=2)
    assert rev.effective("other", K) == K
    # A declaration that misses the narrowed range entirely wins over it.
    assert rev.effective("k", IntDistribution(50, 60)) == IntDistribution(50, 60)
    assert rev.admits({"lr": 1e-3, "k": 6, "other": 99})
    assert not rev.admits({"lr": 1e-1})
    assert not rev.admits({"k": 10})
    assert rev.admits({})
    assert SpaceRevision(0).admits({"anything": 1})


def test_constraints_json_round_trip() -> None:
    constraints: dict[str, Distribution] = {"lr": FloatDistribution(1e-4, 1e-2), "opt": OPT}
    assert constraints_from_json(constraints_to_json(constraints)) == constraints


@settings(max_examples=300, deadline=None)
@given(declared=distributions(), data=st.data())
def test_effective_lies_inside_declared_and_constraint(
    declared: Distribution, data: st.DataObject
) -> None:
    if isinstance(declared, CategoricalDistribution):
        spec: Any = data.draw(
            st.lists(st.sampled_from(declared.choices), min_size=1, unique_by=repr)
        )
    else:
        a = data.draw(st.floats(float(declared.low), float(declared.high)))
        b = data.draw(st.floats(float(declared.low), float(declared.high)))
        spec = (min(a, b), max(a, b))
    try:
        constraint = build_constraint("p", declared, spec)
    except ValueError as exc:
        error = str(exc)
    else:
        error = ""
    if error:
        # Only a step grid can miss a non-empty range.
        assert "leaves no value" in error
        assert not isinstance(declared, CategoricalDistribution)
        assert declared.step is not None
        return
    rev = SpaceRevision(1, {"p": constraint})
    effective = rev.effective("p", declared)
    assert type(effective) is type(declared)
    if isinstance(effective, CategoricalDistribution):
        assert all(declared.contains(c) and constraint.contains(c) for c in effective.choices)
        return
    assert isinstance(effective, (FloatDistribution, IntDistribution))
    for end in (effective.low, effective.high):
        assert declared.contains(end)
        assert rev.admits({"p": end})


def test_grid_point_just_past_a_narrowed_bound_is_not_kept() -> None:
    # A grid point 6e-8 below a range [0, 0] is within 1e-8 *steps* of it (step 6) but outside
    # what SpaceRevision.admits forgives, so the narrowing leaves nothing rather than an
    # effective range whose own bounds the revision would reject.
    declared = FloatDistribution(-5.96e-08, 5.99999994, step=6.0)
    with pytest.raises(ValueError, match="leaves no value"):
        build_constraint("p", declared, (0.0, 0.0))
    # Float noise of ordinary steps still lands on the grid.
    rev = SpaceRevision(
        1, {"p": build_constraint("p", FloatDistribution(0, 1, step=0.1), (0.3, 0.7))}
    )
    eff = rev.effective("p", FloatDistribution(0, 1, step=0.1))
    assert isinstance(eff, FloatDistribution)
    assert eff.low == pytest.approx(0.3) and eff.high == pytest.approx(0.7)
    assert rev.admits({"p": eff.low}) and rev.admits({"p": eff.high})

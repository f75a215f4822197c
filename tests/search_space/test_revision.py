from __future__ import annotations

import logging
import math
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
    apply_constraint,
    build_constraint,
    constraints_from_json,
    constraints_to_json,
)
from hpo_lab.testing.pytest_samplers import distributions

LR = FloatDistribution(1e-5, 1e-1, log=True)
K = IntDistribution(0, 20, step=2)
OPT = CategoricalDistribution(("adam", "sgd", None))


STEP = FloatDistribution(0.0, 1.0, step=0.25)
UNIT = FloatDistribution(0.0, 1.0)


@pytest.mark.parametrize(
    ("declared", "spec", "message"),
    [
        (LR, (1e-6, 1e-2), r"cannot narrow 'p' to \[1e-06, 0.01\]: outside its declared range"),
        (LR, (1e-3, 1.0), r"outside its declared range \[1e-05, 0.1\] \(log\) \(high=1.0 > 0.1\)"),
        (LR, (1e-6, 1e-2), r"\(low=1e-06 < 1e-05\)$"),
        (LR, (1e-2, 1e-3), "narrowing 'p': low must be <= high, but got low=0.01, high=0.001"),
        (LR, [1e-3], r"numeric parameter 'p' takes a \(low, high\) pair, but got \[0.001\]"),
        (LR, 0.5, r"takes a \(low, high\) pair, but got 0.5"),
        (LR, {"low": 1e-3}, r"'p' takes a \(low, high\) pair, but got \{'low': 0.001\}"),
        (LR, ("a", "b"), r"narrowing 'p': low must be a number .*, but got low='a'"),
        (LR, (True, 1e-2), r"narrowing 'p': low must be a number .*, but got low=True"),
        (UNIT, (math.nan, 0.5), "narrowing 'p': low must be a finite number, but got low=nan"),
        (UNIT, (0.5, math.nan), "narrowing 'p': high must be a finite number, but got high=nan"),
        (UNIT, (-math.inf, 0.5), "narrowing 'p': low must be a finite number, but got low=-inf"),
        (UNIT, (0, 10**400), r"'p': high must be a finite number, but got high=1e\+400 \(an int"),
        (UNIT, (0, 2), r"cannot narrow 'p' to \[0, 2\]: .* \[0.0, 1.0\] \(high=2 > 1.0\)"),
        (K, (5, 5), r"narrowing 'p' to \[5, 5\] leaves no value: .* declared \[0, 20\] step 2"),
        (K, (21, 30), r"cannot narrow 'p' to \[21, 30\]: outside .* step 2 \(high=30 > 20\)"),
        (STEP, (0.3, 0.45), r"'p' to \[0.3, 0.45\] leaves no value: .* \[0.0, 1.0\] step 0.25"),
        (OPT, "adam", "categorical parameter 'p' takes a list of choices, but got 'adam'"),
        (OPT, {"adam": 1}, r"'p' takes a list of choices, but got \{'adam': 1\}"),
        (OPT, (0.1, 0.2), r"cannot narrow 'p' to \[0.1, 0.2\]: \[0.1, 0.2\] not among the"),
        (OPT, ["rmsprop"], r"\['rmsprop'\] not among the declared choices \['adam', 'sgd', None\]"),
        (OPT, [], r"narrowing 'p' must keep at least one choice, but got \[\]"),
        (OPT, set(), r"narrowing 'p' must keep at least one choice, but got set\(\)"),
    ],
)
def test_build_constraint_errors(declared: Distribution, spec: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        build_constraint("p", declared, spec)
    assert "'p'" in str(info.value) and "\n" not in str(info.value)


_specs = st.one_of(
    st.tuples(
        st.one_of(st.none(), st.floats(), st.integers(-(2**1100), 2**1100), st.booleans(),
                  st.text(max_size=2)),
        st.one_of(st.none(), st.floats(), st.integers(-(2**1100), 2**1100)),
    ),
    st.lists(st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=2)), max_size=3),
    st.floats(),
    st.text(max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(declared=distributions(), spec=_specs)
def test_any_spec_gives_a_constraint_that_applies_or_an_error_naming_the_parameter(
    declared: Distribution, spec: Any
) -> None:
    try:
        constraint = build_constraint("p", declared, spec)
    except ValueError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        assert "'p'" in message and "\n" not in message
        rules = ("but got", "leaves no value", "outside its declared range", "not among")
        assert any(rule in message for rule in rules), message
        return
    assert apply_constraint(declared, constraint) is not None
    assert SpaceRevision(1, {"p": constraint}).applied_to({"p": declared}) == {"p": True}


def test_a_bound_within_the_tolerance_beyond_a_zero_width_range_narrows_to_it() -> None:
    # Found by hypothesis: the low bound, a hair above high (within the tolerance), was clipped
    # below but not above, and the range came out inverted with an error naming no parameter.
    point = FloatDistribution(0.0, 0.0)
    assert build_constraint("p", point, (1e-58, 1e-58)) == point
    assert build_constraint("p", FloatDistribution(1.0, 1.0), (1.0 - 1e-15, None)) == (
        FloatDistribution(1.0, 1.0)
    )


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


def test_apply_constraint_is_the_rule_of_sampling_and_plots() -> None:
    assert apply_constraint(UNIT, None) is None
    assert apply_constraint(UNIT, FloatDistribution(0.2, 0.4)) == FloatDistribution(0.2, 0.4)
    assert apply_constraint(FloatDistribution(0.5, 1.0), FloatDistribution(0.2, 0.4)) is None
    assert apply_constraint(STEP, FloatDistribution(0.3, 0.45)) is None  # between grid points
    assert apply_constraint(OPT, CategoricalDistribution(("sgd",))) is not None
    assert apply_constraint(OPT, CategoricalDistribution(("rms",))) is None
    assert apply_constraint(OPT, FloatDistribution(0, 1)) is None  # now numeric, was not
    assert apply_constraint(K, CategoricalDistribution((2,))) is None
    rev = SpaceRevision(1, {"x": FloatDistribution(0.2, 0.4), "opt": OPT})
    assert rev.applied_to({"x": FloatDistribution(0.3, 2.0), "y": UNIT}) == {"x": True}
    assert rev.applied_to({"x": FloatDistribution(0.5, 1.0), "opt": OPT}) == {
        "x": False,
        "opt": True,
    }
    assert SpaceRevision(0).applied_to({"x": UNIT}) == {}


def test_an_ignored_narrowing_is_logged_once_per_parameter_revision_and_declaration(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rev = SpaceRevision(3, {"x": FloatDistribution(0.2, 0.4), "k": IntDistribution(4, 8)})
    later = FloatDistribution(0.5, 1.0)
    with caplog.at_level(logging.WARNING, logger="hpo_lab"):
        for _ in range(3):
            assert rev.effective("x", later) == later
        assert rev.effective("x", FloatDistribution(0.0, 1.0)) == FloatDistribution(0.2, 0.4)
        assert rev.effective("k", CategoricalDistribution((1, 2))) == (
            CategoricalDistribution((1, 2))
        )
        assert rev.effective("x", FloatDistribution(0.6, 1.0)) == FloatDistribution(0.6, 1.0)
        other = SpaceRevision(4, dict(rev.constraints))
        assert other.effective("x", later) == later
    records = [r for r in caplog.records if r.name == "hpo_lab"]
    assert [r.levelno for r in records] == [logging.WARNING] * 4
    assert records[0].getMessage() == (
        "narrowing of 'x' to [0.2, 0.4] (search-space revision 3) does not apply: the objective "
        "now declares 'x' as [0.5, 1.0], which has no value inside it, so 'x' is sampled from "
        "the declaration; narrow 'x' again to match it"
    )
    assert "narrowing of 'k' to [4, 8] (search-space revision 3)" in records[1].getMessage()
    assert "declares 'k' as {1, 2}" in records[1].getMessage()
    assert "declares 'x' as [0.6, 1.0]" in records[2].getMessage()
    assert "(search-space revision 4)" in records[3].getMessage()

from __future__ import annotations

import json
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
    check_compatible,
    dict_to_distribution,
    distribution_to_json,
    json_to_distribution,
    narrow_distribution,
)
from hpo_lab.testing.pytest_samplers import distributions

INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: FloatDistribution(3.0, 1.0), "low must be <= high, but got low=3.0, high=1.0"),
        (lambda: IntDistribution(3, 1), "low must be <= high, but got low=3, high=1"),
        (
            lambda: FloatDistribution(0.0, 1.0, log=True),
            "log=True requires low > 0, but got low=0.0",
        ),
        (lambda: FloatDistribution(-1.0, 1.0, log=True), "log=True requires low > 0"),
        (lambda: IntDistribution(0, 5, log=True), "log=True requires low >= 1, but got low=0"),
        (
            lambda: FloatDistribution(1.0, 2.0, log=True, step=0.5),
            "log and step cannot be used together, but got log=True, step=0.5",
        ),
        (
            lambda: IntDistribution(1, 8, log=True, step=2),
            "log and step cannot be used together, but got log=True, step=2",
        ),
        (lambda: FloatDistribution(0.0, 1.0, step=0.0), "step must be > 0, but got step=0.0"),
        (lambda: FloatDistribution(0.0, 1.0, step=-0.5), "step must be > 0, but got step=-0.5"),
        (lambda: IntDistribution(0, 5, step=0), "step must be > 0, but got step=0"),
        (lambda: IntDistribution(0, 5, step=-1), "step must be > 0, but got step=-1"),
        (lambda: FloatDistribution(0.0, 1.0, step=NAN), "step must be a finite real number"),
        (lambda: FloatDistribution(-INF, 1.0), "but got low=-inf"),
        (lambda: FloatDistribution(0.0, INF), "high must be a finite real number"),
        (lambda: FloatDistribution(NAN, 1.0), "low must be a finite real number, but got low=nan"),
        (lambda: FloatDistribution("0", 1.0), "low must be a finite real number, but got low='0'"),
        (lambda: FloatDistribution(True, 2.0), "finite real number, but got low=True"),
        (lambda: IntDistribution(0, INF), "high must be an integer, but got high=inf"),
        (lambda: IntDistribution(NAN, 3), "low must be an integer, but got low=nan"),
        (lambda: IntDistribution(0.5, 3), "low must be an integer, but got low=0.5"),
        (lambda: IntDistribution(0, 3, step=1.5), "step must be an integer, but got step=1.5"),
        (lambda: IntDistribution(False, 3), "low must be an integer, but got low=False"),
        (lambda: FloatDistribution(0.0, 1.0, log=1), "log must be a bool, but got log=1"),
        (lambda: IntDistribution(1, 3, log="yes"), "log must be a bool, but got log='yes'"),
        (lambda: CategoricalDistribution(()), r"choices must not be empty, but got choices=\(\)"),
        (lambda: CategoricalDistribution([]), "choices must not be empty"),
        (lambda: CategoricalDistribution("abc"), "choices must be a list or tuple of values"),
        (lambda: CategoricalDistribution({"a", "b"}), "choices must be a list or tuple of values"),
        (
            lambda: CategoricalDistribution(("a", "b", "a")),
            "choices must be distinct, but 'a' appears more than once",
        ),
        (lambda: CategoricalDistribution((1.0, 1.0)), "choices must be distinct"),
        (lambda: CategoricalDistribution((None, None)), "choices must be distinct"),
        (
            lambda: CategoricalDistribution(([1, 2],)),
            "choices must be None, bool, int, float or str, but got \\[1, 2\\] of type list",
        ),
        (lambda: CategoricalDistribution((object(),)), "of type object"),
        (lambda: CategoricalDistribution((b"x",)), "of type bytes"),
        (lambda: CategoricalDistribution((NAN,)), "choices must not contain NaN"),
        # Ranges a float cannot span, and integers a float cannot hold exactly.
        (
            lambda: FloatDistribution(-1e308, 1e308),
            r"high - low must not exceed the largest float \(1.8e308\), but got low=-1e\+308, "
            r"high=1e\+308; use a narrower range",
        ),
        (lambda: FloatDistribution(-1.7e308, 1.7e308), "high - low must not exceed"),
        (
            lambda: FloatDistribution(0, 10**400),
            r"high must lie within the float range \(\+-1.8e308\), but got high=1e\+400 "
            r"\(an int of 401 digits\)",
        ),
        (
            lambda: FloatDistribution(0.0, 1e300, step=1e-300),
            r"step must be at least 5.7e-14 \* max\(\|low\|, \|high\|\), .* but got "
            r"step=1e-300 for low=0.0, high=1e\+300",
        ),
        (lambda: FloatDistribution(1e10, 1e10 + 1, step=1e-6), "step must be at least 5.7e-14"),
        (
            lambda: IntDistribution(0, 2**53 + 1),
            r"high must lie within \+-2\*\*53 \(\+-9007199254740992\), where every integer is "
            r"exactly a float, but got high=9007199254740993",
        ),
        (lambda: IntDistribution(-(2**53) - 1, 0), r"low must lie within \+-2\*\*53"),
        (lambda: IntDistribution(0, 10**400), r"but got high=1e\+400 \(an int of 401 digits\)"),
        (lambda: IntDistribution(0, 4, step=2**54), r"step must lie within \+-2\*\*53"),
        (lambda: IntDistribution(0, 1e300), r"high must lie within \+-2\*\*53 .* high=1e\+300"),
        (
            lambda: CategoricalDistribution(frozenset({"b", "a"})),
            r"choices must be a list or tuple of values \(their order matters\), but got a "
            r"frozenset: \{'a', 'b'\}; a set's order changes from one process to the next",
        ),
        (lambda: CategoricalDistribution({1: "a"}), "but got a dict: {1: 'a'}"),
        (lambda: CategoricalDistribution(c for c in "ab"), "but got generator <generator"),
    ],
)
def test_validation_errors_name_the_value_and_the_rule(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_typed_choices_are_distinct() -> None:
    d = CategoricalDistribution((True, 1, 1.0, "1", None, False, 0))
    assert [d.index(c) for c in (True, 1, 1.0, "1", None, False, 0)] == list(range(7))
    assert [d.contains(v) for v in (1, 2, "True")] == [True, False, False]


def test_step_high_is_lowered_to_the_grid_and_never_raised() -> None:
    assert IntDistribution(1, 10, step=3).high == 10
    assert IntDistribution(0, 10, step=3).high == 9
    assert FloatDistribution(0.0, 1.0, step=0.3).high == pytest.approx(0.9)
    # 0.1 + 3 * 0.2 is 0.7000000000000001 in floating point: high must stay 0.7.
    assert FloatDistribution(0.1, 0.7, step=0.2).high == 0.7


def test_contains() -> None:
    f = FloatDistribution(0.0, 1.0, step=0.25)
    assert [f.contains(v) for v in (0.75, 0, 1.0)] == [True, True, True]
    assert [f.contains(v) for v in (0.3, 1.25, NAN, "0.5", True, None)] == [False] * 6
    i = IntDistribution(2, 11, step=3)
    assert [v for v in range(0, 15) if i.contains(v)] == [2, 5, 8, 11]
    assert [i.contains(v) for v in (5.0, 5.5, INF)] == [True, False, False]
    log = FloatDistribution(1e-3, 1.0, log=True)
    assert [log.contains(v) for v in (1e-3, 0.0, 2.0)] == [True, False, False]
    assert FloatDistribution(0.1, 0.7, step=0.2).contains(0.1 + 3 * 0.2 - 1e-16)


def test_single() -> None:
    assert FloatDistribution(1.0, 1.0).single()
    assert FloatDistribution(0.0, 0.4, step=0.5).single()
    assert IntDistribution(0, 2, step=3).single()
    assert CategoricalDistribution(("only",)).single()
    assert not IntDistribution(0, 1).single()


@settings(max_examples=300, deadline=None)
@given(dist=distributions())
def test_json_round_trip_is_exact(dist: Distribution) -> None:
    text = distribution_to_json(dist)
    back = json_to_distribution(text)
    assert back == dist
    assert hash(back) == hash(dist)
    assert type(back) is type(dist)
    assert distribution_to_json(back) == text
    assert json.loads(text)["type"] in ("float", "int", "categorical")
    if isinstance(dist, CategoricalDistribution):
        assert isinstance(back, CategoricalDistribution)
        assert [type(c) for c in back.choices] == [type(c) for c in dist.choices]


@settings(max_examples=300, deadline=None)
@given(dist=distributions(), data=st.data())
def test_internal_round_trip(dist: Distribution, data: st.DataObject) -> None:
    if isinstance(dist, CategoricalDistribution):
        value = data.draw(st.sampled_from(dist.choices))
        internal = dist.to_internal(value)
        assert internal == float(dist.index(value))
        back = dist.to_external(internal)
        assert type(back) is type(value)
        assert back == value
        return
    if isinstance(dist, IntDistribution):
        k = data.draw(st.integers(0, (dist.high - dist.low) // dist.step))
        value_i = dist.low + k * dist.step
        assert dist.contains(value_i)
        assert dist.to_external(dist.to_internal(value_i)) == value_i
        assert type(dist.to_external(dist.to_internal(value_i))) is int
        return
    value_f = data.draw(st.floats(dist.low, dist.high))
    assert dist.to_external(dist.to_internal(value_f)) == value_f


def test_json_errors() -> None:
    with pytest.raises(ValueError, match="unknown distribution type 'gauss'"):
        json_to_distribution('{"type": "gauss"}')
    with pytest.raises(ValueError, match="a float distribution needs the key 'step'"):
        dict_to_distribution({"type": "float", "low": 0, "high": 1, "log": False})
    with pytest.raises(ValueError, match="low must be <= high"):
        json_to_distribution('{"type": "int", "low": 3, "high": 1, "log": false, "step": 1}')


def test_check_compatible() -> None:
    check_compatible("x", FloatDistribution(0, 1), FloatDistribution(0.0, 1.0))
    with pytest.raises(ValueError, match="parameter 'x' was already suggested"):
        check_compatible("x", FloatDistribution(0, 1), FloatDistribution(0, 2))
    with pytest.raises(ValueError, match="cannot be suggested again"):
        check_compatible("c", CategoricalDistribution((1,)), CategoricalDistribution((True,)))


@pytest.mark.parametrize(
    ("declared", "constraint", "expected"),
    [
        (IntDistribution(0, 10, step=2), IntDistribution(3, 7), IntDistribution(4, 6, step=2)),
        (
            IntDistribution(1, 100, log=True),
            IntDistribution(5, 500),
            IntDistribution(5, 100, log=True),
        ),
        (
            FloatDistribution(0.0, 1.0, step=0.25),
            FloatDistribution(0.1, 0.6),
            FloatDistribution(0.25, 0.5, step=0.25),
        ),
        (
            FloatDistribution(1e-5, 1.0, log=True),
            FloatDistribution(1e-3, 1e-2),
            FloatDistribution(1e-3, 1e-2, log=True),
        ),
        (FloatDistribution(0.0, 1.0), FloatDistribution(0.5, 3.0), FloatDistribution(0.5, 1.0)),
        (
            CategoricalDistribution(("a", "b", None)),
            CategoricalDistribution((None, "a", "z")),
            CategoricalDistribution(("a", None)),
        ),
    ],
)
def test_narrow_distribution(
    declared: Distribution, constraint: Distribution, expected: Distribution
) -> None:
    assert narrow_distribution(declared, constraint) == expected


@pytest.mark.parametrize(
    ("declared", "constraint", "message"),
    [
        (IntDistribution(0, 10, step=4), IntDistribution(5, 7), "leaves no value"),
        (FloatDistribution(0.0, 1.0, step=0.5), FloatDistribution(0.1, 0.4), "leaves no value"),
        (FloatDistribution(0.0, 1.0), FloatDistribution(2.0, 3.0), "leaves no value"),
        (CategoricalDistribution(("a",)), CategoricalDistribution(("b",)), "leaves no choice"),
        (CategoricalDistribution(("a",)), IntDistribution(0, 1), "cannot narrow"),
        (IntDistribution(0, 1), CategoricalDistribution((0,)), "cannot narrow"),
    ],
)
def test_narrow_distribution_errors(
    declared: Distribution, constraint: Distribution, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        narrow_distribution(declared, constraint)


@settings(max_examples=300, deadline=None)
@given(declared=distributions(), data=st.data())
def test_narrowed_values_are_declared_values(declared: Distribution, data: st.DataObject) -> None:
    if isinstance(declared, CategoricalDistribution):
        kept = data.draw(st.lists(st.sampled_from(declared.choices), min_size=1, unique_by=repr))
        narrowed = narrow_distribution(declared, CategoricalDistribution(tuple(kept)))
        assert isinstance(narrowed, CategoricalDistribution)
        assert all(declared.contains(c) for c in narrowed.choices)
        assert len(narrowed.choices) == len(kept)
        return
    a = data.draw(st.floats(float(declared.low), float(declared.high)))
    b = data.draw(st.floats(float(declared.low), float(declared.high)))
    constraint = FloatDistribution(min(a, b), max(a, b))
    try:
        narrowed = narrow_distribution(declared, constraint)
    except ValueError as exc:
        error = str(exc)
    else:
        error = ""
    if error:
        assert "leaves no value" in error
        # Only a grid: and no grid value lies clearly inside the constraint.
        step = float(declared.step or 1)
        first = declared.low + math.ceil((constraint.low - declared.low) / step) * step
        margin = 1e-6 * step
        assert not constraint.low + margin < first < constraint.high - margin
        return
    assert type(narrowed) is type(declared)
    assert isinstance(narrowed, (FloatDistribution, IntDistribution))
    assert (narrowed.log, narrowed.step) == (declared.log, declared.step)
    tol = 1e-9 * max(1.0, abs(constraint.low), abs(constraint.high))
    for end in (narrowed.low, narrowed.high):
        assert declared.contains(end)
        assert constraint.low - tol <= end <= constraint.high + tol
    assert not math.isnan(narrowed.low)


def test_numpy_scalar_choices_become_python_values() -> None:
    import numpy as np

    d = CategoricalDistribution([np.int64(1), np.float64(2.5), np.str_("a"), np.bool_(True), None])
    assert d.choices == (1, 2.5, "a", True, None)
    assert [type(c) for c in d.choices] == [int, float, str, bool, type(None)]
    assert json_to_distribution(distribution_to_json(d)) == d
    assert d == CategoricalDistribution([1, 2.5, "a", True, None])
    with pytest.raises(ValueError, match="distinct"):
        CategoricalDistribution([np.int64(1), 1])


def test_the_limits_themselves_are_accepted_and_exact() -> None:
    top = IntDistribution(-(2**53), 2**53)
    assert (top.low, top.high) == (-(2**53), 2**53)
    assert top.to_external(top.to_internal(2**53 - 1)) == 2**53 - 1
    wide = FloatDistribution(-8e307, 8e307)
    assert math.isfinite(wide.high - wide.low)
    assert FloatDistribution(0.0, 1.0, step=1e-13).step == 1e-13


def test_json_of_an_infinite_choice_is_standard() -> None:
    d = CategoricalDistribution([INF, -INF, 1.0, None])
    text = distribution_to_json(d)

    def refuse(token: str) -> Any:
        raise ValueError(token)

    json.loads(text, parse_constant=refuse)
    assert json_to_distribution(text) == d

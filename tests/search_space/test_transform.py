from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_lab.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_lab.search_space import decode_unit, encode_unit, intersection_search_space
from hpo_lab.testing.pytest_samplers import assert_in_distribution, distributions
from hpo_lab.trial import FrozenTrial, TrialState

UNIT = st.floats(0.0, 1.0)


@settings(max_examples=500, deadline=None)
@given(dist=distributions(), u=UNIT)
def test_decode_always_lands_inside(dist: Distribution, u: float) -> None:
    assert_in_distribution(decode_unit(dist, u), dist)


@settings(max_examples=100, deadline=None)
@given(dist=distributions(), u=st.floats(allow_nan=False))
def test_decode_clips_points_outside_the_cube(dist: Distribution, u: float) -> None:
    assert_in_distribution(decode_unit(dist, u), dist)


@settings(max_examples=500, deadline=None)
@given(dist=distributions(), u=UNIT)
def test_encode_decode_is_stable(dist: Distribution, u: float) -> None:
    value = decode_unit(dist, u)
    e = encode_unit(dist, value)
    assert 0.0 <= e <= 1.0
    again = decode_unit(dist, e)
    if isinstance(dist, FloatDistribution) and dist.step is None:
        assert math.isclose(again, value, rel_tol=1e-9, abs_tol=1e-9 * (dist.high - dist.low))
    else:
        # Discrete values sit in the middle of their cells: exactly the same value back.
        assert again == value
        assert type(again) is type(value)
    assert encode_unit(dist, again) == pytest.approx(e, abs=1e-9)


@pytest.mark.parametrize(
    "dist",
    [
        CategoricalDistribution(("a", None, True, 1, 2.5)),
        IntDistribution(-3, 3),
        IntDistribution(0, 12, step=3),
        FloatDistribution(0.0, 1.0, step=0.25),
    ],
    ids=["categorical", "int", "int_step", "float_step"],
)
def test_uniform_points_map_to_uniform_values(dist: Distribution) -> None:
    n = 20_000
    u = np.random.default_rng(0).random(n)
    counts = Counter(repr(decode_unit(dist, float(x))) for x in u)
    expected = n / len(counts)
    if isinstance(dist, CategoricalDistribution):
        assert len(counts) == len(dist.choices)
    else:
        assert len(counts) == round((dist.high - dist.low) / (dist.step or 1)) + 1
    # Chi-square with k - 1 <= 6 degrees of freedom: 30 is far beyond the 0.999 quantile.
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 30


def test_log_encoding_is_uniform_in_log_space() -> None:
    dist = FloatDistribution(1e-4, 1.0, log=True)
    assert encode_unit(dist, 1e-2) == pytest.approx(0.5)
    assert decode_unit(dist, 0.25) == pytest.approx(1e-3)
    assert decode_unit(dist, 0.0) == 1e-4
    assert decode_unit(dist, 1.0) == 1.0


def test_encode_clips_values_outside_the_distribution() -> None:
    # History can hold values outside a narrowed range; they encode to the nearest face.
    dist = FloatDistribution(0.0, 1.0)
    assert encode_unit(dist, -5.0) == 0.0
    assert encode_unit(dist, 5.0) == 1.0
    assert encode_unit(FloatDistribution(2.0, 2.0), 2.0) == 0.5


def _trial(number: int, **dists: Distribution) -> FrozenTrial:
    return FrozenTrial(number=number, state=TrialState.COMPLETE, distributions=dict(dists))


def test_intersection_search_space() -> None:
    x, y = FloatDistribution(0, 1), IntDistribution(0, 3)
    trials = [
        _trial(0, x=x, y=y, z=x),
        _trial(1, y=y, x=x),
        _trial(2, x=x, y=IntDistribution(0, 4)),
    ]
    assert intersection_search_space(trials[:2]) == {"x": x, "y": y}
    assert list(intersection_search_space(trials[:2])) == ["x", "y"]
    assert intersection_search_space(trials) == {"x": x}
    assert intersection_search_space([]) == {}

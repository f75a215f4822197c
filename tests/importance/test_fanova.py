"""The numpy fANOVA: known rankings, intervals, and input checks."""

from __future__ import annotations

import numpy as np
import pytest

from hpo_lab.importance import fanova_importances

N_SEEDS = 40


def _linear(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    # f = 10 x1 + 3 x2 + 0 x3 + noise: main-effect variances 100/12, 9/12 and 0.
    x = rng.random((n, 3))
    y = 10 * x[:, 0] + 3 * x[:, 1] + 0 * x[:, 2] + 0.5 * rng.standard_normal(n)
    return x, y, [0, 1, 2]


def _interaction(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
    # f = 8 x1 x2 + 2 x2 + 0 x3 + noise: main effects of x2 (36/12) > x1 (16/12) > x3 (0),
    # plus an interaction term of variance 64/144.
    x = rng.random((n, 3))
    y = 8 * x[:, 0] * x[:, 1] + 2 * x[:, 1] + 0.3 * rng.standard_normal(n)
    return x, y, [1, 0, 2]


def _recovery_rate(make, n: int) -> float:
    hits = 0
    for seed in range(N_SEEDS):
        rng = np.random.default_rng(seed)
        x, y, truth = make(rng, n)
        res = fanova_importances(x, y, seed=seed, n_trees=32)
        hits += [int(i) for i in np.argsort(-res.importances)] == truth
    return hits / N_SEEDS


@pytest.mark.parametrize("make", [_linear, _interaction], ids=["linear", "interaction"])
def test_true_ranking_is_recovered_in_at_least_95_percent_of_seeds(make) -> None:
    rate = _recovery_rate(make, n=100)
    assert rate >= 0.95, f"ranking recovered in only {rate:.0%} of {N_SEEDS} seeds"


def test_importances_approach_the_analytic_variance_shares() -> None:
    rng = np.random.default_rng(1)
    x = rng.random((1500, 2))
    y = 10 * x[:, 0] + 3 * x[:, 1]
    res = fanova_importances(x, y, seed=0)
    # Exact shares are 100/109 and 9/109.
    assert res.importances[0] == pytest.approx(100 / 109, abs=0.03)
    assert res.raw.sum() == pytest.approx(1.0, abs=0.05)  # additive: main effects explain all


def test_interaction_leaves_raw_fractions_below_one() -> None:
    rng = np.random.default_rng(2)
    x = rng.random((1500, 2))
    y = (x[:, 0] - 0.5) * (x[:, 1] - 0.5)  # pure interaction: no main effect at all
    res = fanova_importances(x, y, seed=0)
    assert res.raw.sum() < 0.3


def test_categorical_column_with_the_largest_effect_ranks_first() -> None:
    rng = np.random.default_rng(3)
    n = 300
    x = np.column_stack([rng.random(n), rng.random(n), rng.integers(0, 4, n)])
    y = np.array([0.0, 5.0, 1.0, 3.0])[x[:, 2].astype(int)] + 1.0 * x[:, 0]
    res = fanova_importances(x, y, np.array([0, 0, 4]), seed=0)
    assert list(np.argsort(-res.importances)) == [2, 0, 1]


def test_importances_are_non_negative_and_sum_to_one() -> None:
    rng = np.random.default_rng(4)
    x = rng.random((50, 5))
    y = rng.standard_normal(50)
    res = fanova_importances(x, y, seed=0)
    assert np.all(res.importances >= 0)
    assert res.importances.sum() == pytest.approx(1.0)


def test_constant_objective_gives_uniform_importances() -> None:
    x = np.random.default_rng(0).random((20, 4))
    res = fanova_importances(x, np.ones(20), seed=0)
    np.testing.assert_allclose(res.importances, 0.25)


def test_same_seed_same_result_and_different_seed_differs() -> None:
    rng = np.random.default_rng(5)
    x = rng.random((80, 3))
    y = x[:, 0] + 0.5 * x[:, 1] + 0.3 * rng.standard_normal(80)
    a = fanova_importances(x, y, seed=7).importances
    b = fanova_importances(x, y, seed=7).importances
    c = fanova_importances(x, y, seed=8).importances
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_bootstrap_interval_brackets_the_estimate_and_narrows_with_more_data() -> None:
    rng = np.random.default_rng(6)

    def width(n: int) -> float:
        x = rng.random((n, 2))
        y = 2 * x[:, 0] + x[:, 1] + 0.5 * rng.standard_normal(n)
        res = fanova_importances(x, y, n_bootstrap=24, seed=0)
        assert res.lower is not None
        assert res.upper is not None
        assert np.all(res.lower <= res.upper)
        assert np.all(res.lower <= res.importances + 0.05)
        assert np.all(res.importances - 0.05 <= res.upper)
        return float((res.upper - res.lower)[0])

    assert width(600) < width(40)


def test_no_interval_unless_asked() -> None:
    x = np.random.default_rng(0).random((10, 2))
    res = fanova_importances(x, x[:, 0], seed=0)
    assert res.lower is None
    assert res.upper is None


def test_two_observations_are_enough() -> None:
    res = fanova_importances(np.array([[0.1, 0.5], [0.9, 0.5]]), np.array([0.0, 1.0]), seed=0)
    assert res.importances.sum() == pytest.approx(1.0)
    assert res.importances[0] > res.importances[1]


@pytest.mark.parametrize(
    ("x", "y", "kwargs", "match"),
    [
        (np.zeros(3), np.zeros(3), {}, "2-d array"),
        (np.zeros((3, 2)), np.zeros(4), {}, "shape"),
        (np.zeros((1, 2)), np.zeros(1), {}, "at least 2 observations"),
        (np.full((3, 1), 0.5), np.array([0.0, np.nan, 1.0]), {}, "finite"),
        (np.full((3, 1), 1.5), np.zeros(3), {}, r"\[0, 1\]"),
        (np.full((3, 1), 0.5), np.zeros(3), {"n_trees": 0}, "n_trees must be an int >= 1"),
        (np.full((3, 1), 0.5), np.zeros(3), {"confidence": 1.0}, "confidence"),
        (np.full((3, 1), 3.0), np.zeros(3), {"n_choices": np.array([3])}, "codes 0..2"),
        (np.full((3, 1), 0.5), np.zeros(3), {"n_choices": np.array([0, 0])}, "n_choices"),
    ],
)
def test_bad_input_raises_with_the_rule(x, y, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        fanova_importances(x, y, **kwargs)

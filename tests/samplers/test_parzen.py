"""The Parzen estimator's math: normalization, sampling against log_pdf, weights, bandwidths."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from hpo_lab.samplers._tpe._parzen import Dimension, ParzenEstimator, default_weights


def _density(pe: ParzenEstimator, x: float) -> float:
    return float(np.exp(pe.log_pdf(np.array([[x]])))[0])


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("bandwidth", ["neighbor", "scott"])
def test_continuous_pdf_integrates_to_one(log: bool, bandwidth: str) -> None:
    rng = np.random.default_rng(0)
    low, high = (1e-3, 10.0) if log else (-2.0, 3.0)
    obs = rng.uniform(low, high, size=(15, 1))
    dims = [Dimension.continuous(low, high, log=log)]
    pe = ParzenEstimator(obs, dims, bandwidth=bandwidth)  # type: ignore[arg-type]
    points = np.sort(obs[:, 0])
    total, _ = integrate.quad(lambda x: _density(pe, x), low, high, points=points, limit=500)
    assert total == pytest.approx(1.0, abs=1e-6)
    # Outside the box the density is zero.
    assert _density(pe, high + 1.0) == 0.0


@pytest.mark.parametrize("log", [False, True])
def test_discrete_pmf_sums_to_one_and_matches_samples(log: bool) -> None:
    dim = Dimension.discrete(1, 40, step=1, log=log)
    obs = np.array([[3.0], [4.0], [30.0]])
    pe = ParzenEstimator(obs, [dim], np.array([1.0, 2.0, 0.5]))
    grid = np.arange(1.0, 41.0)[:, None]
    pmf = np.exp(pe.log_pdf(grid))
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    draws = pe.sample(np.random.default_rng(1), 40_000)[:, 0]
    assert set(np.unique(draws)) <= set(grid[:, 0])
    freq = np.bincount(draws.astype(int) - 1, minlength=40) / len(draws)
    assert np.abs(freq - pmf).max() < 0.01


def test_stepped_float_grid() -> None:
    dim = Dimension.discrete(-1.0, 1.0, step=0.25)
    pe = ParzenEstimator(np.array([[0.5]]), [dim])
    grid = np.linspace(-1.0, 1.0, 9)[:, None]
    assert np.exp(pe.log_pdf(grid)).sum() == pytest.approx(1.0)
    draws = pe.sample(np.random.default_rng(0), 500)[:, 0]
    assert np.allclose(draws * 4, np.round(draws * 4))
    assert draws.min() >= -1.0 and draws.max() <= 1.0


def test_categorical_probabilities_sum_to_one_and_follow_observations() -> None:
    obs = np.array([[1.0], [1.0], [1.0], [3.0]])
    pe = ParzenEstimator(obs, [Dimension.categorical(4)])
    probs = np.exp(pe.log_pdf(np.arange(4.0)[:, None]))
    assert probs.sum() == pytest.approx(1.0)
    assert probs[1] > probs[3] > probs[0]
    assert probs[0] == pytest.approx(probs[2])
    draws = pe.sample(np.random.default_rng(0), 30_000)[:, 0].astype(int)
    assert np.abs(np.bincount(draws, minlength=4) / len(draws) - probs).max() < 0.01


def test_aitchison_aitken_kernel_sharpens_with_more_observations() -> None:
    def p_observed(n: int) -> float:
        pe = ParzenEstimator(np.zeros((n, 1)), [Dimension.categorical(3)])
        return float(np.exp(pe.log_pdf(np.array([[0.0]])))[0])

    assert p_observed(1) < p_observed(10) < p_observed(100) < 1.0


def test_samples_follow_continuous_log_pdf() -> None:
    obs = np.array([[0.1], [0.15], [0.8]])
    pe = ParzenEstimator(obs, [Dimension.continuous(0.0, 1.0)], np.array([1.0, 1.0, 3.0]))
    draws = pe.sample(np.random.default_rng(2), 20_000)[:, 0]
    assert draws.min() >= 0.0 and draws.max() <= 1.0

    def cdf(x: np.ndarray) -> np.ndarray:
        return np.array([integrate.quad(lambda t: _density(pe, t), 0.0, v, limit=200)[0]
                         for v in np.atleast_1d(x)])

    grid = np.linspace(0.0, 1.0, 41)
    table = cdf(grid)
    result = stats.kstest(draws, lambda x: np.interp(x, grid, table))
    assert result.pvalue > 1e-3


def test_weights_shift_the_mass() -> None:
    obs = np.array([[0.1], [0.15], [0.2], [0.8], [0.85], [0.9]])
    dims = [Dimension.continuous(0.0, 1.0)]
    heavy = np.array([1.0, 1.0, 1.0, 9.0, 9.0, 9.0])
    pe = ParzenEstimator(obs, dims, heavy, prior_weight=1.0)
    assert pe.weights[:, 0] == pytest.approx(np.append(heavy, 1.0) / 31.0)
    assert _density(pe, 0.85) > 3 * _density(pe, 0.15)
    even = ParzenEstimator(obs, dims, np.ones(6), prior_weight=1.0)
    heavy_right = np.mean(pe.sample(np.random.default_rng(0), 5000)[:, 0] > 0.5)
    even_right = np.mean(even.sample(np.random.default_rng(0), 5000)[:, 0] > 0.5)
    assert heavy_right > 0.7 > 0.6 > even_right


def test_default_weights_ramp() -> None:
    assert np.all(default_weights(24) == 1.0)
    w = default_weights(100)
    assert w.shape == (100,)
    assert np.all(np.diff(w) >= 0)
    assert np.all(w[-25:] == 1.0)
    assert w[0] == pytest.approx(0.01)


def test_neighbor_bandwidth_rule_and_magic_clip() -> None:
    dims = [Dimension.continuous(0.0, 10.0)]
    obs = np.array([[1.0], [2.0], [6.0]])
    pe = ParzenEstimator(obs, dims, prior_weight=1.0, magic_clip=False)
    # Sorted centres 1, 2, 6: each width is the larger gap to a neighbour, the ends use their
    # only neighbour; the prior (last) spans the whole range and is no neighbour.
    assert pe.bandwidths[:, 0] == pytest.approx([1.0, 4.0, 4.0, 10.0])
    with_ends = ParzenEstimator(obs, dims, magic_clip=False, consider_endpoints=True)
    assert with_ends.bandwidths[:, 0] == pytest.approx([1.0, 4.0, 4.0, 10.0])
    ends = ParzenEstimator(np.array([[3.0], [4.0]]), dims, magic_clip=False,
                           consider_endpoints=True)
    assert ends.bandwidths[:, 0] == pytest.approx([3.0, 6.0, 10.0])
    crowded = np.full((50, 1), 5.0)
    clipped = ParzenEstimator(crowded, dims, magic_clip=True).bandwidths[:-1, 0]
    assert np.all(clipped == pytest.approx(10.0 / min(100, 1 + 51)))


def test_scott_bandwidth_shrinks_with_n_and_dimension() -> None:
    rng = np.random.default_rng(0)

    def width(n: int, d: int) -> float:
        dims = [Dimension.continuous(0.0, 1.0)] * d
        pe = ParzenEstimator(rng.random((n, d)), dims, bandwidth="scott", magic_clip=False)
        return float(pe.bandwidths[0, 0])

    assert width(10, 2) == pytest.approx(0.2 * 10 ** (-1 / 6))
    assert width(100, 2) < width(10, 2)
    assert width(100, 8) > width(100, 2)


def test_joint_mixture_normalizes_over_a_mixed_box() -> None:
    dims = [Dimension.continuous(0.0, 1.0), Dimension.discrete(0, 3), Dimension.categorical(2)]
    obs = np.array([[0.2, 1.0, 0.0], [0.7, 3.0, 1.0], [0.5, 0.0, 1.0]])
    pe = ParzenEstimator(obs, dims, bandwidth="scott")
    total = 0.0
    for k in range(4):
        for c in range(2):
            total += integrate.quad(
                lambda x, k=k, c=c: float(np.exp(pe.log_pdf(np.array([[x, k, c]])))[0]),
                0.0,
                1.0,
                limit=200,
            )[0]
    assert total == pytest.approx(1.0, abs=1e-6)
    # The joint density is not the product of its marginals: (0.2, 1, 0) was observed together.
    x = np.array([[0.2, 1.0, 0.0], [0.2, 1.0, 1.0]])
    joint = pe.log_pdf(x)
    assert joint[0] > joint[1]


def test_independent_mode_is_the_sum_of_one_column_estimators() -> None:
    rng = np.random.default_rng(3)
    obs = np.column_stack([rng.random(20), rng.integers(0, 5, 20), rng.integers(0, 3, 20)])
    dims = [Dimension.continuous(0.0, 1.0), Dimension.discrete(0, 4), Dimension.categorical(3)]
    weights = default_weights(20) + rng.random(20)
    batched = ParzenEstimator(obs, dims, weights, joint=False)
    x = np.column_stack([rng.random(7), rng.integers(0, 5, 7), rng.integers(0, 3, 7)])
    marginal = batched.marginal_log_pdf(x)
    for j, dim in enumerate(dims):
        single = ParzenEstimator(obs[:, [j]], [dim], weights)
        assert marginal[:, j] == pytest.approx(single.log_pdf(x[:, [j]]), rel=1e-9)
    assert batched.log_pdf(x) == pytest.approx(marginal.sum(axis=1))


def test_truncation_renormalizes_the_mixture_and_keeps_outside_observations() -> None:
    dims = [Dimension.continuous(0.0, 10.0)]
    obs = np.array([[1.0], [4.5], [9.0]])
    pe = ParzenEstimator(obs, dims)
    sub = pe.truncate([Dimension.continuous(4.0, 6.0)])
    total, _ = integrate.quad(lambda x: _density(sub, x), 4.0, 6.0, points=[4.5], limit=200)
    assert total == pytest.approx(1.0, abs=1e-6)
    # Inside the sub-box the shape is unchanged: the ratio of densities is preserved.
    assert _density(sub, 4.5) / _density(sub, 5.5) == pytest.approx(
        _density(pe, 4.5) / _density(pe, 5.5)
    )
    draws = sub.sample(np.random.default_rng(0), 2000)[:, 0]
    assert draws.min() >= 4.0 and draws.max() <= 6.0
    assert _density(sub, 7.0) == 0.0


def test_truncation_of_categorical_and_discrete_columns() -> None:
    pe = ParzenEstimator(np.array([[0.0, 2.0], [2.0, 8.0]]),
                         [Dimension.categorical(3), Dimension.discrete(0, 10, step=2)])
    sub = pe.truncate([Dimension.categorical(3, allowed=[1, 2]), Dimension.discrete(4, 10, step=2)])
    x = np.array([[c, v] for c in range(3) for v in range(0, 11, 2)], dtype=float)
    p = np.exp(sub.log_pdf(x))
    assert p.sum() == pytest.approx(1.0)
    assert np.all(p[x[:, 0] == 0] == 0.0)
    assert np.all(p[x[:, 1] < 4] == 0.0)
    draws = sub.sample(np.random.default_rng(0), 1000)
    assert set(draws[:, 0]) <= {1.0, 2.0}
    assert draws[:, 1].min() >= 4


def test_numerically_extreme_tails_stay_finite() -> None:
    # A narrow kernel far outside a narrowed box: sampling and densities must stay finite.
    dims = [Dimension.continuous(0.0, 1000.0)]
    pe = ParzenEstimator(np.array([[999.0]]), dims, prior_weight=1e-6, magic_clip=False)
    sub = pe.truncate([Dimension.continuous(0.0, 1.0)])
    draws = sub.sample(np.random.default_rng(0), 100)
    assert np.all((draws >= 0.0) & (draws <= 1.0))
    assert np.all(np.isfinite(sub.log_pdf(draws)))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"observations": np.zeros((2, 2))}, "shape"),
        ({"weights": np.array([1.0, -1.0])}, "weights"),
        ({"prior_weight": -1.0}, "prior_weight"),
        ({"bandwidth": "silverman"}, "bandwidth"),
        ({"observations": np.array([[np.nan], [0.5]])}, "finite"),
    ],
)
def test_bad_input_raises(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {
        "observations": np.array([[0.1], [0.2]]),
        "dims": [Dimension.continuous(0.0, 1.0)],
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        ParzenEstimator(**args)  # type: ignore[arg-type]


def test_bad_dimensions_raise() -> None:
    with pytest.raises(ValueError, match="low must be <= high"):
        Dimension.continuous(2.0, 1.0)
    with pytest.raises(ValueError, match="step must be > 0"):
        Dimension.discrete(0.0, 1.0, step=0.0)
    with pytest.raises(ValueError, match="allowed"):
        Dimension.categorical(3, allowed=[3])
    with pytest.raises(ValueError, match="log=True"):
        Dimension.continuous(0.0, 1.0, log=True)
    pe = ParzenEstimator(np.array([[0.5]]), [Dimension.continuous(0.0, 1.0)])
    with pytest.raises(ValueError, match="kind"):
        pe.truncate([Dimension.categorical(2)])

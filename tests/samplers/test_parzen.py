"""The Parzen estimator's math: normalization, sampling against log_pdf, weights, bandwidths."""

from __future__ import annotations

from typing import Any

import mpmath
import numpy as np
import pytest
from scipy import integrate, special, stats

from hpo_lab.samplers._tpe._parzen import (
    Dimension,
    ParzenEstimator,
    _log_mass,
    default_weights,
    summarize,
)


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


def _norm_log_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log(Phi(b) - Phi(a))`` straight from scipy.stats.norm, in whichever tail keeps the
    precision: accurate where the cell is not much narrower than its distance to the centre."""
    lower, upper = b <= 0, a >= 0
    norm = stats.norm
    top = np.where(lower, norm.logcdf(b), norm.logsf(a))
    bottom = np.where(lower, norm.logcdf(a), norm.logsf(b))
    with np.errstate(divide="ignore"):
        out: np.ndarray = top + np.log1p(-np.exp(bottom - top))
        across = ~(lower | upper)
        out[across] = np.log1p(-(norm.cdf(a[across]) + norm.sf(b[across])))
    return out


def _random_cells(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Standardized cells near the centre, in the tails and far beyond where Phi underflows."""
    centre = rng.choice([0.0, 1.0, 3.0, 8.0, 30.0, 37.0, 40.0, 200.0], n) * rng.choice([-1, 1], n)
    centre += rng.normal(0.0, 1.0, n)
    width = 10.0 ** rng.uniform(-7.0, 1.5, n)
    a = centre - rng.uniform(0.0, 1.0, n) * width
    return a, a + width


def test_log_mass_matches_scipy_norm_in_both_tails() -> None:
    a, b = _random_cells(np.random.default_rng(0), 3000)
    # Where the plain reference keeps its precision: cells at least 1e-2 wide, and in a tail
    # wide enough that Phi(far edge) <= Phi(near edge) / e.
    near = np.minimum(np.abs(a), np.abs(b))
    ok = ((b - a) >= 1e-2) & (((a < 0) & (b > 0)) | ((b - a) * near >= 1.0) | (near < 1.0))
    a, b = a[ok], b[ok]
    assert len(a) > 1000 and np.sum(np.maximum(-a, b) > 38) > 100  # far tails are covered
    ref = _norm_log_mass(a, b)
    assert np.all(np.isfinite(ref))
    np.testing.assert_allclose(_log_mass(a, b), ref, rtol=1e-14, atol=1e-12)


def test_log_mass_matches_mpmath_everywhere() -> None:
    # Narrow cells far out included, where a difference of log CDFs cancels.
    a, b = _random_cells(np.random.default_rng(1), 600)
    mpmath.mp.dps = 50
    ref = np.array(
        [
            float(mpmath.log(mpmath.ncdf(-lo) - mpmath.ncdf(-hi)))
            if lo > 0
            else float(mpmath.log(mpmath.ncdf(hi) - mpmath.ncdf(lo)))
            for lo, hi in zip(a.tolist(), b.tolist())
        ]
    )
    # 1e-12 relative on the mass; a log mass of -2e4 carries 4e-12 rounding of its own.
    np.testing.assert_allclose(_log_mass(a, b), ref, rtol=1e-15, atol=1e-12)
    # Empty and reversed cells have no mass; cells through infinity are whole tails.
    edge = _log_mass(np.array([1.0, 2.0, -np.inf, 0.0]), np.array([1.0, 1.0, 0.0, np.inf]))
    assert edge[0] == edge[1] == -np.inf
    np.testing.assert_allclose(edge[2:], np.log(0.5), rtol=1e-15)


@pytest.mark.parametrize(
    "dim",
    [Dimension.discrete(0, 300), Dimension.discrete(1, 1024, log=True),
     Dimension.discrete(-1.0, 1.0, step=0.01)],
    ids=["int", "log-int", "stepped"],
)
def test_discrete_log_pdf_matches_a_kernel_by_kernel_reference(dim: Dimension) -> None:
    rng = np.random.default_rng(2)
    grid = dim.low + dim.step * np.arange(dim.n_values) if dim.step else np.empty(0)
    grid = np.minimum(grid, dim.high)
    # Many repeated values (distinct kernels are computed once) crowded at one end, narrow
    # kernels (no magic clip) and no prior: the far end is tens of widths out.
    obs = rng.choice(grid[: len(grid) // 10], size=400)[:, None]
    pe = ParzenEstimator(obs, [dim], rng.uniform(0.1, 1.0, 400), magic_clip=False,
                         prior_weight=0.0)
    t = np.log if dim.log else (lambda v: v)
    lo, hi = dim.t_bounds
    mu = t(obs[:, 0])
    sigma = pe.bandwidths[:, 0]
    assert dim.step is not None
    left = np.maximum(grid - dim.step / 2, 0.5 * dim.low) if dim.log else grid - dim.step / 2
    a = np.maximum(t(left), lo)[:, None]
    b = np.minimum(t(grid + dim.step / 2), hi)[:, None]
    za, zb = (a - mu) / sigma, (b - mu) / sigma
    mass = _norm_log_mass(za.ravel(), zb.ravel()).reshape(za.shape)
    log_z = _norm_log_mass((lo - mu) / sigma, (hi - mu) / sigma)
    ref = special.logsumexp(mass - log_z + np.log(pe.weights[:, 0]), axis=1)
    got = pe.log_pdf(grid[:, None])
    assert ref.min() < -50  # the far end is deep in every observation's tail
    # A log cell 4e-4 wide at 11 widths out inherits 5e-12 relative rounding from its
    # standardized edges (in both computations): hence rtol 2e-13 of log values near -75.
    np.testing.assert_allclose(got, ref, rtol=2e-13, atol=1e-12)
    np.testing.assert_allclose(np.exp(got).sum(), 1.0, rtol=1e-12)


def test_summarize_keeps_the_newest_rows_and_the_total_weight() -> None:
    rng = np.random.default_rng(3)
    obs = rng.normal(size=(1000, 2))
    w = default_weights(1000)
    rows, rw = summarize(obs, w, max_kernels=100, n_exact=25)
    assert len(rows) <= 100 and len(rows) == len(rw)
    np.testing.assert_array_equal(rows[-25:], obs[-25:])
    np.testing.assert_array_equal(rw[-25:], w[-25:])
    assert rw.sum() == pytest.approx(w.sum(), rel=1e-12)
    # Every summarized row is an old observation, oldest first.
    old = {tuple(r) for r in obs[:-25]}
    assert all(tuple(r) in old for r in rows[:-25])
    # Deterministic, and a no-op when there is nothing to summarize.
    again = summarize(obs, w, max_kernels=100, n_exact=25)
    np.testing.assert_array_equal(again[0], rows)
    same = summarize(obs[:50], w[:50], max_kernels=100, n_exact=25)
    assert same[0] is obs[:50].base or np.array_equal(same[0], obs[:50])
    # Old rows without weight drop out.
    only_new = summarize(obs, np.r_[np.zeros(975), np.ones(25)], max_kernels=100, n_exact=25)
    np.testing.assert_array_equal(only_new[0], obs[-25:])
    with pytest.raises(ValueError, match="max_kernels must be > n_exact"):
        summarize(obs, w, max_kernels=25, n_exact=25)


def test_a_summary_follows_the_weight_of_the_history_to_one_block() -> None:
    # Systematic sampling: up to any row (oldest first), the summarized rows carry the same
    # weight as the original ones to within one block, total / B.
    rng = np.random.default_rng(4)
    n, n_exact, max_kernels = 3000, 32, 128
    obs = np.arange(float(n))[:, None]  # the row number: where each pick came from
    w = default_weights(n) * rng.uniform(0.5, 1.5, n)
    rows, rw = summarize(obs, w, max_kernels, n_exact)
    old = n - n_exact
    picked = np.zeros(old)
    np.add.at(picked, rows[:-n_exact, 0].astype(int), rw[:-n_exact])
    block = w[:old].sum() / (max_kernels - n_exact)
    assert np.abs(np.cumsum(picked) - np.cumsum(w[:old])).max() <= block * (1 + 1e-9)
    pe = ParzenEstimator(rows, [Dimension.continuous(0.0, n - 1.0)], rw)
    assert pe.n_kernels == len(rows) + 1 <= max_kernels + 1


def _discrete_reference_terms(dim: Dimension, v: np.ndarray, mu: np.ndarray,
                              sigma: np.ndarray) -> np.ndarray:
    """Kernel-by-kernel log mass of the cells of ``v`` ``(m, k)``, normalized on the box."""
    assert dim.step is not None
    t = np.log if dim.log else (lambda u: u)
    lo, hi = dim.t_bounds
    left = np.maximum(v - dim.step / 2, 0.5 * dim.low) if dim.log else v - dim.step / 2
    a = np.maximum(t(left), lo)[:, None]
    b = np.minimum(t(v + dim.step / 2), hi)[:, None]
    mass = _norm_log_mass(((a - mu) / sigma).ravel(), ((b - mu) / sigma).ravel())
    log_z = _norm_log_mass((lo - mu) / sigma, (hi - mu) / sigma)
    return mass.reshape(len(v), len(mu)) - log_z[None, :]


@pytest.mark.parametrize("prior_weight", [1.0, 0.0])
def test_joint_grid_log_pdf_matches_a_kernel_by_kernel_reference(
    monkeypatch: pytest.MonkeyPatch, prior_weight: float
) -> None:
    # Integer, stepped, log-integer and categorical columns in one joint mixture (the linear-
    # space path), with hundreds of kernels on a few distinct values (cells computed once per
    # offset) and two far-apart clusters of narrow kernels: without a prior, a point with one
    # coordinate in each cluster is in the deep tail of every kernel in one column (the
    # log-space fallback).
    from hpo_lab.samplers._tpe import _parzen

    rng = np.random.default_rng(5)
    dims = [Dimension.discrete(0, 100), Dimension.discrete(-1.0, 1.0, step=0.05),
            Dimension.discrete(1, 64, log=True), Dimension.categorical(4)]
    n = 600
    low_cluster = rng.random(n) < 0.5
    obs = np.column_stack([
        np.where(low_cluster, rng.integers(0, 8, n), rng.integers(92, 101, n)),
        np.round(np.where(low_cluster, rng.integers(0, 5, n), rng.integers(36, 41, n))
                 * 0.05 - 1.0, 10),
        rng.integers(1, 65, n),
        rng.integers(0, 4, n),
    ]).astype(float)
    w = rng.uniform(0.1, 1.0, n)
    pe = ParzenEstimator(obs, dims, w, prior_weight=prior_weight)
    points = pe.sample(rng, 40)
    points[:3, 0], points[:3, 1] = 0.0, 1.0  # low on one column, high on the other
    points[3:6, 0], points[3:6, 1] = 100.0, -1.0
    # The reference, kernel by kernel in log space.
    mu = np.column_stack([obs[:, 0], obs[:, 1], np.log(obs[:, 2])])
    k = n + (prior_weight > 0)
    if prior_weight > 0:
        mu = np.vstack([mu, [[50.0, 0.0, 0.5 * (np.log(0.5) + np.log(64.5))]]])
    sigma = pe.bandwidths
    with np.errstate(divide="ignore"):
        comp = np.log(pe.weights[:, 0])[None, :] + sum(
            _discrete_reference_terms(dims[j], points[:, j], mu[:, j], sigma[:, j])
            for j in range(3)
        )
        table = np.full((k, 4), prior_weight / n)
        table[np.arange(n), obs[:, 3].astype(int)] += 1.0
        table[n:] = 1.0
        table /= table.sum(axis=1, keepdims=True)
        comp += np.log(table[:, points[:, 3].astype(int)].T)
    ref = special.logsumexp(comp, axis=1)
    fallback: list[int] = []
    log_space = _parzen._joint_log_space

    def spy(columns: object, log_w: np.ndarray, rows: np.ndarray) -> np.ndarray:
        fallback.extend(rows.tolist())
        return log_space(columns, log_w, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(_parzen, "_joint_log_space", spy)
    shared: list[bool] = []
    share = _parzen._shared_cells

    def spy_share(*args: Any) -> Any:
        out = share(*args)
        shared.append(out is not None)
        return out

    monkeypatch.setattr(_parzen, "_shared_cells", spy_share)
    # Each (value, kernel) cell computed once per distinct offset, and the general path.
    for share_min in (0, 10**9):
        monkeypatch.setattr(_parzen, "_SHARE_MIN", share_min)
        fallback.clear()
        got = pe.log_pdf(points)
        if prior_weight == 0:
            assert ref[:6].max() < -60  # the crossing points are deep in the tails
            assert set(fallback) & set(range(6))  # redone in log space
        else:
            assert not fallback
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
    assert shared == [True, True]  # the integer and the stepped column
    monkeypatch.undo()
    # Truncated (a narrowed grid, fewer choices): the same mixture renormalized, so the log
    # densities inside move by one constant.
    sub = pe.truncate([Dimension.discrete(2, 97), dims[1], dims[2],
                       Dimension.categorical(4, allowed=[0, 1, 3])])
    inside = (points[:, 0] >= 2) & (points[:, 0] <= 97) & (points[:, 3] != 2)
    shift = sub.log_pdf(points[inside]) - got[inside]
    np.testing.assert_allclose(shift, shift[0], rtol=0, atol=1e-10)
    assert np.all(sub.log_pdf(points[~inside]) == -np.inf)


def test_categorical_bandwidth_fixes_the_off_choice_mass() -> None:
    dims = [Dimension.categorical(5)]
    x = np.arange(5.0)[:, None]
    obs = np.array([[2.0]] * 40)
    # No prior: each kernel keeps 1 - b on its choice and b / 4 on each other one.
    pe = ParzenEstimator(obs, dims, prior_weight=0.0, categorical_bandwidth=0.2)
    np.testing.assert_allclose(np.exp(pe.log_pdf(x)), [0.05, 0.05, 0.8, 0.05, 0.05])
    # b = 0 with the prior: counts plus one uniform pseudo-observation (Bergstra et al. 2011).
    pe = ParzenEstimator(obs, dims, prior_weight=1.0, categorical_bandwidth=0.0)
    np.testing.assert_allclose(np.exp(pe.log_pdf(x)), np.array([1, 1, 201, 1, 1]) / 205)
    # The default sharpens with n: off-choice mass prior_weight / n per choice.
    few = ParzenEstimator(obs[:2], dims, weights=np.ones(2), prior_weight=1e-9)
    many = ParzenEstimator(obs, dims, prior_weight=1e-9)
    assert np.exp(few.log_pdf(x))[2] < np.exp(many.log_pdf(x))[2] < 1.0
    with pytest.raises(ValueError, match=r"categorical_bandwidth must be None or in \[0, 1\)"):
        ParzenEstimator(obs, dims, categorical_bandwidth=1.5)

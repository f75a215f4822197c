"""The numpy/scipy pieces of the GP sampler: kernel, GP, log-EI, acquisition optimizer."""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
import pytest
from scipy.special import ndtr

from hpo_lab.samplers._gp import _gp as gp_module
from hpo_lab.samplers._gp._acquisition import LogEI, log_h
from hpo_lab.samplers._gp._gp import (
    GPPosterior,
    KernelParams,
    _FitData,
    _neg_log_posterior,
    fit_kernel_params,
    kumaraswamy,
    log_marginal_likelihood,
)
from hpo_lab.samplers._gp._kernel import matern52, matern52_grad_weights, scaled_sqdist
from hpo_lab.samplers._gp._optimize import (
    ONE_HOT_SCALE,
    Dimension,
    MixedSpace,
    optimize_acquisition,
)


def _fd_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


# -- kernel --------------------------------------------------------------------------------------
def test_matern52_matches_the_closed_form() -> None:
    x1, x2 = np.array([[0.1, 0.9]]), np.array([[0.4, 0.5]])
    w = np.array([2.0, 0.5])
    r = math.sqrt(2.0 * 0.3**2 + 0.5 * 0.4**2)
    expected = 1.7 * (1 + math.sqrt(5) * r + 5 / 3 * r * r) * math.exp(-math.sqrt(5) * r)
    assert matern52(x1, x2, w, 1.7)[0, 0] == pytest.approx(expected, rel=1e-12)
    assert scaled_sqdist(x1, x2, w)[0, 0] == pytest.approx(r * r, rel=1e-12)


def test_kernel_matrix_is_symmetric_positive_semidefinite() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((60, 4))
    for w in (np.full(4, 0.1), np.array([1.0, 10.0, 100.0, 0.01]), np.full(4, 1e4)):
        k = matern52(x, x, w, 2.0)
        assert np.allclose(k, k.T)
        assert np.allclose(np.diag(k), 2.0)
        assert np.linalg.eigvalsh(k).min() > -1e-9
    # Far-apart points decorrelate.
    assert matern52(np.zeros((1, 1)), np.ones((1, 1)), np.array([1e4]))[0, 0] < 1e-50


def test_weight_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(1)
    x = rng.random((8, 3))
    coef = rng.normal(size=(8, 8))
    coef = coef + coef.T
    log_w = np.log(np.array([0.5, 3.0, 20.0]))
    _, g = matern52_grad_weights(x, np.exp(log_w), 1.3, coef)
    fd = _fd_grad(lambda lw: float((coef * matern52(x, x, np.exp(lw), 1.3)).sum()), log_w)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


# -- marginal likelihood -------------------------------------------------------------------------
@pytest.mark.parametrize("warped", [False, True])
@pytest.mark.parametrize("cached", [True, False])
def test_marginal_likelihood_gradient_matches_finite_differences(
    cached: bool, warped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not cached:  # the path for data too large to keep pairwise distances
        monkeypatch.setattr(gp_module, "_MAX_CACHED_DISTANCES", 0)
    rng = np.random.default_rng(2)
    x = rng.random((25, 4))
    # A categorical one-hot block (columns 2 and 3) shares one length scale.
    x[:, 2:] = 0.0
    x[np.arange(25), 2 + rng.integers(0, 2, 25)] = ONE_HOT_SCALE
    x[:, 1] = np.round(x[:, 1] * 4) / 4  # an integer's grid
    y = np.sin(5 * x[:, 0]) + x[:, 1] ** 2 + x[:, 2] + 0.01 * rng.normal(size=25)
    y = (y - y.mean()) / y.std()
    # With the warp, columns 0 and 1 pass through a Kumaraswamy CDF with these log a, log b.
    warp = (0, 1) if warped else ()
    data = _FitData(x, y, np.array([0, 1, 2, 2]), warp)
    assert (data.sq_diffs is not None) == (cached and not warped)
    log_warp = [0.4, -0.3, -0.5, 0.6] if warped else []
    theta = np.array([0.3, 1.5, -0.7, *log_warp, 0.2, math.log(1e-3)])
    value, grad = _neg_log_posterior(theta, data)
    fd = _fd_grad(lambda t: _neg_log_posterior(t, data)[0], theta)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-6)
    assert math.isfinite(value)


def test_log_marginal_likelihood_is_the_gaussian_density() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((6, 2))
    y = rng.normal(size=6)
    params = KernelParams(np.array([0.5, -0.2]), 0.3, math.log(0.05))
    k = matern52(x, x, np.exp(params.log_weights), math.exp(0.3)) + 0.05 * np.eye(6)
    _, logdet = np.linalg.slogdet(k)
    expected = -0.5 * y @ np.linalg.solve(k, y) - 0.5 * logdet - 3 * math.log(2 * math.pi)
    lml = log_marginal_likelihood(x, y, np.array([0, 1]), params)
    assert lml == pytest.approx(expected, rel=1e-10)


def test_fit_recovers_the_length_scale_of_a_gp_sample() -> None:
    rng = np.random.default_rng(4)
    x = rng.random((100, 1))
    lengthscale = 0.15
    k = matern52(x, x, np.array([lengthscale**-2])) + 1e-8 * np.eye(100)
    y = np.linalg.cholesky(k) @ rng.normal(size=100)
    y = (y - y.mean()) / y.std()
    params = fit_kernel_params(x, y, np.array([0]), rng=rng, n_restarts=3)
    fitted = math.exp(-0.5 * params.log_weights[0])
    assert lengthscale / 1.5 < fitted < lengthscale * 1.5
    assert math.exp(params.log_noise) < 1e-2  # the sample has no noise


def test_fit_finds_irrelevant_dimensions_and_noise() -> None:
    rng = np.random.default_rng(5)
    x = rng.random((80, 2))
    y = np.sin(6 * x[:, 0]) + 0.1 * rng.normal(size=80)  # x[:, 1] is irrelevant
    y = (y - y.mean()) / y.std()
    params = fit_kernel_params(x, y, np.array([0, 1]), rng=rng, n_restarts=2)
    lengthscales = np.exp(-0.5 * params.log_weights)
    assert lengthscales[1] > 5 * lengthscales[0]
    noise_var = math.exp(params.log_noise)  # of the standardized targets
    assert 0.003 < noise_var < 0.05  # the true value is about 0.01 / var(sin) ~ 0.02


def test_warm_started_fit_stays_at_the_optimum() -> None:
    rng = np.random.default_rng(6)
    x = rng.random((40, 2))
    y = np.cos(4 * x[:, 0]) * x[:, 1]
    y = (y - y.mean()) / y.std()
    cold = fit_kernel_params(x, y, np.array([0, 1]), rng=rng, n_restarts=3)
    warm = fit_kernel_params(x, y, np.array([0, 1]), rng=rng, warm_start=cold, n_restarts=0)
    data = _FitData(x, y, np.array([0, 1]))
    assert _neg_log_posterior(warm.to_vector(), data)[0] <= (
        _neg_log_posterior(cold.to_vector(), data)[0] + 1e-6
    )


# -- posterior -----------------------------------------------------------------------------------
def test_posterior_interpolates_a_known_function() -> None:
    rng = np.random.default_rng(7)
    x = np.linspace(0, 1, 25)[:, None]
    f = lambda a: np.sin(2 * np.pi * a[:, 0])  # noqa: E731
    y = f(x)
    params = fit_kernel_params(x, y / y.std(), np.array([0]), rng=rng)
    gp = GPPosterior(x, y / y.std(), np.array([0]), params)
    xs = rng.random((50, 1))
    mean, var = gp.predict(xs)
    np.testing.assert_allclose(mean * y.std(), f(xs), atol=0.02)
    _, var_train = gp.predict(x)
    assert var_train.max() < var.max()
    # Far outside the data the posterior returns to the prior.
    far_mean, far_var = gp.predict(np.array([[50.0]]))
    assert abs(far_mean[0]) < 1e-3
    assert far_var[0] == pytest.approx(math.exp(params.log_signal), rel=1e-3)


@pytest.mark.parametrize("warped", [False, True])
def test_posterior_gradients_match_finite_differences(warped: bool) -> None:
    rng = np.random.default_rng(8)
    x = rng.random((30, 3))
    y = rng.normal(size=30)
    params = KernelParams(np.array([1.0, 2.0, 0.5]), 0.2, -5.0)
    if warped:  # the chain rule through the input warping of columns 0 and 2
        params = KernelParams(params.log_weights, 0.2, -5.0, (0, 2),
                              np.array([[-0.7, 0.4], [0.3, -0.5]]))
    gp = GPPosterior(x, y, np.arange(3), params)
    xs = rng.random((4, 3))
    mean, var, dmean, dvar = gp.predict_with_grad(xs)
    mean2, var2 = gp.predict(xs)
    np.testing.assert_allclose(mean, mean2, rtol=1e-9)
    np.testing.assert_allclose(var, var2, rtol=1e-6)
    for i in range(4):
        fd_m = _fd_grad(lambda p: gp.predict(p[None, :])[0][0], xs[i])
        fd_v = _fd_grad(lambda p: gp.predict(p[None, :])[1][0], xs[i])
        np.testing.assert_allclose(dmean[i], fd_m, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(dvar[i], fd_v, rtol=1e-5, atol=1e-7)


def test_posterior_survives_duplicated_points_without_noise() -> None:
    x = np.array([[0.5], [0.5], [0.2]])
    gp = GPPosterior(x, np.array([1.0, 1.0, 0.0]), np.array([0]),
                     KernelParams(np.zeros(1), 0.0, math.log(1e-6)))
    mean, _ = gp.predict(np.array([[0.5]]))
    assert mean[0] == pytest.approx(1.0, abs=1e-3)


# -- log EI --------------------------------------------------------------------------------------
def _log_h_reference(z: float) -> float:
    with mpmath.workdps(60):
        zz = mpmath.mpf(z)
        h = zz * mpmath.ncdf(zz) + mpmath.npdf(zz)
        return float(mpmath.log(h))


@pytest.mark.parametrize(
    "z", [8.0, 2.0, 0.0, -0.5, -1.0, -1.0001, -3.0, -10.0, -40.0, -200.0, -999.0, -1e3, -1.001e3,
          -1e5, -1e8]
)
def test_log_h_matches_a_high_precision_reference(z: float) -> None:
    assert log_h(np.array([z]))[0] == pytest.approx(_log_h_reference(z), rel=1e-10)


def test_log_ei_agrees_with_naive_ei_and_stays_finite_where_ei_underflows() -> None:
    z = np.linspace(-6.0, 6.0, 121)
    naive = np.log(z * ndtr(z) + np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi))
    np.testing.assert_allclose(log_h(z), naive, rtol=1e-9)
    deep = np.array([-40.0, -1e3, -1e6, -1e12])
    with np.errstate(divide="ignore"):
        naive_deep = np.log(deep * ndtr(deep) + np.exp(-0.5 * deep * deep) / math.sqrt(2 * math.pi))
    assert not np.isfinite(naive_deep).all()  # the naive formula underflows (or cancels) there
    values = log_h(deep)
    assert np.isfinite(values).all()
    assert (np.diff(values) < 0).all()  # still ordered, so an optimizer keeps a slope
    # No jump at the switches between the three formulas.
    for edge in (-1.0, -1e3):
        around = log_h(np.array([np.nextafter(edge, 0), edge, np.nextafter(edge, -np.inf)]))
        assert np.ptp(around) < 1e-9 * abs(around[0]) + 1e-12


def test_log_ei_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(9)
    x = rng.random((20, 2))
    y = (x**2).sum(1)
    y = (y - y.mean()) / y.std()
    gp = GPPosterior(x, y, np.arange(2), KernelParams(np.array([1.0, 1.0]), 0.0, -6.0))
    # A far incumbent puts z deep in the asymptotic regime for some points.
    for best in (float(y.min()), float(y.min()) - 50.0):
        acq = LogEI(gp, best)
        xs = rng.random((5, 2))
        values, grad = acq.value_and_grad(xs)
        np.testing.assert_allclose(values, acq(xs), rtol=1e-8)
        for i in range(5):
            fd = _fd_grad(lambda p, acq=acq: acq(p[None, :])[0], xs[i], eps=1e-6)
            np.testing.assert_allclose(grad[i], fd, rtol=1e-4, atol=1e-6)


# -- acquisition optimization --------------------------------------------------------------------
def _quadratic(center: np.ndarray, scale: np.ndarray | None = None):
    scale = np.ones_like(center) if scale is None else scale

    def f(x: np.ndarray) -> np.ndarray:
        return -(((x - center) * scale) ** 2).sum(1)

    def fg(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return f(x), -2 * (x - center) * scale**2

    return f, fg


def test_optimizer_finds_a_continuous_maximum_inside_the_box() -> None:
    space = MixedSpace([Dimension("continuous", (0,)), Dimension("continuous", (1,))], 2)
    f, fg = _quadratic(np.array([0.31, 0.77]))
    z, value = optimize_acquisition(space, f, fg, np.random.default_rng(0), n_candidates=64)
    np.testing.assert_allclose(z, [0.31, 0.77], atol=1e-4)
    assert value == pytest.approx(0.0, abs=1e-7)


def test_optimizer_stays_in_a_narrowed_sub_box() -> None:
    # Feature range [0.5, 0.75] of column 0; the maximum at 0.2 lies outside it.
    space = MixedSpace(
        [Dimension("continuous", (0,), lo=0.5, hi=0.75), Dimension("continuous", (1,))], 2
    )
    f, fg = _quadratic(np.array([0.2, 0.4]))
    z, _ = optimize_acquisition(space, f, fg, np.random.default_rng(1), n_candidates=64)
    x = space.features(z[None, :])[0]
    np.testing.assert_allclose(x, [0.5, 0.4], atol=1e-4)


def test_optimizer_handles_discrete_and_categorical_dimensions() -> None:
    # A 31-value integer grid on column 0, a categorical with 4 declared choices of which only
    # 0 and 2 are allowed on columns 1-4; the unconstrained best choice (3) is not allowed.
    def to_grid(z: np.ndarray) -> np.ndarray:
        return np.round(z * 30) / 30

    space = MixedSpace(
        [
            Dimension("discrete", (0,), to_feature=to_grid, n_values=31),
            Dimension("categorical", (1, 2, 3, 4), n_values=2, allowed=(0, 2)),
            Dimension("continuous", (5,)),
        ],
        6,
    )
    weights = np.array([0.3, 0.0, 0.2, 0.5])  # choice 3 would be best, then 0

    def f(x: np.ndarray) -> np.ndarray:
        return -((x[:, 0] - 0.41) ** 2) - (x[:, 5] - 0.6) ** 2 + x[:, 1:5] @ weights

    def fg(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g = np.zeros_like(x)
        g[:, 0] = -2 * (x[:, 0] - 0.41)
        g[:, 5] = -2 * (x[:, 5] - 0.6)
        g[:, 1:5] = weights
        return f(x), g

    z, _ = optimize_acquisition(space, f, fg, np.random.default_rng(2), n_candidates=16)
    x = space.features(z[None, :])[0]
    assert x[0] == pytest.approx(12 / 30)  # the grid point nearest 0.41
    np.testing.assert_allclose(x[1:5], [ONE_HOT_SCALE, 0, 0, 0])
    assert x[5] == pytest.approx(0.6, abs=1e-4)


def test_optimizer_uses_given_starting_points() -> None:
    # A needle no Sobol' point of 2 samples would hit; the start sits on its slope.
    space = MixedSpace([Dimension("continuous", (0,))], 1)
    f, fg = _quadratic(np.array([0.123]), np.array([100.0]))
    z, _ = optimize_acquisition(
        space, f, fg, np.random.default_rng(3), n_candidates=2, starts=np.array([[0.12]])
    )
    assert z[0] == pytest.approx(0.123, abs=1e-5)


# -- input warping -------------------------------------------------------------------------------
def _warped(point: np.ndarray, log_a: float, log_b: float) -> float:
    return float(kumaraswamy(point[None, :], np.array([log_a]), np.array([log_b]))[0][0, 0])


def test_kumaraswamy_is_a_monotone_map_of_the_unit_interval_with_exact_derivatives() -> None:
    x = np.linspace(0.0, 1.0, 101)[:, None]
    same, *_ = kumaraswamy(x, np.zeros(1), np.zeros(1))
    np.testing.assert_allclose(same, np.clip(x, 1e-6, 1 - 1e-6), atol=1e-12)
    for log_a, log_b in [(-1.5, 0.3), (0.8, -1.2), (2.0, 2.0)]:
        w, *_ = kumaraswamy(x, np.array([log_a]), np.array([log_b]))
        assert np.all(np.diff(w[:, 0]) > 0)
        assert w.min() >= 0.0 and w.max() <= 1.0
        inner = np.linspace(0.05, 0.95, 7)[:, None]
        _, d_a, d_b, d_x = kumaraswamy(inner, np.array([log_a]), np.array([log_b]))
        for k, point in enumerate(inner):
            fa = _fd_grad(lambda t, p=point, b=log_b: _warped(p, t[0], b), np.array([log_a]))
            fb = _fd_grad(lambda t, p=point, a=log_a: _warped(p, a, t[0]), np.array([log_b]))
            fx = _fd_grad(lambda t, a=log_a, b=log_b: _warped(t, a, b), point)
            np.testing.assert_allclose([d_a[k, 0], d_b[k, 0], d_x[k, 0]],
                                       [fa[0], fb[0], fx[0]], rtol=1e-5, atol=1e-9)


def test_the_identity_warp_gives_the_unwarped_likelihood() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.random((25, 4)), rng.normal(size=25)
    groups = np.arange(4)
    plain = KernelParams(np.array([0.3, 1.5, -0.7, 0.2]), 0.2, math.log(1e-3))
    identity = KernelParams(plain.log_weights, 0.2, math.log(1e-3), (0, 1, 3), np.zeros((2, 3)))
    assert log_marginal_likelihood(x, y, groups, identity) == pytest.approx(
        log_marginal_likelihood(np.clip(x, 1e-6, 1 - 1e-6), y, groups, plain), rel=1e-12
    )


def test_the_fit_stretches_the_end_of_a_column_where_the_function_changes_fast() -> None:
    rng = np.random.default_rng(4)
    x = rng.random((60, 2))
    # A response that varies on a log scale in column 0 (as a learning rate declared on a linear
    # scale) and linearly in column 1.
    y = np.sin(2.0 * np.log10(x[:, 0] + 1e-3)) + 0.5 * x[:, 1]
    y = (y - y.mean()) / y.std()
    groups = np.arange(2)
    warped = fit_kernel_params(x, y, groups, rng=rng, n_restarts=3, warp_columns=(0, 1))
    plain = fit_kernel_params(x, y, groups, rng=rng, n_restarts=3)
    assert warped.log_warp is not None
    # a < 1 (log a < 0) stretches the low end of column 0, far more than anything in column 1.
    assert warped.log_warp[0, 0] < -0.5
    assert abs(warped.log_warp[0, 1]) < 0.5 and abs(warped.log_warp[1, 1]) < 0.5
    assert log_marginal_likelihood(x, y, groups, warped) > (
        log_marginal_likelihood(x, y, groups, plain) + 5.0
    )


@pytest.mark.parametrize("kind", ["normal", "lognormal", "cauchy", "negative", "tiny"])
def test_yeo_johnson_gives_scipys_floats_bit_for_bit(kind: str) -> None:
    from scipy.stats import yeojohnson

    from hpo_lab.samplers._gp._power import yeo_johnson

    rng = np.random.default_rng(len(kind))
    for n in (3, 17, 300):
        values = {
            "normal": rng.normal(size=n),
            "lognormal": rng.lognormal(0.0, 2.0, size=n),
            "cauchy": rng.standard_cauchy(size=n),
            "negative": -rng.exponential(size=n) ** 4,
            "tiny": rng.normal(scale=1e-200, size=n),
        }[kind]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            expected, expected_lmbda = yeojohnson(values)
            got, lmbda = yeo_johnson(values)
        assert lmbda == expected_lmbda
        assert np.array_equal(got, expected)


def test_yeo_johnson_rejects_values_that_are_not_finite() -> None:
    from hpo_lab.samplers._gp._power import yeo_johnson

    with pytest.raises(ValueError, match="finite"):
        yeo_johnson(np.array([1.0, np.inf, 2.0]))
    y, lmbda = yeo_johnson(np.zeros(4))
    assert lmbda == 1.0 and np.array_equal(y, np.zeros(4))

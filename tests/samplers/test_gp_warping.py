"""Input warping in the GP: the Kumaraswamy CDF, its gradients, its fit, and the sampler option."""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np
import pytest

import hpo_lab
from hpo_lab.samplers import GPSampler
from hpo_lab.samplers._gp import _gp as gp_module
from hpo_lab.samplers._gp._gp import (
    GPPosterior,
    KernelParams,
    _FitData,
    _neg_log_posterior,
    fit_kernel_params,
    kumaraswamy,
    log_marginal_likelihood,
)


def _fd(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


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
            fa = _fd(lambda t, p=point, b=log_b: _warped(p, t[0], b), np.array([log_a]))
            fb = _fd(lambda t, p=point, a=log_a: _warped(p, a, t[0]), np.array([log_b]))
            fx = _fd(lambda t, a=log_a, b=log_b: _warped(t, a, b), point)
            np.testing.assert_allclose([d_a[k, 0], d_b[k, 0], d_x[k, 0]],
                                       [fa[0], fb[0], fx[0]], rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("cached", [True, False])
def test_likelihood_gradient_in_the_warp_matches_finite_differences(
    cached: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not cached:  # the path for data too large to keep pairwise distances
        monkeypatch.setattr(gp_module, "_MAX_CACHED_DISTANCES", 0)
    rng = np.random.default_rng(2)
    x = rng.random((25, 4))
    x[:, 3] = np.round(x[:, 3] * 4) / 4  # an integer's grid
    y = np.sin(5 * x[:, 0]) + x[:, 1] ** 2 + 0.01 * rng.normal(size=25)
    y = (y - y.mean()) / y.std()
    data = _FitData(x, y, np.arange(4), (0, 1, 3))
    assert data.sq_diffs is None and data.small == cached
    # weights (4), log a (3), log b (3), signal, noise
    theta = np.array([0.3, 1.5, -0.7, 0.2, 0.4, -0.3, 0.2, -0.5, 0.6, 0.1, 0.2, math.log(1e-3)])
    value, grad = _neg_log_posterior(theta, data)
    fd = _fd(lambda t: _neg_log_posterior(t, data)[0], theta)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-6)
    # The identity warp gives the unwarped likelihood exactly.
    plain = KernelParams(theta[:4], 0.2, math.log(1e-3))
    identity = KernelParams(theta[:4], 0.2, math.log(1e-3), (0, 1, 3), np.zeros((2, 3)))
    groups = np.arange(4)
    assert log_marginal_likelihood(x, y, groups, identity) == pytest.approx(
        log_marginal_likelihood(np.clip(x, 1e-6, 1 - 1e-6), y, groups, plain), rel=1e-12
    )
    assert math.isfinite(value)


def test_posterior_gradients_follow_the_warp() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((20, 3))
    y = np.sin(4 * np.sqrt(x[:, 0])) + x[:, 2]
    y = (y - y.mean()) / y.std()
    params = KernelParams(np.array([1.0, 0.5, 0.2]), 0.0, -6.0, (0, 2),
                          np.array([[-0.7, 0.4], [0.3, -0.5]]))
    gp = GPPosterior(x, y, np.arange(3), params)
    xs = rng.random((4, 3))
    mean, var, dmean, dvar = gp.predict_with_grad(xs)
    mean2, var2 = gp.predict(xs)
    np.testing.assert_allclose(mean, mean2, rtol=1e-10)
    np.testing.assert_allclose(var, var2, rtol=1e-8)
    for i in range(4):
        fm = _fd(lambda p: gp.predict(p[None, :])[0][0], xs[i])
        fv = _fd(lambda p: gp.predict(p[None, :])[1][0], xs[i])
        np.testing.assert_allclose(dmean[i], fm, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(dvar[i], fv, rtol=1e-4, atol=1e-6)


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


def _log_scale_objective(trial: hpo_lab.Trial) -> float:
    # The optimum lies at lr = 1e-3 in a range declared on a linear scale.
    lr = trial.suggest_float("lr", 0.0, 1.0)
    width = trial.suggest_float("width", 0.0, 1.0)
    return (math.log10(lr + 1e-5) + 3.0) ** 2 + (width - 0.4) ** 2


def test_the_sampler_with_warping_finds_an_optimum_a_linear_scale_hides() -> None:
    best = {}
    for warping in (False, True):
        values = []
        for seed in range(3):
            study = hpo_lab.create_study(sampler=GPSampler(seed=seed, input_warping=warping))
            study.optimize(_log_scale_objective, n_trials=35)
            values.append(study.best_value)
        best[warping] = float(np.median(values))
    # The unwarped GP's length scale cannot fit both the steep bottom and the flat rest.
    assert best[True] < best[False] / 3
    assert best[True] < 0.05


def _quadratic_objective(trial: hpo_lab.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    y = trial.suggest_float("y", 0.0, 1.0)
    return (x - 0.6) ** 2 + (y - 0.3) ** 2


@pytest.mark.parametrize(
    ("objective", "warped"), [(_log_scale_objective, True), (_quadratic_objective, False)]
)
def test_the_default_warps_only_where_the_data_support_it(objective: Any, warped: bool) -> None:
    sampler = GPSampler(seed=0)  # input_warping=None
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(objective, n_trials=30)
    (fit,) = sampler._fitted.values()
    assert (fit.params.warp_columns == (0, 1)) is warped
    assert (fit.params.log_warp is not None) is warped


def test_warping_covers_the_numeric_parameters_only_and_survives_a_copy() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=4, input_warping=True)
    study = hpo_lab.create_study(sampler=sampler)

    def objective(t: hpo_lab.Trial) -> float:
        colour = t.suggest_categorical("colour", ["red", "green"])
        k = t.suggest_int("k", 0, 8)
        x = t.suggest_float("x", 0.0, 1.0)
        return (x - 0.2) ** 2 + abs(k - 3) / 8 + (colour == "red")

    study.optimize(objective, n_trials=8)
    (fit,) = sampler._fitted.values()
    # Columns: colour (two one-hot columns), k, x.
    assert fit.params.warp_columns == (2, 3)
    assert fit.params.log_warp is not None and fit.params.log_warp.shape == (2, 2)
    twin = pickle.loads(pickle.dumps(sampler))
    (copied,) = twin._fitted.values()
    assert copied.params.warp_columns == (2, 3)
    np.testing.assert_array_equal(copied.params.log_warp, fit.params.log_warp)


def test_input_warping_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match=r"input_warping must be True, False or None.*'yes'"):
        GPSampler(input_warping="yes")  # type: ignore[arg-type]

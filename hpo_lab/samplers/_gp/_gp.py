"""Exact Gaussian-process regression with a Matern-5/2 ARD kernel and a noise term.

The hyperparameters (one inverse squared length scale per column group, optionally a
Kumaraswamy input warping per chosen column, the signal variance and the noise variance) are
fitted by maximizing the log marginal likelihood plus weak log-normal
priors (a MAP estimate) with scipy's L-BFGS-B and its analytic gradient (Rasmussen & Williams,
eqs. 5.8 and 5.9). Targets are expected standardized (zero mean, unit variance): the priors and
bounds assume it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_solve, cholesky, solve_triangular
from scipy.linalg.lapack import dpotri
from scipy.optimize import minimize

from hpo_lab.samplers._gp._kernel import (
    matern52,
    matern52_from_r2,
    matern52_grad_weights,
    scaled_sqdist,
)

__all__ = [
    "GPPosterior",
    "KernelParams",
    "fit_kernel_params",
    "kumaraswamy",
    "log_marginal_likelihood",
]

# Bounds of the log hyperparameters. Inputs live in the unit cube and targets are standardized,
# so length scales between 0.01 and ~30 and a signal variance near 1 cover every sensible fit.
_LOG_WEIGHT_BOUNDS = (math.log(1e-3), math.log(1e4))
_LOG_SIGNAL_BOUNDS = (math.log(0.05), math.log(20.0))
_LOG_NOISE_BOUNDS = (math.log(1e-6), math.log(1.0))
# Prior standard deviations of the log hyperparameters; the means depend on the dimension.
_LOG_WEIGHT_SD = 2.0  # a log length scale with sd 1
_LOG_SIGNAL_SD = 1.0
_LOG_NOISE_MEAN, _LOG_NOISE_SD = math.log(1e-2), 2.0
# Input warping: the log concentrations of the Kumaraswamy CDF have a N(0, 0.75^2) prior (the
# identity warp at its mean) and stay in [1/8, 8].
_LOG_WARP_BOUNDS = (math.log(0.125), math.log(8.0))
_LOG_WARP_SD = 0.75
# Warped coordinates are clipped this far inside [0, 1] (the CDF's slope and its parameter
# gradients stay finite at the box's faces).
_WARP_EPS = 1e-6


def kumaraswamy(
    x: np.ndarray, log_a: np.ndarray, log_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The Kumaraswamy CDF ``1 - (1 - x**a)**b`` per column, and its derivatives.

    ``x`` has shape ``(n, W)`` with coordinates in ``[0, 1]``; ``log_a`` and ``log_b`` have
    shape ``(W,)``. Returns the warped coordinates and their derivatives in ``log a``, in
    ``log b`` and in ``x``, each ``(n, W)``. ``a = b = 1`` is the identity; ``a < 1`` stretches
    the low end of a column (where a parameter's effect changes fastest), ``b < 1`` the high end
    (Snoek et al., "Input warping for Bayesian optimization of non-stationary functions", 2014).

    Example:
        >>> x = np.array([[0.25], [0.5]])
        >>> w, *_ = kumaraswamy(x, np.zeros(1), np.zeros(1))
        >>> np.round(w[:, 0], 6).tolist()
        [0.25, 0.5]
        >>> w, *_ = kumaraswamy(x, np.log([0.5]), np.zeros(1))
        >>> np.round(w[:, 0], 3).tolist()  # sqrt(x): the low end stretched
        [0.5, 0.707]
    """
    xc = np.clip(x, _WARP_EPS, 1.0 - _WARP_EPS)
    a, b = np.exp(log_a), np.exp(log_b)
    xa = xc**a
    rest = 1.0 - xa  # > 0 for xc < 1
    rest_b1 = rest ** (b - 1.0)
    warped = 1.0 - rest * rest_b1
    d_log_a = a * b * rest_b1 * xa * np.log(xc)
    d_log_b = -b * rest * rest_b1 * np.log(rest)
    d_x = a * b * rest_b1 * xa / xc
    return warped, d_log_a, d_log_b, d_x


@dataclass(frozen=True)
class KernelParams:
    """Fitted hyperparameters.

    Attributes:
        log_weights: Log inverse squared length scale of each column group, shape ``(G,)``.
        log_signal: Log signal variance.
        log_noise: Log noise variance (of standardized targets).
        warp_columns: The input columns warped by a Kumaraswamy CDF before the kernel (none by
            default); they must hold coordinates in ``[0, 1]``.
        log_warp: Log concentrations ``(log a, log b)`` of each warped column, shape ``(2, W)``
            (``None``: no warping).

    Example:
        >>> KernelParams(np.zeros(2), 0.0, -4.0).to_vector()
        array([ 0.,  0.,  0., -4.])
        >>> p = KernelParams(np.zeros(1), 0.0, -4.0, (0,), np.array([[0.5], [-0.5]]))
        >>> p.to_vector()
        array([ 0. ,  0.5, -0.5,  0. , -4. ])
    """

    log_weights: np.ndarray
    log_signal: float
    log_noise: float
    warp_columns: tuple[int, ...] = ()
    log_warp: np.ndarray | None = None

    def to_vector(self) -> np.ndarray:
        """The parameters as one vector ``[log_weights..., log_a..., log_b..., log_signal,
        log_noise]``."""
        warp = self.log_warp.ravel() if self.log_warp is not None else np.zeros(0)
        return np.concatenate([self.log_weights, warp, [self.log_signal, self.log_noise]])

    @classmethod
    def from_vector(cls, theta: np.ndarray, warp_columns: tuple[int, ...] = ()) -> KernelParams:
        """The inverse of :meth:`to_vector`, for the same ``warp_columns``."""
        n_warp = 2 * len(warp_columns)
        end = len(theta) - 2 - n_warp
        log_warp = (
            np.array(theta[end : end + n_warp], dtype=float).reshape(2, -1) if n_warp else None
        )
        return cls(
            np.array(theta[:end], dtype=float), float(theta[-2]), float(theta[-1]),
            tuple(warp_columns), log_warp,
        )

    def warp(self, x: np.ndarray) -> np.ndarray:
        """``x (m, D)`` with the warped columns warped (a copy; ``x`` itself when none are).

        Example:
            >>> p = KernelParams(np.zeros(2), 0.0, -4.0, (1,), np.log([[0.5], [1.0]]))
            >>> p.warp(np.array([[0.25, 0.25]])).round(3)  # column 1 becomes sqrt(x)
            array([[0.25, 0.5 ]])
        """
        return self.warp_with_slope(x)[0]

    def warp_with_slope(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`warp`'s result and the derivative of each warped coordinate in its input,
        shape ``(m, D)`` (1 in unwarped columns; ``None`` when no column is warped).

        Example:
            >>> p = KernelParams(np.zeros(2), 0.0, -4.0, (1,), np.log([[0.5], [1.0]]))
            >>> p.warp_with_slope(np.array([[0.04, 0.04]]))[1].round(3)  # 1 / (2 sqrt(x))
            array([[1. , 2.5]])
        """
        if self.log_warp is None or not self.warp_columns:
            return x, None
        out = np.array(x, dtype=float)
        slope = np.ones_like(out)
        cols = list(self.warp_columns)
        out[:, cols], _, _, slope[:, cols] = kumaraswamy(
            out[:, cols], self.log_warp[0], self.log_warp[1]
        )
        return out, slope


def _prior_mean_log_weight(n_groups: int) -> float:
    # Length scales grow with the dimension so that the prior does not make the model forget
    # everything between points in higher dimensions (cf. Hvarfner et al. 2024, "Vanilla
    # Bayesian optimization performs great in high dimensions").
    log_lengthscale = math.log(0.4) + 0.25 * math.log(max(n_groups, 1))
    return -2.0 * log_lengthscale


def _default_theta(n_groups: int, n_warp: int = 0) -> np.ndarray:
    return np.concatenate(
        [
            np.full(n_groups, _prior_mean_log_weight(n_groups)),
            np.zeros(2 * n_warp),
            [0.0, math.log(1e-3)],
        ]
    )


def _bounds(n_groups: int, n_warp: int = 0) -> list[tuple[float, float]]:
    return (
        [_LOG_WEIGHT_BOUNDS] * n_groups
        + [_LOG_WARP_BOUNDS] * (2 * n_warp)
        + [_LOG_SIGNAL_BOUNDS, _LOG_NOISE_BOUNDS]
    )


def _neg_log_prior(theta: np.ndarray, n_groups: int, n_warp: int = 0) -> tuple[float, np.ndarray]:
    """Gaussian priors on the log hyperparameters: value and gradient."""
    scale = np.concatenate(
        [
            np.full(n_groups, _LOG_WEIGHT_SD),
            np.full(2 * n_warp, _LOG_WARP_SD),
            [_LOG_SIGNAL_SD, _LOG_NOISE_SD],
        ]
    )
    mean_w = _prior_mean_log_weight(n_groups)
    mean = np.concatenate(
        [np.full(n_groups, mean_w), np.zeros(2 * n_warp), [0.0, _LOG_NOISE_MEAN]]
    )
    z = (theta - mean) / scale
    return 0.5 * float(z @ z), z / scale


# Pairwise squared differences per column group are kept while they fit in this many floats
# (40 MB); they turn every kernel evaluation of the fit into one matrix-vector product.
_MAX_CACHED_DISTANCES = 5_000_000


def _pairwise_sq(x: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Squared differences summed per column group, shape ``(n * n, G)``."""
    n = len(x)
    diff = x[:, None, :] - x[None, :, :]  # (n, n, D)
    sq = np.zeros((n * n, n_groups))
    for d, g in enumerate(groups):
        sq[:, g] += (diff[:, :, d] * diff[:, :, d]).ravel()
    return sq


class _FitData:
    """Inputs of the marginal likelihood, with what can be computed once per fit."""

    def __init__(
        self, x: np.ndarray, y: np.ndarray, groups: np.ndarray,
        warp_columns: tuple[int, ...] = (),
    ) -> None:
        self.x, self.y = x, y
        self.groups = np.asarray(groups, dtype=np.intp)
        self.n_groups = int(self.groups.max()) + 1 if len(self.groups) else 0
        self.warp_columns = tuple(warp_columns)
        n = len(y)
        self.eye = np.eye(n)
        # Pairwise distances fit in memory: kept (unwarped inputs) or recomputed per
        # evaluation from the warped inputs.
        self.small = n * n * max(self.n_groups, 1) <= _MAX_CACHED_DISTANCES
        self.sq_diffs: np.ndarray | None = None
        if self.small and not self.warp_columns:
            self.sq_diffs = _pairwise_sq(x, self.groups, self.n_groups)  # (n * n, G)


def _kernel_and_grads(
    data: _FitData, x: np.ndarray, group_weights: np.ndarray, signal: float
) -> tuple[np.ndarray, np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """``K_f`` of the (warped) inputs ``x``, ``dk/dr2`` and a function
    ``W -> (sum_ij W_ij dK_ij/dlog w_g)_g``."""
    n = len(data.y)
    sq = data.sq_diffs
    if sq is None and data.small:
        sq = _pairwise_sq(x, data.groups, data.n_groups)
    if sq is None:
        weights = group_weights[data.groups]
        r2 = scaled_sqdist(x, x, weights)
    else:
        r2 = (sq @ group_weights).reshape(n, n)
    kf, dk_dr2 = matern52_from_r2(r2, signal)

    if sq is None:

        def grad_slow(coef: np.ndarray) -> np.ndarray:
            _, g_cols = matern52_grad_weights(x, weights, signal, coef)
            return np.bincount(data.groups, weights=g_cols, minlength=data.n_groups)

        return kf, dk_dr2, grad_slow
    sq_fixed = sq

    def grad_fast(coef: np.ndarray) -> np.ndarray:
        # dK/dlog w_g = dk/dr2 * w_g * sq_g.
        return group_weights * ((coef * dk_dr2).ravel() @ sq_fixed)

    return kf, dk_dr2, grad_fast


def _warp_grad(
    x: np.ndarray, col_weights: np.ndarray, m: np.ndarray, derivs: list[np.ndarray]
) -> np.ndarray:
    """``sum_ij W_ij dK_ij/dp`` for each warp parameter ``p`` of the warped columns ``x (n, W)``,
    given ``m = W * dk/dr2`` (symmetric) and each parameter family's ``dx/dp (n, W)``.

    With ``r2 = sum_d w_d (x_id - x_jd)**2``, ``sum_ij m_ij w_d 2 (x_id - x_jd)(u_id - u_jd)``
    equals ``4 w_d (sum_i x_id u_id (m 1)_i - x_d' m u_d)`` for a symmetric ``m``.
    """
    row = m.sum(1)
    out = [
        4.0 * col_weights * ((x * u * row[:, None]).sum(0) - (x * (m @ u)).sum(0))
        for u in derivs
    ]
    return np.concatenate(out)


def _neg_log_likelihood(theta: np.ndarray, data: _FitData) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood (R&W eq. 5.8) and its gradient in ``theta``."""
    y = data.y
    n = len(y)
    n_groups, cols = data.n_groups, list(data.warp_columns)
    signal, noise = math.exp(theta[-2]), math.exp(theta[-1])
    group_weights = np.exp(theta[:n_groups])
    x = data.x
    if cols:
        n_warp = len(cols)
        log_a = theta[n_groups : n_groups + n_warp]
        log_b = theta[n_groups + n_warp : n_groups + 2 * n_warp]
        warped, d_log_a, d_log_b, _ = kumaraswamy(data.x[:, cols], log_a, log_b)
        x = np.array(data.x, dtype=float)
        x[:, cols] = warped
    kf, dk_dr2, weight_grad = _kernel_and_grads(data, x, group_weights, signal)
    try:
        chol = cholesky(kf + noise * data.eye, lower=True, check_finite=False)
    except np.linalg.LinAlgError:
        return math.inf, np.zeros_like(theta)
    alpha = cho_solve((chol, True), y, check_finite=False)
    value = 0.5 * float(y @ alpha) + float(np.log(np.diag(chol)).sum())
    value += 0.5 * n * math.log(2 * math.pi)
    # K^-1 from the Cholesky factor (LAPACK potri fills the lower triangle).
    inv, info = dpotri(chol, lower=1)
    if info != 0:
        return math.inf, np.zeros_like(theta)
    inv = np.tril(inv) + np.tril(inv, -1).T
    # dNLL/dtheta = -1/2 tr(W dK/dtheta) with W = alpha alpha' - K^-1  (R&W eq. 5.9).
    w = np.outer(alpha, alpha) - inv
    grad = np.empty_like(theta)
    grad[:n_groups] = -0.5 * weight_grad(w)
    if cols:
        col_weights = group_weights[data.groups[cols]]
        grad[n_groups:-2] = -0.5 * _warp_grad(x[:, cols], col_weights, w * dk_dr2,
                                              [d_log_a, d_log_b])
    grad[-2] = -0.5 * float((w * kf).sum())
    grad[-1] = -0.5 * noise * float(np.trace(w))
    return value, grad


def _neg_log_posterior(theta: np.ndarray, data: _FitData) -> tuple[float, np.ndarray]:
    value, grad = _neg_log_likelihood(theta, data)
    if not math.isfinite(value):
        # A failed factorization: a large finite value steers L-BFGS-B back.
        return 1e10, grad
    prior, prior_grad = _neg_log_prior(theta, data.n_groups, len(data.warp_columns))
    return value + prior, grad + prior_grad


def log_marginal_likelihood(
    x: np.ndarray, y: np.ndarray, groups: np.ndarray, params: KernelParams
) -> float:
    """The log marginal likelihood of ``y`` at ``x`` (without the priors).

    Example:
        >>> x = np.array([[0.0], [0.5], [1.0]])
        >>> y = np.array([-1.0, 0.0, 1.0])
        >>> p = KernelParams(np.zeros(1), 0.0, -4.0)
        >>> lml = log_marginal_likelihood(x, y, np.zeros(1, dtype=int), p)
        >>> bool(np.isfinite(lml))
        True
    """
    data = _FitData(x, y, groups, params.warp_columns)
    value, _ = _neg_log_likelihood(params.to_vector(), data)
    return -value


def fit_kernel_params(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    rng: np.random.Generator,
    warm_start: KernelParams | None = None,
    n_restarts: int = 2,
    maxiter: int = 100,
    fixed_noise: float | None = None,
    warp_columns: tuple[int, ...] = (),
) -> KernelParams:
    """MAP estimate of the hyperparameters with L-BFGS-B.

    Starts from ``warm_start`` (the previous fit, which is usually close), and from the prior
    mean and ``n_restarts - 1`` draws of the prior; keeps the best. ``n_restarts=0`` with a warm
    start refines the previous fit only.

    Args:
        x: Inputs, shape ``(n, D)``.
        y: Standardized targets, shape ``(n,)``.
        groups: Column group of each column (columns of one group share a length scale),
            shape ``(D,)``, values ``0 .. G-1``.
        rng: Source of the random restarts.
        warm_start: A previous fit with the same groups.
        n_restarts: Number of starting points besides the warm start.
        maxiter: L-BFGS-B iteration cap per start.
        fixed_noise: Hold the noise variance at this value instead of fitting it (for
            deterministic objectives).
        warp_columns: Columns (coordinates in ``[0, 1]``) to warp with a Kumaraswamy CDF whose
            two concentrations per column are fitted with the rest (Snoek et al. 2014); they
            start at the identity.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.random((30, 1))
        >>> y = np.sin(6 * x[:, 0]); y = (y - y.mean()) / y.std()
        >>> p = fit_kernel_params(x, y, np.zeros(1, dtype=int), rng=rng)
        >>> bool(0.05 < np.exp(-0.5 * p.log_weights[0]) < 2.0)  # the length scale
        True
    """
    data = _FitData(np.asarray(x, dtype=float), np.asarray(y, dtype=float), groups, warp_columns)
    n_groups, n_warp = data.n_groups, len(data.warp_columns)
    bounds = _bounds(n_groups, n_warp)
    if fixed_noise is not None:
        if not fixed_noise > 0:
            raise ValueError(f"fixed_noise must be > 0, but got fixed_noise={fixed_noise}")
        # L-BFGS-B keeps a variable with equal bounds fixed.
        bounds[-1] = (math.log(fixed_noise), math.log(fixed_noise))
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    starts: list[np.ndarray] = []
    if (
        warm_start is not None
        and len(warm_start.log_weights) == n_groups
        and warm_start.warp_columns == data.warp_columns
    ):
        starts.append(np.clip(warm_start.to_vector(), lo, hi))
    if n_restarts > 0 or not starts:
        starts.append(_default_theta(n_groups, n_warp))
    for _ in range(max(0, n_restarts - 1)):
        theta = _default_theta(n_groups, n_warp)
        theta[:n_groups] += rng.normal(0.0, 1.0, n_groups)
        theta[-2] += rng.normal(0.0, 0.5)
        starts.append(np.clip(theta, lo, hi))
    best_theta, best_value = starts[0], math.inf
    for theta0 in starts:
        res = minimize(
            _neg_log_posterior,
            theta0,
            args=(data,),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            # The data are standardized and the fit is MAP with priors: a relative tolerance of
            # 1e-7 in the objective is far below what changes a proposal.
            options={"maxiter": maxiter, "ftol": 1e-7},
        )
        if np.isfinite(res.fun) and res.fun < best_value:
            best_theta, best_value = res.x, float(res.fun)
    return KernelParams.from_vector(np.clip(best_theta, lo, hi), data.warp_columns)


class GPPosterior:
    """The posterior of the latent function given observations and fixed hyperparameters.

    Args:
        x: Inputs, shape ``(n, D)``.
        y: Targets, shape ``(n,)``.
        groups: Column groups, shape ``(D,)``.
        params: Hyperparameters.

    Example:
        >>> x = np.array([[0.0], [1.0]])
        >>> gp = GPPosterior(x, np.array([1.0, -1.0]), np.zeros(1, dtype=int),
        ...                  KernelParams(np.zeros(1), 0.0, math.log(1e-6)))
        >>> mean, var = gp.predict(x)
        >>> np.round(mean, 3), bool(var.max() < 1e-4)
        (array([ 1., -1.]), True)
    """

    def __init__(
        self, x: np.ndarray, y: np.ndarray, groups: np.ndarray, params: KernelParams
    ) -> None:
        self.params = params
        self.x = params.warp(np.asarray(x, dtype=float))  # the kernel's (warped) inputs
        self.y = np.asarray(y, dtype=float)
        self.weights = np.exp(params.log_weights)[np.asarray(groups, dtype=np.intp)]
        self.signal = math.exp(params.log_signal)
        self.noise = math.exp(params.log_noise)
        n = len(self.y)
        k = matern52(self.x, self.x, self.weights, self.signal)
        jitter = 0.0
        while True:
            try:
                self._chol = cholesky(
                    k + (self.noise + jitter) * np.eye(n), lower=True, check_finite=False
                )
                break
            except np.linalg.LinAlgError:
                # Duplicated points with a tiny noise: add just enough jitter to factorize.
                jitter = max(1e-8, 10.0 * jitter) * self.signal
        self._alpha = cho_solve((self._chol, True), self.y, check_finite=False)

    def predict(self, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of the latent function at ``xs (m, D)``, each ``(m,)``."""
        xs = self.params.warp(xs)
        ks = matern52(xs, self.x, self.weights, self.signal)
        mean = ks @ self._alpha
        v = solve_triangular(self._chol, ks.T, lower=True, check_finite=False)
        var = np.maximum(self.signal - (v * v).sum(0), 1e-12 * self.signal)
        return mean, var

    def predict_with_grad(
        self, xs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, variance and their gradients in ``xs``: shapes ``(m,), (m,), (m, D), (m, D)``."""
        xs, slope = self.params.warp_with_slope(xs)
        r2 = scaled_sqdist(xs, self.x, self.weights)  # (m, n)
        ks, dk_dr2 = matern52_from_r2(r2, self.signal)
        mean = ks @ self._alpha
        kinv_k = cho_solve((self._chol, True), ks.T, check_finite=False)  # (n, m)
        var = self.signal - (ks * kinv_k.T).sum(1)
        # dk(x, x_n)/dx_d = 2 w_d dk/dr2 (x_d - x_nd), so for coefficients c (m, n):
        # sum_n c_mn dk_mn/dx_d = 2 w_d (x_md sum_n a_mn - (a @ X)_md) with a = c * dk/dr2.
        def contract(coef: np.ndarray) -> np.ndarray:
            a = coef * dk_dr2
            return 2.0 * self.weights * (xs * a.sum(1)[:, None] - a @ self.x)

        dmean = contract(np.broadcast_to(self._alpha, ks.shape))
        dvar = -2.0 * contract(kinv_k.T)
        if slope is not None:  # the chain rule through the warp
            dmean *= slope
            dvar *= slope
        floor = 1e-12 * self.signal
        dvar[var < floor] = 0.0
        return mean, np.maximum(var, floor), dmean, dvar

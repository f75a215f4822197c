"""Exact Gaussian-process regression with a Matern-5/2 ARD kernel and a noise term.

The hyperparameters (one inverse squared length scale per column group, the signal variance and
the noise variance) are fitted by maximizing the log marginal likelihood plus weak log-normal
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

from hpo_lab.samplers._gp._kernel import matern52, matern52_grad_weights, scaled_sqdist

_SQRT5 = math.sqrt(5.0)

__all__ = ["GPPosterior", "KernelParams", "fit_kernel_params", "log_marginal_likelihood"]

# Bounds of the log hyperparameters. Inputs live in the unit cube and targets are standardized,
# so length scales between 0.01 and ~30 and a signal variance near 1 cover every sensible fit.
_LOG_WEIGHT_BOUNDS = (math.log(1e-3), math.log(1e4))
_LOG_SIGNAL_BOUNDS = (math.log(0.05), math.log(20.0))
_LOG_NOISE_BOUNDS = (math.log(1e-6), math.log(1.0))
# Prior standard deviations of the log hyperparameters; the means depend on the dimension.
_LOG_WEIGHT_SD = 2.0  # a log length scale with sd 1
_LOG_SIGNAL_SD = 1.0
_LOG_NOISE_MEAN, _LOG_NOISE_SD = math.log(1e-2), 2.0


@dataclass(frozen=True)
class KernelParams:
    """Fitted hyperparameters.

    Attributes:
        log_weights: Log inverse squared length scale of each column group, shape ``(G,)``.
        log_signal: Log signal variance.
        log_noise: Log noise variance (of standardized targets).

    Example:
        >>> KernelParams(np.zeros(2), 0.0, -4.0).to_vector()
        array([ 0.,  0.,  0., -4.])
    """

    log_weights: np.ndarray
    log_signal: float
    log_noise: float

    def to_vector(self) -> np.ndarray:
        """The parameters as one vector ``[log_weights..., log_signal, log_noise]``."""
        return np.concatenate([self.log_weights, [self.log_signal, self.log_noise]])

    @classmethod
    def from_vector(cls, theta: np.ndarray) -> KernelParams:
        """The inverse of :meth:`to_vector`."""
        return cls(np.array(theta[:-2], dtype=float), float(theta[-2]), float(theta[-1]))


def _prior_mean_log_weight(n_groups: int) -> float:
    # Length scales grow with the dimension so that the prior does not make the model forget
    # everything between points in higher dimensions (cf. Hvarfner et al. 2024, "Vanilla
    # Bayesian optimization performs great in high dimensions").
    log_lengthscale = math.log(0.4) + 0.25 * math.log(max(n_groups, 1))
    return -2.0 * log_lengthscale


def _default_theta(n_groups: int) -> np.ndarray:
    return np.concatenate(
        [np.full(n_groups, _prior_mean_log_weight(n_groups)), [0.0, math.log(1e-3)]]
    )


def _bounds(n_groups: int) -> list[tuple[float, float]]:
    return [_LOG_WEIGHT_BOUNDS] * n_groups + [_LOG_SIGNAL_BOUNDS, _LOG_NOISE_BOUNDS]


def _neg_log_prior(theta: np.ndarray, n_groups: int) -> tuple[float, np.ndarray]:
    """Gaussian priors on the log hyperparameters: value and gradient."""
    scale = np.concatenate([np.full(n_groups, _LOG_WEIGHT_SD), [_LOG_SIGNAL_SD, _LOG_NOISE_SD]])
    mean_w = _prior_mean_log_weight(n_groups)
    mean = np.concatenate([np.full(n_groups, mean_w), [0.0, _LOG_NOISE_MEAN]])
    z = (theta - mean) / scale
    return 0.5 * float(z @ z), z / scale


# Pairwise squared differences per column group are kept while they fit in this many floats
# (40 MB); they turn every kernel evaluation of the fit into one matrix-vector product.
_MAX_CACHED_DISTANCES = 5_000_000


class _FitData:
    """Inputs of the marginal likelihood, with what can be computed once per fit."""

    def __init__(self, x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> None:
        self.x, self.y = x, y
        self.groups = np.asarray(groups, dtype=np.intp)
        self.n_groups = int(self.groups.max()) + 1 if len(self.groups) else 0
        n = len(y)
        self.eye = np.eye(n)
        self.sq_diffs: np.ndarray | None = None
        if n * n * max(self.n_groups, 1) <= _MAX_CACHED_DISTANCES:
            diff = x[:, None, :] - x[None, :, :]  # (n, n, D)
            sq = np.zeros((n * n, self.n_groups))
            for d, g in enumerate(self.groups):
                sq[:, g] += (diff[:, :, d] * diff[:, :, d]).ravel()
            self.sq_diffs = sq  # (n * n, G)


def _kernel_and_weight_grad(
    data: _FitData, group_weights: np.ndarray, signal: float
) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """``K_f`` and a function ``W -> (sum_ij W_ij dK_ij/dlog w_g)_g``."""
    n = len(data.y)
    sq = data.sq_diffs
    if sq is None:
        weights = group_weights[data.groups]
        kf = matern52(data.x, data.x, weights, signal)

        def grad_slow(coef: np.ndarray) -> np.ndarray:
            _, g_cols = matern52_grad_weights(data.x, weights, signal, coef)
            return np.bincount(data.groups, weights=g_cols, minlength=data.n_groups)

        return kf, grad_slow
    r2 = (sq @ group_weights).reshape(n, n)
    r = np.sqrt(r2)
    e = signal * np.exp(-_SQRT5 * r)
    kf = e * (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2)

    def grad_fast(coef: np.ndarray) -> np.ndarray:
        # dK/dlog w_g = dk/dr2 * w_g * sq_g, with dk/dr2 = -(5/6) e (1 + sqrt(5) r).
        m = coef * (-(5.0 / 6.0) * e * (1.0 + _SQRT5 * r))
        return group_weights * (m.ravel() @ sq)

    return kf, grad_fast


def _neg_log_likelihood(theta: np.ndarray, data: _FitData) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood (R&W eq. 5.8) and its gradient in ``theta``."""
    y = data.y
    n = len(y)
    signal, noise = math.exp(theta[-2]), math.exp(theta[-1])
    kf, weight_grad = _kernel_and_weight_grad(data, np.exp(theta[:-2]), signal)
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
    grad[:-2] = -0.5 * weight_grad(w)
    grad[-2] = -0.5 * float((w * kf).sum())
    grad[-1] = -0.5 * noise * float(np.trace(w))
    return value, grad


def _neg_log_posterior(theta: np.ndarray, data: _FitData) -> tuple[float, np.ndarray]:
    value, grad = _neg_log_likelihood(theta, data)
    if not math.isfinite(value):
        # A failed factorization: a large finite value steers L-BFGS-B back.
        return 1e10, grad
    prior, prior_grad = _neg_log_prior(theta, data.n_groups)
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
    value, _ = _neg_log_likelihood(params.to_vector(), _FitData(x, y, groups))
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

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.random((30, 1))
        >>> y = np.sin(6 * x[:, 0]); y = (y - y.mean()) / y.std()
        >>> p = fit_kernel_params(x, y, np.zeros(1, dtype=int), rng=rng)
        >>> bool(0.05 < np.exp(-0.5 * p.log_weights[0]) < 2.0)  # the length scale
        True
    """
    data = _FitData(np.asarray(x, dtype=float), np.asarray(y, dtype=float), groups)
    n_groups = data.n_groups
    bounds = _bounds(n_groups)
    if fixed_noise is not None:
        if not fixed_noise > 0:
            raise ValueError(f"fixed_noise must be > 0, but got fixed_noise={fixed_noise}")
        # L-BFGS-B keeps a variable with equal bounds fixed.
        bounds[-1] = (math.log(fixed_noise), math.log(fixed_noise))
    lo = np.array([b[0] for b in bounds])
    hi = np.array([b[1] for b in bounds])
    starts: list[np.ndarray] = []
    if warm_start is not None and len(warm_start.log_weights) == n_groups:
        starts.append(np.clip(warm_start.to_vector(), lo, hi))
    if n_restarts > 0 or not starts:
        starts.append(_default_theta(n_groups))
    for _ in range(max(0, n_restarts - 1)):
        theta = _default_theta(n_groups)
        theta[:-2] += rng.normal(0.0, 1.0, n_groups)
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
    return KernelParams.from_vector(np.clip(best_theta, lo, hi))


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
        self.x = np.asarray(x, dtype=float)
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
        ks = matern52(xs, self.x, self.weights, self.signal)
        mean = ks @ self._alpha
        v = solve_triangular(self._chol, ks.T, lower=True, check_finite=False)
        var = np.maximum(self.signal - (v * v).sum(0), 1e-12 * self.signal)
        return mean, var

    def predict_with_grad(
        self, xs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, variance and their gradients in ``xs``: shapes ``(m,), (m,), (m, D), (m, D)``."""
        r2 = scaled_sqdist(xs, self.x, self.weights)  # (m, n)
        r = np.sqrt(r2)
        e = self.signal * np.exp(-_SQRT5 * r)
        ks = e * (1.0 + _SQRT5 * r + (5.0 / 3.0) * r2)
        dk_dr2 = -(5.0 / 6.0) * e * (1.0 + _SQRT5 * r)
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
        floor = 1e-12 * self.signal
        dvar[var < floor] = 0.0
        return mean, np.maximum(var, floor), dmean, dvar

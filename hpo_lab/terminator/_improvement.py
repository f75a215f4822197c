"""How much better could the study still get? Improvement evaluators for the terminator."""

from __future__ import annotations

import abc
import math
import numbers
from typing import Any

import numpy as np

from hpo_lab.distributions import CategoricalDistribution, Distribution
from hpo_lab.samplers._gp._gp import GPPosterior, fit_kernel_params
from hpo_lab.search_space._transform import encode_unit, intersection_search_space
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

__all__ = [
    "DEFAULT_MIN_N_TRIALS",
    "BaseImprovementEvaluator",
    "BestValueStagnationEvaluator",
    "RegretBoundEvaluator",
    "regret_bound",
]

DEFAULT_MIN_N_TRIALS = 20
_ONE_HOT = 1.0 / math.sqrt(2.0)  # the GP sampler's scale of a one-hot column


class BaseImprovementEvaluator(abc.ABC):
    """Estimates how much the best value could still improve.

    Optuna's ``BaseImprovementEvaluator`` interface, so evaluators written for it plug in.
    """

    @abc.abstractmethod
    def evaluate(self, trials: list[FrozenTrial], study_direction: Any) -> float:
        """The room left for improvement, from the trials (all states) and the direction."""


def _complete(trials: list[FrozenTrial]) -> list[FrozenTrial]:
    return [
        t for t in trials
        if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
    ]


def _features(
    trials: list[FrozenTrial], space: dict[str, Distribution]
) -> tuple[np.ndarray, np.ndarray]:
    """Rows in the unit cube (categoricals one-hot), shape ``(n, D)``, and column groups."""
    groups: list[int] = []
    for g, (_, d) in enumerate(sorted(space.items())):
        groups.extend([g] * (len(d.choices) if isinstance(d, CategoricalDistribution) else 1))
    x = np.zeros((len(trials), len(groups)))
    for i, t in enumerate(trials):
        col = 0
        for name, d in sorted(space.items()):
            if isinstance(d, CategoricalDistribution):
                x[i, col + d.index(t.params[name])] = _ONE_HOT
                col += len(d.choices)
            else:
                x[i, col] = encode_unit(d, t.params[name])
                col += 1
    return x, np.array(groups, dtype=np.intp)


def _random_features(
    rng: np.random.Generator, space: dict[str, Distribution], n: int
) -> np.ndarray:
    columns = []
    for _, d in sorted(space.items()):
        if isinstance(d, CategoricalDistribution):
            block = np.zeros((n, len(d.choices)))
            block[np.arange(n), rng.integers(0, len(d.choices), n)] = _ONE_HOT
            columns.append(block)
        else:
            columns.append(rng.random((n, 1)))
    return np.hstack(columns)


def regret_bound(
    x: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    candidates: np.ndarray,
    *,
    rng: np.random.Generator,
    delta: float = 0.1,
) -> float:
    """An upper bound, with probability about ``1 - delta``, on how far the best observed
    value of a maximisation lies below the optimum (Makarova et al. 2022, "Automatic
    Termination for Hyperparameter Optimization", Theorem 1).

    A Gaussian process is fitted to the standardized values ``y (n,)`` at ``x (n, D)``; the
    bound is the largest upper confidence bound over ``candidates (m, D)`` and the observed
    points, minus the largest lower confidence bound over the observed points, with
    ``beta = 2 log(d n^2 pi^2 / 6 delta) / 5`` (the paper scales Srinivas et al.'s beta down by
    5). Returned in the units of ``y``.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = rng.random((20, 1)); y = -((x[:, 0] - 0.5) ** 2)
        >>> bound = regret_bound(x, y, np.zeros(1, dtype=int), rng.random((256, 1)), rng=rng)
        >>> 0 <= bound < float(y.std()) * 5
        True
    """
    n = len(y)
    mean_y, std_y = float(np.mean(y)), max(float(np.std(y)), 1e-10)
    ys = (np.asarray(y, dtype=float) - mean_y) / std_y
    params = fit_kernel_params(x, ys, groups, rng=rng)
    gp = GPPosterior(x, ys, groups, params)
    n_params = int(groups.max()) + 1 if len(groups) else 1
    beta = 2 * math.log(n_params * n * n * math.pi**2 / 6 / delta) / 5
    root = math.sqrt(max(beta, 0.0))
    mean_c, var_c = gp.predict(np.vstack([candidates, x]))
    mean_o, var_o = gp.predict(x)
    ucb = float(np.max(mean_c + root * np.sqrt(var_c)))
    lcb = float(np.max(mean_o - root * np.sqrt(var_o)))
    return max(ucb - lcb, 0.0) * std_y


class RegretBoundEvaluator(BaseImprovementEvaluator):
    """The room for improvement as a high-probability bound on the regret of the best trial,
    from a Gaussian process over the best trials (Makarova et al. 2022; Optuna's default).

    Args:
        top_trials_ratio: The share of COMPLETE trials (the best ones) the GP is fitted to.
        min_n_trials: ...but at least this many (all of them when there are fewer).
        seed: Seed of the random candidates and GP restarts; the same trials and seed give
            the same bound.
        n_candidates: Random points where the upper confidence bound is searched.

    The space is the parameters every COMPLETE trial shares (log ones in log space,
    categorical ones one-hot); values are in the objective's units.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(sampler=hpo_lab.samplers.RandomSampler(seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=30)
        >>> bound = RegretBoundEvaluator(seed=0).evaluate(study.trials, study.direction)
        >>> 0.0 <= bound < 1.0
        True
    """

    def __init__(
        self,
        top_trials_ratio: float = 0.5,
        min_n_trials: int = DEFAULT_MIN_N_TRIALS,
        seed: int | None = None,
        *,
        n_candidates: int = 2048,
    ) -> None:
        if not isinstance(top_trials_ratio, numbers.Real) or not 0 < top_trials_ratio <= 1:
            raise ValueError(
                f"top_trials_ratio must be in (0, 1], but got top_trials_ratio={top_trials_ratio!r}"
            )
        for label, v in (("min_n_trials", min_n_trials), ("n_candidates", n_candidates)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{label} must be an int >= 1, but got {label}={v!r}")
        self._ratio: float = float(top_trials_ratio)
        self._min_n_trials: int = min_n_trials
        self._seed: int | None = seed
        self._n_candidates: int = n_candidates

    def evaluate(self, trials: list[FrozenTrial], study_direction: Any) -> float:
        complete = _complete(trials)
        if not complete:
            raise ValueError("no trial is COMPLETE yet, so the regret bound cannot be evaluated")
        space = {n: d for n, d in intersection_search_space(complete).items() if not d.single()}
        if not space:
            raise ValueError(
                "the COMPLETE trials share no parameter, so RegretBoundEvaluator has no space "
                "to fit a model over"
            )
        sign = 1.0 if str(study_direction) == "maximize" else -1.0
        y = sign * np.array([float(t.value) for t in complete])  # type: ignore[arg-type]
        n = len(complete)
        top_n = int(np.clip(int(n * self._ratio), min(self._min_n_trials, n), n))
        keep = np.argsort(-y, kind="stable")[:top_n]
        x, groups = _features([complete[i] for i in keep], space)
        rng = np.random.default_rng(self._seed)
        candidates = _random_features(rng, space, self._n_candidates)
        return regret_bound(x, y[keep], groups, candidates, rng=rng)


class BestValueStagnationEvaluator(BaseImprovementEvaluator):
    """The room for improvement as trials left before the best value has stood still for
    ``max_stagnation_trials`` COMPLETE trials (use with a zero error: the default pairing).

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> trials = [FrozenTrial(i, TrialState.COMPLETE, value=v) for i, v in
        ...           enumerate([3.0, 1.0, 2.0, 2.0])]
        >>> BestValueStagnationEvaluator(max_stagnation_trials=5).evaluate(trials, "minimize")
        3
    """

    def __init__(self, max_stagnation_trials: int = 30) -> None:
        if (
            isinstance(max_stagnation_trials, bool)
            or not isinstance(max_stagnation_trials, int)
            or max_stagnation_trials < 0
        ):
            raise ValueError(
                "max_stagnation_trials must be an int >= 0, but got "
                f"max_stagnation_trials={max_stagnation_trials!r}"
            )
        self._max = max_stagnation_trials

    def evaluate(self, trials: list[FrozenTrial], study_direction: Any) -> float:
        complete = _complete(trials)
        if not complete:
            raise ValueError("no trial is COMPLETE yet, so stagnation cannot be evaluated")
        maximize = str(study_direction) == "maximize"
        best_at, best = 0, float(complete[0].value)  # type: ignore[arg-type]
        for i, t in enumerate(complete):
            v = float(t.value)  # type: ignore[arg-type]
            if (v > best) if maximize else (v < best):
                best_at, best = i, v
        return self._max - (len(complete) - 1 - best_at)

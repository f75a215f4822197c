"""The CMA-ES sampler: a thin adapter from a study's history to :class:`~._cma.CMA`.

The strategy's state is a function of the study's history, not something stored: the finished
observations inside the current joint space, in the order they finished, are told to a fresh
:class:`CMA` one generation (``popsize`` observations) at a time, and the last, incomplete
generation waits. The state is cached per study and extended as trials finish, so a copied
sampler, a resumed study or a second process rebuilds the same state from the store, and trials
that CMA-ES did not propose (random start-up trials, enqueued or warm-start ones) teach it too.
"""

from __future__ import annotations

import copy
import logging
import math
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_lab.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_lab.samplers._base import BaseSampler
from hpo_lab.samplers._cmaes._cma import CMA, default_popsize, warm_start_distribution
from hpo_lab.samplers._random import RandomSampler
from hpo_lab.search_space._transform import (
    decode_unit,
    encode_unit,
    intersection_search_space,
    snap_to_grid,
)
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.views._protocol import StudyView

__all__ = ["CmaEsSampler"]

_logger = logging.getLogger("hpo_lab")

_Key = tuple[Any, ...]
# Optuna's arguments this sampler does not implement, with the value that means "off".
_UNSUPPORTED = {
    "restart_strategy": None,
    "use_separable_cma": False,
    "with_margin": False,
    "lr_adapt": False,
}


def _trial_key(t: FrozenTrial) -> tuple[str | None, int]:
    return (t.origin.study_name if t.origin is not None else None, t.number)


class _Run:
    """A CMA-ES state for one joint space of one study, and the observations it was told."""

    __slots__ = ("cma", "pending", "told")

    def __init__(self, cma: CMA) -> None:
        self.cma = cma
        self.told: list[tuple[str | None, int]] = []  # observations consumed, in order
        self.pending: list[tuple[np.ndarray, float]] = []  # the incomplete generation


class CmaEsSampler(BaseSampler):
    """CMA-ES (Hansen 2016) over the numeric parameters every observation shares.

    Float and integer parameters (log ones in log space) are searched jointly in the unit cube
    by a covariance matrix adaptation evolution strategy; categorical parameters, parameters
    outside the shared space, one-parameter spaces and the first ``n_startup_trials`` trials
    are sampled by ``independent_sampler``. Inside a narrowed revision, points are drawn inside
    the narrowed box. Optuna's ``CmaEsSampler`` arguments.

    Args:
        x0: Initial mean, ``{name: value}`` (default: the middle of each range).
        sigma0: Initial step size, in units of each parameter's (log-)range (default ``1/6``).
        n_startup_trials: Observations needed before CMA-ES proposes.
        independent_sampler: Samples what CMA-ES does not (default ``RandomSampler(seed)``).
        warn_independent_sampling: Log (at INFO) each parameter sampled independently after
            the start-up.
        seed: Seed of the random generator; the same seed gives the same proposals.
        consider_pruned_trials: Also learn from PRUNED trials, by their last reported value.
        popsize: Points per generation (default ``4 + floor(3 ln n)``).
        source_trials: Finished trials of a similar task to warm-start from (WS-CMA-ES, Nomura
            et al. 2021): the mean and covariance start from its best tenth.

    Not implemented (a non-default value raises ``ValueError``): ``restart_strategy``
    (IPOP/BIPOP), ``use_separable_cma``, ``with_margin`` and ``lr_adapt``. When the search
    collapses (a vanishing step or an ill-conditioned covariance) it restarts at the best point
    with the initial step size.

    Example:
        >>> import hpo_lab
        >>> sampler = CmaEsSampler(seed=0)
        >>> study = hpo_lab.create_study(sampler=sampler)
        >>> def sphere(trial):
        ...     return trial.suggest_float("x", -5, 5) ** 2 + trial.suggest_float("y", -5, 5) ** 2
        >>> study.optimize(sphere, n_trials=120)
        >>> study.best_value < 1e-2
        True
    """

    def __init__(
        self,
        x0: Mapping[str, Any] | None = None,
        sigma0: float | None = None,
        n_startup_trials: int = 1,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
        seed: int | None = None,
        *,
        consider_pruned_trials: bool = False,
        restart_strategy: str | None = None,
        popsize: int | None = None,
        inc_popsize: int = 2,
        use_separable_cma: bool = False,
        with_margin: bool = False,
        lr_adapt: bool = False,
        source_trials: Sequence[FrozenTrial] | None = None,
    ) -> None:
        given = {
            "restart_strategy": restart_strategy,
            "use_separable_cma": use_separable_cma,
            "with_margin": with_margin,
            "lr_adapt": lr_adapt,
        }
        for name, off in _UNSUPPORTED.items():
            if given[name] != off:
                raise ValueError(
                    f"{name}={given[name]!r} is not supported by hpo_lab's CmaEsSampler "
                    f"(only {name}={off!r})"
                )
        if x0 is not None and not isinstance(x0, Mapping):
            raise TypeError(f"x0 must be a dict of parameter values, but got x0={x0!r}")
        if sigma0 is not None and (
            isinstance(sigma0, bool)
            or not isinstance(sigma0, (int, float))
            or not (sigma0 > 0 and math.isfinite(sigma0))
        ):
            raise ValueError(f"sigma0 must be a finite number > 0, but got sigma0={sigma0!r}")
        for label, v, low in (("n_startup_trials", n_startup_trials, 0), ("popsize", popsize, 2)):
            if v is None and label == "popsize":
                continue
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ValueError(f"{label} must be an int >= {low}, but got {label}={v!r}")
        if source_trials is not None and x0 is not None:
            raise ValueError("give either source_trials or x0, not both: both set the start")
        self._x0 = dict(x0) if x0 is not None else None
        self._sigma0 = float(sigma0) if sigma0 is not None else None
        self._n_startup_trials = n_startup_trials
        self._independent = (
            independent_sampler if independent_sampler is not None else RandomSampler(seed=seed)
        )
        self._warn_independent = bool(warn_independent_sampling)
        self._consider_pruned = bool(consider_pruned_trials)
        self._popsize = popsize
        self._inc_popsize = inc_popsize
        self._source = [
            t for t in (source_trials or [])
            if t.state == TrialState.COMPLETE and t.value is not None
        ]
        if source_trials is not None and not self._source:
            raise ValueError("source_trials has no COMPLETE trial to warm-start from")
        self._rng = np.random.default_rng(seed)
        self._lock = threading.RLock()
        self._runs: dict[int, tuple[StudyView, dict[_Key, _Run]]] = {}
        self._spaces: dict[tuple[int, int], dict[str, Distribution]] = {}
        self._warned: set[str] = set()

    # -- copies ----------------------------------------------------------------------------------
    def reseed_rng(self, seed: int | None = None) -> None:
        with self._lock:
            self._rng = np.random.default_rng(seed)
            self._independent.reseed_rng(seed)

    def __getstate__(self) -> dict[str, Any]:
        # The runs and spaces are caches of what the views give (and hold the views): a copy
        # rebuilds them from the same history, so it proposes what the original would.
        skip = ("_lock", "_runs", "_spaces")
        with self._lock:
            return copy.deepcopy({k: v for k, v in self.__dict__.items() if k not in skip})

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()
        self._runs = {}
        self._spaces = {}

    # -- history -----------------------------------------------------------------------------------
    def _observations(self, view: StudyView) -> list[FrozenTrial]:
        states = (
            (TrialState.COMPLETE, TrialState.PRUNED)
            if self._consider_pruned
            else (TrialState.COMPLETE,)
        )
        trials = [t for t in view.get_trials(states=states) if _loss_of(t, 1.0) is not None]
        # In the order they finished (the order CMA-ES would have been told them); finished
        # trials never change again, so the order only grows at the end.
        return sorted(trials, key=lambda t: (t.finished_cursor or 0, t.origin is None, t.number))

    def infer_relative_search_space(
        self, view: StudyView, trial: FrozenTrial
    ) -> dict[str, Distribution]:
        with self._lock:
            observations = self._observations(view)
            if len(observations) < max(self._n_startup_trials, 1):
                return {}
            space: dict[str, Distribution] = {
                name: d
                for name, d in intersection_search_space(observations).items()
                if not isinstance(d, CategoricalDistribution) and not d.single()
            }
            if len(space) < 2:
                if space and self._warn_independent and "<1d>" not in self._warned:
                    self._warned.add("<1d>")
                    _logger.info(
                        "CmaEsSampler needs two or more numeric parameters shared by every "
                        "trial; %s is sampled by %s",
                        ", ".join(space),
                        type(self._independent).__name__,
                    )
                return {}
            if len(self._spaces) > 64:
                self._spaces.clear()
            self._spaces[(id(view), trial.number)] = space
            return space

    def _run(self, view: StudyView, space: dict[str, Distribution]) -> _Run:
        """The CMA-ES state for ``space``, told every observation that fits it."""
        entry = self._runs.get(id(view))
        if entry is None or entry[0] is not view:
            if len(self._runs) > 8:
                self._runs.clear()
            entry = (view, {})
            self._runs[id(view)] = entry
        runs = entry[1]
        names = sorted(space)
        key: _Key = tuple((n, space[n]) for n in names)
        sign = -1.0 if view.direction == "maximize" else 1.0
        fitting = [
            t for t in self._observations(view)
            if all(t.distributions.get(n) == space[n] for n in names)
        ]
        keys = [_trial_key(t) for t in fitting]
        run = runs.get(key)
        if run is None or keys[: len(run.told)] != run.told:
            run = runs[key] = _Run(self._initial(names, space))
        for t in fitting[len(run.told):]:
            loss = _loss_of(t, sign)
            assert loss is not None
            x = np.array([encode_unit(space[n], t.params[n]) for n in names])
            run.pending.append((x, loss))
            run.told.append(_trial_key(t))
            if len(run.pending) == run.cma.popsize:
                run.cma.tell(run.pending)
                run.pending = []
                if run.cma.degenerate:
                    best = min(fitting[: len(run.told)], key=lambda o: _loss_of(o, sign) or 0.0)
                    mean = np.array([encode_unit(space[n], best.params[n]) for n in names])
                    run.cma = CMA(mean, self._sigma0 or 1 / 6, run.cma.popsize)
        return run

    def _initial(self, names: list[str], space: dict[str, Distribution]) -> CMA:
        n = len(names)
        popsize = self._popsize or default_popsize(n)
        sigma = self._sigma0 or 1.0 / 6.0
        if self._source:
            usable = [t for t in self._source if all(nm in t.params for nm in names)]
            if usable:
                # Best first, as the source study saw it (minimization unless told).
                usable.sort(key=lambda t: float(t.value))  # type: ignore[arg-type]
                points = np.array([
                    [encode_unit(space[nm], _inside(space[nm], t.params[nm])) for nm in names]
                    for t in usable
                ])
                mean, ws_sigma, cov = warm_start_distribution(points)
                return CMA(mean, self._sigma0 or ws_sigma, popsize, cov)
        mean = np.full(n, 0.5)
        if self._x0 is not None:
            for i, nm in enumerate(names):
                if nm in self._x0:
                    mean[i] = encode_unit(space[nm], _inside(space[nm], self._x0[nm]))
        return CMA(mean, sigma, popsize)

    # -- the sampler contract --------------------------------------------------------------------
    def sample_relative(
        self, view: StudyView, trial: FrozenTrial, search_space: dict[str, Distribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        with self._lock:
            declared = self._spaces.pop((id(view), trial.number), None)
            if declared is None or set(declared) != set(search_space):
                return {}
            names = sorted(declared)
            run = self._run(view, declared)
            low = np.empty(len(names))
            high = np.empty(len(names))
            for i, nm in enumerate(names):
                eff = search_space[nm]
                assert isinstance(eff, (FloatDistribution, IntDistribution))
                low[i] = encode_unit(declared[nm], eff.low)
                high[i] = encode_unit(declared[nm], eff.high)
            x = run.cma.ask(self._rng, low, high)
            return {
                nm: _inside(search_space[nm], decode_unit(declared[nm], float(x[i])))
                for i, nm in enumerate(names)
            }

    def sample_independent(
        self, view: StudyView, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        with self._lock:
            if (
                self._warn_independent
                and name not in self._warned
                and not distribution.single()
                and len(view.get_trials(states=(TrialState.COMPLETE,))) >= self._n_startup_trials
            ):
                self._warned.add(name)
                _logger.info(
                    "CmaEsSampler samples %r with %s: it is categorical, conditional or not "
                    "shared by every trial",
                    name,
                    type(self._independent).__name__,
                )
            return self._independent.sample_independent(view, trial, name, distribution)

    def __repr__(self) -> str:
        return (
            f"CmaEsSampler(n_startup_trials={self._n_startup_trials}, popsize={self._popsize}, "
            f"sigma0={self._sigma0})"
        )


def _loss_of(trial: FrozenTrial, sign: float) -> float | None:
    if trial.state == TrialState.COMPLETE:
        value = trial.value
    elif trial.intermediate_values:
        value = trial.intermediate_values[max(trial.intermediate_values)]
    else:
        return None
    if value is None or not math.isfinite(value):
        return None
    return sign * float(value)


def _inside(dist: Distribution, value: Any) -> Any:
    """``value`` moved onto the nearest value of a numeric ``dist`` (its range and grid)."""
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    v = min(max(float(value), float(dist.low)), float(dist.high))
    return snap_to_grid(dist, v)

"""Grid search over a define-by-run space: explicit value lists plus an automatic grid."""

from __future__ import annotations

import copy
import logging
import math
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_lab.distributions import (
    CategoricalChoice,
    CategoricalDistribution,
    Distribution,
    IntDistribution,
)
from hpo_lab.samplers._base import BaseSampler
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.study._view import StudyView

__all__ = ["GridSampler"]

_logger = logging.getLogger("hpo_lab")

# Trials in these states hold a grid point: finished ones were evaluated, the others are being
# (or will be) evaluated, so a parallel worker must not take the same point.
_TAKEN = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)

# Above this many points the covered-point mask is not materialised; points are drawn at random
# and checked one by one instead, and the grid never reports itself exhausted.
_MAX_MASK_SIZE = 1 << 22
_RANDOM_DRAWS = 256

# In an index vector: the trial lacks the parameter (conditional space: it covers every value),
# or its value is not on the current grid (it covers none).
_ANY = -1
_OFF_GRID = -2


def _key(value: Any, exact: bool) -> tuple[str, Any]:
    # Categorical choices compare by type too (True, 1 and 1.0 are three choices); numbers on a
    # numeric axis compare by value, to 12 significant digits so that float noise still matches.
    if exact or value is None or isinstance(value, (bool, str)):
        return (type(value).__name__, value)
    try:
        return ("num", float(f"{float(value):.12g}"))
    except (TypeError, ValueError):
        return (type(value).__name__, repr(value))


class _Axis:
    __slots__ = ("exact", "index", "values")

    def __init__(self, values: list[Any], exact: bool) -> None:
        self.values = values
        self.exact = exact
        self.index: dict[tuple[str, Any], int] = {}
        for i, v in enumerate(values):
            self.index.setdefault(_key(v, exact), i)

    def find(self, value: Any) -> int:
        return self.index.get(_key(value, self.exact), _OFF_GRID)


def _check_value(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, (bool, int, float, str)):
        raise ValueError(
            f"grid values must be None, bool, int, float or str, but got {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"grid values must be finite, but got {name}={value!r}")


def auto_grid(distribution: Distribution, n_points: int, max_enumerated: int) -> list[Any]:
    """The values :class:`GridSampler` tries for a parameter it was given no list for.

    Categorical parameters yield every choice; integers and stepped floats every value when
    there are at most ``max_enumerated``, else ``n_points`` values spread evenly (in log space
    for log parameters) and snapped onto the grid; continuous floats ``n_points`` evenly (or
    log-) spaced values including both ends.

    Example:
        >>> from hpo_lab.distributions import FloatDistribution
        >>> [round(v, 9) for v in auto_grid(FloatDistribution(1.0, 100.0, log=True), 3, 10)]
        [1.0, 10.0, 100.0]
        >>> auto_grid(IntDistribution(0, 6, step=2), n_points=3, max_enumerated=10)
        [0, 2, 4, 6]
    """
    if isinstance(distribution, CategoricalDistribution):
        return list(distribution.choices)
    low, high = distribution.low, distribution.high
    if distribution.single():
        return [distribution.to_external(float(low))]
    step = distribution.step
    if step is not None:
        count = round((high - low) / step) + 1
        if count <= max_enumerated:
            ks = np.arange(count)
        else:
            raw = _spread(float(low), float(high), n_points, distribution.log)
            ks = np.unique(np.clip(np.round((raw - low) / step), 0, count - 1)).astype(np.int64)
        if isinstance(distribution, IntDistribution):
            return [int(low + int(k) * int(step)) for k in ks]
        return [_tidy(float(low + int(k) * step), float(low), float(high), step) for k in ks]
    raw = _spread(float(low), float(high), n_points, distribution.log)
    return sorted({min(float(high), max(float(low), float(v))) for v in raw})


def _tidy(value: float, low: float, high: float, step: float) -> float:
    # To 12 digits 0.1 * 3 reads 0.3 rather than 0.30000000000000004; kept only where that
    # stays inside the bounds and on the step grid.
    if value in (low, high):
        return value
    short = float(f"{value:.12g}")
    if low <= short <= high and abs(short - value) <= 1e-9 * step:
        return short
    return min(high, max(low, value))


def _spread(low: float, high: float, n: int, log: bool) -> np.ndarray:
    if log:
        values = np.exp(np.linspace(math.log(low), math.log(high), n))
        # exp(log(x)) can miss x by an ulp; the ends must be the bounds themselves.
        values[0], values[-1] = low, high
        return values
    return np.linspace(low, high, n)


class GridSampler(BaseSampler):
    """Tries every point of a grid once, then reports itself exhausted.

    The grid has one axis per parameter: the values listed in ``search_space`` for the
    parameters named there, and an automatic grid (see :func:`auto_grid`) for every other
    parameter the objective suggests. Parameters are learned from earlier trials, so
    define-by-run and conditional objectives work: a trial that never suggests a parameter
    covers every value of it. Each grid is taken under the current (narrowed) ranges; points
    held by COMPLETE, PRUNED, RUNNING or WAITING trials, own or inherited, are skipped, so
    parallel workers do not repeat them. Once every point is held, :meth:`is_exhausted` is true
    and ``Study.optimize`` stops; asking anyway re-proposes a valid point.

    Args:
        search_space: Explicit values per parameter, ``{"x": [0.1, 1.0], "opt": ["adam"]}``.
            Listed values outside a parameter's (narrowed) distribution are skipped.
        seed: Seed of the order in which points are visited.
        n_points: Points on the automatic grid of a continuous float (and of a long integer
            or stepped range).
        max_enumerated: Integers and stepped floats with at most this many values are
            enumerated in full.

    ``copy.deepcopy`` and ``pickle`` give an independent sampler in the same state (visiting
    order, points chosen for trials in flight); its lock is made afresh.

    Example:
        >>> import hpo_lab
        >>> sampler = GridSampler({"opt": ["adam", "sgd"]}, seed=0, n_points=3)
        >>> study = hpo_lab.create_study(sampler=sampler)
        >>> def objective(t):
        ...     opt = t.suggest_categorical("opt", ["adam", "sgd"])
        ...     return t.suggest_float("x", 0.0, 1.0) + len(opt)
        >>> study.optimize(objective, n_trials=100)
        >>> sorted((t.params["opt"], t.params["x"]) for t in study.trials)[:3]
        [('adam', 0.0), ('adam', 0.5), ('adam', 1.0)]
        >>> len(study.trials), sampler.is_exhausted(study.view)
        (6, True)
    """

    def __init__(
        self,
        search_space: Mapping[str, Sequence[CategoricalChoice]] | None = None,
        *,
        seed: int | None = None,
        n_points: int = 10,
        max_enumerated: int = 64,
    ) -> None:
        explicit: dict[str, list[Any]] = {}
        if search_space is not None:
            if not isinstance(search_space, Mapping):
                raise TypeError(
                    "search_space must be a dict of parameter name -> list of values, "
                    f"but got {search_space!r}"
                )
            for name, values in search_space.items():
                if not isinstance(name, str) or not name:
                    raise ValueError(f"parameter names must be non-empty str, but got {name!r}")
                if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
                    raise ValueError(
                        f"search_space[{name!r}] must be a list of values, but got {values!r}"
                    )
                if len(values) == 0:
                    raise ValueError(f"search_space[{name!r}] must not be empty, but got []")
                unique: list[Any] = []
                for v in values:
                    _check_value(name, v)
                    if all(_key(v, False) != _key(u, False) for u in unique):
                        unique.append(v)
                explicit[name] = unique
        for label, n, least in (("n_points", n_points, 2), ("max_enumerated", max_enumerated, 1)):
            if isinstance(n, bool) or not isinstance(n, int) or n < least:
                raise ValueError(f"{label} must be an int >= {least}, but got {label}={n!r}")
        self._explicit = explicit
        self._n_points = n_points
        self._max_enumerated = max_enumerated
        self._seed = seed
        self._rng = np.random.default_rng(seed)
        self._lock = threading.RLock()
        # Points chosen for trials still running in this process, by trial_id: a trial's
        # params are stored only as the objective suggests them, so until then only this
        # record keeps a parallel ask from taking the same point.
        self._pending: dict[int, dict[str, Any]] = {}
        # Points held by finished trials (which never change), folded into a mask one trial at
        # a time and kept while the grid stays the same.
        self._mask_signature: tuple[Any, ...] | None = None
        self._mask: np.ndarray | None = None
        self._mask_ids: set[int] = set()

    def reseed_rng(self, seed: int | None = None) -> None:
        with self._lock:
            self._rng = np.random.default_rng(seed)

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:  # the mask and the pending points change in place under it
            state = copy.deepcopy({k: v for k, v in self.__dict__.items() if k != "_lock"})
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    # -- the grid ----------------------------------------------------------------------------
    def _axis(self, name: str, distribution: Distribution | None) -> _Axis:
        exact = isinstance(distribution, CategoricalDistribution)
        listed = self._explicit.get(name)
        if listed is None:
            assert distribution is not None
            return _Axis(auto_grid(distribution, self._n_points, self._max_enumerated), exact)
        if distribution is None:
            return _Axis(list(listed), exact)
        inside = [v for v in listed if distribution.contains(v)]
        if inside:
            values = [distribution.to_external(distribution.to_internal(v)) for v in inside]
            return _Axis(values, exact)
        _logger.warning(
            "GridSampler: none of the values %r listed for %r lie inside %r; using an "
            "automatic grid instead",
            listed,
            name,
            distribution,
        )
        return _Axis(auto_grid(distribution, self._n_points, self._max_enumerated), exact)

    @staticmethod
    def _declared(trials: list[FrozenTrial]) -> dict[str, Distribution]:
        # The most recent declaration of each parameter; inherited trials are older than own ones.
        out: dict[str, Distribution] = {}
        for t in trials:
            if t.origin is not None:
                for name, d in t.distributions.items():
                    out.setdefault(name, d)
        for t in trials:
            if t.origin is None:
                out.update(t.distributions)
        return dict(sorted(out.items()))

    def _axes(self, effective: Mapping[str, Distribution]) -> tuple[list[str], list[_Axis]]:
        names = sorted(set(effective) | set(self._explicit))
        return names, [self._axis(n, effective.get(n)) for n in names]

    def _holders(
        self, trials: list[FrozenTrial], exclude: int | None
    ) -> list[tuple[int | None, dict[str, Any]]]:
        """``(trial_id, params)`` of every trial holding a point; the id only where finished."""
        held: list[tuple[int | None, dict[str, Any]]] = []
        own_ids: set[int] = set()
        for t in trials:
            if t.origin is None:
                own_ids.add(t.trial_id)
                if t.trial_id == exclude:
                    continue
            if t.state not in _TAKEN:
                continue
            params = dict(t.params)
            if t.state == TrialState.WAITING:
                params.update(t.system_attrs.get("fixed_params") or {})
            pending = self._pending.get(t.trial_id) if t.origin is None else None
            if pending is not None:
                params = {**pending, **params}
            held.append((t.trial_id if t.state in _FINISHED else None, params))
        for trial_id, point in self._pending.items():
            # Asked in this process but not yet in the trials read above. (A trial that
            # failed without a tell() here, in ``trials`` as FAIL, holds nothing.)
            if trial_id not in own_ids and trial_id != exclude:
                held.append((None, dict(point)))
        return held

    @staticmethod
    def _index_vector(
        names: list[str], axes: list[_Axis], params: Mapping[str, Any]
    ) -> list[int] | None:
        vec: list[int] = []
        shared = False
        for name, axis in zip(names, axes):
            if name in params:
                shared = True
                i = axis.find(params[name])
                if i == _OFF_GRID:
                    return None
                vec.append(i)
            else:
                vec.append(_ANY)
        # A trial that has suggested none of the grid's parameters yet holds no point.
        return vec if shared else None

    def _free_mask(
        self,
        names: list[str],
        axes: list[_Axis],
        held: list[tuple[int | None, dict[str, Any]]],
    ) -> np.ndarray | None:
        shape = tuple(len(a.values) for a in axes)
        if math.prod(shape) > _MAX_MASK_SIZE:
            return None
        if not names:
            return np.full(shape, not held, dtype=bool)
        signature = (tuple(names), tuple(tuple(a.index) for a in axes))
        finished = {trial_id for trial_id, _ in held if trial_id is not None}
        if (
            self._mask is None
            or signature != self._mask_signature
            or not self._mask_ids <= finished  # an inherited trial left after a narrowing
        ):
            self._mask_signature = signature
            self._mask = np.zeros(shape, dtype=bool)
            self._mask_ids = set()
        taken = self._mask
        for trial_id, params in held:
            if trial_id is not None and trial_id not in self._mask_ids:
                self._mask_ids.add(trial_id)
                self._mark(taken, names, axes, params)
        taken = taken.copy()
        for trial_id, params in held:
            if trial_id is None:
                self._mark(taken, names, axes, params)
        return ~taken

    def _mark(
        self, taken: np.ndarray, names: list[str], axes: list[_Axis], params: dict[str, Any]
    ) -> None:
        vec = self._index_vector(names, axes, params)
        if vec is not None:
            taken[tuple(slice(None) if i == _ANY else i for i in vec)] = True

    def _choose(
        self,
        names: list[str],
        axes: list[_Axis],
        held: list[tuple[int | None, dict[str, Any]]],
        fixed: Mapping[str, Any],
    ) -> dict[str, Any]:
        shape = tuple(len(a.values) for a in axes)
        fixed_vec = self._index_vector(names, axes, fixed) if fixed else None
        free = self._free_mask(names, axes, held)
        if free is None:
            return self._choose_at_random(names, axes, held, fixed_vec)
        if fixed_vec is not None:
            # An enqueued trial keeps its fixed values; the rest of its point comes from the
            # grid points that agree with them.
            agree = np.zeros(shape, dtype=bool)
            agree[tuple(slice(None) if i == _ANY else i for i in fixed_vec)] = True
            free &= agree
            if not free.any():
                free = agree
        flat = np.flatnonzero(free)
        if flat.size == 0:
            # Every point is held; a trial asked anyway re-evaluates one.
            flat = np.arange(free.size)
        pick = int(flat[int(self._rng.integers(flat.size))])
        index = np.unravel_index(pick, shape) if shape else ()
        return {n: a.values[int(i)] for n, a, i in zip(names, axes, index)}

    def _choose_at_random(
        self,
        names: list[str],
        axes: list[_Axis],
        held: list[tuple[int | None, dict[str, Any]]],
        fixed_vec: list[int] | None,
    ) -> dict[str, Any]:
        vectors = [
            v for v in (self._index_vector(names, axes, p) for _, p in held) if v is not None
        ]
        point: list[int] = []
        for _ in range(_RANDOM_DRAWS):
            point = [int(self._rng.integers(len(a.values))) for a in axes]
            if fixed_vec is not None:
                point = [p if f == _ANY else f for p, f in zip(point, fixed_vec)]
            if not any(all(i in (_ANY, p) for i, p in zip(v, point)) for v in vectors):
                break
        return {n: a.values[i] for n, a, i in zip(names, axes, point)}

    # -- the sampler contract -------------------------------------------------------------------
    def infer_relative_search_space(
        self, view: StudyView, trial: FrozenTrial
    ) -> dict[str, Distribution]:
        return self._declared(view.get_trials())

    def sample_relative(
        self, view: StudyView, trial: FrozenTrial, search_space: dict[str, Distribution]
    ) -> dict[str, Any]:
        with self._lock:
            names, axes = self._axes(search_space)
            fixed = dict(trial.system_attrs.get("fixed_params") or {})
            fixed.update(trial.params)
            held = self._holders(view.get_trials(), trial.trial_id)
            point = self._choose(names, axes, held, fixed)
            self._pending[trial.trial_id] = point
        return {n: v for n, v in point.items() if n in search_space}

    def sample_independent(
        self, view: StudyView, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        with self._lock:
            point = self._pending.get(trial.trial_id, {})
            if name in point and distribution.contains(point[name]):
                return distribution.to_external(distribution.to_internal(point[name]))
            # A parameter new to the grid (or re-declared differently): take the value that the
            # fewest held trials agreeing with this trial's values so far have.
            axis = self._axis(name, distribution)
            current = {**point, **trial.params}
            current.pop(name, None)
            counts = [0] * len(axis.values)
            for _, params in self._holders(view.get_trials(), trial.trial_id):
                if name not in params:
                    continue
                i = axis.find(params[name])
                if i == _OFF_GRID or any(
                    k in params and _key(params[k], False) != _key(v, False)
                    for k, v in current.items()
                ):
                    continue
                counts[i] += 1
            least = min(counts)
            candidates = [i for i, c in enumerate(counts) if c == least]
            value = axis.values[candidates[int(self._rng.integers(len(candidates)))]]
            self._pending.setdefault(trial.trial_id, {})[name] = value
            return value

    def after_trial(
        self, view: StudyView, trial: FrozenTrial, state: TrialState, value: float | None
    ) -> None:
        # The trial's stored params hold its point from here on.
        with self._lock:
            self._pending.pop(trial.trial_id, None)

    def is_exhausted(self, view: StudyView) -> bool:
        with self._lock:
            trials = view.get_trials()
            if any(t.state == TrialState.WAITING and t.origin is None for t in trials):
                return False  # enqueued trials still have to run
            declared = self._declared(trials)
            if not declared and not self._explicit:
                # No parameter is known yet. Only a finished trial that suggested nothing shows
                # the space is empty (one point, now evaluated); a trial still running may be
                # about to suggest its first parameter, so parallel workers must go on.
                return any(t.state in _FINISHED for t in trials)
            revision = view.current_revision
            effective = {n: revision.effective(n, d) for n, d in declared.items()}
            names, axes = self._axes(effective)
            free = self._free_mask(names, axes, self._holders(trials, None))
            return free is not None and not free.any()

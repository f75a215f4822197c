"""The tree-structured Parzen estimator sampler: a thin adapter from a study to ``_parzen``."""

from __future__ import annotations

import bisect
import copy
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from hpo_lab.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
    _choice_key,
)
from hpo_lab.samplers._base import BaseSampler, keep_record, proposed_by
from hpo_lab.samplers._tpe._parzen import Dimension, ParzenEstimator, default_weights, summarize
from hpo_lab.search_space._transform import decode_unit, snap_to_grid
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.study._view import StudyView

__all__ = [
    "CONSTRAINTS_KEY",
    "DEFAULT_MAX_BAD_KERNELS",
    "TPESampler",
    "default_gamma",
    "violation",
]

_OBSERVED = (TrialState.COMPLETE, TrialState.PRUNED)
_RUNNING = (TrialState.RUNNING,)

# Ranking groups, best first: finished with a value, pruned (ranked by their last report),
# pruned without reports, infeasible (ranked by their total constraint violation), and
# running trials when the constant liar is on.
_COMPLETE, _PRUNED, _NO_VALUE, _INFEASIBLE, _LIAR = 0, 1, 2, 3, 4

#: The system attribute holding a trial's constraint values (``<= 0`` is feasible), as Optuna
#: names it.
CONSTRAINTS_KEY = "constraints"

#: ``TPESampler``'s default ``max_bad_kernels``: past this many "bad" observations (liars
#: included) the bad estimator is fitted on a summary of them, so that an ask costs about the
#: same at 10,000 trials as at about 1,200. Studies of up to ~1,100 trials never reach it, so
#: they make exactly the proposals of an unsummarized fit. (At 1,000 trials a limit of 128 or
#: 256 kernels leaned worse in regret than the exact fit, over 7 seeds on Hartmann-6 and
#: benchmarks/samplers.py's "mixed" problem; the exact fit costs little more there: see
#: benchmarks/RESULTS.md.)
DEFAULT_MAX_BAD_KERNELS = 1024

_ColumnKey = tuple[str, str]


def default_gamma(n: int) -> int:
    """How many of ``n`` observations form the "good" group: 10 %, rounded up, at most 25.

    Example:
        >>> default_gamma(9), default_gamma(100), default_gamma(5000)
        (1, 10, 25)
    """
    return min(math.ceil(0.1 * n), 25)


def _column_key(name: str, dist: Distribution) -> _ColumnKey:
    # Observations are shared between declarations of the same kind and scale only: a parameter
    # re-declared from linear to log (or float to int) starts a fresh column.
    if isinstance(dist, CategoricalDistribution):
        return name, "cat"
    kind = "int" if isinstance(dist, IntDistribution) else "float"
    return name, kind + ("_log" if dist.log else "")


class _Column:
    """One parameter's values, dense over the history rows (NaN where a trial lacks it)."""

    __slots__ = ("high", "low", "values", "vocab", "vocab_index")

    def __init__(self, capacity: int) -> None:
        self.values = np.full(capacity, np.nan)
        self.low = math.inf
        self.high = -math.inf
        self.vocab: list[Any] = []  # categorical: the choices seen, in order of appearance
        self.vocab_index: dict[tuple[str, Any], int] = {}

    def encode(self, dist: Distribution, value: Any) -> float:
        if isinstance(dist, CategoricalDistribution):
            key = _choice_key(value)
            code = self.vocab_index.get(key)
            if code is None:
                code = self.vocab_index[key] = len(self.vocab)
                self.vocab.append(value)
            return float(code)
        self.low = min(self.low, float(dist.low))
        self.high = max(self.high, float(dist.high))
        return float(value)


class _History:
    """Observations of one study as growing numpy arrays; each trial is converted once."""

    def __init__(self, sign: float) -> None:
        self.sign = sign
        self.capacity = 64
        self.n = 0
        self.group = np.zeros(self.capacity)
        self.neg_step = np.zeros(self.capacity)
        self.loss = np.zeros(self.capacity)
        self.age = np.zeros(self.capacity)
        self.active = np.zeros(self.capacity, dtype=bool)
        self.columns: dict[_ColumnKey, _Column] = {}
        self.own_rows: dict[int, int] = {}
        self.inherited_rows: dict[tuple[str, int], int] = {}
        self.inherited_ids: list[int] = []
        self.intersection: dict[str, Distribution] | None = None
        self.version = 0  # bumped whenever rows are added or (de)activated
        # Every row ranked by (group, -step, loss, age, row), best first, kept sorted as rows
        # arrive (a finished trial's key never changes), so an ask never sorts the history.
        self._keys: list[tuple[float, float, float, float, int]] = []
        self.order = np.empty(0, dtype=np.intp)
        # (space, rows, their sorted grid keys) of the last proposal: see seen_keys.
        self._seen: tuple[Any, np.ndarray, np.ndarray] | None = None

    def _grow(self) -> None:
        self.capacity *= 2
        for attr in ("group", "neg_step", "loss", "age", "active"):
            old = getattr(self, attr)
            new = np.zeros(self.capacity, dtype=old.dtype)
            new[: self.n] = old[: self.n]
            setattr(self, attr, new)
        for col in self.columns.values():
            values = np.full(self.capacity, np.nan)
            values[: self.n] = col.values[: self.n]
            col.values = values

    def add(self, trial: FrozenTrial) -> int:
        if self.n == self.capacity:
            self._grow()
        row = self.n
        self.n += 1
        self.version += 1
        group, neg_step, loss = _score(trial, self.sign)
        self.group[row] = group
        self.neg_step[row] = neg_step
        self.loss[row] = loss
        # Inherited trials are older than every own trial (the ramp of weights fades them).
        origin = trial.origin
        self.age[row] = trial.number if origin is None else trial.number - 1e12
        self.active[row] = origin is None
        key = (float(group), neg_step, loss, float(self.age[row]), row)
        pos = bisect.bisect(self._keys, key)
        self._keys.insert(pos, key)
        self.order = np.insert(self.order, pos, row)
        for name, dist in trial.distributions.items():
            ckey = _column_key(name, dist)
            col = self.columns.get(ckey)
            if col is None:
                col = self.columns[ckey] = _Column(self.capacity)
            col.values[row] = col.encode(dist, trial.params[name])
        space = {n: d for n, d in trial.distributions.items() if not d.single()}
        if self.intersection is None:
            self.intersection = space
        else:
            self.intersection = {
                n: d for n, d in self.intersection.items() if space.get(n) == d
            }
        return row

    def sync(self, view: StudyView) -> None:
        trials = view.get_trials(states=_OBSERVED)
        # Own trials come first, inherited ones (with an origin) after: bisect the boundary.
        lo, hi = 0, len(trials)
        while lo < hi:
            mid = (lo + hi) // 2
            if trials[mid].origin is None:
                lo = mid + 1
            else:
                hi = mid
        n_own = lo
        if n_own != len(self.own_rows):
            # Finished trials never change again; the new ones are usually at the end.
            missing = n_own - len(self.own_rows)
            new: list[FrozenTrial] = []
            for t in reversed(trials[:n_own]):
                if t.number not in self.own_rows:
                    new.append(t)
                    if len(new) == missing:
                        break
            # Oldest first, so that reading a history at once (a copied sampler) adds the rows
            # in the order that reading it trial by trial does.
            for t in sorted(new, key=lambda t: t.number):
                self.own_rows[t.number] = self.add(t)
        inherited = trials[n_own:]
        ids = [id(t) for t in inherited]
        if ids != self.inherited_ids:
            # The inherited set changes when the space is narrowed: re-mark which are visible.
            for row in self.inherited_rows.values():
                self.active[row] = False
            for t in inherited:
                assert t.origin is not None
                key = (t.origin.study_name, t.origin.number)
                found = self.inherited_rows.get(key)
                if found is None:
                    found = self.inherited_rows[key] = self.add(t)
                self.active[found] = True
            self.inherited_ids = ids
            self.version += 1

    def seen_keys(
        self, space: Any, rows: np.ndarray, points: np.ndarray, dims: list[Dimension]
    ) -> np.ndarray | None:
        """The sorted :func:`_grid_keys` of the observations ``points`` (of history ``rows``)
        in ``dims``; ``space`` identifies the encoding of ``points``.

        Rows are only added to a history, so from one proposal to the next the rows usually
        grow by one at the end: only the new ones are keyed and merged in.
        """
        cached = self._seen
        if cached is not None and cached[0] == space:
            old_rows, old_keys = cached[1], cached[2]
            n_old = len(old_rows)
            if n_old <= len(rows) and np.array_equal(rows[:n_old], old_rows):
                new = _grid_keys(points[n_old:], dims)
                assert new is not None  # the same dimensions gave keys before
                new.sort()
                keys = np.insert(old_keys, np.searchsorted(old_keys, new), new)
                self._seen = (space, rows, keys)
                return keys
        found = _grid_keys(points, dims)
        if found is None:
            return None
        found.sort()
        self._seen = (space, rows, found)
        return found

    @property
    def n_active(self) -> int:
        return int(np.count_nonzero(self.active[: self.n]))


def violation(trial: FrozenTrial) -> float:
    """A trial's total constraint violation: the sum of its positive constraint values.

    Zero for a feasible trial and for a trial without constraint values.

    Example:
        >>> violation(FrozenTrial(0, TrialState.COMPLETE, system_attrs={"constraints": [2, -1]}))
        2.0
    """
    values = trial.system_attrs.get(CONSTRAINTS_KEY)
    if not values:
        return 0.0
    return float(sum(float(c) for c in values if float(c) > 0))


def _score(trial: FrozenTrial, sign: float) -> tuple[int, float, float]:
    """The ranking key ``(group, -step, loss)`` of a finished trial; smaller is better."""
    infeasible = violation(trial)
    if infeasible > 0:
        # As in Optuna: every feasible observation ranks before every infeasible one.
        return _INFEASIBLE, 0.0, infeasible
    if trial.state == TrialState.COMPLETE and trial.value is not None and math.isfinite(
        trial.value
    ):
        return _COMPLETE, 0.0, sign * trial.value
    if trial.state == TrialState.PRUNED and trial.intermediate_values:
        step = max(trial.intermediate_values)
        value = trial.intermediate_values[step]
        if math.isfinite(value):
            return _PRUNED, -float(step), sign * value
    return _NO_VALUE, 0.0, 0.0


class _Split:
    """The good/bad split of one ask: rows of the history plus running trials (the liars)."""

    def __init__(
        self,
        history: _History,
        running: list[FrozenTrial],
        gamma: Callable[[int], int],
    ) -> None:
        self.history = history
        self.rows = np.flatnonzero(history.active[: history.n])
        self.running = running
        self.n_observed = len(self.rows)
        self.gamma = gamma
        # Running trials do not change the size of the good group, only what is "bad".
        n_below = min(max(int(gamma(self.n_observed)), 1), self.n_observed)
        # The history keeps its rows ranked (ties go to the older observation, whatever order
        # the rows were read in); the rank here is among the active ones.
        ranked = history.order[history.active[history.order]]
        rank_of = np.empty(history.n, dtype=np.intp)
        rank_of[ranked] = np.arange(len(ranked))
        self.rank = rank_of[self.rows]
        self.is_below = self.rank < n_below
        self.age = history.age[self.rows]

    def below_within(self, inside: np.ndarray) -> np.ndarray:
        """The good group when only ``inside`` rows lie in the current (narrowed) box.

        The threshold is the gamma-quantile of the observations inside the box; observations
        outside it that beat the threshold are good too (truncation makes them count only
        through their mass inside the box). With a global threshold every point inside a
        narrowed box could be "bad" and the good density would be the flat prior there.
        """
        n_in = int(np.count_nonzero(inside))
        if n_in == 0:
            return self.is_below
        k = min(max(int(self.gamma(n_in)), 1), n_in)
        cut = np.partition(self.rank[inside], k - 1)[k - 1]
        is_below: np.ndarray = self.rank <= cut
        return is_below


class TPESampler(BaseSampler):
    """Tree-structured Parzen estimator (Bergstra et al. 2011), univariate or multivariate.

    Observations (COMPLETE trials, PRUNED ones ranked by their last report, and inherited
    warm-start trials) are split into the best ``gamma(n)`` and the rest; a Parzen estimator
    ``l(x)`` is fitted to the good ones and ``g(x)`` to the rest, and the candidate with the
    largest ``l(x) / g(x)`` among ``n_ei_candidates`` draws from ``l`` is proposed (which
    maximizes expected improvement, Eq. 6 of the paper). FAIL trials are ignored. Each
    finished trial records in its system attribute ``"proposed_by"`` whether the estimators
    proposed it ("tpe"), it was drawn at random during the start-up ("random"), or
    ``enqueue_trial`` gave every parameter ("enqueued").

    Args:
        seed: Seed of the random generator; the same seed gives the same proposals.
        n_startup_trials: Observations (own and inherited) needed before the model is used;
            until then values are drawn uniformly.
        n_ei_candidates: Candidates drawn from ``l(x)`` per proposal.
        multivariate: Model the parameters that every observation has jointly (product
            kernels, Falkner et al. 2018); conditional parameters outside that set fall back
            to univariate estimators. ``False``: one estimator per parameter, as in Bergstra
            et al. (2011). The joint model wins on our benchmarks (and is Optuna 5's default).
        gamma: ``n -> size of the good group``; default :func:`default_gamma`.
        weights: ``n -> observation weights``, oldest first; default
            :func:`~hpo_lab.samplers._tpe._parzen.default_weights`.
        prior_weight: Weight of the prior kernel in both estimators.
        consider_magic_clip: Clip kernel widths below (Bergstra et al. 2011).
        consider_endpoints: Let the range ends count as neighbours for univariate widths.
        categorical_bandwidth: Off-choice mass of a categorical kernel: ``None`` (the default)
            spreads the prior weight over the observations, so kernels sharpen as a group
            grows (Optuna's rule); a number ``b`` in ``[0, 1)`` keeps ``1 - b`` on the
            observed choice and ``b / (C - 1)`` on each other (``0``: Bergstra et al. 2011's
            counts; ``0.2``: Watanabe 2023). ``benchmarks/tpe_categorical.py`` compares them.
        constant_liar: Count RUNNING trials as bad observations, so that parallel workers do
            not all propose the same point.
        bandwidth: Kernel widths of joint (multivariate) estimators: ``"neighbor"`` (per
            observation and column, from the gaps to its neighbours) or ``"scott"`` (one
            smoother width per column); univariate estimators always use ``"neighbor"``.
        constraints_func: Constrained optimisation, with Optuna's signature: ``trial ->
            sequence of floats``, each ``<= 0`` when satisfied. It is called for every
            COMPLETE or PRUNED trial as it finishes; the values are stored in the trial's
            ``system_attrs["constraints"]``. Feasible observations rank before infeasible
            ones, which rank among themselves by their total violation (Optuna's rule).
        max_bad_kernels: The most kernels of the "bad" estimator ``g(x)`` (an integer >= 8,
            default :data:`DEFAULT_MAX_BAD_KERNELS`), or ``None`` to fit it on every bad
            observation. Past it, the newest bad observations (and the running trials) fill
            three quarters of the kernels exactly and the older ones are replaced by a
            deterministic systematic sample by weight
            (:func:`~hpo_lab.samplers._tpe._parzen.summarize`) of the same total weight. The
            good group is always exact; so is every study whose bad group never outgrows the
            limit.

    ``copy.deepcopy`` and ``pickle`` give an independent sampler with the same settings and
    random state; its lock is made afresh, and the observations it had read from studies are
    read again (a fresh read ranks them as the incremental one did). Pickling needs ``gamma``
    and ``weights`` to be picklable (module-level functions, not lambdas).

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(sampler=TPESampler(seed=0, n_startup_trials=5))
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=30)
        >>> study.best_value < 0.5
        True
    """

    def __init__(
        self,
        seed: int | None = None,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        *,
        multivariate: bool = True,
        gamma: Callable[[int], int] = default_gamma,
        weights: Callable[[int], np.ndarray] = default_weights,
        prior_weight: float = 1.0,
        consider_magic_clip: bool = True,
        consider_endpoints: bool = False,
        categorical_bandwidth: float | None = None,
        constant_liar: bool = True,
        bandwidth: Literal["neighbor", "scott"] = "neighbor",
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        max_bad_kernels: int | None = DEFAULT_MAX_BAD_KERNELS,
    ) -> None:
        for label, v, low in (
            ("n_startup_trials", n_startup_trials, 0),
            ("n_ei_candidates", n_ei_candidates, 1),
        ):
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ValueError(f"{label} must be an integer >= {low}, but got {label}={v!r}")
        if (
            isinstance(prior_weight, bool)
            or not isinstance(prior_weight, (int, float))
            or not (prior_weight > 0 and math.isfinite(prior_weight))
        ):
            raise ValueError(
                f"prior_weight must be finite and > 0, but got prior_weight={prior_weight!r}"
            )
        self._seed = seed
        self._rng = np.random.default_rng(seed)
        self._n_startup_trials = n_startup_trials
        self._n_ei_candidates = n_ei_candidates
        self._multivariate = multivariate
        self._gamma = gamma
        self._weights = weights
        self._prior_weight = float(prior_weight)
        self._magic_clip = consider_magic_clip
        self._endpoints = consider_endpoints
        if categorical_bandwidth is not None and (
            isinstance(categorical_bandwidth, bool)
            or not isinstance(categorical_bandwidth, (int, float))
            or not 0.0 <= categorical_bandwidth < 1.0
        ):
            raise ValueError(
                "categorical_bandwidth must be None or a number in [0, 1), but got "
                f"categorical_bandwidth={categorical_bandwidth!r}"
            )
        self._categorical_bandwidth = (
            None if categorical_bandwidth is None else float(categorical_bandwidth)
        )
        self._constant_liar = constant_liar
        if bandwidth not in ("neighbor", "scott"):
            raise ValueError(f"bandwidth must be 'neighbor' or 'scott', but got {bandwidth!r}")
        self._bandwidth: Literal["neighbor", "scott"] = bandwidth
        if constraints_func is not None and not callable(constraints_func):
            raise TypeError(
                f"constraints_func must be callable or None, but got {constraints_func!r}"
            )
        self._constraints_func = constraints_func
        if max_bad_kernels is not None and (
            isinstance(max_bad_kernels, bool)
            or not isinstance(max_bad_kernels, int)
            or max_bad_kernels < 8
        ):
            raise ValueError(
                "max_bad_kernels must be an integer >= 8 or None, but got "
                f"max_bad_kernels={max_bad_kernels!r}"
            )
        self._max_bad_kernels = max_bad_kernels
        self._lock = threading.RLock()
        # Running trials (study, trial id) whose parameters the Parzen estimators proposed, in
        # the order they were asked (a dict as an ordered set, so the oldest can be dropped).
        self._modelled: dict[tuple[str, int], None] = {}
        self._histories: dict[int, tuple[StudyView, _History]] = {}
        self._split_key: tuple[int, int] | None = None
        self._split: _Split | None = None

    def reseed_rng(self, seed: int | None = None) -> None:
        with self._lock:
            self._rng = np.random.default_rng(seed)
            self._split_key = self._split = None

    def __getstate__(self) -> dict[str, Any]:
        # The histories hold the studies' views (and through them stores and locks); they are
        # caches of what the views give, read again by the copy.
        skip = ("_lock", "_histories", "_split_key", "_split")
        with self._lock:
            state = copy.deepcopy({k: v for k, v in self.__dict__.items() if k not in skip})
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()
        self._histories = {}
        self._split_key = self._split = None

    # -- bookkeeping -----------------------------------------------------------------------------
    def _history(self, view: StudyView) -> _History:
        entry = self._histories.get(id(view))
        if entry is None or entry[0] is not view:
            history = _History(-1.0 if view.direction == "maximize" else 1.0)
            if len(self._histories) > 8:
                self._histories.clear()
            self._histories[id(view)] = (view, history)
        else:
            history = entry[1]
        history.sync(view)
        return history

    def _prepare(self, view: StudyView, trial: FrozenTrial) -> _Split | None:
        """The split for this trial (``None`` while starting up).

        Computed once per trial: the history is read when the trial's first parameter is
        sampled, and the trial's later parameters use the same snapshot.
        """
        key = (id(view), trial.number)
        if self._split_key == key:
            return self._split
        history = self._history(view)
        split: _Split | None = None
        if history.n_active >= max(self._n_startup_trials, 1):
            running: list[FrozenTrial] = []
            if self._constant_liar:
                running = [
                    t
                    for t in view.get_trials(states=_RUNNING, include_inherited=False)
                    if t.number != trial.number and t.params
                ]
            split = _Split(history, running, self._gamma)
        self._split_key, self._split = key, split
        return split

    def _random(self, dist: Distribution) -> Any:
        return decode_unit(dist, float(self._rng.random()))

    # -- the sampler contract --------------------------------------------------------------------
    def infer_relative_search_space(
        self, view: StudyView, trial: FrozenTrial
    ) -> dict[str, Distribution]:
        # Univariate mode uses the same path: the parameters every observation has are modelled
        # in one batched pass (independent one-column mixtures), the rest one by one.
        with self._lock:
            split = self._prepare(view, trial)
            if split is None:
                return {}
            # Enqueued values are used as given: proposing them would only spend random draws.
            fixed = trial.system_attrs.get("fixed_params") or {}
            space = split.history.intersection or {}
            return {n: space[n] for n in sorted(space) if n not in fixed}

    def sample_relative(
        self, view: StudyView, trial: FrozenTrial, search_space: dict[str, Distribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        with self._lock:
            split = self._prepare(view, trial)
            if split is None:
                return {}
            names = [n for n, d in search_space.items() if not d.single()]
            params: dict[str, Any] = {
                n: _single_value(d) for n, d in search_space.items() if d.single()
            }
            if names:
                params.update(
                    self._propose(split, {n: search_space[n] for n in names}, self._multivariate)
                )
                keep_record(self._modelled, (view.study_name, trial.trial_id), None)
            return params

    def sample_independent(
        self, view: StudyView, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        if distribution.single():
            return _single_value(distribution)
        with self._lock:
            split = self._prepare(view, trial)
            if split is None:
                return self._random(distribution)
            keep_record(self._modelled, (view.study_name, trial.trial_id), None)
            return self._propose(split, {name: distribution}, joint=True)[name]

    def finished_trial_attrs(
        self, view: StudyView, trial: FrozenTrial, state: TrialState, value: float | None
    ) -> Mapping[str, Any]:
        key = (view.study_name, trial.trial_id)
        with self._lock:
            modelled = self._modelled.pop(key, 0) is None
        attrs: dict[str, Any] = proposed_by(trial, "tpe" if modelled else None)
        if self._constraints_func is not None and state in _OBSERVED:
            attrs[CONSTRAINTS_KEY] = _check_constraints(self._constraints_func(trial))
        return attrs

    # -- the model -------------------------------------------------------------------------------
    def _propose(
        self, split: _Split, space: dict[str, Distribution], joint: bool
    ) -> dict[str, Any]:
        history = split.history
        names = list(space)
        n_rows = len(split.rows)
        obs = np.empty((n_rows, len(names)))
        liar = np.empty((len(split.running), len(names)))
        liar_ok = np.ones(len(split.running), dtype=bool)
        domain: list[Dimension] = []
        target: list[Dimension] = []
        for j, name in enumerate(names):
            dist = space[name]
            col = history.columns.get(_column_key(name, dist))
            values = col.values[split.rows] if col is not None else np.full(n_rows, np.nan)
            if isinstance(dist, CategoricalDistribution):
                # Domain: the current choices first, then other choices seen in the history.
                keys = [_choice_key(c) for c in dist.choices]
                extra = [] if col is None else [
                    k for k in col.vocab_index if k not in set(keys)
                ]
                index = {k: i for i, k in enumerate(keys + extra)}
                mapping = np.array(
                    [index[k] for k in col.vocab_index] if col is not None else [], dtype=float
                )
                present = ~np.isnan(values)
                mapped = np.full(n_rows, np.nan)
                mapped[present] = mapping[values[present].astype(np.intp)]
                obs[:, j] = mapped
                n_domain = len(index)
                domain.append(Dimension.categorical(n_domain))
                # Choices seen in the history but no longer offered keep their kernels' mass
                # out of the proposals (a truncation); otherwise the box is the same.
                target.append(
                    Dimension.categorical(
                        n_domain, allowed=range(len(keys)) if extra else None
                    )
                )
                for i, t in enumerate(split.running):
                    k = _choice_key(t.params.get(name))
                    ok = isinstance(t.distributions.get(name), CategoricalDistribution)
                    liar[i, j] = index[k] if ok and k in index else np.nan
            else:
                obs[:, j] = values
                low, high = float(dist.low), float(dist.high)
                d_low = min(low, col.low) if col is not None else low
                d_high = max(high, col.high) if col is not None else high
                step = _step_of(dist)
                domain.append(Dimension(d_low, d_high, log=dist.log, step=step))
                target.append(Dimension(low, high, log=dist.log, step=step))
                for i, t in enumerate(split.running):
                    td = t.distributions.get(name)
                    ok = td is not None and _column_key(name, td) == _column_key(name, dist)
                    v = float(t.params[name]) if ok else math.nan
                    liar[i, j] = v if d_low <= v <= d_high else math.nan
        present = ~np.any(np.isnan(obs), axis=1)
        liar_ok &= ~np.any(np.isnan(liar), axis=1)
        is_below = split.is_below
        if domain != target or (_BRANCH_SPLIT and not np.all(present)):
            inside = present.copy()
            for j, dim in enumerate(target if domain != target else []):
                column = obs[:, j]
                with np.errstate(invalid="ignore"):
                    if dim.is_categorical:
                        # The current choices come first in the domain's order.
                        inside &= column < len(dim.allowed or ())
                    else:
                        tol = 1e-9 * max(1.0, abs(dim.low), abs(dim.high))
                        inside &= (column >= dim.low - tol) & (column <= dim.high + tol)
            is_below = split.below_within(inside)
        below = present & is_below
        above = present & ~is_below
        joint = joint and len(names) > 1
        fit = {
            "prior_weight": self._prior_weight,
            "joint": joint,
            "bandwidth": self._bandwidth if joint else "neighbor",
            "magic_clip": self._magic_clip,
            "consider_endpoints": self._endpoints,
            "categorical_bandwidth": self._categorical_bandwidth,
        }
        l_est = self._fit(obs[below], split.age[below], domain, fit)
        above_obs = np.vstack([obs[above], liar[liar_ok]])
        # Liars are the newest observations.
        above_age = np.concatenate([split.age[above], np.full(int(liar_ok.sum()), np.inf)])
        g_est = self._fit(above_obs, above_age, domain, fit, self._max_bad_kernels)
        if domain != target:
            l_est = l_est.truncate(target)
            g_est = g_est.truncate(target)
        candidates = l_est.sample(self._rng, self._n_ei_candidates)
        # Eq. 6 of Bergstra et al. (2011): EI grows with l(x) / g(x).
        if joint:
            seen: np.ndarray | None = None
            if _NO_REPEATS:
                # Looked up by bisection below.
                seen = history.seen_keys(
                    (tuple(space.items()), tuple(target)), split.rows[present], obs[present],
                    target,
                )
                if seen is not None and np.any(liar_ok):
                    running_keys = _grid_keys(liar[liar_ok], target)
                    assert running_keys is not None  # the same dimensions
                    seen = np.sort(np.concatenate([seen, running_keys]))
            for _ in range(_REDRAWS):
                with np.errstate(invalid="ignore"):
                    acquisition = l_est.log_pdf(candidates) - g_est.log_pdf(candidates)
                # Where both densities vanish (-inf - -inf) the ratio is undefined: never
                # prefer it.
                acquisition = np.nan_to_num(acquisition, nan=-np.inf)
                if seen is None:
                    break
                # In a space of grid values and choices only, a point already evaluated (or
                # running) would teach nothing new: take the best candidate not yet seen, and
                # draw again when all of them were.
                cand_keys = _grid_keys(candidates, target)
                assert cand_keys is not None  # same dimensions as ``seen``
                fresh = ~_in_sorted(cand_keys, seen)
                if np.any(fresh):
                    acquisition[~fresh] = -np.inf
                    break
                candidates = l_est.sample(self._rng, self._n_ei_candidates)
            best = candidates[int(np.argmax(acquisition))]
        else:
            # Independent columns: the best candidate of each column on its own.
            with np.errstate(invalid="ignore"):
                acq = l_est.marginal_log_pdf(candidates) - g_est.marginal_log_pdf(candidates)
            acq = np.nan_to_num(acq, nan=-np.inf)
            best = candidates[np.argmax(acq, axis=0), np.arange(len(names))]
        return {name: _to_external(space[name], best[j]) for j, name in enumerate(names)}

    def _fit(
        self,
        obs: np.ndarray,
        age: np.ndarray,
        dims: list[Dimension],
        fit: dict[str, Any],
        max_kernels: int | None = None,
    ) -> ParzenEstimator:
        n = len(age)
        if n > 1 and np.any(age[1:] < age[:-1]):
            obs = obs[np.argsort(age, kind="stable")]
        weights = np.asarray(self._weights(n), dtype=float)
        if weights.shape != (n,):
            raise ValueError(
                f"weights({n}) must return {n} numbers, but got shape {weights.shape}"
            )
        if max_kernels is not None and n > max_kernels:
            # The bad group of a long study: its newest observations (and the liars) exactly,
            # the older ones by a weighted systematic sample, so a fit and an evaluation cost
            # the same at 10,000 observations as at a few hundred.
            n_exact = int(max_kernels * _EXACT_SHARE)
            obs, weights = summarize(obs, weights, max_kernels, n_exact=n_exact)
        return ParzenEstimator(obs, dims, weights, **fit)


# The share of a summarized bad group's kernels that are its newest observations, exactly: late
# in a study the bad observations near the good region are mostly recent ones.
_EXACT_SHARE = 0.75

# How many batches of candidates a proposal draws at most while every candidate is a point
# already seen (in a fully discrete space).
_REDRAWS = 4
_NO_REPEATS = True
_BRANCH_SPLIT = True


def _grid_keys(points: np.ndarray, dims: list[Dimension]) -> np.ndarray | None:
    """One key per row of ``points`` that is equal exactly for equal grid points, or ``None``
    when a column is continuous (a repeat is then impossible in practice)."""
    if any(not d.is_categorical and d.step is None for d in dims) or not dims:
        return None
    # Categorical columns hold their choice index already: offset 0, step 1.
    lows = np.array([0.0 if d.is_categorical else d.low for d in dims])
    steps = np.array([1.0 if d.is_categorical else d.step for d in dims], dtype=float)
    sizes = [d.n_choices if d.is_categorical else d.n_values for d in dims]
    cells = np.round((points - lows) / steps).astype(np.int64)
    if math.prod(sizes) < 2**62:
        # One integer per grid point (mixed radix): these sort and compare ~10x faster than
        # the byte strings below. A row off the grid (an observation outside a narrowed range)
        # gets -1: it never equals a proposal, which is always on the grid.
        radix = np.cumprod([1, *sizes[:-1]], dtype=np.int64)
        on_grid = np.all((cells >= 0) & (cells < np.array(sizes)), axis=1)
        return np.where(on_grid, cells @ radix, -1)
    return np.ascontiguousarray(cells).view(np.dtype((np.void, 8 * len(dims)))).ravel()


def _in_sorted(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """``np.isin(keys, sorted_keys)`` for a sorted ``sorted_keys``: a bisection per key (a few
    candidates against thousands of observations; ``np.isin`` sorts both every time).

    Example:
        >>> _in_sorted(np.array([3, 4, 9]), np.array([1, 3, 9]))
        array([ True, False,  True])
    """
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return np.asarray(sorted_keys[at] == keys)


def _check_constraints(values: Any) -> list[float]:
    """``constraints_func``'s answer as a list of finite floats, or a one-line error."""
    try:
        items = list(values)
    except TypeError:
        raise TypeError(
            f"constraints_func must return a sequence of floats, but returned {values!r}"
        ) from None
    out: list[float] = []
    for c in items:
        if isinstance(c, (bool, str, bytes)) or not isinstance(c, (int, float, np.number)):
            raise TypeError(
                f"constraints_func must return a sequence of floats, but returned {values!r}"
            )
        if not math.isfinite(float(c)):
            raise ValueError(
                f"constraint values must be finite numbers, but constraints_func returned "
                f"{values!r}"
            )
        out.append(float(c))
    return out


def _single_value(dist: Distribution) -> Any:
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[0]
    return dist.to_external(dist.low)


def _step_of(dist: FloatDistribution | IntDistribution) -> float | None:
    if isinstance(dist, IntDistribution):
        return float(dist.step)
    return dist.step


def _to_external(dist: Distribution, v: float) -> Any:
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[int(v)]
    return snap_to_grid(dist, v)

"""Quasi-Monte Carlo sampling (Sobol' or Halton sequences from scipy.stats.qmc)."""

from __future__ import annotations

import copy
import secrets
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_lab.distributions import Distribution
from hpo_lab.samplers._base import BaseSampler
from hpo_lab.search_space._transform import decode_unit
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from scipy.stats import qmc

    from hpo_lab.study._view import StudyView

__all__ = ["QMCSampler"]

_QMC_TYPES = ("sobol", "halton")
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def _space_key(t: FrozenTrial) -> tuple[Any, ...]:
    if t.origin is None:
        return (None, t.number)
    # An inherited trial's distributions follow the child's declarations (see
    # Study.inherited_trials), so they are part of its identity here.
    return (t.origin.study_name, t.origin.number, tuple(t.distributions.items()))


class QMCSampler(BaseSampler):
    """Fills the space evenly with a low-discrepancy sequence.

    The parameters sampled jointly are those every finished trial (own or inherited) declared
    with the same distribution; the first trial, and parameters outside that set, are sampled
    uniformly at random. Trial ``n`` takes point ``n`` of the sequence (point ``k + n`` in a
    warm-started study with ``k`` inherited trials), so a sequential run is deterministic for a
    seed, parallel workers (threads or processes sharing a study) never take the same point,
    and narrowing maps the same sequence into the narrowed ranges.

    Args:
        qmc_type: ``"sobol"`` or ``"halton"``.
        scramble: Randomise the sequence (Owen scrambling for Sobol'), keeping its evenness.
        seed: Seed of the scrambling and of the random first trial; with ``None`` one is drawn
            once, so every trial of this sampler uses the same sequence.

    ``copy.deepcopy`` and ``pickle`` give an independent sampler with the same sequence and the
    same random state; its lock and sequence engines are made afresh.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(sampler=QMCSampler(qmc_type="halton", seed=0))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("k", 0, 3),
        ...                n_trials=9)
        >>> sorted(t.params["k"] for t in study.trials[1:])  # 8 points, 2 per value of k
        [0, 0, 1, 1, 2, 2, 3, 3]
    """

    def __init__(
        self, *, qmc_type: str = "sobol", scramble: bool = True, seed: int | None = None
    ) -> None:
        if qmc_type not in _QMC_TYPES:
            raise ValueError(f"qmc_type must be 'sobol' or 'halton', but got qmc_type={qmc_type!r}")
        if not isinstance(scramble, bool):
            raise ValueError(f"scramble must be a bool, but got scramble={scramble!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed must be an int or None, but got seed={seed!r}")
        self._qmc_type = qmc_type
        self._scramble = scramble
        self._seed = seed if seed is not None else secrets.randbits(32)
        self._rng = np.random.default_rng(self._seed)
        self._lock = threading.Lock()
        self._engines: dict[int, qmc.QMCEngine] = {}
        # The intersection space, folded in one finished trial at a time.
        self._space: dict[str, Distribution] | None = None
        self._space_ids: set[tuple[Any, ...]] = set()

    def reseed_rng(self, seed: int | None = None) -> None:
        # Only the random first trials change: the sequence must stay the same in every worker
        # so that trial numbers keep mapping to distinct points.
        with self._lock:
            self._rng = np.random.default_rng(seed)

    def __getstate__(self) -> dict[str, Any]:
        # The engines are rebuilt on demand from the seed (the sequence is a function of it).
        skip = ("_lock", "_engines")
        with self._lock:
            state = copy.deepcopy({k: v for k, v in self.__dict__.items() if k not in skip})
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._engines = {}

    def _engine(self, d: int) -> qmc.QMCEngine:
        engine = self._engines.get(d)
        if engine is None:
            from scipy.stats import qmc

            cls = qmc.Sobol if self._qmc_type == "sobol" else qmc.Halton
            try:
                engine = cls(d, scramble=self._scramble, rng=self._seed)
            except TypeError:  # scipy < 1.15 names the argument seed
                engine = cls(d, scramble=self._scramble, seed=self._seed)
            self._engines[d] = engine
        return engine

    def _point(self, d: int, index: int) -> np.ndarray:
        """Point ``index`` of the ``d``-dimensional sequence, shape ``(d,)``."""
        engine = self._engine(d)
        if engine.num_generated > index:
            engine.reset()
        if index > engine.num_generated:
            engine.fast_forward(index - engine.num_generated)
        return engine.random(1)[0]

    def infer_relative_search_space(
        self, view: StudyView, trial: FrozenTrial
    ) -> dict[str, Distribution]:
        finished = view.get_trials(_FINISHED)
        with self._lock:
            ids = {_space_key(t) for t in finished}
            if self._space is None or not self._space_ids <= ids:
                # First call, or inherited trials dropped out after a narrowing or were
                # re-declared by the study's own trials: start over.
                self._space, self._space_ids = None, set()
            space = self._space
            for t in finished:
                key = _space_key(t)
                if key in self._space_ids:
                    continue
                self._space_ids.add(key)
                if space is None:
                    space = dict(t.distributions)
                else:
                    space = {n: d for n, d in space.items() if t.distributions.get(n) == d}
            self._space = space
        return {n: d for n, d in sorted((space or {}).items()) if not d.single()}

    def sample_relative(
        self, view: StudyView, trial: FrozenTrial, search_space: dict[str, Distribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        names = sorted(search_space)
        # A warm-started study continues the sequence after its inherited trials rather than
        # repeating the points a parent with the same seed already evaluated.
        offset = sum(1 for t in view.get_trials(_FINISHED) if t.origin is not None)
        with self._lock:
            u = self._point(len(names), offset + trial.number)
        return {n: decode_unit(search_space[n], float(x)) for n, x in zip(names, u)}

    def sample_independent(
        self, view: StudyView, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        with self._lock:
            u = float(self._rng.random())
        return decode_unit(distribution, u)

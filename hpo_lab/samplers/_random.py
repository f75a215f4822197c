"""Independent uniform sampling."""

from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_lab.distributions import Distribution
from hpo_lab.samplers._base import BaseSampler
from hpo_lab.search_space._transform import decode_unit
from hpo_lab.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from hpo_lab.study._view import StudyView

__all__ = ["RandomSampler"]


class RandomSampler(BaseSampler):
    """Samples every parameter uniformly (in log space for log parameters).

    Args:
        seed: Seed of the random generator; the same seed gives the same sequence.

    ``copy.deepcopy`` and ``pickle`` give an independent sampler at the same point of the
    sequence (its lock is made afresh).

    Example:
        >>> import copy, hpo_lab
        >>> sampler = RandomSampler(seed=0)
        >>> study = hpo_lab.create_study(sampler=sampler)
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=5)
        >>> len(study.trials)
        5
        >>> twin = copy.deepcopy(sampler)  # from here on, the same draws as the original
        >>> t = study.trials[0]
        >>> draw = lambda s: s.sample_independent(study.view, t, "x", t.distributions["x"])
        >>> draw(twin) == draw(sampler), draw(twin) == draw(sampler)
        (True, True)
    """

    def __init__(self, seed: int | None = None) -> None:
        self._seed = seed
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()

    def reseed_rng(self, seed: int | None = None) -> None:
        with self._lock:
            self._rng = np.random.default_rng(seed)

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:  # the generator's state, not half of a draw in another thread
            state = copy.deepcopy({k: v for k, v in self.__dict__.items() if k != "_lock"})
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def sample_independent(
        self, view: StudyView, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        with self._lock:
            u = float(self._rng.random())
        return decode_unit(distribution, u)

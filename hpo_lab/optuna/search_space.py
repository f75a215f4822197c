"""``optuna.search_space`` on hpo_lab."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hpo_lab.distributions import Distribution
from hpo_lab.search_space._transform import intersection_search_space as _intersection
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

__all__ = ["IntersectionSearchSpace", "intersection_search_space"]


def intersection_search_space(
    trials: Iterable[FrozenTrial], include_pruned: bool = False
) -> dict[str, Distribution]:
    """The distributions every COMPLETE (and, with ``include_pruned``, PRUNED) trial shares.

    Example:
        >>> from hpo_lab.distributions import FloatDistribution
        >>> from hpo_lab.trial import create_trial
        >>> t = create_trial(value=1.0, params={"x": 0.5},
        ...                  distributions={"x": FloatDistribution(0, 1)})
        >>> list(intersection_search_space([t, t]))
        ['x']
    """
    states = (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (TrialState.COMPLETE,)
    return _intersection(t for t in trials if t.state in states)


class IntersectionSearchSpace:
    """Optuna's incremental form: ``calculate(study)`` gives the shared distributions.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_int("k", 0, 3), n_trials=2)
        >>> IntersectionSearchSpace().calculate(s)
        {'k': IntDistribution(low=0, high=3, log=False, step=1)}
    """

    def __init__(self, include_pruned: bool = False) -> None:
        self._include_pruned = include_pruned

    def calculate(self, study: Any) -> dict[str, Distribution]:
        """The distributions the study's finished trials share."""
        return intersection_search_space(
            study.get_trials(deepcopy=False), include_pruned=self._include_pruned
        )

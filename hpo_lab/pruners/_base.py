"""The pruner contract.

``prune(view, trial)`` is called by ``trial.should_prune()`` with the trial as stored at that
moment (its intermediate values up to the last report). It returns whether the trial should
stop. A decision must depend only on stored data -- the trial's intermediate values and those
of the study's finished trials -- so that replaying it on the store gives the same answer (the
pruner contract suite checks exactly this). Pruners may be called from several threads at once.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from hpo_lab.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from hpo_lab.study._view import StudyView

__all__ = ["BasePruner"]


class BasePruner(abc.ABC):
    """Abstract pruner: a single method."""

    @abc.abstractmethod
    def prune(self, view: StudyView, trial: FrozenTrial) -> bool:
        """Whether ``trial`` should be pruned now."""

"""The pruner that never prunes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo_lab.pruners._base import BasePruner
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from hpo_lab.study._view import StudyView

__all__ = ["NopPruner"]


class NopPruner(BasePruner):
    """Never prunes; the default when a study is given no pruner.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(pruner=NopPruner())
        >>> trial = study.ask(); trial.report(1.0, 0); trial.should_prune()
        False
    """

    def decide(self, view: StudyView, trial: FrozenTrial) -> PruneDecision | None:
        """Nothing to decide, ever: no decision is recorded."""
        return None

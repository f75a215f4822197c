"""The narrow, read-only view of a study that samplers and pruners receive."""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING

from hpo_lab.search_space._revision import SpaceRevision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.study._study import Study

__all__ = ["StudyView"]


class StudyView:
    """What a sampler or pruner may read of a study; it cannot change anything.

    For speed the trials it returns are the study's shared records, not copies: a sampler or
    pruner must treat them, and the dictionaries they hold, as read-only.

    Example:
        >>> import hpo_lab
        >>> view = hpo_lab.create_study(direction="maximize").view
        >>> view.direction, view.get_trials()
        ('maximize', [])
    """

    __slots__ = ("__study",)

    def __init__(self, study: Study) -> None:
        self.__study = study

    @property
    def study_name(self) -> str:
        """The study's name."""
        return self.__study.study_name

    @property
    def direction(self) -> str:
        """``"minimize"`` or ``"maximize"``."""
        return self.__study.direction

    def get_trials(
        self,
        states: Container[TrialState] | None = None,
        *,
        include_inherited: bool = True,
    ) -> list[FrozenTrial]:
        """Trials of the study, own trials first (by number), then inherited ones.

        Inherited (warm-start) trials have ``origin`` set; they count as observations but are not
        the study's own trials. The records are shared with the study: do not change them.
        """
        study = self.__study
        own = study.get_trials(deepcopy=False, states=states)
        if not include_inherited:
            return own
        inherited = study._shared_inherited()
        if states is not None:
            inherited = [t for t in inherited if t.state in states]
        return own + inherited if inherited else own

    @property
    def search_space_history(self) -> list[SpaceRevision]:
        """Every revision of the search space, revision 0 first."""
        return self.__study.search_space_history

    def revision(self, number: int) -> SpaceRevision:
        """One revision by number."""
        return self.__study.search_space_history[number]

    @property
    def current_revision(self) -> SpaceRevision:
        """The revision new trials are asked under."""
        return self.__study.search_space_history[-1]

"""A study's own view: the :class:`~hpo_lab.views.StudyView` contract over the live store."""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import TYPE_CHECKING, Any

from hpo_lab.search_space._revision import SpaceRevision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState
from hpo_lab.views._protocol import StudyView
from hpo_lab.views._trials import TrialsView

if TYPE_CHECKING:
    from hpo_lab.study._study import Study

__all__ = ["LiveStudyView", "StudyView"]


class LiveStudyView:
    """What a sampler or pruner may read of a study; it cannot change anything.

    Each call reads the store's latest state (incrementally). For speed the trials it returns
    are the study's shared records, not copies: a sampler or pruner must treat them, and the
    dictionaries they hold, as read-only. :meth:`snapshot` pins the view at one cursor.

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

    @property
    def cursor(self) -> int:
        """The store cursor of the study's trials as last read."""
        return self.__study._cursor

    @property
    def system_attrs(self) -> Mapping[str, Any]:
        """Study-level values the library keeps (read from the store)."""
        return self.__study.system_attrs

    def get_trials(
        self,
        states: Container[TrialState] | None = None,
        *,
        include_inherited: bool = True,
    ) -> list[FrozenTrial]:
        """Trials of the study, own trials first (by number), then inherited ones.

        Inherited (warm-start) trials have ``origin`` set; they count as observations but are not
        the study's own trials. As own trials of earlier revisions are, they are here wherever
        they lie in the declared distributions, also outside the current revision's ranges
        (:attr:`Study.inherited_trials` lists those inside). The records are shared with the
        study: do not change them.
        """
        study = self.__study
        own = study.get_trials(deepcopy=False, states=states)
        if not include_inherited:
            return own
        inherited = study._inherited_observations()
        if states is not None:
            inherited = [t for t in inherited if t.state in states]
        return own + inherited if inherited else own

    @property
    def search_space_history(self) -> list[SpaceRevision]:
        """Every revision of the search space, revision 0 first."""
        return self.__study.search_space_history

    def revision(self, number: int) -> SpaceRevision:
        """One revision by number."""
        return self.__study._revision(number)

    @property
    def current_revision(self) -> SpaceRevision:
        """The revision new trials are asked under."""
        return self.__study.search_space_history[-1]

    def snapshot(self) -> TrialsView:
        """The study as it is now, pinned: own trials read at one store cursor, and inherited
        trials that had finished by then.

        Example:
            >>> import hpo_lab
            >>> study = hpo_lab.create_study()
            >>> study.optimize(lambda t: t.suggest_int("k", 0, 3), n_trials=2)
            >>> snap = study.view.snapshot()
            >>> study.optimize(lambda t: t.suggest_int("k", 0, 3), n_trials=1)
            >>> len(snap.get_trials()), len(study.view.get_trials())
            (2, 3)
        """
        study = self.__study
        own, cursor = study._own_snapshot()
        # Read after the own trials, so every ancestor is at least as recent as the cursor;
        # trials finished after it are left out, as they would be in a replay at that cursor.
        inherited = [
            t for t in study._inherited_observations() if (t.finished_cursor or 0) <= cursor
        ]
        return TrialsView(
            study.study_name,
            study.direction,
            own,
            inherited,
            study.search_space_history,
            cursor,
            study.system_attrs,
            _sorted=True,
        )

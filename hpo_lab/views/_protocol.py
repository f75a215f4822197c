"""The study view contract: what samplers, pruners and schedulers may read of a study."""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import Any, Protocol, runtime_checkable

from hpo_lab.search_space._revision import SpaceRevision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

__all__ = ["StudyView"]


@runtime_checkable
class StudyView(Protocol):
    """A read-only view of a study's trials and search space.

    Samplers, pruners and schedulers receive one and read nothing else of a study, so that a
    filtered view (one Hyperband bracket, one generation of a population, the study as it stood
    at an earlier moment) is a small object, not a study: see :class:`~hpo_lab.views.TrialsView`.
    A study's own view (``study.view``) reads the live store; :meth:`snapshot` pins it.

    Trials a view returns are shared records: treat them, and their dictionaries, as read-only.

    Example:
        >>> import hpo_lab
        >>> isinstance(hpo_lab.create_study().view, StudyView)
        True
    """

    @property
    def study_name(self) -> str:
        """The study's name."""
        ...

    @property
    def direction(self) -> str:
        """``"minimize"`` or ``"maximize"``."""
        ...

    @property
    def system_attrs(self) -> Mapping[str, Any]:
        """Study-level values the library keeps (a pruner's resources resolved once)."""
        ...

    @property
    def cursor(self) -> int:
        """The store's change cursor that the trials reflect: every change up to it is in."""
        ...

    def get_trials(
        self,
        states: Container[TrialState] | None = None,
        *,
        include_inherited: bool = True,
    ) -> list[FrozenTrial]:
        """Own trials by number, then inherited (warm-start) ones, optionally only in
        ``states``."""
        ...

    @property
    def search_space_history(self) -> list[SpaceRevision]:
        """Every revision of the search space, revision 0 first."""
        ...

    def revision(self, number: int) -> SpaceRevision:
        """One revision by number."""
        ...

    @property
    def current_revision(self) -> SpaceRevision:
        """The revision new trials are asked under."""
        ...

    def snapshot(self) -> StudyView:
        """A view that no longer changes: the trials as they are now, with this cursor."""
        ...

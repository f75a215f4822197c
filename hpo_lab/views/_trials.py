"""A view over a fixed list of trials: filtered views and snapshots without a study."""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from typing import Any

from hpo_lab.search_space._revision import SpaceRevision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState
from hpo_lab.views._protocol import StudyView

__all__ = ["TrialsView", "derived_view", "filter_view"]

_DIRECTIONS = ("minimize", "maximize")


class TrialsView:
    """A :class:`~hpo_lab.views.StudyView` over given trials; it never changes.

    Args:
        study_name: The name it reports.
        direction: ``"minimize"`` or ``"maximize"``.
        trials: The own trials, in any order (kept sorted by number).
        inherited: Inherited (warm-start) trials, each with ``origin`` set.
        revisions: The search-space history (default: revision 0 only).
        cursor: The store cursor these trials reflect.
        system_attrs: The study's system attributes.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> view = TrialsView("s", "minimize", [FrozenTrial(0, TrialState.COMPLETE, value=1.0)])
        >>> [t.value for t in view.get_trials(states=[TrialState.COMPLETE])]
        [1.0]
    """

    __slots__ = (
        "_cursor",
        "_direction",
        "_inherited",
        "_name",
        "_revisions",
        "_system_attrs",
        "_trials",
    )

    def __init__(
        self,
        study_name: str,
        direction: str,
        trials: Sequence[FrozenTrial],
        inherited: Sequence[FrozenTrial] = (),
        revisions: Sequence[SpaceRevision] | None = None,
        cursor: int = 0,
        system_attrs: Mapping[str, Any] | None = None,
        *,
        _sorted: bool = False,
    ) -> None:
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction must be 'minimize' or 'maximize', but got {direction!r}")
        self._name = study_name
        self._direction = direction
        self._trials = list(trials) if _sorted else sorted(trials, key=lambda t: t.number)
        self._inherited = list(inherited)
        self._revisions = list(revisions) if revisions else [SpaceRevision(0)]
        self._cursor = int(cursor)
        self._system_attrs = dict(system_attrs or {})

    @property
    def study_name(self) -> str:
        """The study's name."""
        return self._name

    @property
    def direction(self) -> str:
        """``"minimize"`` or ``"maximize"``."""
        return self._direction

    @property
    def cursor(self) -> int:
        """The store cursor these trials reflect."""
        return self._cursor

    @property
    def system_attrs(self) -> Mapping[str, Any]:
        """The study's system attributes (a copy)."""
        return dict(self._system_attrs)

    def get_trials(
        self,
        states: Container[TrialState] | None = None,
        *,
        include_inherited: bool = True,
    ) -> list[FrozenTrial]:
        """Own trials by number, then inherited ones, optionally only in ``states``."""
        own = self._trials if states is None else [t for t in self._trials if t.state in states]
        if not include_inherited or not self._inherited:
            return list(own)
        inherited = (
            self._inherited
            if states is None
            else [t for t in self._inherited if t.state in states]
        )
        return [*own, *inherited]

    @property
    def search_space_history(self) -> list[SpaceRevision]:
        """Every revision, revision 0 first."""
        return list(self._revisions)

    def revision(self, number: int) -> SpaceRevision:
        """One revision by number."""
        return self._revisions[number]

    @property
    def current_revision(self) -> SpaceRevision:
        """The revision new trials are asked under."""
        return self._revisions[-1]

    def snapshot(self) -> TrialsView:
        """This view: it does not change."""
        return self

    def __repr__(self) -> str:
        return (
            f"TrialsView({self._name!r}, {len(self._trials)} trials, "
            f"{len(self._inherited)} inherited, cursor={self._cursor})"
        )


def filter_view(view: StudyView, keep: Callable[[FrozenTrial], bool]) -> TrialsView:
    """A snapshot of ``view`` holding only the trials for which ``keep(trial)`` is true.

    How a scheduler shows one part of a study to a sampler or pruner: one Hyperband bracket,
    one generation of a population, the trials that reached a rung.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> study.optimize(lambda t: t.suggest_int("k", 0, 9), n_trials=6)
        >>> even = filter_view(study.view, lambda t: t.number % 2 == 0)
        >>> [t.number for t in even.get_trials()]
        [0, 2, 4]
    """
    snap = view.snapshot()
    own = [t for t in snap.get_trials(include_inherited=False) if keep(t)]
    inherited = [t for t in snap.get_trials() if t.origin is not None and keep(t)]
    return derived_view(snap, own, inherited)


def derived_view(
    snap: StudyView,
    own: Sequence[FrozenTrial],
    inherited: Sequence[FrozenTrial],
    *,
    study_name: str | None = None,
    cursor: int | None = None,
    _sorted: bool = False,
) -> TrialsView:
    """A view of ``snap``'s study (its direction, space revisions and attributes) with other
    trials: ``own`` and ``inherited`` in place of its own, under another ``study_name`` or
    ``cursor`` if given. What :func:`filter_view`, ``view_as_of`` and the multi-fidelity
    sampler's per-resource views are made of.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> study.optimize(lambda t: t.suggest_int("k", 0, 9), n_trials=3)
        >>> snap = study.view.snapshot()
        >>> v = derived_view(snap, snap.get_trials()[:1], [], study_name="first")
        >>> v.study_name, [t.number for t in v.get_trials()], v.direction
        ('first', [0], 'minimize')
    """
    return TrialsView(
        snap.study_name if study_name is None else study_name,
        snap.direction,
        own,
        inherited,
        snap.search_space_history,
        snap.cursor if cursor is None else cursor,
        snap.system_attrs,
        _sorted=_sorted,
    )

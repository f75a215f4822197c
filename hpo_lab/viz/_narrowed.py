"""Which trials a search-space revision really narrowed.

A trial asked under a revision was narrowed only on the parameters where the revision's
constraint applied to the distribution the trial declared; where the objective's declaration
no longer meets the constraint, the trial was sampled from the declaration instead. The rule is
:func:`hpo_lab.search_space.apply_constraint`, the one sampling uses; the plots read it through
:class:`NarrowingLookup` so that they label as narrowed exactly the trials that were.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hpo_lab.search_space._revision import SpaceRevision, apply_constraint

if TYPE_CHECKING:
    from hpo_lab.distributions import Distribution
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["Narrowing", "NarrowingLookup"]


@dataclass(frozen=True)
class Narrowing:
    """How a trial's revision acted on its parameters.

    Attributes:
        revision: The revision the trial was asked under.
        applied: Parameters whose constraint applied (the trial was narrowed on them).
        ignored: Parameters the revision constrains but whose declaration missed the
            constraint (sampled from the declaration).
    """

    revision: int
    applied: tuple[str, ...]
    ignored: tuple[str, ...]

    @property
    def narrowed(self) -> bool:
        """Whether the revision narrowed the trial at all."""
        return bool(self.applied)

    def hover_line(self) -> str:
        """One line for a hover text, e.g. ``narrowed (rev 1): lr``.

        Example:
            >>> Narrowing(1, ("lr",), ("k",)).hover_line()
            'narrowed (rev 1): lr; not applied: k'
        """
        parts = []
        if self.applied:
            parts.append(f"narrowed (rev {self.revision}): {', '.join(self.applied)}")
        if self.ignored:
            text = ", ".join(self.ignored)
            parts.append(
                f"not applied: {text}" if self.applied
                else f"rev {self.revision} narrowing not applied: {text}"
            )
        return "; ".join(parts)


class NarrowingLookup:
    """Finds the :class:`Narrowing` of trials, given the study's revisions.

    Example:
        >>> from hpo_lab.distributions import FloatDistribution
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> rev = SpaceRevision(1, {"x": FloatDistribution(0.2, 0.4)})
        >>> t = FrozenTrial(number=3, state=TrialState.COMPLETE, value=1.0, params={"x": 0.7},
        ...                 distributions={"x": FloatDistribution(0.5, 1.0)}, revision=1)
        >>> NarrowingLookup([SpaceRevision(0), rev]).of(t)
        Narrowing(revision=1, applied=(), ignored=('x',))
    """

    def __init__(self, revisions: Iterable[SpaceRevision]) -> None:
        self._by_number = {r.number: r for r in revisions}
        self._cache: dict[tuple[int, str, Distribution], bool] = {}

    def update(self, revisions: Sequence[SpaceRevision]) -> None:
        """Learn revisions made since (a live figure reads the study's history again)."""
        for r in revisions:
            self._by_number.setdefault(r.number, r)

    def knows(self, number: int) -> bool:
        """Whether revision ``number`` is known."""
        return number in self._by_number

    def revision(self, number: int) -> SpaceRevision | None:
        """Revision ``number``, or ``None`` if unknown."""
        return self._by_number.get(number)

    def _applies(self, revision: SpaceRevision, name: str, declared: Distribution) -> bool:
        key = (revision.number, name, declared)
        hit = self._cache.get(key)
        if hit is None:
            hit = apply_constraint(declared, revision.constraints[name]) is not None
            self._cache[key] = hit
        return hit

    def of(self, trial: FrozenTrial) -> Narrowing | None:
        """The trial's narrowing, or ``None`` when its revision constrains none of its
        parameters (revision 0, an unknown revision, or other parameters only)."""
        revision = self._by_number.get(trial.revision)
        if revision is None or not revision.constraints:
            return None
        applied: list[str] = []
        ignored: list[str] = []
        for name, declared in trial.distributions.items():
            if name not in revision.constraints:
                continue
            (applied if self._applies(revision, name, declared) else ignored).append(name)
        if not applied and not ignored:
            return None
        return Narrowing(revision.number, tuple(sorted(applied)), tuple(sorted(ignored)))

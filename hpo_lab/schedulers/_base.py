"""The scheduler contract: what a run starts next, when a sampler alone does not decide.

Who calls what: a run given ``scheduler=`` (``study.start(objective, scheduler=...)``) asks
:meth:`BaseScheduler.next` whenever a worker is free. The answer is a :class:`Launch` -- the
trial to start: fixed parameter values (or ``None``: the sampler proposes), the trial it
continues (whose checkpoint it loads), and what the scheduler wants recorded about why -- or
``None`` when nothing should start now. After each of the run's trials is told, the run calls
:meth:`BaseScheduler.finished`, which may name older trials whose checkpoints are no longer
needed; the run removes those checkpoints (unless the scheduler keeps them). The run ends when
:meth:`BaseScheduler.done` says so (or its budget, timeout or ``stop()`` ends it first).

A scheduler reads the study only through the :class:`~hpo_lab.views.StudyView` it is given and
keeps everything it needs in what it records with the trials (``Launch.system_attrs``), so a
study resumed from its store continues where it was: a scheduler holds no state of its own
beyond its settings and a seeded random stream. All three methods run on the run's runner
thread.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpo_lab.trial._frozen import FrozenTrial
    from hpo_lab.views._protocol import StudyView

__all__ = ["BaseScheduler", "Launch"]


@dataclass(frozen=True)
class Launch:
    """A trial a scheduler wants started.

    Attributes:
        params: Fixed values its ``suggest_*`` calls return (``None``: the sampler proposes).
        parent: The number of the trial it continues (its checkpoint is what it loads).
        system_attrs: The scheduler's record of why it runs, stored with the trial.

    Example:
        >>> Launch(params={"lr": 0.01}, parent=3).parent
        3
    """

    params: Mapping[str, Any] | None = None
    parent: int | None = None
    system_attrs: Mapping[str, Any] = field(default_factory=dict)


class BaseScheduler(abc.ABC):
    """Abstract scheduler: :meth:`next` and :meth:`done`, plus a no-op :meth:`finished`."""

    #: Keep every checkpoint instead of removing those :meth:`finished` names.
    keep_checkpoints: bool = False

    @abc.abstractmethod
    def next(self, view: StudyView) -> Launch | None:
        """The trial to start now, or ``None`` if nothing should start yet."""

    @abc.abstractmethod
    def done(self, view: StudyView) -> bool:
        """Whether the schedule is complete (no trial will ever be started again)."""

    def finished(self, view: StudyView, trial: FrozenTrial) -> list[int]:
        """Called after ``trial`` (one of the run's) is told; returns the numbers of trials
        whose checkpoints are no longer needed."""
        return []

    def check(self, view: StudyView) -> None:  # noqa: B027 - a hook, no-op by default
        """Called once when a run starts: raise ``ValueError`` if the study cannot be scheduled
        (for example it was scheduled before with other settings)."""

"""The immutable record of a trial."""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from typing import Any

from hpo_lab.distributions import Distribution
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._state import FailReason, TrialState

__all__ = ["FrozenTrial", "TrialOrigin"]


@dataclass(frozen=True)
class TrialOrigin:
    """Where an inherited (warm-start) trial was evaluated: a study name and a trial number."""

    study_name: str
    number: int


@dataclass(frozen=True)
class FrozenTrial:
    """A snapshot of one trial, as stored.

    Stores hand these out and treat them as immutable; a change to a trial produces a new
    ``FrozenTrial``. ``Study.trials`` and ``Study.get_trials()`` return copies (see
    :meth:`copy`), so changing their dictionaries never reaches the stored trial; records
    read through a :class:`~hpo_lab.study.StudyView` are shared and must not be changed.

    Attributes:
        number: Index of the trial in its study, from 0, unique per study.
        state: One of :class:`TrialState`.
        value: The objective value of a COMPLETE trial (else ``None``).
        params: Parameter values as the objective saw them.
        distributions: The distribution each parameter was *declared* with.
        user_attrs: Values set with ``trial.set_user_attr``.
        system_attrs: Values the library records (for example a cell's source hash).
        intermediate_values: ``step -> value`` reported with ``trial.report``.
        datetime_start, datetime_complete: Wall-clock start and end.
        trial_id: The store's id of the trial.
        revision: The search-space revision the trial was asked under.
        fail_reason: Why a FAIL trial failed.
        fail_message: The error message or traceback of a FAIL trial.
        origin: For an inherited (warm-start) trial, the study and number it came from.
        worker: A label of the thread or process that evaluated it.
        decisions: The pruner's recorded answers to ``should_prune()`` (see
            :class:`~hpo_lab.trial.PruneDecision`), oldest first.
        parent_trial_id, parent_number: The trial this one continues (for example from its
            checkpoint, as population-based training does), by store id and by number in
            its study; ``None`` for a trial that starts fresh.
        created_cursor, report_cursors, finished_cursor: The store's change cursor when the
            trial was created, when each step was reported (``step -> cursor``) and when it
            finished. They let :func:`hpo_lab.views.view_as_of` rebuild what a pruner saw at
            any moment, which is how recorded decisions are replayed.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
        >>> study.trials[0].state
        <TrialState.COMPLETE: 'COMPLETE'>
    """

    number: int
    state: TrialState
    value: float | None = None
    params: dict[str, Any] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    intermediate_values: dict[int, float] = field(default_factory=dict)
    datetime_start: datetime.datetime | None = None
    datetime_complete: datetime.datetime | None = None
    trial_id: int = -1
    revision: int = 0
    fail_reason: FailReason | None = None
    fail_message: str | None = None
    origin: TrialOrigin | None = None
    worker: str | None = None
    decisions: tuple[PruneDecision, ...] = ()
    parent_trial_id: int | None = None
    parent_number: int | None = None
    created_cursor: int = 0
    report_cursors: dict[int, int] = field(default_factory=dict)
    finished_cursor: int | None = None

    @property
    def duration(self) -> datetime.timedelta | None:
        """Time from start to completion, or ``None`` while unfinished."""
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def values(self) -> list[float] | None:
        """``[value]`` for a COMPLETE trial, else ``None`` (Optuna's multi-objective spelling;
        hpo_lab studies have one objective).

        Example:
            >>> FrozenTrial(number=0, state=TrialState.COMPLETE, value=0.5).values
            [0.5]
        """
        return None if self.value is None else [self.value]

    @property
    def last_step(self) -> int | None:
        """The largest step reported, or ``None``."""
        return max(self.intermediate_values) if self.intermediate_values else None

    @property
    def is_inherited(self) -> bool:
        """Whether this trial came from a parent study (warm start)."""
        return self.origin is not None

    def copy(self) -> FrozenTrial:
        """A copy whose dictionaries are new, so changing them leaves this record alone.

        Example:
            >>> t = FrozenTrial(number=0, state=TrialState.RUNNING, params={"x": 1})
            >>> c = t.copy()
            >>> c.params["x"] = 2
            >>> t.params
            {'x': 1}
        """
        # Filling __dict__ directly is several times cheaper than dataclasses.replace (which
        # re-runs __init__), and Study.trials copies every record on each call.
        new = object.__new__(type(self))
        fields = new.__dict__
        fields.update(self.__dict__)
        fields["params"] = dict(self.params)
        fields["distributions"] = dict(self.distributions)
        fields["user_attrs"] = dict(self.user_attrs)
        fields["system_attrs"] = dict(self.system_attrs)
        fields["intermediate_values"] = dict(self.intermediate_values)
        fields["report_cursors"] = dict(self.report_cursors)
        return new

    def replace(self, **changes: Any) -> FrozenTrial:
        """A copy with some fields changed.

        Example:
            >>> FrozenTrial(number=0, state=TrialState.RUNNING).replace(number=3).number
            3
        """
        return dataclasses.replace(self, **changes)

"""The study as it stood at an earlier store cursor, rebuilt from the trials' records.

Every trial records the store's change cursor when it was created, when each step was reported
and when it finished (``FrozenTrial.created_cursor``, ``report_cursors``, ``finished_cursor``).
From the final records, :func:`trials_as_of` rebuilds each trial's state, value and reports as
they were at cursor ``c``: what a pruner saw when it decided at ``c``. Pruning decisions are
replayed this way (``hpo_lab.testing.pytest_pruners``), and a live decision is made on the same
rebuilt view, so that replay and live agree by construction.

Parameters and attributes are taken as they are in the final records (pruners decide from
reports and states); a trial popped from the queue after ``c`` shows as RUNNING, not WAITING.
"""

from __future__ import annotations

from collections.abc import Iterable

from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState
from hpo_lab.views._protocol import StudyView
from hpo_lab.views._trials import TrialsView, derived_view

__all__ = ["trial_as_of", "trials_as_of", "view_as_of"]


def trial_as_of(trial: FrozenTrial, cursor: int) -> FrozenTrial | None:
    """``trial`` as it was at store cursor ``cursor``, or ``None`` if it did not exist yet.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> t = FrozenTrial(0, TrialState.COMPLETE, value=2.0, intermediate_values={0: 3.0, 1: 2.0},
        ...                 created_cursor=1, report_cursors={0: 2, 1: 4}, finished_cursor=5)
        >>> earlier = trial_as_of(t, 3)
        >>> earlier.state.value, earlier.intermediate_values, earlier.value
        ('RUNNING', {0: 3.0}, None)
        >>> trial_as_of(t, 0) is None
        True
    """
    if trial.created_cursor > cursor:
        return None
    finished = trial.finished_cursor
    reports = trial.report_cursors
    if (finished is None or finished <= cursor) and all(c <= cursor for c in reports.values()):
        return trial
    values = {
        step: v
        for step, v in trial.intermediate_values.items()
        if reports.get(step, 0) <= cursor
    }
    if finished is not None and finished <= cursor:
        return trial.replace(intermediate_values=values)
    return trial.replace(
        state=TrialState.RUNNING,
        value=None,
        intermediate_values=values,
        datetime_complete=None,
        fail_reason=None,
        fail_message=None,
        finished_cursor=None,
        decisions=tuple(
            d for d in trial.decisions if d.cursor is None or d.cursor < cursor
        ),
    )


def trials_as_of(trials: Iterable[FrozenTrial], cursor: int) -> list[FrozenTrial]:
    """:func:`trial_as_of` for each trial, leaving out those not created yet.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> a = FrozenTrial(0, TrialState.COMPLETE, value=1.0, created_cursor=1, finished_cursor=2)
        >>> b = FrozenTrial(1, TrialState.COMPLETE, value=0.5, created_cursor=3, finished_cursor=4)
        >>> [t.number for t in trials_as_of([a, b], 2)]
        [0]
    """
    out = []
    for t in trials:
        then = trial_as_of(t, cursor)
        if then is not None:
            out.append(then)
    return out


def view_as_of(view: StudyView, cursor: int) -> TrialsView:
    """The study behind ``view`` as it stood at store cursor ``cursor``.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> study.optimize(lambda t: t.suggest_int("k", 0, 9), n_trials=3)
        >>> first = study.trials[0].finished_cursor
        >>> [t.number for t in view_as_of(study.view, first).get_trials()]
        [0]
    """
    snap = view.snapshot()
    own = trials_as_of(snap.get_trials(include_inherited=False), cursor)
    # Inherited trials are finished ones only: those still running at the cursor were not.
    inherited = [
        t
        for t in snap.get_trials()
        if t.origin is not None and (t.finished_cursor or 0) <= cursor
    ]
    return derived_view(snap, own, inherited, cursor=cursor)

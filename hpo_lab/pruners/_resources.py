"""Resources given as ``"auto"``: resolved once from the study, kept with it, reused everywhere.

The rule is a function of the study's records, so every process, every resume and every replay
agrees on it:

* The evidence is the **first trial to finish COMPLETE** with at least one report: the COMPLETE
  trial (own or inherited) with the smallest ``finished_cursor`` (then the smallest number).
  Its last reported step is the resource a full trial takes. Any view that holds a COMPLETE
  trial holds this one (cursors only grow, and a view holds every change up to its cursor).
* From it each pruner derives its value (Hyperband: ``max_resource = last step + 1``;
  successive halving: ``min_resource = max(last step // 100, 1)``, Optuna's heuristics).
* The first decision that needs the value returns it in its details, and the pruner's
  :meth:`~hpo_lab.pruners.BasePruner.study_attrs` hands it to the study, which stores
  ``{"value", "cursor", "trial", "study"}`` under the key (``"pruner:max_resource"``...) with
  ``cursor`` the evidence's ``finished_cursor``. Later decisions read the stored entry.
* A decision uses the stored entry when its cursor is at or before the view's cursor, and
  otherwise derives the value itself; both give the same value exactly when the evidence is in
  the view. So a replay at any cursor -- before the value was stored, or after -- decides as the
  live pruner did, and a stored entry written by another process (or an older version) wins
  from the moment its evidence exists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.views._protocol import StudyView

__all__ = ["MAX_RESOURCE_KEY", "MIN_RESOURCE_KEY", "first_complete", "resolve_resource"]

MIN_RESOURCE_KEY = "pruner:min_resource"
MAX_RESOURCE_KEY = "pruner:max_resource"


def first_complete(view: StudyView) -> FrozenTrial | None:
    """The first trial of ``view`` to finish COMPLETE with a report (own or inherited), or
    ``None``.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> def objective(trial):
        ...     for step in range(1, 4 + trial.number):
        ...         trial.report(1.0 / step, step)
        ...     return 0.0
        >>> study.optimize(objective, n_trials=3)
        >>> first_complete(study.view).last_step
        3
    """
    best: tuple[int, int, int] | None = None
    found: FrozenTrial | None = None
    for t in view.get_trials(states=(TrialState.COMPLETE,)):
        if not t.intermediate_values:
            continue
        key = (t.finished_cursor or 0, 0 if t.origin is None else 1, t.number)
        if best is None or key < best:
            best, found = key, t
    return found


def resolve_resource(
    view: StudyView, key: str, derive: Callable[[int], int]
) -> tuple[int, dict[str, Any]] | None:
    """The resource stored under ``key`` or derived from :func:`first_complete` with
    ``derive(last_step)``, with the entry that records it; ``None`` while no trial has
    completed. See the module docstring for why this is replayable.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> from hpo_lab.views import TrialsView
        >>> done = FrozenTrial(0, TrialState.COMPLETE, value=0.1,
        ...                    intermediate_values={1: 0.5, 9: 0.1}, finished_cursor=12)
        >>> view = TrialsView("s", "minimize", [done], cursor=12)
        >>> resolve_resource(view, "pruner:max_resource", lambda last: last + 1)
        (10, {'value': 10, 'cursor': 12, 'trial': 0, 'study': 's'})
        >>> stored = {"pruner:max_resource": {"value": 30, "cursor": 5}}
        >>> resolve_resource(TrialsView("s", "minimize", [], cursor=7, system_attrs=stored),
        ...                  "pruner:max_resource", lambda last: last + 1)[0]
        30
    """
    stored = view.system_attrs.get(key)
    if isinstance(stored, Mapping):
        value, cursor = stored.get("value"), stored.get("cursor")
        if isinstance(value, int) and isinstance(cursor, int) and cursor <= view.cursor:
            return value, dict(stored)
    evidence = first_complete(view)
    if evidence is None or evidence.last_step is None:
        return None
    value = int(derive(evidence.last_step))
    entry: dict[str, Any] = {
        "value": value,
        "cursor": int(evidence.finished_cursor or 0),
        "trial": evidence.number if evidence.origin is None else evidence.origin.number,
        "study": view.study_name if evidence.origin is None else evidence.origin.study_name,
    }
    return value, entry

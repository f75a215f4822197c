"""Trials as a pandas DataFrame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hpo_lab.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["trials_to_dataframe"]

_BASE_COLUMNS = [
    "number",
    "value",
    "state",
    "datetime_start",
    "datetime_complete",
    "duration",
    "revision",
    "fail_reason",
]


def _row(t: FrozenTrial) -> dict[str, Any]:
    row: dict[str, Any] = {
        "number": t.number,
        "value": t.value,
        "state": t.state.value,
        "datetime_start": t.datetime_start,
        "datetime_complete": t.datetime_complete,
        "duration": t.duration,
        "revision": t.revision,
        "fail_reason": t.fail_reason.value if t.fail_reason is not None else None,
    }
    for k, v in t.params.items():
        row[f"params_{k}"] = v
    for k, v in t.user_attrs.items():
        row[f"user_attrs_{k}"] = v
    return row


def trials_to_dataframe(
    trials: Sequence[FrozenTrial], inherited: Sequence[FrozenTrial] | None = None
) -> pd.DataFrame:
    """Build the table of :meth:`Study.trials_dataframe`.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> trials_to_dataframe([FrozenTrial(number=0, state=TrialState.RUNNING)]).shape[0]
        1
    """
    import pandas as pd

    rows = [_row(t) for t in trials]
    if inherited is not None:
        for r in rows:
            r["inherited"] = False
            r["origin_study"] = None
            r["origin_number"] = None
        for t in inherited:
            r = _row(t)
            r["inherited"] = True
            r["origin_study"] = t.origin.study_name if t.origin else None
            r["origin_number"] = t.origin.number if t.origin else None
            rows.append(r)
    columns = list(_BASE_COLUMNS)
    extra = sorted({k for r in rows for k in r if k.startswith("params_")})
    extra += sorted({k for r in rows for k in r if k.startswith("user_attrs_")})
    columns += extra
    if inherited is not None:
        columns += ["inherited", "origin_study", "origin_number"]
    df = pd.DataFrame(rows, columns=columns)
    if not rows:
        return df
    return df

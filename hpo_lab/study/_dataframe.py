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


#: The ``attrs`` that :meth:`Study.trials_dataframe` understands: Optuna's names plus ours.
ATTRS = (
    "number",
    "value",
    "state",
    "datetime_start",
    "datetime_complete",
    "duration",
    "revision",
    "fail_reason",
    "params",
    "user_attrs",
    "system_attrs",
)
_DEFAULT_ATTRS = tuple(a for a in ATTRS if a != "system_attrs")


def _row(t: FrozenTrial, system_attrs: bool) -> dict[str, Any]:
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
    if system_attrs:
        for k, v in t.system_attrs.items():
            row[f"system_attrs_{k}"] = v
    return row


def trials_to_dataframe(
    trials: Sequence[FrozenTrial],
    inherited: Sequence[FrozenTrial] | None = None,
    attrs: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Build the table of :meth:`Study.trials_dataframe`.

    ``attrs`` picks columns as Optuna does (``"params"`` means every ``params_*`` column);
    ``None`` gives all but ``system_attrs``. Inherited rows keep the number they had in their
    own study; ``origin_number`` (nullable ``Int64``) repeats it, empty for own trials.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> trials_to_dataframe([FrozenTrial(number=0, state=TrialState.RUNNING)]).shape[0]
        1
        >>> list(trials_to_dataframe([], attrs=("number", "state")).columns)
        ['number', 'state']
    """
    import pandas as pd

    if attrs is None:
        wanted = _DEFAULT_ATTRS
    else:
        if isinstance(attrs, str):
            raise ValueError(f"attrs must be a tuple of column groups, but got attrs={attrs!r}")
        unknown = [a for a in attrs if a not in ATTRS]
        if unknown:
            raise ValueError(
                f"attrs holds unknown column group(s) {unknown!r}; known: {list(ATTRS)!r}"
            )
        wanted = tuple(attrs)
    rows = [_row(t, "system_attrs" in wanted) for t in trials]
    if inherited is not None:
        for r in rows:
            r["inherited"] = False
            r["origin_study"] = None
            r["origin_number"] = None
        for t in inherited:
            r = _row(t, "system_attrs" in wanted)
            r["inherited"] = True
            r["origin_study"] = t.origin.study_name if t.origin else None
            r["origin_number"] = t.origin.number if t.origin else None
            rows.append(r)
    columns: list[str] = []
    for a in ATTRS:
        if a not in wanted:
            continue
        if a in ("params", "user_attrs", "system_attrs"):
            columns += sorted({k for r in rows for k in r if k.startswith(f"{a}_")})
        else:
            columns.append(a)
    if inherited is not None:
        columns += ["inherited", "origin_study", "origin_number"]
    df = pd.DataFrame(rows, columns=columns)
    if inherited is not None:
        df["origin_number"] = df["origin_number"].astype("Int64")
    return df

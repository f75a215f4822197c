"""``optuna.trial`` on hpo_lab: trials, their states, and finished trials built by hand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hpo_lab.distributions import Distribution
from hpo_lab.trial import FrozenTrial, Trial, TrialState
from hpo_lab.trial import create_trial as _create_trial

__all__ = ["BaseTrial", "FrozenTrial", "Trial", "TrialState", "create_trial"]

#: What an objective receives (Optuna's ``BaseTrial`` is the common base of its trials).
BaseTrial = Trial


def create_trial(
    *,
    state: TrialState | str = TrialState.COMPLETE,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: Mapping[str, Any] | None = None,
    distributions: Mapping[str, Distribution] | None = None,
    user_attrs: Mapping[str, Any] | None = None,
    system_attrs: Mapping[str, Any] | None = None,
    intermediate_values: Mapping[int, float] | None = None,
) -> FrozenTrial:
    """Optuna's ``create_trial``: :func:`hpo_lab.create_trial` that also takes ``values=[v]``.

    Example:
        >>> create_trial(values=[0.5]).value
        0.5
        >>> create_trial(values=[0.5, 1.0])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: values must hold one value (...), but got [0.5, 1.0]
    """
    if values is not None:
        if value is not None:
            raise ValueError("give value or values, not both")
        if len(values) != 1:
            raise ValueError(
                "values must hold one value (multi-objective optimisation is not supported "
                f"yet), but got {list(values)!r}"
            )
        value = values[0]
    return _create_trial(
        state=state,
        value=value,
        params=params,
        distributions=distributions,
        user_attrs=user_attrs,
        system_attrs=system_attrs,
        intermediate_values=intermediate_values,
    )

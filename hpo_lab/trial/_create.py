"""Build a finished trial by hand, to add to a study (Optuna's ``create_trial``)."""

from __future__ import annotations

import datetime
import math
import numbers
from collections.abc import Mapping
from typing import Any

from hpo_lab.distributions import Distribution
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import FailReason, TrialState

__all__ = ["create_trial"]


def _check_state(state: Any) -> TrialState:
    try:
        state = TrialState(state)
    except ValueError:
        raise ValueError(
            f"state must be COMPLETE, PRUNED or FAIL, but got state={state!r}"
        ) from None
    if not state.is_finished():
        raise ValueError(
            f"only finished trials can be added (COMPLETE, PRUNED or FAIL), but got state={state}"
        )
    return state


def _check_value(state: TrialState, value: Any) -> float | None:
    if state != TrialState.COMPLETE:
        if value is not None:
            raise ValueError(f"a {state} trial has no value, but got value={value!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"a COMPLETE trial needs a finite number as value, but got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"a COMPLETE trial needs a finite number as value, but got {v}")
    return v


def create_trial(
    *,
    state: TrialState | str = TrialState.COMPLETE,
    value: float | None = None,
    params: Mapping[str, Any] | None = None,
    distributions: Mapping[str, Distribution] | None = None,
    user_attrs: Mapping[str, Any] | None = None,
    system_attrs: Mapping[str, Any] | None = None,
    intermediate_values: Mapping[int, float] | None = None,
    datetime_start: datetime.datetime | None = None,
    datetime_complete: datetime.datetime | None = None,
    fail_reason: FailReason | str | None = None,
    fail_message: str | None = None,
) -> FrozenTrial:
    """A finished trial evaluated elsewhere, checked, ready for :meth:`Study.add_trial`.

    Every parameter needs its distribution, and its value must lie in it. The number and
    store id are given by the study the trial is added to. Times default to now.

    Example:
        >>> from hpo_lab.distributions import FloatDistribution
        >>> t = create_trial(value=0.3, params={"x": 0.5},
        ...                  distributions={"x": FloatDistribution(0, 1)})
        >>> t.state.value, t.value
        ('COMPLETE', 0.3)
    """
    state = _check_state(state)
    v = _check_value(state, value)
    params = dict(params or {})
    dists = dict(distributions or {})
    if set(params) != set(dists):
        missing = sorted(set(params) ^ set(dists))
        raise ValueError(
            "params and distributions must name the same parameters, but they differ in "
            f"{missing}"
        )
    for name, d in dists.items():
        if not d.contains(params[name]):
            raise ValueError(f"parameter {name!r}: {params[name]!r} lies outside {d!r}")
    iv: dict[int, float] = {}
    for step, x in (intermediate_values or {}).items():
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
            raise ValueError(f"intermediate value steps must be ints >= 0, but got {step!r}")
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise ValueError(f"intermediate value at step {step} must be a number, but got {x!r}")
        iv[int(step)] = float(x)
    reason: FailReason | None = None
    if state == TrialState.FAIL:
        reason = FailReason(fail_reason) if fail_reason is not None else FailReason.EXCEPTION
    elif fail_reason is not None:
        raise ValueError(f"only a FAIL trial has a fail_reason, but state={state}")
    now = datetime.datetime.now()
    start = datetime_start or datetime_complete or now
    end = datetime_complete or now
    if end < start:
        raise ValueError(
            f"datetime_complete ({end}) must not be before datetime_start ({start})"
        )
    return FrozenTrial(
        number=-1,
        state=state,
        value=v,
        params=params,
        distributions=dists,
        user_attrs=dict(user_attrs or {}),
        system_attrs=dict(system_attrs or {}),
        intermediate_values=iv,
        datetime_start=start,
        datetime_complete=end,
        fail_reason=reason,
        fail_message=fail_message,
    )

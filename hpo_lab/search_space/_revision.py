"""Versioned search spaces: each narrowing creates a new revision.

A revision's constraint on a parameter *applies* to a declaration of that parameter when the
two share at least one value (:func:`apply_constraint`); the trial is then sampled from their
intersection. When the objective's declaration no longer meets the constraint (an edited
notebook cell declares ``x`` in ``[0.5, 1]`` after ``narrow(x=(0.2, 0.4))``), the declaration
wins so that the trial can run, and a warning on the ``hpo_lab`` logger says so, once per
parameter, revision and declaration. The plots use the same rule to tell which trials were
really narrowed (:meth:`SpaceRevision.applied_to`).
"""

from __future__ import annotations

import datetime
import logging
import math
import numbers
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hpo_lab.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
    _choice_key,
    _show,
    dict_to_distribution,
    narrow_distribution,
)

__all__ = [
    "SpaceRevision",
    "apply_constraint",
    "build_constraint",
    "constraints_from_json",
    "constraints_to_json",
    "describe_range",
]

_logger = logging.getLogger("hpo_lab")
_warned_lock = threading.Lock()


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def describe_range(dist: Distribution) -> str:
    """A short text of a distribution's values, for messages and plot labels.

    Example:
        >>> describe_range(FloatDistribution(1e-4, 1e-2, log=True))
        '[0.0001, 0.01] (log)'
        >>> describe_range(IntDistribution(0, 20, step=2))
        '[0, 20] step 2'
        >>> describe_range(CategoricalDistribution(["adam", None]))
        "{'adam', None}"
    """
    if isinstance(dist, CategoricalDistribution):
        return "{" + ", ".join(repr(c) for c in dist.choices) + "}"
    text = f"[{dist.low!r}, {dist.high!r}]"
    if dist.log:
        text += " (log)"
    if dist.step is not None and dist.step != 1:
        text += f" step {dist.step!r}"
    return text


def apply_constraint(
    declared: Distribution, constraint: Distribution | None
) -> Distribution | None:
    """The rule for whether a narrowing applies: ``declared`` narrowed by ``constraint``, or
    ``None`` when the constraint cannot apply to it.

    A constraint applies when it is of the same kind as the declaration (numeric or
    categorical) and at least one declared value (on its step grid) lies inside it. Sampling
    (:meth:`SpaceRevision.effective`) and the plots (:meth:`SpaceRevision.applied_to`) both
    decide with this function.

    Example:
        >>> apply_constraint(FloatDistribution(0.0, 1.0), FloatDistribution(0.2, 0.4))
        FloatDistribution(low=0.2, high=0.4, log=False, step=None)
        >>> apply_constraint(FloatDistribution(0.5, 1.0), FloatDistribution(0.2, 0.4)) is None
        True
    """
    if constraint is None:
        return None
    try:
        return narrow_distribution(declared, constraint)
    except ValueError:
        return None


@dataclass(frozen=True)
class SpaceRevision:
    """One version of a study's search space.

    ``constraints`` maps parameter names to the narrowed distribution that applies to trials
    asked under this revision; parameters not named keep their declared distribution. Revision
    0 has no constraints.

    Example:
        >>> from hpo_lab.distributions import FloatDistribution
        >>> r = SpaceRevision(1, {"x": FloatDistribution(0.2, 0.4)})
        >>> r.effective("x", FloatDistribution(0.0, 1.0))
        FloatDistribution(low=0.2, high=0.4, log=False, step=None)
    """

    number: int
    constraints: dict[str, Distribution] = field(default_factory=dict)
    datetime_created: datetime.datetime | None = None
    # (name, declared) pairs already warned about: once each per revision object.
    _warned: set[tuple[str, Distribution]] = field(
        default_factory=set, init=False, repr=False, compare=False
    )

    def effective(self, name: str, declared: Distribution) -> Distribution:
        """The distribution a parameter is sampled from under this revision.

        When the declaration no longer meets the constraint, the declaration is used (the
        trial can still run) and a warning is logged once per parameter and declaration.

        Example:
            >>> r = SpaceRevision(1, {"k": IntDistribution(4, 8)})
            >>> r.effective("k", IntDistribution(0, 20, step=2))
            IntDistribution(low=4, high=8, log=False, step=2)
        """
        constraint = self.constraints.get(name)
        if constraint is None:
            return declared
        narrowed = apply_constraint(declared, constraint)
        if narrowed is not None:
            return narrowed
        key = (name, declared)
        with _warned_lock:
            first = key not in self._warned
            self._warned.add(key)
        if first:
            _logger.warning(
                "narrowing of %r to %s (search-space revision %d) does not apply: the objective "
                "now declares %r as %s, which has no value inside it, so %r is sampled from "
                "the declaration; narrow %r again to match it",
                name,
                describe_range(constraint),
                self.number,
                name,
                describe_range(declared),
                name,
                name,
            )
        return declared

    def applied_to(self, distributions: Mapping[str, Distribution]) -> dict[str, bool]:
        """For each parameter in ``distributions`` (a trial's declared distributions) that this
        revision constrains: whether the constraint applied to it.

        A trial was narrowed by the revision when any value is ``True``.

        Example:
            >>> r = SpaceRevision(1, {"x": FloatDistribution(0.2, 0.4)})
            >>> r.applied_to({"x": FloatDistribution(0.0, 1.0), "y": FloatDistribution(0, 1)})
            {'x': True}
            >>> r.applied_to({"x": FloatDistribution(0.5, 1.0)})
            {'x': False}
        """
        return {
            name: apply_constraint(d, self.constraints[name]) is not None
            for name, d in distributions.items()
            if name in self.constraints
        }

    def admits(self, params: Mapping[str, Any]) -> bool:
        """Whether every constrained parameter in ``params`` lies inside its constraint.

        Example:
            >>> SpaceRevision(1, {"x": FloatDistribution(0.2, 0.4)}).admits({"x": 0.9})
            False
        """
        for name, value in params.items():
            constraint = self.constraints.get(name)
            if constraint is None or constraint.contains(value):
                continue
            if isinstance(constraint, CategoricalDistribution) or not _is_number(value):
                return False
            # A narrowed step grid keeps points within float noise of a bound (0.1 * 3 for a
            # bound of 0.3); those were sampled under this revision and must count as inside.
            tol = 1e-8 * max(1.0, abs(constraint.low), abs(constraint.high))
            if not constraint.low - tol <= float(value) <= constraint.high + tol:
                return False
        return True


def _numeric_bound(name: str, label: str, bound: Any, default: float) -> float:
    if bound is None:
        return float(default)
    if isinstance(bound, bool) or not isinstance(bound, numbers.Real):
        raise ValueError(
            f"narrowing {name!r}: {label} must be a number (or None to keep the declared "
            f"{label}), but got {label}={_show(bound)}"
        )
    try:
        value = float(bound)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(
            f"narrowing {name!r}: {label} must be a finite number, but got {label}={_show(bound)}"
        )
    return value


def _build_categorical(name: str, declared: CategoricalDistribution, spec: Any) -> Distribution:
    if isinstance(spec, (str, bytes)) or not isinstance(spec, (list, tuple, set, frozenset)):
        raise ValueError(
            f"narrowing categorical parameter {name!r} takes a list of choices, "
            f"but got {_show(spec)}"
        )
    if not spec:
        raise ValueError(
            f"narrowing {name!r} must keep at least one choice, but got {_show(spec)}; its "
            f"declared choices are {list(declared.choices)!r}"
        )
    unknown = [c for c in spec if not declared.contains(c)]
    if unknown:
        raise ValueError(
            f"cannot narrow {name!r} to {_show(list(spec))}: {_show(unknown)} not among the "
            f"declared choices {list(declared.choices)!r}"
        )
    # Compared with their types: narrowing to [1] must not keep the choice True.
    wanted = {_choice_key(c) for c in spec}
    return CategoricalDistribution(tuple(c for c in declared.choices if _choice_key(c) in wanted))


def build_constraint(name: str, declared: Distribution, spec: Any) -> Distribution:
    """Turn a user's narrowing spec into a constraint distribution, checked against ``declared``.

    ``spec`` is ``(low, high)`` for numeric parameters (``None`` keeps that bound), a list of
    choices for categorical ones, or a distribution. Every error names the parameter, the
    value and the rule: bounds that are not finite numbers, ``low > high``, bounds outside
    the declared range, a range with no value of the declared step grid, an empty list of
    choices or choices not declared. Widening back up to the declared range is allowed.

    Example:
        >>> build_constraint("k", IntDistribution(0, 20, step=2), (3, 9))
        IntDistribution(low=4, high=8, log=False, step=1)
        >>> build_constraint("x", FloatDistribution(0, 1), (float("nan"), 0.5))
        Traceback (most recent call last):
        ValueError: narrowing 'x': low must be a finite number, but got low=nan
    """
    if isinstance(spec, (FloatDistribution, IntDistribution, CategoricalDistribution)):
        if isinstance(spec, CategoricalDistribution):
            spec = list(spec.choices)
        else:
            spec = (spec.low, spec.high)
    if isinstance(declared, CategoricalDistribution):
        return _build_categorical(name, declared, spec)
    if not isinstance(spec, (tuple, list)) or len(spec) != 2:
        raise ValueError(
            f"narrowing numeric parameter {name!r} takes a (low, high) pair, "
            f"but got {_show(spec)}"
        )
    low, high = spec
    low_f = _numeric_bound(name, "low", low, declared.low)
    high_f = _numeric_bound(name, "high", high, declared.high)
    shown_low = _show(declared.low if low is None else low)
    shown_high = _show(declared.high if high is None else high)
    if low_f > high_f:
        raise ValueError(
            f"narrowing {name!r}: low must be <= high, but got low={shown_low}, high={shown_high}"
        )
    tol = 1e-12 * max(1.0, abs(declared.low), abs(declared.high))
    outside = []
    if low_f < declared.low - tol:
        outside.append(f"low={shown_low} < {declared.low!r}")
    if high_f > declared.high + tol:
        outside.append(f"high={shown_high} > {declared.high!r}")
    if outside:
        raise ValueError(
            f"cannot narrow {name!r} to [{shown_low}, {shown_high}]: outside its declared range "
            f"{describe_range(declared)} ({', '.join(outside)})"
        )
    # Both ends clipped into the declared range (a bound within the tolerance outside it may
    # lie beyond the other end of a zero-width range; clipping keeps low <= high).
    lo, hi = float(declared.low), float(declared.high)
    low_f, high_f = min(max(low_f, lo), hi), max(min(high_f, hi), lo)
    narrowed = apply_constraint(declared, FloatDistribution(low_f, high_f))
    if narrowed is None:
        raise ValueError(
            f"narrowing {name!r} to [{shown_low}, {shown_high}] leaves no value: no value of "
            f"its declared {describe_range(declared)} lies in that range"
        )
    if isinstance(declared, IntDistribution):
        assert isinstance(narrowed, IntDistribution)
        return IntDistribution(narrowed.low, narrowed.high)
    return FloatDistribution(low_f, high_f)


def constraints_to_json(constraints: Mapping[str, Distribution]) -> dict[str, Any]:
    """A JSON-ready form of a revision's constraints.

    Example:
        >>> constraints_to_json({"k": IntDistribution(1, 3)})
        {'k': {'type': 'int', 'low': 1, 'high': 3, 'log': False, 'step': 1}}
    """
    return {name: d.to_dict() for name, d in constraints.items()}


def constraints_from_json(data: Mapping[str, Any]) -> dict[str, Distribution]:
    """Inverse of :func:`constraints_to_json`.

    Example:
        >>> constraints_from_json(constraints_to_json({"k": IntDistribution(1, 3)}))
        {'k': IntDistribution(low=1, high=3, log=False, step=1)}
    """
    return {name: dict_to_distribution(d) for name, d in data.items()}

"""Versioned search spaces: each narrowing creates a new revision."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hpo_lab.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
    _choice_key,
    dict_to_distribution,
    narrow_distribution,
)

__all__ = ["SpaceRevision", "build_constraint", "constraints_from_json", "constraints_to_json"]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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

    def effective(self, name: str, declared: Distribution) -> Distribution:
        """The distribution a parameter is sampled from under this revision."""
        constraint = self.constraints.get(name)
        if constraint is None:
            return declared
        try:
            return narrow_distribution(declared, constraint)
        except ValueError:
            # The objective now declares a range that misses the narrowed one entirely: the
            # declaration in the code wins, so the trial can still run.
            return declared

    def admits(self, params: Mapping[str, Any]) -> bool:
        """Whether every constrained parameter in ``params`` lies inside its constraint."""
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


def build_constraint(name: str, declared: Distribution, spec: Any) -> Distribution:
    """Turn a user's narrowing spec into a constraint distribution, checked against ``declared``.

    ``spec`` is ``(low, high)`` for numeric parameters, a list of choices for categorical ones,
    or a distribution. Bounds outside the declared range, or choices not declared, raise
    ``ValueError``; widening back up to the declared range is allowed.
    """
    if isinstance(spec, (FloatDistribution, IntDistribution, CategoricalDistribution)):
        if isinstance(spec, CategoricalDistribution):
            spec = list(spec.choices)
        else:
            spec = (spec.low, spec.high)
    if isinstance(declared, CategoricalDistribution):
        if isinstance(spec, (str, bytes)) or not isinstance(spec, (list, tuple, set, frozenset)):
            raise ValueError(
                f"narrowing categorical parameter {name!r} takes a list of choices, "
                f"but got {spec!r}"
            )
        unknown = [c for c in spec if not declared.contains(c)]
        if unknown:
            raise ValueError(
                f"cannot narrow {name!r} to {list(spec)!r}: {unknown!r} not among the declared "
                f"choices {list(declared.choices)!r}"
            )
        if not spec:
            raise ValueError(f"narrowing {name!r} must keep at least one choice")
        # Compared with their types: narrowing to [1] must not keep the choice True.
        wanted = {_choice_key(c) for c in spec}
        return CategoricalDistribution(
            tuple(c for c in declared.choices if _choice_key(c) in wanted)
        )
    if not isinstance(spec, (tuple, list)) or len(spec) != 2:
        raise ValueError(
            f"narrowing numeric parameter {name!r} takes a (low, high) pair, but got {spec!r}"
        )
    low, high = spec
    if low is None:
        low = declared.low
    if high is None:
        high = declared.high
    try:
        low_f, high_f = float(low), float(high)
    except (TypeError, ValueError):
        raise ValueError(f"narrowing {name!r}: bounds must be numbers, but got {spec!r}") from None
    if low_f > high_f:
        raise ValueError(f"narrowing {name!r}: low must be <= high, but got low={low}, high={high}")
    tol = 1e-12 * max(1.0, abs(declared.low), abs(declared.high))
    if low_f < declared.low - tol or high_f > declared.high + tol:
        raise ValueError(
            f"cannot narrow {name!r} to [{low}, {high}]: outside its declared range "
            f"[{declared.low}, {declared.high}]"
        )
    low_f, high_f = max(low_f, float(declared.low)), min(high_f, float(declared.high))
    if isinstance(declared, IntDistribution):
        constraint: Distribution = FloatDistribution(low_f, high_f)
        narrowed = narrow_distribution(declared, constraint)
        assert isinstance(narrowed, IntDistribution)
        return IntDistribution(narrowed.low, narrowed.high)
    constraint = FloatDistribution(low_f, high_f)
    narrow_distribution(declared, constraint)  # raises if no value of the grid is left
    return constraint


def constraints_to_json(constraints: Mapping[str, Distribution]) -> dict[str, Any]:
    """A JSON-ready form of a revision's constraints."""
    return {name: d.to_dict() for name, d in constraints.items()}


def constraints_from_json(data: Mapping[str, Any]) -> dict[str, Distribution]:
    """Inverse of :func:`constraints_to_json`."""
    return {name: dict_to_distribution(d) for name, d in data.items()}

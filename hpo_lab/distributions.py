"""Parameter distributions: the building blocks of a search space.

Three kinds exist, with Optuna-compatible names and arguments:

* :class:`FloatDistribution` -- a real interval, optionally log-scaled or discretised by ``step``;
* :class:`IntDistribution` -- an integer interval, optionally log-scaled or strided by ``step``;
* :class:`CategoricalDistribution` -- a finite tuple of ``None``/bool/int/float/str choices.

Every distribution is immutable, validated on construction (bad input raises ``ValueError``
naming the value and the rule), round-trips exactly through JSON, and maps each value to an
*internal* float used by samplers: floats and ints map to themselves, a categorical choice to
its index.

Example:
    >>> from hpo_lab.distributions import (
    ...     FloatDistribution, distribution_to_json, json_to_distribution)
    >>> d = FloatDistribution(1e-5, 1e-1, log=True)
    >>> json_to_distribution(distribution_to_json(d)) == d
    True
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BaseDistribution",
    "CategoricalChoice",
    "CategoricalDistribution",
    "Distribution",
    "FloatDistribution",
    "IntDistribution",
    "check_compatible",
    "distribution_to_json",
    "json_to_distribution",
]

CategoricalChoice = None | bool | int | float | str

# Float comparisons on step grids tolerate this relative error, so that ``0.1 * 3`` counts as
# lying on a grid of step 0.1 starting at 0.
_GRID_RTOL = 1e-8


def _grid_tol(low: float, high: float, step: float) -> float:
    """Tolerance, in steps, of "lies on the grid ``low + k * step``".

    Besides ``_GRID_RTOL`` it allows for the rounding error of ``high - low`` itself, a few ulps
    of the bounds, which is many steps' worth of noise when the bounds are large next to step.
    """
    return _GRID_RTOL + 8 * 2.0**-52 * max(abs(low), abs(high)) / step


def _is_real(value: Any) -> bool:
    # bool is an int subclass, but True as a bound is nearly always a mistake.
    if isinstance(value, bool):
        return False
    try:
        import numbers

        return isinstance(value, numbers.Real)
    except Exception:  # pragma: no cover - numbers is stdlib
        return False


class BaseDistribution:
    """Common interface of all distributions.

    Subclasses are frozen dataclasses; instances are hashable and compare by value.
    """

    def to_internal(self, external: Any) -> float:
        """Map a user-facing value to the sampler's float representation."""
        raise NotImplementedError

    def to_external(self, internal: float) -> Any:
        """Map the float representation back to the user-facing value."""
        raise NotImplementedError

    def contains(self, external: Any) -> bool:
        """Whether ``external`` is a value this distribution can produce."""
        raise NotImplementedError

    def single(self) -> bool:
        """Whether the distribution has exactly one value."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description; see :func:`distribution_to_json`."""
        raise NotImplementedError


@dataclass(frozen=True)
class FloatDistribution(BaseDistribution):
    """A real interval ``[low, high]``.

    Args:
        low: Lower bound, inclusive.
        high: Upper bound, inclusive.
        log: Sample uniformly in log space; requires ``low > 0`` and no ``step``.
        step: Discretisation step: values are ``low + k * step``.

    Example:
        >>> FloatDistribution(0.0, 1.0, step=0.25).contains(0.75)
        True
    """

    low: float
    high: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        for label, bound in (("low", self.low), ("high", self.high)):
            if not _is_real(bound) or not math.isfinite(float(bound)):
                raise ValueError(f"{label} must be a finite real number, but got {label}={bound!r}")
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))
        if self.low > self.high:
            raise ValueError(f"low must be <= high, but got low={self.low}, high={self.high}")
        if not isinstance(self.log, bool):
            raise ValueError(f"log must be a bool, but got log={self.log!r}")
        if self.log and self.step is not None:
            raise ValueError(
                f"log and step cannot be used together, but got log=True, step={self.step}"
            )
        if self.log and self.low <= 0.0:
            raise ValueError(f"log=True requires low > 0, but got low={self.low}")
        if self.step is not None:
            if not _is_real(self.step) or not math.isfinite(float(self.step)):
                raise ValueError(f"step must be a finite real number, but got step={self.step!r}")
            object.__setattr__(self, "step", float(self.step))
            if self.step <= 0:
                raise ValueError(f"step must be > 0, but got step={self.step}")
            # The grid ends at the last multiple of step that fits, as Optuna does.
            tol = _grid_tol(self.low, self.high, self.step)
            n = math.floor((self.high - self.low) / self.step + tol)
            # low + n * step can overshoot high by an ulp (0.1 + 3 * 0.2 > 0.7); high itself is
            # then the last grid value.
            object.__setattr__(self, "high", min(self.high, self.low + n * self.step))

    def to_internal(self, external: Any) -> float:
        return float(external)

    def to_external(self, internal: float) -> float:
        return float(internal)

    def contains(self, external: Any) -> bool:
        if not _is_real(external):
            return False
        v = float(external)
        if not (math.isfinite(v) and self.low <= v <= self.high):
            return False
        if self.step is not None:
            k = (v - self.low) / self.step
            return abs(k - round(k)) <= max(1e-6, _grid_tol(self.low, self.high, self.step))
        return True

    def single(self) -> bool:
        return self.low == self.high

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "float", "low": self.low, "high": self.high, "log": self.log, "step": self.step
        }


@dataclass(frozen=True)
class IntDistribution(BaseDistribution):
    """An integer interval ``[low, high]``.

    Args:
        low: Lower bound, inclusive.
        high: Upper bound, inclusive (lowered to the last value on the step grid).
        log: Sample uniformly in log space; requires ``low >= 1`` and ``step == 1``.
        step: Stride: values are ``low + k * step``.

    Example:
        >>> IntDistribution(1, 10, step=3).high
        10
    """

    low: int
    high: int
    log: bool = False
    step: int = 1

    def __post_init__(self) -> None:
        for label, bound in (("low", self.low), ("high", self.high), ("step", self.step)):
            if (
                isinstance(bound, bool)
                or not _is_real(bound)
                or not math.isfinite(float(bound))
                or float(bound) != int(bound)
            ):
                raise ValueError(f"{label} must be an integer, but got {label}={bound!r}")
        object.__setattr__(self, "low", int(self.low))
        object.__setattr__(self, "high", int(self.high))
        object.__setattr__(self, "step", int(self.step))
        if self.low > self.high:
            raise ValueError(f"low must be <= high, but got low={self.low}, high={self.high}")
        if not isinstance(self.log, bool):
            raise ValueError(f"log must be a bool, but got log={self.log!r}")
        if self.step <= 0:
            raise ValueError(f"step must be > 0, but got step={self.step}")
        if self.log and self.step != 1:
            raise ValueError(
                f"log and step cannot be used together, but got log=True, step={self.step}"
            )
        if self.log and self.low < 1:
            raise ValueError(f"log=True requires low >= 1, but got low={self.low}")
        n = (self.high - self.low) // self.step
        object.__setattr__(self, "high", self.low + n * self.step)

    def to_internal(self, external: Any) -> float:
        return float(external)

    def to_external(self, internal: float) -> int:
        # int() as well: round() of a numpy float is a numpy float.
        return int(round(internal))  # noqa: RUF046

    def contains(self, external: Any) -> bool:
        if not _is_real(external):
            return False
        v = float(external)
        if not math.isfinite(v) or v != round(v):
            return False
        iv = int(v)
        return self.low <= iv <= self.high and (iv - self.low) % self.step == 0

    def single(self) -> bool:
        return self.low == self.high

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "int", "low": self.low, "high": self.high, "log": self.log, "step": self.step
        }


def _choice_key(choice: Any) -> tuple[str, Any]:
    # True == 1 and 1 == 1.0 in Python; as choices they are different values.
    return (type(choice).__name__, choice)


def _python_scalar(value: Any) -> Any:
    # Checked by module name so that this module need not import numpy.
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


@dataclass(frozen=True)
class CategoricalDistribution(BaseDistribution):
    """A finite set of choices; the internal value of a choice is its index.

    Args:
        choices: A non-empty sequence of distinct ``None``/bool/int/float/str values.

    Example:
        >>> d = CategoricalDistribution(["adam", "sgd"])
        >>> d.to_internal("sgd"), d.to_external(0.0)
        (1.0, 'adam')
    """

    choices: tuple[CategoricalChoice, ...]

    def __post_init__(self) -> None:
        if isinstance(self.choices, (str, bytes)) or not isinstance(self.choices, Sequence):
            raise ValueError(
                f"choices must be a list or tuple of values, but got choices={self.choices!r}"
            )
        # numpy scalars (np.int64(1), np.str_("a"), np.bool_(True)) become the Python values
        # they stand for, so that choices compare, hash and serialise like plain ones.
        choices = tuple(_python_scalar(c) for c in self.choices)
        if len(choices) == 0:
            raise ValueError("choices must not be empty, but got choices=()")
        seen: set[tuple[str, Any]] = set()
        for c in choices:
            if c is not None and not isinstance(c, (bool, int, float, str)):
                raise ValueError(
                    "choices must be None, bool, int, float or str, but got "
                    f"{c!r} of type {type(c).__name__}"
                )
            if isinstance(c, float) and math.isnan(c):
                raise ValueError("choices must not contain NaN, but got nan")
            key = _choice_key(c)
            if key in seen:
                raise ValueError(f"choices must be distinct, but {c!r} appears more than once")
            seen.add(key)
        object.__setattr__(self, "choices", choices)

    def index(self, external: Any) -> int:
        """The index of a choice; ``ValueError`` if it is not one."""
        key = _choice_key(external)
        for i, c in enumerate(self.choices):
            if _choice_key(c) == key:
                return i
        raise ValueError(f"{external!r} is not one of the choices {list(self.choices)!r}")

    def to_internal(self, external: Any) -> float:
        return float(self.index(external))

    def to_external(self, internal: float) -> CategoricalChoice:
        return self.choices[int(round(internal))]  # noqa: RUF046

    def contains(self, external: Any) -> bool:
        try:
            self.index(external)
        except ValueError:
            return False
        return True

    def single(self) -> bool:
        return len(self.choices) == 1

    def to_dict(self) -> dict[str, Any]:
        return {"type": "categorical", "choices": list(self.choices)}

    def __hash__(self) -> int:
        return hash(tuple(_choice_key(c) for c in self.choices))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CategoricalDistribution):
            return NotImplemented
        return [_choice_key(c) for c in self.choices] == [_choice_key(c) for c in other.choices]


Distribution = FloatDistribution | IntDistribution | CategoricalDistribution


def distribution_to_json(distribution: BaseDistribution) -> str:
    """Serialise a distribution to a JSON string.

    Example:
        >>> distribution_to_json(IntDistribution(1, 3))
        '{"type": "int", "low": 1, "high": 3, "log": false, "step": 1}'
    """
    return json.dumps(distribution.to_dict())


def dict_to_distribution(data: dict[str, Any]) -> Distribution:
    """Rebuild a distribution from :meth:`BaseDistribution.to_dict` output."""
    kind = data.get("type")
    try:
        if kind == "float":
            return FloatDistribution(data["low"], data["high"], log=data["log"], step=data["step"])
        if kind == "int":
            return IntDistribution(data["low"], data["high"], log=data["log"], step=data["step"])
        if kind == "categorical":
            return CategoricalDistribution(tuple(data["choices"]))
    except KeyError as exc:
        raise ValueError(f"a {kind} distribution needs the key {exc}, but got {data!r}") from None
    raise ValueError(f"unknown distribution type {kind!r} in {data!r}")


def json_to_distribution(text: str) -> Distribution:
    """Parse a distribution written by :func:`distribution_to_json`.

    Example:
        >>> json_to_distribution('{"type": "categorical", "choices": ["a", 1]}')
        CategoricalDistribution(choices=('a', 1))
    """
    return dict_to_distribution(json.loads(text))


def check_compatible(name: str, old: BaseDistribution, new: BaseDistribution) -> None:
    """Raise ``ValueError`` if a parameter is re-declared with a different distribution.

    Within one trial, suggesting the same name twice must use the same distribution.

    Example:
        >>> check_compatible("x", IntDistribution(0, 3), IntDistribution(0, 3))
    """
    if old != new:
        raise ValueError(
            f"parameter {name!r} was already suggested in this trial as {old!r}; "
            f"it cannot be suggested again as {new!r}"
        )


def narrow_distribution(declared: Distribution, constraint: Distribution) -> Distribution:
    """The part of ``declared`` that lies inside ``constraint`` (a narrowing).

    The result keeps the declared kind, log flag and step grid; ``ValueError`` if nothing is left.

    Example:
        >>> narrow_distribution(IntDistribution(0, 10, step=2), IntDistribution(3, 7))
        IntDistribution(low=4, high=6, log=False, step=2)
    """
    if isinstance(declared, CategoricalDistribution):
        if not isinstance(constraint, CategoricalDistribution):
            raise ValueError(f"cannot narrow {declared!r} with {constraint!r}")
        kept = tuple(c for c in declared.choices if constraint.contains(c))
        if not kept:
            raise ValueError(f"narrowing {declared!r} to {constraint!r} leaves no choice")
        return CategoricalDistribution(kept)
    if isinstance(constraint, CategoricalDistribution):
        raise ValueError(f"cannot narrow {declared!r} with {constraint!r}")
    low = max(float(declared.low), float(constraint.low))
    high = min(float(declared.high), float(constraint.high))
    if isinstance(declared, IntDistribution):
        step = declared.step
        k_low = math.ceil((low - declared.low) / step - 1e-9)
        k_high = math.floor((high - declared.low) / step + 1e-9)
        if k_low > k_high:
            raise ValueError(f"narrowing {declared!r} to {constraint!r} leaves no value")
        return IntDistribution(
            declared.low + k_low * step, declared.low + k_high * step, log=declared.log, step=step
        )
    if declared.step is not None:
        step_f = declared.step
        # Absorb float noise, but never reach further past a bound than SpaceRevision.admits
        # forgives (1e-8 of the bounds' scale): a grid point just outside the narrowed range
        # that admits would reject must not become a bound of the effective distribution.
        cap = 1e-9 * max(1.0, abs(low), abs(high)) / step_f
        tol = min(_grid_tol(declared.low, declared.high, step_f), cap)
        k_low = math.ceil((low - declared.low) / step_f - tol)
        k_high = math.floor((high - declared.low) / step_f + tol)
        if k_low > k_high:
            raise ValueError(f"narrowing {declared!r} to {constraint!r} leaves no value")
        return FloatDistribution(
            declared.low + k_low * step_f, declared.low + k_high * step_f, step=step_f
        )
    if low > high:
        raise ValueError(f"narrowing {declared!r} to {constraint!r} leaves no value")
    return FloatDistribution(low, high, log=declared.log)

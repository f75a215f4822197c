"""Parameter distributions: the building blocks of a search space.

Three kinds exist, with Optuna-compatible names and arguments:

* :class:`FloatDistribution` -- a real interval, optionally log-scaled or discretised by ``step``;
* :class:`IntDistribution` -- an integer interval, optionally log-scaled or strided by ``step``;
* :class:`CategoricalDistribution` -- a finite tuple of ``None``/bool/int/float/str choices.

Every distribution is immutable, validated on construction (bad input raises ``ValueError``
naming the value and the rule), round-trips exactly through JSON, and maps each value to an
*internal* float used by samplers: floats and ints map to themselves, a categorical choice to
its index. Hence the limits: a float range must be narrower than the largest float (1.8e308),
integer bounds and steps lie within +-2**53 (where every integer is exactly a float), and the
choices of a categorical parameter come in an order (:func:`as_choices`).

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
import numbers
import reprlib
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from hpo_lab import _json

__all__ = [
    "BaseDistribution",
    "CategoricalChoice",
    "CategoricalDistribution",
    "Distribution",
    "FloatDistribution",
    "IntDistribution",
    "as_choices",
    "check_compatible",
    "distribution_to_json",
    "json_to_distribution",
]

CategoricalChoice = None | bool | int | float | str

# Float comparisons on step grids tolerate this relative error, so that ``0.1 * 3`` counts as
# lying on a grid of step 0.1 starting at 0.
_GRID_RTOL = 1e-8

# Integer bounds and steps stay within +-2**53: samplers work on floats (``to_internal``), and
# every integer up to 2**53 is exactly a float, so no value is rounded to a neighbour.
_INT_LIMIT = 2**53

# A float step grid needs its points to be distinct floats that the grid tolerance can tell
# apart: step must be at least this many times the largest bound (2**-44, 256 ulps). It also
# bounds the number of grid points to about 3.5e13.
_STEP_RESOLUTION = 2.0**-44


def _show(value: Any) -> str:
    """``repr(value)`` for a message, shortened; ints too long for a repr are written as
    ``1e+400 (an int of 401 digits)``."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        exponent = math.log10(abs(value))
        e = math.floor(exponent)
        sign = "-" if value < 0 else ""
        return f"{sign}{10 ** (exponent - e):.4g}e+{e} (an int of {e + 1} digits)"
    return reprlib.Repr().repr(value) if not isinstance(value, (int, float)) else repr(value)


def _grid_tol(low: float, high: float, step: float) -> float:
    """Tolerance, in steps, of "lies on the grid ``low + k * step``".

    Besides ``_GRID_RTOL`` it allows for the rounding error of ``high - low`` itself, a few ulps
    of the bounds, which is many steps' worth of noise when the bounds are large next to step.
    """
    return _GRID_RTOL + 8 * 2.0**-52 * max(abs(low), abs(high)) / step


def _is_real(value: Any) -> bool:
    # bool is an int subclass, but True as a bound is nearly always a mistake.
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _finite_float(label: str, value: Any) -> float:
    """``value`` as a float; ``ValueError`` unless it is a real number within the float range."""
    if _is_real(value):
        try:
            f = float(value)
        except OverflowError:  # an int or a fraction beyond the float range
            raise ValueError(
                f"{label} must lie within the float range (+-1.8e308), but got "
                f"{label}={_show(value)}"
            ) from None
        if math.isfinite(f):
            return f
    raise ValueError(f"{label} must be a finite real number, but got {label}={_show(value)}")


def _exact_int(label: str, value: Any) -> int:
    """``value`` as an int; ``ValueError`` unless it is a whole number within +-2**53."""
    n: int | None = None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        n = int(value)
    elif _is_real(value):
        try:
            f = float(value)
        except OverflowError:
            f = math.nan
        if math.isfinite(f) and f.is_integer():
            n = int(f)
    if n is None:
        raise ValueError(f"{label} must be an integer, but got {label}={_show(value)}")
    if not -_INT_LIMIT <= n <= _INT_LIMIT:
        raise ValueError(
            f"{label} must lie within +-2**53 (+-9007199254740992), where every integer is "
            f"exactly a float, but got {label}={_show(value)}"
        )
    return n


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
        high: Upper bound, inclusive; ``high - low`` must not overflow (at most 1.8e308).
        log: Sample uniformly in log space; requires ``low > 0`` and no ``step``.
        step: Discretisation step: values are ``low + k * step``; at least
            ``5.7e-14 * max(|low|, |high|)``, so that grid values are distinct floats.

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
            object.__setattr__(self, label, _finite_float(label, bound))
        if self.low > self.high:
            raise ValueError(f"low must be <= high, but got low={self.low}, high={self.high}")
        if not math.isfinite(self.high - self.low):
            # Refused rather than sampled: nearly every uniform draw over such a range is
            # beyond +-1e306, and samplers scale by high - low, which would be infinite.
            raise ValueError(
                "high - low must not exceed the largest float (1.8e308), but got "
                f"low={self.low}, high={self.high}; use a narrower range"
            )
        if not isinstance(self.log, bool):
            raise ValueError(f"log must be a bool, but got log={self.log!r}")
        if self.log and self.step is not None:
            raise ValueError(
                f"log and step cannot be used together, but got log=True, step={self.step}"
            )
        if self.log and self.low <= 0.0:
            raise ValueError(f"log=True requires low > 0, but got low={self.low}")
        if self.step is not None:
            object.__setattr__(self, "step", _finite_float("step", self.step))
            if self.step <= 0:
                raise ValueError(f"step must be > 0, but got step={self.step}")
            finest = _STEP_RESOLUTION * max(abs(self.low), abs(self.high))
            if self.step < finest:
                raise ValueError(
                    "step must be at least 5.7e-14 * max(|low|, |high|), so that the grid's "
                    f"values are distinct floats, but got step={self.step} for "
                    f"low={self.low}, high={self.high} (smallest step {finest:.3g})"
                )
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

    ``low``, ``high`` and ``step`` are whole numbers within +-2**53.

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
            object.__setattr__(self, label, _exact_int(label, bound))
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


def as_choices(choices: Any) -> tuple[Any, ...]:
    """The choices of a categorical parameter as a tuple, in the order given.

    The order of the choices is part of the search space (a choice's internal value is its
    index, and a seeded sampler must propose the same values in every process), so only
    ordered sequences are accepted: a list, a tuple, a ``range`` or a 1-d numpy array. A str
    or bytes (one value, not a list of its letters), a set or frozenset (iterated in hash
    order, which differs between processes), a dict and other containers raise ``ValueError``.
    The values themselves are checked by :class:`CategoricalDistribution`.

    Example:
        >>> as_choices(["adam", "sgd"])
        ('adam', 'sgd')
        >>> as_choices({"adam", "sgd"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: choices must be a list or tuple of values (their order matters), ...
    """
    if isinstance(choices, str):
        raise ValueError(
            f"choices must be a list or tuple of values, but got the str {_show(choices)}; "
            f"for a single choice pass [{_show(choices)}]"
        )
    if isinstance(choices, (bytes, bytearray)):
        raise ValueError(
            f"choices must be a list or tuple of values, but got {type(choices).__name__} "
            f"{_show(choices)}"
        )
    if isinstance(choices, AbstractSet):
        raise ValueError(
            "choices must be a list or tuple of values (their order matters), but got a "
            f"{type(choices).__name__}: {_show_set(choices)}; a set's order "
            "changes from one process to the next, so pass a list, e.g. sorted(...)"
        )
    if isinstance(choices, Mapping):
        raise ValueError(
            f"choices must be a list or tuple of values, but got a {type(choices).__name__}: "
            f"{_show(choices)}; pass list(...) of its keys or values"
        )
    if type(choices).__module__ == "numpy" and getattr(choices, "ndim", None) == 1:
        return tuple(choices)
    if not isinstance(choices, Sequence):
        raise ValueError(
            "choices must be a list or tuple of values, but got "
            f"{type(choices).__name__} {_show(choices)}"
        )
    return tuple(choices)


def _show_set(values: AbstractSet[Any]) -> str:
    # A set's repr is in hash order: sorted, when its values allow, messages are stable.
    try:
        items = sorted(values)
    except TypeError:
        items = list(values)
    shown = ", ".join(_show(v) for v in items[:6]) + (", ..." if len(items) > 6 else "")
    return "{" + shown + "}"


@dataclass(frozen=True)
class CategoricalDistribution(BaseDistribution):
    """A finite set of choices; the internal value of a choice is its index.

    Args:
        choices: A non-empty list or tuple of distinct ``None``/bool/int/float/str values (see
            :func:`as_choices` for what is refused).

    Example:
        >>> d = CategoricalDistribution(["adam", "sgd"])
        >>> d.to_internal("sgd"), d.to_external(0.0)
        (1.0, 'adam')
    """

    choices: tuple[CategoricalChoice, ...]

    def __post_init__(self) -> None:
        # numpy scalars (np.int64(1), np.str_("a"), np.bool_(True)) become the Python values
        # they stand for, so that choices compare, hash and serialise like plain ones.
        choices = tuple(_python_scalar(c) for c in as_choices(self.choices))
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
    # Standard JSON: a categorical choice of inf is written as a tagged object.
    return json.dumps(_json.encode(distribution.to_dict()))


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
    return dict_to_distribution(_json.loads(text))


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

"""One validator per rule, shared by every path that takes the same argument.

``study.optimize``, ``study.start`` / ``start_run``, the ``%%hpo`` magics and the command line
check ``n_trials``, ``timeout``, ``n_jobs``, ``catch`` and ``callbacks`` through these functions,
so a call validates the same way whichever path (and however many jobs) it takes.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

__all__ = [
    "check_budget",
    "check_callbacks",
    "check_catch",
    "check_int",
    "check_n_jobs",
    "check_n_trials",
    "check_number",
    "check_resource",
    "check_seconds",
]


def _is_int(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Integral)


def check_n_trials(n_trials: Any) -> int | None:
    """``n_trials`` as an int (numpy integers accepted) or ``None``.

    Example:
        >>> import numpy as np
        >>> check_n_trials(np.int64(3))
        3
        >>> check_n_trials(-1)
        Traceback (most recent call last):
        ValueError: n_trials must be a non-negative int or None, but got n_trials=-1
    """
    if n_trials is None:
        return None
    if not _is_int(n_trials) or n_trials < 0:
        raise ValueError(
            f"n_trials must be a non-negative int or None, but got n_trials={n_trials!r}"
        )
    return int(n_trials)


def check_seconds(name: str, value: Any) -> float | None:
    """A positive, finite number of seconds as a float, or ``None``.

    Example:
        >>> check_seconds("timeout", 2)
        2.0
        >>> check_seconds("timeout", float("inf"))
        Traceback (most recent call last):
        ValueError: timeout must be a finite number of seconds > 0 or None, but got timeout=inf
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"{name} must be a finite number of seconds > 0 or None, but got {name}={value!r}"
        )
    v = float(value)
    if not (v > 0 and math.isfinite(v)):
        raise ValueError(
            f"{name} must be a finite number of seconds > 0 or None, but got {name}={value!r}"
        )
    return v


def check_n_jobs(n_jobs: Any) -> int:
    """``n_jobs`` as a positive int; ``-1`` means one per core.

    Example:
        >>> check_n_jobs(2)
        2
        >>> check_n_jobs(0)
        Traceback (most recent call last):
        ValueError: n_jobs must be an int >= 1 (or -1 for every core), but got n_jobs=0
    """
    if _is_int(n_jobs) and n_jobs == -1:
        return os.cpu_count() or 1
    if not _is_int(n_jobs) or n_jobs < 1:
        raise ValueError(
            f"n_jobs must be an int >= 1 (or -1 for every core), but got n_jobs={n_jobs!r}"
        )
    return int(n_jobs)


def check_catch(
    catch: Iterable[type[BaseException]] | type[BaseException] | None,
) -> tuple[type[BaseException], ...]:
    """``catch`` (an exception class or an iterable of them) as a tuple.

    Example:
        >>> check_catch(ValueError)
        (<class 'ValueError'>,)
        >>> check_catch(5)
        Traceback (most recent call last):
        TypeError: catch must be an exception class or a tuple of them, but got 5
    """
    if catch is None:
        return ()
    if isinstance(catch, type):
        items: Sequence[Any] = (catch,)
    elif isinstance(catch, (str, bytes)) or not isinstance(catch, Iterable):
        raise TypeError(f"catch must be an exception class or a tuple of them, but got {catch!r}")
    else:
        items = tuple(catch)
    for c in items:
        if not (isinstance(c, type) and issubclass(c, BaseException)):
            raise TypeError(
                f"catch must be an exception class or a tuple of them, but got {c!r} in "
                f"catch={catch!r}"
            )
    return tuple(items)


def check_callbacks(callbacks: Any) -> tuple[Callable[..., Any], ...]:
    """``callbacks`` (``None`` or a sequence of callables) as a tuple.

    Example:
        >>> check_callbacks(None)
        ()
        >>> check_callbacks([print]) == (print,)
        True
    """
    if callbacks is None:
        return ()
    if callable(callbacks) or isinstance(callbacks, (str, bytes)):
        raise TypeError(
            f"callbacks must be a list of callables, but got {callbacks!r} (wrap one in a list)"
        )
    try:
        items = tuple(callbacks)
    except TypeError:
        raise TypeError(f"callbacks must be a list of callables, but got {callbacks!r}") from None
    for c in items:
        if not callable(c):
            raise TypeError(f"callbacks must be callables, but got {c!r}")
    return items


def check_int(name: str, value: Any, minimum: int) -> int:
    """An int ``>= minimum`` (numpy integers accepted; bools are not ints here).

    Example:
        >>> check_int("reduction_factor", 3, 2)
        3
        >>> check_int("reduction_factor", 1, 2)
        Traceback (most recent call last):
        ValueError: reduction_factor must be an int >= 2, but got reduction_factor=1
    """
    if not _is_int(value) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, but got {name}={value!r}")
    return int(value)


def check_number(name: str, value: Any, *, minimum: float | None = None) -> float:
    """A real number (not NaN), optionally ``>= minimum``, as a float.

    Example:
        >>> check_number("min_delta", 0)
        0.0
        >>> check_number("min_delta", -1, minimum=0)
        Traceback (most recent call last):
        ValueError: min_delta must be a number >= 0, but got min_delta=-1
    """
    rule = "a number" if minimum is None else f"a number >= {minimum:g}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name} must be {rule}, but got {name}={value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be {rule}, but got {name}={value!r}")
    return float(value)


def check_resource(name: str, value: Any) -> int | str:
    """A resource (a step count): an int >= 1, or ``"auto"`` (resolved once from the study).

    Example:
        >>> check_resource("max_resource", "auto"), check_resource("max_resource", 27)
        ('auto', 27)
        >>> check_resource("min_resource", 0)
        Traceback (most recent call last):
        ValueError: min_resource must be an int >= 1 or 'auto', but got min_resource=0
    """
    if value == "auto" and isinstance(value, str):
        return "auto"
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be an int >= 1 or 'auto', but got {name}={value!r}")
    return int(value)


def check_budget(budget: Any) -> float | None:
    """A resource budget (in the units of ``report``'s steps, e.g. epochs): a number > 0, or
    ``None`` for no budget.

    Example:
        >>> check_budget(2700), check_budget(None)
        (2700.0, None)
        >>> check_budget(0)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ValueError: budget must be a finite number > 0 (...) or None, but got budget=0
    """
    if budget is None:
        return None
    if (
        isinstance(budget, bool)
        or not isinstance(budget, numbers.Real)
        or not math.isfinite(budget)
        or budget <= 0
    ):
        raise ValueError(
            "budget must be a finite number > 0 (resource units, e.g. epochs) or None, "
            f"but got budget={budget!r}"
        )
    return float(budget)

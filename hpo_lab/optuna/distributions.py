"""``optuna.distributions`` on hpo_lab, with Optuna's older distribution names.

``UniformDistribution``, ``LogUniformDistribution``, ``DiscreteUniformDistribution``,
``IntUniformDistribution`` and ``IntLogUniformDistribution`` build the equivalent
:class:`FloatDistribution` / :class:`IntDistribution`, and ``isinstance`` checks against them
answer as in Optuna (a linear float without a step "is" a ``UniformDistribution``).

Example:
    >>> d = UniformDistribution(0.0, 1.0)
    >>> d, isinstance(d, UniformDistribution), isinstance(d, LogUniformDistribution)
    (FloatDistribution(low=0.0, high=1.0, log=False, step=None), True, False)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hpo_lab.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
    distribution_to_json,
    json_to_distribution,
)
from hpo_lab.distributions import CategoricalChoice as CategoricalChoiceType

__all__ = [
    "BaseDistribution",
    "CategoricalChoiceType",
    "CategoricalDistribution",
    "DiscreteUniformDistribution",
    "Distribution",
    "FloatDistribution",
    "IntDistribution",
    "IntLogUniformDistribution",
    "IntUniformDistribution",
    "LogUniformDistribution",
    "UniformDistribution",
    "check_distribution_compatibility",
    "distribution_to_json",
    "json_to_distribution",
]


class _Alias(type):
    """A name that builds another class and recognises its instances by a rule."""

    _build: Callable[..., Any]
    _is: Callable[[Any], bool]

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._build(*args, **kwargs)

    def __instancecheck__(cls, instance: Any) -> bool:
        return bool(cls._is(instance))


def _float(log: bool, stepped: bool) -> Callable[[Any], bool]:
    return lambda d: (
        isinstance(d, FloatDistribution) and d.log == log and (d.step is not None) == stepped
    )


class UniformDistribution(metaclass=_Alias):
    """Optuna's old name for ``FloatDistribution(low, high)``."""

    _build = staticmethod(lambda low, high: FloatDistribution(low, high))
    _is = staticmethod(_float(log=False, stepped=False))


class LogUniformDistribution(metaclass=_Alias):
    """Optuna's old name for ``FloatDistribution(low, high, log=True)``."""

    _build = staticmethod(lambda low, high: FloatDistribution(low, high, log=True))
    _is = staticmethod(_float(log=True, stepped=False))


class DiscreteUniformDistribution(metaclass=_Alias):
    """Optuna's old name for ``FloatDistribution(low, high, step=q)``."""

    _build = staticmethod(lambda low, high, q: FloatDistribution(low, high, step=q))
    _is = staticmethod(_float(log=False, stepped=True))


class IntUniformDistribution(metaclass=_Alias):
    """Optuna's old name for ``IntDistribution(low, high, step=step)``."""

    _build = staticmethod(lambda low, high, step=1: IntDistribution(low, high, step=step))
    _is = staticmethod(lambda d: isinstance(d, IntDistribution) and not d.log)


class IntLogUniformDistribution(metaclass=_Alias):
    """Optuna's old name for ``IntDistribution(low, high, log=True)``."""

    _build = staticmethod(lambda low, high, step=1: IntDistribution(low, high, log=True))
    _is = staticmethod(lambda d: isinstance(d, IntDistribution) and d.log)


def check_distribution_compatibility(
    dist_old: BaseDistribution, dist_new: BaseDistribution
) -> None:
    """Raise ``ValueError`` if a parameter cannot change from ``dist_old`` to ``dist_new``
    across trials (Optuna's rule: same kind and scale; categorical choices unchanged).

    Example:
        >>> check_distribution_compatibility(FloatDistribution(0, 1), FloatDistribution(0, 2))
        >>> check_distribution_compatibility(FloatDistribution(1, 2), IntDistribution(1, 2))
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: cannot change FloatDistribution(...) into IntDistribution(...)
    """
    if type(dist_old) is not type(dist_new) or (
        isinstance(dist_old, (FloatDistribution, IntDistribution))
        and dist_old.log != dist_new.log  # type: ignore[attr-defined]
    ) or (isinstance(dist_old, CategoricalDistribution) and dist_old != dist_new):
        raise ValueError(f"cannot change {dist_old!r} into {dist_new!r}")

"""Pruners by name: what ``%%hpo --pruner``, the command line and scikit-learn search share."""

from __future__ import annotations

import inspect
import shlex
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from hpo_lab.pruners._base import BasePruner
from hpo_lab.pruners._hyperband import HyperbandPruner
from hpo_lab.pruners._median import MedianPruner
from hpo_lab.pruners._nop import NopPruner
from hpo_lab.pruners._patient import PatientPruner
from hpo_lab.pruners._percentile import PercentilePruner
from hpo_lab.pruners._successive_halving import SuccessiveHalvingPruner
from hpo_lab.pruners._threshold import ThresholdPruner

__all__ = [
    "DEFAULT_PRUNER",
    "DEFAULT_PRUNER_ARGS",
    "PRUNER_NAMES",
    "default_pruner",
    "make_pruner",
    "parse_pruner_args",
]


def _percentile(percentile: float = 25.0, **kwargs: Any) -> BasePruner:
    return PercentilePruner(percentile, **kwargs)


def _patient(
    wrapped_pruner: str | BasePruner | None = None, patience: int | None = None,
    min_delta: float = 0.0,
) -> BasePruner:
    if patience is None:
        raise ValueError("patient needs patience (an int >= 0), but got none: e.g. patience=3")
    if isinstance(wrapped_pruner, str):
        if wrapped_pruner == "patient":
            raise ValueError("wrapped_pruner must be another pruner, but got 'patient'")
        wrapped_pruner = None if wrapped_pruner == "none" else make_pruner(wrapped_pruner)
    return PatientPruner(wrapped_pruner, patience, min_delta)


_FACTORIES: dict[str, Callable[..., BasePruner]] = {
    "none": NopPruner,
    "median": MedianPruner,
    "percentile": _percentile,
    "asha": SuccessiveHalvingPruner,
    "hyperband": HyperbandPruner,
    "threshold": ThresholdPruner,
    "patient": _patient,
}

#: Where each name's arguments are documented (and checked against).
_CLASSES: dict[str, Callable[..., Any]] = {
    "none": NopPruner,
    "median": MedianPruner,
    "percentile": PercentilePruner,
    "asha": SuccessiveHalvingPruner,
    "hyperband": HyperbandPruner,
    "threshold": ThresholdPruner,
    "patient": PatientPruner,
}

#: The names :func:`make_pruner` takes.
PRUNER_NAMES: tuple[str, ...] = tuple(_FACTORIES)

#: The name of the pruner a study gets when none is given (see :func:`default_pruner`).
DEFAULT_PRUNER = "hyperband"

#: Its arguments: the class's defaults (Optuna's) but for the rank check.
DEFAULT_PRUNER_ARGS: Mapping[str, Any] = MappingProxyType({"rank_check": True})


def default_pruner(**kwargs: Any) -> BasePruner:
    """The pruner a study gets when none is given: ``HyperbandPruner(rank_check=True)``.

    It changes nothing for an objective that never calls ``trial.should_prune()``. For one
    that does, it was chosen by measurement (``benchmarks/multifidelity.py``, round 2 in
    ``benchmarks/RESULTS.md``, 8 problems x 20 seeds): with the default ``AutoSampler`` it
    ended significantly worse than no pruning on none of the problems, where Hyperband without
    the rank check did on one (a validation loss whose curves cross), and it ends as well as
    that elsewhere. The rank check promotes trials through a rung without comparison until the
    rung's ranking has been shown to predict the final one (see ``rank_check`` in
    :class:`~hpo_lab.pruners.SuccessiveHalvingPruner`). ``kwargs`` replace or add to
    :data:`DEFAULT_PRUNER_ARGS` (``rank_check=False`` is Optuna's ``HyperbandPruner()``).
    Pass ``pruner=NopPruner()`` to never prune. Hyperband draws each trial's bracket from the
    study's name and the trial's number: name the study for a run that repeats exactly.

    Example:
        >>> import hpo_lab
        >>> default_pruner()  # doctest: +ELLIPSIS
        HyperbandPruner(min_resource=1, max_resource='auto', ..., rank_check=RankCheck(...))
        >>> default_pruner(reduction_factor=4)  # doctest: +ELLIPSIS
        HyperbandPruner(..., reduction_factor=4, ..., rank_check=RankCheck(...))
        >>> hpo_lab.create_study().pruner.rank_check is not None
        True
    """
    return make_pruner(DEFAULT_PRUNER, **{**DEFAULT_PRUNER_ARGS, **kwargs})


def _parameters(kind: str) -> list[str]:
    return [
        name for name in inspect.signature(_CLASSES[kind]).parameters if name != "self"
    ]


def make_pruner(kind: str = "none", **kwargs: Any) -> BasePruner:
    """The pruner a name stands for, with the given arguments (the class's defaults for the
    rest). ``asha`` is :class:`~hpo_lab.pruners.SuccessiveHalvingPruner`; ``patient`` takes
    its ``wrapped_pruner`` as a name too.

    Example:
        >>> type(make_pruner("median")).__name__
        'MedianPruner'
        >>> make_pruner("asha", reduction_factor=3, min_resource=1)  # doctest: +ELLIPSIS
        SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, ...)
        >>> make_pruner("patient", wrapped_pruner="median", patience=2)  # doctest: +ELLIPSIS
        PatientPruner(MedianPruner(...), patience=2, min_delta=0)
        >>> make_pruner("sometimes")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: pruner must be one of none, median, ..., patient, but got 'sometimes'
        >>> make_pruner("asha", eta=3)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: asha takes min_resource, reduction_factor, ..., but got eta=3
    """
    factory = _FACTORIES.get(kind) if isinstance(kind, str) else None
    if factory is None:
        raise ValueError(f"pruner must be one of {', '.join(PRUNER_NAMES)}, but got {kind!r}")
    known = _parameters(kind)
    unknown = [k for k in kwargs if k not in known]
    if unknown:
        takes = ", ".join(known) if known else "no arguments"
        got = ", ".join(f"{k}={kwargs[k]!r}" for k in unknown)
        raise ValueError(f"{kind} takes {takes}, but got {got}")
    try:
        return factory(**kwargs)
    except TypeError as exc:  # a missing required argument: one line, naming the rule
        raise ValueError(f"{kind}: {exc}") from None


def _literal(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            continue
    return text


def parse_pruner_args(
    text: str | Mapping[str, Any] | None, what: str = "pruner arguments"
) -> dict[str, Any]:
    """Pruner arguments written as ``"name=value name=value"`` (what ``%%hpo --pruner-args``
    takes) as a dict: ints, floats, ``true``/``false``, ``none`` and words (``auto``, a pruner
    name) are understood; a mapping passes through.

    Example:
        >>> parse_pruner_args("reduction_factor=3 min_resource=auto rank_check=true")
        {'reduction_factor': 3, 'min_resource': 'auto', 'rank_check': True}
        >>> parse_pruner_args("lower=0.1, upper=2")
        {'lower': 0.1, 'upper': 2}
        >>> parse_pruner_args("reduction_factor")
        Traceback (most recent call last):
        ...
        ValueError: pruner arguments must be name=value pairs, but got 'reduction_factor'
    """
    if text is None:
        return {}
    if isinstance(text, Mapping):
        return dict(text)
    out: dict[str, Any] = {}
    try:
        # A quoted group ('"a=1 b=2"', as a magic's argument may arrive) splits again.
        words = [w for token in shlex.split(text.replace(",", " ")) for w in token.split()]
    except ValueError as exc:
        raise ValueError(f"{what} could not be read ({exc}): {text!r}") from None
    for word in words:
        name, sep, value = word.partition("=")
        if not sep or not name.isidentifier() or not value:
            raise ValueError(f"{what} must be name=value pairs, but got {word!r}")
        out[name] = _literal(value)
    return out

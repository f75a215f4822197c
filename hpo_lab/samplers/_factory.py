"""Samplers by name: what ``%%hpo --sampler``, the command line and scikit-learn search share."""

from __future__ import annotations

from collections.abc import Callable

from hpo_lab.samplers._auto import AutoSampler
from hpo_lab.samplers._base import BaseSampler
from hpo_lab.samplers._cmaes import CmaEsSampler
from hpo_lab.samplers._gp import GPSampler
from hpo_lab.samplers._grid import GridSampler
from hpo_lab.samplers._qmc import QMCSampler
from hpo_lab.samplers._random import RandomSampler
from hpo_lab.samplers._tpe import TPESampler

__all__ = ["SAMPLER_NAMES", "make_sampler"]

_FACTORIES: dict[str, Callable[..., BaseSampler]] = {
    "auto": AutoSampler,
    "tpe": TPESampler,
    "gp": GPSampler,
    "random": RandomSampler,
    "grid": GridSampler,
    "qmc": QMCSampler,
    "cmaes": CmaEsSampler,
}

#: The names :func:`make_sampler` takes, the default first.
SAMPLER_NAMES: tuple[str, ...] = tuple(_FACTORIES)


def make_sampler(kind: str = "auto", seed: int | None = None) -> BaseSampler:
    """The sampler a name stands for, seeded with ``seed``.

    Example:
        >>> type(make_sampler("random", seed=1)).__name__
        'RandomSampler'
        >>> make_sampler("annealing")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: sampler must be one of auto, ..., but got 'annealing'
    """
    factory = _FACTORIES.get(kind) if isinstance(kind, str) else None
    if factory is None:
        raise ValueError(
            f"sampler must be one of {', '.join(SAMPLER_NAMES)}, but got {kind!r}"
        )
    return factory(seed=seed)

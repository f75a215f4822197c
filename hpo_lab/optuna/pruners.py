"""``optuna.pruners`` on hpo_lab: the pruners, and a base class for pruners written for Optuna.

A pruner written for Optuna subclasses :class:`BasePruner` and implements
``prune(study, trial) -> bool``; ``study`` is a read-only study in Optuna's shape. Its answers
are recorded with the trial like every hpo_lab decision. Pruners the multi-fidelity work adds
to :mod:`hpo_lab.pruners` (successive halving, Hyperband, threshold, patient) appear here under
their names as they land.

Example:
    >>> import hpo_lab.optuna as optuna
    >>> class AfterTwoSteps(optuna.pruners.BasePruner):
    ...     def prune(self, study, trial):
    ...         return len(study.trials) > 0 and max(trial.intermediate_values) >= 2
    >>> study = optuna.create_study(pruner=AfterTwoSteps())
    >>> t = study.ask()
    >>> t.report(1.0, step=2)
    >>> t.should_prune()
    True
"""

from __future__ import annotations

import abc
from typing import Any

import hpo_lab.pruners as _pruners
from hpo_lab.optuna._facade import wrap_study_argument
from hpo_lab.pruners import BasePruner as _HpoBasePruner
from hpo_lab.pruners import (
    MedianPruner,
    NopPruner,
    PercentilePruner,
    WilcoxonPruner,
)
from hpo_lab.trial._frozen import FrozenTrial

__all__ = [
    "BasePruner",
    "MedianPruner",
    "NopPruner",
    "PercentilePruner",
    "WilcoxonPruner",
]

# Optuna's other pruners, looked up in hpo_lab.pruners when asked for.
_LATER = (
    "SuccessiveHalvingPruner",
    "HyperbandPruner",
    "ThresholdPruner",
    "PatientPruner",
)


class BasePruner(_HpoBasePruner):
    """Base class for pruners written for Optuna (see the module docstring)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        prune = cls.__dict__.get("prune")
        if callable(prune) and not getattr(prune, "__isabstractmethod__", False):
            cls.prune = wrap_study_argument(prune)  # type: ignore[method-assign]
        super().__init_subclass__(**kwargs)

    @abc.abstractmethod
    def prune(self, study: Any, trial: FrozenTrial) -> bool:
        """Whether ``trial`` should stop now; ``study`` reads like an ``optuna.Study``."""


def __getattr__(name: str) -> Any:
    if name in _LATER:
        found = getattr(_pruners, name, None)
        if found is not None:
            return found
        raise AttributeError(
            f"optuna.pruners.{name} has no hpo_lab counterpart yet (hpo_lab.pruners has "
            f"{', '.join(n for n in _pruners.__all__ if n.endswith('Pruner'))})"
        )
    raise AttributeError(f"module 'optuna.pruners' (hpo_lab) has no attribute {name!r}")

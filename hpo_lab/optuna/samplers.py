"""``optuna.samplers`` on hpo_lab: the samplers, and a base class for samplers written for Optuna.

A sampler written for Optuna subclasses :class:`BaseSampler` and implements
``infer_relative_search_space(study, trial)``, ``sample_relative(study, trial, search_space)``
and ``sample_independent(study, trial, param_name, param_distribution)``; each receives a
read-only study in Optuna's shape (:class:`~hpo_lab.optuna._facade.OptunaStudyView`), and
``after_trial`` gets Optuna's ``values`` list. ``intersection_search_space(study)`` is
Optuna's older helper. Multi-objective samplers (NSGA-II, NSGA-III, MOTPE) have no
counterpart yet.

Example:
    >>> import hpo_lab.optuna as optuna
    >>> class Centre(optuna.samplers.BaseSampler):
    ...     def infer_relative_search_space(self, study, trial):
    ...         return {}
    ...     def sample_relative(self, study, trial, search_space):
    ...         return {}
    ...     def sample_independent(self, study, trial, param_name, param_distribution):
    ...         assert study.direction == optuna.study.StudyDirection.MINIMIZE
    ...         return (param_distribution.low + param_distribution.high) / 2
    >>> study = optuna.create_study(sampler=Centre())
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 4), n_trials=1)
    >>> study.best_params
    {'x': 2.0}
"""

from __future__ import annotations

from typing import Any

from hpo_lab.distributions import Distribution
from hpo_lab.optuna._facade import wrap_study_argument
from hpo_lab.samplers import BaseSampler as _HpoBaseSampler
from hpo_lab.samplers import (
    CmaEsSampler,
    GPSampler,
    GridSampler,
    QMCSampler,
    RandomSampler,
)
from hpo_lab.samplers import TPESampler as _HpoTPESampler
from hpo_lab.search_space._transform import intersection_search_space as _intersection
from hpo_lab.trial._state import TrialState

__all__ = [
    "BaseSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
    "intersection_search_space",
]

_STUDY_METHODS = (
    "infer_relative_search_space",
    "sample_relative",
    "sample_independent",
    "before_trial",
    "finished_trial_attrs",
    "is_exhausted",
)

_MISSING = {
    "NSGAIISampler": "multi-objective optimisation is not supported yet",
    "NSGAIIISampler": "multi-objective optimisation is not supported yet",
    "MOTPESampler": "multi-objective optimisation is not supported yet",
    "BruteForceSampler": "use GridSampler, which enumerates every point of a finite space",
    "PartialFixedSampler": "use study.enqueue_trial(params) for fixed values",
}


class BaseSampler(_HpoBaseSampler):
    """Base class for samplers written for Optuna (see the module docstring)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name in _STUDY_METHODS:
            method = cls.__dict__.get(name)
            if callable(method):
                setattr(cls, name, wrap_study_argument(method))
        after = cls.__dict__.get("after_trial")
        if callable(after):
            cls.after_trial = wrap_study_argument(after, values_argument=True)  # type: ignore[method-assign]

    def sample_independent(
        self, study: Any, trial: Any, param_name: str, param_distribution: Distribution
    ) -> Any:
        """Propose a value for one parameter (every Optuna sampler implements it)."""
        raise NotImplementedError(f"{type(self).__name__} must implement sample_independent")


class TPESampler(_HpoTPESampler):
    """hpo_lab's TPE sampler, also taking the Optuna arguments that change nothing here.

    ``group`` (conditional spaces are modelled either way), ``warn_independent_sampling``
    and ``consider_prior`` are accepted and ignored; every other argument is hpo_lab's
    :class:`hpo_lab.samplers.TPESampler` (whose ``multivariate`` defaults to ``True``, where
    Optuna's defaults to ``False``).

    Example:
        >>> TPESampler(seed=0, group=True, warn_independent_sampling=False)._n_startup_trials
        10
    """

    def __init__(
        self,
        *args: Any,
        group: bool = False,
        warn_independent_sampling: bool = True,
        consider_prior: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)


def intersection_search_space(
    study: Any, ordered_dict: bool = False, include_pruned: bool = False
) -> dict[str, Distribution]:
    """The distributions every COMPLETE trial of ``study`` shares (Optuna's older helper,
    which custom samplers call in ``infer_relative_search_space``).

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("k", 0, 2), n_trials=2)
        >>> list(intersection_search_space(s))
        ['k', 'x']
    """
    states = (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (TrialState.COMPLETE,)
    trials = study.get_trials(deepcopy=False, states=states)
    return _intersection(trials)


def __getattr__(name: str) -> Any:
    if name in _MISSING:
        raise AttributeError(
            f"optuna.samplers.{name} has no hpo_lab counterpart: {_MISSING[name]}"
        )
    raise AttributeError(f"module 'optuna.samplers' (hpo_lab) has no attribute {name!r}")

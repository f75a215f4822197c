"""hpo_lab: hyperparameter optimisation made for notebooks.

Example:
    >>> import hpo_lab
    >>> study = hpo_lab.create_study(sampler=hpo_lab.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda trial: (trial.suggest_float("x", -3, 3) - 1) ** 2, n_trials=30)
    >>> round(study.best_params["x"])
    1
"""

from hpo_lab import distributions, pruners, samplers, storages
from hpo_lab.exceptions import TrialPruned
from hpo_lab.study import Study, StudyView, create_study, load_study
from hpo_lab.trial import FailReason, FrozenTrial, Trial, TrialState

__version__ = "0.1.0"

__all__ = [
    "FailReason",
    "FrozenTrial",
    "Study",
    "StudyView",
    "Trial",
    "TrialPruned",
    "TrialState",
    "__version__",
    "create_study",
    "distributions",
    "load_study",
    "pruners",
    "samplers",
    "storages",
]

"""hpo_lab: hyperparameter optimisation made for notebooks.

Example:
    >>> import hpo_lab
    >>> study = hpo_lab.create_study(sampler=hpo_lab.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda trial: (trial.suggest_float("x", -3, 3) - 1) ** 2, n_trials=30)
    >>> round(study.best_params["x"])
    1
"""

from __future__ import annotations

from typing import Any

from hpo_lab import distributions, execution, pbt, pruners, samplers, storages, views
from hpo_lab.exceptions import TrialPruned
from hpo_lab.lr_finder import LRFinder, lr_find
from hpo_lab.study import Study, StudyView, create_study, load_study
from hpo_lab.trial import (
    FailReason,
    FrozenTrial,
    PruneDecision,
    Trial,
    TrialInterface,
    TrialState,
    create_trial,
)

__version__ = "0.1.0"


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%%hpo`` and ``%hpo`` magics: what ``%load_ext hpo_lab`` runs.

    IPython is imported only here, so ``import hpo_lab`` stays light.

    Example:
        >>> from IPython.core.interactiveshell import InteractiveShell
        >>> shell = InteractiveShell.instance()
        >>> load_ipython_extension(shell)
        >>> "hpo" in shell.magics_manager.magics["cell"]
        True
    """
    try:
        from hpo_lab.notebook._magics import load_ipython_extension as load
    except ImportError as exc:
        raise ImportError(
            f"the %%hpo magics need IPython ({exc}): pip install 'hpo_lab[notebook]'"
        ) from exc
    load(ipython)


def __getattr__(name: str) -> Any:
    # hpo_lab.panel(study_or_run) loads the notebook layer only when first used, so that
    # ``import hpo_lab`` imports neither ipywidgets nor plotly.
    if name == "panel":
        from hpo_lab.notebook._panel import panel

        return panel
    raise AttributeError(f"module 'hpo_lab' has no attribute {name!r}")


__all__ = [
    "FailReason",
    "FrozenTrial",
    "LRFinder",
    "PruneDecision",
    "Study",
    "StudyView",
    "Trial",
    "TrialInterface",
    "TrialPruned",
    "TrialState",
    "__version__",
    "create_study",
    "create_trial",
    "distributions",
    "execution",
    "load_ipython_extension",
    "load_study",
    "lr_find",
    "pbt",
    "pruners",
    "samplers",
    "storages",
    "views",
]

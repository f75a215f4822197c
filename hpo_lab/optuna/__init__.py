"""Optuna's API on hpo_lab: run code written for Optuna unchanged, and move studies across.

Three ways to point Optuna code at hpo_lab:

* ``import hpo_lab.optuna as optuna`` in new code;
* ``python -m hpo_lab.optuna script.py`` runs an existing script unchanged (``import optuna``
  and ``from optuna.terminator import ...`` inside it get hpo_lab);
* ``hpo_lab.optuna.install()`` (or ``with hpo_lab.optuna.installed():``) does the same inside a
  process, for a notebook.

The names are Optuna's (``create_study``, ``samplers``, ``pruners``, ``trial``, ``study``,
``terminator``, ``artifacts``, ``visualization``, ...); each module says where hpo_lab differs.
``create_study`` defaults to ``TPESampler`` as Optuna does, and keeps hpo_lab's default pruner
(``HyperbandPruner(rank_check=True)``; Optuna's is ``MedianPruner``). Multi-objective studies
are refused.

:func:`import_study` and :func:`export_study` move a study's history from Optuna to hpo_lab
and back (they need the real Optuna: the ``optuna`` extra).

Example:
    >>> import hpo_lab.optuna as optuna
    >>> study = optuna.create_study(direction="maximize")
    >>> study.optimize(lambda trial: -(trial.suggest_float("x", -3, 3) - 1) ** 2, n_trials=30)
    >>> study.direction == optuna.study.StudyDirection.MAXIMIZE, study.best_value > -0.5
    (True, True)
"""

from __future__ import annotations

from typing import Any

from hpo_lab import __version__
from hpo_lab.exceptions import TrialPruned
from hpo_lab.optuna import (
    artifacts,
    distributions,
    exceptions,
    importance,
    integration,
    logging,
    pruners,
    samplers,
    search_space,
    storages,
    study,
    terminator,
    trial,
)
from hpo_lab.optuna._install import install, installed, uninstall
from hpo_lab.optuna._io import export_study, import_study
from hpo_lab.optuna.study import (
    Study,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    load_study,
)
from hpo_lab.optuna.trial import Trial, create_trial

#: Tells this module from the real Optuna.
IS_HPO_LAB = True

__all__ = [
    "IS_HPO_LAB",
    "Study",
    "Trial",
    "TrialPruned",
    "__version__",
    "artifacts",
    "copy_study",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "exceptions",
    "export_study",
    "get_all_study_names",
    "import_study",
    "importance",
    "install",
    "installed",
    "integration",
    "load_study",
    "logging",
    "pruners",
    "samplers",
    "search_space",
    "storages",
    "study",
    "terminator",
    "trial",
    "uninstall",
    "visualization",
]


def __getattr__(name: str) -> Any:
    # The plots load plotly's module tree only when first used.
    if name == "visualization":
        from hpo_lab.optuna import visualization

        return visualization
    raise AttributeError(f"module 'optuna' (hpo_lab) has no attribute {name!r}")

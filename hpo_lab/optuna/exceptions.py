"""``optuna.exceptions`` on hpo_lab."""

from __future__ import annotations

from hpo_lab.exceptions import TrialPruned
from hpo_lab.storages import DuplicatedStudyError, StorageError

__all__ = [
    "DuplicatedStudyError",
    "ExperimentalWarning",
    "OptunaError",
    "StorageInternalError",
    "TrialPruned",
]

#: hpo_lab raises the standard exceptions (``ValueError``...) where Optuna raises its own.
OptunaError = Exception
#: The store could not be used.
StorageInternalError = StorageError


class ExperimentalWarning(Warning):
    """Optuna's warning for experimental features; hpo_lab never emits it."""

"""``optuna.terminator.terminator`` on hpo_lab."""

from hpo_lab.terminator import BaseTerminator, Terminator

__all__ = ["BaseTerminator", "Terminator"]

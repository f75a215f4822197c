"""``optuna.terminator.callback`` on hpo_lab."""

from hpo_lab.terminator import TerminatorCallback

__all__ = ["TerminatorCallback"]

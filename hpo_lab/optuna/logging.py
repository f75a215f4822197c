"""``optuna.logging`` on hpo_lab: the verbosity of the ``hpo_lab`` logger.

Example:
    >>> set_verbosity(WARNING)
    >>> get_verbosity() == WARNING
    True
"""

from __future__ import annotations

import logging as _logging
from logging import CRITICAL, DEBUG, ERROR, FATAL, INFO, WARN, WARNING

__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "FATAL",
    "INFO",
    "WARN",
    "WARNING",
    "disable_default_handler",
    "disable_propagation",
    "enable_default_handler",
    "enable_propagation",
    "get_logger",
    "get_verbosity",
    "set_verbosity",
]

_ROOT = "hpo_lab"


def get_logger(name: str) -> _logging.Logger:
    """A logger under hpo_lab's.

    Example:
        >>> get_logger("my.module").name
        'hpo_lab.my.module'
    """
    return _logging.getLogger(f"{_ROOT}.{name}")


def get_verbosity() -> int:
    """The level of the ``hpo_lab`` logger."""
    return _logging.getLogger(_ROOT).getEffectiveLevel()


def set_verbosity(verbosity: int) -> None:
    """Set the level of the ``hpo_lab`` logger (``optuna.logging.WARNING`` and so on)."""
    _logging.getLogger(_ROOT).setLevel(verbosity)


def disable_default_handler() -> None:
    """Nothing to do: hpo_lab installs no handler of its own."""


def enable_default_handler() -> None:
    """Nothing to do: hpo_lab installs no handler of its own."""


def disable_propagation() -> None:
    """Stop ``hpo_lab`` records from reaching the root logger."""
    _logging.getLogger(_ROOT).propagate = False


def enable_propagation() -> None:
    """Let ``hpo_lab`` records reach the root logger (the default)."""
    _logging.getLogger(_ROOT).propagate = True

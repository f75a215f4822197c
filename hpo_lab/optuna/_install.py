"""Point the name ``optuna`` at hpo_lab, so scripts written for Optuna run unchanged."""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

__all__ = ["MODULES", "install", "installed", "uninstall"]

#: Optuna's module names and the hpo_lab modules that stand in for them.
MODULES: dict[str, str] = {
    "optuna": "hpo_lab.optuna",
    "optuna.artifacts": "hpo_lab.optuna.artifacts",
    "optuna.distributions": "hpo_lab.optuna.distributions",
    "optuna.exceptions": "hpo_lab.optuna.exceptions",
    "optuna.importance": "hpo_lab.optuna.importance",
    "optuna.integration": "hpo_lab.optuna.integration",
    "optuna.logging": "hpo_lab.optuna.logging",
    "optuna.pruners": "hpo_lab.optuna.pruners",
    "optuna.samplers": "hpo_lab.optuna.samplers",
    "optuna.search_space": "hpo_lab.optuna.search_space",
    "optuna.storages": "hpo_lab.optuna.storages",
    "optuna.study": "hpo_lab.optuna.study",
    "optuna.terminator": "hpo_lab.optuna.terminator",
    "optuna.terminator.callback": "hpo_lab.optuna.terminator.callback",
    "optuna.terminator.erroreval": "hpo_lab.optuna.terminator.erroreval",
    "optuna.terminator.improvement": "hpo_lab.optuna.terminator.improvement",
    "optuna.terminator.improvement.evaluator": "hpo_lab.optuna.terminator.improvement.evaluator",
    "optuna.terminator.terminator": "hpo_lab.optuna.terminator.terminator",
    "optuna.trial": "hpo_lab.optuna.trial",
    "optuna.visualization": "hpo_lab.optuna.visualization",
}

_saved: dict[str, ModuleType | None] = {}


def install() -> None:
    """Make ``import optuna`` (and ``from optuna.x import y``) give hpo_lab's modules.

    The real Optuna, if imported, is put aside until :func:`uninstall`. Calling it twice is
    harmless.

    Example:
        >>> install()
        >>> import optuna
        >>> optuna.IS_HPO_LAB
        True
        >>> uninstall()
    """
    for name, target in MODULES.items():
        module = importlib.import_module(target)
        current = sys.modules.get(name)
        if current is module:
            continue
        _saved.setdefault(name, current)
        sys.modules[name] = module


def uninstall() -> None:
    """Undo :func:`install`: ``optuna`` names the real Optuna again (if it is installed).

    Example:
        >>> install(); uninstall()
        >>> import sys
        >>> getattr(sys.modules.get("optuna"), "IS_HPO_LAB", False)
        False
    """
    for name in MODULES:
        previous = _saved.pop(name, None)
        if previous is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """:func:`install` for the duration of a ``with`` block.

    Example:
        >>> with installed():
        ...     import optuna
        ...     study = optuna.create_study()
        >>> type(study).__module__
        'hpo_lab.study._study'
    """
    install()
    try:
        yield
    finally:
        uninstall()

"""``optuna.integration`` on hpo_lab: the integrations hpo_lab has, under Optuna's names.

``OptunaSearchCV`` is :class:`hpo_lab.sklearn.HPOSearchCV`; the pruning callbacks (PyTorch
Lightning, XGBoost, LightGBM, Keras) are looked up in :mod:`hpo_lab.integration` under their
Optuna names. What is not there says so when asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__: list[str] = []


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    where = ("hpo_lab.sklearn", "HPOSearchCV") if name == "OptunaSearchCV" else (
        "hpo_lab.integration", name
    )
    try:
        return getattr(importlib.import_module(where[0]), where[1])
    except (ImportError, AttributeError):
        raise AttributeError(
            f"optuna.integration.{name} has no hpo_lab counterpart (looked for "
            f"{where[0]}.{where[1]})"
        ) from None

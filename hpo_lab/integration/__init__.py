"""Pruning callbacks for training frameworks, with the names and arguments of Optuna's.

=====================================  ================================  =============
name                                   for                               extra
=====================================  ================================  =============
:func:`report_and_prune`               a plain (PyTorch) training loop   none
``XGBoostPruningCallback``             ``xgb.train`` / ``XGBClassifier``  ``xgboost``
``LightGBMPruningCallback``            ``lgb.train`` / ``LGBMClassifier`` ``lightgbm``
``PyTorchLightningPruningCallback``    ``lightning.pytorch.Trainer``      ``lightning``
``KerasPruningCallback``               Keras 3 ``model.fit``              ``keras``
=====================================  ================================  =============

Each framework is imported only when its callback is first used, so ``import
hpo_lab.integration`` is light; a missing framework raises an ``ImportError`` naming the
extra to install.

Example:
    >>> import hpo_lab.integration as integration
    >>> callable(integration.report_and_prune)
    True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hpo_lab.integration._loop import report_and_prune

if TYPE_CHECKING:
    from hpo_lab.integration._keras import KerasPruningCallback
    from hpo_lab.integration._lightgbm import LightGBMPruningCallback
    from hpo_lab.integration._lightning import PyTorchLightningPruningCallback
    from hpo_lab.integration._xgboost import XGBoostPruningCallback

__all__ = [
    "KerasPruningCallback",
    "LightGBMPruningCallback",
    "PyTorchLightningPruningCallback",
    "XGBoostPruningCallback",
    "report_and_prune",
]

# name -> (private module, the framework it needs, the extra that installs it)
_LAZY = {
    "XGBoostPruningCallback": ("_xgboost", "xgboost", "xgboost"),
    "LightGBMPruningCallback": ("_lightgbm", "lightgbm", "lightgbm"),
    "PyTorchLightningPruningCallback": ("_lightning", "lightning", "lightning"),
    "KerasPruningCallback": ("_keras", "keras", "keras"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'hpo_lab.integration' has no attribute {name!r}")
    module, framework, extra = _LAZY[name]
    try:
        loaded = importlib.import_module(f"hpo_lab.integration.{module}")
    except ImportError as exc:
        raise ImportError(
            f"{name} could not import {framework} ({exc}); it comes with "
            f"pip install 'hpo_lab[{extra}]'"
        ) from exc
    value = getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

"""Pruners stop unpromising trials early, from the values they report."""

from hpo_lab.pruners._base import BasePruner
from hpo_lab.pruners._nop import NopPruner

__all__ = ["BasePruner", "NopPruner"]

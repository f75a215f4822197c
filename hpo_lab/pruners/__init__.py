"""Pruners stop unpromising trials early, from the values they report."""

from hpo_lab.pruners._base import BasePruner
from hpo_lab.pruners._median import MedianPruner
from hpo_lab.pruners._nop import NopPruner
from hpo_lab.pruners._percentile import PercentilePruner

__all__ = ["BasePruner", "MedianPruner", "NopPruner", "PercentilePruner"]

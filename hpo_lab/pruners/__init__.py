"""Pruners stop unpromising trials early, from the values they report."""

from hpo_lab.pruners._base import BasePruner
from hpo_lab.pruners._factory import (
    DEFAULT_PRUNER,
    DEFAULT_PRUNER_ARGS,
    PRUNER_NAMES,
    default_pruner,
    make_pruner,
    parse_pruner_args,
)
from hpo_lab.pruners._hyperband import HyperbandPruner
from hpo_lab.pruners._median import MedianPruner
from hpo_lab.pruners._nop import NopPruner
from hpo_lab.pruners._patient import PatientPruner
from hpo_lab.pruners._percentile import PercentilePruner
from hpo_lab.pruners._rank_check import RankCheck
from hpo_lab.pruners._successive_halving import SuccessiveHalvingPruner
from hpo_lab.pruners._threshold import ThresholdPruner
from hpo_lab.pruners._wilcoxon import WilcoxonPruner
from hpo_lab.trial._decision import PruneDecision

__all__ = [
    "DEFAULT_PRUNER",
    "DEFAULT_PRUNER_ARGS",
    "PRUNER_NAMES",
    "BasePruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "PruneDecision",
    "RankCheck",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
    "WilcoxonPruner",
    "default_pruner",
    "make_pruner",
    "parse_pruner_args",
]

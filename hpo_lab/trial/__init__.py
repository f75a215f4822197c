"""Trials: the live :class:`Trial`, the interface every executor's trial shares, and the stored
record :class:`FrozenTrial`."""

from hpo_lab.trial._base import TrialBase, TrialInterface
from hpo_lab.trial._create import create_trial
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial, TrialOrigin
from hpo_lab.trial._state import FailReason, TrialState
from hpo_lab.trial._trial import Trial

__all__ = [
    "FailReason",
    "FrozenTrial",
    "PruneDecision",
    "Trial",
    "TrialBase",
    "TrialInterface",
    "TrialOrigin",
    "TrialState",
    "create_trial",
]

"""Trials: the live :class:`Trial` and its stored record :class:`FrozenTrial`."""

from hpo_lab.trial._frozen import FrozenTrial, TrialOrigin
from hpo_lab.trial._state import FailReason, TrialState
from hpo_lab.trial._trial import Trial

__all__ = ["FailReason", "FrozenTrial", "Trial", "TrialOrigin", "TrialState"]

"""Samplers propose parameter values for each trial."""

from hpo_lab.samplers._base import BaseSampler
from hpo_lab.samplers._random import RandomSampler

__all__ = ["BaseSampler", "RandomSampler"]

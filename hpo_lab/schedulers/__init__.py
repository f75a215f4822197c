"""Schedulers decide what a run starts next: a fresh trial, or one that continues another
trial from its checkpoint (population-based training)."""

from hpo_lab.schedulers._base import BaseScheduler, Launch

__all__ = ["BaseScheduler", "Launch"]

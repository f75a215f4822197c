"""Samplers propose parameter values for each trial."""

from hpo_lab.samplers._auto import AutoSampler
from hpo_lab.samplers._base import BaseSampler
from hpo_lab.samplers._gp import GPSampler
from hpo_lab.samplers._grid import GridSampler
from hpo_lab.samplers._qmc import QMCSampler
from hpo_lab.samplers._random import RandomSampler
from hpo_lab.samplers._tpe import TPESampler

__all__ = [
    "AutoSampler",
    "BaseSampler",
    "GPSampler",
    "GridSampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
]

"""Samplers propose parameter values for each trial."""

from hpo_lab.samplers._auto import AutoSampler
from hpo_lab.samplers._base import PROPOSED_BY_ATTR, BaseSampler
from hpo_lab.samplers._cmaes import CmaEsSampler
from hpo_lab.samplers._factory import SAMPLER_NAMES, make_sampler
from hpo_lab.samplers._gp import GPSampler
from hpo_lab.samplers._grid import GridSampler
from hpo_lab.samplers._multifidelity import MultiFidelitySampler
from hpo_lab.samplers._qmc import QMCSampler
from hpo_lab.samplers._random import RandomSampler
from hpo_lab.samplers._tpe import TPESampler

__all__ = [
    "PROPOSED_BY_ATTR",
    "SAMPLER_NAMES",
    "AutoSampler",
    "BaseSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "MultiFidelitySampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
    "make_sampler",
]

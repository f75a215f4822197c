"""Gaussian-process Bayesian optimization: numpy/scipy algorithms and the sampler adapter."""

from hpo_lab.samplers._gp._sampler import GPSampler

__all__ = ["GPSampler"]

"""Tree-structured Parzen estimator: the numpy estimator and the sampler adapter."""

from hpo_lab.samplers._tpe._parzen import Dimension, ParzenEstimator, default_weights
from hpo_lab.samplers._tpe._sampler import TPESampler, default_gamma

__all__ = ["Dimension", "ParzenEstimator", "TPESampler", "default_gamma", "default_weights"]

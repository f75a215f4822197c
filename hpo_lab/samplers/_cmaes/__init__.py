"""CMA-ES: the numpy evolution strategy (``_cma``) and the sampler adapter."""

from hpo_lab.samplers._cmaes._sampler import CmaEsSampler

__all__ = ["CmaEsSampler"]

"""The learning-rate finder: Smith's range test, for PyTorch or any training step, whose
suggestion narrows a study's learning-rate range in one step (``finder.narrow(study)``)."""

from hpo_lab.lr_finder._core import (
    cap_at_start,
    diverged,
    lr_ramp,
    smooth_losses,
    suggest,
    zero_phase,
)
from hpo_lab.lr_finder._finder import LRFinder, lr_find

__all__ = [
    "LRFinder",
    "cap_at_start",
    "diverged",
    "lr_find",
    "lr_ramp",
    "smooth_losses",
    "suggest",
    "zero_phase",
]

"""The learning-rate finder: Smith's range test, for PyTorch or any training step, whose
suggestion narrows a study's learning-rate range in one step (``finder.narrow(study)``)."""

from hpo_lab.lr_finder._core import diverged, lr_ramp, smooth_losses, suggest
from hpo_lab.lr_finder._finder import LRFinder, lr_find

__all__ = ["LRFinder", "diverged", "lr_find", "lr_ramp", "smooth_losses", "suggest"]

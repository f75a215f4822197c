"""``optuna.terminator.improvement.evaluator`` on hpo_lab."""

from hpo_lab.terminator import (
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
    RegretBoundEvaluator,
)
from hpo_lab.terminator._improvement import DEFAULT_MIN_N_TRIALS as DEFAULT_MIN_N_TRIALS

__all__ = [
    "BaseImprovementEvaluator",
    "BestValueStagnationEvaluator",
    "RegretBoundEvaluator",
]

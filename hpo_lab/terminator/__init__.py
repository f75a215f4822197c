"""When to stop a study: the room left for improvement against the objective's noise.

``Terminator`` compares an improvement evaluator (a Gaussian-process regret bound, or a count
of trials since the best value last moved) with an error evaluator (the spread of the best
trial's cross-validation scores, or a constant); ``TerminatorCallback`` stops ``optimize``
when the first falls below the second, and ``Terminator.estimate(view)`` reports the same
without raising, for a panel or a progress line. The names and arguments are Optuna's
(``optuna.terminator``), so its callbacks and evaluators plug in.
"""

from hpo_lab.terminator._error import (
    BaseErrorEvaluator,
    CrossValidationErrorEvaluator,
    StaticErrorEvaluator,
    report_cross_validation_scores,
)
from hpo_lab.terminator._improvement import (
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
    RegretBoundEvaluator,
)
from hpo_lab.terminator._terminator import (
    BaseTerminator,
    ImprovementHistory,
    TerminationEstimate,
    Terminator,
    TerminatorCallback,
    improvement_history,
)

__all__ = [
    "BaseErrorEvaluator",
    "BaseImprovementEvaluator",
    "BaseTerminator",
    "BestValueStagnationEvaluator",
    "CrossValidationErrorEvaluator",
    "ImprovementHistory",
    "RegretBoundEvaluator",
    "StaticErrorEvaluator",
    "TerminationEstimate",
    "Terminator",
    "TerminatorCallback",
    "improvement_history",
    "report_cross_validation_scores",
]

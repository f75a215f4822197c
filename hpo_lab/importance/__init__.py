"""Parameter importance: which parameters explain the objective's variation.

The evaluator is fANOVA (Hutter, Hoos and Leyton-Brown, 2014) on a random forest grown in
numpy (:func:`fanova_importances`, which knows nothing of studies);
:func:`get_param_importances` adapts a study to it. Importances sum to 1; bootstrap intervals
come on request (``intervals=True``).

Example:
    >>> import hpo_lab
    >>> from hpo_lab.importance import get_param_importances
    >>> s = hpo_lab.create_study()
    >>> s.optimize(lambda t: t.suggest_float("x", 0, 1) + 0 * t.suggest_int("k", 0, 3),
    ...            n_trials=40)
    >>> next(iter(get_param_importances(s)))
    'x'
"""

from hpo_lab.importance._evaluator import (
    ImportanceResult,
    get_param_importances,
    importance_inputs,
)
from hpo_lab.importance._fanova import FanovaResult, fanova_importances

__all__ = [
    "FanovaResult",
    "ImportanceResult",
    "fanova_importances",
    "get_param_importances",
    "importance_inputs",
]

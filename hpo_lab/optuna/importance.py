"""``optuna.importance`` on hpo_lab (fANOVA on a numpy random forest)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hpo_lab.importance import get_param_importances as _importances
from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["get_param_importances"]


def get_param_importances(
    study: Any,
    *,
    evaluator: Any = None,
    params: Sequence[str] | None = None,
    target: Callable[[FrozenTrial], float] | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Importance of each parameter, most important first (Optuna's signature; hpo_lab's
    fANOVA evaluator is used whatever ``evaluator`` is given).

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1) + 0 * t.suggest_int("k", 0, 3),
        ...            n_trials=30)
        >>> next(iter(get_param_importances(s)))
        'x'
    """
    return _importances(study, params=params, target=target, normalize=normalize)

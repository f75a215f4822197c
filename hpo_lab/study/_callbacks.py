"""Callbacks for :meth:`Study.optimize` and background runs."""

from __future__ import annotations

import numbers
from collections.abc import Container
from typing import TYPE_CHECKING

from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.study._study import Study

__all__ = ["MaxTrialsCallback"]


class MaxTrialsCallback:
    """Stop the study once it holds ``n_trials`` trials in ``states``, counted in the store.

    Unlike ``optimize(n_trials=...)``, which counts the trials of one call, this counts every
    trial of the study, so several processes (or several runs of a script) sharing a SQLite
    file stop together at one total. Optuna's ``MaxTrialsCallback``.

    Args:
        n_trials: The total to stop at.
        states: The states that count (default: every finished state, ``COMPLETE``, ``PRUNED``
            and ``FAIL``); ``None`` counts every trial, running ones included.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> stop = MaxTrialsCallback(3, states=(hpo_lab.TrialState.COMPLETE,))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10, callbacks=[stop])
        >>> len(study.trials)
        3
    """

    def __init__(
        self,
        n_trials: int,
        states: Container[TrialState] | None = (
            TrialState.COMPLETE,
            TrialState.PRUNED,
            TrialState.FAIL,
        ),
    ) -> None:
        if isinstance(n_trials, bool) or not isinstance(n_trials, numbers.Integral) or n_trials < 0:
            raise ValueError(f"n_trials must be an int >= 0, but got n_trials={n_trials!r}")
        self._n_trials: int = int(n_trials)
        self._states: Container[TrialState] | None = states

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        """Count the study's trials in the store and stop it at the total."""
        n = len(study.get_trials(deepcopy=False, states=self._states))
        if n >= self._n_trials:
            study.stop()

    def __repr__(self) -> str:
        return f"MaxTrialsCallback(n_trials={self._n_trials}, states={self._states!r})"

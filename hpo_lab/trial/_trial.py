"""The live trial an objective receives (define-by-run, Optuna-compatible signatures)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from hpo_lab.distributions import dict_to_distribution
from hpo_lab.trial._base import TrialBase
from hpo_lab.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from hpo_lab.study._study import Study

__all__ = ["Trial"]


class Trial(TrialBase):
    """One evaluation of the objective; declares its parameters as it runs.

    Created by :meth:`Study.ask` (or by ``optimize``); not meant to be built directly. The
    methods an objective calls are documented on :class:`~hpo_lab.trial.TrialBase`, shared with
    the trial proxy of worker processes.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> trial = study.ask()
        >>> x = trial.suggest_float("x", -10, 10)
        >>> trial.suggest_float("x", -10, 10) == x   # same name, same value
        True
        >>> _ = study.tell(trial, x ** 2)
    """

    def __init__(
        self,
        study: Study,
        frozen: FrozenTrial,
        relative_params: dict[str, Any],
        relative_space: dict[str, Any],
    ) -> None:
        self._study = study
        self._frozen = frozen
        self._relative_params = relative_params
        self._relative_space = relative_space
        self._fixed: dict[str, Any] = dict(frozen.system_attrs.get("fixed_params") or {})

    @property
    def study(self) -> Study:
        """The study this trial belongs to."""
        return self._study

    # -- primitives ----------------------------------------------------------------------------
    def _suggest(self, name: str, declared: dict[str, Any]) -> Any:
        self._frozen = self._study._suggest(
            self._frozen, name, dict_to_distribution(declared), self._fixed, self._relative_params,
            self._relative_space,
        )
        return self._frozen.params[name]

    def _report(self, step: int, value: float) -> None:
        self._frozen = self._study._report(self._frozen, step, value)

    def _should_prune(self) -> bool:
        prune, self._frozen = self._study._should_prune(self._frozen)
        return prune

    def _set_attr(self, key: str, value: Any, system: bool) -> None:
        self._frozen = self._study._set_trial_attr(self._frozen, key, value, system)

    def _checkpoint_dirs(self) -> dict[str, str | None]:
        return self._study._checkpoint_dirs(self._frozen)

    def _checkpoint_put(self, data: str) -> None:
        self._study._checkpoint_put(self._frozen, base64.b64decode(data))

    def _checkpoint_get(self, which: str, exists_only: bool) -> str | None:
        data = self._study._checkpoint_get(self._frozen, which)
        if data is None:
            return None
        return "" if exists_only else base64.b64encode(data).decode("ascii")

    def _checkpoint_saved(self, size: int) -> None:
        self._study._checkpoint_saved(self._frozen, size)

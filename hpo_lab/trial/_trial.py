"""The live trial an objective receives (define-by-run, Optuna-compatible signatures)."""

from __future__ import annotations

import contextlib
import datetime
import numbers
import warnings
from collections.abc import Container, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from hpo_lab.distributions import (
    CategoricalChoice,
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
    check_compatible,
)
from hpo_lab.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from hpo_lab.study._study import Study

__all__ = ["OldOptunaSpellings", "Trial", "check_report"]


@contextlib.contextmanager
def _naming(name: str) -> Iterator[None]:
    # A bad range passed to suggest_* should say which parameter it was for.
    try:
        yield
    except ValueError as exc:
        raise ValueError(f"parameter {name!r}: {exc}") from None


class OldOptunaSpellings:
    """``suggest_uniform`` and friends, which Optuna has deprecated but old objectives call.

    Shared by :class:`Trial` and the worker-side trial proxy; both provide ``suggest_float``.
    """

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        raise NotImplementedError

    def suggest_uniform(self, name: str, low: float, high: float) -> float:
        """Old Optuna spelling of ``suggest_float(name, low, high)``."""
        return self.suggest_float(name, low, high)

    def suggest_loguniform(self, name: str, low: float, high: float) -> float:
        """Old Optuna spelling of ``suggest_float(name, low, high, log=True)``."""
        return self.suggest_float(name, low, high, log=True)

    def suggest_discrete_uniform(self, name: str, low: float, high: float, q: float) -> float:
        """Old Optuna spelling of ``suggest_float(name, low, high, step=q)``."""
        return self.suggest_float(name, low, high, step=q)


def check_report(
    number: int, value: Any, step: Any, reported: Container[int]
) -> tuple[int, float] | None:
    """Check the arguments of ``trial.report(value, step)``.

    Returns ``(step, value)`` as int and float, or ``None`` (after a warning, as in Optuna)
    when ``step`` is in ``reported`` already. Bad arguments raise.

    Example:
        >>> check_report(0, 0.5, 3, set())
        (3, 0.5)
    """
    if isinstance(step, bool) or not isinstance(step, numbers.Integral) or step < 0:
        raise ValueError(f"step must be a non-negative int, but got step={step!r}")
    if isinstance(value, (bool, str)) or value is None:
        raise TypeError(f"report takes a number, but got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"report takes a number, but got {value!r}") from None
    if int(step) in reported:
        warnings.warn(
            f"trial {number} already reported step {int(step)}; the new value {v} is ignored",
            UserWarning,
            stacklevel=3,  # the objective's call to report()
        )
        return None
    return int(step), v


class Trial(OldOptunaSpellings):
    """One evaluation of the objective; declares its parameters as it runs.

    Created by :meth:`Study.ask` (or by ``optimize``); not meant to be built directly.

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
        relative_space: dict[str, Distribution],
    ) -> None:
        self._study = study
        self._frozen = frozen
        self._relative_params = relative_params
        self._relative_space = relative_space
        self._fixed: dict[str, Any] = dict(frozen.system_attrs.get("fixed_params") or {})

    # -- identity ------------------------------------------------------------------------------
    @property
    def number(self) -> int:
        """The trial's number in its study (from 0)."""
        return self._frozen.number

    @property
    def trial_id(self) -> int:
        """The store's id of the trial."""
        return self._frozen.trial_id

    @property
    def study(self) -> Study:
        """The study this trial belongs to."""
        return self._study

    @property
    def params(self) -> dict[str, Any]:
        """Parameters suggested so far."""
        return dict(self._frozen.params)

    @property
    def distributions(self) -> dict[str, Distribution]:
        """The declared distribution of each parameter suggested so far."""
        return dict(self._frozen.distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        """Attributes set with :meth:`set_user_attr`."""
        return dict(self._frozen.user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """Attributes the library records for this trial."""
        return dict(self._frozen.system_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        """When the trial started."""
        return self._frozen.datetime_start

    @property
    def revision(self) -> int:
        """The search-space revision the trial was asked under."""
        return self._frozen.revision

    @property
    def relative_params(self) -> dict[str, Any]:
        """Values proposed jointly by the sampler at the start of the trial."""
        return dict(self._relative_params)

    def freeze(self) -> FrozenTrial:
        """The trial's current stored record."""
        return self._frozen

    # -- suggestions ---------------------------------------------------------------------------
    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        """Suggest a float in ``[low, high]``.

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> 1e-5 <= t.suggest_float("lr", 1e-5, 1e-1, log=True) <= 1e-1
            True
        """
        with _naming(name):
            declared = FloatDistribution(low, high, log=log, step=step)
        return float(self._suggest(name, declared))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """Suggest an integer in ``[low, high]``.

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> t.suggest_int("layers", 1, 4) in range(1, 5)
            True
        """
        with _naming(name):
            declared = IntDistribution(low, high, log=log, step=step)
        return int(self._suggest(name, declared))

    def suggest_categorical(
        self, name: str, choices: Sequence[CategoricalChoice]
    ) -> Any:
        """Suggest one of ``choices``.

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> t.suggest_categorical("opt", ["adam", "sgd"]) in ("adam", "sgd")
            True
        """
        with _naming(name):
            declared = CategoricalDistribution(tuple(choices))
        return self._suggest(name, declared)

    def _suggest(self, name: str, declared: Distribution) -> Any:
        if not isinstance(name, str) or not name:
            raise ValueError(f"parameter name must be a non-empty str, but got {name!r}")
        frozen = self._frozen
        if name in frozen.params:
            check_compatible(name, frozen.distributions[name], declared)
            return frozen.params[name]
        study = self._study
        effective = study._revision(frozen.revision).effective(name, declared)
        if name in self._fixed:
            value = self._fixed[name]
            if not declared.contains(value):
                raise ValueError(
                    f"the enqueued value {name}={value!r} lies outside {declared!r}"
                )
        elif name in self._relative_params and self._relative_space.get(name) == declared:
            value = self._relative_params[name]
        else:
            value = study.sampler.sample_independent(study.view, frozen, name, effective)
        if not (effective.contains(value) or (name in self._fixed and declared.contains(value))):
            raise RuntimeError(
                f"{type(study.sampler).__name__} proposed {name}={value!r}, outside {effective!r}"
            )
        value = declared.to_external(declared.to_internal(value))
        self._frozen = study._storage.set_trial_param(frozen.trial_id, name, value, declared)
        return value

    # -- reports and pruning ---------------------------------------------------------------------
    def report(self, value: float, step: int) -> None:
        """Record an intermediate value (for example a validation loss after an epoch).

        A second report of the same step is ignored with a warning, as in Optuna.

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> t.report(0.5, step=0)
            >>> t.freeze().intermediate_values
            {0: 0.5}
        """
        checked = check_report(self.number, value, step, self._frozen.intermediate_values)
        if checked is not None:
            # NaN is stored as reported: pruners treat it as the worst value.
            self._frozen = self._study._report(self._frozen, *checked)

    def should_prune(self) -> bool:
        """Whether the study's pruner says to stop this trial now.

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> t.should_prune()
            False
        """
        return bool(self._study.pruner.prune(self._study.view, self._frozen))

    def set_user_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value with the trial (a metric, a path, ...).

        Example:
            >>> import hpo_lab
            >>> t = hpo_lab.create_study().ask()
            >>> t.set_user_attr("accuracy", 0.93)
            >>> t.user_attrs
            {'accuracy': 0.93}
        """
        self._study._storage.set_trial_attr(self._frozen.trial_id, key, value)
        self._frozen = self._study._storage.get_trial(self._frozen.trial_id)

    def set_system_attr(self, key: str, value: Any) -> None:
        """Store a library-level attribute (used by the notebook layer)."""
        self._study._storage.set_trial_attr(self._frozen.trial_id, key, value, system=True)
        self._frozen = self._study._storage.get_trial(self._frozen.trial_id)

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._frozen.params!r})"

"""What code written for Optuna sees as ``study``: a read-only study view in Optuna's shape.

hpo_lab hands samplers and pruners a :class:`~hpo_lab.views.StudyView`; a sampler or pruner
written for Optuna expects an ``optuna.Study`` (``study.trials``, ``get_trials(deepcopy,
states)``, ``study.direction == StudyDirection.MINIMIZE``, ``best_trial``...). The subclasses
of :class:`hpo_lab.optuna.samplers.BaseSampler` and :class:`hpo_lab.optuna.pruners.BasePruner`
wrap each method they define so that its ``study`` argument is an :class:`OptunaStudyView`
over the view; the view's own methods stay available for hpo_lab samplers called through it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Container, Mapping
from typing import Any, TypeVar

from hpo_lab.search_space._revision import SpaceRevision
from hpo_lab.study._direction import StudyDirection
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState
from hpo_lab.views._protocol import StudyView

__all__ = ["OptunaStudyView", "as_optuna_study", "wrap_study_argument"]

F = TypeVar("F", bound=Callable[..., Any])


class OptunaStudyView:
    """A :class:`~hpo_lab.views.StudyView` that also reads like an ``optuna.Study``.

    ``trials`` and ``get_trials()`` give the study's own trials (as in Optuna; warm-start
    observations are in :attr:`inherited_trials`), ``direction`` is a
    :class:`~hpo_lab.study.StudyDirection`, and ``best_trial``, ``best_value``,
    ``best_params`` and ``directions`` are there. Nothing can be written through it.

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.study import StudyDirection
        >>> study = hpo_lab.create_study(direction="maximize")
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> view = as_optuna_study(study.view)
        >>> view.direction == StudyDirection.MAXIMIZE, len(view.trials)
        (True, 3)
    """

    __slots__ = ("_view",)

    def __init__(self, view: StudyView) -> None:
        self._view = view

    # -- Optuna's study ------------------------------------------------------------------------
    @property
    def study_name(self) -> str:
        """The study's name."""
        return self._view.study_name

    @property
    def direction(self) -> StudyDirection:
        """The direction, equal to both ``"minimize"`` and ``StudyDirection.MINIMIZE``."""
        return StudyDirection(self._view.direction)

    @property
    def directions(self) -> list[StudyDirection]:
        """``[direction]``: hpo_lab studies have one objective."""
        return [self.direction]

    def get_trials(
        self,
        deepcopy: Any = True,
        states: Container[TrialState] | None = None,
        *,
        include_inherited: bool | None = None,
    ) -> list[FrozenTrial]:
        """Optuna's ``get_trials(deepcopy=True, states=None)``: own trials by number.

        Called the hpo_lab way (``get_trials(states, include_inherited=...)``, as an hpo_lab
        sampler used inside an Optuna-style one does), it answers as the view does.
        """
        if not isinstance(deepcopy, bool):  # the view's signature: the first argument is states
            states, deepcopy = deepcopy, False
        if include_inherited is not None:
            return self._view.get_trials(states, include_inherited=include_inherited)
        trials = self._view.get_trials(states, include_inherited=False)
        return [t.copy() for t in trials] if deepcopy else trials

    def _get_trials(
        self,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
        use_cache: bool = False,
    ) -> list[FrozenTrial]:
        # Optuna's private spelling, which some published samplers call.
        return self.get_trials(deepcopy, states)

    @property
    def trials(self) -> list[FrozenTrial]:
        """The study's own trials, as copies."""
        return self.get_trials(True)

    @property
    def inherited_trials(self) -> list[FrozenTrial]:
        """Warm-start observations from the parent studies (``origin`` set)."""
        return [t for t in self._view.get_trials() if t.origin is not None]

    @property
    def best_trial(self) -> FrozenTrial:
        """The COMPLETE own trial with the best value; ``ValueError`` if there is none."""
        complete = [
            t for t in self._view.get_trials((TrialState.COMPLETE,), include_inherited=False)
            if t.value is not None
        ]
        if not complete:
            raise ValueError(f"study {self.study_name!r} has no COMPLETE trial yet")
        pick = max if self._view.direction == "maximize" else min
        return pick(complete, key=lambda t: float(t.value)).copy()  # type: ignore[arg-type]

    @property
    def best_value(self) -> float:
        """The best value so far."""
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        """The parameters of the best trial."""
        return dict(self.best_trial.params)

    @property
    def user_attrs(self) -> dict[str, Any]:
        """Not visible to samplers in hpo_lab: always empty."""
        return {}

    def _is_multi_objective(self) -> bool:
        return False

    # -- the StudyView contract, for hpo_lab samplers called through this object -------------
    @property
    def system_attrs(self) -> Mapping[str, Any]:
        """Study-level values the library keeps."""
        return self._view.system_attrs

    @property
    def cursor(self) -> int:
        """The store cursor the trials reflect."""
        return self._view.cursor

    @property
    def search_space_history(self) -> list[SpaceRevision]:
        """Every revision of the search space."""
        return self._view.search_space_history

    def revision(self, number: int) -> SpaceRevision:
        """One revision by number."""
        return self._view.revision(number)

    @property
    def current_revision(self) -> SpaceRevision:
        """The revision new trials are asked under."""
        return self._view.current_revision

    def snapshot(self) -> OptunaStudyView:
        """A pinned copy of this view."""
        return OptunaStudyView(self._view.snapshot())

    def __repr__(self) -> str:
        return f"OptunaStudyView(study_name={self.study_name!r}, direction={self.direction!r})"


def as_optuna_study(view: Any) -> Any:
    """``view`` as an :class:`OptunaStudyView` (anything else is returned as it is).

    Example:
        >>> import hpo_lab
        >>> type(as_optuna_study(hpo_lab.create_study().view)).__name__
        'OptunaStudyView'
    """
    if isinstance(view, OptunaStudyView) or not isinstance(view, StudyView):
        return view
    return OptunaStudyView(view)


def wrap_study_argument(method: F, *, values_argument: bool = False) -> F:
    """``method(self, study, ...)`` with ``study`` passed through :func:`as_optuna_study`;
    with ``values_argument``, an ``after_trial``-style ``value`` becomes Optuna's ``values``
    list.

    Example:
        >>> class Probe:
        ...     @functools.partial(wrap_study_argument)
        ...     def seen(self, study):
        ...         return type(study).__name__
        >>> import hpo_lab
        >>> Probe().seen(hpo_lab.create_study().view)
        'OptunaStudyView'
    """
    if getattr(method, "_hpo_lab_optuna_wrapped", False):
        return method

    @functools.wraps(method)
    def wrapper(self: Any, study: Any, *args: Any, **kwargs: Any) -> Any:
        if values_argument and len(args) == 3 and not isinstance(args[2], (list, tuple)):
            value = args[2]
            args = (args[0], args[1], None if value is None else [value])
        return method(self, as_optuna_study(study), *args, **kwargs)

    wrapper._hpo_lab_optuna_wrapped = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]

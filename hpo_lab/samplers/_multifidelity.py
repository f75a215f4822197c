"""Model-based multi-fidelity sampling (model-based Hyperband, in the spirit of BOHB).

With successive halving or Hyperband most trials stop at a low rung; a sampler that models only
COMPLETE trials learns from few of them, late. This wrapper shows its base sampler the study
*at one resource level*: the highest rung resource where enough trials have a value, each
trial's value there standing in for its objective value. Cheap low-rung results thus guide the
proposals instead of being thrown away, and the model moves up to higher rungs as they fill.

Falkner, Klein and Hutter, "BOHB: Robust and Efficient Hyperparameter Optimization at Scale",
ICML 2018, section 3.1 (the model is fitted on the largest budget with enough observations).
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

from hpo_lab import _validation
from hpo_lab.distributions import Distribution
from hpo_lab.samplers._base import BaseSampler
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState
from hpo_lab.views._trials import TrialsView, derived_view

if TYPE_CHECKING:
    from hpo_lab.views._protocol import StudyView

__all__ = ["MultiFidelitySampler", "fidelity_levels", "view_at_resource"]

_UNFINISHED = (TrialState.RUNNING, TrialState.WAITING)


def _value_at(trial: FrozenTrial, resource: int) -> float | None:
    last = trial.last_step
    if last is None or last < resource:
        return None
    v = trial.intermediate_values.get(resource)
    if v is not None:
        return v
    return trial.intermediate_values[min(s for s in trial.intermediate_values if s >= resource)]


def fidelity_levels(view: StudyView) -> list[int]:
    """The rung resources that the study's pruner has decided at (from the recorded decisions),
    in increasing order.

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.pruners import SuccessiveHalvingPruner
        >>> study = hpo_lab.create_study(pruner=SuccessiveHalvingPruner(1, 3))
        >>> def objective(trial):
        ...     for step in range(1, 10):
        ...         trial.report(trial.suggest_float("x", 0, 1) / step, step)
        ...         if trial.should_prune():
        ...             raise hpo_lab.TrialPruned()
        ...     return 0.0
        >>> study.optimize(objective, n_trials=5)
        >>> fidelity_levels(study.view)
        [1, 3, 9]
    """
    levels: set[int] = set()
    for t in view.get_trials(include_inherited=False):
        for d in t.decisions:
            if d.resource is not None:
                levels.add(int(d.resource))
    return sorted(levels)


def view_at_resource(view: StudyView, resource: int) -> TrialsView:
    """``view`` as if the objective were the value at ``resource``: a trial that reported at
    or past it is COMPLETE with that value (whatever its state), an unfinished one that did not
    is RUNNING, a finished one that stopped before it is PRUNED (so samplers that rank pruned
    trials, like TPE, still learn it was worse) and FAIL stays FAIL. The study name gets
    ``@<resource>`` appended, so samplers keep per-level state apart.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> from hpo_lab.views import TrialsView
        >>> a = FrozenTrial(0, TrialState.PRUNED, intermediate_values={1: 0.7, 3: 0.6})
        >>> b = FrozenTrial(1, TrialState.PRUNED, intermediate_values={1: 0.9})
        >>> level = view_at_resource(TrialsView("s", "minimize", [a, b]), 3)
        >>> level.study_name, [(t.state.value, t.value) for t in level.get_trials()]
        ('s@3', [('COMPLETE', 0.6), ('PRUNED', None)])
    """

    def at_level(t: FrozenTrial) -> FrozenTrial:
        v = _value_at(t, resource)
        if v is not None:
            return t.replace(state=TrialState.COMPLETE, value=v)
        if t.state in _UNFINISHED or t.state == TrialState.FAIL:
            return t
        return t.replace(state=TrialState.PRUNED, value=None)

    snap = view.snapshot()
    own = [at_level(t) for t in snap.get_trials(include_inherited=False)]
    inherited = [at_level(t) for t in snap.get_trials() if t.origin is not None]
    return derived_view(
        snap, own, inherited, study_name=f"{snap.study_name}@{resource}", _sorted=True
    )


def _count_at(trials: list[FrozenTrial], resource: int) -> int:
    n = 0
    for t in trials:
        v = _value_at(t, resource)
        if v is not None and not math.isnan(v):
            n += 1
    return n


class MultiFidelitySampler(BaseSampler):
    """Model-based Hyperband: a base sampler (default :class:`AutoSampler`) that models the
    highest resource level with enough observations.

    When a trial is asked, the levels are the rung resources the study's pruner has decided at
    (any rung-based pruner: :class:`~hpo_lab.pruners.SuccessiveHalvingPruner`,
    :class:`~hpo_lab.pruners.HyperbandPruner`), plus the full resource (COMPLETE trials). The
    base sampler sees the highest level with at least ``min_observations`` values, through
    :func:`view_at_resource`; with no rung pruner, or once enough trials have completed, it sees
    the study itself. The level is chosen once per trial, from the history at ask time.

    Args:
        base: The sampler that models each level (default ``AutoSampler(seed=seed)``).
        seed: Seed of the default base sampler.
        min_observations: Values a level needs before it is modelled (default 10, the
            default samplers' start-up).

    ``copy.deepcopy`` and ``pickle`` copy the base sampler; the copy proposes what the original
    would.

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.pruners import SuccessiveHalvingPruner
        >>> study = hpo_lab.create_study(
        ...     sampler=MultiFidelitySampler(seed=0), pruner=SuccessiveHalvingPruner(1, 3))
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -3, 3)
        ...     for epoch in range(1, 10):
        ...         trial.report((x - 1) ** 2 + 1 / epoch, epoch)
        ...         if trial.should_prune():
        ...             raise hpo_lab.TrialPruned()
        ...     return (x - 1) ** 2
        >>> study.optimize(objective, n_trials=40)
        >>> abs(study.best_params["x"] - 1) < 0.3
        True
    """

    def __init__(
        self,
        base: BaseSampler | None = None,
        *,
        seed: int | None = None,
        min_observations: int = 10,
    ) -> None:
        if base is not None and not isinstance(base, BaseSampler):
            raise ValueError(f"base must be a sampler or None, but got base={base!r}")
        if base is None:
            from hpo_lab.samplers._auto import AutoSampler

            base = AutoSampler(seed=seed)
        self._base = base
        self._min_observations = _validation.check_int("min_observations", min_observations, 1)
        self._lock = threading.Lock()
        # (study name, trial id) -> the view the base sampler sees for that trial.
        self._views: dict[tuple[str, int], StudyView] = {}

    @property
    def base(self) -> BaseSampler:
        """The sampler that models each level."""
        return self._base

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_views")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._views = {}

    def reseed_rng(self, seed: int | None = None) -> None:
        self._base.reseed_rng(seed)

    def level(self, view: StudyView) -> int | None:
        """The resource the next trial's proposals model (``None``: the full resource, i.e.
        the study itself).

        Example:
            >>> import hpo_lab
            >>> MultiFidelitySampler().level(hpo_lab.create_study().view) is None
            True
        """
        trials = view.get_trials()
        complete = sum(
            1 for t in trials
            if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
        )
        if complete >= self._min_observations:
            return None
        for resource in reversed(fidelity_levels(view)):
            if _count_at(trials, resource) >= self._min_observations:
                return resource
        return None

    def _view_for(self, view: StudyView, trial: FrozenTrial) -> StudyView:
        key = (view.study_name, trial.trial_id)
        with self._lock:
            found = self._views.get(key)
        if found is not None:
            return found
        resource = self.level(view)
        chosen: StudyView = view if resource is None else view_at_resource(view, resource)
        with self._lock:
            if len(self._views) > 256:  # trials asked but never finished through this object
                self._views.clear()
            return self._views.setdefault(key, chosen)

    def before_trial(self, view: StudyView, trial: FrozenTrial) -> None:
        self._base.before_trial(self._view_for(view, trial), trial)

    def infer_relative_search_space(
        self, view: StudyView, trial: FrozenTrial
    ) -> dict[str, Distribution]:
        return self._base.infer_relative_search_space(self._view_for(view, trial), trial)

    def sample_relative(
        self, view: StudyView, trial: FrozenTrial, search_space: dict[str, Distribution]
    ) -> dict[str, Any]:
        return self._base.sample_relative(self._view_for(view, trial), trial, search_space)

    def sample_independent(
        self, view: StudyView, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        return self._base.sample_independent(
            self._view_for(view, trial), trial, name, distribution
        )

    def after_trial(
        self, view: StudyView, trial: FrozenTrial, state: TrialState, value: float | None
    ) -> None:
        with self._lock:
            seen = self._views.pop((view.study_name, trial.trial_id), None)
        # The base sampler keyed what it kept for the trial by the name of the view it saw.
        self._base.after_trial(seen if seen is not None else view, trial, state, value)

    def is_exhausted(self, view: StudyView) -> bool:
        return self._base.is_exhausted(view)

    def __repr__(self) -> str:
        return (
            f"MultiFidelitySampler({self._base!r}, min_observations={self._min_observations})"
        )

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
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hpo_lab import _validation
from hpo_lab.distributions import Distribution
from hpo_lab.samplers._base import PROPOSED_BY_ATTR, BaseSampler
from hpo_lab.samplers._gp._fidelity import FidelityGPSampler
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState
from hpo_lab.views._trials import TrialsView, derived_view

if TYPE_CHECKING:
    from hpo_lab.views._protocol import StudyView

__all__ = ["MultiFidelitySampler", "fidelity_levels", "view_at_resource"]

_UNFINISHED = (TrialState.RUNNING, TrialState.WAITING)
_MODELS = ("joint", "level")


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
    """Model-based Hyperband: proposals from a model of the values at every rung, not only of
    the trials that ran to the end.

    The levels are the rung resources the study's pruner has decided at (any rung-based
    pruner: :class:`~hpo_lab.pruners.SuccessiveHalvingPruner`,
    :class:`~hpo_lab.pruners.HyperbandPruner`), plus the full resource (COMPLETE trials). Two
    models are offered:

    - ``model="joint"`` (the default without a ``base``): one GP over the parameters *and the
      resource* (:class:`~hpo_lab.samplers._gp._fidelity.FidelityGPSampler`), fitted on every
      rung value of COMPLETE and PRUNED trials and maximizing expected improvement at the full
      resource. The resource's length scale is fitted: where early values predict final ones
      it is long and every cheap rung informs the proposals; where curves cross it is short
      and they count little. It is used where ``AutoSampler`` would use it (its rule 3, from
      the ``base`` if that is an ``AutoSampler``): the space suits a GP (flat, at most
      ``max_gp_dims`` parameters, not a large all-categorical space), fewer than
      ``max_gp_trials`` trials are COMPLETE and fewer than five times that have finished;
      otherwise, and with no rung pruner, the ``"level"`` rule applies.
    - ``model="level"`` (the default with a ``base``): BOHB's rule. The base sampler sees the
      highest level with at least ``min_observations`` values, through
      :func:`view_at_resource`; once enough trials have completed, it sees the study itself.

    Either way the choice is made once per trial, from the history at ask time.

    Args:
        base: The sampler for the ``"level"`` rule (default
            ``AutoSampler(seed=seed, multi_fidelity=False)``).
        seed: Seed of the default base sampler and of the joint model.
        min_observations: Values a level needs before it is modelled, and finished trials the
            joint model needs (default 10, the default samplers' start-up).
        model: ``"joint"`` or ``"level"``; by default ``"joint"`` unless a ``base`` is given
            (a base sampler is there to model the levels).

    ``copy.deepcopy`` and ``pickle`` copy the inner samplers; the copy proposes what the
    original would.

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
        model: str | None = None,
    ) -> None:
        if base is not None and not isinstance(base, BaseSampler):
            raise ValueError(f"base must be a sampler or None, but got base={base!r}")
        if model is None:
            model = "joint" if base is None else "level"
        if model not in _MODELS:
            raise ValueError(f"model must be one of {', '.join(_MODELS)}, but got model={model!r}")
        from hpo_lab.samplers._auto import AutoSampler

        if base is None:
            # Plain: an AutoSampler would itself switch to the joint model on rung values.
            base = AutoSampler(seed=seed, multi_fidelity=False)
        self._base = base
        self._min_observations = _validation.check_int("min_observations", min_observations, 1)
        self._model = model
        self._joint = FidelityGPSampler(seed=seed, n_startup_trials=self._min_observations)
        self._rule = base if isinstance(base, AutoSampler) else AutoSampler()
        self._lock = threading.Lock()
        # (study name, trial id) -> the sampler and the view it sees for that trial.
        self._plans: dict[tuple[str, int], tuple[BaseSampler, StudyView]] = {}

    @property
    def base(self) -> BaseSampler:
        """The sampler of the ``"level"`` rule."""
        return self._base

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_plans")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        self._plans = {}

    def reseed_rng(self, seed: int | None = None) -> None:
        self._base.reseed_rng(seed)
        self._joint.reseed_rng(seed)

    def level(self, view: StudyView) -> int | None:
        """The resource the ``"level"`` rule models for the next trial (``None``: the full
        resource, i.e. the study itself).

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

    def uses_joint_model(self, view: StudyView) -> bool:
        """Whether the next trial's proposals come from the joint (parameters x resource) GP.

        Example:
            >>> import hpo_lab
            >>> MultiFidelitySampler().uses_joint_model(hpo_lab.create_study().view)
            False
        """
        if self._model != "joint":
            return False
        # AutoSampler's rule 3, its bounds on the trials included (past them, the base model).
        return self._rule.choose(view, multi_fidelity=True) == "fidelity"

    def _plan_for(self, view: StudyView, trial: FrozenTrial) -> tuple[BaseSampler, StudyView]:
        key = (view.study_name, trial.trial_id)
        with self._lock:
            found = self._plans.get(key)
        if found is not None:
            return found
        if self.uses_joint_model(view):
            chosen: tuple[BaseSampler, StudyView] = (self._joint, view)
        else:
            resource = self.level(view)
            chosen = (self._base, view if resource is None else view_at_resource(view, resource))
        with self._lock:
            if len(self._plans) > 256:  # trials asked but never finished through this object
                self._plans.clear()
            return self._plans.setdefault(key, chosen)

    def before_trial(self, view: StudyView, trial: FrozenTrial) -> None:
        sampler, seen = self._plan_for(view, trial)
        sampler.before_trial(seen, trial)

    def infer_relative_search_space(
        self, view: StudyView, trial: FrozenTrial
    ) -> dict[str, Distribution]:
        sampler, seen = self._plan_for(view, trial)
        return sampler.infer_relative_search_space(seen, trial)

    def sample_relative(
        self, view: StudyView, trial: FrozenTrial, search_space: dict[str, Distribution]
    ) -> dict[str, Any]:
        sampler, seen = self._plan_for(view, trial)
        return sampler.sample_relative(seen, trial, search_space)

    def sample_independent(
        self, view: StudyView, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        sampler, seen = self._plan_for(view, trial)
        if sampler is self._joint:
            # A parameter outside the joint space (new or conditional): the base sampler's
            # one-parameter model of the study.
            return self._base.sample_independent(view, trial, name, distribution)
        return sampler.sample_independent(seen, trial, name, distribution)

    def finished_trial_attrs(
        self, view: StudyView, trial: FrozenTrial, state: TrialState, value: float | None
    ) -> Mapping[str, Any]:
        with self._lock:
            plan = self._plans.get((view.study_name, trial.trial_id))
        seen = plan[1] if plan is not None and plan[0] is self._base else view
        base = self._base.finished_trial_attrs(seen, trial, state, value)
        joint = dict(self._joint.finished_trial_attrs(view, trial, state, value))
        if plan is not None and plan[0] is self._joint:
            return {**base, **joint}
        # The base sampler proposed: its record, or none if it keeps none (CMA-ES, QMC...).
        joint.pop(PROPOSED_BY_ATTR, None)
        return {**joint, **base}

    def after_trial(
        self, view: StudyView, trial: FrozenTrial, state: TrialState, value: float | None
    ) -> None:
        with self._lock:
            plan = self._plans.pop((view.study_name, trial.trial_id), None)
        # Each sampler keyed what it kept for the trial by the name of the view it saw.
        seen = plan[1] if plan is not None and plan[0] is self._base else view
        self._base.after_trial(seen, trial, state, value)
        self._joint.after_trial(view, trial, state, value)

    def is_exhausted(self, view: StudyView) -> bool:
        return self._base.is_exhausted(view)

    def __repr__(self) -> str:
        return (
            f"MultiFidelitySampler({self._base!r}, min_observations={self._min_observations}, "
            f"model={self._model!r})"
        )

"""Hyperband: successive halving in several brackets, from aggressive to none.

Each trial belongs to one bracket, a deterministic function of (study name, trial number), so
every process and every resume agrees. Bracket ``b`` runs asynchronous successive halving whose
first rung is at ``min_resource * eta ** b``, among the trials of its own bracket. The shares
of trials per bracket are Hyperband's, as Optuna computes them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpo_lab import _validation
from hpo_lab.pruners._base import BasePruner
from hpo_lab.pruners._halving import (
    bracket_of,
    bracket_weights,
    crossed_rungs,
    n_brackets,
    rung_resource,
)
from hpo_lab.pruners._rank_check import RankCheck, relaxed_rungs
from hpo_lab.pruners._resources import MAX_RESOURCE_KEY, resolve_resource
from hpo_lab.pruners._successive_halving import (
    decide_rungs,
    halving_study_attrs,
    previous_step,
)
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.views._protocol import StudyView

__all__ = ["HyperbandPruner", "trial_key"]


def trial_key(study_name: str, trial: FrozenTrial) -> str:
    """The key a trial's bracket is drawn from: ``"<study>_<number>"`` of the study that
    evaluated it (an inherited trial keeps its own study's).

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> trial_key("mnist", FrozenTrial(7, TrialState.RUNNING))
        'mnist_7'
    """
    if trial.origin is not None:
        return f"{trial.origin.study_name}_{trial.origin.number}"
    return f"{study_name}_{trial.number}"


class HyperbandPruner(BasePruner):
    """Hyperband (Li et al., JMLR 2018) over asynchronous successive halving, with Optuna's
    ``HyperbandPruner`` arguments and bracket rule.

    With ``n = floor(log_eta(max_resource / min_resource)) + 1`` brackets, bracket ``b`` is
    successive halving with ``min_early_stopping_rate = b``: bracket 0 prunes from
    ``min_resource`` on, the last one hardly at all. A trial's bracket is drawn from CRC-32 of
    ``"<study name>_<trial number>"`` with Hyperband's shares (more trials in the aggressive
    brackets), so it is the same in every process and on every resume; its rungs are decided
    among the trials of its own bracket. Decisions record the bracket in their details.

    Args:
        min_resource: The smallest rung's resource ``r`` (an int >= 1).
        max_resource: The resource of a full trial ``R``, or ``"auto"``: the last step of the
            first trial to complete, plus one, resolved once and stored with the study
            (``study.system_attrs["pruner:max_resource"]``); nothing is pruned before that.
        reduction_factor: ``eta`` >= 2.
        bootstrap_count: As in :class:`~hpo_lab.pruners.SuccessiveHalvingPruner`; needs a fixed
            ``max_resource``.
        rank_check: As in :class:`~hpo_lab.pruners.SuccessiveHalvingPruner`; correlations are
            measured over every bracket's trials.

    Samplers see every trial; to model one bracket, give a sampler
    ``hpo_lab.views.filter_view(view, lambda t: pruner.bracket(view, t) == b)``, or use
    :class:`~hpo_lab.samplers.MultiFidelitySampler`, which models all brackets at once.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(pruner=HyperbandPruner(max_resource=9))
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", 0.0, 1.0)
        ...     for epoch in range(1, 10):
        ...         trial.report(x + 1.0 / epoch, epoch)
        ...         if trial.should_prune():
        ...             raise hpo_lab.TrialPruned()
        ...     return x
        >>> study.optimize(objective, n_trials=30)
        >>> sorted({d.details["bracket"] for t in study.trials for d in t.decisions})
        [0, 1, 2]
    """

    compares_running_trials = True

    def __init__(
        self,
        min_resource: int = 1,
        max_resource: str | int = "auto",
        reduction_factor: int = 3,
        bootstrap_count: int = 0,
        *,
        rank_check: bool | RankCheck = False,
    ) -> None:
        self._min_resource = _validation.check_int("min_resource", min_resource, 1)
        self._max_resource = _validation.check_resource("max_resource", max_resource)
        self._reduction_factor = _validation.check_int("reduction_factor", reduction_factor, 2)
        self._bootstrap_count = _validation.check_int("bootstrap_count", bootstrap_count, 0)
        if self._bootstrap_count > 0 and self._max_resource == "auto":
            raise ValueError(
                "bootstrap_count > 0 needs a fixed max_resource, but got "
                f"bootstrap_count={bootstrap_count}, max_resource='auto'"
            )
        if isinstance(self._max_resource, int) and self._max_resource < self._min_resource:
            raise ValueError(
                "max_resource must be >= min_resource, but got "
                f"min_resource={min_resource}, max_resource={max_resource}"
            )
        self._rank_check = RankCheck.from_arg(rank_check)

    @property
    def rank_check(self) -> RankCheck | None:
        """The rank check in use, or ``None``."""
        return self._rank_check

    def _max_resource_of(self, view: StudyView) -> tuple[int, dict[str, Any] | None] | None:
        if isinstance(self._max_resource, int):
            return self._max_resource, None
        return resolve_resource(view, MAX_RESOURCE_KEY, lambda last: last + 1)

    def brackets(self, view: StudyView) -> list[int] | None:
        """Each bracket's share of trials (``None`` while an "auto" ``max_resource`` is
        unresolved).

        Example:
            >>> import hpo_lab
            >>> HyperbandPruner(max_resource=27).brackets(hpo_lab.create_study().view)
            [27, 12, 6, 4]
        """
        resolved = self._max_resource_of(view)
        if resolved is None:
            return None
        n = n_brackets(self._min_resource, resolved[0], self._reduction_factor)
        return bracket_weights(n, self._reduction_factor)

    def bracket(self, view: StudyView, trial: FrozenTrial) -> int | None:
        """The bracket of ``trial`` in ``view``'s study (``None`` while unresolved).

        Example:
            >>> import hpo_lab
            >>> study = hpo_lab.create_study(study_name="demo")
            >>> trial = study.ask()
            >>> HyperbandPruner(max_resource=27).bracket(study.view, trial.freeze())
            3
        """
        weights = self.brackets(view)
        if weights is None:
            return None
        return bracket_of(trial_key(view.study_name, trial), weights)

    def resources(self, view: StudyView) -> list[int] | None:
        """Every bracket's rung resources that lie below both ``max_resource`` and the largest
        step a COMPLETE trial of ``view`` reported: the rungs a rank check can judge (``None``
        while unresolved).

        Example:
            >>> import hpo_lab
            >>> study = hpo_lab.create_study()
            >>> study.optimize(lambda t: [t.report(1.0, s) for s in range(1, 28)] and 0.0, 1)
            >>> HyperbandPruner(max_resource=27).resources(study.view)
            [1, 3, 9]
        """
        resolved = self._max_resource_of(view)
        if resolved is None:
            return None
        complete = view.get_trials(states=(TrialState.COMPLETE,))
        top = min(resolved[0], max((t.last_step or 0 for t in complete), default=0))
        out: list[int] = []
        k = 0
        while True:
            r = rung_resource(k, self._min_resource, self._reduction_factor)
            if r >= top:
                return out
            out.append(r)
            k += 1

    def decide(self, view: StudyView, trial: FrozenTrial) -> PruneDecision | None:
        step = trial.last_step
        if step is None:
            return None
        resolved = self._max_resource_of(view)
        if resolved is None:
            return None  # "auto": nothing is pruned before the first trial completes
        max_resource, _ = resolved
        weights = bracket_weights(
            n_brackets(self._min_resource, max_resource, self._reduction_factor),
            self._reduction_factor,
        )
        bracket = bracket_of(trial_key(view.study_name, trial), weights)
        rungs = crossed_rungs(
            previous_step(trial, step), step, self._min_resource, self._reduction_factor,
            bracket,
        )
        if not rungs:
            return None
        everyone = view.get_trials()
        name = view.study_name
        peers = [t for t in everyone if bracket_of(trial_key(name, t), weights) == bracket]
        maximize = view.direction == "maximize"
        relaxed = None
        if self._rank_check is not None:
            # The rungs the check can judge, and the ones being decided (which, without any
            # complete trial past them yet, are not verified: relaxed).
            crossed = {
                rung_resource(k, self._min_resource, self._reduction_factor, bracket)
                for k in range(rungs[-1] + 1)
            }
            relaxed = relaxed_rungs(
                everyone, sorted(crossed.union(self.resources(view) or ())), maximize,
                self._rank_check,
            )
        details: dict[str, Any] = {"bracket": bracket}
        if self._max_resource == "auto":
            details["max_resource"] = max_resource
        return decide_rungs(
            peers, trial, rungs,
            min_resource=self._min_resource,
            reduction_factor=self._reduction_factor,
            min_early_stopping_rate=bracket,
            bootstrap_count=self._bootstrap_count,
            maximize=maximize,
            rule="hyperband",
            relaxed=relaxed,
            details=details,
        )

    def study_attrs(self, view: StudyView) -> dict[str, Any]:
        auto = MAX_RESOURCE_KEY if self._max_resource == "auto" else None
        return halving_study_attrs(
            view, auto, self._max_resource_of, self._rank_check, self.resources
        )

    def __repr__(self) -> str:
        check = "" if self._rank_check is None else f", rank_check={self._rank_check!r}"
        return (
            f"HyperbandPruner(min_resource={self._min_resource}, "
            f"max_resource={self._max_resource!r}, reduction_factor={self._reduction_factor}, "
            f"bootstrap_count={self._bootstrap_count}{check})"
        )

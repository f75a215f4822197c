"""Asynchronous successive halving (ASHA), with Optuna's arguments and rule.

A trial is decided at each rung it reaches (the first report at or past the rung's resource):
it goes on only if its value there is in the top ``1/eta`` of the values recorded at that rung
so far, its own included, by any trial of the study. Nobody waits for a rung to fill, so
workers never idle. The arithmetic is in :mod:`hpo_lab.pruners._halving`; this module gathers
its inputs from a :class:`~hpo_lab.views.StudyView` and words the decision.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from hpo_lab import _validation
from hpo_lab.pruners._base import BasePruner
from hpo_lab.pruners._halving import (
    crossed_rungs,
    promotion,
    rung_resource,
    value_at_resource,
)
from hpo_lab.pruners._rank_check import RankCheck, relaxed_rungs
from hpo_lab.pruners._resources import MIN_RESOURCE_KEY, resolve_resource
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.views._protocol import StudyView

__all__ = ["SuccessiveHalvingPruner", "decide_rungs", "halving_study_attrs", "previous_step"]


def halving_study_attrs(
    view: StudyView,
    auto_key: str | None,
    resolve: Callable[[StudyView], tuple[int, dict[str, Any] | None] | None],
    rank_check: RankCheck | None,
    resources: Callable[[StudyView], list[int] | None],
) -> dict[str, Any]:
    """What a halving pruner (ASHA, Hyperband) stores with ``view``'s study: its "auto"
    resource under ``auto_key`` (what ``resolve`` gives to store beside the value) once it
    can be told and is not stored yet
    (``auto_key`` is ``None`` for a resource given as a number), and what the rank check
    announces about the rungs ``resources`` gives.

    Example:
        >>> import hpo_lab
        >>> view = hpo_lab.create_study().view
        >>> resolve = lambda v: (3, {"value": 3, "from_steps": 3})  # resolved, not stored yet
        >>> halving_study_attrs(view, "k", resolve, None, lambda v: None)
        {'k': {'value': 3, 'from_steps': 3}}
    """
    out: dict[str, Any] = {}
    if auto_key is not None and auto_key not in view.system_attrs:
        resolved = resolve(view)
        if resolved is not None and resolved[1] is not None:
            out[auto_key] = resolved[1]
    if rank_check is not None:
        rungs = resources(view)
        if rungs:
            out.update(rank_check.announce(view, rungs))
    return out


def previous_step(trial: FrozenTrial, step: int) -> int | None:
    """The step the trial reported before ``step`` (``None`` if ``step`` is its first).

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> t = FrozenTrial(0, TrialState.RUNNING, intermediate_values={0: 1.0, 3: 0.5})
        >>> previous_step(t, 3), previous_step(t, 0)
        (0, None)
    """
    return max((s for s in trial.intermediate_values if s < step), default=None)


def decide_rungs(
    competitors: Sequence[FrozenTrial],
    trial: FrozenTrial,
    rungs: Sequence[int],
    *,
    min_resource: int,
    reduction_factor: int,
    min_early_stopping_rate: int,
    bootstrap_count: int,
    maximize: bool,
    rule: str,
    relaxed: dict[int, dict[str, Any]] | None = None,
    details: dict[str, Any] | None = None,
) -> PruneDecision:
    """Decide ``trial`` at each of ``rungs`` (those its latest report crossed), lowest first,
    against the values the ``competitors`` recorded at each rung; stop at the first rung it
    fails. ``relaxed`` maps the resources where pruning is suspended to why (the rank check's
    entry, with a ``"reason"`` sentence).

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> others = [FrozenTrial(n, TrialState.PRUNED, intermediate_values={1: v})
        ...           for n, v in enumerate([0.2, 0.4, 0.6])]
        >>> me = FrozenTrial(3, TrialState.RUNNING, intermediate_values={1: 0.5})
        >>> d = decide_rungs(others, me, [0], min_resource=1, reduction_factor=2,
        ...                  min_early_stopping_rate=0, bootstrap_count=0, maximize=False,
        ...                  rule="asha")
        >>> d.prune, d.threshold, d.n_compared
        (True, 0.4, 3)
    """
    step = trial.last_step
    assert step is not None and rungs
    value = trial.intermediate_values[step]
    decision: PruneDecision | None = None
    # Rungs crossed earlier in this same report and passed by comparison: recorded, so that a
    # rank check knows this trial was selected there (see hpo_lab.pruners._rank_check).
    compared: list[int] = []
    for rung in rungs:
        resource = rung_resource(rung, min_resource, reduction_factor, min_early_stopping_rate)
        others: list[float] = []
        number = trial.number
        for t in competitors:
            values = t.intermediate_values
            v = values.get(resource)  # most trials report every step: no search needed
            if v is None:
                if not values or max(values) < resource:
                    continue
                v = value_at_resource(values, resource)
            if v is not None and (t.number != number or t.origin is not None):
                others.append(v)
        extra = dict(details or {})
        if compared:
            extra["compared"] = list(compared)
        where = f"at step {step} (rung {rung}, resource {resource})"
        if math.isnan(value):
            return PruneDecision(
                True, step, rule, f"value {where} is NaN", value=value, n_compared=len(others),
                rung=rung, resource=resource, details=extra,
            )
        why = (relaxed or {}).get(resource)
        promoted, threshold = promotion(value, others, reduction_factor, maximize=maximize)
        verdict = "in" if promoted else "outside"
        if why is not None:
            extra["relaxed"] = {k: v for k, v in why.items() if k != "reason"}
            decision = PruneDecision(
                False, step, rule,
                f"value {value:.6g} {where} is {verdict} the top 1/{reduction_factor} of "
                f"{len(others) + 1} values there (threshold {threshold:.6g}); promoted without "
                f"comparison: {why['reason']}",
                value=value, threshold=threshold, n_compared=len(others), rung=rung,
                resource=resource, details=extra,
            )
            continue
        if len(others) + 1 <= bootstrap_count:
            return PruneDecision(
                True, step, rule,
                f"only {len(others) + 1} trials reached rung {rung}, not more than "
                f"bootstrap_count={bootstrap_count}: no promotion yet",
                value=value, n_compared=len(others), rung=rung, resource=resource,
                details=extra,
            )
        decision = PruneDecision(
            not promoted, step, rule,
            f"value {value:.6g} {where} is {verdict} the top 1/{reduction_factor} of "
            f"{len(others) + 1} values there (threshold {threshold:.6g}): "
            + ("promoted" if promoted else "stopped"),
            value=value, threshold=threshold, n_compared=len(others), rung=rung,
            resource=resource, details=extra,
        )
        if not promoted:
            return decision
        compared.append(resource)
    assert decision is not None
    return decision


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving (ASHA; Li et al., MLSys 2020), with Optuna's
    ``SuccessiveHalvingPruner`` arguments and rule.

    Rung ``k`` sits at resource (step) ``min_resource * reduction_factor ** (
    min_early_stopping_rate + k)``. At the first report at or past a rung, the trial's value
    there is compared with every value recorded at that rung so far, by any trial (RUNNING,
    PRUNED, COMPLETE or FAIL): it goes on if it is in the top ``1 / reduction_factor`` (the
    best while fewer than ``reduction_factor`` values are in), else it is stopped there. A NaN
    value is stopped. Each answer is recorded with the rung, its resource, the value, the
    threshold and how many values it came from.

    Args:
        min_resource: The first rung's resource ``r``, or ``"auto"``: ``max(last step // 100,
            1)`` of the first trial to complete, resolved once and stored with the study
            (``study.system_attrs["pruner:min_resource"]``); nothing is pruned before that.
        reduction_factor: ``eta`` >= 2: about one in ``eta`` trials is promoted at each rung.
        min_early_stopping_rate: ``s``: the first rung is at ``r * eta ** s``.
        bootstrap_count: The first ``bootstrap_count`` trials to reach a rung are stopped
            there (Optuna's meaning); needs a fixed ``min_resource``.
        rank_check: Pruning that knows when it is wrong (see
            :class:`~hpo_lab.pruners.RankCheck`): ``True`` for the default check, a
            ``RankCheck`` to tune it, ``False`` (the default) for Optuna's rule alone.

    Example:
        >>> import hpo_lab
        >>> pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
        >>> study = hpo_lab.create_study(pruner=pruner)
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", 0.0, 1.0)
        ...     for epoch in range(1, 10):
        ...         trial.report(x + 1.0 / epoch, epoch)
        ...         if trial.should_prune():
        ...             raise hpo_lab.TrialPruned()
        ...     return x
        >>> study.optimize(objective, n_trials=20)
        >>> pruned = [t for t in study.trials if t.state.value == "PRUNED"]
        >>> len(pruned) > 5, pruned[0].decisions[-1].rung in (0, 1)
        (True, True)
    """

    compares_running_trials = True

    def __init__(
        self,
        min_resource: str | int = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
        *,
        rank_check: bool | RankCheck = False,
    ) -> None:
        self._min_resource = _validation.check_resource("min_resource", min_resource)
        self._reduction_factor = _validation.check_int("reduction_factor", reduction_factor, 2)
        self._min_early_stopping_rate = _validation.check_int(
            "min_early_stopping_rate", min_early_stopping_rate, 0
        )
        self._bootstrap_count = _validation.check_int("bootstrap_count", bootstrap_count, 0)
        if self._bootstrap_count > 0 and self._min_resource == "auto":
            raise ValueError(
                "bootstrap_count > 0 needs a fixed min_resource, but got "
                f"bootstrap_count={bootstrap_count}, min_resource='auto'"
            )
        self._rank_check = RankCheck.from_arg(rank_check)

    @property
    def rank_check(self) -> RankCheck | None:
        """The rank check in use, or ``None``."""
        return self._rank_check

    def resources(self, view: StudyView) -> list[int] | None:
        """The rungs' resources below the largest step a COMPLETE trial of ``view`` reported:
        the rungs a rank check can judge (``None`` while an "auto" ``min_resource`` is
        unresolved).

        Example:
            >>> import hpo_lab
            >>> study = hpo_lab.create_study()
            >>> study.optimize(lambda t: [t.report(1.0, s) for s in range(1, 11)] and 0.0, 1)
            >>> SuccessiveHalvingPruner(1, 3).resources(study.view)
            [1, 3, 9]
        """
        resolved = self._min_resource_of(view)
        if resolved is None:
            return None
        top = max(
            (t.last_step or 0 for t in view.get_trials(states=(TrialState.COMPLETE,))), default=0
        )
        out: list[int] = []
        k = 0
        while True:
            r = rung_resource(k, resolved[0], self._reduction_factor, self._min_early_stopping_rate)
            if r >= top:
                return out
            out.append(r)
            k += 1

    def _min_resource_of(self, view: StudyView) -> tuple[int, dict[str, Any] | None] | None:
        if isinstance(self._min_resource, int):
            return self._min_resource, None
        return resolve_resource(view, MIN_RESOURCE_KEY, lambda last: max(last // 100, 1))

    def decide(self, view: StudyView, trial: FrozenTrial) -> PruneDecision | None:
        step = trial.last_step
        if step is None:
            return None
        resolved = self._min_resource_of(view)
        if resolved is None:
            return None  # "auto": nothing is pruned before the first trial completes
        min_resource, _ = resolved
        rungs = crossed_rungs(
            previous_step(trial, step), step, min_resource, self._reduction_factor,
            self._min_early_stopping_rate,
        )
        if not rungs:
            return None
        competitors = view.get_trials()
        maximize = view.direction == "maximize"
        relaxed = None
        if self._rank_check is not None:
            # The rungs the check can judge, and the ones being decided (which, without any
            # complete trial past them yet, are not verified: relaxed).
            crossed = {
                rung_resource(k, min_resource, self._reduction_factor,
                              self._min_early_stopping_rate)
                for k in range(rungs[-1] + 1)
            }
            relaxed = relaxed_rungs(
                competitors, sorted(crossed.union(self.resources(view) or ())), maximize,
                self._rank_check,
            )
        details: dict[str, Any] = {}
        if self._min_resource == "auto":
            details["min_resource"] = min_resource
        return decide_rungs(
            competitors, trial, rungs,
            min_resource=min_resource,
            reduction_factor=self._reduction_factor,
            min_early_stopping_rate=self._min_early_stopping_rate,
            bootstrap_count=self._bootstrap_count,
            maximize=maximize,
            rule="asha",
            relaxed=relaxed,
            details=details,
        )

    def study_attrs(self, view: StudyView) -> dict[str, Any]:
        auto = MIN_RESOURCE_KEY if self._min_resource == "auto" else None
        return halving_study_attrs(
            view, auto, self._min_resource_of, self._rank_check, self.resources
        )

    def __repr__(self) -> str:
        check = "" if self._rank_check is None else f", rank_check={self._rank_check!r}"
        return (
            f"SuccessiveHalvingPruner(min_resource={self._min_resource!r}, "
            f"reduction_factor={self._reduction_factor}, "
            f"min_early_stopping_rate={self._min_early_stopping_rate}, "
            f"bootstrap_count={self._bootstrap_count}{check})"
        )

"""Wilcoxon pruning: stop a trial once a signed-rank test says it is worse than the best trial.

Meant for objectives that are a mean over problem instances (cross-validation folds, benchmark
problems, prompts): the objective reports one value per instance, with the instance's id as the
step, in any order. Each time, the trial's values are paired with the best COMPLETE trial's
values on the same instances, and a one-sided Wilcoxon signed-rank test (Wilcoxon 1945) asks
whether the trial is worse. The rule is :func:`wilcoxon_prune_decision`, numpy/scipy code that
knows nothing of studies; :class:`WilcoxonPruner` gathers its inputs from the view.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hpo_lab.pruners._base import BasePruner
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.views._protocol import StudyView

__all__ = ["WilcoxonPruner", "WilcoxonTest", "wilcoxon_prune_decision"]

_RULE = "wilcoxon"


@dataclass(frozen=True)
class WilcoxonTest:
    """The outcome of :func:`wilcoxon_prune_decision`.

    Attributes:
        prune: Whether the trial should stop.
        p_value: The one-sided p-value that the trial is worse (``None`` when no test ran).
        n_pairs: How many steps both trials reported.
        mean: The trial's mean over the paired steps (``None`` if a value is not finite).
        best_mean: The best trial's mean over the same steps (``None`` likewise).
        reason: One sentence saying what was compared.
    """

    prune: bool
    p_value: float | None
    n_pairs: int
    mean: float | None
    best_mean: float | None
    reason: str


def wilcoxon_prune_decision(
    values: Mapping[int, float],
    best_values: Mapping[int, float],
    *,
    maximize: bool,
    p_threshold: float,
    n_startup_steps: int = 2,
) -> WilcoxonTest | None:
    """The Wilcoxon rule on plain numbers: ``values`` (step -> value) of the trial against
    ``best_values`` of the best trial.

    Returns ``None`` while fewer than ``max(2, n_startup_steps)`` steps are shared (nothing to
    decide yet). The trial is pruned when the test's p-value is below ``p_threshold``, unless
    the mean of all its values is at least as good as the mean of all the best trial's values
    (a safety net against pruning a trial that only looks worse on the shared steps). Values
    that are NaN or infinite in either trial make no test: the trial goes on.

    Example:
        >>> best = {i: float(i) for i in range(8)}
        >>> worse = {i: float(i) + 1.0 + 0.1 * i for i in range(8)}
        >>> test = wilcoxon_prune_decision(worse, best, maximize=False, p_threshold=0.1)
        >>> test.prune, round(test.p_value, 4), test.n_pairs
        (True, 0.0039, 8)
        >>> wilcoxon_prune_decision(worse, best, maximize=True, p_threshold=0.1).prune
        False
    """
    steps = sorted(set(values) & set(best_values))
    if len(steps) < max(2, n_startup_steps):
        return None
    mine = np.array([values[s] for s in steps], dtype=float)
    theirs = np.array([best_values[s] for s in steps], dtype=float)
    mean, best_mean = float(mine.mean()), float(theirs.mean())
    every = np.fromiter(values.values(), dtype=float, count=len(values))
    every_best = np.fromiter(best_values.values(), dtype=float, count=len(best_values))
    if not (np.isfinite(every).all() and np.isfinite(every_best).all()):
        # No NaN in the record: a decision must compare equal to its replay.
        return WilcoxonTest(
            False, None, len(steps),
            mean if math.isfinite(mean) else None,
            best_mean if math.isfinite(best_mean) else None,
            "a reported value is NaN or infinite, so the Wilcoxon test cannot compare the trials",
        )
    from scipy.stats import wilcoxon

    # "zsplit" splits zero differences between the two signs, so identical values give p = 1.
    result = wilcoxon(
        mine - theirs, alternative="less" if maximize else "greater", zero_method="zsplit"
    )
    p = float(result.pvalue)
    if math.isnan(p):  # pragma: no cover - scipy gives a number for every finite input
        return WilcoxonTest(False, None, len(steps), mean, best_mean, "the test gave no p-value")
    overall, best_overall = float(every.mean()), float(every_best.mean())
    as_good = overall >= best_overall if maximize else overall <= best_overall
    significant = p < p_threshold
    prune = significant and not as_good
    if prune:
        verdict = f"p={p:.4g} < {p_threshold:g}: worse than the best trial"
    elif significant:
        verdict = (
            f"p={p:.4g} < {p_threshold:g}, but its mean over all its steps ({overall:.6g}) is "
            f"no worse than the best trial's ({best_overall:.6g}), so it goes on"
        )
    else:
        verdict = f"p={p:.4g} >= {p_threshold:g}: not shown to be worse than the best trial"
    return WilcoxonTest(
        prune, p, len(steps), mean, best_mean,
        f"Wilcoxon signed-rank test over {len(steps)} shared steps (mean {mean:.6g} vs "
        f"{best_mean:.6g}): {verdict}",
    )


class WilcoxonPruner(BasePruner):
    """Prune a trial as soon as a Wilcoxon signed-rank test finds it worse than the best
    COMPLETE trial, on the steps (problem instances) both reported.

    The objective evaluates a set of instances (folds, problems, questions) in any order and
    reports each result with the instance's id as the step: ``trial.report(loss, instance_id)``.
    Use the same id for the same instance in every trial, and shuffle the order per trial so
    that the first instances do not decide everything. On a prune, the objective may raise
    :class:`hpo_lab.TrialPruned`, or return the mean of what it evaluated so far (then the
    trial is COMPLETE with that estimate). Optuna's ``WilcoxonPruner`` semantics and arguments.

    Args:
        p_threshold: In ``[0, 1]``: prune when the one-sided p-value is below it. Larger prunes
            more. The test is repeated as values arrive, so the real false-positive rate is
            higher than ``p_threshold``; a smaller (Pocock-corrected) value restores it.
        n_startup_steps: Never prune before this many steps are shared with the best trial
            (and never before two).

    The best trial is the best COMPLETE trial of the view, inherited (warm-start) ones
    included; ties go to the one listed first. Every decision records the p-value, the means
    compared and the best trial's number in ``details``.

    Example:
        >>> import hpo_lab
        >>> instances = [0.1 * i for i in range(20)]
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -1.0, 3.0)
        ...     losses = []
        ...     for i in range(len(instances)):
        ...         losses.append((x - instances[i]) ** 2)
        ...         trial.report(losses[-1], i)
        ...         if trial.should_prune():
        ...             raise hpo_lab.TrialPruned()
        ...     return sum(losses) / len(losses)
        >>> study = hpo_lab.create_study(pruner=WilcoxonPruner(p_threshold=0.05))
        >>> study.enqueue_trial({"x": 1.0})
        >>> study.enqueue_trial({"x": 2.9})
        >>> study.optimize(objective, n_trials=2)
        >>> [t.state.value for t in study.trials], len(study.trials[1].intermediate_values) < 20
        (['COMPLETE', 'PRUNED'], True)
    """

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 2) -> None:
        if (
            isinstance(p_threshold, bool)
            or not isinstance(p_threshold, numbers.Real)
            or not 0.0 <= float(p_threshold) <= 1.0
        ):
            raise ValueError(
                f"p_threshold must be a number in [0, 1], but got p_threshold={p_threshold!r}"
            )
        if (
            isinstance(n_startup_steps, bool)
            or not isinstance(n_startup_steps, numbers.Integral)
            or n_startup_steps < 0
        ):
            raise ValueError(
                f"n_startup_steps must be an int >= 0, but got n_startup_steps={n_startup_steps!r}"
            )
        self._p_threshold: float = float(p_threshold)
        self._n_startup_steps: int = int(n_startup_steps)

    def decide(self, view: StudyView, trial: FrozenTrial) -> PruneDecision | None:
        step = trial.last_step
        if step is None:
            return None
        maximize = view.direction == "maximize"
        best = _best_complete(view.get_trials(states=(TrialState.COMPLETE,)), maximize)
        if best is None:
            return PruneDecision(False, step, _RULE, "no trial is COMPLETE yet: nothing to compare")
        if not best.intermediate_values:
            return PruneDecision(
                False, step, _RULE,
                f"the best trial ({best.number}) reported no values, so there is nothing to "
                "pair with (give add_trial's trials their intermediate_values)",
            )
        test = wilcoxon_prune_decision(
            trial.intermediate_values,
            best.intermediate_values,
            maximize=maximize,
            p_threshold=self._p_threshold,
            n_startup_steps=self._n_startup_steps,
        )
        if test is None:
            return None
        details: dict[str, object] = {
            "best_trial": best.number,
            "p_threshold": self._p_threshold,
        }
        if test.p_value is not None:
            details["p_value"] = test.p_value
        return PruneDecision(
            test.prune,
            step,
            _RULE,
            test.reason,
            value=test.mean,
            threshold=test.best_mean,
            n_compared=test.n_pairs,
            details=details,
        )

    def __repr__(self) -> str:
        return (
            f"WilcoxonPruner(p_threshold={self._p_threshold}, "
            f"n_startup_steps={self._n_startup_steps})"
        )


def _best_complete(trials: list[FrozenTrial], maximize: bool) -> FrozenTrial | None:
    best: FrozenTrial | None = None
    for t in trials:
        if t.value is None or math.isnan(t.value):
            continue
        if best is None:
            best = t
            continue
        assert best.value is not None
        if (t.value > best.value) if maximize else (t.value < best.value):
            best = t
    return best

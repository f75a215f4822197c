"""The best trial of a list: one rule for the study, the panel and the static snapshot."""

from __future__ import annotations

from collections.abc import Iterable

from hpo_lab.trial import FrozenTrial, TrialState


def best_of(trials: Iterable[FrozenTrial], direction: str) -> FrozenTrial | None:
    """The COMPLETE trial with the best value (the first of equals), or ``None`` if none.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study(direction="maximize")
        >>> s.optimize(lambda t: t.suggest_int("k", 0, 3), n_trials=8)
        >>> best_of(s.trials, "maximize").value == max(t.value for t in s.trials)
        True
        >>> best_of([], "minimize") is None
        True
    """
    maximize = direction == "maximize"
    best: FrozenTrial | None = None
    for t in trials:
        if t.state != TrialState.COMPLETE or t.value is None:
            continue
        if best is None or (t.value > best.value if maximize else t.value < best.value):  # type: ignore[operator]
            best = t
    return best

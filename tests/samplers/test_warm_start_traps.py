"""Warm start into a narrowed space: the child's model must see beyond the narrowed ranges.

The quickstart's ``svc2`` (a child of ``svc`` with C narrowed to [1, 100]) put C exactly on
a bound in most of its trials, and some children spent their first trials on the bad kernel.
Both came from the child's sampler seeing only the parent's trials *inside* the narrowed box:
nothing told the model what lies beyond a face of the box, so its uncertainty grew towards the
faces and expected improvement piled proposals onto them; and with few parent trials left, the
child was still starting up and drew parameters (the kernel too) uniformly at random. A study's
own trials of earlier revisions always stayed in its model; the ancestors' trials now do too.
"""

from __future__ import annotations

import math

import hpo_lab
from hpo_lab.samplers import AutoSampler, RandomSampler
from hpo_lab.study import Study
from hpo_lab.study._warm import warm_start
from hpo_lab.trial import Trial


def _svc_like(trial: Trial) -> float:
    """An SVC-shaped accuracy: flat in C above 1, a valley in gamma, one kernel clearly worse."""
    c = trial.suggest_float("C", 1e-2, 1e3, log=True)
    gamma = trial.suggest_float("gamma", 1e-5, 1e-1, log=True)
    kernel = trial.suggest_categorical("kernel", ["rbf", "sigmoid"])
    lg = math.log10(gamma) + 3.5
    underfit = max(0.0, -math.log10(c))
    if kernel == "rbf":
        accuracy = 0.975 - 0.01 * lg * lg - 0.15 * underfit * underfit
    else:
        accuracy = 0.93 - 0.03 * (lg + 1.0) ** 2 - 0.15 * underfit * underfit
    return max(0.1, accuracy)


def _quickstart_child(seed: int) -> tuple[Study, Study]:
    """The quickstart's steps: 20 trials, narrow gamma, 10 more, warm start with C in [1, 100]."""
    parent = hpo_lab.create_study(direction="maximize", sampler=AutoSampler(seed=seed))
    parent.optimize(_svc_like, n_trials=20)
    parent.narrow(gamma=(1e-4, 1e-2))
    parent.optimize(_svc_like, n_trials=10)
    return parent, warm_start(parent, narrow={"C": (1, 100)})


def test_child_view_keeps_parent_trials_beyond_the_narrowed_range() -> None:
    parent = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    parent.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=20)
    child = warm_start(parent, narrow={"x": (0.0, 0.5)})
    # The user-facing list keeps the trials that fit the child's ranges ...
    assert all(t.params["x"] <= 0.5 for t in child.inherited_trials)
    # ... while the sampler's view holds every parent trial, as a narrowed study's own view
    # holds its trials of earlier revisions.
    seen = child.view.get_trials()
    assert len(seen) == 20
    assert any(t.params["x"] > 0.5 for t in seen)
    assert all(t.origin is not None for t in seen)
    # Proposals stay inside the narrowed range.
    child.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=5)
    assert all(t.params["x"] <= 0.5 for t in child.trials)


def test_narrowed_child_does_not_pile_onto_the_bounds() -> None:
    # Before the fix, 16 of these 45 trials sat exactly on C = 1 or C = 100 (23 before the
    # targets were power-transformed); after it, 3.
    on_bound = 0
    for seed in (1, 2, 3):
        _, child = _quickstart_child(seed)
        child.optimize(_svc_like, n_trials=15)
        assert all(1.0 <= t.params["C"] <= 100.0 for t in child.trials)
        on_bound += sum(t.params["C"] in (1.0, 100.0) for t in child.trials)
    assert on_bound <= 8


def test_narrowed_child_starts_from_what_the_parent_learned() -> None:
    # The parent's best quarter is all rbf. Before the fix, with fewer than 10 parent trials
    # inside the child's ranges, the child was still starting up and drew the kernel at random
    # (7 sigmoid among these 20 first trials); its model now starts from all 30 parent trials.
    first = []
    for seed in range(4):
        parent, child = _quickstart_child(seed)
        done = sorted(parent.trials, key=lambda t: -(t.value or 0.0))
        assert {t.params["kernel"] for t in done[: len(done) // 4]} == {"rbf"}
        assert len(child.view.get_trials()) == 30
        child.optimize(_svc_like, n_trials=5)
        first += [t.params["kernel"] for t in child.trials]
    assert first.count("sigmoid") <= 1, first

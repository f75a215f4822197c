from __future__ import annotations

import itertools
import math
import threading
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpo_lab
from hpo_lab.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_lab.samplers import GridSampler
from hpo_lab.samplers._grid import auto_grid
from hpo_lab.study import Study
from hpo_lab.testing.pytest_samplers import distributions
from hpo_lab.trial import Trial, TrialState


def _objective(trial: Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    k = trial.suggest_int("k", 1, 3)
    opt = trial.suggest_categorical("opt", ["adam", "sgd"])
    return x * k + len(opt)


def _points(study: Study, *names: str) -> list[tuple[Any, ...]]:
    return [tuple(t.params[n] for n in names) for t in study.trials]


def test_explicit_grid_is_enumerated_once_then_exhausted() -> None:
    sampler = GridSampler({"x": [0.0, 0.5, 1.0], "opt": ["adam", "sgd"]}, seed=0)
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=100)
    # x and opt come from the lists; k (not listed) from its automatic grid 1..3.
    expected = set(itertools.product([0.0, 0.5, 1.0], [1, 2, 3], ["adam", "sgd"]))
    points = _points(study, "x", "k", "opt")
    assert len(points) == len(expected) == 18
    assert set(points) == expected
    assert sampler.is_exhausted(study.view)


def test_automatic_grid_with_n_points() -> None:
    study = hpo_lab.create_study(sampler=GridSampler(seed=1, n_points=5))
    study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1.0, log=True), n_trials=50)
    values = sorted(t.params["lr"] for t in study.trials)
    assert len(values) == 5
    assert values == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1.0], rel=1e-9)
    assert values[0] == 1e-4
    assert values[-1] == 1.0


def test_empty_objective_runs_once() -> None:
    study = hpo_lab.create_study(sampler=GridSampler())
    study.optimize(lambda t: 1.0, n_trials=5)
    assert len(study.trials) == 1


@pytest.mark.parametrize(
    ("dist", "expected"),
    [
        (FloatDistribution(-1.0, 1.0), [-1.0, 0.0, 1.0]),
        (FloatDistribution(0.0, 0.6, step=0.2), [0.0, 0.2, 0.4, 0.6]),
        (FloatDistribution(0.0, 100.0, step=0.5), [0.0, 50.0, 100.0]),
        (FloatDistribution(2.0, 2.0), [2.0]),
        (IntDistribution(0, 4), [0, 1, 2, 3, 4]),
        (IntDistribution(0, 1000), [0, 500, 1000]),
        (IntDistribution(1, 10000, log=True), [1, 100, 10000]),
        (IntDistribution(3, 9, step=3), [3, 6, 9]),
        (CategoricalDistribution((None, True, 1)), [None, True, 1]),
    ],
)
def test_auto_grid_values(dist: Distribution, expected: list[Any]) -> None:
    values = auto_grid(dist, n_points=3, max_enumerated=5)
    assert values == pytest.approx(expected) if expected[0] is not None else values == expected
    assert [type(v) for v in values] == [type(v) for v in expected]


@settings(max_examples=200, deadline=None)
@given(dist=distributions(), n_points=st.integers(2, 12), max_enumerated=st.integers(1, 40))
def test_auto_grid_properties(dist: Distribution, n_points: int, max_enumerated: int) -> None:
    values = auto_grid(dist, n_points, max_enumerated)
    assert values
    assert all(dist.contains(v) for v in values)
    if isinstance(dist, CategoricalDistribution):
        assert values == list(dist.choices)
        return
    assert values == sorted(values)
    assert len(set(values)) == len(values)
    assert values[0] == dist.low
    assert values[-1] == pytest.approx(dist.high, rel=1e-12, abs=1e-9)
    n_all = (
        round((dist.high - dist.low) / dist.step) + 1 if dist.step is not None else math.inf
    )
    if n_all <= max_enumerated:
        assert len(values) == n_all
    else:
        assert len(values) <= n_points


def test_conditional_space_is_covered_without_repeats() -> None:
    def objective(trial: Trial) -> float:
        kind = trial.suggest_categorical("kind", ["linear", "tree"])
        if kind == "linear":
            return trial.suggest_float("c", 0.0, 1.0)
        depth = trial.suggest_int("depth", 1, 4)
        if depth > 2:
            trial.suggest_categorical("split", ["gini", "entropy"])
        return float(depth)

    sampler = GridSampler(seed=3, n_points=4)
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(objective, n_trials=100)
    seen = Counter(tuple(sorted(t.params.items())) for t in study.trials)
    assert max(seen.values()) == 1
    # linear: 4 values of c; tree: depth 1, 2, and 3-4 with two splits each.
    assert len(seen) == 4 + 2 + 4
    assert sampler.is_exhausted(study.view)


def test_narrowing_reenumerates_and_skips_evaluated_points() -> None:
    sampler = GridSampler(seed=0)
    study = hpo_lab.create_study(sampler=sampler)

    def objective(trial: Trial) -> float:
        return float(trial.suggest_int("k", 0, 9) + trial.suggest_int("j", 0, 1))

    study.optimize(objective, n_trials=8)
    before = set(_points(study, "k", "j"))
    study.narrow(k=(3, 6))
    study.optimize(objective, n_trials=100)
    after = _points(study, "k", "j")[8:]
    assert all(3 <= k <= 6 for k, _ in after)
    assert not before & set(after)
    assert len(set(after)) == len(after)
    # Together the trials cover the narrowed grid exactly once.
    narrowed = {(k, j) for k in range(3, 7) for j in (0, 1)}
    assert narrowed <= before | set(after)
    assert len(after) == len(narrowed - before)
    assert sampler.is_exhausted(study.view)
    # Widening back makes the rest of the grid available again.
    study.narrow(k=(0, 9))
    assert not sampler.is_exhausted(study.view)


def test_running_and_waiting_points_are_skipped() -> None:
    sampler = GridSampler({"x": [1, 2, 3]}, seed=0)
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_int("x", 0, 5), n_trials=1)  # x is now known
    first = study.trials[0].params["x"]
    running = study.ask()
    held = running.suggest_int("x", 0, 5)
    rest = {1, 2, 3} - {first, held}
    study.enqueue_trial({"x": rest.pop()})
    assert not sampler.is_exhausted(study.view)  # the enqueued trial must still run
    study.optimize(lambda t: t.suggest_int("x", 0, 5), n_trials=10)
    values = [t.params["x"] for t in study.trials]
    assert sorted(values) == [1, 2, 3]
    assert sampler.is_exhausted(study.view)


def test_parallel_asks_before_any_suggestion_do_not_collide() -> None:
    sampler = GridSampler({"x": [1, 2, 3, 4]}, seed=0)
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_int("x", 0, 5), n_trials=1)
    trials = [study.ask() for _ in range(3)]  # all asked before any suggests
    values = [t.suggest_int("x", 0, 5) for t in trials]
    assert sorted([study.trials[0].params["x"], *values]) == [1, 2, 3, 4]
    for t in trials:
        study.tell(t, 0.0)
    assert sampler.is_exhausted(study.view)


def test_failed_points_are_retried() -> None:
    sampler = GridSampler({"x": [1, 2]}, seed=0)
    study = hpo_lab.create_study(sampler=sampler)
    failed: list[int] = []

    def objective(trial: Trial) -> float:
        x = trial.suggest_int("x", 0, 5)
        if not failed:
            failed.append(x)
            raise RuntimeError("first evaluation fails")
        return float(x)

    study.optimize(objective, n_trials=10, catch=(RuntimeError,))
    complete = sorted(t.params["x"] for t in study.get_trials(states=(TrialState.COMPLETE,)))
    assert complete == [1, 2]
    assert len(study.trials) == 3


def _prunes_even(trial: Trial) -> float:
    x = trial.suggest_int("x", 0, 9)
    trial.report(float(x), 0)
    if x % 2 == 0:
        raise hpo_lab.TrialPruned()
    return float(x)


def test_pruned_points_are_skipped_and_the_grid_ends() -> None:
    sampler = GridSampler({"x": [1, 2, 3, 4, 5, 6]}, seed=0)
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(_prunes_even, n_trials=50)
    assert sorted(t.params["x"] for t in study.trials) == [1, 2, 3, 4, 5, 6]
    pruned = sorted(t.params["x"] for t in study.get_trials(states=(TrialState.PRUNED,)))
    assert pruned == [2, 4, 6]
    assert sampler.is_exhausted(study.view)


def test_pruned_points_of_a_parallel_run_are_skipped() -> None:
    sampler = GridSampler({"x": [1, 2, 3, 4, 5, 6]}, seed=0)
    study = hpo_lab.create_study(sampler=sampler)
    run = study.start(_prunes_even, n_trials=50, n_jobs=3)
    assert run.wait(120)
    assert sorted(t.params["x"] for t in study.trials) == [1, 2, 3, 4, 5, 6]
    assert sampler.is_exhausted(study.view)


def test_warm_start_skips_inherited_pruned_points() -> None:
    parent = hpo_lab.create_study(sampler=GridSampler({"x": [1, 2, 3, 4]}, seed=0))
    parent.enqueue_trial({"x": 2})
    parent.enqueue_trial({"x": 4})
    parent.optimize(_prunes_even, n_trials=2)
    assert [t.state for t in parent.trials] == [TrialState.PRUNED] * 2
    child_sampler = GridSampler({"x": [1, 2, 3, 4]}, seed=0)
    child = hpo_lab.create_study(sampler=child_sampler, warm_start_from=parent)
    child.optimize(_prunes_even, n_trials=10)
    assert sorted(t.params["x"] for t in child.trials) == [1, 3]
    assert child_sampler.is_exhausted(child.view)


def test_warm_start_skips_inherited_points() -> None:
    parent = hpo_lab.create_study(sampler=GridSampler({"x": [1, 2, 3, 4, 5]}, seed=0))
    parent.optimize(lambda t: t.suggest_int("x", 0, 9), n_trials=3)
    child_sampler = GridSampler({"x": [1, 2, 3, 4, 5]}, seed=0)
    child = hpo_lab.create_study(sampler=child_sampler, warm_start_from=parent)
    child.optimize(lambda t: t.suggest_int("x", 0, 9), n_trials=10)
    inherited = {t.params["x"] for t in child.inherited_trials}
    own = [t.params["x"] for t in child.trials]
    assert len(own) == 2
    assert inherited | set(own) == {1, 2, 3, 4, 5}
    assert not inherited & set(own)


def test_threads_cover_the_grid_exactly_once() -> None:
    sampler = GridSampler(seed=5)
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_int("a", 0, 9) + t.suggest_int("b", 0, 5), n_trials=1)
    errors: list[BaseException] = []

    def work() -> None:
        # 4 x 15 asks after the first trial leave exactly one point too many unless the
        # threads ever collide.
        try:
            for _ in range(15):
                trial = study.ask()
                study.tell(trial, trial.suggest_int("a", 0, 9) + trial.suggest_int("b", 0, 5))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    points = _points(study, "a", "b")
    assert len(points) == 61
    assert set(points) == set(itertools.product(range(10), range(6)))
    assert sampler.is_exhausted(study.view)


def test_same_seed_same_order_other_seed_other_order() -> None:
    orders = []
    for seed in (7, 7, 8):
        study = hpo_lab.create_study(sampler=GridSampler(seed=seed))
        study.optimize(lambda t: t.suggest_int("a", 0, 9) + t.suggest_int("b", 0, 9), n_trials=30)
        orders.append(_points(study, "a", "b"))
    assert orders[0] == orders[1]
    assert orders[0] != orders[2]


def test_listed_values_outside_the_distribution_are_skipped() -> None:
    study = hpo_lab.create_study(sampler=GridSampler({"x": [-1.0, 0.25, 0.5, 7.0]}))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=10)
    assert sorted(t.params["x"] for t in study.trials) == [0.25, 0.5]


def test_large_grid_draws_points_at_random() -> None:
    sampler = GridSampler(seed=0, n_points=100)

    def objective(trial: Trial) -> float:
        return sum(trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(4))

    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(objective, n_trials=40)  # 100**4 points: no mask
    points = [tuple(sorted(t.params.items())) for t in study.trials]
    assert len(set(points)) == len(points)
    assert not sampler.is_exhausted(study.view)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"search_space": [1, 2]}, "search_space must be a dict"),
        ({"search_space": {"x": []}}, r"search_space\['x'\] must not be empty"),
        ({"search_space": {"x": "abc"}}, r"search_space\['x'\] must be a list"),
        ({"search_space": {"x": [[1]]}}, "grid values must be None, bool, int, float or str"),
        ({"search_space": {"x": [float("nan")]}}, "grid values must be finite"),
        ({"search_space": {"": [1]}}, "parameter names must be non-empty str"),
        ({"n_points": 1}, "n_points must be an int >= 2, but got n_points=1"),
        ({"max_enumerated": 0}, "max_enumerated must be an int >= 1"),
        ({"n_points": 2.5}, "n_points must be an int"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        GridSampler(**kwargs)


# -- parallel workers that start together, before any trial exists (review defect #1) --------
@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_threads_started_on_an_empty_study_all_run(backend: str, tmp_path: Any) -> None:
    # Each objective waits on a barrier before its first suggest, so every thread is inside
    # optimize() while the other threads' trials are RUNNING with no params yet. A grid that
    # took such a trial for "the whole (empty) space is held" stopped those threads at once,
    # and the barrier then broke.
    storage = None if backend == "memory" else str(tmp_path / "g.db")
    study = hpo_lab.create_study(storage=storage, sampler=GridSampler(n_points=8, seed=0))
    n_threads = 3
    barrier = threading.Barrier(n_threads, timeout=20)
    ran: Counter[str] = Counter()
    errors: list[BaseException] = []

    def objective(trial: Trial) -> float:
        if trial.number < n_threads:
            barrier.wait()
        ran[threading.current_thread().name] += 1
        return trial.suggest_float("x", 0.0, 1.0) + trial.suggest_int("k", 0, 1)

    def work() -> None:
        try:
            study.optimize(objective, n_trials=4)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, name=f"w{i}") for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(ran) == [f"w{i}" for i in range(n_threads)]
    points = [(t.params["x"], t.params["k"]) for t in study.trials]
    assert len(points) == len(set(points)) == 4 * n_threads


def test_second_worker_goes_on_while_the_first_trial_has_no_param_yet() -> None:
    study = hpo_lab.create_study(study_name="g", sampler=GridSampler(n_points=5, seed=0))
    first = study.ask()  # worker A: trial 0 RUNNING, nothing suggested yet
    other = hpo_lab.load_study(
        study_name="g", storage=study.storage, sampler=GridSampler(n_points=5, seed=1)
    )
    assert not other.sampler.is_exhausted(other.view)
    other.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=20)
    # Worker B covered the whole 5-point grid; A's trial takes a point once it suggests.
    assert len(other.trials) - 1 == 5
    assert other.sampler.is_exhausted(other.view)
    study.tell(first, first.suggest_float("x", 0.0, 1.0))


def test_an_objective_that_suggests_nothing_runs_once() -> None:
    study = hpo_lab.create_study(sampler=GridSampler())
    study.optimize(lambda t: 1.0, n_trials=5)
    assert len(study.trials) == 1
    assert study.sampler.is_exhausted(study.view)

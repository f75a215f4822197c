"""GPSampler behaviour: start-up, convergence, parallel asks, narrowing, warm start, types."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
from typing import Any

import numpy as np
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
from hpo_lab.samplers import RandomSampler
from hpo_lab.samplers._gp import GPSampler
from hpo_lab.samplers._gp._sampler import _decode_numeric, _encode_numeric
from hpo_lab.search_space import decode_unit, encode_unit
from hpo_lab.study._study import Study
from hpo_lab.testing.pytest_samplers import assert_in_distribution, distributions
from hpo_lab.trial._state import TrialState
from hpo_lab.trial._trial import Trial


def _quadratic(trial: Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_float("y", -5.0, 5.0)
    return (x - 1.2) ** 2 + 2.0 * (y + 0.7) ** 2


def _points(trials: list[Any]) -> np.ndarray:
    return np.array([[t.params["x"], t.params["y"]] for t in trials])


def _min_distance(points: np.ndarray) -> float:
    d = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))
    return float(d[np.triu_indices(len(points), 1)].min())


@given(dist=distributions(), u=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=20))
@settings(max_examples=200, deadline=None)
def test_vectorized_codec_agrees_with_the_shared_encoding(
    dist: Distribution, u: list[float]
) -> None:
    if isinstance(dist, CategoricalDistribution):
        return
    values = _decode_numeric(dist, np.array(u))
    for ui, v in zip(u, values):
        expected = float(decode_unit(dist, ui))
        assert v == pytest.approx(expected, rel=1e-12, abs=1e-12)
    encoded = _encode_numeric(dist, values)
    expected_enc = [encode_unit(dist, dist.to_external(float(v))) for v in values]
    np.testing.assert_allclose(encoded, expected_enc, rtol=1e-9, atol=1e-12)


def test_bad_arguments_name_the_value_and_the_rule() -> None:
    with pytest.raises(ValueError, match=r"must be >= 0, but got n_startup_trials=-1"):
        GPSampler(n_startup_trials=-1)
    with pytest.raises(TypeError, match=r"seed must be an int or None, but got seed='a'"):
        GPSampler(seed="a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"n_startup_trials must be an int"):
        GPSampler(n_startup_trials=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"n_candidates must be >= 1, but got n_candidates=0"):
        GPSampler(n_candidates=0)


def test_startup_trials_are_random_and_the_model_takes_over() -> None:
    gp = hpo_lab.create_study(sampler=GPSampler(seed=3, n_startup_trials=6))
    rnd = hpo_lab.create_study(sampler=RandomSampler(seed=3))
    gp.optimize(_quadratic, n_trials=8)
    rnd.optimize(_quadratic, n_trials=8)
    # The start-up draws are the random sampler's; the model's proposals are not.
    assert [t.params for t in gp.trials[:6]] == [t.params for t in rnd.trials[:6]]
    assert gp.trials[6].params != rnd.trials[6].params


def test_pruned_and_failed_trials_are_not_observations() -> None:
    study = hpo_lab.create_study(sampler=GPSampler(seed=0, n_startup_trials=5))
    rnd = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    for i in range(12):
        for s in (study, rnd):
            trial = s.ask()
            value = _quadratic(trial)
            if i % 3 == 0:
                s.tell(trial, value)
            else:
                s.tell(trial, state=TrialState.PRUNED if i % 3 == 1 else TrialState.FAIL)
    # Four COMPLETE trials among twelve: still the start-up phase.
    assert [t.params for t in study.trials] == [t.params for t in rnd.trials]


def test_converges_on_a_quadratic_and_beats_random() -> None:
    gp_best, rnd_best = [], []
    for seed in range(3):
        study = hpo_lab.create_study(sampler=GPSampler(seed=seed, n_startup_trials=8))
        study.optimize(_quadratic, n_trials=25)
        gp_best.append(study.best_value)
        rnd = hpo_lab.create_study(sampler=RandomSampler(seed=seed))
        rnd.optimize(_quadratic, n_trials=25)
        rnd_best.append(rnd.best_value)
    assert max(gp_best) < 1e-2
    assert all(g < r / 10 for g, r in zip(gp_best, rnd_best))


def test_maximize_is_direction_aware() -> None:
    sampler = GPSampler(seed=1, n_startup_trials=5)
    study = hpo_lab.create_study(direction="maximize", sampler=sampler)
    study.optimize(lambda t: -((t.suggest_float("x", 0.0, 10.0) - 7.3) ** 2), n_trials=15)
    assert study.best_params["x"] == pytest.approx(7.3, abs=0.1)


def test_same_seed_same_proposals_in_a_mixed_space() -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 1e-3, 1.0, log=True)
        k = trial.suggest_int("k", 0, 10)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        return math.log(x) ** 2 + (k - 4) ** 2 + (c != "b")

    runs = []
    for _ in range(2):
        study = hpo_lab.create_study(sampler=GPSampler(seed=11, n_startup_trials=5))
        study.optimize(objective, n_trials=14)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]
    other = hpo_lab.create_study(sampler=GPSampler(seed=12, n_startup_trials=5))
    other.optimize(objective, n_trials=14)
    assert [t.params for t in other.trials] != runs[0]


def test_int_log_step_and_categorical_parameters_are_valid_and_optimized() -> None:
    space: dict[str, Distribution] = {
        "k": IntDistribution(0, 30),
        "n": IntDistribution(1, 1024, log=True),
        "s": FloatDistribution(0.0, 1.0, step=0.1),
        "c": CategoricalDistribution(("relu", "tanh", None, 3)),
    }

    def objective(trial: Trial) -> float:
        k = trial.suggest_int("k", 0, 30)
        n = trial.suggest_int("n", 1, 1024, log=True)
        s = trial.suggest_float("s", 0.0, 1.0, step=0.1)
        c = trial.suggest_categorical("c", ("relu", "tanh", None, 3))
        return (k - 17) ** 2 / 100 + math.log2(n / 64) ** 2 / 10 + (s - 0.3) ** 2 + (c is not None)

    study = hpo_lab.create_study(sampler=GPSampler(seed=0, n_startup_trials=8))
    study.optimize(objective, n_trials=30)
    for t in study.trials:
        for name, dist in space.items():
            assert_in_distribution(t.params[name], dist)
    best = study.best_params
    assert best["c"] is None
    assert abs(best["k"] - 17) <= 3
    assert 16 <= best["n"] <= 256
    assert study.best_value < 0.2


def _ask_pending(study: Study, n: int) -> list[Trial]:
    return [study.ask() for _ in range(n)]


@pytest.mark.parametrize("liar", [True, False])
def test_constant_liar_spreads_parallel_asks(liar: bool) -> None:
    study = hpo_lab.create_study(sampler=GPSampler(seed=5, n_startup_trials=10, constant_liar=liar))
    study.optimize(_quadratic, n_trials=14)
    pending = _ask_pending(study, 4)
    points = np.array([[t.suggest_float("x", -5, 5), t.suggest_float("y", -5, 5)] for t in pending])
    spread = _min_distance(points)
    if liar:
        # Distinct points (the running ones are believed to score what the model predicts
        # there, plus one deviation, so the next ask goes elsewhere), if near the optimum.
        assert spread > 0.05
    else:
        # Without the liar, the same model proposes (nearly) the same point four times.
        assert spread < 0.05


def test_running_trials_with_suggested_params_are_lied_about() -> None:
    study = hpo_lab.create_study(sampler=GPSampler(seed=6, n_startup_trials=10))
    study.optimize(_quadratic, n_trials=14)
    first = study.ask()
    a = np.array([first.suggest_float("x", -5, 5), first.suggest_float("y", -5, 5)])
    # A fresh sampler has no memory of its proposals: it sees the RUNNING trial's params only.
    study.sampler = GPSampler(seed=6, n_startup_trials=10)
    second = study.ask()
    b = np.array([second.suggest_float("x", -5, 5), second.suggest_float("y", -5, 5)])
    study.sampler = GPSampler(seed=6, n_startup_trials=10, constant_liar=False)
    third = study.ask()
    c = np.array([third.suggest_float("x", -5, 5), third.suggest_float("y", -5, 5)])
    assert np.linalg.norm(a - b) > 0.2
    assert np.linalg.norm(a - c) < 0.05


def test_narrowed_ranges_are_respected_and_outside_observations_inform_the_model() -> None:
    study = hpo_lab.create_study(sampler=GPSampler(seed=2, n_startup_trials=10))
    study.optimize(_quadratic, n_trials=12)
    revision = study.narrow(x=(2.0, 4.0), y=(-4.0, -2.0))
    study.optimize(_quadratic, n_trials=8)
    later = study.trials[12:]
    for t in later:
        assert t.revision == revision.number
        assert 2.0 <= t.params["x"] <= 4.0
        assert -4.0 <= t.params["y"] <= -2.0
    # The optimum (1.2, -0.7) lies outside; the best point of the box is its corner (2, -2).
    best_inside = min(later, key=lambda t: t.value)  # type: ignore[arg-type, return-value]
    assert best_inside.params["x"] == pytest.approx(2.0, abs=0.1)
    assert best_inside.params["y"] == pytest.approx(-2.0, abs=0.1)


def test_narrowed_categorical_and_int_choices_are_respected() -> None:
    def objective(trial: Trial) -> float:
        k = trial.suggest_int("k", 0, 20)
        c = trial.suggest_categorical("c", ["a", "b", "c", "d"])
        return (k - 3) ** 2 + {"a": 0.0, "b": 5.0, "c": 1.0, "d": 2.0}[c]

    study = hpo_lab.create_study(sampler=GPSampler(seed=0, n_startup_trials=6))
    study.optimize(objective, n_trials=10)
    study.narrow(k=(8, 12), c=["c", "d"])
    study.optimize(objective, n_trials=8)
    later = study.trials[10:]
    for t in later:
        assert 8 <= t.params["k"] <= 12
        assert t.params["c"] in ("c", "d")
    # The best corner of the narrowed box, found among its 10 points within 8 trials.
    assert min(later, key=lambda t: t.value).params == {"k": 8, "c": "c"}  # type: ignore


def test_inherited_trials_shape_the_child_from_its_first_trial() -> None:
    parent = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    parent.optimize(_quadratic, n_trials=20)
    child = hpo_lab.create_study(
        sampler=GPSampler(seed=0, n_startup_trials=10), warm_start_from=parent
    )
    cold = hpo_lab.create_study(sampler=GPSampler(seed=0, n_startup_trials=10))
    child.optimize(_quadratic, n_trials=3)
    cold.optimize(_quadratic, n_trials=3)
    assert len(child.inherited_trials) == 20
    # The child's first trials are model-based proposals near the optimum, not random draws.
    rnd = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    rnd.optimize(_quadratic, n_trials=3)
    assert [t.params for t in cold.trials] == [t.params for t in rnd.trials]
    assert child.trials[0].params != rnd.trials[0].params
    assert min(t.value for t in child.trials) < parent.best_value  # type: ignore[type-var]


def test_conditional_parameters_outside_the_intersection_are_sampled_independently() -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", -2.0, 2.0)
        if x > 0:
            return x**2 + trial.suggest_float("extra", 0.0, 1.0)
        return x**2

    study = hpo_lab.create_study(sampler=GPSampler(seed=9, n_startup_trials=6))
    study.optimize(objective, n_trials=16)
    for t in study.trials:
        assert set(t.params) == ({"x", "extra"} if t.params["x"] > 0 else {"x"})
    assert study.best_value < 0.05


def test_one_sampler_object_can_serve_two_studies() -> None:
    sampler = GPSampler(seed=8, n_startup_trials=8)
    first = hpo_lab.create_study(sampler=sampler)
    first.optimize(_quadratic, n_trials=15)

    def shifted(trial: Trial) -> float:
        x = trial.suggest_float("x", -5.0, 5.0)
        y = trial.suggest_float("y", -5.0, 5.0)
        return (x + 3.0) ** 2 + (y - 3.0) ** 2

    second = hpo_lab.create_study(sampler=sampler)
    second.optimize(shifted, n_trials=20)
    # Trial numbers repeat across the studies; the second must model its own observations.
    assert second.best_params["x"] == pytest.approx(-3.0, abs=0.3)
    assert second.best_params["y"] == pytest.approx(3.0, abs=0.3)


def test_blas_thread_limit_is_restored_after_asks() -> None:
    import scipy.linalg  # noqa: F401  (its own OpenBLAS, limited by the asks too, counted in before)
    import threadpoolctl  # a core dependency: missing it must fail, not skip

    def blas_threads() -> list[int]:
        info = threadpoolctl.threadpool_info()
        return [i["num_threads"] for i in info if i["user_api"] == "blas"]

    before = blas_threads()

    def run(seed: int) -> None:
        # Two samplers in two threads: their single-thread windows overlap.
        study = hpo_lab.create_study(sampler=GPSampler(seed=seed, n_startup_trials=3))
        study.optimize(_quadratic, n_trials=12)

    threads = [threading.Thread(target=run, args=(seed,)) for seed in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert blas_threads() == before


def test_every_blas_library_runs_single_threaded_during_an_ask() -> None:
    # In a fresh process, scipy (and its own OpenBLAS, besides numpy's) is not loaded before the
    # first ask; the limit must still cover it, or the GP's L-BFGS-B and Cholesky calls keep
    # all their threads (on a busy machine, ~8x the CPU time).
    code = (
        "import os, numpy, threadpoolctl\n"
        "from hpo_lab.samplers._gp._sampler import _single_threaded_blas\n"
        "with _single_threaded_blas:\n"
        "    import scipy.linalg, scipy.optimize\n"
        "    info = threadpoolctl.threadpool_info()\n"
        "blas = [(i['filepath'], i['num_threads']) for i in info if i['user_api'] == 'blas']\n"
        "assert len(blas) >= 2, blas  # numpy's and scipy's\n"
        "assert all(n == 1 for _, n in blas), blas\n"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("deterministic", [False, True])
def test_discrete_points_are_not_proposed_twice(deterministic: bool) -> None:
    def objective(trial: Trial) -> float:
        k = trial.suggest_int("k", 0, 20)
        c = trial.suggest_categorical("c", ["a", "b", "c", "d"])
        return (k - 3) ** 2 + {"a": 0.0, "b": 5.0, "c": 1.0, "d": 2.0}[c]

    sampler = GPSampler(seed=0, n_startup_trials=6, deterministic_objective=deterministic)
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(objective, n_trials=25)
    points = [(t.params["k"], t.params["c"]) for t in study.trials]
    # The acquisition peaks on the incumbent once it is found; an evaluated point is skipped.
    assert len(set(points)) == len(points)
    assert study.best_value == 0.0


def test_a_fully_evaluated_space_still_gets_proposals() -> None:
    study = hpo_lab.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))
    objective = lambda t: float(t.suggest_int("k", 0, 2) + t.suggest_int("j", 0, 1))  # noqa: E731
    study.optimize(objective, n_trials=12)
    assert len(study.trials) == 12
    assert {(t.params["k"], t.params["j"]) for t in study.trials} == {
        (k, j) for k in range(3) for j in range(2)
    }


def test_blas_runs_single_threaded_in_whichever_thread_asks() -> None:
    # threadpoolctl >= 3.8 lets one thread at a time control OpenBLAS (the first to limit it)
    # and silently ignores limits from the others. Asks in the main thread (study.optimize)
    # must not leave the runner threads of later background runs with every BLAS thread,
    # which on a busy machine made a run's asks ~7x slower.
    code = (
        "import threading, threadpoolctl, hpo_lab\n"
        "import scipy.linalg, scipy.optimize  # both BLAS copies loaded, for `before`\n"
        "from hpo_lab.samplers import GPSampler\n"
        "from hpo_lab.samplers._gp import _sampler\n"
        "def blas():\n"
        "    info = threadpoolctl.threadpool_info()\n"
        "    return [i['num_threads'] for i in info if i['user_api'] == 'blas']\n"
        "seen = []\n"
        "propose = _sampler.GPSampler._propose\n"
        "def recording(self, *args):\n"
        "    seen.append((threading.current_thread() is threading.main_thread(), blas()))\n"
        "    return propose(self, *args)\n"
        "_sampler.GPSampler._propose = recording\n"
        "objective = lambda t: (t.suggest_float('x', -2, 2) - 1) ** 2\n"
        "study = hpo_lab.create_study(sampler=GPSampler(seed=0, n_startup_trials=3))\n"
        "before = blas()\n"
        "study.optimize(objective, n_trials=5)\n"
        "assert study.start(objective, n_trials=3).wait(120)\n"
        "assert study.start(objective, n_trials=4, n_jobs=2).wait(120)\n"
        "assert {main for main, _ in seen} == {True, False}, seen\n"
        "assert all(set(n) == {1} for _, n in seen), seen\n"
        "assert blas() == before, (blas(), before)\n"
        "with threadpoolctl.threadpool_limits(1, user_api='blas'):  # the user's own limit\n"
        "    assert set(blas()) == {1}, blas()\n"
        "assert blas() == before, (blas(), before)\n"
    )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr


def test_warped_targets_keep_the_order_and_tame_a_heavy_tail() -> None:
    from scipy.stats import skew

    from hpo_lab.samplers._gp._sampler import warp_targets

    rng = np.random.default_rng(0)
    values = np.exp(rng.normal(0.0, 2.0, size=60))  # log-normal: a few values dominate
    y = warp_targets(values)
    assert np.array_equal(np.argsort(y), np.argsort(values))  # the best stays the best
    assert abs(float(y.mean())) < 1e-9 and float(y.std()) == pytest.approx(1.0)
    assert skew(values) > 3.0 and abs(float(skew(y))) < 1.0
    # Equal values and tiny samples are only standardized.
    assert np.array_equal(warp_targets(np.full(5, 2.0)), np.zeros(5))
    assert np.allclose(warp_targets(np.array([1.0, 3.0])), [-1.0, 1.0])

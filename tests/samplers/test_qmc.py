from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from scipy.stats import qmc

import hpo_lab
from hpo_lab.distributions import FloatDistribution, IntDistribution
from hpo_lab.samplers import QMCSampler, RandomSampler
from hpo_lab.search_space import decode_unit, encode_unit
from hpo_lab.trial import Trial


def _objective(trial: Trial) -> float:
    return trial.suggest_float("x", -1.0, 1.0) + trial.suggest_int("k", 0, 99)


@pytest.mark.parametrize(("qmc_type", "engine"), [("sobol", qmc.Sobol), ("halton", qmc.Halton)])
def test_trial_n_takes_point_n_of_the_sequence(qmc_type: str, engine: Any) -> None:
    study = hpo_lab.create_study(sampler=QMCSampler(qmc_type=qmc_type, seed=11))
    study.optimize(_objective, n_trials=17)
    points = engine(2, scramble=True, rng=11).random(32)
    k_dist, x_dist = IntDistribution(0, 99), FloatDistribution(-1.0, 1.0)
    for t in study.trials[1:]:  # trial 0 is sampled at random: nothing is known yet
        assert t.params["k"] == decode_unit(k_dist, points[t.number, 0])
        assert t.params["x"] == decode_unit(x_dist, points[t.number, 1])


def test_unscrambled_sobol_starts_at_the_origin_of_the_sequence() -> None:
    study = hpo_lab.create_study(sampler=QMCSampler(scramble=False))
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=5)
    # Point n of the unscrambled 1-d Sobol' sequence: 0, 0.5, 0.75, 0.25, ...
    assert [t.params["x"] for t in study.trials[1:]] == [0.5, 0.75, 0.25, 0.375]


def test_points_are_more_even_than_random() -> None:
    def discrepancy(sampler: Any) -> float:
        study = hpo_lab.create_study(sampler=sampler)
        study.optimize(
            lambda t: t.suggest_float("a", 0.0, 1.0) + t.suggest_float("b", 0.0, 1.0), n_trials=65
        )
        pts = np.array([[t.params["a"], t.params["b"]] for t in study.trials[1:]])
        return float(qmc.discrepancy(pts))

    for seed in range(3):
        assert discrepancy(QMCSampler(seed=seed)) < discrepancy(RandomSampler(seed=seed)) / 3


def test_interleaved_and_threaded_asks_take_distinct_points() -> None:
    sampler = QMCSampler(seed=0)
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=1)
    trials = [study.ask() for _ in range(5)]
    xs = [t.suggest_float("x", -1.0, 1.0) for t in reversed(trials)]
    assert len(set(xs)) == 5

    def work() -> None:
        for _ in range(10):
            t = study.ask()
            study.tell(t, _objective(t))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for t in trials:
        study.tell(t, t.suggest_int("k", 0, 99))
    x = [t.params["x"] for t in study.trials]
    assert len(x) == 36
    assert len(set(x)) == 36
    # Out-of-order asks still give each trial the point its number names.
    points = qmc.Sobol(2, rng=0).random(64)
    for t in study.trials[1:]:
        assert t.params["x"] == decode_unit(FloatDistribution(-1.0, 1.0), points[t.number, 1])


def test_warm_start_continues_the_sequence_after_inherited_trials() -> None:
    parent = hpo_lab.create_study(sampler=QMCSampler(seed=4))
    parent.optimize(_objective, n_trials=8)
    child = hpo_lab.create_study(sampler=QMCSampler(seed=4), warm_start_from=parent)
    child.optimize(_objective, n_trials=8)
    seen = {(t.params["x"], t.params["k"]) for t in parent.trials}
    assert not seen & {(t.params["x"], t.params["k"]) for t in child.trials}
    points = qmc.Sobol(2, rng=4).random(16)
    for t in child.trials:  # the child knows the space from the inherited trials at once
        assert t.params["x"] == decode_unit(FloatDistribution(-1.0, 1.0), points[8 + t.number, 1])


def test_narrowing_maps_the_sequence_into_the_narrowed_range() -> None:
    study = hpo_lab.create_study(sampler=QMCSampler(seed=3))
    study.optimize(_objective, n_trials=8)
    study.narrow(x=(0.0, 0.5), k=(10, 19))
    study.optimize(_objective, n_trials=16)
    later = study.trials[8:]
    assert all(0.0 <= t.params["x"] <= 0.5 and 10 <= t.params["k"] <= 19 for t in later)
    # Sixteen consecutive points of the sequence reach every quarter of the narrowed x range.
    cells = {int(encode_unit(FloatDistribution(0.0, 0.5), t.params["x"]) * 4) for t in later}
    assert cells == {0, 1, 2, 3}


def test_relative_space_is_the_intersection_of_finished_trials() -> None:
    sampler = QMCSampler(seed=0)
    study = hpo_lab.create_study(sampler=sampler)

    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 1.0)
        if trial.number % 2:
            trial.suggest_int("odd", 0, 3)
        trial.suggest_int("fixed", 4, 4)
        return x

    study.optimize(objective, n_trials=6)
    space = sampler.infer_relative_search_space(study.view, study.trials[-1])
    # "odd" is missing from even trials; a single-value distribution needs no sampling.
    assert space == {"x": FloatDistribution(0.0, 1.0)}


def test_reseed_keeps_the_sequence() -> None:
    a, b = QMCSampler(seed=5), QMCSampler(seed=5)
    b.reseed_rng(123)
    runs = []
    for sampler in (a, b):
        study = hpo_lab.create_study(sampler=sampler)
        study.optimize(_objective, n_trials=10)
        runs.append([t.params for t in study.trials])
    assert runs[0][1:] == runs[1][1:]
    assert runs[0][0] != runs[1][0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"qmc_type": "lhs"}, "qmc_type must be 'sobol' or 'halton', but got qmc_type='lhs'"),
        ({"scramble": 1}, "scramble must be a bool, but got scramble=1"),
        ({"seed": 1.5}, "seed must be an int or None, but got seed=1.5"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        QMCSampler(**kwargs)

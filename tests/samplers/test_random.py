from __future__ import annotations

import math

import numpy as np
from scipy import stats

import hpo_lab
from hpo_lab.samplers import RandomSampler


def test_log_parameters_are_uniform_in_log_space() -> None:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    study.optimize(lambda t: t.suggest_float("lr", 1e-6, 1.0, log=True), n_trials=400)
    logs = np.array([math.log10(t.params["lr"]) for t in study.trials])
    assert stats.kstest(logs, stats.uniform(loc=-6, scale=6).cdf).pvalue > 1e-3


def test_integers_are_uniform() -> None:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=1))
    study.optimize(lambda t: t.suggest_int("k", 1, 4), n_trials=800)
    counts = np.bincount([t.params["k"] for t in study.trials], minlength=5)[1:]
    assert stats.chisquare(counts).pvalue > 1e-3


def test_reseed_restarts_the_sequence() -> None:
    a, b = RandomSampler(seed=3), RandomSampler(seed=99)
    b.reseed_rng(3)
    values = []
    for sampler in (a, b):
        study = hpo_lab.create_study(sampler=sampler)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        values.append([t.params["x"] for t in study.trials])
    assert values[0] == values[1]

"""Input warping in the GP sampler: what it finds, where the default uses it, the option.

The warp's own math (the Kumaraswamy CDF, the likelihood's and the posterior's gradients
through it, its fit) is tested in ``test_gp_math.py``."""

from __future__ import annotations

import math
import pickle
from typing import Any

import numpy as np
import pytest

import hpo_lab
from hpo_lab.samplers import GPSampler


def _log_scale_objective(trial: hpo_lab.Trial) -> float:
    # The optimum lies at lr = 1e-3 in a range declared on a linear scale.
    lr = trial.suggest_float("lr", 0.0, 1.0)
    width = trial.suggest_float("width", 0.0, 1.0)
    return (math.log10(lr + 1e-5) + 3.0) ** 2 + (width - 0.4) ** 2


def test_the_sampler_with_warping_finds_an_optimum_a_linear_scale_hides() -> None:
    best = {}
    for warping in (False, True):
        values = []
        for seed in range(3):
            study = hpo_lab.create_study(sampler=GPSampler(seed=seed, input_warping=warping))
            study.optimize(_log_scale_objective, n_trials=35)
            values.append(study.best_value)
        best[warping] = float(np.median(values))
    # The unwarped GP's length scale cannot fit both the steep bottom and the flat rest.
    assert best[True] < best[False] / 3
    assert best[True] < 0.05


def _quadratic_objective(trial: hpo_lab.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    y = trial.suggest_float("y", 0.0, 1.0)
    return (x - 0.6) ** 2 + (y - 0.3) ** 2


@pytest.mark.parametrize(
    ("objective", "warped"), [(_log_scale_objective, True), (_quadratic_objective, False)]
)
def test_the_default_warps_only_where_the_data_support_it(objective: Any, warped: bool) -> None:
    sampler = GPSampler(seed=0)  # input_warping=None
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(objective, n_trials=30)
    (fit,) = sampler._fitted.values()
    assert (fit.params.warp_columns == (0, 1)) is warped
    assert (fit.params.log_warp is not None) is warped


def test_where_the_warp_is_never_kept_the_default_proposes_what_no_warping_does() -> None:
    runs = []
    for warping in (None, False):
        study = hpo_lab.create_study(sampler=GPSampler(seed=5, input_warping=warping))
        study.optimize(_quadratic_objective, n_trials=25)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]


def test_warping_covers_the_numeric_parameters_only_and_survives_a_copy() -> None:
    sampler = GPSampler(seed=0, n_startup_trials=4, input_warping=True)
    study = hpo_lab.create_study(sampler=sampler)

    def objective(t: hpo_lab.Trial) -> float:
        colour = t.suggest_categorical("colour", ["red", "green"])
        k = t.suggest_int("k", 0, 8)
        x = t.suggest_float("x", 0.0, 1.0)
        return (x - 0.2) ** 2 + abs(k - 3) / 8 + (colour == "red")

    study.optimize(objective, n_trials=8)
    (fit,) = sampler._fitted.values()
    # Columns: colour (two one-hot columns), k, x.
    assert fit.params.warp_columns == (2, 3)
    assert fit.params.log_warp is not None and fit.params.log_warp.shape == (2, 2)
    twin = pickle.loads(pickle.dumps(sampler))
    (copied,) = twin._fitted.values()
    assert copied.params.warp_columns == (2, 3)
    np.testing.assert_array_equal(copied.params.log_warp, fit.params.log_warp)


def test_input_warping_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match=r"input_warping must be True, False or None.*'yes'"):
        GPSampler(input_warping="yes")  # type: ignore[arg-type]

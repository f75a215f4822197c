"""GPSampler's trust region: the replayed side, where the search goes, and when it is used."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

import hpo_lab
from hpo_lab.distributions import FloatDistribution, IntDistribution
from hpo_lab.samplers import GPSampler
from hpo_lab.samplers._gp import _optimize
from hpo_lab.samplers._gp._trust import (
    INITIAL_LENGTH,
    MAX_LENGTH,
    region_bounds,
    region_length,
)
from hpo_lab.search_space import encode_unit

X = {"x": FloatDistribution(0.0, 1.0)}


def test_three_improvements_double_the_side_up_to_its_cap() -> None:
    assert region_length([10.0, 9.0, 8.0], 1) == INITIAL_LENGTH
    assert region_length([10.0, 9.0, 8.0, 7.0], 1) == 2 * INITIAL_LENGTH
    assert region_length([10.0 - i for i in range(13)], 1) == MAX_LENGTH


def test_five_failures_halve_it_and_a_collapsed_region_starts_again() -> None:
    assert region_length([1.0] * 5, 1) == INITIAL_LENGTH  # four failures
    assert region_length([1.0] * 6, 1) == INITIAL_LENGTH / 2
    # Below 1/128 (seven halvings from 0.8 leave 0.00625) it starts again at the initial side.
    assert region_length([1.0] * 31, 1) == pytest.approx(INITIAL_LENGTH / 64)
    assert region_length([1.0] * 36, 1) == INITIAL_LENGTH
    # A success in between resets the count of failures.
    assert region_length([1.0, 2.0, 2.0, 0.5, 2.0, 2.0, 2.0, 2.0], 1) == INITIAL_LENGTH


def test_tiny_improvements_are_failures_and_the_start_up_sets_the_first_best() -> None:
    # 1e-4 relative improvements are below the threshold of a thousandth.
    assert region_length([1.0, *(1.0 - 1e-4 * i for i in range(1, 6))], 1) == INITIAL_LENGTH / 2
    # Counted from the best of the start-up: with both first values in it, 0.4 and 0.3 are two
    # successes (no change); with only the first, 0.5, 0.4 and 0.3 are three (doubled).
    assert region_length([2.0, 0.5, 0.4, 0.3], 2) == INITIAL_LENGTH
    assert region_length([2.0, 0.5, 0.4, 0.3], 1) == 2 * INITIAL_LENGTH


def test_sides_follow_the_length_scales_at_constant_volume_and_stay_in_the_box() -> None:
    lo, hi = region_bounds(np.array([0.5, 0.5, 0.99]), 0.2, np.array([1.0, 4.0, 0.25]), np.ones(3))
    # Length scales 1, 4, 1/4 have geometric mean 1: sides 0.2, 0.8 and 0.05.
    np.testing.assert_allclose(hi[:2] - lo[:2], [0.2, 0.8])
    assert hi[2] == 1.0 and lo[2] == pytest.approx(0.99 - 0.025)
    # A narrowed range (span 0.5 of the declared cube) needs twice the coordinates.
    lo, hi = region_bounds(np.array([0.5]), 0.2, np.array([1.0]), np.array([0.5]))
    np.testing.assert_allclose([lo[0], hi[0]], [0.3, 0.7])


def _history(sampler: GPSampler) -> hpo_lab.Study:
    # The best point is at x = 0.2; the values fall towards x = 1, which nothing has tried: a
    # global search goes there, a trust region shrunk by 20 failures stays near 0.2.
    xs = [0.2, 0.0, 0.05, 0.1, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, *np.linspace(0.6, 0.7, 20)]
    study = hpo_lab.create_study(sampler=sampler)
    study.add_trials(
        [
            hpo_lab.create_trial(value=-1.0 if x == 0.2 else 1.0 - x, params={"x": x},
                                 distributions=X)
            for x in xs
        ]
    )
    return study


@pytest.mark.parametrize("seed", [0, 1])
def test_after_failures_the_search_stays_near_the_best_point(seed: int) -> None:
    logging.disable(logging.WARNING)
    try:
        # Without input warping: the spike at 0.2 would make a warped global model stay near
        # it too, and this compares the region with the global search of one model.
        confined = _history(
            GPSampler(seed=seed, trust_region=True, input_warping=False)
        ).ask().suggest_float("x", 0.0, 1.0)
        free = _history(
            GPSampler(seed=seed, trust_region=False, input_warping=False)
        ).ask().suggest_float("x", 0.0, 1.0)
    finally:
        logging.disable(logging.NOTSET)
    # 10 start-up values and 20 failures: halved four times, 0.8 / 16 = 0.05 wide.
    assert 0.175 <= confined <= 0.225
    assert free > 0.5


def _bounds_seen(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []
    original = _optimize.optimize_acquisition

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append((kwargs.get("lower"), kwargs.get("upper")))
        return original(*args, **kwargs)

    monkeypatch.setattr(_optimize, "optimize_acquisition", spy)
    return seen


@pytest.mark.parametrize(
    ("n_numeric", "trust_region", "used"),
    [(10, None, False), (11, None, True), (11, False, False), (2, True, True)],
)
def test_the_default_uses_a_region_from_eleven_numeric_parameters(
    monkeypatch: pytest.MonkeyPatch, n_numeric: int, trust_region: bool | None, used: bool
) -> None:
    seen = _bounds_seen(monkeypatch)

    def objective(trial: hpo_lab.Trial) -> float:
        values = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(n_numeric - 1)]
        values.append(trial.suggest_int("k", 0, 10) / 10)
        # Categorical parameters never count (nor get bounds).
        colour = trial.suggest_categorical("colour", ["red", "green", "blue"])
        return float(np.sum((np.array(values) - 0.3) ** 2)) + (colour != "green")

    study = hpo_lab.create_study(
        sampler=GPSampler(seed=0, n_startup_trials=4, trust_region=trust_region)
    )
    study.optimize(objective, n_trials=6)
    assert len(seen) == 2
    for lower, upper in seen:
        assert (lower is not None) is used
        if used:
            assert lower.shape == upper.shape == (n_numeric + 1,)
            # The categorical coordinate ("colour", first in name order) is left whole.
            assert (lower[0], upper[0]) == (0.0, 1.0)
            assert np.all(lower[1:] <= upper[1:]) and np.any(upper[1:] - lower[1:] < 1.0)
    study_best = study.best_trial.params
    assert set(study_best) == {*(f"x{i}" for i in range(n_numeric - 1)), "k", "colour"}


def test_proposals_stay_inside_the_region_for_integers_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = _bounds_seen(monkeypatch)
    space = {"k": IntDistribution(0, 100), "x": FloatDistribution(0.0, 1.0)}
    study = hpo_lab.create_study(sampler=GPSampler(seed=3, n_startup_trials=5, trust_region=True))

    def objective(t: hpo_lab.Trial) -> float:
        k, x = t.suggest_int("k", 0, 100), t.suggest_float("x", 0.0, 1.0)
        return abs(k - 37) / 100 + (x - 0.6) ** 2

    study.optimize(objective, n_trials=25)
    proposals = study.trials[5:]
    assert len(seen) == len(proposals)
    for (lower, upper), t in zip(seen, proposals):
        k_coord = encode_unit(space["k"], t.params["k"])
        # An integer's coordinate is rounded onto its grid: within half a cell (1/101) of it.
        assert lower[0] - 0.5 / 101 - 1e-9 <= k_coord <= upper[0] + 0.5 / 101 + 1e-9
        assert lower[1] - 1e-9 <= t.params["x"] <= upper[1] + 1e-9
    assert any(u[0] - lo[0] < 0.5 for lo, u in seen)  # the region did shrink


def test_trust_region_must_be_a_bool_or_none() -> None:
    with pytest.raises(TypeError, match=r"trust_region must be True, False or None.*'yes'"):
        GPSampler(trust_region="yes")  # type: ignore[arg-type]

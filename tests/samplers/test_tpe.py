"""TPESampler behaviour: start-up, convergence, liar, narrowing, warm start, states, modes."""

from __future__ import annotations

import copy
import statistics
import threading
import warnings
from typing import Any

import numpy as np
import pytest

import hpo_lab
from hpo_lab.samplers import RandomSampler
from hpo_lab.samplers._tpe import TPESampler, default_gamma
from hpo_lab.study._study import Study
from hpo_lab.trial._state import TrialState
from hpo_lab.trial._trial import Trial

MODES = [pytest.param(False, id="univariate"), pytest.param(True, id="multivariate")]


def _quadratic(trial: Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_float("y", -5.0, 5.0)
    return (x - 1.0) ** 2 + (y + 2.0) ** 2


def _enqueue_and_tell(study: Study, points: list[tuple[dict[str, Any], float | None]]) -> None:
    """Finished trials at fixed points: ``None`` as value means FAIL."""
    for params, value in points:
        study.enqueue_trial(params)
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        if value is None:
            study.tell(trial, state=TrialState.FAIL)
        else:
            study.tell(trial, value)


def _history(n: int, seed: int = 0) -> list[tuple[dict[str, Any], float | None]]:
    xs = np.random.default_rng(seed).random(n)
    return [({"x": float(x)}, float((x - 0.3) ** 2)) for x in xs]


def _next_x(study: Study) -> float:
    trial = study.ask()
    x = trial.suggest_float("x", 0.0, 1.0)
    study.tell(trial, (x - 0.3) ** 2)
    return x


@pytest.mark.parametrize("multivariate", MODES)
def test_startup_trials_ignore_the_values(multivariate: bool) -> None:
    # Until n_startup_trials observations exist, proposals do not depend on the objective.
    runs = []
    for sign in (1.0, -1.0):
        study = hpo_lab.create_study(
            sampler=TPESampler(seed=3, n_startup_trials=8, multivariate=multivariate)
        )
        study.optimize(lambda t, s=sign: s * _quadratic(t), n_trials=14)  # type: ignore[misc]
        runs.append([(t.params["x"], t.params["y"]) for t in study.trials])
    assert runs[0][:8] == runs[1][:8]
    assert runs[0][8:] != runs[1][8:]
    xs = np.array([p[0] for p in runs[0][:8]])
    assert np.all((xs >= -5) & (xs <= 5))


@pytest.mark.parametrize("multivariate", MODES)
def test_concentrates_near_the_optimum(multivariate: bool) -> None:
    errors = {}
    for name, sampler in (
        ("tpe", TPESampler(seed=0, multivariate=multivariate)),
        ("random", RandomSampler(seed=0)),
    ):
        study = hpo_lab.create_study(sampler=sampler)
        study.optimize(_quadratic, n_trials=60)
        late = study.trials[40:]
        errors[name] = statistics.median(
            abs(t.params["x"] - 1.0) + abs(t.params["y"] + 2.0) for t in late
        )
    assert errors["tpe"] < 0.4 * errors["random"]
    assert errors["tpe"] < 2.5


def test_maximize_follows_the_direction() -> None:
    study = hpo_lab.create_study(direction="maximize", sampler=TPESampler(seed=1))
    study.optimize(lambda t: -_quadratic(t), n_trials=50)
    assert abs(study.best_params["x"] - 1.0) < 1.0
    late = [abs(t.params["x"] - 1.0) for t in study.trials[30:]]
    assert statistics.median(late) < 1.5


@pytest.mark.parametrize("multivariate", MODES)
def test_constant_liar_spreads_parallel_asks(multivariate: bool) -> None:
    def spread(seed: int, constant_liar: bool) -> float:
        study = hpo_lab.create_study(
            sampler=TPESampler(seed=seed, multivariate=multivariate, constant_liar=constant_liar)
        )
        study.optimize(_quadratic, n_trials=30)
        # Eight workers ask before any of them reports.
        pending = []
        for _ in range(8):
            trial = study.ask()
            pending.append((trial.suggest_float("x", -5, 5), trial.suggest_float("y", -5, 5)))
        points = np.array(pending)
        d = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(axis=2))
        # The closest pair: without the liar, workers propose (nearly) the same point.
        return float(d[np.triu_indices(8, 1)].min())

    with_liar = sum(spread(seed, True) for seed in range(4))
    without = sum(spread(seed, False) for seed in range(4))
    assert with_liar > 2.0 * without


def test_liar_never_counts_the_trial_being_sampled() -> None:
    study = hpo_lab.create_study(sampler=TPESampler(seed=0, n_startup_trials=3))
    study.optimize(_quadratic, n_trials=5)
    trial = study.ask()
    # The trial's own first value is known to the store while its second is sampled.
    trial.suggest_float("x", -5, 5)
    trial.suggest_float("y", -5, 5)
    study.tell(trial, 0.0)
    assert study.trials[-1].state == TrialState.COMPLETE


@pytest.mark.parametrize("multivariate", MODES)
def test_narrowing_is_respected_and_uses_earlier_observations(multivariate: bool) -> None:
    def objective(trial: Trial) -> float:
        x = trial.suggest_float("x", 0.0, 10.0)
        k = trial.suggest_int("k", 0, 20)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        return (x - 2.0) ** 2 + (k - 3) ** 2 + (c != "a") * 5.0

    x_medians, k_medians = [], []
    for seed in range(3):
        study = hpo_lab.create_study(sampler=TPESampler(seed=seed, multivariate=multivariate))
        study.optimize(objective, n_trials=40)
        revision = study.narrow(x=(4.0, 10.0), k=(6, 20), c=["b", "c"])
        study.optimize(objective, n_trials=15)
        later = [t for t in study.trials if t.revision == revision.number]
        assert len(later) == 15
        for t in later:
            assert 4.0 <= t.params["x"] <= 10.0
            assert 6 <= t.params["k"] <= 20
            assert t.params["c"] in ("b", "c")
        x_medians.append(statistics.median(t.params["x"] for t in later))
        k_medians.append(statistics.median(t.params["k"] for t in later))
    # The earlier trials (and the new ones) say "low is better": proposals crowd the lower
    # edges, where uniform sampling would give medians near 7 and 13.
    assert statistics.mean(x_medians) < 5.5
    assert statistics.mean(k_medians) < 9.5


def test_inherited_trials_are_observations_from_the_first_trial() -> None:
    points = _history(15)
    parent = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    _enqueue_and_tell(parent, points)
    child = hpo_lab.create_study(sampler=TPESampler(seed=9), warm_start_from=parent)
    assert len(child.inherited_trials) == 15
    # The same observations as own trials (weights are flat below 25 observations).
    own = hpo_lab.create_study(sampler=TPESampler(seed=9))
    _enqueue_and_tell(own, points)
    assert [_next_x(child) for _ in range(3)] == [_next_x(own) for _ in range(3)]
    # A cold study is still starting up and ignores the values.
    cold = hpo_lab.create_study(sampler=TPESampler(seed=9))
    assert _next_x(cold) != _next_x(hpo_lab.create_study(sampler=TPESampler(seed=9),
                                                         warm_start_from=parent))


def test_warm_start_shapes_the_first_proposals() -> None:
    parent = hpo_lab.create_study(sampler=TPESampler(seed=0))
    parent.optimize(_quadratic, n_trials=50)
    warm = hpo_lab.create_study(sampler=TPESampler(seed=1), warm_start_from=parent)
    cold = hpo_lab.create_study(sampler=TPESampler(seed=1))
    warm.optimize(_quadratic, n_trials=8)
    cold.optimize(_quadratic, n_trials=8)
    warm_values = [float(t.value or 0.0) for t in warm.trials]
    cold_values = [float(t.value or 0.0) for t in cold.trials]
    assert statistics.median(warm_values) < 0.3 * statistics.median(cold_values)


def test_failed_trials_are_ignored() -> None:
    points = _history(20, seed=1)
    with_failures = points[:10] + [({"x": 0.95}, None)] * 12 + points[10:]
    a = hpo_lab.create_study(sampler=TPESampler(seed=4))
    _enqueue_and_tell(a, points)
    b = hpo_lab.create_study(sampler=TPESampler(seed=4))
    _enqueue_and_tell(b, with_failures)
    assert [_next_x(a) for _ in range(3)] == [_next_x(b) for _ in range(3)]


def test_failed_trials_do_not_end_the_startup() -> None:
    points = [({"x": 0.1}, None)] * 20 + _history(5)
    study = hpo_lab.create_study(sampler=TPESampler(seed=4, n_startup_trials=10))
    _enqueue_and_tell(study, points)
    fresh = hpo_lab.create_study(sampler=TPESampler(seed=4, n_startup_trials=10))
    # Still random: the same draws as a study with no history at all.
    assert _next_x(study) == _next_x(fresh)


def test_pruned_trials_rank_by_their_last_step_then_value() -> None:
    study = hpo_lab.create_study(sampler=TPESampler(seed=0, n_startup_trials=5))
    rng = np.random.default_rng(0)
    for i in range(30):
        deep = i % 2 == 0
        x = 0.2 + 0.02 * rng.standard_normal() if deep else 0.8 + 0.02 * rng.standard_normal()
        study.enqueue_trial({"x": float(np.clip(x, 0, 1))})
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        # Trials near 0.2 went further (step 10) with worse values than those near 0.8 (step 1).
        for step in range(11 if deep else 2):
            trial.report(5.0 if deep else 0.1, step)
        study.tell(trial, state=TrialState.PRUNED)
    xs = []
    for _ in range(10):
        trial = study.ask()
        xs.append(trial.suggest_float("x", 0.0, 1.0))
        study.tell(trial, state=TrialState.PRUNED)
    assert statistics.median(xs) < 0.5


def test_complete_trials_outrank_pruned_ones() -> None:
    study = hpo_lab.create_study(sampler=TPESampler(seed=0, n_startup_trials=5))
    rng = np.random.default_rng(1)
    for i in range(30):
        complete = i % 3 == 0
        x = (0.7 if complete else 0.2) + 0.02 * rng.standard_normal()
        study.enqueue_trial({"x": float(np.clip(x, 0, 1))})
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        if complete:
            study.tell(trial, 10.0)
        else:
            trial.report(-10.0, 0)
            study.tell(trial, state=TrialState.PRUNED)
    xs = [_next_x(study) for _ in range(8)]
    assert statistics.median(xs) > 0.5


@pytest.mark.parametrize("multivariate", MODES)
def test_conditional_space_learns_inside_each_branch(multivariate: bool) -> None:
    def objective(trial: Trial) -> float:
        kind = trial.suggest_categorical("kind", ["a", "b"])
        if kind == "a":
            return (trial.suggest_float("ya", 0.0, 1.0) - 0.8) ** 2
        return 0.5 + trial.suggest_float("yb", 0.0, 1.0)

    study = hpo_lab.create_study(sampler=TPESampler(seed=0, multivariate=multivariate))
    study.optimize(objective, n_trials=60)
    late = study.trials[30:]
    kinds = [t.params["kind"] for t in late]
    assert kinds.count("a") > 0.7 * len(kinds)
    ya = [t.params["ya"] for t in late if "ya" in t.params]
    assert statistics.median(abs(y - 0.8) for y in ya) < 0.15


@pytest.mark.parametrize("multivariate", MODES)
def test_mixed_space_same_seed_same_proposals(multivariate: bool) -> None:
    def objective(trial: Trial) -> float:
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        n = trial.suggest_int("n", 1, 1024, log=True)
        s = trial.suggest_float("s", 0.0, 1.0, step=0.1)
        act = trial.suggest_categorical("act", ["relu", "tanh", None])
        return abs(np.log10(lr) + 3) + abs(np.log2(n) - 5) + s + (act != "tanh")

    runs = []
    for _ in range(2):
        study = hpo_lab.create_study(sampler=TPESampler(seed=11, multivariate=multivariate))
        study.optimize(objective, n_trials=30)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]
    late = runs[0][15:]
    assert sum(p["act"] == "tanh" for p in late) >= 8
    assert statistics.median(abs(np.log2(p["n"]) - 5) for p in late) < 2.5


def test_multivariate_models_the_joint_structure() -> None:
    # A narrow diagonal valley: the joint model should find it at least as well.
    def valley(trial: Trial) -> float:
        x = trial.suggest_float("x", -1.0, 1.0)
        y = trial.suggest_float("y", -1.0, 1.0)
        return 100 * (x - y) ** 2 + 0.1 * (x + y - 1.0) ** 2

    relative = []
    for seed in range(3):
        study = hpo_lab.create_study(sampler=TPESampler(seed=seed, multivariate=True))
        study.optimize(valley, n_trials=40)
        # In multivariate mode the parameters come from the joint (relative) proposal.
        relative.append(study.best_value)
    assert statistics.median(relative) < 0.5


def test_threaded_asks_and_reseed() -> None:
    sampler = TPESampler(seed=0, n_startup_trials=3)
    study = hpo_lab.create_study(sampler=sampler)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(8):
                trial = study.ask()
                study.tell(trial, _quadratic(trial))
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 24
    sampler.reseed_rng(7)
    first = study.ask()
    sampler.reseed_rng(7)
    second = study.ask()
    assert first.suggest_float("x", -5, 5) == second.suggest_float("x", -5, 5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_startup_trials": -1}, "n_startup_trials must be an integer >= 0"),
        ({"n_ei_candidates": 0}, "n_ei_candidates must be an integer >= 1"),
        ({"n_ei_candidates": 2.5}, "n_ei_candidates"),
        ({"prior_weight": 0.0}, "prior_weight must be finite and > 0"),
        ({"max_bad_kernels": 4}, "max_bad_kernels must be an integer >= 8 or None"),
        ({"max_bad_kernels": True}, "max_bad_kernels"),
        ({"categorical_bandwidth": 1.0},
         r"categorical_bandwidth must be None or a number in \[0, 1\), but got "
         r"categorical_bandwidth=1.0"),
        ({"categorical_bandwidth": "0.2"}, "categorical_bandwidth"),
    ],
)
def test_bad_arguments_raise(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TPESampler(**kwargs)


def test_bad_weights_function_raises() -> None:
    sampler = TPESampler(seed=0, n_startup_trials=2, weights=lambda n: np.ones(n + 1))
    study = hpo_lab.create_study(sampler=sampler)
    study.optimize(_quadratic, n_trials=2)
    with pytest.raises(ValueError, match="weights"):
        study.optimize(_quadratic, n_trials=1)


@pytest.mark.parametrize("multivariate", [True, False])
def test_a_range_with_no_density_in_either_model_gives_no_nan_warning(multivariate: bool) -> None:
    # Narrowing a float to a range ~1e-99 wide leaves both Parzen models with zero density
    # there, so l(x) - g(x) is -inf - -inf; that used to raise a RuntimeWarning (NaN).
    study = hpo_lab.create_study(
        sampler=TPESampler(seed=0, n_startup_trials=2, multivariate=multivariate)
    )
    trial = study.ask()
    study.tell(trial, 0.0)
    trial = study.ask()
    trial.suggest_float("a", 0.0, 1.0)
    study.tell(trial, 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            trial = study.ask()
            value = trial.suggest_float("a", 0.0, 1.749254077617092e-99)
            study.tell(trial, 0.0)
            assert 0.0 <= value <= 1.749254077617092e-99


def test_a_range_narrower_than_any_kernel_width_still_gets_proposals() -> None:
    # Found by the contract's random sequences: [0, 5e-324] has a width whose reciprocal
    # overflows; it must count as a single value, not raise an overflow warning.
    study = hpo_lab.create_study(sampler=TPESampler(seed=0, n_startup_trials=2))
    for _ in range(2):
        study.tell(study.ask(), 0.0)
    for _ in range(3):
        trial = study.ask()
        value = trial.suggest_float("a", 0.0, 5e-324)
        assert 0.0 <= value <= 5e-324
        study.tell(trial, 0.0)


def _split_of(study: Study, gamma: Any) -> tuple[list[int], list[int]]:
    """The (good, bad) trial numbers that TPE splits ``study``'s observations into for the
    next trial."""
    sampler = TPESampler(seed=0, n_startup_trials=0, gamma=gamma)
    study.sampler = sampler
    asked = study.ask()
    frozen = next(t for t in study.trials if t.number == asked.number)
    split = sampler._prepare(study.view, frozen)
    assert split is not None
    number_of = {row: number for number, row in split.history.own_rows.items()}
    numbers = [number_of[int(row)] for row in split.rows]
    good = sorted(n for n, below in zip(numbers, split.is_below) if below)
    bad = sorted(n for n, below in zip(numbers, split.is_below) if not below)
    study.tell(asked, state=TrialState.FAIL)
    return good, bad


def _tied_and_pruned_study() -> Study:
    """Trials 0..11: COMPLETE values with ties, PRUNED ones at various steps, FAIL and a RUNNING
    trial, in an order that interleaves them."""
    study = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    outcomes: list[tuple[str, Any]] = [
        ("complete", 2.0),  # 0
        ("complete", 1.0),  # 1
        ("pruned", {0: 0.5, 1: 9.0}),  # 2: deepest report at step 1
        ("complete", 1.0),  # 3: ties with 1
        ("fail", None),  # 4: never an observation
        ("pruned", {0: -5.0}),  # 5: a better value, but only at step 0
        ("complete", 1.0),  # 6: ties with 1 and 3
        ("pruned", None),  # 7: pruned without a report: ranked last
        ("complete", 0.5),  # 8
        ("pruned", {0: 3.0, 1: 8.0}),  # 9: step 1, better than 2
        ("complete", 3.0),  # 10
        ("running", None),  # 11: a liar at most, never counted in the split
    ]
    for kind, value in outcomes:
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        if kind == "complete":
            study.tell(trial, value)
        elif kind == "pruned":
            for step, v in (value or {}).items():
                trial.report(v, step)
            study.tell(trial, state=TrialState.PRUNED)
        elif kind == "fail":
            study.tell(trial, state=TrialState.FAIL)
    return study


# The ranking the split must follow: COMPLETE by value (ties: the older trial first), then
# PRUNED by their deepest step, deeper first, then by the value there, then PRUNED without reports.
_RANKING = [8, 1, 3, 6, 0, 10, 9, 2, 5, 7]


@pytest.mark.parametrize("n_good", [1, 2, 3, 4, 5, 7, 9, 10])
def test_good_group_has_exactly_gamma_observations(n_good: int) -> None:
    seen: list[int] = []

    def gamma(n: int) -> int:
        seen.append(n)
        return n_good

    good, bad = _split_of(_tied_and_pruned_study(), gamma)
    assert seen == [10]  # COMPLETE and PRUNED trials; neither FAIL nor RUNNING ones
    assert good == sorted(_RANKING[:n_good])
    assert bad == sorted(_RANKING[n_good:])


@pytest.mark.parametrize(("n_good", "clamped"), [(0, 1), (-3, 1), (11, 10), (100, 10)])
def test_good_group_size_is_clamped_to_the_observations(n_good: int, clamped: int) -> None:
    good, bad = _split_of(_tied_and_pruned_study(), lambda n: n_good)
    assert good == sorted(_RANKING[:clamped])
    assert len(good) + len(bad) == 10


def test_default_gamma_split_with_ties() -> None:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    # 25 trials, values 0, 0, 1, 1, 2, 2, ...: default_gamma(25) = 3 takes both 0s and the
    # older 1.
    for i in range(25):
        study.enqueue_trial({"x": i / 25})
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        study.tell(trial, float(i // 2))
    good, _ = _split_of(study, default_gamma)
    assert default_gamma(25) == 3
    assert good == [0, 1, 2]


@pytest.mark.parametrize(
    ("n_good", "good_inside", "good_outside"),
    [(2, {3, 6}, {8, 1}), (0, {3}, {8, 1}), (100, {3, 6, 0, 10, 9, 7}, {8, 1, 2, 5})],
)
def test_good_group_inside_a_narrowed_box_has_exactly_gamma_of_the_inside(
    n_good: int, good_inside: set[int], good_outside: set[int]
) -> None:
    study = _tied_and_pruned_study()
    sampler = TPESampler(seed=0, n_startup_trials=0, gamma=lambda n: n_good)
    study.sampler = sampler
    asked = study.ask()
    frozen = next(t for t in study.trials if t.number == asked.number)
    split = sampler._prepare(study.view, frozen)
    assert split is not None
    number_of = {row: number for number, row in split.history.own_rows.items()}
    numbers = [number_of[int(row)] for row in split.rows]
    inside_numbers = {0, 3, 6, 9, 10, 7}  # by rank: 3, 6, 0, 10, 9, 7
    inside = np.array([n in inside_numbers for n in numbers])
    good = {n for n, b in zip(numbers, split.below_within(inside)) if b}
    # The best gamma(6) inside (at least one, at most all six) set the threshold; outside, the
    # observations ranked better than it are good too.
    assert {n for n in good if n in inside_numbers} == good_inside
    assert {n for n in good if n not in inside_numbers} == good_outside


def test_a_copy_ranks_tied_observations_as_the_original() -> None:
    # Values are 0 or 1, so the good group is picked among ties; a copied sampler reads the
    # whole history at once, and must pick the same observations as the original, which read
    # it trial by trial (here with two trials told out of order).
    def objective(trial: Trial) -> float:
        return float(trial.suggest_float("x", 0.0, 1.0) > 0.3)

    def history() -> Study:
        study = hpo_lab.create_study(
            study_name="ties", sampler=TPESampler(seed=1, n_startup_trials=5)
        )
        study.optimize(objective, n_trials=12)
        first, second = study.ask(), study.ask()
        study.tell(second, objective(second))
        study.tell(first, objective(first))
        study.optimize(objective, n_trials=10)
        return study

    study, twin = history(), history()
    assert [t.params for t in study.trials] == [t.params for t in twin.trials]
    twin.sampler = copy.deepcopy(study.sampler)
    study.optimize(objective, n_trials=8)
    twin.optimize(objective, n_trials=8)
    assert [t.params for t in study.trials] == [t.params for t in twin.trials]


def _mixed(trial: Trial) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    n = trial.suggest_int("n", 1, 64, log=True)
    k = trial.suggest_int("k", 0, 20)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return (x - 1.0) ** 2 + (np.log2(n) - 3) ** 2 + 0.1 * (k - 7) ** 2 + (c != "b")


def test_short_studies_fit_every_observation() -> None:
    # The bad group of 100 trials stays below the default limit: the same proposals as an
    # unlimited sampler, bit for bit.
    from hpo_lab.samplers._tpe._sampler import DEFAULT_MAX_BAD_KERNELS

    assert DEFAULT_MAX_BAD_KERNELS > 100
    runs = []
    for limit in (DEFAULT_MAX_BAD_KERNELS, None):
        study = hpo_lab.create_study(sampler=TPESampler(seed=3, max_bad_kernels=limit))
        study.optimize(_mixed, n_trials=100)
        runs.append([(t.params, t.value) for t in study.trials])
    assert runs[0] == runs[1]


def test_long_studies_fit_the_bad_group_to_at_most_max_bad_kernels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import hpo_lab.samplers._tpe._sampler as tpe_module

    sizes: list[int] = []
    real = tpe_module.ParzenEstimator

    def recording(obs: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        sizes.append(len(obs))
        return real(obs, *args, **kwargs)

    monkeypatch.setattr(tpe_module, "ParzenEstimator", recording)
    study = hpo_lab.create_study(sampler=TPESampler(seed=0, max_bad_kernels=16))
    study.optimize(_mixed, n_trials=80)
    # Fits alternate good, bad: the bad group grows to 70 observations, fitted on <= 16 rows.
    bad = sizes[1::2]
    assert len(bad) == 70 and max(bad) == 16 and bad[-1] == 16
    assert sizes[0::2][-1] == default_gamma(79)  # the good group stays exact
    # Still a working model: it improves well on random search in the same budget.
    rand = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    rand.optimize(_mixed, n_trials=80)
    assert study.best_value < rand.best_value


def test_grid_keys_match_exactly_the_equal_grid_points() -> None:
    from hpo_lab.samplers._tpe._parzen import Dimension
    from hpo_lab.samplers._tpe._sampler import _grid_keys

    rng = np.random.default_rng(0)
    small = [Dimension.categorical(5), Dimension(0.0, 1.0, step=0.25), Dimension(1, 8, step=1)]
    # Wide grids whose cell count passes 2**62 take the byte-string path.
    wide = [Dimension(0, 10**7, step=1)] * 3
    for dims in (small, wide):
        cells = np.column_stack([
            rng.integers(0, 5, 400), rng.integers(0, 5, 400) * 0.25, rng.integers(1, 9, 400)
        ]) if dims is small else rng.integers(0, 3, (400, 3)).astype(float)
        keys = _grid_keys(cells, dims)
        assert keys is not None
        same = keys[:, None] == keys[None, :]
        assert np.array_equal(same, np.all(cells[:, None, :] == cells[None, :, :], axis=2))
    # A row off the grid (outside a narrowed range) never matches a row on it.
    off = np.array([[0.0, 0.0, 1.0], [0.0, 1.25, 1.0], [4.0, 1.0, 8.0]])
    keys = _grid_keys(off, small)
    assert keys is not None and keys[1] == -1 and keys[0] != keys[2] and keys[0] >= 0
    assert _grid_keys(off, [Dimension(0.0, 1.0), *small[1:]]) is None  # a continuous column


def test_categorical_bandwidth_reaches_the_estimators(monkeypatch: pytest.MonkeyPatch) -> None:
    from hpo_lab.samplers._tpe import _sampler

    seen: list[Any] = []

    class Recording(_sampler.ParzenEstimator):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            seen.append(kwargs.get("categorical_bandwidth"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(_sampler, "ParzenEstimator", Recording)
    for bw, multivariate in ((0.2, True), (0.0, False), (None, True)):
        seen.clear()
        study = hpo_lab.create_study(
            sampler=TPESampler(seed=0, categorical_bandwidth=bw, multivariate=multivariate)
        )
        study.optimize(
            lambda t: t.suggest_float("x", 0, 1) + len(t.suggest_categorical("c", ["a", "bb"])),
            n_trials=12,
        )
        assert seen and set(seen) == {bw}


@pytest.mark.parametrize("seed", [0, 1])
def test_a_grid_point_is_not_proposed_twice(seed: int) -> None:
    # In a space of grid values and choices only, TPE skips candidates already evaluated (the
    # observations' keys are kept sorted between asks and merged as trials finish).
    def objective(trial: Any) -> float:
        x = trial.suggest_int("x", 0, 9)
        y = trial.suggest_float("y", 0.0, 0.9, step=0.1)
        c = trial.suggest_categorical("c", ["a", "b", "c"])
        return (x - 3) ** 2 + (y - 0.4) ** 2 + (c != "b")

    study = hpo_lab.create_study(sampler=TPESampler(seed=seed, n_startup_trials=5))
    study.optimize(objective, n_trials=80)
    points = [(t.params["x"], round(t.params["y"], 6), t.params["c"]) for t in study.trials]
    repeats = [i for i in range(5, len(points)) if points[i] in points[:i]]
    assert repeats == []

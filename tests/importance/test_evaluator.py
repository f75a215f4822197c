"""get_param_importances on real studies."""

from __future__ import annotations

import pytest

import hpo_lab
from hpo_lab.importance import (
    ImportanceResult,
    fanova_importances,
    get_param_importances,
    importance_inputs,
)
from hpo_lab.samplers import RandomSampler


def _study(n_trials: int = 60, seed: int = 0) -> hpo_lab.Study:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=seed))

    def objective(t: hpo_lab.Trial) -> float:
        lr = t.suggest_float("lr", 1e-5, 1e-1, log=True)
        k = t.suggest_int("k", 1, 8)
        opt = t.suggest_categorical("opt", ["a", "b", "c"])
        t.suggest_float("unused", 0, 1)
        import math

        return 5 * (math.log10(lr) + 3) ** 2 + 0.5 * k + {"a": 0.0, "b": 2.0, "c": 1.0}[opt]

    study.optimize(objective, n_trials=n_trials)
    return study


def test_ranks_parameters_by_their_effect_and_sums_to_one() -> None:
    imp = get_param_importances(_study())
    assert next(iter(imp)) == "lr"
    assert list(imp)[-1] == "unused"
    assert sum(imp.values()) == pytest.approx(1.0)
    assert list(imp.values()) == sorted(imp.values(), reverse=True)


def test_params_restricts_and_keeps_the_order_by_importance() -> None:
    imp = get_param_importances(_study(), params=["unused", "lr"])
    assert list(imp) == ["lr", "unused"]
    assert sum(imp.values()) == pytest.approx(1.0)


def test_target_replaces_the_value() -> None:
    study = _study()
    imp = get_param_importances(study, target=lambda t: float(t.params["k"]))
    assert next(iter(imp)) == "k"


def _interaction_study() -> hpo_lab.Study:
    # A pure interaction: neither parameter explains much variance on its own, so the raw
    # fractions sum to far less than 1 and normalizing them changes every value.
    study = hpo_lab.create_study(sampler=RandomSampler(seed=3))
    study.optimize(
        lambda t: (t.suggest_float("a", 0, 1) - 0.5) * (t.suggest_float("b", 0, 1) - 0.5)
        + 0.2 * t.suggest_float("c", 0, 1),
        n_trials=80,
    )
    return study


def test_normalize_false_returns_raw_variance_fractions() -> None:
    study = _interaction_study()
    raw = get_param_importances(study, normalize=False)
    names, x, y, n_choices = importance_inputs(study.trials)
    expected = fanova_importances(x, y, n_choices, n_trees=64, seed=0).raw
    assert raw == {n: pytest.approx(float(v)) for n, v in zip(names, expected)}
    assert 0.0 < sum(raw.values()) < 0.8
    normalized = get_param_importances(study)
    assert list(raw) == list(normalized)
    total = sum(raw.values())
    assert normalized == {n: pytest.approx(v / total) for n, v in raw.items()}


def test_normalize_false_scales_the_intervals_too() -> None:
    study = _interaction_study()
    res = get_param_importances(study, normalize=False, intervals=True, n_bootstrap=8)
    normalized = get_param_importances(study, intervals=True, n_bootstrap=8)
    total = sum(res.importances.values())
    assert total < 0.8
    assert res.importances == get_param_importances(study, normalize=False)
    for name in res.importances:
        assert res.lower[name] == pytest.approx(normalized.lower[name] * total)
        assert res.upper[name] == pytest.approx(normalized.upper[name] * total)


def test_intervals_on_request() -> None:
    res = get_param_importances(_study(), intervals=True, n_bootstrap=16, confidence=0.8)
    assert isinstance(res, ImportanceResult)
    assert res.confidence == 0.8
    assert res.n_trials == 60
    assert list(res.lower) == list(res.importances)
    for name, v in res.importances.items():
        assert res.lower[name] <= res.upper[name]
        assert res.lower[name] - 0.1 <= v <= res.upper[name] + 0.1


def test_only_complete_trials_count() -> None:
    study = _study(30)
    study.optimize(lambda t: (_ for _ in ()).throw(hpo_lab.TrialPruned()), n_trials=3)
    res = get_param_importances(study, intervals=True, n_bootstrap=4)
    assert res.n_trials == 30


def test_parameters_missing_from_some_trials_are_left_out() -> None:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=0))

    def objective(t: hpo_lab.Trial) -> float:
        x = t.suggest_float("x", 0, 1)
        if x > 0.5:
            t.suggest_int("sometimes", 0, 3)
        return x

    study.optimize(objective, n_trials=20)
    assert list(get_param_importances(study)) == ["x"]
    with pytest.raises(ValueError, match="'sometimes' is not in every COMPLETE trial"):
        get_param_importances(study, params=["sometimes"])


def test_single_valued_parameters_are_skipped() -> None:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    study.optimize(
        lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("fixed", 3, 3), n_trials=10
    )
    assert list(get_param_importances(study)) == ["x"]


def test_works_on_a_study_snapshot() -> None:
    from hpo_lab.viz import snapshot

    study = _study()
    assert get_param_importances(snapshot(study)) == get_param_importances(study)


@pytest.mark.parametrize("n_trials", [0, 1])
def test_too_few_trials_raise(n_trials: int) -> None:
    study = _study(n_trials) if n_trials else hpo_lab.create_study()
    match = f"at least 2 COMPLETE trials with a value, but the study has {n_trials}"
    with pytest.raises(ValueError, match=match):
        get_param_importances(study)


def test_two_trials_are_enough() -> None:
    imp = get_param_importances(_study(2))
    assert sum(imp.values()) == pytest.approx(1.0)


def test_no_parameters_raise() -> None:
    study = hpo_lab.create_study()
    study.optimize(lambda t: 1.0, n_trials=3)
    with pytest.raises(ValueError, match="at least one parameter"):
        get_param_importances(study)


def test_bad_arguments_raise() -> None:
    study = _study(5)
    with pytest.raises(TypeError, match="list of names"):
        get_param_importances(study, params="lr")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="normalize must be a bool"):
        get_param_importances(study, normalize=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="target of trial 0"):
        get_param_importances(study, target=lambda t: float("nan"))


def test_inputs_encode_log_int_and_categorical() -> None:
    study = _study(5)
    names, x, y, k = importance_inputs(study.trials)
    assert names == ["k", "lr", "opt", "unused"]
    assert x.shape == (5, 4)
    assert k.tolist() == [0, 0, 3, 0]
    assert ((x[:, [0, 1, 3]] >= 0) & (x[:, [0, 1, 3]] <= 1)).all()
    assert set(x[:, 2].tolist()) <= {0.0, 1.0, 2.0}
    assert y.tolist() == [t.value for t in study.trials]


def test_trials_whose_target_is_none_are_dropped_and_counted() -> None:
    study = _study()
    # A metric that only trials with k >= 4 have: the others must be left out, not crash.
    res = get_param_importances(
        study,
        target=lambda t: float(t.params["k"]) if t.params["k"] >= 4 else None,  # type: ignore[arg-type,return-value]
        intervals=True,
    )
    n_none = sum(1 for t in study.trials if t.params["k"] < 4)
    assert n_none > 0
    assert res.n_skipped == n_none
    assert res.n_trials == 60 - n_none
    assert next(iter(res.importances)) == "k"
    with pytest.raises(ValueError, match=r"has 0 \(60 without a target value\)"):
        get_param_importances(study, target=lambda t: None)  # type: ignore[arg-type,return-value]


def test_max_trials_caps_the_evaluated_trials_with_a_uniform_sample() -> None:
    study = _study(n_trials=120)
    res = get_param_importances(study, intervals=True, max_trials=50)
    assert (res.n_trials, res.n_capped) == (50, 70)
    assert next(iter(res.importances)) == "lr"
    full = get_param_importances(study, intervals=True, max_trials=None)
    assert (full.n_trials, full.n_capped) == (120, 0)
    for bad in (1, 2.5, True):
        with pytest.raises(ValueError, match="max_trials must be an int >= 2"):
            get_param_importances(study, max_trials=bad)  # type: ignore[arg-type]

"""HPOSearchCV against scikit-learn itself: the same keys and numbers as RandomizedSearchCV, real
estimators, pruning across folds and partial_fit iterations, background fits."""

from __future__ import annotations

import pickle
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.linear_model import Ridge, SGDClassifier
from sklearn.model_selection import KFold, RandomizedSearchCV, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

import hpo_lab
from hpo_lab.distributions import FloatDistribution, IntDistribution
from hpo_lab.pruners import MedianPruner
from hpo_lab.samplers import RandomSampler
from hpo_lab.sklearn import HPOSearchCV
from hpo_lab.sklearn._space import parse_param_distributions

X_IRIS, Y_IRIS = load_iris(return_X_y=True)

TREE_SPACE = {
    "max_depth": stats.randint(1, 6),
    "min_samples_leaf": [1, 2, 4],
    "criterion": ["gini", "entropy"],
}


def test_cv_results_have_the_keys_and_numbers_of_randomized_search_cv() -> None:
    tree = DecisionTreeClassifier(random_state=0)
    ours = HPOSearchCV(
        tree, TREE_SPACE, n_trials=6, cv=3, random_state=0, return_train_score=True
    ).fit(X_IRIS, Y_IRIS)
    theirs = RandomizedSearchCV(
        tree, TREE_SPACE, n_iter=6, cv=3, random_state=0, return_train_score=True
    ).fit(X_IRIS, Y_IRIS)

    assert set(ours.cv_results_) - set(theirs.cv_results_) == {"trial_number", "state"}
    assert set(theirs.cv_results_) <= set(ours.cv_results_)
    results = ours.cv_results_
    assert all(len(v) == 6 for v in results.values())
    assert isinstance(results["param_max_depth"], np.ma.MaskedArray)
    assert results["param_max_depth"].dtype.kind == "i"
    assert results["param_criterion"].dtype == object
    assert list(results["state"]) == ["COMPLETE"] * 6

    # The split scores are those of scikit-learn's own cross-validation of each candidate.
    for params, *splits in zip(
        results["params"], *(results[f"split{k}_test_score"] for k in range(3))
    ):
        expected = cross_val_score(clone(tree).set_params(**params), X_IRIS, Y_IRIS, cv=3)
        np.testing.assert_allclose(splits, expected)
    np.testing.assert_allclose(
        results["mean_test_score"],
        np.mean([results[f"split{k}_test_score"] for k in range(3)], axis=0),
    )
    assert (results["mean_fit_time"] > 0).all() and (results["mean_score_time"] > 0).all()

    best = ours.best_index_
    assert results["rank_test_score"][best] == 1
    assert ours.best_score_ == results["mean_test_score"].max()
    assert ours.best_params_ == results["params"][best]
    assert ours.n_splits_ == 3 and ours.refit_time_ > 0 and ours.multimetric_ is False
    assert ours.best_estimator_.get_params()["max_depth"] == ours.best_params_["max_depth"]
    np.testing.assert_array_equal(ours.predict(X_IRIS), ours.best_estimator_.predict(X_IRIS))
    np.testing.assert_allclose(
        ours.predict_proba(X_IRIS), ours.best_estimator_.predict_proba(X_IRIS)
    )
    assert ours.score(X_IRIS, Y_IRIS) == ours.best_estimator_.score(X_IRIS, Y_IRIS)
    np.testing.assert_array_equal(ours.classes_, [0, 1, 2])
    assert ours.n_features_in_ == 4
    assert not hasattr(ours, "decision_function")  # trees have none
    assert [t.number for t in ours.study_.trials] == list(results["trial_number"])


def test_distributions_are_searched_as_what_they_stand_for() -> None:
    class Thrice:  # an object with rvs only: searched through a seed
        def rvs(self, random_state: Any = None) -> float:
            return float(np.random.default_rng(random_state).integers(0, 3)) * 3

    space = parse_param_distributions(
        {
            "a": stats.uniform(2, 3),
            "b": stats.loguniform(1e-3, 10),
            "c": stats.randint(1, 5),
            "d": stats.norm(0, 1),
            "e": stats.poisson(3),
            "f": Thrice(),
            "g": [StandardScaler(), MinMaxScaler()],
            "h": [(10,), (20, 20)],
            "i": FloatDistribution(0, 1, step=0.25),
        }
    )
    specs = {s.name: s for s in space.subspaces[0]}
    assert specs["a"].distribution == FloatDistribution(2.0, 5.0)
    assert specs["b"].distribution == FloatDistribution(1e-3, 10.0, log=True)
    assert specs["c"].distribution == IntDistribution(1, 4)
    assert specs["d"].key == "d (quantile)" and specs["d"].decode(0.5) == 0.0
    assert specs["e"].key == "e (quantile)" and specs["e"].decode(0.5) == 3
    assert isinstance(specs["e"].decode(0.5), int)
    assert specs["f"].key == "f (seed)" and specs["f"].decode(7) in (0.0, 3.0, 6.0)
    assert specs["g"].distribution.choices == ("StandardScaler()", "MinMaxScaler()")
    assert specs["h"].decode("(20, 20)") == (20, 20)
    assert specs["i"].distribution == FloatDistribution(0, 1, step=0.25)


def test_estimators_as_values_are_cloned_and_reported() -> None:
    scalers = [StandardScaler(), MinMaxScaler()]
    pipe = Pipeline([("scale", StandardScaler()), ("knn", KNeighborsClassifier())])
    search = HPOSearchCV(
        pipe, {"scale": scalers, "knn__n_neighbors": stats.randint(1, 15)},
        n_trials=5, cv=3, random_state=1,
    ).fit(X_IRIS, Y_IRIS)
    assert all(p["scale"] in scalers for p in search.cv_results_["params"])
    # The objects given stay unfitted: every trial fitted a clone.
    assert not any(hasattr(s, "mean_") or hasattr(s, "data_min_") for s in scalers)
    stored = {t.params["scale"] for t in search.study_.trials}
    assert stored <= {"StandardScaler()", "MinMaxScaler()"}


def test_a_list_of_dicts_searches_each_subspace_and_masks_absent_params() -> None:
    search = HPOSearchCV(
        SVC(),
        [
            {"kernel": ["linear"], "C": stats.loguniform(1e-2, 1e2)},
            {"kernel": ["rbf"], "C": stats.loguniform(1e-2, 1e2), "gamma": [0.01, 0.1, 1.0]},
        ],
        n_trials=10, cv=3, random_state=0, sampler="random",
    ).fit(X_IRIS, Y_IRIS)
    results = search.cv_results_
    kernels = list(results["param_kernel"])
    assert set(kernels) == {"linear", "rbf"}
    linear = np.array(kernels) == "linear"
    np.testing.assert_array_equal(results["param_gamma"].mask, linear)
    assert all(("gamma" in p) == (k == "rbf") for p, k in zip(results["params"], kernels))
    # "kernel" has a different range in each dict: one hpo_lab parameter per range.
    assert set(search.study_.trials[0].params) >= {"(subspace)"}
    assert any("kernel@0" in t.params for t in search.study_.trials)


def test_multimetric_scoring_optimises_the_refit_metric() -> None:
    search = HPOSearchCV(
        DecisionTreeClassifier(random_state=0), TREE_SPACE, n_trials=5, cv=3, random_state=0,
        scoring={"acc": "accuracy", "f1": "f1_macro"}, refit="f1",
    ).fit(X_IRIS, Y_IRIS)
    results = search.cv_results_
    assert {"mean_test_acc", "mean_test_f1", "rank_test_acc", "rank_test_f1"} <= set(results)
    assert search.best_score_ == results["mean_test_f1"][search.best_index_]
    assert results["rank_test_f1"][search.best_index_] == 1
    assert search.multimetric_ and set(search.scorer_) == {"acc", "f1"}
    values = [t.value for t in search.study_.trials]
    np.testing.assert_allclose(values, results["mean_test_f1"])
    assert search.score(X_IRIS, Y_IRIS) == pytest.approx(
        search.scorer_["f1"](search.best_estimator_, X_IRIS, Y_IRIS)
    )

    plain = HPOSearchCV(
        DecisionTreeClassifier(random_state=0), TREE_SPACE, n_trials=3, cv=3,
        scoring=["accuracy", "f1_macro"], refit=False,
    ).fit(X_IRIS, Y_IRIS)
    assert not hasattr(plain, "best_params_") and not hasattr(plain, "best_estimator_")
    with pytest.raises(AttributeError) as info:
        plain.predict(X_IRIS)
    assert "refit=False" in str(info.value) + str(info.value.__cause__)


def test_pruning_across_folds_stops_bad_candidates_early() -> None:
    study_pruner = MedianPruner(n_startup_trials=3, n_warmup_steps=0)
    search = HPOSearchCV(
        DecisionTreeClassifier(random_state=0),
        {"max_depth": stats.randint(1, 8)},
        n_trials=20, cv=KFold(5, shuffle=True, random_state=0), random_state=0,
        sampler=RandomSampler(seed=3), pruner=study_pruner,
    ).fit(X_IRIS, Y_IRIS)
    trials = search.study_.trials
    pruned = [t for t in trials if t.state == hpo_lab.TrialState.PRUNED]
    complete = [t for t in trials if t.state == hpo_lab.TrialState.COMPLETE]
    assert pruned, [t.params for t in trials]
    assert all(len(t.intermediate_values) < 5 for t in pruned)
    assert all(sorted(t.intermediate_values) == [0, 1, 2, 3, 4] for t in complete)
    assert all(t.params["max_depth"] <= 3 for t in pruned)  # shallow trees are the bad ones
    results = search.cv_results_
    rows = np.flatnonzero(results["state"] == "PRUNED")
    assert np.isnan(results["mean_test_score"][rows]).all()
    assert (results["rank_test_score"][rows] == results["rank_test_score"].max()).all()
    assert np.isnan(results["split4_test_score"][rows]).all()
    assert not np.isnan(results["split0_test_score"][rows]).any()
    assert results["state"][search.best_index_] == "COMPLETE"
    # The pruner compared running mean scores fold by fold; the study maximises them.
    assert search.study_.direction == "maximize"


def test_partial_fit_estimators_are_pruned_between_iterations() -> None:
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    search = HPOSearchCV(
        SGDClassifier(random_state=0),
        {"alpha": stats.loguniform(1e-5, 1e1)},
        n_trials=12, cv=3, max_iter=6, random_state=0, sampler=RandomSampler(seed=0),
        pruner=MedianPruner(n_startup_trials=3, n_warmup_steps=1),
    ).fit(X, y)
    trials = search.study_.trials
    complete = [t for t in trials if t.state == hpo_lab.TrialState.COMPLETE]
    pruned = [t for t in trials if t.state == hpo_lab.TrialState.PRUNED]
    assert all(sorted(t.intermediate_values) == list(range(6)) for t in complete)
    assert pruned and all(len(t.intermediate_values) < 6 for t in pruned)
    # The refitted model is the one cross-validated: 6 partial_fit passes, no fit().
    assert search.best_estimator_.t_ == pytest.approx(6 * len(y) + 1)
    assert search.best_score_ > 0.85


def test_failed_fits_score_error_score_and_warn_or_raise() -> None:
    space = {"max_depth": [-1, 3]}  # -1 is refused by the tree when it fits

    def both() -> hpo_lab.Study:
        study = hpo_lab.create_study(direction="maximize")
        study.enqueue_trial({"max_depth": -1})
        study.enqueue_trial({"max_depth": 3})
        return study

    with pytest.warns(FitFailedWarning, match="3 fits or scorings failed out of 6"):
        search = HPOSearchCV(
            DecisionTreeClassifier(), space, n_trials=2, cv=3, study=both()
        ).fit(X_IRIS, Y_IRIS)
    results = search.cv_results_
    bad = [i for i, p in enumerate(results["params"]) if p["max_depth"] == -1]
    assert len(bad) == 1 and np.isnan(results["mean_test_score"][bad[0]])
    assert results["state"][bad[0]] == "FAIL"
    assert search.best_params_ == {"max_depth": 3}

    zero = HPOSearchCV(
        DecisionTreeClassifier(), space, n_trials=2, cv=3, study=both(), error_score=0.0
    )
    with pytest.warns(FitFailedWarning):
        zero.fit(X_IRIS, Y_IRIS)
    assert 0.0 in zero.cv_results_["mean_test_score"]

    with pytest.raises(ValueError, match="max_depth"):
        HPOSearchCV(
            DecisionTreeClassifier(), {"max_depth": [-1]}, n_trials=1, cv=3, error_score="raise"
        ).fit(X_IRIS, Y_IRIS)
    with pytest.raises(ValueError, match="all 1 candidates failed"):
        HPOSearchCV(DecisionTreeClassifier(), {"max_depth": [-1]}, n_trials=1, cv=3).fit(
            X_IRIS, Y_IRIS
        )


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"param_distributions": {"C": 3}}, TypeError, r"param_distributions\['C'\] must be"),
        ({"param_distributions": {"C": []}}, ValueError, "empty list"),
        ({"param_distributions": []}, TypeError, "non-empty list of dicts"),
        ({"n_trials": -1}, ValueError, "n_trials must be a non-negative int"),
        ({"n_iter": 2.5}, ValueError, "n_iter must be a non-negative int"),
        ({"n_trials": None}, ValueError, "n_trials and timeout cannot both be None"),
        ({"timeout": -1}, ValueError, "timeout must be a finite number of seconds"),
        ({"n_jobs": 0}, ValueError, "n_jobs must be an int >= 1"),
        ({"error_score": "ignore"}, ValueError, "error_score must be 'raise' or a number"),
        ({"refit": len}, ValueError, "a callable refit is not supported"),
        ({"refit": "f1"}, ValueError, "refit='f1' names a metric"),
        ({"scoring": ["accuracy"], "refit": True}, ValueError, "refit must name the metric"),
        ({"scoring": ["accuracy"], "refit": "f1"}, ValueError, "not one of the scoring"),
        ({"scoring": 5}, ValueError, "scoring must be None"),
        ({"max_iter": 5}, ValueError, "partial_fit, which Ridge does not have"),
        ({"max_iter": 0}, ValueError, "max_iter must be an int >= 1"),
        ({"sampler": "annealing"}, ValueError, "sampler must be one of"),
        ({"sampler": object()}, TypeError, "sampler must be an hpo_lab sampler"),
        ({"pruner": "sometimes"}, ValueError, "pruner must be one of"),
        ({"study": "mine"}, TypeError, "study must be an hpo_lab Study"),
        ({"cv": 1}, ValueError, "n_splits"),
    ],
)
def test_each_bad_argument_gets_one_clear_error(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    X, y = load_diabetes(return_X_y=True)
    args: dict[str, Any] = {"param_distributions": {"alpha": [0.1, 1.0]}, "n_trials": 2, "cv": 2}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        HPOSearchCV(Ridge(), **args).fit(X, y)


def test_a_study_passed_in_keeps_the_trials_of_every_fit(tmp_path: Path) -> None:
    study = hpo_lab.create_study(
        study_name="ridge", storage=str(tmp_path / "s.db"), direction="maximize"
    )
    X, y = load_diabetes(return_X_y=True)
    search = HPOSearchCV(Ridge(), {"alpha": stats.loguniform(1e-3, 1e2)}, n_trials=3, study=study)
    search.fit(X, y)
    search.fit(X, y)
    assert len(study.trials) == 6
    assert list(search.cv_results_["trial_number"]) == [3, 4, 5]  # this fit's trials only
    assert search.study_ is study
    # A clone shares the study (a study cannot be copied), and pickling keeps the results.
    assert clone(search).study is study
    restored = pickle.loads(pickle.dumps(search))
    assert restored.study is None and not hasattr(restored, "study_")
    np.testing.assert_allclose(restored.predict(X[:5]), search.predict(X[:5]))
    assert restored.best_params_ == search.best_params_

    minimizing = hpo_lab.create_study()
    with pytest.raises(ValueError, match="direction 'maximize'"):
        HPOSearchCV(Ridge(), {"alpha": [1.0]}, study=minimizing).fit(X, y)
    with pytest.raises(ValueError, match="give sampler and pruner to create_study"):
        HPOSearchCV(Ridge(), {"alpha": [1.0]}, study=study, sampler="random").fit(X, y)


def test_get_params_set_params_and_the_n_iter_alias() -> None:
    search = HPOSearchCV(Ridge(), {"alpha": [0.1, 1.0]}, n_iter=3, cv=2, random_state=0)
    params = search.get_params()
    assert params["n_iter"] == 3 and params["estimator__alpha"] == 1.0
    search.set_params(estimator__fit_intercept=False, n_trials=99)
    X, y = load_diabetes(return_X_y=True)
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 3  # n_iter wins over n_trials
    assert search.best_estimator_.fit_intercept is False
    repeat = clone(search).fit(X, y)  # seeded: the same candidates again
    assert repeat.cv_results_["params"] == search.cv_results_["params"]


class _Gated(ClassifierMixin, BaseEstimator):
    """A classifier whose fit waits for a gate: keeps a background search running."""

    gate = threading.Event()

    def __init__(self, k: int = 1) -> None:
        self.k = k

    def fit(self, X: Any, y: Any) -> _Gated:
        assert self.gate.wait(60)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X: Any) -> Any:
        return np.full(len(X), self.classes_[0])


def test_background_fit_returns_the_run_and_fills_in_when_it_ends() -> None:
    _Gated.gate.clear()
    search = HPOSearchCV(_Gated(), {"k": [1, 2, 3]}, n_trials=3, cv=2, random_state=0)
    run = search.fit(X_IRIS, Y_IRIS, background=True)
    assert isinstance(run, hpo_lab.execution.Run) and run.is_live()
    assert search.run_ is run and not hasattr(search, "cv_results_")
    with pytest.raises(NotFittedError, match=r"search.wait\(\)"):
        search.predict(X_IRIS)
    with pytest.raises(RuntimeError, match="still running in the background"):
        search.fit(X_IRIS, Y_IRIS)
    with pytest.raises(TimeoutError):
        search.wait(timeout=0.2)
    _Gated.gate.set()
    assert search.wait(timeout=60) is search
    assert run.status.value == "finished"
    assert len(search.cv_results_["params"]) == 3
    assert search.predict(X_IRIS[:2]).tolist() == [0, 0]


def test_background_fit_reraises_what_the_search_raised() -> None:
    search = HPOSearchCV(
        DecisionTreeClassifier(), {"max_depth": [-1]}, n_trials=1, cv=2, error_score="raise"
    )
    search.fit(X_IRIS, Y_IRIS, background=True)
    with pytest.raises(ValueError, match="max_depth"):
        search.wait(timeout=60)


def test_parallel_trials_on_threads_give_every_candidate_its_folds() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        search = HPOSearchCV(
            DecisionTreeClassifier(random_state=0), TREE_SPACE, n_trials=8, n_jobs=2, cv=3,
            random_state=0,
        ).fit(X_IRIS, Y_IRIS)
    assert len(search.cv_results_["params"]) == 8
    assert not np.isnan(search.cv_results_["mean_test_score"]).any()


def test_verbose_prints_scikit_learns_summary_and_a_progress_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    HPOSearchCV(Ridge(), {"alpha": [0.1, 1.0, 10.0]}, n_trials=3, cv=3, verbose=1).fit(
        *load_diabetes(return_X_y=True)
    )
    captured = capsys.readouterr()
    assert "Fitting 3 folds for each of 3 candidates, totalling 9 fits" in captured.out
    assert "3/3" in captured.err and "best=" in captured.err

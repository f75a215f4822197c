"""``HPOSearchCV``: scikit-learn's ``RandomizedSearchCV``, driven by an hpo_lab study."""

from __future__ import annotations

import copy
import numbers
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.utils.metaestimators import available_if

from hpo_lab import _validation
from hpo_lab.sklearn._evaluate import CVSetup, make_objective
from hpo_lab.sklearn._results import build_cv_results, search_trials
from hpo_lab.sklearn._space import SearchSpace, parse_param_distributions

if TYPE_CHECKING:
    from hpo_lab.execution import Run
    from hpo_lab.study import Study

__all__ = ["HPOSearchCV"]


@dataclass
class _Prepared:
    setup: CVSetup
    space: SearchSpace
    study: Study
    n_trials: int | None
    timeout: float | None
    n_jobs: int
    multimetric: bool
    metrics: list[str]
    refit_metric: str


def _check_refit(search: HPOSearchCV, attr: str) -> None:
    if not search.refit:
        raise AttributeError(
            f"This {type(search).__name__} instance was initialized with refit=False. {attr} "
            "is available only after refitting on the best parameters; refit an estimator "
            "yourself with the best_params_ attribute."
        )


def _estimator_has(attr: str) -> Callable[[Any], bool]:
    def check(self: HPOSearchCV) -> bool:
        _check_refit(self, attr)
        if hasattr(self, "best_estimator_"):
            getattr(self.best_estimator_, attr)  # raises AttributeError if missing
            return True
        getattr(self.estimator, attr)
        return True

    return check


_F = TypeVar("_F", bound=Callable[..., Any])


def _if_estimator_has(attr: str) -> Callable[[_F], _F]:
    # sklearn's available_if, typed: the method exists only where the estimator has ``attr``.
    return cast("Callable[[_F], _F]", available_if(_estimator_has(attr)))


def _seed(random_state: Any) -> int | None:
    if random_state is None:
        return None
    from sklearn.utils import check_random_state

    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    rng = check_random_state(random_state)
    return int(rng.randint(np.iinfo(np.int32).max))


def _in_kernel() -> bool:
    from hpo_lab.progress import in_notebook

    return in_notebook()


class HPOSearchCV(MetaEstimatorMixin, BaseEstimator):  # type: ignore[misc]
    """A drop-in for scikit-learn's ``RandomizedSearchCV`` whose candidates come from an
    hpo_lab study (TPE, GP, ... through ``sampler``), with pruning across folds.

    Args:
        estimator: The estimator to tune (cloned for every fit).
        param_distributions: A dict (or a list of dicts) from parameter names to lists of
            values, ``scipy.stats`` distributions or hpo_lab distributions
            (:mod:`hpo_lab.sklearn._space` lists how each is searched).
        n_trials: How many candidates to evaluate (``None``: until ``timeout``).
        n_iter: ``RandomizedSearchCV``'s name for ``n_trials``; when given it is used.
        scoring: As in scikit-learn: ``None`` (the estimator's ``score``), a scorer name or
            callable, or a list or dict of them (multi-metric; ``refit`` names the metric the
            search optimises, or the first one is optimised when ``refit=False``).
        n_jobs: Candidates evaluated at once, on threads (``None``: 1; ``-1``: one per core).
        refit: Refit the best candidate on the whole data (``True``, or for multi-metric
            scoring the name of the metric to optimise and refit on); ``False`` to skip.
        cv: As in scikit-learn (an int, a splitter or an iterable of splits). The splits are
            made once, so every candidate sees the same folds.
        verbose: ``> 0`` prints scikit-learn's summary line and a progress line (with tqdm).
        random_state: Seeds the sampler (an int, a ``RandomState`` or ``None``).
        error_score: The score of a fit that raised (``"raise"`` to raise instead).
        return_train_score: Also score each candidate on its training folds.
        sampler: An hpo_lab sampler, or its name for :func:`hpo_lab.samplers.make_sampler`
            (``None``: ``"auto"``); copied at each fit, so fits are repeatable.
        pruner: An hpo_lab pruner, or its name for :func:`hpo_lab.pruners.make_pruner`
            (``None``: no pruning). After each fold (or each ``partial_fit`` iteration) the
            running mean test score is reported and the pruner may stop the candidate.
        study: A study (direction ``"maximize"``) to add the trials to, for example one in a
            SQLite file shown in a panel; its own sampler and pruner are used (so
            ``sampler`` and ``pruner`` must be ``None``), but a study made without a pruner
            is searched without pruning, as with ``pruner=None``. By default each fit makes a new
            study in memory (``study_``).
        timeout: Stop starting candidates after this many seconds.
        max_iter: Train with ``partial_fit`` for this many iterations per fold (reporting the
            mean test score after each, so pruning acts within training) instead of ``fit``.

    Attributes:
        cv_results_: A dict of numpy arrays in scikit-learn's layout (``params``,
            ``param_<name>``, ``split<k>_test_score``, ``mean_test_score``,
            ``rank_test_score``, times...), plus ``trial_number`` and ``state``.
        best_estimator_, best_params_, best_score_, best_index_, n_splits_, refit_time_,
        scorer_, multimetric_: as in scikit-learn.
        study_: The study the trials were added to.
        run_: The background run of ``fit(..., background=True)``.

    Example:
        >>> from scipy.stats import loguniform
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.svm import SVC
        >>> X, y = load_iris(return_X_y=True)
        >>> search = HPOSearchCV(
        ...     SVC(), {"C": loguniform(1e-2, 1e2), "kernel": ["rbf", "linear"]},
        ...     n_trials=8, cv=3, random_state=0,
        ... ).fit(X, y)
        >>> len(search.cv_results_["params"]), search.best_score_ > 0.9
        (8, True)
        >>> search.predict(X[:2]).tolist()
        [0, 0]
    """

    _required_parameters: ClassVar[list[str]] = ["estimator", "param_distributions"]
    _background: threading.Event | None
    _background_error: BaseException | None

    def __init__(
        self,
        estimator: Any,
        param_distributions: Any,
        *,
        n_trials: int | None = 10,
        n_iter: int | None = None,
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: bool | str = True,
        cv: Any = None,
        verbose: int = 0,
        random_state: Any = None,
        error_score: Any = np.nan,
        return_train_score: bool = False,
        sampler: Any = None,
        pruner: Any = None,
        study: Any = None,
        timeout: float | None = None,
        max_iter: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.n_iter = n_iter
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.sampler = sampler
        self.pruner = pruner
        self.study = study
        self.timeout = timeout
        self.max_iter = max_iter

    # -- scikit-learn protocol -------------------------------------------------------------------
    def __sklearn_clone__(self) -> HPOSearchCV:
        # A study holds a storage and locks: a clone shares it instead of copying it.
        params = self.get_params(deep=False)
        study = params.pop("study")
        cloned = {k: clone(v, safe=False) for k, v in params.items()}
        return type(self)(**cloned, study=study)

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import get_tags

        tags = super().__sklearn_tags__()
        sub = get_tags(self.estimator)
        tags.estimator_type = sub.estimator_type
        tags.classifier_tags = copy.deepcopy(sub.classifier_tags)
        tags.regressor_tags = copy.deepcopy(sub.regressor_tags)
        tags.transformer_tags = copy.deepcopy(sub.transformer_tags)
        tags.target_tags = copy.deepcopy(sub.target_tags)
        tags.input_tags.pairwise = sub.input_tags.pairwise
        tags.input_tags.sparse = sub.input_tags.sparse
        tags.input_tags.allow_nan = sub.input_tags.allow_nan
        tags.input_tags.categorical = sub.input_tags.categorical
        tags.input_tags.string = sub.input_tags.string
        # Seeded and sequential, a search proposes the same candidates every time.
        tags.non_deterministic = (
            sub.non_deterministic or self.random_state is None or self.n_jobs not in (None, 1)
        )
        return tags

    def __getstate__(self) -> dict[str, Any]:
        # A study (its storage, locks and threads) does not pickle: a pickled search keeps its
        # results and best estimator, and drops its study, run and panel.
        pending = getattr(self, "_background", None)
        if pending is not None and not pending.is_set():
            raise RuntimeError("cannot pickle a search that is still running; call wait() first")
        state = dict(super().__getstate__())
        for key in ("study_", "run_", "panel_", "_background", "_background_warnings",
                    "_background_error"):
            state.pop(key, None)
        state["study"] = None
        return state

    # -- checks ------------------------------------------------------------------------------------
    def _checked_budget(self) -> tuple[int | None, float | None, int]:
        n_trials = self.n_trials if self.n_iter is None else self.n_iter
        name = "n_trials" if self.n_iter is None else "n_iter"
        try:
            n_trials = _validation.check_n_trials(n_trials)
        except ValueError:
            raise ValueError(
                f"{name} must be a non-negative int or None, but got {name}={n_trials!r}"
            ) from None
        timeout = _validation.check_seconds("timeout", self.timeout)
        if n_trials is None and timeout is None:
            raise ValueError(
                "n_trials and timeout cannot both be None: the search would never end"
            )
        n_jobs = _validation.check_n_jobs(1 if self.n_jobs is None else self.n_jobs)
        return n_trials, timeout, n_jobs

    def _checked_options(self) -> None:
        es = self.error_score
        if not (es == "raise" or (isinstance(es, numbers.Real) and not isinstance(es, bool))):
            raise ValueError(
                f"error_score must be 'raise' or a number, but got error_score={es!r}"
            )
        if callable(self.refit):
            raise ValueError(
                "refit must be True, False or the name of a metric; a callable refit is not "
                "supported (HPOSearchCV optimises one metric)"
            )
        if not isinstance(self.refit, (bool, str)):
            raise ValueError(
                f"refit must be True, False or the name of a metric, but got refit={self.refit!r}"
            )
        mi = self.max_iter
        if mi is not None:
            if isinstance(mi, bool) or not isinstance(mi, numbers.Integral) or mi < 1:
                raise ValueError(f"max_iter must be an int >= 1 or None, but got max_iter={mi!r}")
            if not hasattr(self.estimator, "partial_fit"):
                raise ValueError(
                    f"max_iter={mi} trains with partial_fit, which "
                    f"{type(self.estimator).__name__} does not have; leave max_iter=None"
                )
        v = self.verbose
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise ValueError(f"verbose must be an int, but got verbose={v!r}")

    def _scorers(self) -> tuple[dict[str, Callable[..., Any]], bool, str]:
        from sklearn.metrics import check_scoring

        scoring = self.scoring
        if scoring is None or isinstance(scoring, str) or callable(scoring):
            if self.refit not in (True, False):
                raise ValueError(
                    f"refit={self.refit!r} names a metric, but scoring is a single metric; "
                    "use refit=True"
                )
            return {"score": check_scoring(self.estimator, scoring=scoring)}, False, "score"
        if isinstance(scoring, Mapping):
            items = list(scoring.items())
        elif isinstance(scoring, (list, tuple, set, frozenset)):
            items = [(s, s) for s in scoring]
        else:
            raise ValueError(
                "scoring must be None, a scorer name, a callable, or a list or dict of them, "
                f"but got scoring={scoring!r}"
            )
        if not items:
            raise ValueError(f"scoring must name at least one metric, but got scoring={scoring!r}")
        scorers: dict[str, Callable[..., Any]] = {}
        for name, s in items:
            if not isinstance(name, str):
                raise ValueError(
                    f"scoring names must be str, but got {name!r} in scoring={scoring!r}"
                )
            scorers[name] = check_scoring(self.estimator, scoring=s)
        if isinstance(self.refit, str):
            if self.refit not in scorers:
                raise ValueError(
                    f"refit={self.refit!r} is not one of the scoring metrics {list(scorers)}"
                )
            refit_metric = self.refit
        elif self.refit is True:
            raise ValueError(
                "with multi-metric scoring, refit must name the metric to optimise and refit "
                f"on (one of {list(scorers)}), or be False (the first metric is optimised)"
            )
        else:
            refit_metric = next(iter(scorers))
        return scorers, True, refit_metric

    def _make_study(self) -> Study:
        import hpo_lab
        from hpo_lab.pruners import BasePruner, NopPruner, make_pruner
        from hpo_lab.samplers import BaseSampler, make_sampler

        if self.study is not None:
            if not isinstance(self.study, hpo_lab.Study):
                raise TypeError(f"study must be an hpo_lab Study, but got {self.study!r}")
            if self.sampler is not None or self.pruner is not None:
                raise ValueError(
                    "give sampler and pruner to create_study() when passing study=; the study's "
                    "own sampler and pruner are used"
                )
            direction = str(getattr(self.study.direction, "value", self.study.direction))
            if direction.lower() != "maximize":
                raise ValueError(
                    f"study must have direction 'maximize' (scores: greater is better), but "
                    f"study {self.study.study_name!r} has direction {direction!r}"
                )
            return self.study
        seed = _seed(self.random_state)
        if self.sampler is None or isinstance(self.sampler, str):
            sampler = make_sampler(self.sampler or "auto", seed=seed)
        elif isinstance(self.sampler, BaseSampler):
            sampler = copy.deepcopy(self.sampler)
        else:
            raise TypeError(
                f"sampler must be an hpo_lab sampler, a sampler name or None, but got "
                f"{self.sampler!r}"
            )
        if self.pruner is None:
            pruner: BasePruner = NopPruner()
        elif isinstance(self.pruner, str):
            pruner = make_pruner(self.pruner)
        elif isinstance(self.pruner, BasePruner):
            pruner = copy.deepcopy(self.pruner)
        else:
            raise TypeError(
                f"pruner must be an hpo_lab pruner, a pruner name or None, but got {self.pruner!r}"
            )
        return hpo_lab.create_study(direction="maximize", sampler=sampler, pruner=pruner)

    def _prepare(self, X: Any, y: Any, groups: Any, fit_params: dict[str, Any]) -> _Prepared:
        from sklearn.model_selection import check_cv
        from sklearn.utils.validation import indexable

        n_trials, timeout, n_jobs = self._checked_budget()
        self._checked_options()
        space = parse_param_distributions(self.param_distributions)
        scorers, multimetric, refit_metric = self._scorers()
        if y is None:
            from sklearn.utils import get_tags

            if get_tags(self.estimator).target_tags.required:
                raise ValueError(
                    f"{type(self.estimator).__name__} requires y to be passed, but the target y "
                    "is None"
                )
        X, y, groups = indexable(X, y, groups)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        splits = [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(X, y, groups)]
        if not splits:
            raise ValueError(f"cv={self.cv!r} gave no train/test split")
        classes = None
        if self.max_iter is not None and is_classifier(self.estimator) and y is not None:
            classes = np.unique(y)
        study = self._make_study()
        setup = CVSetup(
            estimator=self.estimator,
            X=X,
            y=y,
            splits=splits,
            scorers=scorers,
            refit_metric=refit_metric,
            fit_params=dict(fit_params),
            return_train_score=bool(self.return_train_score),
            error_score=self.error_score,
            max_iter=self.max_iter,
            classes=classes,
            search_id=uuid.uuid4().hex,
            prune=not study.pruner_is_default,
        )
        return _Prepared(
            setup, space, study, n_trials, timeout, n_jobs, multimetric, list(scorers),
            refit_metric,
        )

    # -- fit -----------------------------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        groups: Any = None,
        background: bool = False,
        **fit_params: Any,
    ) -> Any:
        """Search: evaluate candidates by cross-validation, then refit the best.

        Args:
            X, y: The data, as for the estimator's ``fit``.
            groups: Group labels for group-aware splitters (``GroupKFold``...).
            background: Return at once with the :class:`~hpo_lab.execution.Run` while the
                trials run on a background thread; in a Jupyter kernel the control panel is
                shown for it. The search fills in (``cv_results_``, ``best_*``, the refit)
                when the run ends; :meth:`wait` waits for that.
            **fit_params: Passed to the estimator's ``fit`` (sample-aligned ones are cut to
                each fold).

        Returns:
            ``self``, or the run with ``background=True``.
        """
        if not isinstance(background, bool):
            raise TypeError(f"background must be True or False, but got {background!r}")
        self._forget()
        prepared = self._prepare(X, y, groups, fit_params)
        objective = make_objective(prepared.setup, prepared.space)
        study = prepared.study
        self.study_ = study
        if self.verbose > 0:
            n = "?" if prepared.n_trials is None else str(prepared.n_trials)
            total = "?" if prepared.n_trials is None else str(
                prepared.n_trials * len(prepared.setup.splits)
            )
            print(
                f"Fitting {len(prepared.setup.splits)} folds for each of {n} candidates, "
                f"totalling {total} fits"
            )
        if background:
            run = study.start(
                objective,
                n_trials=prepared.n_trials,
                timeout=prepared.timeout,
                n_jobs=prepared.n_jobs,
                catch=(),
            )
            self.run_ = run
            done = threading.Event()
            self._background = done
            self._background_error = None
            threading.Thread(
                target=self._finish_in_background, args=(run, prepared, done),
                name="hpo-sklearn-finish", daemon=True,
            ).start()
            if _in_kernel():
                try:
                    from hpo_lab.notebook._panel import panel

                    self.panel_ = panel(cast("Run", run))
                except ImportError:
                    pass
            return run
        study.optimize(
            objective,
            n_trials=prepared.n_trials,
            timeout=prepared.timeout,
            n_jobs=prepared.n_jobs,
            show_progress_bar=self.verbose > 0 and _has_tqdm(),
        )
        for message in self._finish(prepared):
            warnings.warn(message, FitFailedWarning, stacklevel=2)
        return self

    def _forget(self) -> None:
        pending = getattr(self, "_background", None)
        if pending is not None and not pending.is_set():
            raise RuntimeError(
                "this search is still running in the background; call search.wait() (or "
                "search.run_.stop()) before fitting it again"
            )
        for name in list(vars(self)):
            if name.endswith("_") and not name.startswith("__"):
                delattr(self, name)
        self._background = None

    def _finish_in_background(self, run: Run, prepared: _Prepared, done: threading.Event) -> None:
        try:
            run.wait()
            if run.exception is not None:
                raise run.exception
            # Warnings are given to whoever calls wait(): catching them here with
            # warnings.catch_warnings would change the filters of every thread.
            self._background_warnings = self._finish(prepared)
        except BaseException as exc:
            self._background_error = exc
        finally:
            done.set()

    def wait(self, timeout: float | None = None) -> HPOSearchCV:
        """Wait for a ``fit(..., background=True)`` to end and fill in; return ``self``.

        Raises what the search raised (an estimator error with ``error_score="raise"``, all
        fits failing...), and ``TimeoutError`` if ``timeout`` seconds pass first.

        Example:
            >>> from sklearn.datasets import load_iris
            >>> from sklearn.tree import DecisionTreeClassifier
            >>> X, y = load_iris(return_X_y=True)
            >>> search = HPOSearchCV(DecisionTreeClassifier(random_state=0),
            ...                      {"max_depth": [1, 2, 3]}, n_trials=3, cv=3, random_state=0)
            >>> run = search.fit(X, y, background=True)
            >>> search.wait(timeout=120).best_params_["max_depth"] > 1
            True
        """
        pending = getattr(self, "_background", None)
        if pending is None:
            raise RuntimeError("wait() follows fit(..., background=True); nothing is running")
        done = pending
        if timeout is not None:
            _validation.check_seconds("timeout", timeout)
        if not done.wait(timeout):
            raise TimeoutError(f"the search did not end within {timeout} s")
        for message in getattr(self, "_background_warnings", []):
            warnings.warn(message, FitFailedWarning, stacklevel=2)
        self._background_warnings = []
        error = self._background_error
        if error is not None:
            raise error
        return self

    def _finish(self, prepared: _Prepared) -> list[str]:
        """Fill the search in from the run's trials; return the warnings to give the user."""
        study = prepared.study
        setup = prepared.setup
        trials = search_trials(study.get_trials(deepcopy=False), setup.search_id)
        if not trials:
            raise ValueError(
                "no candidate finished: raise n_trials or timeout (or the sampler had nothing "
                "left to propose)"
            )
        n_splits = len(setup.splits)
        results, errors = build_cv_results(
            trials, prepared.space, prepared.metrics, n_splits,
            multimetric=prepared.multimetric, return_train_score=setup.return_train_score,
        )
        n_errors = sum(int(t.system_attrs["sklearn_cv"].get("n_errors", 0)) for t in trials)
        key = prepared.refit_metric if prepared.multimetric else "score"
        means = results[f"mean_test_{key}"]
        messages: list[str] = []
        if n_errors:
            if np.isnan(means).all():
                raise ValueError(
                    f"all {len(trials)} candidates failed ({n_errors} fits or scorings "
                    f"raised); the last error:\n{errors[-1] if errors else ''}"
                )
            messages.append(
                f"{n_errors} fits or scorings failed out of {len(trials) * n_splits}; their "
                f"score is error_score={self.error_score!r}. The last error:\n{errors[-1]}"
            )
        self.cv_results_ = results
        self.n_splits_ = n_splits
        self.multimetric_ = prepared.multimetric
        scorers = prepared.setup.scorers
        self.scorer_ = dict(scorers) if prepared.multimetric else scorers["score"]
        if self.refit or not prepared.multimetric:
            finite = ~np.isnan(means)
            if not finite.any():
                raise ValueError(
                    "no candidate evaluated every fold (all were pruned or failed), so none "
                    "can be chosen; raise n_trials or relax the pruner"
                )
            self.best_index_ = int(np.flatnonzero(finite)[np.argmax(means[finite])])
            self.best_params_ = results["params"][self.best_index_]
            self.best_score_ = float(means[self.best_index_])
        if self.refit:
            estimator = clone(self.estimator).set_params(
                **{k: clone(v, safe=False) for k, v in self.best_params_.items()}
            )
            start = time.perf_counter()
            X, y = setup.X, setup.y
            if setup.max_iter is not None:
                # The model refitted is the one cross-validated: max_iter partial_fit passes.
                extra = {} if setup.classes is None else {"classes": setup.classes}
                for _ in range(setup.max_iter):
                    if y is None:
                        estimator.partial_fit(X, **extra, **setup.fit_params)
                    else:
                        estimator.partial_fit(X, y, **extra, **setup.fit_params)
            elif y is None:
                estimator.fit(X, **setup.fit_params)
            else:
                estimator.fit(X, y, **setup.fit_params)
            self.refit_time_ = time.perf_counter() - start
            self.best_estimator_ = estimator
            if hasattr(estimator, "feature_names_in_"):
                self.feature_names_in_ = estimator.feature_names_in_
        return messages

    # -- delegation ----------------------------------------------------------------------------
    def _check_fitted(self, method: str) -> None:
        pending = getattr(self, "_background", None)
        if pending is not None and not pending.is_set():
            raise NotFittedError(
                f"this {type(self).__name__} is still searching in the background; call "
                f"search.wait() before {method}"
            )
        _check_refit(self, method)
        if not hasattr(self, "best_estimator_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                f"appropriate arguments before using {method}."
            )

    @property
    def n_features_in_(self) -> int:
        """The number of features seen by the refitted best estimator."""
        try:
            return int(self.best_estimator_.n_features_in_)
        except AttributeError as exc:
            raise AttributeError(
                f"{type(self).__name__} object has no n_features_in_ attribute (it is set by "
                "fit with refit)"
            ) from exc

    @property
    def classes_(self) -> Any:
        """The class labels of the refitted best classifier."""
        _estimator_has("classes_")(self)
        return self.best_estimator_.classes_

    def score(self, X: Any, y: Any = None, **params: Any) -> float:
        """The refit metric's score of the best estimator on ``X``, ``y``."""
        self._check_fitted("score")
        scorers: Any = self.scorer_
        scorer = scorers[self.refit] if self.multimetric_ else scorers
        return float(scorer(self.best_estimator_, X, y, **params))

    @_if_estimator_has("score_samples")
    def score_samples(self, X: Any) -> Any:
        """``score_samples`` of the best estimator."""
        self._check_fitted("score_samples")
        return self.best_estimator_.score_samples(X)

    @_if_estimator_has("predict")
    def predict(self, X: Any) -> Any:
        """``predict`` of the best estimator."""
        self._check_fitted("predict")
        return self.best_estimator_.predict(X)

    @_if_estimator_has("predict_proba")
    def predict_proba(self, X: Any) -> Any:
        """``predict_proba`` of the best estimator."""
        self._check_fitted("predict_proba")
        return self.best_estimator_.predict_proba(X)

    @_if_estimator_has("predict_log_proba")
    def predict_log_proba(self, X: Any) -> Any:
        """``predict_log_proba`` of the best estimator."""
        self._check_fitted("predict_log_proba")
        return self.best_estimator_.predict_log_proba(X)

    @_if_estimator_has("decision_function")
    def decision_function(self, X: Any) -> Any:
        """``decision_function`` of the best estimator."""
        self._check_fitted("decision_function")
        return self.best_estimator_.decision_function(X)

    @_if_estimator_has("transform")
    def transform(self, X: Any) -> Any:
        """``transform`` of the best estimator."""
        self._check_fitted("transform")
        return self.best_estimator_.transform(X)

    @_if_estimator_has("inverse_transform")
    def inverse_transform(self, X: Any) -> Any:
        """``inverse_transform`` of the best estimator."""
        self._check_fitted("inverse_transform")
        return self.best_estimator_.inverse_transform(X)


def _has_tqdm() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True

"""The study: a named optimisation with its trials, search-space revisions and lineage."""

from __future__ import annotations

import gc
import logging
import math
import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hpo_lab.distributions import Distribution
from hpo_lab.exceptions import TrialPruned
from hpo_lab.pruners._base import BasePruner
from hpo_lab.pruners._nop import NopPruner
from hpo_lab.samplers._base import BaseSampler
from hpo_lab.search_space._revision import SpaceRevision, build_constraint
from hpo_lab.storages import get_storage
from hpo_lab.storages._base import BaseStorage, StudyNotFoundError, TrialFinishedError
from hpo_lab.study._events import (
    SPACE_CHANGED,
    TRIAL_CREATED,
    TRIAL_FINISHED,
    TRIAL_REPORTED,
    Event,
    EventBus,
)
from hpo_lab.study._view import StudyView
from hpo_lab.trial._frozen import FrozenTrial, TrialOrigin
from hpo_lab.trial._state import FailReason, TrialState
from hpo_lab.trial._trial import Trial

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Study", "create_study", "load_study", "ObjectiveFuncType"]

_logger = logging.getLogger("hpo_lab")

ObjectiveFuncType = Callable[[Trial], Any]

_DIRECTIONS = ("minimize", "maximize")
_INHERITABLE = (TrialState.COMPLETE, TrialState.PRUNED)


def _worker_label() -> str:
    return f"{os.getpid()}/{threading.current_thread().name}"


def coerce_objective_value(value: Any) -> tuple[float | None, str | None]:
    """Turn an objective's return value into a float, or explain why it cannot be one.

    Returns ``(value, None)`` on success and ``(None, reason)`` otherwise.

    Example:
        >>> coerce_objective_value(3)
        (3.0, None)
        >>> coerce_objective_value(float("nan"))[1]
        'the objective returned nan; a finite number is needed'
    """
    if value is None:
        return None, "the objective returned None; it must return a number (is `return` missing?)"
    if isinstance(value, (tuple, list)):
        return None, (
            f"the objective returned a {type(value).__name__} of {len(value)} values; "
            "multi-objective optimisation is not supported yet: return a single number"
        )
    if isinstance(value, (bool, str, bytes)):
        return None, f"the objective returned {value!r} ({type(value).__name__}); it must return a number"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None, (
            f"the objective returned {value!r} of type {type(value).__name__}, which is not a number"
        )
    if not math.isfinite(v):
        return None, f"the objective returned {v}; a finite number is needed"
    return v, None


class Study:
    """A named optimisation: trials, a sampler, a pruner, a versioned search space.

    Build one with :func:`create_study` or :func:`load_study`.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(direction="minimize")
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 2) ** 2, n_trials=20)
        >>> study.best_value < 5
        True
    """

    def __init__(
        self,
        study_name: str,
        storage: str | BaseStorage | None,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
    ) -> None:
        self._storage = get_storage(storage)
        self._study_id = self._storage.get_study_id(study_name)
        info = self._storage.get_study_info(self._study_id)
        self.study_name: str = info.study_name
        self.direction: str = info.direction
        self._parent_id = info.parent_id
        if sampler is None:
            from hpo_lab.samplers._random import RandomSampler

            sampler = RandomSampler()
        self.sampler: BaseSampler = sampler
        self.pruner: BasePruner = pruner if pruner is not None else NopPruner()
        self._events = EventBus()
        self._stop_flag = False
        self._view = StudyView(self)
        self._cache_lock = threading.Lock()
        self._cache: list[FrozenTrial] = []
        self._cursor = 0
        self._revisions: list[SpaceRevision] | None = None
        self._inherited: list[FrozenTrial] | None = None
        self._inherited_key: tuple[Any, ...] | None = None
        self._parent: Study | None = None
        self._run: Any = None  # the live background Run, set by hpo_lab.execution

    # -- basic properties -------------------------------------------------------------------------
    @property
    def storage(self) -> BaseStorage:
        """The storage holding this study."""
        return self._storage

    @property
    def view(self) -> StudyView:
        """The read-only view handed to samplers and pruners."""
        return self._view

    @property
    def user_attrs(self) -> dict[str, Any]:
        """Study attributes set with :meth:`set_user_attr`."""
        return dict(self._storage.get_study_info(self._study_id).user_attrs)

    def set_user_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value with the study.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.set_user_attr("dataset", "digits")
            >>> s.user_attrs
            {'dataset': 'digits'}
        """
        self._storage.set_study_user_attr(self._study_id, key, value)

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` on every trial created, reported or finished, and on every
        search-space change made through this object. Returns an unsubscribe function.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> seen = []
            >>> unsubscribe = s.subscribe(lambda e: seen.append(e.kind))
            >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
            >>> seen
            ['trial_created', 'trial_finished']
        """
        return self._events.subscribe(callback)

    # -- trials ----------------------------------------------------------------------------------
    def _sync(self) -> list[FrozenTrial]:
        # Incremental read: only trials changed since the last look are fetched.
        with self._cache_lock:
            changed, cursor = self._storage.get_trials_since(self._study_id, self._cursor)
            if changed:
                cache = self._cache
                for t in changed:
                    n = t.number
                    if n < len(cache):
                        cache[n] = t
                    else:
                        while len(cache) < n:
                            cache.append(None)  # type: ignore[arg-type]
                        cache.append(t)
            self._cursor = cursor
            return self._cache

    def get_trials(
        self, deepcopy: bool = False, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The study's own trials ordered by number, optionally only those in ``states``.

        ``deepcopy`` is accepted for Optuna compatibility; records are immutable snapshots.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
            >>> len(s.get_trials(states=[hpo_lab.TrialState.COMPLETE]))
            3
        """
        trials = self._sync()
        if states is None:
            return [t for t in trials if t is not None]
        return [t for t in trials if t is not None and t.state in states]

    @property
    def trials(self) -> list[FrozenTrial]:
        """Every own trial of the study (inherited ones are in :attr:`inherited_trials`)."""
        return self.get_trials()

    @property
    def best_trial(self) -> FrozenTrial:
        """The COMPLETE trial with the best value; ``ValueError`` if there is none yet."""
        best: FrozenTrial | None = None
        maximize = self.direction == "maximize"
        for t in self.get_trials(states=(TrialState.COMPLETE,)):
            assert t.value is not None
            if (
                best is None
                or (maximize and t.value > best.value)  # type: ignore[operator]
                or (not maximize and t.value < best.value)  # type: ignore[operator]
            ):
                best = t
        if best is None:
            raise ValueError(
                f"study {self.study_name!r} has no COMPLETE trial yet, so no best trial"
            )
        return best

    @property
    def best_value(self) -> float:
        """The best objective value so far."""
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        """The parameters of the best trial."""
        return dict(self.best_trial.params)

    # -- search-space revisions --------------------------------------------------------------------
    @property
    def search_space_history(self) -> list[SpaceRevision]:
        """Every revision of the search space, revision 0 (as declared) first.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> [r.number for r in s.search_space_history]
            [0]
        """
        revisions = self._revisions
        if revisions is None:
            revisions = self._storage.get_space_revisions(self._study_id)
            self._revisions = revisions
        return revisions

    def _revision(self, number: int) -> SpaceRevision:
        history = self.search_space_history
        if number >= len(history):
            # Another process narrowed the space since we last looked.
            self._revisions = None
            history = self.search_space_history
        return history[number]

    @property
    def search_space(self) -> dict[str, Distribution]:
        """The declared distribution of every parameter seen so far, narrowed by the current
        revision.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.optimize(lambda t: t.suggest_int("k", 0, 9), n_trials=1)
            >>> s.search_space
            {'k': IntDistribution(low=0, high=9, log=False, step=1)}
        """
        current = self._refresh_revisions()[-1]
        return {
            name: current.effective(name, d) for name, d in self.declared_distributions().items()
        }

    def declared_distributions(self) -> dict[str, Distribution]:
        """The most recent declared distribution of each parameter (own and inherited trials)."""
        out: dict[str, Distribution] = {}
        for t in self.inherited_trials:
            out.update(t.distributions)
        for t in self.get_trials():
            out.update(t.distributions)
        return out

    def _refresh_revisions(self) -> list[SpaceRevision]:
        self._revisions = None
        return self.search_space_history

    def narrow(self, **ranges: Any) -> SpaceRevision:
        """Restrict parameters for trials asked from now on; returns the new revision.

        Numeric parameters take ``(low, high)``; categorical ones a list of choices. Bounds must
        lie inside the declared range (widening back up to it is allowed). Earlier trials stay
        observations; WAITING trials outside the new ranges become FAIL (cancelled).

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.optimize(lambda t: t.suggest_float("lr", 1e-5, 1e-1, log=True), n_trials=3)
            >>> s.narrow(lr=(1e-4, 1e-2)).number
            1
            >>> s.optimize(lambda t: t.suggest_float("lr", 1e-5, 1e-1, log=True), n_trials=3)
            >>> all(1e-4 <= t.params["lr"] <= 1e-2 for t in s.trials[3:])
            True
        """
        if not ranges:
            raise ValueError("narrow() needs at least one parameter, for example lr=(1e-4, 1e-2)")
        declared = self.declared_distributions()
        current = self._refresh_revisions()[-1]
        constraints = dict(current.constraints)
        for name, spec in ranges.items():
            if name not in declared:
                known = ", ".join(sorted(declared)) or "none yet"
                raise ValueError(
                    f"cannot narrow unknown parameter {name!r}: no trial has suggested it "
                    f"(known parameters: {known})"
                )
            constraint = build_constraint(name, declared[name], spec)
            if constraint == declared[name] or (
                not hasattr(constraint, "choices")
                and constraint.low == declared[name].low  # type: ignore[union-attr]
                and constraint.high == declared[name].high  # type: ignore[union-attr]
            ):
                constraints.pop(name, None)  # widened back to the declared range
            else:
                constraints[name] = constraint
        revision = self._storage.add_space_revision(self._study_id, constraints)
        self._revisions = None
        self._inherited_key = None
        for t in self.get_trials(states=(TrialState.WAITING,)):
            fixed = t.system_attrs.get("fixed_params") or {}
            if not revision.admits(fixed):
                try:
                    self._storage.finish_trial(
                        t.trial_id,
                        TrialState.FAIL,
                        fail_reason=FailReason.CANCELLED,
                        fail_message=f"enqueued params {fixed!r} lie outside revision "
                        f"{revision.number} of the search space",
                    )
                except TrialFinishedError:
                    pass
        if self._events:
            self._events.emit(Event(SPACE_CHANGED, self.study_name, data=revision))
        return revision

    # -- lineage (warm start) ----------------------------------------------------------------------
    @property
    def parent(self) -> Study | None:
        """The study this one was warm-started from, or ``None``."""
        if self._parent_id is None:
            return None
        if self._parent is None:
            name = self._storage.get_study_info(self._parent_id).study_name
            self._parent = Study(name, self._storage)
        return self._parent

    @property
    def lineage(self) -> list[str]:
        """Names of this study and its ancestors, this study first.

        Example:
            >>> import hpo_lab
            >>> hpo_lab.create_study(study_name="a").lineage
            ['a']
        """
        names = [self.study_name]
        p = self.parent
        while p is not None:
            names.append(p.study_name)
            p = p.parent
        return names

    @property
    def inherited_trials(self) -> list[FrozenTrial]:
        """Finished (COMPLETE, PRUNED) trials of the ancestors that fit this study's current
        space, each with ``origin`` naming the study and number it was evaluated as."""
        parent = self.parent
        if parent is None:
            return []
        candidates = parent._lineage_trials()
        revision = self._revision(len(self.search_space_history) - 1)
        key = (len(candidates), parent._cursor, revision.number)
        if self._inherited is not None and self._inherited_key == key:
            return self._inherited
        inherited = [t for t in candidates if revision.admits(t.params)]
        self._inherited = inherited
        self._inherited_key = key
        return inherited

    def _lineage_trials(self) -> list[FrozenTrial]:
        own = [
            t
            if t.origin is not None
            else t.replace(origin=TrialOrigin(self.study_name, t.number))
            for t in self.get_trials(states=_INHERITABLE)
        ]
        return own + self.inherited_trials

    # -- ask / tell --------------------------------------------------------------------------------
    def ask(self) -> Trial:
        """Start a trial (an enqueued one first) and return it.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> t = s.ask()
            >>> _ = s.tell(t, t.suggest_float("x", 0, 1))
            >>> s.trials[0].state.value
            'COMPLETE'
        """
        revision = self._refresh_revisions()[-1].number if self._revisions is None else len(
            self._revisions
        ) - 1
        worker = _worker_label()
        frozen = self._storage.pop_waiting_trial(self._study_id, worker=worker, revision=revision)
        if frozen is None:
            frozen = self._storage.create_new_trial(
                self._study_id, revision=revision, worker=worker
            )
        view = self._view
        sampler = self.sampler
        sampler.before_trial(view, frozen)
        relative_space = sampler.infer_relative_search_space(view, frozen)
        relative_params: dict[str, Any] = {}
        if relative_space:
            rev = self._revision(frozen.revision)
            effective = {name: rev.effective(name, d) for name, d in relative_space.items()}
            relative_params = sampler.sample_relative(view, frozen, effective)
        trial = Trial(self, frozen, relative_params, relative_space)
        if self._events:
            self._events.emit(Event(TRIAL_CREATED, self.study_name, frozen))
        return trial

    def tell(
        self,
        trial: Trial | int,
        value: Any = None,
        *,
        state: TrialState | None = None,
        skip_if_finished: bool = False,
        fail_reason: FailReason | None = None,
        fail_message: str | None = None,
    ) -> FrozenTrial:
        """Finish a trial with its value (COMPLETE) or another state.

        An invalid value (NaN, inf, a non-number, a tuple) makes the trial FAIL with reason
        ``bad_value``; the reason is stored and logged, and nothing is raised.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> t = s.ask()
            >>> s.tell(t, float("nan")).fail_reason.value
            'bad_value'
        """
        if isinstance(trial, Trial):
            trial_id = trial.trial_id
        else:
            trial_id = self._trial_id_of(int(trial))
        frozen = self._storage.get_trial(trial_id)
        if frozen.state.is_finished():
            if skip_if_finished:
                return frozen
            raise TrialFinishedError(
                f"trial {frozen.number} is already finished ({frozen.state}); tell() it only once"
            )
        v: float | None = None
        if state is None or state == TrialState.COMPLETE:
            v, problem = coerce_objective_value(value)
            if problem is not None:
                state, fail_reason, fail_message = TrialState.FAIL, FailReason.BAD_VALUE, problem
                _logger.warning("trial %d failed: %s", frozen.number, problem)
            else:
                state = TrialState.COMPLETE
        elif state == TrialState.FAIL and fail_reason is None:
            fail_reason = FailReason.EXCEPTION
        elif not state.is_finished():
            raise ValueError(f"tell() takes a finished state, but got state={state}")
        self.sampler.after_trial(self._view, frozen, state, v)
        done = self._storage.finish_trial(
            trial_id, state, v if state == TrialState.COMPLETE else None, fail_reason, fail_message
        )
        self._storage.release_trial(trial_id)
        if self._events:
            self._events.emit(Event(TRIAL_FINISHED, self.study_name, done))
        return done

    def _trial_id_of(self, number: int) -> int:
        trials = self.get_trials()
        if not 0 <= number < len(trials):
            raise ValueError(f"study {self.study_name!r} has no trial number {number}")
        return trials[number].trial_id

    def _report(self, frozen: FrozenTrial, step: int, value: float) -> FrozenTrial:
        new = self._storage.report(frozen.trial_id, step, value)
        if self._events:
            self._events.emit(Event(TRIAL_REPORTED, self.study_name, new, step=step))
        return new

    def enqueue_trial(
        self,
        params: Mapping[str, Any],
        user_attrs: Mapping[str, Any] | None = None,
        skip_if_exists: bool = False,
    ) -> None:
        """Queue fixed parameter values for a future trial (parameters not given are sampled).

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.enqueue_trial({"x": 0.25})
            >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
            >>> s.trials[0].params
            {'x': 0.25}
        """
        if not isinstance(params, Mapping):
            raise TypeError(f"params must be a dict, but got {params!r}")
        if skip_if_exists:
            for t in self.get_trials():
                if t.params == dict(params) or t.system_attrs.get("fixed_params") == dict(params):
                    return
        revision = len(self._refresh_revisions()) - 1
        frozen = self._storage.create_new_trial(
            self._study_id,
            state=TrialState.WAITING,
            params=dict(params),
            user_attrs=user_attrs,
            revision=revision,
        )
        if self._events:
            self._events.emit(Event(TRIAL_CREATED, self.study_name, frozen))

    def stop(self) -> None:
        """Ask a running :meth:`optimize` to finish after the current trial.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.optimize(lambda t: s.stop() or 1.0, n_trials=10)
            >>> len(s.trials)
            1
        """
        self._stop_flag = True

    # -- the synchronous loop ----------------------------------------------------------------------
    def optimize(
        self,
        objective: ObjectiveFuncType,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Sequence[Callable[[Study, FrozenTrial], None]] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
    ) -> None:
        """Run trials in this thread until ``n_trials`` are done, ``timeout`` seconds pass,
        :meth:`stop` is called, or the sampler is exhausted.

        An exception from the objective marks the trial FAIL with its traceback; it then
        propagates unless its type is in ``catch``. Ctrl-C marks the running trial FAIL
        (interrupted) and propagates. ``n_jobs`` other than 1 is for background runs.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
            >>> len(s.trials)
            2
        """
        if n_trials is not None and (isinstance(n_trials, bool) or int(n_trials) != n_trials or n_trials < 0):
            raise ValueError(f"n_trials must be a non-negative int or None, but got {n_trials!r}")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds or None, but got {timeout!r}")
        if n_jobs != 1:
            raise ValueError(
                f"optimize() runs in the calling thread (n_jobs=1), but got n_jobs={n_jobs}"
            )
        if not callable(objective):
            raise TypeError(f"objective must be callable, but got {objective!r}")
        catch_types = _as_exception_tuple(catch)
        self._stop_flag = False
        deadline = None if timeout is None else time.monotonic() + timeout
        done = 0
        while True:
            if self._stop_flag:
                break
            if n_trials is not None and done >= n_trials:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            if self.sampler.is_exhausted(self._view):
                _logger.info("study %r: the sampler has nothing left to propose", self.study_name)
                break
            frozen = self.run_trial(objective, catch_types)
            done += 1
            for callback in callbacks or ():
                callback(self, frozen)
            if gc_after_trial:
                gc.collect()
        self._stop_flag = False

    def run_trial(
        self, objective: ObjectiveFuncType, catch: tuple[type[BaseException], ...] = ()
    ) -> FrozenTrial:
        """Ask one trial, evaluate ``objective`` on it here, tell the result; return the record.

        The building block of :meth:`optimize` (and of background runs)."""
        trial = self.ask()
        return self.evaluate(trial, objective, catch)

    def evaluate(
        self,
        trial: Trial,
        objective: ObjectiveFuncType,
        catch: tuple[type[BaseException], ...] = (),
    ) -> FrozenTrial:
        """Evaluate ``objective(trial)`` and tell the outcome; see :meth:`optimize`."""
        try:
            value = objective(trial)
        except TrialPruned:
            return self.tell(trial, state=TrialState.PRUNED)
        except KeyboardInterrupt:
            self.tell(
                trial,
                state=TrialState.FAIL,
                fail_reason=FailReason.INTERRUPTED,
                fail_message="interrupted (KeyboardInterrupt)",
            )
            raise
        except BaseException as exc:
            message = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            frozen = self.tell(
                trial, state=TrialState.FAIL, fail_reason=FailReason.EXCEPTION, fail_message=message
            )
            if isinstance(exc, catch):
                _logger.warning(
                    "trial %d failed: %s: %s", trial.number, type(exc).__name__, exc
                )
                return frozen
            raise
        return self.tell(trial, value)

    # -- tables --------------------------------------------------------------------------------------
    def trials_dataframe(self, include_inherited: bool = False) -> pd.DataFrame:
        """One row per trial: number, value, state, ``params_*``, ``user_attrs_*``, times,
        duration, revision and fail reason; with ``include_inherited`` also the inherited
        trials, with ``inherited`` and ``origin_*`` columns.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.optimize(lambda t: t.suggest_int("k", 1, 3), n_trials=2)
            >>> list(s.trials_dataframe().columns)[:3]
            ['number', 'value', 'state']
        """
        from hpo_lab.study._dataframe import trials_to_dataframe

        trials = self.get_trials()
        inherited = self.inherited_trials if include_inherited else None
        return trials_to_dataframe(trials, inherited)

    # -- background runs ---------------------------------------------------------------------------
    def start(self, objective: ObjectiveFuncType, **kwargs: Any) -> Any:
        """Start a background run and return its ``Run`` handle at once.

        See :func:`hpo_lab.execution.start_run` for the arguments (``n_trials``, ``timeout``,
        ``n_jobs``, ``executor``, ``catch``, ...).
        """
        from hpo_lab.execution import start_run

        return start_run(self, objective, **kwargs)

    @property
    def run(self) -> Any:
        """The live background ``Run`` of this study object, or ``None``."""
        run = self._run
        if run is not None and getattr(run, "is_live", lambda: False)():
            return run
        return None

    def __repr__(self) -> str:
        return f"Study(study_name={self.study_name!r}, direction={self.direction!r})"


def _as_exception_tuple(
    catch: Iterable[type[BaseException]] | type[BaseException],
) -> tuple[type[BaseException], ...]:
    if isinstance(catch, type):
        catch = (catch,)
    out = tuple(catch)
    for c in out:
        if not (isinstance(c, type) and issubclass(c, BaseException)):
            raise TypeError(f"catch must hold exception classes, but got {c!r}")
    return out


def create_study(
    *,
    study_name: str | None = None,
    storage: str | BaseStorage | None = None,
    direction: str = "minimize",
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    load_if_exists: bool = False,
    warm_start_from: Study | str | None = None,
) -> Study:
    """Create a study (or load it, with ``load_if_exists``).

    Args:
        study_name: A unique name; a random one when ``None``.
        storage: ``None`` (in memory), a path or ``"sqlite:///path.db"``, or a storage object.
        direction: ``"minimize"`` or ``"maximize"``.
        sampler: Defaults to :class:`~hpo_lab.samplers.RandomSampler`.
        pruner: Defaults to :class:`~hpo_lab.pruners.NopPruner`.
        load_if_exists: Return the existing study of that name instead of raising.
        warm_start_from: A parent study (object or name in the same storage): its finished
            trials that fit this study's space become observations for the sampler.

    Example:
        >>> import hpo_lab
        >>> parent = hpo_lab.create_study(study_name="p")
        >>> parent.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        >>> child = hpo_lab.create_study(study_name="c", storage=parent.storage,
        ...                              warm_start_from=parent)
        >>> len(child.inherited_trials), len(child.trials)
        (5, 0)
    """
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction must be 'minimize' or 'maximize', but got {direction!r}")
    if isinstance(warm_start_from, Study) and storage is None:
        storage = warm_start_from.storage
    store = get_storage(storage)
    if study_name is None:
        study_name = f"study-{uuid.uuid4().hex[:8]}"
    if not isinstance(study_name, str) or not study_name:
        raise ValueError(f"study_name must be a non-empty str, but got {study_name!r}")
    parent_id: int | None = None
    parent_constraints: dict[str, Distribution] = {}
    if warm_start_from is not None:
        if isinstance(warm_start_from, Study):
            if warm_start_from.storage is not store:
                raise ValueError(
                    "warm_start_from must be a study in the same storage as the new study; "
                    f"{warm_start_from.study_name!r} lives in another storage"
                )
            parent_name = warm_start_from.study_name
        else:
            parent_name = str(warm_start_from)
        try:
            parent_id = store.get_study_id(parent_name)
        except StudyNotFoundError:
            raise ValueError(
                f"cannot warm-start from {parent_name!r}: no such study in this storage"
            ) from None
        parent_info = store.get_study_info(parent_id)
        if parent_info.direction != direction:
            raise ValueError(
                f"cannot warm-start a {direction} study from {parent_name!r}, which is "
                f"{parent_info.direction}d"
            )
        parent_constraints = dict(store.get_space_revisions(parent_id)[-1].constraints)
    try:
        store.create_new_study(study_name, direction, parent_id=parent_id)
    except ValueError as exc:
        from hpo_lab.storages._base import DuplicatedStudyError

        if not (isinstance(exc, DuplicatedStudyError) and load_if_exists):
            raise
        study = Study(study_name, store, sampler, pruner)
        if study.direction != direction:
            raise ValueError(
                f"study {study_name!r} exists with direction={study.direction!r}, "
                f"not {direction!r}"
            ) from None
        store.fail_stale_trials(study._study_id)
        return study
    study = Study(study_name, store, sampler, pruner)
    if parent_constraints:
        # The child starts in the parent's current (narrowed) space.
        store.add_space_revision(study._study_id, parent_constraints)
        study._revisions = None
    return study


def load_study(
    *,
    study_name: str,
    storage: str | BaseStorage,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
) -> Study:
    """Open an existing study. RUNNING trials whose process is gone are marked FAIL (stale).

    Example:
        >>> import hpo_lab, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "runs.db")
        >>> s = hpo_lab.create_study(study_name="demo", storage=path)
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> len(hpo_lab.load_study(study_name="demo", storage=path).trials)
        2
    """
    store = get_storage(storage)
    try:
        store.get_study_id(study_name)
    except StudyNotFoundError:
        names = [s.study_name for s in store.get_all_studies()]
        raise StudyNotFoundError(
            f"no study named {study_name!r} in this storage (studies: {names or 'none'})"
        ) from None
    study = Study(study_name, store, sampler, pruner)
    store.fail_stale_trials(study._study_id)
    return study

"""The study: a named optimisation with its trials, search-space revisions and lineage."""

from __future__ import annotations

import gc
import logging
import math
import numbers
import os
import shutil
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_lab import _validation
from hpo_lab.distributions import CategoricalDistribution, Distribution, check_compatible
from hpo_lab.exceptions import TrialPruned
from hpo_lab.pruners._base import BasePruner
from hpo_lab.pruners._factory import default_pruner
from hpo_lab.samplers._base import BaseSampler
from hpo_lab.search_space._revision import SpaceRevision, build_constraint
from hpo_lab.storages import get_storage
from hpo_lab.storages._base import (
    BaseStorage,
    RevisionConflictError,
    StudyNotFoundError,
    TrialFinishedError,
)
from hpo_lab.study._artifacts import StudyArtifacts
from hpo_lab.study._best import best_of
from hpo_lab.study._direction import StudyDirection
from hpo_lab.study._events import (
    SPACE_CHANGED,
    TRIAL_CREATED,
    TRIAL_FINISHED,
    TRIAL_REPORTED,
    Event,
    EventBus,
)
from hpo_lab.study._launch import RunHandle, get_launcher
from hpo_lab.study._view import LiveStudyView
from hpo_lab.trial._checkpoint import CHECKPOINT_FILE, write_atomically
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial, TrialOrigin
from hpo_lab.trial._state import FailReason, TrialState
from hpo_lab.trial._trial import Trial

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ObjectiveFuncType", "Study", "create_study", "load_study"]

_logger = logging.getLogger("hpo_lab")

ObjectiveFuncType = Callable[[Trial], Any]

_DIRECTIONS = ("minimize", "maximize")
_INHERITABLE = (TrialState.COMPLETE, TrialState.PRUNED)
# Look for trials left RUNNING by dead processes at most this often (seconds) while trials start.
_STALE_CHECK_INTERVAL = 1.0


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
    if isinstance(value, (bool, str, bytes, np.bool_)):
        return None, (
            f"the objective returned {value!r} ({type(value).__name__}); it must return a number"
        )
    if isinstance(value, np.ndarray) and value.ndim != 0:
        return None, (
            f"the objective returned an array of shape {value.shape}; it must return a single "
            "number (multi-objective optimisation is not supported yet)"
        )
    try:
        v = float(value)
    except Exception:  # any failing __float__: OverflowError, a tensor's RuntimeError...
        return None, (
            f"the objective returned {value!r} of type {type(value).__name__}, "
            "which is not a number"
        )
    if not math.isfinite(v):
        return None, f"the objective returned {v}; a finite number is needed"
    return v, None


class Study:
    """A named optimisation: trials, a sampler, a pruner, a versioned search space.

    Build one with :func:`create_study` or :func:`load_study`.

    Example:
        >>> import hpo_lab
        >>> sampler = hpo_lab.samplers.RandomSampler(seed=0)
        >>> study = hpo_lab.create_study(direction="minimize", sampler=sampler)
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
        self.direction: StudyDirection = StudyDirection(info.direction)
        self._parent_id = info.parent_id
        if sampler is None:
            from hpo_lab.samplers._auto import AutoSampler

            sampler = AutoSampler()
        self.sampler: BaseSampler = sampler
        self.pruner: BasePruner = pruner if pruner is not None else default_pruner()
        self._default_pruner = self.pruner if pruner is None else None
        self._events = EventBus()
        self._stop_flag = False
        self._view = LiveStudyView(self)
        # Guards the trial cache and the caches derived from it (revisions, inherited trials,
        # lineage), which the runner, worker and widget threads all read and refresh; each
        # derived cache is stored as one (key, value) pair so a key never meets another's value.
        self._cache_lock = threading.RLock()
        self._cache: list[FrozenTrial] = []
        # Numbers of the cached trials not finished yet, so that asking for running (or
        # waiting) trials does not scan a long study.
        self._unfinished: dict[int, None] = {}
        self._cursor = 0
        self._revisions: list[SpaceRevision] | None = None
        # (key, the inherited trials inside the current revision's ranges, all that fit the
        # declared distributions): see _inherited_fits.
        self._inherited_cache: (
            tuple[tuple[Any, ...], list[FrozenTrial], list[FrozenTrial]] | None
        ) = None
        self._lineage_cache: tuple[tuple[Any, ...], list[FrozenTrial]] | None = None
        self._next_stale_check = 0.0
        self._checkpointed: set[int] = set()  # trials that asked for their checkpoint folder
        # The latest declaration of each parameter by an own trial, and that trial's number;
        # kept up to date by _sync so warm-start filtering need not rescan every trial.
        self._own_declared: dict[str, Distribution] = {}
        self._declared_at: dict[str, int] = {}
        self._parent: Study | None = None
        self._run: RunHandle | None = None  # the live background run, set by hpo_lab.execution

    # -- basic properties -------------------------------------------------------------------------
    @property
    def storage(self) -> BaseStorage:
        """The storage holding this study."""
        return self._storage

    @property
    def view(self) -> LiveStudyView:
        """The read-only view handed to samplers and pruners (a
        :class:`~hpo_lab.views.StudyView`)."""
        return self._view

    @property
    def artifacts(self) -> StudyArtifacts:
        """The study's artifact folder: files and checkpoints kept beside the store.

        Example:
            >>> import hpo_lab
            >>> study = hpo_lab.create_study()
            >>> info = study.artifacts.save_bytes("notes.txt", b"hello")
            >>> study.artifacts.read_bytes(info), study.artifacts.disk_usage()
            (b'hello', 5)
        """
        return StudyArtifacts(self._storage, self._study_id, self.study_name)

    @property
    def user_attrs(self) -> dict[str, Any]:
        """Study attributes set with :meth:`set_user_attr`."""
        return dict(self._storage.get_study_info(self._study_id).user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """Study attributes the library keeps (for example a pruner's resolved resources)."""
        return dict(self._storage.get_study_info(self._study_id).system_attrs)

    def set_system_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable library-level value with the study; every process and
        resume reads the same.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.set_system_attr("max_resource", 27)
            >>> s.system_attrs
            {'max_resource': 27}
        """
        self._storage.set_study_system_attr(self._study_id, key, value)

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
    def _own_snapshot(self) -> tuple[list[FrozenTrial], int]:
        """The own trials and the store cursor they were read at, taken together."""
        with self._cache_lock:
            trials = self._sync()
            return [t for t in trials if t is not None], self._cursor

    def _sync(self) -> list[FrozenTrial]:
        # Incremental read: only trials changed since the last look are fetched.
        with self._cache_lock:
            changed, cursor = self._storage.get_trials_since(self._study_id, self._cursor)
            if changed:
                cache = self._cache
                declared, declared_at = self._own_declared, self._declared_at
                unfinished = self._unfinished
                for t in changed:
                    n = t.number
                    if t.state.is_finished():
                        unfinished.pop(n, None)
                    else:
                        unfinished[n] = None
                    for name, d in t.distributions.items():
                        if declared_at.get(name, -1) <= n and declared.get(name) != d:
                            declared[name] = d
                            declared_at[name] = n
                    if n < len(cache):
                        cache[n] = t
                    else:
                        while len(cache) < n:
                            cache.append(None)  # type: ignore[arg-type]
                        cache.append(t)
            self._cursor = cursor
            return self._cache

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The study's own trials ordered by number, optionally only those in ``states``.

        With ``deepcopy`` (the default, as in Optuna) each record is a copy whose dictionaries
        may be changed freely; ``deepcopy=False`` returns the shared records, which are faster
        to get and must not be changed.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
            >>> len(s.get_trials(states=[hpo_lab.TrialState.COMPLETE]))
            3
        """
        if isinstance(states, (tuple, list, set, frozenset)) and not any(
            s.is_finished() for s in states
        ):
            # Running or waiting trials only: the few unfinished ones, not the whole study.
            with self._cache_lock:
                cache = self._sync()
                trials = [cache[n] for n in sorted(self._unfinished)]
        else:
            trials = self._sync()
        if deepcopy:
            if states is None:
                return [t.copy() for t in trials if t is not None]
            return [t.copy() for t in trials if t is not None and t.state in states]
        if states is None:
            return [t for t in trials if t is not None]
        return [t for t in trials if t is not None and t.state in states]

    @property
    def trials(self) -> list[FrozenTrial]:
        """Every own trial of the study (inherited ones are in :attr:`inherited_trials`), as
        copies."""
        return self.get_trials()

    @property
    def best_trial(self) -> FrozenTrial:
        """The COMPLETE trial with the best value (a copy); ``ValueError`` if there is none yet."""
        return self._best_shared().copy()

    def _best_shared(self) -> FrozenTrial:
        best = best_of(
            self.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)), self.direction
        )
        if best is None:
            raise ValueError(
                f"study {self.study_name!r} has no COMPLETE trial yet, so no best trial"
            )
        return best

    @property
    def pruner_is_default(self) -> bool:
        """Whether the study's pruner is the default one (no pruner was given, and none was
        set since): scikit-learn search, for one, does not prune across folds with it.

        Example:
            >>> import hpo_lab
            >>> from hpo_lab.pruners import MedianPruner
            >>> hpo_lab.create_study().pruner_is_default
            True
            >>> hpo_lab.create_study(pruner=MedianPruner()).pruner_is_default
            False
        """
        return self._default_pruner is not None and self.pruner is self._default_pruner

    @property
    def best_value(self) -> float:
        """The best objective value so far."""
        value = self._best_shared().value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        """The parameters of the best trial."""
        return dict(self._best_shared().params)

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
        for t in self._shared_inherited():
            out.update(t.distributions)
        self._sync()
        out.update(self._own_declared)
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
        changes: dict[str, Distribution | None] = {}
        constraint: Distribution | None
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
                changes[name] = None  # widened back to the declared range
            else:
                changes[name] = constraint
        # Compare-and-swap: the new revision is the latest one plus these changes, written only
        # if no other narrowing (another process, the panel's Apply) landed in between; if one
        # did, its changes are read and these are applied on top of them.
        while True:
            current = self._refresh_revisions()[-1]
            constraints = dict(current.constraints)
            for name, constraint in changes.items():
                if constraint is None:
                    constraints.pop(name, None)
                else:
                    constraints[name] = constraint
            try:
                revision = self._storage.add_space_revision(
                    self._study_id, constraints, based_on=current.number
                )
            except RevisionConflictError:
                continue
            break
        self._revisions = None
        self._inherited_cache = None
        for t in self.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            fixed = t.system_attrs.get("fixed_params") or {}
            if not revision.admits(fixed):
                try:
                    cancelled = self._storage.finish_trial(
                        t.trial_id,
                        TrialState.FAIL,
                        fail_reason=FailReason.CANCELLED,
                        fail_message=f"enqueued params {fixed!r} lie outside revision "
                        f"{revision.number} of the search space",
                    )
                except TrialFinishedError:
                    continue  # another worker started or cancelled it meanwhile
                if self._events:
                    self._events.emit(Event(TRIAL_FINISHED, self.study_name, cancelled))
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
        """Finished (COMPLETE, PRUNED) trials of the ancestors that fit this study's space, as
        copies, each with ``origin`` naming the study and number it was evaluated as.

        A trial fits when its values lie inside the current revision's ranges and inside the
        distributions this study's own trials declare for those parameters; its
        ``distributions`` then show this study's declarations, so that samplers see one space.
        Ancestors are filtered here only: a grandparent's trial that the parent narrowed away
        is still inherited when it fits this study.
        """
        return [t.copy() for t in self._shared_inherited()]

    def _shared_inherited(self) -> list[FrozenTrial]:
        """The records behind :attr:`inherited_trials` (shared: do not change them)."""
        return self._inherited_fits(inside=True)

    def _inherited_observations(self) -> list[FrozenTrial]:
        """The ancestors' finished trials that fit this study's declared distributions, inside
        the current revision's ranges or not: what the study's view shows its sampler and
        pruner (shared records).

        A sampler sees the study's own trials of earlier revisions where they lie; it sees the
        ancestors' trials the same way. Leaving out those beyond a narrowed range would leave
        the model blind there, so that its uncertainty grows towards the faces of the range and
        the acquisition piles proposals onto them (see ``tests/samplers/
        test_warm_start_traps.py``).
        """
        return self._inherited_fits(inside=False)

    def _inherited_fits(self, *, inside: bool) -> list[FrozenTrial]:
        parent = self.parent
        if parent is None:
            return []
        with self._cache_lock:
            self._sync()
            declared = dict(self._own_declared)
        # The ancestors are read after this study, so a snapshot's cursor is never ahead of them.
        lineage_key, candidates = parent._lineage_trials()
        revision = self._revision(len(self.search_space_history) - 1)
        key = (lineage_key, revision.number, tuple(declared.items()))
        cached = self._inherited_cache
        if cached is not None and cached[0] == key:
            return cached[1] if inside else cached[2]
        inherited: list[FrozenTrial] = []
        observations: list[FrozenTrial] = []
        for t in candidates:
            redeclared: dict[str, Distribution] | None = None
            fits = True
            for name, value in t.params.items():
                d = declared.get(name)
                if d is None or d == t.distributions.get(name):
                    continue
                if not d.contains(value):
                    fits = False
                    break
                if redeclared is None:
                    redeclared = dict(t.distributions)
                redeclared[name] = d
            if fits:
                fitted = t if redeclared is None else t.replace(distributions=redeclared)
                observations.append(fitted)
                if revision.admits(t.params):
                    inherited.append(fitted)
        # The cache is one tuple, replaced whole: a reader never pairs a key with other lists.
        self._inherited_cache = (key, inherited, observations)
        return inherited if inside else observations

    def _lineage_trials(self) -> tuple[tuple[Any, ...], list[FrozenTrial]]:
        """This study's finished trials and its ancestors', unfiltered, with a cache key.

        The filtering by space happens once, in the study that inherits (see
        :meth:`_shared_inherited`), so a narrowing in the middle of a chain hides nothing from
        a grandchild.
        """
        with self._cache_lock:
            own = self.get_trials(deepcopy=False, states=_INHERITABLE)
            cursor = self._cursor
        parent = self.parent
        parent_key, parent_trials = parent._lineage_trials() if parent is not None else ((), [])
        key = (cursor, len(own), parent_key)
        cached = self._lineage_cache
        if cached is not None and cached[0] == key:
            return key, cached[1]
        name = self.study_name
        lineage = [
            t if t.origin is not None else t.replace(origin=TrialOrigin(name, t.number))
            for t in own
        ] + parent_trials
        self._lineage_cache = (key, lineage)
        return key, lineage

    # -- ask / tell --------------------------------------------------------------------------------
    def ask(
        self,
        *,
        worker: str | None = None,
        parent: FrozenTrial | int | None = None,
        fixed_params: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
    ) -> Trial:
        """Start a trial (an enqueued one first) and return it.

        ``worker`` labels who evaluates the trial (the timeline plot draws one lane per label);
        by default, this process and thread. ``parent`` (a trial of this study, or its number)
        records that the new trial continues that one, for example from its checkpoint; it is
        kept as ``parent_trial_id`` / ``parent_number``. ``fixed_params`` are the values its
        ``suggest_*`` calls return (as for an enqueued trial; they must lie in the current
        revision of the space), and ``system_attrs`` are stored with it (a scheduler's record of
        why it runs). A trial asked with any of these never takes an enqueued trial's place.

        Trials left RUNNING by processes that died are marked FAIL (stale) here, at most once
        a second, so that live runs stop counting them as running.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> t = s.ask()
            >>> _ = s.tell(t, t.suggest_float("x", 0, 1))
            >>> s.trials[0].state.value
            'COMPLETE'
        """
        parent_id = None if parent is None else self._trial_of(parent).trial_id
        self._check_stale()
        # Re-read the revisions: another Study object or process may have narrowed the space.
        current = self._refresh_revisions()[-1]
        revision = current.number
        if fixed_params:
            if not isinstance(fixed_params, Mapping):
                raise TypeError(f"fixed_params must be a dict, but got {fixed_params!r}")
            outside = [n for n in fixed_params if not current.admits({n: fixed_params[n]})]
            if outside:
                name = outside[0]
                raise ValueError(
                    f"fixed {name}={fixed_params[name]!r} lies outside revision {revision} of "
                    f"the search space, which restricts {name!r} to "
                    f"{_describe(current.constraints[name])}"
                )
        if worker is None:
            worker = _worker_label()
        frozen = None
        plain = parent_id is None and not fixed_params and not system_attrs
        if plain:
            frozen = self._storage.pop_waiting_trial(
                self._study_id, worker=worker, revision=revision
            )
        if frozen is None:
            frozen = self._storage.create_new_trial(
                self._study_id,
                revision=revision,
                worker=worker,
                parent_trial_id=parent_id,
                params=dict(fixed_params or {}),
                system_attrs=system_attrs,
            )
        view = self._view
        sampler = self.sampler
        try:
            sampler.before_trial(view, frozen)
            relative_space = sampler.infer_relative_search_space(view, frozen)
            relative_params: dict[str, Any] = {}
            if relative_space:
                rev = self._revision(frozen.revision)
                effective = {name: rev.effective(name, d) for name, d in relative_space.items()}
                relative_params = sampler.sample_relative(view, frozen, effective)
        except BaseException as exc:
            # The trial exists already; never leave it RUNNING behind a sampler error or Ctrl-C.
            interrupted = isinstance(exc, KeyboardInterrupt)
            self._storage.finish_trial(
                frozen.trial_id,
                TrialState.FAIL,
                fail_reason=FailReason.INTERRUPTED if interrupted else FailReason.EXCEPTION,
                fail_message="".join(
                    traceback.format_exception(type(exc), exc, exc.__traceback__)
                ),
            )
            self._storage.release_trial(frozen.trial_id)
            raise
        trial = Trial(self, frozen, relative_params, relative_space)
        if self._events:
            self._events.emit(Event(TRIAL_CREATED, self.study_name, frozen))
        return trial

    def _check_stale(self) -> None:
        now = time.monotonic()
        if now < self._next_stale_check:
            return
        self._next_stale_check = now + _STALE_CHECK_INTERVAL
        self._storage.fail_stale_trials(self._study_id)

    def _trial_of(self, trial: FrozenTrial | int) -> FrozenTrial:
        if isinstance(trial, FrozenTrial):
            number = trial.number
        elif isinstance(trial, bool) or not isinstance(trial, numbers.Integral):
            raise TypeError(f"expected a trial or a trial number, but got {trial!r}")
        else:
            number = int(trial)
        trials = self.get_trials(deepcopy=False)
        if 0 <= number < len(trials) and trials[number].number == number:
            found = trials[number]
        else:
            found = next((t for t in trials if t.number == number), None)  # type: ignore[assignment]
        if found is None or (isinstance(trial, FrozenTrial) and found.trial_id != trial.trial_id):
            raise ValueError(f"study {self.study_name!r} has no trial number {number}")
        return found

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
        if state is not None and not isinstance(state, TrialState):
            try:
                state = TrialState(state)
            except ValueError:
                raise ValueError(
                    f"state must be a TrialState, but got state={state!r}"
                ) from None
        if isinstance(trial, Trial):
            owner = trial.study
            if owner is not self and (
                owner.study_name != self.study_name
                or owner._study_id != self._study_id
                or not _same_storage(owner._storage, self._storage)
            ):
                where = (
                    ""
                    if _same_storage(owner._storage, self._storage)
                    else f" in another storage ({owner._storage!r})"
                )
                raise ValueError(
                    f"trial {trial.number} belongs to study {owner.study_name!r}{where}, not to "
                    f"{self.study_name!r} ({self._storage!r}); tell() it through the study "
                    "that asked it"
                )
            trial_id = trial.trial_id
        elif isinstance(trial, bool) or not isinstance(trial, numbers.Integral):
            raise TypeError(
                f"tell() takes a Trial from ask() or a trial number, but got {trial!r}"
            )
        else:
            trial_id = self._trial_id_of(int(trial))
        frozen = self._storage.get_trial(trial_id)
        if frozen.state.is_finished():
            if skip_if_finished:
                return frozen
            raise TrialFinishedError(
                f"trial {frozen.number} is already finished ({frozen.state}); tell() it only once"
            )
        if frozen.state == TrialState.WAITING:
            raise ValueError(
                f"trial {frozen.number} is WAITING (enqueued, not started); only a RUNNING trial "
                "can be told: ask() starts it"
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
        try:
            # What the sampler keeps with the trial (an Optuna-style sampler's constraint
            # values, for example) is stored while the trial is still RUNNING.
            kept = self.sampler.finished_trial_attrs(self._view, frozen, state, v)
            for key, attr in kept.items():
                frozen = self._storage.set_trial_attr(trial_id, key, attr, system=True)
            self.sampler.after_trial(self._view, frozen, state, v)
        except BaseException:
            # The trial's outcome does not depend on the sampler: store it, then let the
            # sampler's error propagate.
            _logger.exception(
                "sampler %s failed in after_trial for trial %d; the trial is stored as %s",
                type(self.sampler).__name__,
                frozen.number,
                state.value,
            )
            self._finish(trial_id, state, v, fail_reason, fail_message)
            raise
        return self._finish(trial_id, state, v, fail_reason, fail_message)

    def _finish(
        self,
        trial_id: int,
        state: TrialState,
        value: float | None,
        fail_reason: FailReason | None,
        fail_message: str | None,
    ) -> FrozenTrial:
        try:
            done = self._storage.finish_trial(
                trial_id,
                state,
                value if state == TrialState.COMPLETE else None,
                fail_reason,
                fail_message,
            )
        finally:
            self._storage.release_trial(trial_id)
        self._record_checkpoint_files(trial_id)
        if self._events:
            self._events.emit(Event(TRIAL_FINISHED, self.study_name, done))
        return done

    def _trial_id_of(self, number: int) -> int:
        trials = self.get_trials(deepcopy=False)
        if 0 <= number < len(trials) and trials[number].number == number:
            return trials[number].trial_id
        # Numbers and positions differ while another process's trials are still being read.
        for t in trials:
            if t.number == number:
                return t.trial_id
        raise ValueError(f"study {self.study_name!r} has no trial number {number}")

    def _report(self, frozen: FrozenTrial, step: int, value: float) -> FrozenTrial:
        new = self._storage.report(frozen.trial_id, step, value)
        if self._events:
            self._events.emit(Event(TRIAL_REPORTED, self.study_name, new, step=step))
        return new

    # -- what a trial asks of its study (see hpo_lab.trial.Trial) --------------------------------
    def _suggest(
        self,
        frozen: FrozenTrial,
        name: str,
        declared: Distribution,
        fixed: Mapping[str, Any],
        relative_params: Mapping[str, Any],
        relative_space: Mapping[str, Distribution],
    ) -> FrozenTrial:
        """Resolve parameter ``name`` of a RUNNING trial and store it; return the new record.

        The value is the enqueued one, the sampler's joint proposal, or the sampler's
        ``sample_independent``, inside the *effective* distribution (the declared one narrowed
        by the trial's revision).
        """
        if name in frozen.params:  # asked again (a proxy that lost its mirror): same answer
            check_compatible(name, frozen.distributions[name], declared)
            return frozen
        effective = self._revision(frozen.revision).effective(name, declared)
        if name in fixed:
            value = fixed[name]
            if not declared.contains(value):
                raise ValueError(
                    f"the enqueued value {name}={value!r} lies outside {declared!r}"
                )
        elif name in relative_params and relative_space.get(name) == declared:
            value = relative_params[name]
        else:
            value = self.sampler.sample_independent(self._view, frozen, name, effective)
        if not (effective.contains(value) or (name in fixed and declared.contains(value))):
            raise RuntimeError(
                f"{type(self.sampler).__name__} proposed {name}={value!r}, outside {effective!r}"
            )
        value = declared.to_external(declared.to_internal(value))
        return self._storage.set_trial_param(frozen.trial_id, name, value, declared)

    def _should_prune(self, frozen: FrozenTrial) -> tuple[bool, FrozenTrial]:
        """Ask the pruner about a RUNNING trial on a pinned view; store its decision.

        Returns the answer and the trial's new record (with the decision appended).
        """
        if frozen.last_step is None:
            return False, frozen
        snapshot = self._view.snapshot()
        # The trial as the snapshot has it: the pruner decides on exactly what a replay at
        # this cursor rebuilds (the caller's copy may be ahead of the read by a report).
        own = snapshot.get_trials(include_inherited=False)
        n = frozen.number  # own trials are numbered 0, 1, ...: look there first
        if 0 <= n < len(own) and own[n].trial_id == frozen.trial_id:
            current = own[n]
        else:
            current = next((t for t in own if t.trial_id == frozen.trial_id), frozen)
        decision = self.pruner.decide(snapshot, current)
        if decision is None:
            return False, frozen
        if not isinstance(decision, PruneDecision):
            raise TypeError(
                f"{type(self.pruner).__name__}.decide() must return a PruneDecision or None, "
                f"but returned {decision!r}"
            )
        last = current.decisions[-1] if current.decisions else None
        if last is not None and last.same_as(decision):
            # Asked again with nothing new to go on: the same decision, recorded once.
            return decision.prune, frozen
        recorded = decision.replace(cursor=snapshot.cursor)
        stored = self._storage.add_decision(frozen.trial_id, recorded)
        # What the pruner keeps with the study ("auto" resources resolved once, relaxed rungs):
        # written when it changes, read back by every process and resume (BasePruner.study_attrs).
        keep = self.pruner.study_attrs(snapshot)
        if keep:
            kept = snapshot.system_attrs
            for key, value in keep.items():
                if kept.get(key) != value:
                    self.set_system_attr(key, value)
        return recorded.prune, stored

    def _set_trial_attr(
        self, frozen: FrozenTrial, key: str, value: Any, system: bool
    ) -> FrozenTrial:
        return self._storage.set_trial_attr(frozen.trial_id, key, value, system=system)

    # -- checkpoints (see hpo_lab.trial.Checkpoint) -----------------------------------------------
    def _checkpoint_dir(self, trial_id: int) -> str:
        return os.path.join(self._storage.artifact_dir(self._study_id), "checkpoints",
                            f"trial-{trial_id}")

    def _checkpoint_dirs(self, frozen: FrozenTrial) -> dict[str, str | None]:
        self._checkpointed.add(frozen.trial_id)
        parent = frozen.parent_trial_id
        return {
            "own": self._checkpoint_dir(frozen.trial_id),
            "parent": None if parent is None else self._checkpoint_dir(parent),
            "root": self._storage.artifact_dir(self._study_id),
        }

    def _checkpoint_put(self, frozen: FrozenTrial, data: bytes) -> None:
        write_atomically(self._checkpoint_dir(frozen.trial_id), CHECKPOINT_FILE, data)
        self._checkpoint_saved(frozen, len(data))

    def _checkpoint_get(self, frozen: FrozenTrial, which: str) -> bytes | None:
        trial_id = frozen.trial_id if which == "own" else frozen.parent_trial_id
        if trial_id is None:
            return None
        path = os.path.join(self._checkpoint_dir(trial_id), CHECKPOINT_FILE)
        try:
            with open(path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def _checkpoint_saved(self, frozen: FrozenTrial, size: int) -> None:
        # One record per trial's pickled checkpoint: a second save replaces the first.
        relpath = os.path.join("checkpoints", f"trial-{frozen.trial_id}", CHECKPOINT_FILE)
        for old in self._storage.get_artifacts(self._study_id, frozen.trial_id):
            if old.name == "checkpoint":
                self._storage.forget_artifact(old.artifact_id)
        self._storage.add_artifact(self._study_id, frozen.trial_id, "checkpoint", relpath, size)
        # Schedulers read from the view which trials have a checkpoint to continue from.
        self._storage.set_trial_attr(frozen.trial_id, "checkpoint", int(size), system=True)

    def _record_checkpoint_files(self, trial_id: int) -> None:
        """Record files a finished trial wrote to ``checkpoint.path`` itself."""
        if trial_id not in self._checkpointed:
            return
        self._checkpointed.discard(trial_id)
        folder = self._checkpoint_dir(trial_id)
        size = 0
        for root, _, files in os.walk(folder):
            size += sum(
                os.path.getsize(os.path.join(root, f))
                for f in files
                if not (root == folder and f == CHECKPOINT_FILE) and not f.startswith(".partial-")
            )
        if size == 0:
            return
        relpath = os.path.join("checkpoints", f"trial-{trial_id}")
        self._storage.add_artifact(self._study_id, trial_id, "checkpoint files", relpath, size)
        previous = self._storage.get_trial(trial_id).system_attrs.get("checkpoint") or 0
        self._storage.set_trial_attr(
            trial_id, "checkpoint", int(previous) + size, system=True
        )

    def _remove_checkpoints(self, numbers: Iterable[int]) -> int:
        """Delete the checkpoints of trials ``numbers``; return the bytes freed."""
        freed = 0
        for number in numbers:
            trial = self._trial_of(number)
            for info in self._storage.get_artifacts(self._study_id, trial.trial_id):
                if info.name in ("checkpoint", "checkpoint files"):
                    self._storage.remove_artifact(info.artifact_id)
                    freed += info.size
            shutil.rmtree(self._checkpoint_dir(trial.trial_id), ignore_errors=True)
            self._storage.set_trial_attr(trial.trial_id, "checkpoint", 0, system=True)
        return freed

    # -- finished trials from elsewhere ------------------------------------------------------------
    def add_trial(self, trial: FrozenTrial) -> FrozenTrial:
        """Add a finished trial evaluated elsewhere (see :func:`hpo_lab.trial.create_trial`).

        Its state, value, parameters, distributions, intermediate values, attributes, times
        and fail reason are kept; it gets the next number. The sampler sees it like any other
        finished trial.

        Example:
            >>> import hpo_lab
            >>> from hpo_lab.distributions import FloatDistribution
            >>> s = hpo_lab.create_study()
            >>> added = s.add_trial(hpo_lab.create_trial(
            ...     value=0.2, params={"x": 0.4}, distributions={"x": FloatDistribution(0, 1)}))
            >>> added.number, s.best_params
            (0, {'x': 0.4})
        """
        added = self._storage.add_trial(self._study_id, trial)
        if self._events:
            self._events.emit(Event(TRIAL_FINISHED, self.study_name, added))
        return added.copy()

    def add_trials(self, trials: Iterable[FrozenTrial]) -> list[FrozenTrial]:
        """:meth:`add_trial` for each of ``trials``, in order.

        Example:
            >>> import hpo_lab
            >>> a, b = hpo_lab.create_study(), hpo_lab.create_study()
            >>> a.optimize(lambda t: t.suggest_int("k", 0, 9), n_trials=3)
            >>> [t.number for t in b.add_trials(a.trials)]
            [0, 1, 2]
        """
        return [self.add_trial(t) for t in trials]

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
        current = self._refresh_revisions()[-1]
        outside = [name for name in params if not current.admits({name: params[name]})]
        if outside:
            name = outside[0]
            raise ValueError(
                f"cannot enqueue {name}={params[name]!r}: it lies outside revision "
                f"{current.number} of the search space, which restricts {name!r} to "
                f"{_describe(current.constraints[name])}; widen it with narrow() first"
            )
        if skip_if_exists:
            for t in self.get_trials(deepcopy=False):
                if t.params == dict(params) or t.system_attrs.get("fixed_params") == dict(params):
                    return
        revision = current.number
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
        *,
        scheduler: Any = None,
    ) -> None:
        """Run trials in this thread until ``n_trials`` are done, ``timeout`` seconds pass,
        :meth:`stop` is called, or the sampler is exhausted.

        An exception from the objective marks the trial FAIL with its traceback; it then
        propagates unless its type is in ``catch``. Ctrl-C marks the running trial FAIL
        (interrupted) and propagates. With ``n_jobs`` other than 1 (``-1``: one per core) the
        trials run on that many threads through the background runner's loop
        (:func:`hpo_lab.execution.run_sync`), which this call waits for.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
            >>> len(s.trials)
            2
        """
        n_trials = _validation.check_n_trials(n_trials)
        timeout = _validation.check_seconds("timeout", timeout)
        n_jobs = _validation.check_n_jobs(n_jobs)
        catch_types = _validation.check_catch(catch)
        callbacks = _validation.check_callbacks(callbacks)
        if not callable(objective):
            raise TypeError(f"objective must be callable, but got {objective!r}")
        if show_progress_bar:  # the same loop, with a progress line as one more callback
            from hpo_lab.progress import optimize_with_progress

            optimize_with_progress(
                self, objective, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs,
                catch=catch_types, callbacks=callbacks, gc_after_trial=gc_after_trial,
                scheduler=scheduler,
            )
            return
        live = self.run
        if live is not None:  # the same error whatever n_jobs, as start_run gives
            raise RuntimeError(
                f"study {self.study_name!r} already has a live run ({live.status.value}); "
                "stop it (run.stop()) or wait for it (run.wait()) before starting another"
            )
        if n_jobs != 1 or scheduler is not None:
            # Several trials at once, or a scheduler deciding what runs: the same runner loop as
            # study.start(), waited for here.
            get_launcher().run_sync(
                self,
                objective,
                n_trials=n_trials,
                timeout=timeout,
                n_jobs=n_jobs,
                catch=catch_types,
                callbacks=callbacks,
                gc_after_trial=gc_after_trial,
                **({"scheduler": scheduler} if scheduler is not None else {}),
            )
            return
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
            for callback in callbacks:
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
        """Evaluate ``objective(trial)`` and tell the outcome; see :meth:`optimize`.

        If another process finished the trial meanwhile (it judged it stale, for example
        because this machine's clock or heartbeat lagged), a warning is logged and the stored
        record is returned: the result computed here is dropped, and the loop goes on.
        """
        try:
            value = objective(trial)
        except TrialPruned:
            return self._tell_unless_finished(trial, None, state=TrialState.PRUNED)
        except KeyboardInterrupt as exc:
            self._tell_unless_finished(
                trial,
                None,
                state=TrialState.FAIL,
                fail_reason=FailReason.INTERRUPTED,
                fail_message="interrupted (KeyboardInterrupt)\n"
                + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
            )
            raise
        except BaseException as exc:
            if isinstance(exc, TrialFinishedError) and self._finished_elsewhere(trial):
                # The objective touched (report, suggest) a trial another process had failed.
                return self._tell_unless_finished(trial, None, state=TrialState.FAIL)
            message = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            frozen = self._tell_unless_finished(
                trial, None, state=TrialState.FAIL, fail_reason=FailReason.EXCEPTION,
                fail_message=message,
            )
            if isinstance(exc, catch):
                _logger.warning(
                    "trial %d failed: %s: %s", trial.number, type(exc).__name__, exc
                )
                return frozen
            raise
        return self._tell_unless_finished(trial, value)

    def _finished_elsewhere(self, trial: Trial) -> bool:
        return self._storage.get_trial(trial.trial_id).state.is_finished()

    def _tell_unless_finished(self, trial: Trial, value: Any, **kwargs: Any) -> FrozenTrial:
        try:
            return self.tell(trial, value, **kwargs)
        except TrialFinishedError:
            stored = self._storage.get_trial(trial.trial_id)
            self._storage.release_trial(trial.trial_id)
            _logger.warning(
                "trial %d was finished elsewhere while it ran here (stored as %s%s); its "
                "result here is dropped",
                trial.number,
                stored.state.value,
                f", {stored.fail_reason.value}" if stored.fail_reason is not None else "",
            )
            return stored

    # -- tables ------------------------------------------------------------------------------
    def trials_dataframe(
        self,
        attrs: Sequence[str] | None = None,
        *,
        include_inherited: bool = False,
    ) -> pd.DataFrame:
        """One row per trial: number, value, state, ``params_*``, ``user_attrs_*``, times,
        duration, revision and fail reason; with ``include_inherited`` also the inherited
        trials, with ``inherited`` and ``origin_*`` columns. An inherited row keeps the number
        it had in its own study (repeated in ``origin_number``, a nullable ``Int64`` column).

        ``attrs`` takes Optuna's tuple of column groups (``"number"``, ``"value"``,
        ``"params"``, ``"user_attrs"``, ``"system_attrs"``, ``"state"``, the times...) to pick
        a subset.

        Example:
            >>> import hpo_lab
            >>> s = hpo_lab.create_study()
            >>> s.optimize(lambda t: t.suggest_int("k", 1, 3), n_trials=2)
            >>> list(s.trials_dataframe().columns)[:3]
            ['number', 'value', 'state']
        """
        from hpo_lab.study._dataframe import trials_to_dataframe

        trials = self.get_trials(deepcopy=False)
        inherited = self._shared_inherited() if include_inherited else None
        return trials_to_dataframe(trials, inherited, attrs)

    # -- background runs ---------------------------------------------------------------------------
    def start(self, objective: ObjectiveFuncType, **kwargs: Any) -> RunHandle:
        """Start a background run and return its ``Run`` handle at once.

        See :func:`hpo_lab.execution.start_run` for the arguments (``n_trials``, ``timeout``,
        ``n_jobs``, ``executor``, ``catch``, ...).

        Example:
            >>> import hpo_lab
            >>> run = hpo_lab.create_study().start(lambda t: t.suggest_int("k", 0, 3), n_trials=2)
            >>> run.wait(60), run.progress.finished
            (True, 2)
        """
        return get_launcher().start(self, objective, **kwargs)

    @property
    def run(self) -> RunHandle | None:
        """The live background ``Run`` of this study object, or ``None``."""
        run = self._run
        if run is not None and run.is_live():
            return run
        return None

    def __repr__(self) -> str:
        return f"Study(study_name={self.study_name!r}, direction={self.direction!r})"


def _same_storage(a: BaseStorage, b: BaseStorage) -> bool:
    # Two SQLiteStorage objects on one file are the same storage: compare resolved paths.
    if a is b:
        return True
    path_a, path_b = getattr(a, "path", None), getattr(b, "path", None)
    if not isinstance(path_a, str) or not isinstance(path_b, str) or type(a) is not type(b):
        return False
    if path_a.startswith("file:") or path_b.startswith("file:"):
        return path_a == path_b
    return os.path.realpath(path_a) == os.path.realpath(path_b)


def _describe(d: Distribution) -> str:
    if isinstance(d, CategoricalDistribution):
        return f"the choices {list(d.choices)!r}"
    return f"[{d.low}, {d.high}]"


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
        sampler: Defaults to :class:`~hpo_lab.samplers.AutoSampler`.
        pruner: Defaults to :func:`~hpo_lab.pruners.default_pruner` (``HyperbandPruner()``,
            which prunes only objectives that ask ``trial.should_prune()``).
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
            if not _same_storage(warm_start_from.storage, store):
                raise ValueError(
                    "warm_start_from must be a study in the same storage as the new study; "
                    f"{warm_start_from.study_name!r} lives in another storage "
                    f"({warm_start_from.storage!r}, not {store!r})"
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
        if warm_start_from is not None and study._parent_id != parent_id:
            existing = study.parent.study_name if study.parent is not None else None
            raise ValueError(
                f"study {study_name!r} exists with warm_start_from={existing!r}, not "
                f"{parent_name!r}; a study's parent cannot change (load it without "
                "warm_start_from, or pick a new study_name)"
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
    store = get_storage(storage, create=False)
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

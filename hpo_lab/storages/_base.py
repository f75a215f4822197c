"""The storage contract.

A storage holds studies, their search-space revisions and their trials. The :class:`Study`
is its only caller in normal use; samplers and pruners never see it.

Contract (checked for every implementation by ``hpo_lab.testing.pytest_storages``):

* All methods are thread-safe. Storages that persist to a file are also safe across
  processes sharing that file.
* Trial numbers are assigned by the storage, from 0, unique within a study, in creation order.
* A finished trial (COMPLETE, PRUNED, FAIL) is never changed again except for attributes.
* ``FrozenTrial`` objects returned are immutable snapshots; callers must not mutate them.
* Every change to a trial advances the store's change cursor: ``get_trials_since(study_id, c)``
  returns each trial changed after cursor ``c`` (once, in its latest form) and the new cursor:
  the store's counter at the read, even where this study did not change. The cursor is one
  counter for the whole store, so cursors of different studies compare (a warm-started study
  with no trials of its own yet pins its parent's trials with it).
* Each trial records the cursor when it was created (``created_cursor``), when each step was
  reported (``report_cursors``) and when it finished (``finished_cursor``), from which the
  study can be rebuilt as it stood at any cursor (``hpo_lab.views.trials_as_of``).
* A study has a folder for artifacts (checkpoints, files) beside the store, which the store
  records (which study and trial each came from); the store itself holds only JSON.
"""

from __future__ import annotations

import abc
import datetime
import os
import shutil
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from typing import Any

from hpo_lab import _json
from hpo_lab.distributions import Distribution
from hpo_lab.search_space._revision import SpaceRevision
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import FailReason, TrialState

__all__ = [
    "ArtifactInfo",
    "BaseStorage",
    "DuplicatedStudyError",
    "RevisionConflictError",
    "StorageError",
    "StudyInfo",
    "StudyNotFoundError",
    "TrialFinishedError",
    "prepare_added_trial",
    "prepare_new_trial",
]


class DuplicatedStudyError(ValueError):
    """A study with that name already exists in the storage."""


class StudyNotFoundError(KeyError):
    """No study with that name or id exists in the storage."""

    def __str__(self) -> str:  # KeyError quotes its argument; the message reads better plain.
        return str(self.args[0]) if self.args else "study not found"


class TrialFinishedError(RuntimeError):
    """A finished trial was asked to change state or take new params or reports."""


class RevisionConflictError(RuntimeError):
    """Another writer added a search-space revision since the one a narrowing was based on."""


class StorageError(ValueError):
    """The store's file cannot be used: not a database, corrupt, unreadable or read-only."""


@dataclass(frozen=True)
class ArtifactInfo:
    """One file in a study's artifact folder, as the store records it.

    Attributes:
        artifact_id: The store's id of the artifact.
        study_id: The study whose folder holds it.
        trial_id: The trial it came from, or ``None`` for a study-level file.
        trial_number: That trial's number in its study.
        name: The name it was saved under.
        path: The file's absolute path.
        size: Its size in bytes.
        datetime_created: When it was saved.
    """

    artifact_id: int
    study_id: int
    trial_id: int | None
    trial_number: int | None
    name: str
    path: str
    size: int
    datetime_created: datetime.datetime | None = None


@dataclass(frozen=True)
class StudyInfo:
    """What a storage knows about a study, apart from its trials."""

    study_id: int
    study_name: str
    direction: str
    parent_id: int | None = None
    datetime_created: datetime.datetime | None = None
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)


class BaseStorage(abc.ABC):
    """Abstract storage; see the module docstring for the contract."""

    # -- studies -------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_study(
        self, study_name: str, direction: str, parent_id: int | None = None
    ) -> int:
        """Create a study; raise :class:`DuplicatedStudyError` if the name is taken."""

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study and its trials."""

    @abc.abstractmethod
    def get_study_id(self, study_name: str) -> int:
        """The id of a named study; raise :class:`StudyNotFoundError` if there is none."""

    @abc.abstractmethod
    def get_study_info(self, study_id: int) -> StudyInfo:
        """Name, direction, parent and attributes of a study."""

    @abc.abstractmethod
    def get_all_studies(self) -> list[StudyInfo]:
        """Every study in the storage, in creation order."""

    @abc.abstractmethod
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        """Set a JSON-serialisable study attribute."""

    @abc.abstractmethod
    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        """Set a JSON-serialisable study attribute kept by the library (for example a
        pruner's resources resolved once for every process and resume)."""

    @abc.abstractmethod
    def add_space_revision(
        self,
        study_id: int,
        constraints: Mapping[str, Distribution],
        *,
        based_on: int | None = None,
    ) -> SpaceRevision:
        """Append a search-space revision and return it (numbered from 1; 0 is implicit).

        With ``based_on``, the append is a compare-and-swap: it happens only if the study's
        latest revision is still number ``based_on``, else :class:`RevisionConflictError`.
        """

    @abc.abstractmethod
    def get_space_revisions(self, study_id: int) -> list[SpaceRevision]:
        """All revisions, revision 0 (no constraints) first."""

    # -- trials --------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_trial(
        self,
        study_id: int,
        *,
        state: TrialState = TrialState.RUNNING,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Distribution] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
        revision: int = 0,
        worker: str | None = None,
        parent_trial_id: int | None = None,
    ) -> FrozenTrial:
        """Create a WAITING or RUNNING trial and return it with its number assigned.

        For WAITING trials, ``params`` may hold values without distributions (they are fixed
        values to use when the trial runs); such values are kept in
        ``system_attrs["fixed_params"]``. ``parent_trial_id`` links the trial this one
        continues (``KeyError`` if there is no such trial).
        """

    @abc.abstractmethod
    def add_trial(self, study_id: int, trial: FrozenTrial) -> FrozenTrial:
        """Add a finished trial evaluated elsewhere, keeping its state, value, parameters,
        intermediate values, attributes, times and fail reason; return it with its new number
        and id."""

    @abc.abstractmethod
    def pop_waiting_trial(
        self, study_id: int, worker: str | None = None, revision: int | None = None
    ) -> FrozenTrial | None:
        """Atomically move the oldest WAITING trial to RUNNING and return it, or ``None``."""

    @abc.abstractmethod
    def set_trial_param(
        self, trial_id: int, name: str, value: Any, distribution: Distribution
    ) -> FrozenTrial:
        """Record a parameter of a RUNNING trial."""

    @abc.abstractmethod
    def report(self, trial_id: int, step: int, value: float) -> FrozenTrial:
        """Record an intermediate value of a RUNNING trial (a later report of a step wins)."""

    @abc.abstractmethod
    def set_trial_attr(
        self, trial_id: int, key: str, value: Any, *, system: bool = False
    ) -> FrozenTrial:
        """Set a JSON-serialisable user (or system) attribute of a trial; return the trial."""

    @abc.abstractmethod
    def add_decision(self, trial_id: int, decision: PruneDecision) -> FrozenTrial:
        """Append a pruner's decision to a RUNNING trial; return the trial."""

    @abc.abstractmethod
    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        value: float | None = None,
        fail_reason: FailReason | None = None,
        fail_message: str | None = None,
    ) -> FrozenTrial:
        """Move a WAITING/RUNNING trial to a finished state.

        Raises :class:`TrialFinishedError` if it is finished already.
        """

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial:
        """One trial by id; ``KeyError`` if unknown."""

    @abc.abstractmethod
    def get_all_trials(
        self, study_id: int, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The study's trials ordered by number, optionally only those in ``states``."""

    @abc.abstractmethod
    def get_trials_since(self, study_id: int, cursor: int) -> tuple[list[FrozenTrial], int]:
        """Trials changed after ``cursor`` (ordered by number) and the new cursor: the store's
        change counter as of the same read (every change of the study up to it is either in
        the list or at or before ``cursor``), also where no change of this study came since.

        Cursor 0 returns every trial.
        """

    # -- artifacts -----------------------------------------------------------------------------
    @abc.abstractmethod
    def artifact_dir(self, study_id: int) -> str:
        """The study's artifact folder (created if missing): beside the store's file, or a
        temporary folder for a store without one."""

    @abc.abstractmethod
    def add_artifact(
        self, study_id: int, trial_id: int | None, name: str, relpath: str, size: int
    ) -> ArtifactInfo:
        """Record a file already written to ``artifact_dir(study_id)/relpath``."""

    @abc.abstractmethod
    def get_artifacts(self, study_id: int, trial_id: int | None = None) -> list[ArtifactInfo]:
        """The study's recorded artifacts (only those of ``trial_id`` if given), oldest first."""

    @abc.abstractmethod
    def forget_artifact(self, artifact_id: int) -> ArtifactInfo:
        """Forget an artifact's record, leaving its file; return what was recorded."""

    def remove_artifact(self, artifact_id: int) -> None:
        """Forget an artifact and delete its file or folder (a missing one is fine)."""
        info = self.forget_artifact(artifact_id)
        if os.path.isdir(info.path):
            shutil.rmtree(info.path, ignore_errors=True)
        else:
            try:
                os.remove(info.path)
            except FileNotFoundError:
                pass

    # -- hooks with defaults --------------------------------------------------------------------
    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        """How many trials the study has (optionally in ``states``)."""
        return len(self.get_all_trials(study_id, states))

    def fail_stale_trials(self, study_id: int) -> list[int]:
        """Mark RUNNING trials whose owner process is gone as FAIL (stale); return their numbers.

        Storages that live in one process have nothing to do.
        """
        return []

    def release_trial(self, trial_id: int) -> None:  # noqa: B027 - a hook, no-op by default
        """The caller no longer evaluates this trial here (for heartbeat bookkeeping)."""

    def close(self) -> None:  # noqa: B027 - a hook, no-op by default
        """Release files and threads; the storage must not be used afterwards."""


def prepare_new_trial(
    state: TrialState,
    params: Mapping[str, Any] | None,
    distributions: Mapping[str, Distribution] | None,
    user_attrs: Mapping[str, Any] | None,
    system_attrs: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Distribution], dict[str, Any], dict[str, Any]]:
    """Check the arguments of :meth:`BaseStorage.create_new_trial` the same way in every storage.

    Returns ``(params, distributions, user_attrs, system_attrs)``: params with a distribution,
    and the attributes as they will read back from JSON; params without a distribution are
    fixed values of an enqueued trial, kept in ``system_attrs["fixed_params"]``.
    """
    if state not in (TrialState.RUNNING, TrialState.WAITING):
        raise ValueError(f"new trials are WAITING or RUNNING, but got state={state}")
    u_attrs = {
        k: _json.check_jsonable("user attribute", k, v) for k, v in (user_attrs or {}).items()
    }
    s_attrs = {
        k: _json.check_jsonable("system attribute", k, v) for k, v in (system_attrs or {}).items()
    }
    dists = dict(distributions or {})
    fixed = {
        _json.check_key("parameter", k): _json.check_jsonable("parameter", k, v)
        for k, v in (params or {}).items()
        if k not in dists
    }
    if fixed:
        s_attrs["fixed_params"] = fixed
    p = {
        k: _json.check_jsonable("parameter", k, v)
        for k, v in (params or {}).items()
        if k in dists
    }
    return p, dists, u_attrs, s_attrs


def prepare_added_trial(trial: FrozenTrial) -> FrozenTrial:
    """Check a trial given to :meth:`BaseStorage.add_trial` the same way in every storage.

    Returns the trial with its dictionaries as they will read back from JSON.
    """
    if not isinstance(trial, FrozenTrial):
        raise TypeError(
            f"add_trial takes a FrozenTrial (see hpo_lab.trial.create_trial), but got {trial!r}"
        )
    if not trial.state.is_finished():
        raise ValueError(
            f"only finished trials can be added (COMPLETE, PRUNED or FAIL), but got {trial.state}"
        )
    if set(trial.params) != set(trial.distributions):
        raise ValueError(
            "a trial's params and distributions must name the same parameters, but they "
            f"differ in {sorted(set(trial.params) ^ set(trial.distributions))}"
        )
    for name, d in trial.distributions.items():
        if not d.contains(trial.params[name]):
            raise ValueError(f"parameter {name!r}: {trial.params[name]!r} lies outside {d!r}")
    if trial.state == TrialState.COMPLETE and trial.value is None:
        raise ValueError("a COMPLETE trial needs a value, but got value=None")
    return trial.replace(
        params={k: _json.check_jsonable("parameter", k, v) for k, v in trial.params.items()},
        user_attrs={
            k: _json.check_jsonable("user attribute", k, v) for k, v in trial.user_attrs.items()
        },
        system_attrs={
            k: _json.check_jsonable("system attribute", k, v)
            for k, v in trial.system_attrs.items()
        },
        intermediate_values={int(k): float(v) for k, v in trial.intermediate_values.items()},
        value=None if trial.value is None else float(trial.value),
    )

"""A storage that lives in the Python process: the fastest, and lost when it exits."""

from __future__ import annotations

import bisect
import dataclasses
import datetime
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Container, Mapping
from typing import Any

from hpo_lab import _json
from hpo_lab.distributions import Distribution
from hpo_lab.search_space._revision import SpaceRevision
from hpo_lab.storages._base import (
    ArtifactInfo,
    BaseStorage,
    DuplicatedStudyError,
    RevisionConflictError,
    StudyInfo,
    StudyNotFoundError,
    TrialFinishedError,
    prepare_added_trial,
    prepare_new_trial,
)
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import FailReason, TrialState

__all__ = ["InMemoryStorage"]


class _StudyRecord:
    __slots__ = ("changes", "info", "n_waiting", "revisions", "trials")

    def __init__(self, info: StudyInfo) -> None:
        self.info = info
        self.trials: list[FrozenTrial] = []
        self.revisions: list[SpaceRevision] = [SpaceRevision(0, {}, info.datetime_created)]
        # (version, number) pairs in version order: the change log behind the cursor.
        self.changes: list[tuple[int, int]] = []
        self.n_waiting = 0


class InMemoryStorage(BaseStorage):
    """Keeps everything in dictionaries guarded by one lock.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(storage=InMemoryStorage())
        >>> study.optimize(lambda t: t.suggest_int("k", 1, 3), n_trials=2)
        >>> len(study.trials)
        2
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _StudyRecord] = {}
        self._names: dict[str, int] = {}
        self._trial_index: dict[int, tuple[int, int]] = {}  # trial_id -> (study_id, number)
        self._next_study_id = 0
        self._next_trial_id = 0
        self._version = 0
        self._artifacts: dict[int, ArtifactInfo] = {}
        self._next_artifact_id = 0
        self._tmp_dir: str | None = None

    # -- studies -------------------------------------------------------------------------------
    def create_new_study(
        self, study_name: str, direction: str, parent_id: int | None = None
    ) -> int:
        with self._lock:
            if study_name in self._names:
                raise DuplicatedStudyError(f"a study named {study_name!r} already exists")
            if parent_id is not None and parent_id not in self._studies:
                raise StudyNotFoundError(f"no parent study with id {parent_id}")
            study_id = self._next_study_id
            self._next_study_id += 1
            info = StudyInfo(study_id, study_name, direction, parent_id, datetime.datetime.now())
            self._studies[study_id] = _StudyRecord(info)
            self._names[study_name] = study_id
            return study_id

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            rec = self._record(study_id)
            for t in rec.trials:
                self._trial_index.pop(t.trial_id, None)
            del self._names[rec.info.study_name]
            del self._studies[study_id]
            for aid in [a for a, info in self._artifacts.items() if info.study_id == study_id]:
                del self._artifacts[aid]
            if self._tmp_dir is not None:
                shutil.rmtree(os.path.join(self._tmp_dir, f"study-{study_id}"), True)

    def get_study_id(self, study_name: str) -> int:
        with self._lock:
            try:
                return self._names[study_name]
            except KeyError:
                raise StudyNotFoundError(f"no study named {study_name!r}") from None

    def get_study_info(self, study_id: int) -> StudyInfo:
        with self._lock:
            return self._record(study_id).info

    def get_all_studies(self) -> list[StudyInfo]:
        with self._lock:
            return [r.info for r in self._studies.values()]

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, key, value, system=False)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, key, value, system=True)

    def _set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool) -> None:
        kind = "study system attribute" if system else "study user attribute"
        value = _json.check_jsonable(kind, key, value)
        with self._lock:
            rec = self._record(study_id)
            info = rec.info
            attrs = dict(info.system_attrs if system else info.user_attrs)
            attrs[key] = value
            if system:
                rec.info = dataclasses.replace(info, system_attrs=attrs)
            else:
                rec.info = dataclasses.replace(info, user_attrs=attrs)

    def add_space_revision(
        self,
        study_id: int,
        constraints: Mapping[str, Distribution],
        *,
        based_on: int | None = None,
    ) -> SpaceRevision:
        with self._lock:
            rec = self._record(study_id)
            if based_on is not None and len(rec.revisions) - 1 != based_on:
                raise RevisionConflictError(
                    f"revision {len(rec.revisions) - 1} was added since revision {based_on}"
                )
            rev = SpaceRevision(len(rec.revisions), dict(constraints), datetime.datetime.now())
            rec.revisions.append(rev)
            return rev

    def get_space_revisions(self, study_id: int) -> list[SpaceRevision]:
        with self._lock:
            return list(self._record(study_id).revisions)

    # -- trials --------------------------------------------------------------------------------
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
        p, dists, u_attrs, s_attrs = prepare_new_trial(
            state, params, distributions, user_attrs, system_attrs
        )
        with self._lock:
            rec = self._record(study_id)
            parent_number = None
            if parent_trial_id is not None:
                parent_number = self._get(parent_trial_id)[1].number
            trial_id = self._next_trial_id
            self._next_trial_id += 1
            number = len(rec.trials)
            version = self._next_version()
            trial = FrozenTrial(
                number=number,
                state=state,
                params=p,
                distributions=dists,
                user_attrs=u_attrs,
                system_attrs=s_attrs,
                datetime_start=datetime.datetime.now() if state == TrialState.RUNNING else None,
                trial_id=trial_id,
                revision=revision,
                worker=worker,
                parent_trial_id=parent_trial_id,
                parent_number=parent_number,
                created_cursor=version,
            )
            rec.trials.append(trial)
            if state == TrialState.WAITING:
                rec.n_waiting += 1
            self._trial_index[trial_id] = (study_id, number)
            rec.changes.append((version, number))
            return trial

    def add_trial(self, study_id: int, trial: FrozenTrial) -> FrozenTrial:
        trial = prepare_added_trial(trial)
        with self._lock:
            rec = self._record(study_id)
            trial_id = self._next_trial_id
            self._next_trial_id += 1
            number = len(rec.trials)
            version = self._next_version()
            new = trial.replace(
                number=number,
                trial_id=trial_id,
                origin=None,
                decisions=tuple(trial.decisions),
                parent_trial_id=None,
                parent_number=None,
                created_cursor=version,
                report_cursors=dict.fromkeys(trial.intermediate_values, version),
                finished_cursor=version,
            )
            rec.trials.append(new)
            self._trial_index[trial_id] = (study_id, number)
            rec.changes.append((version, number))
            return new

    def pop_waiting_trial(
        self, study_id: int, worker: str | None = None, revision: int | None = None
    ) -> FrozenTrial | None:
        with self._lock:
            rec = self._record(study_id)
            if rec.n_waiting == 0:
                return None
            for t in rec.trials:
                if t.state == TrialState.WAITING:
                    new = t.replace(
                        state=TrialState.RUNNING,
                        datetime_start=datetime.datetime.now(),
                        worker=worker,
                        revision=t.revision if revision is None else revision,
                    )
                    rec.n_waiting -= 1
                    self._put(rec, new, self._next_version())
                    return new
            return None

    def set_trial_param(
        self, trial_id: int, name: str, value: Any, distribution: Distribution
    ) -> FrozenTrial:
        with self._lock:
            rec, t = self._running(trial_id)
            params = dict(t.params)
            params[name] = value
            dists = dict(t.distributions)
            dists[name] = distribution
            new = t.replace(params=params, distributions=dists)
            self._put(rec, new, self._next_version())
            return new

    def report(self, trial_id: int, step: int, value: float) -> FrozenTrial:
        with self._lock:
            rec, t = self._running(trial_id)
            version = self._next_version()
            iv = dict(t.intermediate_values)
            iv[int(step)] = float(value)
            cursors = dict(t.report_cursors)
            cursors[int(step)] = version
            new = t.replace(intermediate_values=iv, report_cursors=cursors)
            self._put(rec, new, version)
            return new

    def set_trial_attr(
        self, trial_id: int, key: str, value: Any, *, system: bool = False
    ) -> FrozenTrial:
        value = _json.check_jsonable("system attribute" if system else "user attribute", key, value)
        with self._lock:
            rec, t = self._get(trial_id)
            if system:
                attrs = dict(t.system_attrs)
                attrs[key] = value
                new = t.replace(system_attrs=attrs)
            else:
                attrs = dict(t.user_attrs)
                attrs[key] = value
                new = t.replace(user_attrs=attrs)
            self._put(rec, new, self._next_version())
            return new

    def add_decision(self, trial_id: int, decision: PruneDecision) -> FrozenTrial:
        _json.check_jsonable("pruning decision", "decision", decision.to_dict())
        with self._lock:
            rec, t = self._running(trial_id)
            new = t.replace(decisions=(*t.decisions, decision))
            self._put(rec, new, self._next_version())
            return new

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        value: float | None = None,
        fail_reason: FailReason | None = None,
        fail_message: str | None = None,
    ) -> FrozenTrial:
        if not state.is_finished():
            raise ValueError(f"finish_trial needs a finished state, but got {state}")
        with self._lock:
            rec, t = self._get(trial_id)
            if t.state.is_finished():
                raise TrialFinishedError(
                    f"trial {t.number} is already finished ({t.state}); it cannot become {state}"
                )
            if t.state == TrialState.WAITING:
                rec.n_waiting -= 1
            now = datetime.datetime.now()
            version = self._next_version()
            new = t.replace(
                finished_cursor=version,
                state=state,
                value=(
                    float(value) if state == TrialState.COMPLETE and value is not None else None
                ),
                fail_reason=fail_reason if state == TrialState.FAIL else None,
                fail_message=fail_message,
                datetime_start=t.datetime_start or now,
                datetime_complete=now,
            )
            self._put(rec, new, version)
            return new

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            return self._get(trial_id)[1]

    def get_all_trials(
        self, study_id: int, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._lock:
            trials = self._record(study_id).trials
            if states is None:
                return list(trials)
            return [t for t in trials if t.state in states]

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        with self._lock:
            trials = self._record(study_id).trials
            if states is None:
                return len(trials)
            return sum(1 for t in trials if t.state in states)

    def get_trials_since(self, study_id: int, cursor: int) -> tuple[list[FrozenTrial], int]:
        with self._lock:
            rec = self._record(study_id)
            i = bisect.bisect_right(rec.changes, (cursor, float("inf")))
            numbers = sorted({n for _, n in rec.changes[i:]})
            # The store's counter, not the study's last change: see BaseStorage.
            return [rec.trials[n] for n in numbers], max(cursor, self._version)

    # -- internals -----------------------------------------------------------------------------
    def _record(self, study_id: int) -> _StudyRecord:
        try:
            return self._studies[study_id]
        except KeyError:
            raise StudyNotFoundError(f"no study with id {study_id}") from None

    def _get(self, trial_id: int) -> tuple[_StudyRecord, FrozenTrial]:
        try:
            study_id, number = self._trial_index[trial_id]
        except KeyError:
            raise KeyError(f"no trial with id {trial_id}") from None
        rec = self._studies[study_id]
        return rec, rec.trials[number]

    def _running(self, trial_id: int) -> tuple[_StudyRecord, FrozenTrial]:
        rec, t = self._get(trial_id)
        if t.state != TrialState.RUNNING:
            raise TrialFinishedError(
                f"trial {t.number} is {t.state}; only a RUNNING trial takes params and reports"
            )
        return rec, t

    def _next_version(self) -> int:
        self._version += 1
        return self._version

    def _put(self, rec: _StudyRecord, trial: FrozenTrial, version: int) -> None:
        rec.trials[trial.number] = trial
        rec.changes.append((version, trial.number))

    # -- artifacts -----------------------------------------------------------------------------
    def artifact_dir(self, study_id: int) -> str:
        with self._lock:
            self._record(study_id)
            if self._tmp_dir is None:
                self._tmp_dir = tempfile.mkdtemp(prefix="hpo_lab-artifacts-")
                # The folder lives as long as this storage: it goes when the storage is
                # collected or the interpreter exits.
                weakref.finalize(self, shutil.rmtree, self._tmp_dir, True)
            folder = os.path.join(self._tmp_dir, f"study-{study_id}")
            os.makedirs(folder, exist_ok=True)
            return folder

    def add_artifact(
        self, study_id: int, trial_id: int | None, name: str, relpath: str, size: int
    ) -> ArtifactInfo:
        with self._lock:
            folder = self.artifact_dir(study_id)
            number = None
            if trial_id is not None:
                number = self._get(trial_id)[1].number
            info = ArtifactInfo(
                self._next_artifact_id,
                study_id,
                trial_id,
                number,
                name,
                os.path.join(folder, relpath),
                int(size),
                datetime.datetime.now(),
            )
            self._artifacts[info.artifact_id] = info
            self._next_artifact_id += 1
            return info

    def get_artifacts(self, study_id: int, trial_id: int | None = None) -> list[ArtifactInfo]:
        with self._lock:
            self._record(study_id)
            return [
                a
                for a in self._artifacts.values()
                if a.study_id == study_id and (trial_id is None or a.trial_id == trial_id)
            ]

    def forget_artifact(self, artifact_id: int) -> ArtifactInfo:
        with self._lock:
            info = self._artifacts.pop(artifact_id, None)
        if info is None:
            raise KeyError(f"no artifact with id {artifact_id}")
        return info

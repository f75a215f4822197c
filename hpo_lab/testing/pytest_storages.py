"""The storage contract as a reusable pytest suite.

Subclass :class:`StorageContract` in a test module and give it a ``storage_factory`` fixture
that returns a callable building a fresh, empty storage; every test of the contract written in
``hpo_lab.storages._base`` then runs against that storage. ``pytest`` is needed only to import
this module.

Example (in ``tests/storages/test_contract.py``)::

    class TestInMemoryStorage(StorageContract):
        @pytest.fixture
        def storage_factory(self):
            return InMemoryStorage
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from hpo_lab.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_lab.storages._base import (
    BaseStorage,
    DuplicatedStudyError,
    RevisionConflictError,
    StudyNotFoundError,
    TrialFinishedError,
)
from hpo_lab.trial._create import create_trial
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import FailReason, TrialState

__all__ = ["StorageContract", "StorageFactory"]

StorageFactory = Callable[[], BaseStorage]

_X = FloatDistribution(0.0, 1.0)
_K = IntDistribution(1, 9)
_C = CategoricalDistribution(("a", "b", None))

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


class _OnlyWaiting:
    """A container that is not a list/set/tuple, to check ``states`` takes any Container."""

    def __contains__(self, item: object) -> bool:
        return item == TrialState.WAITING


def _near_now(when: datetime.datetime | None) -> bool:
    if when is None or when.tzinfo is not None:
        return False
    return abs((datetime.datetime.now() - when).total_seconds()) < 60


class StorageContract:
    """Every behaviour a :class:`~hpo_lab.storages.BaseStorage` promises.

    Subclasses provide ``storage_factory``; the suite provides ``storage`` (built and closed
    around each test) and ``study_id`` (a fresh minimize study in it).
    """

    @pytest.fixture
    def storage_factory(self) -> StorageFactory:
        raise NotImplementedError("subclasses provide a storage_factory fixture")

    @pytest.fixture
    def storage(self, storage_factory: StorageFactory) -> Iterator[BaseStorage]:
        store = storage_factory()
        yield store
        store.close()

    @pytest.fixture
    def study_id(self, storage: BaseStorage) -> int:
        return storage.create_new_study("contract", "minimize")

    # -- studies -------------------------------------------------------------------------------
    def test_create_and_look_up_study(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study("s1", "maximize")
        assert storage.get_study_id("s1") == sid
        info = storage.get_study_info(sid)
        assert (info.study_id, info.study_name, info.direction) == (sid, "s1", "maximize")
        assert info.parent_id is None
        assert info.user_attrs == {}
        assert _near_now(info.datetime_created)

    def test_duplicate_study_name(self, storage: BaseStorage) -> None:
        storage.create_new_study("dup", "minimize")
        with pytest.raises(DuplicatedStudyError, match="dup"):
            storage.create_new_study("dup", "maximize")
        assert issubclass(DuplicatedStudyError, ValueError)
        assert len(storage.get_all_studies()) == 1

    def test_unknown_study_name_and_id(self, storage: BaseStorage) -> None:
        sid = storage.create_new_study("known", "minimize")
        missing = sid + 1000
        with pytest.raises(StudyNotFoundError, match="nope"):
            storage.get_study_id("nope")
        calls: list[Callable[[], Any]] = [
            lambda: storage.get_study_info(missing),
            lambda: storage.get_all_trials(missing),
            lambda: storage.get_trials_since(missing, 0),
            lambda: storage.create_new_trial(missing),
            lambda: storage.pop_waiting_trial(missing),
            lambda: storage.add_space_revision(missing, {}),
            lambda: storage.get_space_revisions(missing),
            lambda: storage.set_study_user_attr(missing, "k", 1),
            lambda: storage.delete_study(missing),
        ]
        for call in calls:
            with pytest.raises(StudyNotFoundError, match=str(missing)):
                call()
        assert isinstance(StudyNotFoundError("x"), KeyError)

    def test_parent_study(self, storage: BaseStorage) -> None:
        parent = storage.create_new_study("parent", "minimize")
        child = storage.create_new_study("child", "minimize", parent_id=parent)
        assert storage.get_study_info(child).parent_id == parent
        with pytest.raises(StudyNotFoundError):
            storage.create_new_study("orphan", "minimize", parent_id=parent + 1000)
        with pytest.raises(StudyNotFoundError):
            storage.get_study_id("orphan")

    def test_all_studies_in_creation_order(self, storage: BaseStorage) -> None:
        names = ["b", "a", "c"]
        ids = [storage.create_new_study(n, "minimize") for n in names]
        assert [s.study_name for s in storage.get_all_studies()] == names
        assert [s.study_id for s in storage.get_all_studies()] == ids
        assert len(set(ids)) == 3

    def test_delete_study(self, storage: BaseStorage) -> None:
        gone = storage.create_new_study("gone", "minimize")
        kept = storage.create_new_study("kept", "minimize")
        t_gone = storage.create_new_trial(gone)
        t_kept = storage.create_new_trial(kept)
        storage.add_space_revision(gone, {"x": _X})
        storage.delete_study(gone)
        with pytest.raises(StudyNotFoundError):
            storage.get_study_id("gone")
        with pytest.raises(KeyError):
            storage.get_trial(t_gone.trial_id)
        assert [s.study_name for s in storage.get_all_studies()] == ["kept"]
        assert storage.get_trial(t_kept.trial_id) == t_kept
        again = storage.create_new_study("gone", "minimize")
        assert storage.get_all_trials(again) == []
        assert [r.number for r in storage.get_space_revisions(again)] == [0]
        assert storage.create_new_trial(again).number == 0

    def test_study_user_attrs(self, storage: BaseStorage, study_id: int) -> None:
        storage.set_study_user_attr(study_id, "a", 1)
        storage.set_study_user_attr(study_id, "b", {"nested": [1, 2.5, None]})
        storage.set_study_user_attr(study_id, "a", "replaced")
        storage.set_study_user_attr(study_id, "np", np.float64(0.5))
        attrs = storage.get_study_info(study_id).user_attrs
        assert attrs == {"a": "replaced", "b": {"nested": [1, 2.5, None]}, "np": 0.5}
        assert type(attrs["np"]) is float
        with pytest.raises(ValueError, match=r"'bad'.*JSON"):
            storage.set_study_user_attr(study_id, "bad", object())
        assert "bad" not in storage.get_study_info(study_id).user_attrs

    # -- search-space revisions ----------------------------------------------------------------
    def test_space_revisions(self, storage: BaseStorage, study_id: int) -> None:
        revs = storage.get_space_revisions(study_id)
        assert [(r.number, r.constraints) for r in revs] == [(0, {})]
        r1 = storage.add_space_revision(study_id, {"x": FloatDistribution(0.2, 0.4)})
        r2 = storage.add_space_revision(study_id, {"k": IntDistribution(2, 3), "c": _C})
        assert (r1.number, r2.number) == (1, 2)
        assert _near_now(r2.datetime_created)
        revs = storage.get_space_revisions(study_id)
        assert [r.number for r in revs] == [0, 1, 2]
        assert revs[1].constraints == {"x": FloatDistribution(0.2, 0.4)}
        assert revs[2].constraints == {"k": IntDistribution(2, 3), "c": _C}
        other = storage.create_new_study("other", "minimize")
        assert [r.number for r in storage.get_space_revisions(other)] == [0]
        assert storage.add_space_revision(other, {}).number == 1

    # -- trials --------------------------------------------------------------------------------
    def test_trial_numbers_per_study(self, storage: BaseStorage, study_id: int) -> None:
        other = storage.create_new_study("other", "minimize")
        made = [storage.create_new_trial(study_id) for _ in range(3)]
        made.append(storage.create_new_trial(other))
        made.append(storage.create_new_trial(study_id, state=TrialState.WAITING))
        assert [t.number for t in made] == [0, 1, 2, 0, 3]
        assert len({t.trial_id for t in made}) == 5
        assert [t.number for t in storage.get_all_trials(study_id)] == [0, 1, 2, 3]
        assert [t.number for t in storage.get_all_trials(other)] == [0]

    def test_new_trial_fields(self, storage: BaseStorage, study_id: int) -> None:
        t = storage.create_new_trial(
            study_id,
            params={"x": 0.5},
            distributions={"x": _X},
            user_attrs={"u": [1, 2]},
            system_attrs={"s": "v"},
            revision=0,
            worker="w1",
        )
        assert t.state == TrialState.RUNNING
        assert _near_now(t.datetime_start)
        assert t.datetime_complete is None
        assert (t.params, t.distributions) == ({"x": 0.5}, {"x": _X})
        assert (t.user_attrs, t.system_attrs, t.worker) == ({"u": [1, 2]}, {"s": "v"}, "w1")
        assert t.value is None
        assert t.intermediate_values == {}
        assert storage.get_trial(t.trial_id) == t

    def test_new_trial_rejects_finished_state(self, storage: BaseStorage, study_id: int) -> None:
        for state in _FINISHED:
            with pytest.raises(ValueError, match=str(state)):
                storage.create_new_trial(study_id, state=state)
        assert storage.get_all_trials(study_id) == []

    def test_new_trial_rejects_bad_attrs(self, storage: BaseStorage, study_id: int) -> None:
        with pytest.raises(ValueError, match="'u'"):
            storage.create_new_trial(study_id, user_attrs={"u": {1, 2}})
        with pytest.raises(ValueError, match="'s'"):
            storage.create_new_trial(study_id, system_attrs={"s": object()})
        assert storage.get_all_trials(study_id) == []

    def test_waiting_trial_keeps_fixed_params(self, storage: BaseStorage, study_id: int) -> None:
        t = storage.create_new_trial(
            study_id,
            state=TrialState.WAITING,
            params={"x": 0.25, "free": 3},
            distributions={"x": _X},
        )
        assert t.state == TrialState.WAITING
        assert t.datetime_start is None
        assert t.params == {"x": 0.25}
        assert t.system_attrs["fixed_params"] == {"free": 3}

    def test_pop_waiting_fifo(self, storage: BaseStorage, study_id: int) -> None:
        assert storage.pop_waiting_trial(study_id) is None
        storage.create_new_trial(study_id)  # RUNNING trials are not popped
        queued = [
            storage.create_new_trial(
                study_id, state=TrialState.WAITING, params={"i": i}, revision=0
            )
            for i in range(3)
        ]
        first = storage.pop_waiting_trial(study_id, worker="w", revision=2)
        assert first is not None
        assert (first.trial_id, first.state, first.worker) == (
            queued[0].trial_id,
            TrialState.RUNNING,
            "w",
        )
        assert first.revision == 2
        assert _near_now(first.datetime_start)
        assert first.system_attrs["fixed_params"] == {"i": 0}
        second = storage.pop_waiting_trial(study_id)
        assert second is not None
        assert second.trial_id == queued[1].trial_id
        assert second.revision == 0  # revision=None keeps the one it was enqueued under
        storage.finish_trial(queued[2].trial_id, TrialState.FAIL, fail_reason=FailReason.CANCELLED)
        assert storage.pop_waiting_trial(study_id) is None
        assert storage.get_n_trials(study_id, (TrialState.WAITING,)) == 0

    def test_pop_waiting_is_atomic(self, storage: BaseStorage, study_id: int) -> None:
        n = 60
        for i in range(n):
            storage.create_new_trial(study_id, state=TrialState.WAITING, params={"i": i})
        popped: list[int] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def worker() -> None:
            try:
                while (t := storage.pop_waiting_trial(study_id)) is not None:
                    with lock:
                        popped.append(t.trial_id)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == []
        assert sorted(popped) == sorted(t.trial_id for t in storage.get_all_trials(study_id))
        assert len(popped) == n
        assert storage.get_n_trials(study_id, (TrialState.RUNNING,)) == n

    def test_set_params(self, storage: BaseStorage, study_id: int) -> None:
        t = storage.create_new_trial(study_id)
        t1 = storage.set_trial_param(t.trial_id, "x", 0.5, _X)
        t2 = storage.set_trial_param(t.trial_id, "k", np.int64(3), _K)
        t3 = storage.set_trial_param(t.trial_id, "c", None, _C)
        assert t1.params == {"x": 0.5}
        assert t2.params == {"x": 0.5, "k": 3}
        assert t3.params == {"x": 0.5, "k": 3, "c": None}
        assert t3.distributions == {"x": _X, "k": _K, "c": _C}
        assert storage.get_trial(t.trial_id) == t3
        assert t.params == {}  # earlier snapshots are not changed

    def test_params_and_reports_need_running(self, storage: BaseStorage, study_id: int) -> None:
        waiting = storage.create_new_trial(study_id, state=TrialState.WAITING)
        done = storage.create_new_trial(study_id)
        storage.finish_trial(done.trial_id, TrialState.COMPLETE, 1.0)
        for t in (waiting, done):
            with pytest.raises(TrialFinishedError, match=f"trial {t.number}"):
                storage.set_trial_param(t.trial_id, "x", 0.5, _X)
            with pytest.raises(TrialFinishedError, match=f"trial {t.number}"):
                storage.report(t.trial_id, 1, 0.5)
        assert storage.get_trial(done.trial_id).params == {}
        assert storage.get_trial(done.trial_id).intermediate_values == {}

    def test_reports(self, storage: BaseStorage, study_id: int) -> None:
        t = storage.create_new_trial(study_id)
        storage.report(t.trial_id, 0, 1.0)
        storage.report(t.trial_id, 5, np.float32(0.5))
        last = storage.report(t.trial_id, 0, 2.0)  # a later report of a step wins
        assert last.intermediate_values == {0: 2.0, 5: 0.5}
        assert all(type(k) is int for k in last.intermediate_values)
        assert storage.get_trial(t.trial_id).intermediate_values == {0: 2.0, 5: 0.5}
        assert last.last_step == 5

    def test_trial_attrs(self, storage: BaseStorage, study_id: int) -> None:
        t = storage.create_new_trial(study_id)
        storage.set_trial_attr(t.trial_id, "u", {"a": [1, 2]})
        storage.set_trial_attr(t.trial_id, "s", np.arange(3), system=True)
        storage.finish_trial(t.trial_id, TrialState.COMPLETE, 0.0)
        storage.set_trial_attr(t.trial_id, "after", True)  # attributes may change when finished
        got = storage.get_trial(t.trial_id)
        assert got.user_attrs == {"u": {"a": [1, 2]}, "after": True}
        assert got.system_attrs == {"s": [0, 1, 2]}
        with pytest.raises(ValueError, match=r"'bad'.*JSON"):
            storage.set_trial_attr(t.trial_id, "bad", object())
        with pytest.raises(KeyError):
            storage.set_trial_attr(t.trial_id + 1000, "k", 1)

    def test_finish_complete(self, storage: BaseStorage, study_id: int) -> None:
        t = storage.create_new_trial(study_id)
        done = storage.finish_trial(t.trial_id, TrialState.COMPLETE, np.float64(0.125))
        assert (done.state, done.value, done.fail_reason) == (TrialState.COMPLETE, 0.125, None)
        assert type(done.value) is float
        assert done.datetime_start == t.datetime_start
        assert done.datetime_complete is not None
        assert done.datetime_start is not None
        assert done.datetime_complete >= done.datetime_start
        assert _near_now(done.datetime_complete)
        assert storage.get_trial(t.trial_id) == done

    def test_finish_pruned_and_fail(self, storage: BaseStorage, study_id: int) -> None:
        a = storage.create_new_trial(study_id)
        b = storage.create_new_trial(study_id)
        pruned = storage.finish_trial(a.trial_id, TrialState.PRUNED, 3.0)
        failed = storage.finish_trial(
            b.trial_id, TrialState.FAIL, None, FailReason.EXCEPTION, "ZeroDivisionError"
        )
        assert (pruned.state, pruned.value) == (TrialState.PRUNED, None)
        assert (failed.state, failed.fail_reason, failed.fail_message) == (
            TrialState.FAIL,
            FailReason.EXCEPTION,
            "ZeroDivisionError",
        )
        assert storage.get_trial(b.trial_id).fail_reason is FailReason.EXCEPTION

    def test_finish_waiting_trial(self, storage: BaseStorage, study_id: int) -> None:
        t = storage.create_new_trial(study_id, state=TrialState.WAITING)
        done = storage.finish_trial(t.trial_id, TrialState.FAIL, fail_reason=FailReason.CANCELLED)
        assert done.datetime_start is not None
        assert done.datetime_complete is not None
        assert storage.pop_waiting_trial(study_id) is None

    def test_finish_twice_raises(self, storage: BaseStorage, study_id: int) -> None:
        t = storage.create_new_trial(study_id)
        storage.finish_trial(t.trial_id, TrialState.COMPLETE, 1.0)
        for state in _FINISHED:
            with pytest.raises(TrialFinishedError, match="already finished"):
                storage.finish_trial(t.trial_id, state, 2.0)
        assert storage.get_trial(t.trial_id).value == 1.0

    def test_finish_needs_finished_state(self, storage: BaseStorage, study_id: int) -> None:
        t = storage.create_new_trial(study_id)
        for state in (TrialState.RUNNING, TrialState.WAITING):
            with pytest.raises(ValueError, match=str(state)):
                storage.finish_trial(t.trial_id, state)
        assert storage.get_trial(t.trial_id).state == TrialState.RUNNING

    def test_unknown_trial(self, storage: BaseStorage, study_id: int) -> None:
        t = storage.create_new_trial(study_id)
        missing = t.trial_id + 1000
        with pytest.raises(KeyError, match=str(missing)):
            storage.get_trial(missing)
        with pytest.raises(KeyError, match=str(missing)):
            storage.finish_trial(missing, TrialState.COMPLETE, 1.0)
        with pytest.raises(KeyError, match=str(missing)):
            storage.set_trial_param(missing, "x", 0.5, _X)
        with pytest.raises(KeyError, match=str(missing)):
            storage.report(missing, 0, 1.0)

    def test_get_all_trials_filters(self, storage: BaseStorage, study_id: int) -> None:
        states = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING]
        for state in states:
            t = storage.create_new_trial(study_id)
            if state.is_finished():
                storage.finish_trial(t.trial_id, state, 1.0)
        storage.create_new_trial(study_id, state=TrialState.WAITING)

        def numbers(filter_: Any) -> list[int]:
            return [t.number for t in storage.get_all_trials(study_id, filter_)]

        assert numbers(None) == [0, 1, 2, 3, 4]
        assert numbers((TrialState.COMPLETE,)) == [0]
        assert numbers([TrialState.FAIL, TrialState.PRUNED]) == [1, 2]
        assert numbers({TrialState.RUNNING, TrialState.WAITING}) == [3, 4]
        assert numbers(frozenset()) == []
        assert numbers(_OnlyWaiting()) == [4]
        assert storage.get_n_trials(study_id) == 5
        assert storage.get_n_trials(study_id, (TrialState.COMPLETE, TrialState.FAIL)) == 2
        assert storage.get_n_trials(study_id, _OnlyWaiting()) == 1

    # -- change cursor -------------------------------------------------------------------------
    def test_cursor_from_zero_returns_all(self, storage: BaseStorage, study_id: int) -> None:
        assert storage.get_trials_since(study_id, 0) == ([], 0)
        made = [storage.create_new_trial(study_id) for _ in range(4)]
        changed, cursor = storage.get_trials_since(study_id, 0)
        assert changed == made
        assert cursor > 0
        assert storage.get_trials_since(study_id, cursor) == ([], cursor)

    def test_cursor_returns_latest_form_once(self, storage: BaseStorage, study_id: int) -> None:
        a, b, c = (storage.create_new_trial(study_id) for _ in range(3))
        _, cursor = storage.get_trials_since(study_id, 0)
        storage.set_trial_param(c.trial_id, "x", 0.1, _X)
        storage.report(a.trial_id, 1, 0.3)
        storage.report(a.trial_id, 2, 0.2)
        storage.set_trial_attr(c.trial_id, "k", "v")
        done = storage.finish_trial(a.trial_id, TrialState.COMPLETE, 0.2)
        changed, cursor2 = storage.get_trials_since(study_id, cursor)
        assert [t.number for t in changed] == [0, 2]
        assert changed[0] == done
        assert changed[1] == storage.get_trial(c.trial_id)
        assert changed[1].user_attrs == {"k": "v"}
        assert cursor2 > cursor
        assert storage.get_trials_since(study_id, cursor2) == ([], cursor2)
        assert b.trial_id not in {t.trial_id for t in changed}

    def test_every_kind_of_write_advances_cursor(self, storage: BaseStorage, study_id: int) -> None:
        bystander = storage.create_new_trial(study_id)
        t = storage.create_new_trial(study_id)
        storage.create_new_trial(study_id, state=TrialState.WAITING)
        writes: list[tuple[str, Callable[[], Any]]] = [
            ("set_trial_param", lambda: storage.set_trial_param(t.trial_id, "x", 0.5, _X)),
            ("report", lambda: storage.report(t.trial_id, 3, 0.25)),
            ("user attr", lambda: storage.set_trial_attr(t.trial_id, "u", 1)),
            ("system attr", lambda: storage.set_trial_attr(t.trial_id, "s", 2, system=True)),
            ("finish_trial", lambda: storage.finish_trial(t.trial_id, TrialState.PRUNED)),
            ("pop_waiting_trial", lambda: storage.pop_waiting_trial(study_id)),
            ("create_new_trial", lambda: storage.create_new_trial(study_id)),
        ]
        _, cursor = storage.get_trials_since(study_id, 0)
        for what, write in writes:
            result = write()
            changed, new_cursor = storage.get_trials_since(study_id, cursor)
            assert new_cursor > cursor, what
            expected = result if isinstance(result, FrozenTrial) else storage.get_trial(t.trial_id)
            assert changed == [expected], what
            assert bystander.trial_id not in {c.trial_id for c in changed}, what
            cursor = new_cursor

    def test_cursor_after_many_changes(self, storage: BaseStorage, study_id: int) -> None:
        trials = [storage.create_new_trial(study_id) for _ in range(10)]
        seen: dict[int, FrozenTrial] = {}
        cursor = 0
        for step in range(30):
            for t in trials[step % 3 :: 3]:
                storage.report(t.trial_id, step, float(step))
            if step % 7 == 0:
                changed, new_cursor = storage.get_trials_since(study_id, cursor)
                numbers = [t.number for t in changed]
                assert numbers == sorted(set(numbers))
                assert new_cursor >= cursor
                cursor = new_cursor
                seen.update((t.number, t) for t in changed)
        changed, cursor = storage.get_trials_since(study_id, cursor)
        seen.update((t.number, t) for t in changed)
        assert seen == {t.number: t for t in storage.get_all_trials(study_id)}
        everything, cursor0 = storage.get_trials_since(study_id, 0)
        assert everything == storage.get_all_trials(study_id)
        assert cursor0 == cursor

    def test_cursor_is_per_study(self, storage: BaseStorage, study_id: int) -> None:
        other = storage.create_new_study("other", "minimize")
        storage.create_new_trial(study_id)
        _, cursor = storage.get_trials_since(study_id, 0)
        t = storage.create_new_trial(other)
        storage.report(t.trial_id, 0, 1.0)
        changed, new_cursor = storage.get_trials_since(study_id, cursor)
        assert changed == []
        assert new_cursor >= cursor
        assert [x.trial_id for x in storage.get_trials_since(other, 0)[0]] == [t.trial_id]

    def test_cursor_is_the_stores_even_without_changes(
        self, storage: BaseStorage, study_id: int
    ) -> None:
        # A study that has not changed still reads the store's counter, so a warm-started
        # child with no trials of its own pins its parent's finished trials with its cursor.
        other = storage.create_new_study("busy", "minimize")
        t = storage.create_new_trial(other)
        done = storage.finish_trial(t.trial_id, TrialState.COMPLETE, 1.0)
        assert done.finished_cursor is not None
        changed, cursor = storage.get_trials_since(study_id, 0)
        assert changed == []
        assert cursor >= done.finished_cursor
        mine = storage.create_new_trial(study_id)
        changed, later = storage.get_trials_since(study_id, cursor)
        assert changed == [mine] and later > cursor

    # -- threads -------------------------------------------------------------------------------
    def test_threads_hammer_one_storage(self, storage: BaseStorage, study_id: int) -> None:
        n_threads, per_thread = 6, 25
        errors: list[BaseException] = []
        start = threading.Barrier(n_threads)
        cursors: list[int] = []

        def worker(w: int) -> None:
            try:
                start.wait()
                cursor = 0
                for i in range(per_thread):
                    t = storage.create_new_trial(study_id, worker=f"w{w}")
                    storage.set_trial_param(t.trial_id, "x", i / per_thread, _X)
                    storage.report(t.trial_id, 0, float(w))
                    storage.set_trial_attr(t.trial_id, "w", w)
                    storage.finish_trial(t.trial_id, TrialState.COMPLETE, float(w * 1000 + i))
                    _, new_cursor = storage.get_trials_since(study_id, cursor)
                    assert new_cursor >= cursor
                    cursor = new_cursor
                cursors.append(cursor)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(n_threads)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert errors == []
        trials = storage.get_all_trials(study_id)
        total = n_threads * per_thread
        assert [t.number for t in trials] == list(range(total))
        assert all(t.state == TrialState.COMPLETE for t in trials)
        values = sorted(t.value for t in trials if t.value is not None)
        assert values == sorted(
            float(w * 1000 + i) for w in range(n_threads) for i in range(per_thread)
        )
        for t in trials:
            w = t.user_attrs["w"]
            assert t.worker == f"w{w}"
            assert t.intermediate_values == {0: float(w)}
        assert storage.get_trials_since(study_id, 0)[0] == trials

    # -- crash-safety hooks --------------------------------------------------------------------
    def test_own_running_trials_are_not_stale(self, storage: BaseStorage, study_id: int) -> None:
        t = storage.create_new_trial(study_id)
        assert storage.fail_stale_trials(study_id) == []
        assert storage.get_trial(t.trial_id).state == TrialState.RUNNING
        done = storage.finish_trial(t.trial_id, TrialState.COMPLETE, 1.0)
        storage.release_trial(t.trial_id)
        assert storage.get_trial(t.trial_id) == done

    # -- the seams: added trials, decisions, links, cursors, revisions, artifacts ---------------
    def test_add_trial_keeps_everything(self, storage: BaseStorage, study_id: int) -> None:
        start = datetime.datetime(2026, 1, 2, 3, 4, 5)
        end = datetime.datetime(2026, 1, 2, 3, 9, 0)
        source = create_trial(
            value=0.25,
            params={"x": 0.5, "k": 3, "c": None},
            distributions={"x": _X, "k": _K, "c": _C},
            user_attrs={"note": [1, "a"]},
            system_attrs={"origin": "optuna"},
            intermediate_values={0: 1.0, 3: 0.5},
            datetime_start=start,
            datetime_complete=end,
        )
        storage.create_new_trial(study_id)  # the added trial takes the next number
        added = storage.add_trial(study_id, source)
        assert added.number == 1 and added.trial_id >= 0
        again = storage.get_trial(added.trial_id)
        assert again == added
        for t in (added, again):
            assert (t.state, t.value, t.params) == (source.state, 0.25, source.params)
            assert t.distributions == source.distributions
            assert t.user_attrs == {"note": [1, "a"]} and t.system_attrs == {"origin": "optuna"}
            assert t.intermediate_values == {0: 1.0, 3: 0.5}
            assert (t.datetime_start, t.datetime_complete) == (start, end)
        failed = storage.add_trial(
            study_id, create_trial(state=TrialState.FAIL, fail_reason=FailReason.TIMEOUT)
        )
        assert (failed.state, failed.fail_reason) == (TrialState.FAIL, FailReason.TIMEOUT)
        pruned = storage.add_trial(study_id, create_trial(state=TrialState.PRUNED))
        assert pruned.state == TrialState.PRUNED and pruned.value is None
        changed, _ = storage.get_trials_since(study_id, 0)
        assert [t.number for t in changed] == [0, 1, 2, 3]
        with pytest.raises(ValueError, match="only finished trials"):
            storage.add_trial(study_id, FrozenTrial(0, TrialState.RUNNING))
        with pytest.raises(TypeError, match="FrozenTrial"):
            storage.add_trial(study_id, {"value": 1.0})  # type: ignore[arg-type]
        assert len(storage.get_all_trials(study_id)) == 4

    def test_decisions_are_stored_in_order(self, storage: BaseStorage, study_id: int) -> None:
        t = storage.create_new_trial(study_id)
        storage.report(t.trial_id, 0, 1.0)
        first = PruneDecision(False, 0, "median", "1 is within 2", value=1.0, threshold=2.0,
                              n_compared=3, cursor=5)
        second = PruneDecision(True, 1, "asha", "NaN is worst", value=float("nan"), rung=1,
                               resource=1.0, details={"bracket": 0}, cursor=9)
        storage.add_decision(t.trial_id, first)
        got = storage.add_decision(t.trial_id, second)
        for trial in (got, storage.get_trial(t.trial_id)):
            assert len(trial.decisions) == 2
            assert trial.decisions[0] == first
            assert trial.decisions[1].same_as(second) and trial.decisions[1].cursor == 9
        storage.finish_trial(t.trial_id, TrialState.PRUNED)
        with pytest.raises(TrialFinishedError):
            storage.add_decision(t.trial_id, first)
        assert len(storage.get_trial(t.trial_id).decisions) == 2

    def test_trial_to_trial_link(self, storage: BaseStorage, study_id: int) -> None:
        parent = storage.create_new_trial(study_id)
        storage.finish_trial(parent.trial_id, TrialState.COMPLETE, 1.0)
        child = storage.create_new_trial(study_id, parent_trial_id=parent.trial_id)
        assert (child.parent_trial_id, child.parent_number) == (parent.trial_id, 0)
        assert storage.get_trial(child.trial_id).parent_number == 0
        assert storage.get_trial(parent.trial_id).parent_trial_id is None
        with pytest.raises(KeyError):
            storage.create_new_trial(study_id, parent_trial_id=parent.trial_id + 1000)

    def test_event_cursors(self, storage: BaseStorage, study_id: int) -> None:
        t = storage.create_new_trial(study_id)
        _, after_create = storage.get_trials_since(study_id, 0)
        storage.report(t.trial_id, 0, 1.0)
        _, after_report0 = storage.get_trials_since(study_id, after_create)
        storage.report(t.trial_id, 2, 0.5)
        done = storage.finish_trial(t.trial_id, TrialState.COMPLETE, 0.5)
        _, after_finish = storage.get_trials_since(study_id, 0)
        assert done.created_cursor == after_create
        assert done.report_cursors[0] == after_report0
        assert done.finished_cursor == after_finish
        assert after_report0 < done.report_cursors[2] < after_finish
        assert storage.get_trial(t.trial_id).report_cursors == done.report_cursors
        # Cursors are one counter for the whole store: other studies' writes move it too.
        other = storage.create_new_study("other-cursors", "minimize")
        u = storage.create_new_trial(other)
        assert u.created_cursor > done.finished_cursor

    def test_revision_compare_and_swap(self, storage: BaseStorage, study_id: int) -> None:
        assert storage.add_space_revision(study_id, {"x": _X}, based_on=0).number == 1
        with pytest.raises(RevisionConflictError):
            storage.add_space_revision(study_id, {"x": FloatDistribution(0.1, 0.2)}, based_on=0)
        assert [r.number for r in storage.get_space_revisions(study_id)] == [0, 1]
        assert storage.add_space_revision(study_id, {}, based_on=1).number == 2

    def test_artifacts(self, storage: BaseStorage, study_id: int) -> None:
        import os

        folder = storage.artifact_dir(study_id)
        assert os.path.isdir(folder)
        t = storage.create_new_trial(study_id)
        with open(os.path.join(folder, "a.bin"), "wb") as f:
            f.write(b"12345")
        info = storage.add_artifact(study_id, t.trial_id, "weights", "a.bin", 5)
        assert (info.trial_id, info.trial_number, info.name, info.size) == (
            t.trial_id, 0, "weights", 5
        )
        assert info.path == os.path.join(folder, "a.bin")
        study_level = storage.add_artifact(study_id, None, "notes", "b.txt", 0)
        assert [a.name for a in storage.get_artifacts(study_id)] == ["weights", "notes"]
        assert [a.name for a in storage.get_artifacts(study_id, t.trial_id)] == ["weights"]
        other = storage.create_new_study("other-artifacts", "minimize")
        assert storage.get_artifacts(other) == []
        assert storage.artifact_dir(other) != folder
        storage.remove_artifact(info.artifact_id)
        assert not os.path.exists(info.path)
        storage.remove_artifact(study_level.artifact_id)  # its file never existed: fine
        assert storage.get_artifacts(study_id) == []
        with pytest.raises(KeyError):
            storage.remove_artifact(info.artifact_id)

    def test_study_system_attrs(self, storage: BaseStorage, study_id: int) -> None:
        storage.set_study_system_attr(study_id, "max_resource", 27)
        storage.set_study_user_attr(study_id, "max_resource", "user's own")
        info = storage.get_study_info(study_id)
        assert info.system_attrs == {"max_resource": 27}
        assert info.user_attrs == {"max_resource": "user's own"}
        with pytest.raises(StudyNotFoundError):
            storage.set_study_system_attr(study_id + 1000, "k", 1)

"""Defects the foundations review found in the study: each test failed before its fix.

* a trial left RUNNING by a dead process stayed RUNNING for live studies until a reload;
* two narrowings at once could lose one;
* ``tell()`` accepted a trial of a same-named study in another storage;
* the derived caches (inherited trials, lineage) paired keys and lists written by other threads.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import hpo_lab
from hpo_lab.distributions import FloatDistribution
from hpo_lab.storages import InMemoryStorage, SQLiteStorage
from hpo_lab.trial import FailReason, TrialState


def _x(trial: Any) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


def test_a_dead_process_trial_is_failed_while_the_study_runs(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    live = hpo_lab.create_study(study_name="exit", storage=SQLiteStorage(db))
    live.optimize(_x, n_trials=2)
    script = (
        "import sys, hpo_lab\n"
        "study = hpo_lab.load_study(study_name='exit', storage=sys.argv[1])\n"
        "trial = study.ask(); trial.suggest_float('x', 0, 1)\n"
        "print('asked', trial.number, flush=True)\n"
    )  # exits with the trial RUNNING, as a killed kernel would leave it
    done = subprocess.run(
        [sys.executable, "-c", script, str(db)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    dead = 2
    assert live.trials[dead].state == TrialState.RUNNING  # the live study sees it running
    assert [t.number for t in live.view.get_trials(states=(TrialState.RUNNING,))] == [dead]
    live._next_stale_check = 0.0  # the once-a-second throttle would otherwise skip this ask
    live.optimize(_x, n_trials=1)  # no reload: the next trial start finds it
    gone = live.trials[dead]
    assert (gone.state, gone.fail_reason) == (TrialState.FAIL, FailReason.STALE)
    assert "no longer running" in (gone.fail_message or "")
    assert live.view.get_trials(states=(TrialState.RUNNING,)) == []


def test_stale_checks_are_throttled(tmp_path: Path) -> None:
    store = SQLiteStorage(tmp_path / "t.db")
    calls = []
    original = store.fail_stale_trials

    def counting(study_id: int) -> list[int]:
        calls.append(study_id)
        return original(study_id)

    store.fail_stale_trials = counting  # type: ignore[method-assign]
    study = hpo_lab.create_study(storage=store)
    study.optimize(_x, n_trials=50)
    assert 1 <= len(calls) <= 5  # about once a second, not once per trial


@pytest.mark.parametrize("storage_kind", ["memory", "sqlite"])
def test_concurrent_narrowings_are_both_kept(tmp_path: Path, storage_kind: str) -> None:
    storage: Any = InMemoryStorage() if storage_kind == "memory" else str(tmp_path / "n.db")
    first = hpo_lab.create_study(study_name="n", storage=storage)

    def two(trial: Any) -> float:
        return trial.suggest_float("x", 0.0, 1.0) + trial.suggest_float("y", 0.0, 1.0)

    first.optimize(two, n_trials=2)
    second = hpo_lab.load_study(study_name="n", storage=first.storage)
    # Both read revision 0, then write: the second write must see the first.
    second._refresh_revisions()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def narrow(study: hpo_lab.Study, **spec: Any) -> None:
        try:
            barrier.wait(10)
            study.narrow(**spec)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=narrow, args=(first,), kwargs={"x": (0.1, 0.2)}),
        threading.Thread(target=narrow, args=(second,), kwargs={"y": (0.3, 0.4)}),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    latest = first._refresh_revisions()[-1]
    assert latest.number == 2
    assert latest.constraints == {
        "x": FloatDistribution(0.1, 0.2),
        "y": FloatDistribution(0.3, 0.4),
    }


def test_a_stale_revision_read_is_retried_not_overwritten() -> None:
    study = hpo_lab.create_study()

    def two(trial: Any) -> float:
        return trial.suggest_float("x", 0.0, 1.0) + trial.suggest_float("y", 0.0, 1.0)

    study.optimize(two, n_trials=1)
    other = hpo_lab.load_study(study_name=study.study_name, storage=study.storage)
    real_add = study.storage.add_space_revision
    sneaked = []

    def add_after_another_writer(study_id: int, constraints: Any, **kwargs: Any) -> Any:
        if not sneaked:  # another process narrows y between our read and our write
            sneaked.append(True)
            other.narrow(y=(0.5, 0.6))
        return real_add(study_id, constraints, **kwargs)

    study.storage.add_space_revision = add_after_another_writer  # type: ignore[method-assign]
    revision = study.narrow(x=(0.1, 0.2))
    assert revision.number == 2
    assert set(revision.constraints) == {"x", "y"}


def test_tell_refuses_a_trial_of_a_same_named_study_elsewhere(tmp_path: Path) -> None:
    a = hpo_lab.create_study(study_name="same", storage=InMemoryStorage())
    b = hpo_lab.create_study(study_name="same", storage=InMemoryStorage())
    ta, tb = a.ask(), b.ask()
    assert (ta.number, ta.trial_id) == (tb.number, tb.trial_id)  # indistinguishable by ids
    with pytest.raises(ValueError, match="belongs to study 'same' in another storage"):
        a.tell(tb, 1.0)
    assert a.trials[0].state == TrialState.RUNNING and b.trials[0].state == TrialState.RUNNING
    a.tell(ta, 1.0)
    # Two store objects on one file are one storage: that is allowed.
    path = str(tmp_path / "one.db")
    c = hpo_lab.create_study(study_name="f", storage=SQLiteStorage(path))
    d = hpo_lab.load_study(study_name="f", storage=SQLiteStorage(path))
    tc = c.ask()
    assert d.tell(tc, 2.0).value == 2.0


@pytest.mark.parametrize("bad", ["abc", 1.5, None, [0]])
def test_tell_names_what_it_takes(bad: Any) -> None:
    study = hpo_lab.create_study()
    expected = f"tell() takes a Trial from ask() or a trial number, but got {bad!r}"
    with pytest.raises(TypeError, match=re.escape(expected)):
        study.tell(bad, 1.0)


def test_inherited_cache_never_pairs_a_new_key_with_an_old_list() -> None:
    parent = hpo_lab.create_study(sampler=hpo_lab.samplers.RandomSampler(seed=0))
    parent.optimize(_x, n_trials=5)
    child = hpo_lab.create_study(
        storage=parent.storage, warm_start_from=parent, sampler=hpo_lab.samplers.RandomSampler()
    )
    stop = threading.Event()
    bad: list[str] = []

    def reader() -> None:
        while not stop.is_set():
            cached = child._inherited_cache
            if cached is not None:
                key, trials, _ = cached
                lineage_key = key[0]
                # The key names the parent's cursor; the list must hold exactly its trials.
                n_parent = lineage_key[1]
                if len(trials) != n_parent:
                    bad.append(f"key says {n_parent} trials, list has {len(trials)}")
            child._shared_inherited()

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    parent.optimize(_x, n_trials=40)
    stop.set()
    for t in threads:
        t.join()
    assert bad == []
    assert len(child.inherited_trials) == 45

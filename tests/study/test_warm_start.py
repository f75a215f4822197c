"""Warm start: create_study(warm_start_from=parent)."""

from __future__ import annotations

from typing import Any

import pytest

import hpo_lab
from hpo_lab.samplers import RandomSampler
from hpo_lab.trial import Trial, TrialOrigin, TrialState


def objective(trial: Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    if trial.number % 4 == 1:
        trial.report(x, 0)
        raise hpo_lab.TrialPruned()
    if trial.number % 4 == 2:
        raise ValueError("failed on purpose")
    return x**2


def _parent(storage: Any, name: str = "parent", n: int = 12) -> hpo_lab.Study:
    parent = hpo_lab.create_study(study_name=name, storage=storage, sampler=RandomSampler(seed=0))
    parent.optimize(objective, n_trials=n, catch=ValueError)
    return parent


def test_inherited_trials_are_the_parents_complete_and_pruned_ones(storage: Any) -> None:
    parent = _parent(storage)
    parent.ask()  # a RUNNING trial is not inherited
    parent.enqueue_trial({"x": 1.0})  # nor a WAITING one
    child = hpo_lab.create_study(study_name="child", storage=storage, warm_start_from=parent)
    inherited = child.inherited_trials
    finished = [
        t for t in parent.trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)
    ]
    assert [t.origin for t in inherited] == [TrialOrigin("parent", t.number) for t in finished]
    assert [(t.params, t.state, t.value) for t in inherited] == [
        (t.params, t.state, t.value) for t in finished
    ]
    assert all(t.is_inherited for t in inherited)
    assert child.trials == []
    with pytest.raises(ValueError, match="no COMPLETE trial yet"):
        _ = child.best_trial
    child.optimize(lambda t: t.suggest_float("x", -5, 5) ** 2 + 100, n_trials=3)
    assert [t.number for t in child.trials] == [0, 1, 2]
    assert child.best_value >= 100  # the parent's better trials are not the child's
    assert child.lineage == ["child", "parent"]
    assert child.parent is not None and child.parent.study_name == "parent"
    # The sampler and pruner see them through the view.
    view_trials = child.view.get_trials()
    assert view_trials[:3] == child.trials and view_trials[3:] == inherited
    assert child.view.get_trials(include_inherited=False) == child.trials


def test_only_trials_fitting_the_childs_space_are_inherited(storage: Any) -> None:
    parent = _parent(storage)
    parent.narrow(x=(-2, 2))
    child = hpo_lab.create_study(study_name="child", storage=storage, warm_start_from="parent")
    assert child.search_space_history[-1].constraints == parent.search_space_history[-1].constraints
    assert child.inherited_trials
    assert all(-2 <= t.params["x"] <= 2 for t in child.inherited_trials)
    child.optimize(objective, n_trials=8, catch=ValueError)
    assert all(-2 <= t.params["x"] <= 2 for t in child.trials)
    candidates = child.inherited_trials
    child.narrow(x=(0, 2))
    assert child.inherited_trials == [t for t in candidates if 0 <= t.params["x"] <= 2]
    child.narrow(x=(-5, 5))  # the parent's narrowing is the child's to undo
    assert len(child.inherited_trials) == len(
        parent.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
    ) > len(candidates)


def test_chains_keep_the_original_origin(storage: Any) -> None:
    grandparent = _parent(storage, "gp", n=8)
    parent = hpo_lab.create_study(study_name="p", storage=storage, warm_start_from=grandparent)
    parent.optimize(objective, n_trials=4, catch=ValueError)
    child = hpo_lab.create_study(study_name="c", storage=storage, warm_start_from=parent)
    origins = [t.origin for t in child.inherited_trials]
    assert origins is not None
    from_gp = [o for o in origins if o is not None and o.study_name == "gp"]
    from_p = [o for o in origins if o is not None and o.study_name == "p"]
    assert len(from_gp) == len(parent.inherited_trials) == 6  # gp 0..7 less FAIL 2 and 6
    assert {o.number for o in from_p} == {
        t.number for t in parent.trials if t.state != TrialState.FAIL
    }
    assert child.lineage == ["c", "p", "gp"]
    gp_values = {t.number: t.params for t in grandparent.trials}
    for t in child.inherited_trials:
        if t.origin is not None and t.origin.study_name == "gp":
            assert t.params == gp_values[t.origin.number]


def test_warm_start_errors(storage: Any) -> None:
    parent = _parent(storage)
    with pytest.raises(ValueError, match="cannot warm-start a maximize study from 'parent'"):
        hpo_lab.create_study(storage=storage, direction="maximize", warm_start_from=parent)
    with pytest.raises(ValueError, match="cannot warm-start from 'nope': no such study"):
        hpo_lab.create_study(storage=storage, warm_start_from="nope")
    with pytest.raises(ValueError, match="same storage"):
        hpo_lab.create_study(storage=hpo_lab.storages.InMemoryStorage(), warm_start_from=parent)


def test_child_in_same_store_after_reload(tmp_path: Any) -> None:
    path = str(tmp_path / "x.db")
    parent = _parent(path)
    hpo_lab.create_study(study_name="child", storage=path, warm_start_from=parent)
    loaded = hpo_lab.load_study(study_name="child", storage=path)
    assert loaded.lineage == ["child", "parent"]
    assert len(loaded.inherited_trials) == len(
        parent.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED))
    )


# -- review fixes ---------------------------------------------------------------------------
def _x01(trial: Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0)


def test_a_narrowed_middle_study_hides_nothing_from_a_grandchild(storage: Any) -> None:
    g = hpo_lab.create_study(study_name="g", storage=storage, sampler=RandomSampler(seed=0))
    g.optimize(_x01, n_trials=20)
    assert any(t.params["x"] > 0.5 for t in g.trials)
    p = hpo_lab.create_study(study_name="p", storage=g.storage, warm_start_from=g)
    p.narrow(x=(0.0, 0.5))
    assert all(t.params["x"] <= 0.5 for t in p.inherited_trials)
    p.optimize(_x01, n_trials=3)
    c = hpo_lab.create_study(study_name="c", storage=g.storage, warm_start_from="p")
    c.narrow(x=(0.0, 1.0))  # the child widens back to the declared range
    from_g = sorted(t.origin.number for t in c.inherited_trials if t.origin.study_name == "g")
    assert from_g == list(range(20))
    assert len(c.inherited_trials) == 23
    assert len(c.view.get_trials()) == 23


def test_the_childs_own_declarations_filter_inherited_trials(storage: Any) -> None:
    from hpo_lab.distributions import FloatDistribution
    from hpo_lab.samplers import QMCSampler

    parent = hpo_lab.create_study(storage=storage, sampler=RandomSampler(seed=0))
    parent.optimize(_x01, n_trials=10)
    child = hpo_lab.create_study(
        storage=parent.storage, warm_start_from=parent, sampler=QMCSampler(seed=0)
    )
    assert len(child.inherited_trials) == 10  # nothing declared by the child yet
    child.optimize(lambda t: t.suggest_float("x", 0.5, 1.0), n_trials=3)
    inside = [t for t in parent.trials if t.params["x"] >= 0.5]
    assert sorted(t.origin.number for t in child.inherited_trials) == [t.number for t in inside]
    narrow = FloatDistribution(0.5, 1.0)
    assert all(t.distributions["x"] == narrow for t in child.inherited_trials)
    # QMC keeps sampling x jointly: the inherited trials do not disagree with the child.
    trial = child.ask()
    space = child.sampler.infer_relative_search_space(child.view, trial.freeze())
    assert space == {"x": narrow}


def test_two_storage_objects_on_one_sqlite_file_are_one_storage(tmp_path: Any) -> None:
    from hpo_lab.storages import SQLiteStorage

    path = tmp_path / "w.db"
    parent = hpo_lab.create_study(study_name="p", storage=SQLiteStorage(path))
    parent.optimize(_x01, n_trials=2)
    child = hpo_lab.create_study(study_name="c", storage=str(path), warm_start_from=parent)
    assert len(child.inherited_trials) == 2
    via_url = hpo_lab.load_study(study_name="p", storage=f"sqlite:///{path}")
    other = hpo_lab.create_study(
        study_name="c2", storage=SQLiteStorage(path), warm_start_from=via_url
    )
    assert other.lineage == ["c2", "p"]
    with pytest.raises(ValueError, match="lives in another storage"):
        hpo_lab.create_study(storage=tmp_path / "other.db", warm_start_from=parent)


def test_load_if_exists_cannot_change_the_parent(storage: Any) -> None:
    a = hpo_lab.create_study(study_name="a", storage=storage)
    a.optimize(_x01, n_trials=2)
    b = hpo_lab.create_study(study_name="b", storage=a.storage)
    with pytest.raises(ValueError, match=r"'b' exists with warm_start_from=None, not 'a'"):
        hpo_lab.create_study(study_name="b", storage=b.storage, load_if_exists=True,
                             warm_start_from="a")
    with pytest.raises(ValueError, match=r"'a' exists with warm_start_from=None, not 'a'"):
        hpo_lab.create_study(study_name="a", storage=a.storage, load_if_exists=True,
                             warm_start_from="a")
    c = hpo_lab.create_study(study_name="c", storage=a.storage, warm_start_from=a)
    again = hpo_lab.create_study(study_name="c", storage=a.storage, load_if_exists=True,
                                 warm_start_from="a")
    assert again.lineage == c.lineage == ["c", "a"]


def test_inherited_trials_are_copies_and_keep_their_numbers(storage: Any) -> None:
    parent = hpo_lab.create_study(study_name="p", storage=storage, sampler=RandomSampler(seed=0))
    parent.optimize(_x01, n_trials=3)
    child = hpo_lab.create_study(study_name="c", storage=parent.storage, warm_start_from=parent)
    child.optimize(_x01, n_trials=2)
    child.inherited_trials[0].params["x"] = -1.0
    assert child.inherited_trials[0].params == parent.trials[0].params
    df = child.trials_dataframe(include_inherited=True)
    assert str(df["origin_number"].dtype) == "Int64"
    assert df["origin_number"].isna().tolist() == [True, True, False, False, False]
    assert df["number"].tolist() == [0, 1, 0, 1, 2]
    assert df["origin_number"].tolist()[2:] == [0, 1, 2]

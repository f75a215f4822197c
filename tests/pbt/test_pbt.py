"""Population-based training: the paper's toy problem, the space, the schedule, resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pbt_objectives as po
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpo_lab
from hpo_lab.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from hpo_lab.pbt import PBT_ATTR, PopulationBasedTraining, explore, member_history, perturb
from hpo_lab.trial import TrialState


def _pbt_study(direction: str = "maximize", storage: Any = None, name: str | None = None) -> Any:
    return hpo_lab.create_study(
        direction=direction, storage=storage, study_name=name,
        sampler=hpo_lab.samplers.RandomSampler(seed=0),
    )


def test_the_toy_problem_reaches_the_optimum_no_fixed_h_reaches() -> None:
    steps = 40
    best_fixed = max(po.toy_fixed(h, steps) for h in po.H)
    study = _pbt_study()
    pbt = PopulationBasedTraining(
        population=4, interval=4, max_steps=steps, quantile=0.25, seed=1
    )
    run = study.start(po.toy_objective, scheduler=pbt, n_jobs=2)
    assert run.wait(120) and run.exception is None
    members = member_history(study.trials)
    assert len(members) == 4
    # Equal steps: every member trained exactly `steps` steps.
    assert all(
        len(h) == steps // 4 and h[-1].state == TrialState.COMPLETE for h in members.values()
    )
    assert best_fixed < 0.45
    assert study.best_value > 1.1
    actions = {t.system_attrs[PBT_ATTR]["action"] for t in study.trials}
    assert {"start", "continue", "exploit"} <= actions


def test_every_decision_is_recorded_and_lineage_follows_it() -> None:
    study = _pbt_study()
    pbt = PopulationBasedTraining(population=4, interval=2, max_steps=12, seed=3)
    study.optimize(po.toy_objective, scheduler=pbt)
    for t in study.trials:
        info = t.system_attrs[PBT_ATTR]
        assert info["reason"] and info["interval"] == 2 and info["population"] == 4
        if info["action"] == "start":
            assert t.parent_number is None and info["generation"] == 0
        elif info["action"] == "continue":
            parent = study.trials[t.parent_number]
            assert parent.system_attrs[PBT_ATTR]["member"] == info["member"]
            assert t.params == parent.params
        elif info["action"] == "exploit":
            donor = study.trials[info["donor_trial"]]
            assert t.parent_number == donor.number
            assert donor.system_attrs[PBT_ATTR]["member"] == info["donor"] != info["member"]
            assert info["donor_checkpoint"] > 0  # never copied from without a checkpoint
            assert set(info["changes"]) == {"h"}
        assert info["step"] == info["generation"] * 2


def test_a_member_without_a_checkpoint_is_never_copied() -> None:
    def no_save_for_member_0(trial: Any) -> float:
        value = po.toy_objective(trial)
        if trial.system_attrs[PBT_ATTR]["member"] == 0:
            trial.study._remove_checkpoints([trial.number])
        return value + (10.0 if trial.system_attrs[PBT_ATTR]["member"] == 0 else 0.0)

    study = _pbt_study()
    pbt = PopulationBasedTraining(population=4, interval=2, max_steps=10, seed=0)
    study.optimize(no_save_for_member_0, scheduler=pbt)
    exploits = [t for t in study.trials if t.system_attrs[PBT_ATTR]["action"] == "exploit"]
    assert exploits and all(t.system_attrs[PBT_ATTR]["donor"] != 0 for t in exploits)


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(1e-6, 1.0),
    span=st.floats(1.5, 1e4),
    frac=st.floats(0.0, 1.0),
    factor=st.floats(0.01, 100.0),
    log=st.booleans(),
)
def test_a_perturbed_float_stays_inside(
    low: float, span: float, frac: float, factor: float, log: bool
) -> None:
    dist = FloatDistribution(low, low * span, log=log)
    value = low + frac * (low * span - low)
    new, clipped = perturb(value, dist, factor)
    assert dist.contains(new)
    assert clipped == (not (dist.low <= value * factor <= dist.high))


@settings(max_examples=60, deadline=None)
@given(
    low=st.integers(-50, 50),
    width=st.integers(0, 60),
    step=st.integers(1, 5),
    pick=st.integers(0, 100),
    factor=st.sampled_from([0.5, 0.8, 1.2, 2.0]),
)
def test_a_perturbed_int_stays_an_int_inside_and_moves(
    low: int, width: int, step: int, pick: int, factor: float
) -> None:
    dist = IntDistribution(low, low + width, step=step)
    grid = list(range(dist.low, dist.high + 1, step))
    value = grid[pick % len(grid)]
    new, clipped = perturb(value, dist, factor)
    assert isinstance(new, int) and dist.contains(new)
    if len(grid) > 1 and not clipped:
        assert new != value


def test_explore_keeps_every_value_in_a_narrowed_space() -> None:
    rng = np.random.default_rng(0)
    space = {
        "lr": FloatDistribution(1e-3, 1e-2, log=True),
        "k": IntDistribution(2, 3),
        "opt": CategoricalDistribution(("sgd",)),
        "w": FloatDistribution(-1.0, 1.0, step=0.25),
    }
    for _ in range(500):
        params = {"lr": 0.5, "k": 9, "opt": "adam", "w": 0.9}  # all outside: narrowed away
        new, changes = explore(params, space, rng, resample_probability=0.3)
        assert all(space[n].contains(v) for n, v in new.items()), new
        assert set(changes) == set(params)
    new, changes = explore({"lr": 5e-3, "k": 2, "opt": "sgd", "w": 0.0}, space, rng,
                           hyperparams=["lr"])
    assert set(changes) <= {"lr"} and new["k"] == 2 and new["w"] == 0.0


def test_narrowing_mid_run_applies_to_every_later_trial() -> None:
    study = _pbt_study(direction="minimize")
    pbt = PopulationBasedTraining(population=4, interval=2, max_steps=20, seed=2,
                                  resample_probability=0.5)
    run = study.start(po.decay_objective, scheduler=pbt, n_jobs=2)
    while len(study.trials) < 10:
        time.sleep(0.01)
    revision = study.narrow(lr=(0.01, 0.05), k=(2, 3))
    assert run.wait(120) and run.exception is None
    later = [t for t in study.trials if t.revision >= revision.number]
    assert len(later) >= 10
    for t in later:
        assert 0.01 <= t.params["lr"] <= 0.05 and t.params["k"] in (2, 3), (t.number, t.params)


def test_pause_resume_extend_and_stop_act_on_a_pbt_run() -> None:
    study = _pbt_study(direction="minimize")
    pbt = PopulationBasedTraining(population=3, interval=1, seed=0)  # no max_steps: budget
    run = study.start(po.decay_objective, scheduler=pbt, n_trials=9, n_jobs=1)
    run.pause()
    time.sleep(0.3)
    paused_at = len(study.trials)
    time.sleep(0.3)
    assert len(study.trials) == paused_at
    run.extend(6)
    run.resume()
    assert run.wait(60)
    assert len(study.trials) == 15
    run2 = study.start(po.decay_objective, scheduler=pbt, n_jobs=1)  # unbounded: stop it
    time.sleep(0.5)
    run2.stop(wait=True)
    assert run2.status.value == "finished" and len(study.trials) > 15
    generations = [t.system_attrs[PBT_ATTR]["generation"] for t in study.trials]
    assert max(generations) >= 5  # the second run continued the members, not restarted them


def test_old_checkpoints_are_removed_and_disk_use_stays_bounded(tmp_path: Path) -> None:
    study = _pbt_study(storage=str(tmp_path / "pbt.db"), name="bounded")
    pbt = PopulationBasedTraining(population=4, interval=1, max_steps=12, seed=0)
    study.optimize(po.toy_objective, scheduler=pbt)
    kept = study.artifacts.list()
    assert len(study.trials) == 48
    assert 4 <= len(kept) <= 8  # about one per member, not one per trial
    on_disk = list((tmp_path / "pbt.db.artifacts").rglob("checkpoint.pkl"))
    assert len(on_disk) == len(kept)
    assert study.artifacts.disk_usage() == sum(a.size for a in kept)
    keeping = _pbt_study(storage=str(tmp_path / "pbt.db"), name="kept")
    pbt_keep = PopulationBasedTraining(population=4, interval=1, max_steps=4, seed=0,
                                       keep_checkpoints=True)
    keeping.optimize(po.toy_objective, scheduler=pbt_keep)
    assert len(keeping.artifacts.list()) == 16
    assert (tmp_path / "pbt.db").stat().st_size < 200_000  # checkpoints never go in the file


@pytest.mark.parametrize("executor", ["process", "dask", "dask-scheduler"])
def test_pbt_on_worker_processes(executor: str, request: pytest.FixtureRequest) -> None:
    study = _pbt_study()
    pbt = PopulationBasedTraining(population=3, interval=4, max_steps=16, seed=0)
    if executor == "process":
        run = study.start(po.toy_objective, scheduler=pbt, n_jobs=2, executor="process")
    else:
        # "dask-scheduler": checkpoints travel as bytes through the runner, as they do to a
        # worker on another machine without the study's folder.
        client = request.getfixturevalue("dask_client")
        transport = "scheduler" if executor == "dask-scheduler" else "auto"
        run = study.start(
            po.toy_objective, scheduler=pbt, n_jobs=2, executor=client, checkpoints=transport
        )
    assert run.wait(180) and run.exception is None, run.exception
    # Better than any fixed h at equal steps: PBT switched h along the way.
    assert study.best_value > max(po.toy_fixed(h, 16) for h in po.H) + 0.3
    assert len(study.trials) == 12
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    continued = [t for t in study.trials if t.parent_number is not None]
    # A continuing trial started where its parent's checkpoint left off.
    for t in continued:
        assert t.intermediate_values[min(t.intermediate_values)] >= (
            study.trials[t.parent_number].value - 1e-9
        ) or t.system_attrs[PBT_ATTR]["action"] == "exploit"


def test_killing_the_process_and_resuming_continues_the_population(tmp_path: Path) -> None:
    db = tmp_path / "resume.db"
    script = f"""
import sys, time
sys.path.insert(0, {str(Path(__file__).parent)!r})
import hpo_lab, pbt_objectives as po
from hpo_lab.pbt import PopulationBasedTraining

def slow(trial):
    time.sleep(0.05)
    return po.toy_objective(trial)

study = hpo_lab.create_study(study_name="r", storage={str(db)!r}, direction="maximize")
pbt = PopulationBasedTraining(population=4, interval=2, max_steps=40, seed=0)
study.optimize(slow, scheduler=pbt)
"""
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    study = None
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if db.exists():
            try:
                store = hpo_lab.storages.SQLiteStorage(db)
                probe = hpo_lab.load_study(study_name="r", storage=store)
            except Exception:
                continue
            if len(probe.trials) >= 14:
                study = probe
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert study is not None
    resumed = hpo_lab.load_study(study_name="r", storage=str(db))
    before = {m: h[-1] for m, h in member_history(resumed.trials).items()}
    done_before = {
        m: max((t.system_attrs[PBT_ATTR]["generation"] for t in h
                if t.state == TrialState.COMPLETE), default=-1)
        for m, h in member_history(resumed.trials).items()
    }
    assert len(before) == 4
    pbt = PopulationBasedTraining(population=4, interval=2, max_steps=40, seed=0)
    n_before = len(resumed.trials)
    resumed.optimize(po.toy_objective, scheduler=pbt)
    after = member_history(resumed.trials)
    for member, history in after.items():
        new = [t for t in history if t.number >= n_before]
        first = new[0].system_attrs[PBT_ATTR]
        # Each member picks up after its last completed interval, from a checkpoint.
        assert first["generation"] == done_before[member] + 1 or first["action"] == "retry"
        assert new[0].parent_number is not None or done_before[member] < 0
        assert history[-1].system_attrs[PBT_ATTR]["generation"] == 19
    assert resumed.best_value > 1.1


def test_bad_settings_are_one_line_errors() -> None:
    for kwargs, message in [
        ({"population": 1}, "population must be an int >= 2, but got population=1"),
        ({"interval": 0}, "interval must be an int >= 1"),
        ({"quantile": 0.7}, r"quantile must be a number in \(0, 0.5\]"),
        ({"factors": (0.8, -1)}, "factors must be finite numbers > 0"),
        ({"max_steps": 10, "interval": 3}, "max_steps must be a multiple of interval=3"),
        ({"hyperparams": "lr"}, "hyperparams must be a list of parameter names"),
    ]:
        with pytest.raises(ValueError, match=message):
            PopulationBasedTraining(**kwargs)
    with pytest.raises(TypeError, match="scheduler must be a hpo_lab scheduler"):
        hpo_lab.create_study().start(po.toy_objective, scheduler="pbt")


def test_resuming_with_another_interval_is_refused() -> None:
    study = _pbt_study()
    study.optimize(po.toy_objective, scheduler=PopulationBasedTraining(2, 2, max_steps=4))
    with pytest.raises(ValueError, match="ran population-based training with interval=2"):
        study.start(po.toy_objective, scheduler=PopulationBasedTraining(2, 3))

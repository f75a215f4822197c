"""Study.optimize: budgets, catch, callbacks, stop, interrupts, the sampler's exhaustion."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

import hpo_lab
from hpo_lab.distributions import Distribution
from hpo_lab.samplers import BaseSampler, RandomSampler
from hpo_lab.study import Study, StudyView
from hpo_lab.trial import FailReason, FrozenTrial, Trial, TrialState


def _x(trial: Trial) -> float:
    return trial.suggest_float("x", 0, 1)


def test_n_trials_adds_up_over_calls(storage: Any) -> None:
    study = hpo_lab.create_study(storage=storage)
    study.optimize(_x, n_trials=3)
    study.optimize(_x, n_trials=0)
    study.optimize(_x, n_trials=2)
    assert [t.number for t in study.trials] == list(range(5))


def test_timeout_stops_the_loop() -> None:
    study = hpo_lab.create_study()
    start = time.monotonic()

    def slow(trial: Trial) -> float:
        time.sleep(0.02)
        return _x(trial)

    study.optimize(slow, timeout=0.3)
    elapsed = time.monotonic() - start
    assert 0.3 <= elapsed < 3.0
    assert 2 <= len(study.trials) <= 16
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_trials": -1}, "n_trials must be a non-negative int or None, but got n_trials=-1"),
        ({"n_trials": 2.5}, "but got n_trials=2.5"),
        ({"n_trials": True}, "but got n_trials=True"),
        ({"timeout": 0}, "timeout must be a finite number of seconds > 0 or None, but got "
                         "timeout=0"),
        ({"timeout": float("nan")}, "but got timeout=nan"),
        ({"n_jobs": 0}, "n_jobs must be an int >= 1 .* but got n_jobs=0"),
    ],
)
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_argument_errors(kwargs: dict[str, Any], message: str, n_jobs: int) -> None:
    # One validator per rule: the same call fails the same way whatever n_jobs.
    kwargs = {"n_jobs": n_jobs, **kwargs}
    with pytest.raises(ValueError, match=message):
        hpo_lab.create_study().optimize(_x, **kwargs)
    if "n_jobs" not in kwargs or kwargs["n_jobs"] == n_jobs:
        with pytest.raises(ValueError, match=message):
            hpo_lab.create_study().start(_x, **kwargs)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_numpy_integers_validate_the_same_whatever_n_jobs(n_jobs: int) -> None:
    study = hpo_lab.create_study()
    study.optimize(_x, n_trials=np.int64(3), n_jobs=n_jobs)
    assert len(study.trials) == 3


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_objective_and_catch_types_are_checked(n_jobs: int) -> None:
    study = hpo_lab.create_study()
    with pytest.raises(TypeError, match="objective must be callable"):
        study.optimize(3, n_trials=1, n_jobs=n_jobs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="catch must be an exception class or a tuple of them"):
        study.optimize(_x, n_trials=1, catch=("ValueError",), n_jobs=n_jobs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"catch must be an exception class .* but got 5$"):
        study.optimize(_x, n_trials=1, catch=5, n_jobs=n_jobs)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callbacks must be a list of callables"):
        study.optimize(_x, n_trials=1, callbacks=print, n_jobs=n_jobs)  # type: ignore[arg-type]
    assert study.trials == []


class _Boom(Exception):
    pass


def _boom_on(numbers: set[int]) -> Any:
    def objective(trial: Trial) -> float:
        x = _x(trial)
        if trial.number in numbers:
            raise _Boom(f"boom in trial {trial.number}")
        return x

    return objective


def test_exception_not_in_catch_is_recorded_then_propagates(storage: Any) -> None:
    study = hpo_lab.create_study(storage=storage)
    with pytest.raises(_Boom, match="boom in trial 1"):
        study.optimize(_boom_on({1}), n_trials=5)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL]
    failed = study.trials[1]
    assert failed.fail_reason == FailReason.EXCEPTION
    assert failed.fail_message is not None
    assert "Traceback" in failed.fail_message and "_Boom: boom in trial 1" in failed.fail_message
    study.optimize(_x, n_trials=2)
    assert [t.state for t in study.trials][2:] == [TrialState.COMPLETE] * 2


@pytest.mark.parametrize("catch", [_Boom, (_Boom,), [Exception]])
def test_caught_exceptions_fail_the_trial_and_the_loop_goes_on(
    catch: Any, caplog: pytest.LogCaptureFixture
) -> None:
    study = hpo_lab.create_study()
    study.optimize(_boom_on({0, 2}), n_trials=4, catch=catch)
    assert [t.state.value for t in study.trials] == ["FAIL", "COMPLETE", "FAIL", "COMPLETE"]
    assert "boom in trial 2" in (study.trials[2].fail_message or "")
    assert "_Boom" in caplog.text


def test_keyboard_interrupt_fails_the_trial_propagates_and_leaves_nothing_running(
    storage: Any,
) -> None:
    study = hpo_lab.create_study(storage=storage)

    def objective(trial: Trial) -> float:
        x = _x(trial)
        if trial.number == 2:
            raise KeyboardInterrupt
        return x

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=5)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL]
    assert study.trials[2].fail_reason == FailReason.INTERRUPTED
    # The traceback shows where the objective was interrupted.
    message = study.trials[2].fail_message or ""
    assert "Traceback" in message and "in objective" in message
    assert not study.get_trials(states=(TrialState.RUNNING,))
    study.optimize(_x, n_trials=2)
    assert len(study.trials) == 5
    assert study.trials[-1].state == TrialState.COMPLETE


def test_callbacks_see_every_finished_trial_and_can_stop() -> None:
    study = hpo_lab.create_study()
    seen: list[tuple[int, TrialState]] = []

    def record(s: Study, t: FrozenTrial) -> None:
        assert s is study
        seen.append((t.number, t.state))
        if len(seen) == 3:
            s.stop()

    def objective(trial: Trial) -> float:
        if trial.number == 1:
            raise hpo_lab.TrialPruned()
        return _x(trial)

    study.optimize(objective, n_trials=10, callbacks=[record])
    assert seen == [(0, TrialState.COMPLETE), (1, TrialState.PRUNED), (2, TrialState.COMPLETE)]
    assert len(study.trials) == 3
    # stop() only ends the optimize it was called in.
    study.optimize(_x, n_trials=2)
    assert len(study.trials) == 5


def test_stop_from_the_objective_finishes_the_current_trial() -> None:
    study = hpo_lab.create_study()

    def objective(trial: Trial) -> float:
        if trial.number == 1:
            study.stop()
        return _x(trial)

    study.optimize(objective, n_trials=10)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2


class _FewPoints(BaseSampler):
    """Proposes the points 0, 1, 2 in turn and is then exhausted."""

    def __init__(self) -> None:
        self._random = RandomSampler(seed=0)

    def sample_independent(
        self, view: StudyView, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        return float(trial.number)

    def is_exhausted(self, view: StudyView) -> bool:
        return len(view.get_trials()) >= 3


def test_an_exhausted_sampler_ends_the_loop(caplog: pytest.LogCaptureFixture) -> None:
    study = hpo_lab.create_study(sampler=_FewPoints())
    with caplog.at_level("INFO", logger="hpo_lab"):
        study.optimize(lambda t: t.suggest_float("x", 0, 5), n_trials=10)
    assert [t.params["x"] for t in study.trials] == [0.0, 1.0, 2.0]
    assert "nothing left to propose" in caplog.text


def test_gc_after_trial_and_progress_bar_flags_are_accepted() -> None:
    study = hpo_lab.create_study()
    study.optimize(_x, n_trials=2, gc_after_trial=True, show_progress_bar=False)
    assert len(study.trials) == 2


def test_best_trial_value_params(storage: Any) -> None:
    for direction, best in (("minimize", -3.0), ("maximize", 4.0)):
        study = hpo_lab.create_study(storage=storage, direction=direction)
        with pytest.raises(ValueError, match="has no COMPLETE trial yet"):
            _ = study.best_trial
        with pytest.raises(ValueError, match="has no COMPLETE trial yet"):
            _ = study.best_value
        values = iter([1.0, best, 0.5, None, -100.0 if direction == "maximize" else 100.0])

        def objective(trial: Trial, values: Any = values) -> Any:
            trial.suggest_int("i", 0, 100)
            v = next(values)
            if v is None:
                raise hpo_lab.TrialPruned()
            return v

        study.optimize(objective, n_trials=5)
        assert study.best_value == best
        assert study.best_trial.number == 1
        assert study.best_params == study.trials[1].params


class _BrokenSampler(RandomSampler):
    """Raises ``error`` when a trial starts, after the trial was created in the store."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(seed=0)
        self.error = error

    def before_trial(self, view: StudyView, trial: FrozenTrial) -> None:
        if trial.number == 1:
            raise self.error


@pytest.mark.parametrize(
    ("error", "reason"),
    [(KeyboardInterrupt(), FailReason.INTERRUPTED), (RuntimeError("x"), FailReason.EXCEPTION)],
)
def test_an_error_while_asking_leaves_no_running_trial(
    storage: Any, error: BaseException, reason: FailReason
) -> None:
    study = hpo_lab.create_study(storage=storage, sampler=_BrokenSampler(error))
    with pytest.raises(type(error)):
        study.optimize(_x, n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL]
    assert study.trials[1].fail_reason == reason
    assert type(error).__name__ in (study.trials[1].fail_message or "")
    study.optimize(_x, n_trials=2)
    assert [t.state for t in study.trials][2:] == [TrialState.COMPLETE] * 2


# -- a trial failed elsewhere (stale) while this process still evaluates it ------------------
@pytest.mark.parametrize("touch_after", [False, True], ids=["returns", "reports"])
def test_a_trial_marked_stale_elsewhere_does_not_stop_optimize(
    tmp_path: Any, caplog: pytest.LogCaptureFixture, touch_after: bool
) -> None:
    from hpo_lab.storages import SQLiteStorage

    path = tmp_path / "s.db"
    # The owner's heartbeat is slow; the checker's grace period is short. That is how a
    # second process whose clock runs ahead (or a long GC pause here) sees a live trial as
    # stale: a real hazard, since heartbeat ages compare wall clocks of different processes.
    owner = SQLiteStorage(path, heartbeat_interval=30.0)
    study = hpo_lab.create_study(study_name="s", storage=owner)
    checker = SQLiteStorage(path, heartbeat_interval=0.01, grace_period=0.05)
    marked: list[list[int]] = []

    def objective(trial: Trial) -> float:
        x = _x(trial)
        if trial.number == 0:
            deadline = time.monotonic() + 10
            while not (found := checker.fail_stale_trials(study._study_id)):
                assert time.monotonic() < deadline
                time.sleep(0.02)
            marked.append(found)
            if touch_after:
                trial.report(0.5, 0)  # the stored trial is FAIL: this raises inside
        return x

    study.optimize(objective, n_trials=3)
    assert marked == [[0]]
    trials = study.trials
    assert [(t.state, t.fail_reason) for t in trials] == [
        (TrialState.FAIL, FailReason.STALE),
        (TrialState.COMPLETE, None),
        (TrialState.COMPLETE, None),
    ]
    assert "finished elsewhere" in caplog.text
    checker.close()
    owner.close()


def test_n_jobs_runs_trials_on_threads_through_the_runner() -> None:
    study = hpo_lab.create_study(sampler=hpo_lab.samplers.RandomSampler(seed=0))
    study.optimize(_x, n_trials=12, n_jobs=2)
    assert len(study.trials) == 12
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    assert study.run is None  # the synchronous form leaves no live run behind
    lanes = {t.worker for t in study.trials}
    assert len(lanes) == 2, lanes

"""Per-trial timeouts are decided by when a trial ended, not by when the runner thread got to it.

The runner reads outcomes and checks deadlines on one thread. A trial that ends after its
deadline must be FAIL (timeout) whatever its worker reported and however late the runner looks
(a busy machine, a slow callback); one that ended in time keeps its outcome.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import hpo_lab
from hpo_lab.execution._base import BaseExecutor, Outcome
from hpo_lab.trial import FailReason, TrialState

LIMIT = 0.3


class _GivesUpLate(BaseExecutor):
    """A remote-style executor: trial 0 gives up (as a worker told "gone" does) well after its
    deadline, trial 1 returns at once; neither can be killed."""

    name = "fake"

    def submit(self, number: int, trial: Any) -> None:
        def work() -> None:
            if number == 0:
                time.sleep(3 * LIMIT)
                self._post(("done", number, Outcome("abandoned")))
            else:
                self._post(("done", number, Outcome("value", 1.0)))

        threading.Thread(target=work, daemon=True).start()

    def kill(self, number: int) -> bool:
        return False

    def shutdown(self, wait: bool = False) -> None:
        pass


def _block_runner_after_first_trial(seconds: float) -> Any:
    # Callbacks run on the runner thread: this one holds it from the first finished trial
    # until well past trial 0's deadline, as a loaded machine can.
    calls = []

    def callback(study: hpo_lab.Study, frozen: Any) -> None:
        calls.append(frozen.number)
        if len(calls) == 1:
            time.sleep(seconds)

    return callback


def test_a_worker_giving_up_after_the_deadline_is_a_timeout() -> None:
    study = hpo_lab.create_study()
    run = study.start(
        lambda t: 0.0,
        n_trials=2,
        n_jobs=2,
        executor=_GivesUpLate(),
        trial_timeout=LIMIT,
        callbacks=[_block_runner_after_first_trial(6 * LIMIT)],
    )
    assert run.wait(60)
    first, second = study.trials
    assert first.state == TrialState.FAIL
    assert first.fail_reason == FailReason.TIMEOUT, first.fail_message
    assert second.state == TrialState.COMPLETE


def test_a_value_returned_after_the_deadline_is_a_timeout() -> None:
    def objective(trial: Any) -> float:
        if trial.number == 0:
            time.sleep(3 * LIMIT)
        return float(trial.number)

    study = hpo_lab.create_study()
    run = study.start(
        objective,
        n_trials=2,
        n_jobs=2,
        trial_timeout=LIMIT,
        callbacks=[_block_runner_after_first_trial(6 * LIMIT)],
    )
    assert run.wait(60)
    first, second = study.trials
    assert first.state == TrialState.FAIL
    assert first.fail_reason == FailReason.TIMEOUT, first.fail_message
    assert second.state == TrialState.COMPLETE


def test_an_outcome_posted_in_time_is_kept_however_late_it_is_read() -> None:
    # Both trials end at once; the runner then sits in a callback far past their deadlines.
    study = hpo_lab.create_study()
    run = study.start(
        lambda t: float(t.number),
        n_trials=2,
        n_jobs=2,
        trial_timeout=LIMIT,
        callbacks=[_block_runner_after_first_trial(6 * LIMIT)],
    )
    assert run.wait(60)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2

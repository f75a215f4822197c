""""auto" resources: resolved once, stored with the study, reused, and replayable."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import hpo_lab
from hpo_lab.pruners import BasePruner, HyperbandPruner, PruneDecision
from hpo_lab.testing.pytest_pruners import replay_recorded_decisions
from hpo_lab.trial import FrozenTrial
from hpo_lab.views import StudyView, TrialsView

KEY = "pruner:max_resource"


class _Spy(HyperbandPruner):
    """Hyperband that notes, for each decision it makes, whether the value was stored then."""

    def __init__(self, log: list[bool]) -> None:
        super().__init__(max_resource="auto", reduction_factor=2)
        self.log = log

    def decide(self, view: StudyView, trial: FrozenTrial) -> PruneDecision | None:
        decision = super().decide(view, trial)
        if decision is not None:
            self.log.append(KEY in view.system_attrs)
        return decision


def _objective(trial: hpo_lab.Trial) -> float:
    x = trial.suggest_float("x", 0.0, 1.0)
    for step in range(1, 13):
        trial.report(x + 1.0 / step, step)
        if trial.should_prune():
            raise hpo_lab.TrialPruned()
    return x


def test_the_first_decision_stores_the_value_and_replays_agree_before_and_after() -> None:
    log: list[bool] = []
    study = hpo_lab.create_study(study_name="auto", pruner=_Spy(log))
    study.optimize(_objective, n_trials=30)
    stored = study.system_attrs[KEY]
    first = min(
        (t for t in study.trials if t.state.value == "COMPLETE"), key=lambda t: t.finished_cursor
    )
    assert stored == {"value": 13, "cursor": first.finished_cursor, "trial": first.number,
                      "study": "auto"}
    # The first decision derived the value (nothing stored yet), later ones read it back.
    assert log[0] is False and all(log[1:]) and len(log) > 10
    triples = replay_recorded_decisions(
        study, lambda: HyperbandPruner(max_resource="auto", reduction_factor=2)
    )
    first_decision = min(
        (d for t in study.trials for d in t.decisions), key=lambda d: d.cursor or 0
    )
    assert any(live == first_decision for _, live, _ in triples)
    assert all(again is not None and again.same_as(live) for _, live, again in triples)
    assert {live.details["max_resource"] for _, live, _ in triples} == {13}


def test_a_stored_value_wins_from_its_cursor_on() -> None:
    # Another process (or an older version) stored 5 with its evidence at cursor 3: views at
    # or after cursor 3 use it, earlier ones derive the value themselves.
    done = FrozenTrial(0, hpo_lab.TrialState.COMPLETE, value=0.1,
                       intermediate_values={1: 0.3, 12: 0.1}, finished_cursor=2)
    running = FrozenTrial(1, hpo_lab.TrialState.RUNNING, intermediate_values={1: 0.2, 2: 0.2})
    attrs = {KEY: {"value": 5, "cursor": 3}}
    pruner = HyperbandPruner(reduction_factor=2)
    later = TrialsView("s", "minimize", [done, running], cursor=3, system_attrs=attrs)
    earlier = TrialsView("s", "minimize", [done, running], cursor=2, system_attrs=attrs)
    assert pruner.brackets(later) == [4, 3, 3]  # max_resource 5: 3 brackets
    assert pruner.brackets(earlier) == [8, 6, 4, 4]  # derived: 12 + 1 = 13, 4 brackets
    assert pruner.study_attrs(later) == {}  # stored already: nothing to write


def test_nothing_is_decided_before_a_trial_completes() -> None:
    study = hpo_lab.create_study(pruner=HyperbandPruner())
    trial = study.ask()
    for step in range(1, 5):
        trial.report(100.0, step)
        assert trial.should_prune() is False
    assert trial.freeze().decisions == () and KEY not in study.system_attrs


def test_a_killed_process_resumes_with_the_same_decisions(tmp_path: Path) -> None:
    # 12 trials in a child process that is killed (SIGKILL, nothing closed); 12 more here on
    # the same file with a fresh pruner. Every decision equals an uninterrupted run's.
    path = tmp_path / "killed.db"
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import hpo_lab
        from hpo_lab.pruners import HyperbandPruner
        from test_resources import run_fixed
        study = hpo_lab.create_study(study_name="k", storage={str(path)!r},
                                     pruner=HyperbandPruner(reduction_factor=2))
        run_fixed(study, range(12))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, timeout=240)
    assert done.returncode == -9
    resumed = hpo_lab.load_study(
        study_name="k", storage=str(path), pruner=HyperbandPruner(reduction_factor=2)
    )
    assert len(resumed.trials) == 12
    run_fixed(resumed, range(12, 24))
    uninterrupted = hpo_lab.create_study(study_name="k", pruner=HyperbandPruner(reduction_factor=2))
    run_fixed(uninterrupted, range(24))
    assert _log(resumed) == _log(uninterrupted)
    assert any(d["prune"] for _, _, ds in _log(resumed)[12:] for d in ds)
    assert resumed.system_attrs[KEY]["value"] == uninterrupted.system_attrs[KEY]["value"]


def run_fixed(study: hpo_lab.Study, numbers: range) -> None:
    """Trials whose curves depend only on their number."""

    def objective(trial: hpo_lab.Trial) -> float:
        n = trial.number
        level = ((n * 37) % 11) / 10.0
        for step in range(1, 10):
            trial.report(level + 1.0 / step, step)
            if trial.should_prune():
                raise hpo_lab.TrialPruned()
        return level

    for _ in numbers:
        study.optimize(objective, n_trials=1)


def _log(study: hpo_lab.Study) -> list[tuple[int, str, list[dict[str, Any]]]]:
    return [
        (t.number, t.state.value,
         [{k: v for k, v in d.to_dict().items() if k != "cursor"} for d in t.decisions])
        for t in study.trials
    ]


def test_study_attrs_is_a_no_op_for_pruners_that_keep_nothing() -> None:
    class Plain(BasePruner):
        def prune(self, view: Any, trial: Any) -> bool:
            return False

    study = hpo_lab.create_study(pruner=Plain())
    trial = study.ask()
    trial.report(1.0, 1)
    trial.should_prune()
    assert study.system_attrs == {}

"""The contract every pruner must keep, as a reusable pytest suite.

A test module subclasses :class:`PrunerContractTests` and provides a ``pruner_factory`` fixture:
a callable with no arguments that returns a fresh pruner. The central check is the *replay*: a
learning-curve objective reports every step and records each ``should_prune()`` answer in a
user attribute; afterwards each recorded situation is rebuilt from the stored data alone (the
trial's intermediate values up to that step, the trials that had finished before it) in a new
study with a fresh pruner, and the pruner must answer exactly as it did live. That is what lets
a pruner run in any process and a study be resumed from its store.

Needs pytest (the ``dev`` extra).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import hpo_lab
from hpo_lab.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_lab.exceptions import TrialPruned
from hpo_lab.pruners._base import BasePruner
from hpo_lab.pruners._nop import NopPruner
from hpo_lab.study._study import Study
from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState
from hpo_lab.trial._trial import Trial
from hpo_lab.views import trial_as_of, view_as_of

__all__ = [
    "DECISIONS_ATTR",
    "PrunerContractTests",
    "PrunerFactory",
    "learning_curve_objective",
    "replay_decisions",
    "replay_recorded_decisions",
    "run_learning_curves",
]

PrunerFactory = Callable[[], BasePruner]

DECISIONS_ATTR = "pruning_decisions"


def _suggest(trial: Trial, name: str, dist: Distribution) -> Any:
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, int(dist.low), int(dist.high), step=dist.step, log=dist.log)
    assert isinstance(dist, CategoricalDistribution)
    return trial.suggest_categorical(name, list(dist.choices))


def learning_curve_objective(
    n_steps: int = 10, *, obey: Callable[[int], bool] = lambda number: number % 4 != 0
) -> Callable[[Trial], float]:
    """An objective whose trials report a noisy decaying curve and record every pruning
    decision as ``[step, decision]`` pairs in the user attribute :data:`DECISIONS_ATTR`.

    The curves vary on purpose: some trials report only every other step, some stop early,
    some report NaN at one step, one in seven raises ``TrialPruned`` on its own, and trials for
    which ``obey(number)`` is false ignore a prune decision and run to the end (so the finished
    trials include bad curves too). Deterministic in the trial's number and parameters.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study()
        >>> study.optimize(learning_curve_objective(n_steps=4), n_trials=1)
        >>> {decision for _, decision in study.trials[0].user_attrs[DECISIONS_ATTR]}
        {False}
    """

    def objective(trial: Trial) -> float:
        rate = trial.suggest_float("rate", 0.05, 1.0, log=True)
        floor = trial.suggest_float("floor", 0.0, 2.0)
        kind = trial.suggest_categorical("kind", ["every", "sparse"])
        rng = np.random.default_rng(trial.number)
        length = n_steps if trial.number % 3 else max(2, n_steps // 2)
        steps = range(length) if kind == "every" else range(0, length, 2)
        decisions: list[list[Any]] = []
        value = math.inf
        for step in steps:
            value = floor + math.exp(-rate * step) + 0.05 * float(rng.standard_normal())
            reported = math.nan if (trial.number % 5 == 2 and step == 2) else value
            trial.report(reported, step)
            decision = trial.should_prune()
            decisions.append([step, decision])
            trial.set_user_attr(DECISIONS_ATTR, decisions)
            if decision and obey(trial.number):
                raise TrialPruned()
            if trial.number % 7 == 6 and step >= 3:
                raise TrialPruned()
        return value

    return objective


def run_learning_curves(
    pruner: BasePruner,
    *,
    direction: str = "minimize",
    n_trials: int = 24,
    seed: int = 0,
    study: Study | None = None,
    n_jobs: int = 1,
    executor: Any = "thread",
) -> Study:
    """Run :func:`learning_curve_objective` in a new (or the given) study and return it.

    For ``direction="maximize"`` the curves are mirrored, so the same trials are the good ones.

    Example:
        >>> from hpo_lab.pruners import NopPruner
        >>> study = run_learning_curves(NopPruner(), n_trials=3)
        >>> [len(t.user_attrs[DECISIONS_ATTR]) > 0 for t in study.trials]
        [True, True, True]
    """
    from hpo_lab.samplers import RandomSampler

    if study is None:
        study = hpo_lab.create_study(
            direction=direction, pruner=pruner, sampler=RandomSampler(seed=seed)
        )
    sign = -1.0 if study.direction == "maximize" else 1.0
    base = learning_curve_objective()

    def objective(trial: Trial) -> float:
        if sign > 0:
            return base(trial)
        return -_negated(base)(trial)

    if n_jobs == 1 and executor == "thread":
        study.optimize(objective, n_trials=n_trials)
    else:
        run = study.start(objective, n_trials=n_trials, n_jobs=n_jobs, executor=executor)
        run.wait()
        if run.exception is not None:
            raise run.exception
    return study


def _negated(objective: Callable[[Trial], float]) -> Callable[[Trial], float]:
    # Maximisation sees the mirrored curves, so "good" trials are the same ones.
    class _Negating:
        def __init__(self, trial: Trial) -> None:
            self._trial = trial

        def __getattr__(self, name: str) -> Any:
            return getattr(self._trial, name)

        def report(self, value: float, step: int) -> None:
            self._trial.report(-value, step)

    def run(trial: Trial) -> float:
        return objective(_Negating(trial))  # type: ignore[arg-type]

    return run


def _finish_like(target: Study, trial: Trial, source: FrozenTrial) -> None:
    if source.state == TrialState.COMPLETE:
        target.tell(trial, source.value)
    elif source.state.is_finished():
        target.tell(trial, state=source.state, fail_reason=source.fail_reason)
    else:
        # Unfinished in the original: never seen by another trial's decision in a
        # one-thread run, and FAIL keeps it out of every statistic here.
        target.tell(trial, state=TrialState.FAIL)


def _copy_finished(source: FrozenTrial, target: Study) -> None:
    target.enqueue_trial(dict(source.params))
    trial = target.ask()
    for name, dist in source.distributions.items():
        _suggest(trial, name, dist)
    for step in sorted(source.intermediate_values):
        trial.report(source.intermediate_values[step], step)
    _finish_like(target, trial, source)


def _copy_study(source: Study, name: str, storage: Any, parent: Study | None) -> Study:
    copy = hpo_lab.create_study(
        study_name=name, storage=storage, direction=source.direction, warm_start_from=parent
    )
    for t in source.trials:
        if t.state.is_finished():
            _copy_finished(t, copy)
    return copy


def replay_decisions(
    study: Study, pruner_factory: PrunerFactory
) -> list[tuple[int, int, bool, bool]]:
    """Rebuild every recorded decision of ``study`` from its stored trials and ask a fresh
    pruner again. Returns ``(trial number, step, live decision, replayed decision)`` tuples.

    Assumes the trials ran one after another (``optimize`` in one thread): the trials finished
    before trial ``n`` are those numbered below ``n``. Ancestors (warm start) are copied first,
    so inherited trials are part of the rebuilt situation.

    Example:
        >>> from hpo_lab.pruners import MedianPruner
        >>> study = run_learning_curves(MedianPruner(n_startup_trials=2), n_trials=6)
        >>> replayed = replay_decisions(study, lambda: MedianPruner(n_startup_trials=2))
        >>> all(live == again for _, _, live, again in replayed)
        True
    """
    from hpo_lab.storages import InMemoryStorage

    storage = InMemoryStorage()
    chain: list[Study] = []
    p = study.parent
    while p is not None:
        chain.append(p)
        p = p.parent
    parent_copy: Study | None = None
    # The copies keep the studies' names: a pruner may draw from them (Hyperband's brackets
    # are a function of the study name and the trial number).
    for ancestor in reversed(chain):
        parent_copy = _copy_study(ancestor, ancestor.study_name, storage, parent_copy)
    replay = hpo_lab.create_study(
        study_name=study.study_name, storage=storage, direction=study.direction,
        warm_start_from=parent_copy,
    )
    out: list[tuple[int, int, bool, bool]] = []
    for t in study.trials:
        recorded = {int(s): bool(d) for s, d in t.user_attrs.get(DECISIONS_ATTR, [])}
        # A fresh pruner per trial: nothing may carry over except through the store.
        replay.pruner = pruner_factory()
        replay.enqueue_trial(dict(t.params))
        trial = replay.ask()
        assert trial.number == t.number, (trial.number, t.number)
        for name, dist in t.distributions.items():
            _suggest(trial, name, dist)
        for step in sorted(t.intermediate_values):
            trial.report(t.intermediate_values[step], step)
            if step in recorded:
                out.append((t.number, step, recorded[step], trial.should_prune()))
        _finish_like(replay, trial, t)
    return out


def replay_recorded_decisions(
    study: Study, pruner_factory: PrunerFactory
) -> list[tuple[int, PruneDecision, PruneDecision | None]]:
    """Replay every decision stored with ``study``'s trials from the records alone.

    For each decision (``FrozenTrial.decisions``), the study is rebuilt as it stood at the
    decision's cursor (:func:`hpo_lab.views.view_as_of`) and a fresh pruner decides again.
    Returns ``(trial number, recorded, replayed)`` triples; they agree when the pruner depends
    only on what it was shown, whatever the order trials ran in, on whatever executor, and
    across a restart from the store.

    Example:
        >>> from hpo_lab.pruners import MedianPruner
        >>> study = run_learning_curves(MedianPruner(n_startup_trials=2), n_trials=6)
        >>> triples = replay_recorded_decisions(study, lambda: MedianPruner(n_startup_trials=2))
        >>> len(triples) > 0 and all(again is not None and again.same_as(live)
        ...                           for _, live, again in triples)
        True
    """
    out: list[tuple[int, PruneDecision, PruneDecision | None]] = []
    final = study.view.snapshot()
    for t in final.get_trials(include_inherited=False):
        for recorded in t.decisions:
            assert recorded.cursor is not None, f"trial {t.number}: a decision without a cursor"
            then = trial_as_of(t, recorded.cursor)
            assert then is not None, f"trial {t.number} did not exist at its own decision"
            again = pruner_factory().decide(view_as_of(final, recorded.cursor), then)
            out.append((t.number, recorded, again))
    return out


def _mismatches(
    triples: list[tuple[int, PruneDecision, PruneDecision | None]],
) -> list[tuple[int, str, str]]:
    return [
        (n, str(live), str(again))
        for n, live, again in triples
        if again is None or not again.same_as(live)
    ]


def _fixed_params(number: int) -> dict[str, Any]:
    rng = np.random.default_rng(1000 + number)
    return {
        "rate": float(np.exp(rng.uniform(np.log(0.05), 0.0))),
        "floor": float(rng.uniform(0.0, 2.0)),
        "kind": "every" if rng.random() < 0.7 else "sparse",
    }


def _run_fixed_trials(study: Study, numbers: range) -> None:
    # Trials whose parameters depend only on their number, whatever sampler or restart.
    objective = learning_curve_objective()
    for number in numbers:
        study.enqueue_trial(_fixed_params(number))
        study.optimize(objective, n_trials=1)


def _decision_log(study: Study) -> list[tuple[int, str, list[dict[str, Any]]]]:
    out = []
    for t in study.trials:
        decisions = [{k: v for k, v in d.to_dict().items() if k != "cursor"} for d in t.decisions]
        out.append((t.number, t.state.value, decisions))
    return out


def _same_resolved(a: dict[str, Any], b: dict[str, Any]) -> bool:
    # Resolved resources record the store cursor of their evidence, which differs between
    # stores; their values must not.
    keys = {k for k in (*a, *b) if k.startswith("pruner:")}
    return all(
        isinstance(a.get(k), dict) and isinstance(b.get(k), dict)
        and a[k].get("value") == b[k].get("value")
        and a[k].get("relaxed") == b[k].get("relaxed")
        for k in keys
    )


def _study_with_history(
    pruner: BasePruner, direction: str = "minimize", n_complete: int = 6
) -> Study:
    # Finished trials with simple straight-line curves, plus one PRUNED and one FAIL trial.
    # A fixed name, so that studies built to be compared draw the same Hyperband brackets.
    study = hpo_lab.create_study(study_name="history", direction=direction, pruner=pruner)
    for i in range(n_complete):
        trial = study.ask()
        for step in range(5):
            trial.report(float(i) + 1.0 / (step + 1), step)
        study.tell(trial, float(i))
    for state in (TrialState.PRUNED, TrialState.FAIL):
        trial = study.ask()
        trial.report(-100.0, 0)
        study.tell(trial, state=state)
    return study


class PrunerContractTests:
    """Tests every pruner must pass. Subclass and provide a ``pruner_factory`` fixture."""

    @pytest.fixture
    def pruner_factory(self) -> PrunerFactory:  # pragma: no cover - overridden
        raise NotImplementedError("provide a pruner_factory fixture")

    @pytest.mark.parametrize("direction", ["minimize", "maximize"])
    def test_live_decisions_replay_from_stored_data(
        self, pruner_factory: PrunerFactory, direction: str
    ) -> None:
        study = run_learning_curves(pruner_factory(), direction=direction)
        replayed = replay_decisions(study, pruner_factory)
        assert len(replayed) >= 50
        mismatches = [r for r in replayed if r[2] != r[3]]
        assert not mismatches, f"(trial, step, live, replayed): {mismatches}"

    @pytest.mark.parametrize("n_jobs", [1, 3])
    def test_recorded_decisions_replay_from_the_records(
        self, pruner_factory: PrunerFactory, n_jobs: int
    ) -> None:
        # With three trials at once, what a pruner saw depends on timing: only the records
        # (each decision's cursor, each report's cursor) can tell it afterwards.
        study = run_learning_curves(pruner_factory(), n_trials=30, n_jobs=n_jobs)
        triples = replay_recorded_decisions(study, pruner_factory)
        assert triples or isinstance(study.pruner, NopPruner)
        assert _mismatches(triples) == []
        for number, live, _ in triples:
            assert live.step in study.trials[number].intermediate_values

    def test_recorded_decisions_replay_after_reloading_the_store(
        self, pruner_factory: PrunerFactory, tmp_path: Any
    ) -> None:
        from hpo_lab.samplers import RandomSampler
        from hpo_lab.storages import SQLiteStorage

        path = str(tmp_path / "prune.db")
        # Seeded samplers, so the curves are the same on every run. The assertions below need
        # a decision in each half; a patient pruner decides only on a flat curve, which an
        # unseeded run of 12 trials missed about half the time.
        first = hpo_lab.create_study(
            study_name="s", storage=path, pruner=pruner_factory(), sampler=RandomSampler(seed=1)
        )
        run_learning_curves(pruner_factory(), n_trials=12, study=first)

        # A second store object on the file, as a resumed process would open it.
        store = SQLiteStorage(path)
        try:
            resumed = hpo_lab.load_study(
                study_name="s", storage=store, pruner=pruner_factory(),
                sampler=RandomSampler(seed=101),
            )
            run_learning_curves(pruner_factory(), n_trials=12, study=resumed)
            triples = replay_recorded_decisions(resumed, pruner_factory)
            if not isinstance(resumed.pruner, NopPruner):  # the one pruner that never decides
                assert {n for n, _, _ in triples} & set(range(12))
                assert {n for n, _, _ in triples} & set(range(12, 24))
            assert _mismatches(triples) == []
        finally:
            store.close()

    def test_live_decisions_replay_with_inherited_trials(
        self, pruner_factory: PrunerFactory
    ) -> None:
        from hpo_lab.samplers import RandomSampler

        # Named studies: Hyperband draws each trial's bracket from the study's name, and the
        # assertions need decisions among the child's trials on every run.
        parent = hpo_lab.create_study(
            study_name="parent", pruner=pruner_factory(), sampler=RandomSampler(seed=1)
        )
        run_learning_curves(pruner_factory(), n_trials=10, study=parent)
        child = hpo_lab.create_study(
            study_name="child", storage=parent.storage, warm_start_from=parent,
            pruner=pruner_factory(), sampler=RandomSampler(seed=2),
        )
        run_learning_curves(pruner_factory(), n_trials=8, study=child)
        assert child.inherited_trials
        replayed = replay_decisions(child, pruner_factory)
        assert replayed
        assert [r for r in replayed if r[2] != r[3]] == []
        assert _mismatches(replay_recorded_decisions(child, pruner_factory)) == []

    def test_decision_is_a_bool(self, pruner_factory: PrunerFactory) -> None:
        study = _study_with_history(pruner_factory())
        trial = study.ask()
        for step in range(5):
            trial.report(1000.0, step)
            assert type(study.pruner.prune(study.view, trial.freeze())) is bool
            assert type(trial.should_prune()) is bool

    def test_no_report_means_no_pruning(self, pruner_factory: PrunerFactory) -> None:
        study = _study_with_history(pruner_factory())
        assert study.ask().should_prune() is False

    def test_first_trial_of_an_empty_study_with_a_good_value_goes_on(
        self, pruner_factory: PrunerFactory
    ) -> None:
        study = hpo_lab.create_study(pruner=pruner_factory())
        trial = study.ask()
        trial.report(0.0, 0)
        assert trial.should_prune() is False

    def test_asking_again_gives_the_same_answer_and_records_it_once(
        self, pruner_factory: PrunerFactory
    ) -> None:
        study = _study_with_history(pruner_factory())
        trial = study.ask()
        trial.report(3.5, 0)
        trial.report(3.4, 1)
        first = trial.should_prune()
        before = study.get_trials()
        answers = {trial.should_prune() for _ in range(5)}
        assert answers == {first}
        assert study.get_trials() == before  # nothing new to go on: nothing written
        recorded = [d for d in study.get_trials()[-1].decisions if d.step == 1]
        assert len(recorded) <= 1
        if recorded:
            assert recorded[0].prune is first

    def test_unfinished_trials_do_not_change_the_decision(
        self, pruner_factory: PrunerFactory
    ) -> None:
        # Pruners that compare with COMPLETE trials ignore RUNNING ones. Those that compare
        # with every value recorded so far (asynchronous successive halving) must still ignore
        # what a RUNNING trial reports after the decided trial's own report.
        for value in (-5.0, 2.5, 50.0):
            answers = []
            for crowded in (False, True):
                study = _study_with_history(pruner_factory())
                compares_running = study.pruner.compares_running_trials
                # Asked after the decided trial where it may report only after it, so that the
                # decided trial's number (a Hyperband bracket is drawn from it) stays the same.
                other = study.ask() if crowded and not compares_running else None
                if other is not None:
                    # RUNNING, reports better and worse than everything before the trial does
                    for step in range(5):
                        other.report(-1000.0 if step % 2 else 1000.0, step)
                trial = study.ask()
                if crowded and compares_running:
                    other = study.ask()
                answer = False
                for step in range(3):
                    trial.report(value, step)
                    answer = trial.should_prune()
                    if other is not None and compares_running:
                        # ... or only after each of the decided trial's reports
                        other.report(-1000.0 if step % 2 else 1000.0, step)
                answers.append(answer)
            assert answers[0] == answers[1], value

    def test_resuming_from_the_store_decides_as_an_uninterrupted_run(
        self, pruner_factory: PrunerFactory, tmp_path: Any
    ) -> None:
        # The same trials (parameters fixed per trial number) in one uninterrupted study, and
        # in a SQLite study abandoned after 12 trials and loaded again by a new store object
        # with a fresh pruner: every decision must be the same.
        from hpo_lab.storages import SQLiteStorage

        uninterrupted = hpo_lab.create_study(study_name="s", pruner=pruner_factory())
        _run_fixed_trials(uninterrupted, range(24))
        path = str(tmp_path / "resume.db")
        first = SQLiteStorage(path)
        _run_fixed_trials(
            hpo_lab.create_study(study_name="s", storage=first, pruner=pruner_factory()),
            range(12),
        )
        second = SQLiteStorage(path)  # the first is left open, as a killed process leaves it
        try:
            resumed = hpo_lab.load_study(study_name="s", storage=second, pruner=pruner_factory())
            _run_fixed_trials(resumed, range(12, 24))
            assert _decision_log(resumed) == _decision_log(uninterrupted)
            assert _same_resolved(resumed.system_attrs, uninterrupted.system_attrs)
        finally:
            second.close()
            first.close()

    def test_concurrent_calls_agree(self, pruner_factory: PrunerFactory) -> None:
        study = _study_with_history(pruner_factory())
        trials = []
        for value in (-1.0, 2.5, 7.0, math.nan):
            trial = study.ask()
            trial.report(value, 0)
            trial.report(value, 2)
            trials.append(trial.freeze())
        expected = [study.pruner.prune(study.view, t) for t in trials]
        results: list[list[bool]] = []
        errors: list[BaseException] = []

        def work() -> None:
            try:
                results.append([study.pruner.prune(study.view, t) for t in trials * 20])
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors
        assert all(r == expected * 20 for r in results)

    @pytest.mark.parametrize("direction", ["minimize", "maximize"])
    def test_nan_and_infinite_reports_do_not_raise(
        self, pruner_factory: PrunerFactory, direction: str
    ) -> None:
        study = _study_with_history(pruner_factory(), direction=direction)
        for values in ([math.nan] * 3, [math.inf, 1.0, math.nan], [-math.inf, math.nan, 2.0]):
            trial = study.ask()
            for step, v in enumerate(values):
                trial.report(v, step)
                assert type(trial.should_prune()) is bool
            study.tell(trial, state=TrialState.PRUNED)

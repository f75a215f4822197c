"""Pruning that knows when it is wrong: the rank check of successive halving and Hyperband."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import pytest

import hpo_lab
from hpo_lab.pruners import HyperbandPruner, PruneDecision, RankCheck, SuccessiveHalvingPruner
from hpo_lab.pruners._rank_check import RANK_CHECK_KEY, check_rungs, rung_pairs
from hpo_lab.samplers import RandomSampler
from hpo_lab.trial import FrozenTrial, TrialState

N_STEPS = 12


def crossing(u: float, step: int) -> float:
    """Large ``u`` learns fast, small ``u`` ends best: rankings invert between early and late."""
    return u + (1.0 - 2.0 * u) * math.exp(-step / 3.0)


def aligned(u: float, step: int) -> float:
    """Every curve has the same shape: the early ranking is the final one."""
    return u + math.exp(-step / 3.0)


def _study(
    curve: Callable[[float, int], float], pruner: object, n_trials: int = 80
) -> hpo_lab.Study:
    study = hpo_lab.create_study(sampler=RandomSampler(seed=3), pruner=pruner)  # type: ignore[arg-type]

    def objective(trial: hpo_lab.Trial) -> float:
        u = trial.suggest_float("u", 0.0, 1.0)
        for step in range(1, N_STEPS + 1):
            trial.report(curve(u, step), step)
            if trial.should_prune():
                raise hpo_lab.TrialPruned()
        return curve(u, N_STEPS)

    study.optimize(objective, n_trials=n_trials)
    return study


def test_on_crossing_curves_the_check_keeps_the_best_trials() -> None:
    plain = _study(crossing, SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))
    checked = _study(
        crossing, SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, rank_check=True)
    )
    # The same proposals (same seed): plain successive halving stops the slow starters, which
    # are the best; the check finds that early rungs rank the other way round and stops less.
    assert checked.best_value < plain.best_value / 2
    pruned = [t for t in checked.trials if t.state == TrialState.PRUNED]
    assert len(pruned) < len([t for t in plain.trials if t.state == TrialState.PRUNED])
    relaxed = checked.system_attrs[RANK_CHECK_KEY]["relaxed"]
    assert "1" in relaxed and relaxed["1"]["verified"] is True and relaxed["1"]["rho"] < 0
    late = checked.trials[-1].decisions
    assert late and all("relaxed" in d.details for d in late if d.resource == 1)


def test_on_aligned_curves_the_check_lets_pruning_start() -> None:
    study = _study(
        aligned, SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, rank_check=True)
    )
    states = [t.state for t in study.trials]
    # The first trials run to the end (nothing verified yet), then rungs are trusted.
    assert states[:6] == [TrialState.COMPLETE] * 6
    assert states.count(TrialState.PRUNED) > 30
    compared = [
        d for t in study.trials[40:] for d in t.decisions if "relaxed" not in d.details
    ]
    assert compared and any(d.prune for d in compared)
    assert study.system_attrs[RANK_CHECK_KEY]["relaxed"] == {}


def test_hyperband_with_the_check_replays() -> None:
    from hpo_lab.testing.pytest_pruners import replay_recorded_decisions

    def make() -> HyperbandPruner:
        return HyperbandPruner(max_resource=N_STEPS, reduction_factor=3, rank_check=True)

    study = _study(crossing, make(), n_trials=60)
    triples = replay_recorded_decisions(study, make)
    assert triples and all(again is not None and again.same_as(live) for _, live, again in triples)
    assert any("relaxed" in live.details for _, live, _ in triples)


def _complete(number: int, early: float, final: float, decisions: tuple[PruneDecision, ...] = ()
              ) -> FrozenTrial:
    return FrozenTrial(number, TrialState.COMPLETE, value=final,
                       intermediate_values={1: early, 4: final, 9: final}, decisions=decisions)


def test_witnesses_leave_out_trials_selected_at_the_rung() -> None:
    won = PruneDecision(False, 1, "asha", resource=1, rung=0)
    free = PruneDecision(False, 1, "asha", resource=1, rung=0, details={"relaxed": {"by": 1}})
    trials = [
        _complete(0, 0.1, 0.1, (won,)),
        _complete(1, 0.2, 0.2, (free,)),
        _complete(2, 0.3, 0.3),
        _complete(3, 0.4, 0.4, (PruneDecision(False, 4, "asha", resource=4,
                                              details={"compared": [1]}),)),
    ]
    xs, _ = rung_pairs(trials, 1, maximize=False)
    assert xs == [0.2, 0.3]
    xs4, _ = rung_pairs(trials, 4, maximize=False)
    assert len(xs4) == 3  # trial 3 won its comparison at 4


def test_an_untrusted_rung_relaxes_every_rung_below_it() -> None:
    # Step 1 ranks perfectly, step 4 the wrong way round: both relaxed (minimum raised past 4).
    trials = [
        FrozenTrial(n, TrialState.COMPLETE, value=float(n),
                    intermediate_values={1: float(n), 4: -float(n), 9: float(n), 12: float(n)})
        for n in range(10)
    ]
    report = check_rungs(trials, [1, 4, 9], maximize=False, check=RankCheck())
    assert [round(c.rho, 2) for c in report.rungs] == [1.0, -1.0, 1.0]
    assert sorted(report.relaxed) == [1, 4]
    assert report.relaxed[1]["by"] == 4


def test_a_relaxation_is_logged_and_stored(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hpo_lab"):
        study = _study(
            crossing,
            SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, rank_check=True),
            n_trials=20,
        )
    messages = [r.getMessage() for r in caplog.records if "pruning relaxed" in r.getMessage()]
    assert messages and "Spearman" in messages[0]
    assert study.system_attrs[RANK_CHECK_KEY]["relaxed"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_pairs": 3}, "min_pairs must be an int >= 4, but got min_pairs=3"),
        ({"min_correlation": 1.5}, "min_correlation must be a number in [-1, 1]"),
        ({"confidence": 1.0}, "confidence must be a number in [0.5, 1), but got confidence=1.0"),
    ],
)
def test_bad_settings(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError) as info:
        RankCheck(**kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)


def test_more_witnesses_are_needed_for_a_weaker_correlation() -> None:
    check = RankCheck(min_pairs=6, min_correlation=0.5, confidence=0.9)
    assert not check.trusts(0.8, 6) and check.trusts(0.8, 25)
    assert not check.trusts(0.45, 1000)
    assert not check.trusts(float("nan"), 50)

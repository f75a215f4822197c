"""Every pruner that ``hpo_lab.pruners`` exports survives ``copy.deepcopy`` and ``pickle``, and
the copy decides exactly as the original does from then on.

Pruners are discovered from ``hpo_lab.pruners.__all__``, so a new one is covered as soon as it
is exported; one that cannot be built without arguments needs an entry in ``ARGUMENTS``.
"""

from __future__ import annotations

import copy
import inspect
import math
import pickle
from collections.abc import Callable
from typing import Any

import pytest

import hpo_lab
import hpo_lab.pruners
from hpo_lab.pruners import BasePruner
from hpo_lab.study import Study
from hpo_lab.trial import TrialState

# Constructor arguments, by class name, for pruners that need some, chosen so that the pruner
# prunes within the history below (a comparison of decisions that are all "go on" proves little).
ARGUMENTS: dict[str, dict[str, Any]] = {
    "PercentilePruner": {"percentile": 40.0, "n_startup_trials": 2},
    "MedianPruner": {"n_startup_trials": 2, "n_warmup_steps": 1},
    "PatientPruner": {"wrapped_pruner": None, "patience": 1},
    "ThresholdPruner": {"upper": 2.5},
    "SuccessiveHalvingPruner": {"min_resource": 1, "reduction_factor": 2},
    "HyperbandPruner": {"max_resource": 8, "reduction_factor": 2},
}
# Pruners that never prune, whatever the history -- or on this history: PatientPruner prunes
# only curves that get worse, and these only improve (its copies are compared all the same).
NEVER_PRUNE = {"NopPruner", "PatientPruner"}

COPIES: dict[str, Callable[[Any], Any]] = {
    "deepcopy": copy.deepcopy,
    "pickle": lambda pruner: pickle.loads(pickle.dumps(pruner)),
}

N_STEPS = 8


def _exported_pruners() -> list[type[BasePruner]]:
    found = []
    for name in hpo_lab.pruners.__all__:
        obj = getattr(hpo_lab.pruners, name)
        if (
            inspect.isclass(obj)
            and issubclass(obj, BasePruner)
            and obj is not BasePruner
            and not inspect.isabstract(obj)
        ):
            found.append(obj)
    return sorted(found, key=lambda cls: cls.__name__)


PRUNERS = _exported_pruners()


def _build(cls: type[BasePruner]) -> BasePruner:
    try:
        return cls(**ARGUMENTS.get(cls.__name__, {}))
    except TypeError as exc:
        pytest.fail(
            f"{cls.__name__} cannot be built without arguments ({exc}); add an entry for it "
            f"to ARGUMENTS in {__file__}"
        )


def _curve(number: int, step: int) -> float:
    # Trials level off at 0..4 in a shuffled order, so some are worse than the others.
    return float((number * 7) % 5) + 1.0 / (step + 1)


def _run_with(study: Study, n_trials: int) -> None:
    """Trials that report a curve and stop when the study's pruner says so."""

    def objective(trial: hpo_lab.Trial) -> float:
        trial.suggest_float("x", 0.0, 1.0)
        for step in range(N_STEPS):
            trial.report(_curve(trial.number, step), step)
            if trial.should_prune():
                raise hpo_lab.TrialPruned()
        return _curve(trial.number, N_STEPS)

    study.optimize(objective, n_trials=n_trials)


def _decide(pruner: BasePruner, study: Study, number: int) -> Any:
    frozen = next(t for t in study.get_trials() if t.number == number)
    # A pruner with decisions as data is compared on the whole decision, others on the answer.
    decide = getattr(pruner, "decide", None)
    if decide is not None:
        return decide(study.view, frozen)
    return pruner.prune(study.view, frozen)


def _prunes(decision: Any) -> bool:
    return bool(getattr(decision, "prune", decision))


def assert_copies_decide_as_the_original(make: Callable[[], BasePruner]) -> list[Any]:
    """Use a pruner on a history, copy it both ways, then ask the original and the copies
    about the same new trials, step by step; every answer must be the same. Returns the
    original's decisions."""
    original = make()
    study = hpo_lab.create_study(pruner=original)
    _run_with(study, 10)
    copies = {how: to_copy(original) for how, to_copy in COPIES.items()}
    for how, copied in copies.items():
        assert type(copied) is type(original), how
        assert copied is not original, how
    decisions = []
    for _ in range(10):
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        pruned = False
        for step in range(N_STEPS):
            trial.report(_curve(trial.number, step), step)
            decision = _decide(original, study, trial.number)
            for how, copied in copies.items():
                assert _decide(copied, study, trial.number) == decision, (
                    f"a {how} copy of {original!r} decided otherwise at trial {trial.number}, "
                    f"step {step}"
                )
            decisions.append(decision)
            if _prunes(decision):
                pruned = True
                break
        if pruned:
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, _curve(trial.number, N_STEPS))
    return decisions


def test_every_exported_pruner_is_discovered() -> None:
    names = {cls.__name__ for cls in PRUNERS}
    assert {"MedianPruner", "NopPruner", "PercentilePruner"} <= names


@pytest.mark.parametrize("cls", PRUNERS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("how", sorted(COPIES))
def test_copy_of_a_fresh_pruner_is_independent(cls: type[BasePruner], how: str) -> None:
    pruner = _build(cls)
    copied = COPIES[how](pruner)
    assert type(copied) is cls and copied is not pruner
    assert repr(copied).split(" at 0x")[0] == repr(pruner).split(" at 0x")[0]


@pytest.mark.parametrize("cls", PRUNERS, ids=lambda cls: cls.__name__)
def test_copies_decide_as_the_original(cls: type[BasePruner]) -> None:
    decisions = assert_copies_decide_as_the_original(lambda: _build(cls))
    if cls.__name__ not in NEVER_PRUNE:
        assert any(_prunes(d) for d in decisions), f"{cls.__name__} never pruned here"
        assert not all(_prunes(d) for d in decisions)


class _ForgetsOnCopy(BasePruner):
    """Prunes values above a threshold, but a copy of it loses the threshold."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def prune(self, view: Any, trial: Any) -> bool:
        step = trial.last_step
        return step is not None and trial.intermediate_values[step] > self.threshold

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.threshold = math.inf


def test_the_check_catches_a_copy_that_decides_otherwise() -> None:
    with pytest.raises(AssertionError, match=r"copy of .* decided otherwise"):
        assert_copies_decide_as_the_original(lambda: _ForgetsOnCopy(2.5))

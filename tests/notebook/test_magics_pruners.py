"""``%%hpo --pruner NAME --pruner-args ... --budget N``: multi-fidelity from a cell."""

from __future__ import annotations

import uuid

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from hpo_lab.trial import TrialState

pytestmark = pytest.mark.timeout(120)

BODY = (
    "import hpo_lab\n"
    "x = hp.float(0, 1)\n"
    "for epoch in range(1, 10):\n"
    "    report(x + 1.0 / epoch, epoch)\n"
    "    if trial.should_prune():\n"
    "        raise hpo_lab.TrialPruned()\n"
    "x"
)


def _name() -> str:
    return f"mf_{uuid.uuid4().hex[:8]}"


def test_asha_with_arguments_from_the_cell_line(shell: InteractiveShell) -> None:
    name = _name()
    result = shell.run_cell(
        f"%%hpo {name} --trials 30 --no-panel --wait --sampler random --seed 0 --pruner asha "
        f'--pruner-args "min_resource=1 reduction_factor=3"\n{BODY}'
    )
    assert result.success, result.error_in_exec
    study = shell.user_ns[name]
    assert "reduction_factor=3" in repr(study.pruner)
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert pruned and all(t.decisions[-1].rule == "asha" for t in pruned)


@pytest.mark.parametrize(
    ("options", "checked", "factor"),
    [
        ("", True, 3),  # the default pruner: Hyperband with the rank check
        ('--pruner-args "reduction_factor=4"', True, 4),  # arguments for the default pruner
        ("--pruner hyperband", False, 3),  # a name is the class with its (Optuna's) defaults
        ('--pruner hyperband --pruner-args "rank_check=true"', True, 3),
    ],
)
def test_the_default_pruner_and_its_arguments(
    shell: InteractiveShell, options: str, checked: bool, factor: int
) -> None:
    name = _name()
    result = shell.run_cell(f"%%hpo {name} --trials 3 --no-panel --wait {options}\n{BODY}")
    assert result.success, result.error_in_exec
    pruner = shell.user_ns[name].pruner
    assert type(pruner).__name__ == "HyperbandPruner"
    assert (pruner.rank_check is not None) is checked
    assert f"reduction_factor={factor}," in repr(pruner)


def test_a_budget_in_steps_ends_the_run(shell: InteractiveShell) -> None:
    name = _name()
    result = shell.run_cell(
        f"%%hpo {name} --no-panel --wait --sampler random --seed 1 --pruner hyperband "
        f'--pruner-args "max_resource=9" --budget 60\n{BODY}'
    )
    assert result.success, result.error_in_exec
    spent = sum(t.last_step or 0 for t in shell.user_ns[name].trials)
    assert 60 <= spent <= 60 + 9


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("--pruner asha --pruner-args eta=3", "asha takes min_resource, reduction_factor"),
        ('--pruner asha --pruner-args "reduction_factor=1"',
         "reduction_factor must be an int >= 2, but got reduction_factor=1"),
        ("--pruner threshold", "ThresholdPruner needs lower or upper"),
        ("--pruner asha --pruner-args reduction_factor", "pruner arguments must be name=value"),
        ("--pruner asha --budget -5", "budget must be a finite number > 0"),
    ],
)
def test_bad_pruner_arguments_are_one_line_errors(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], options: str, message: str
) -> None:
    capsys.readouterr()
    result = shell.run_cell(f"%%hpo {_name()} --trials 2 --no-panel {options}\n{BODY}")
    err = capsys.readouterr().err
    assert isinstance(result.error_in_exec, UsageError), result.error_in_exec
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("UsageError: ") and message in lines[0], err

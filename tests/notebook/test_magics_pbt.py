"""Population-based training and the learning-rate finder from a notebook: ``%%hpo --pbt``,
the panel's PBT tab and ``%hpo lrfind``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from hpo_lab.notebook import _registry
from hpo_lab.pbt import PBT_ATTR, member_history
from hpo_lab.trial import TrialState

pytestmark = pytest.mark.timeout(120)

# The PBT paper's toy: each member follows a surrogate chosen by h; only switching h between
# intervals reaches the optimum 1.2.
TOY = (
    "h = trial.suggest_categorical('h', ['first', 'second'])\n"
    "t0, t1 = trial.checkpoint.load(default=(0.9, 0.9))\n"
    "for step in segment(trial):\n"
    "    if h == 'first':\n"
    "        t0 -= 0.1 * t0\n"
    "    else:\n"
    "        t1 -= 0.1 * t1\n"
    "    report(1.2 - (t0 * t0 + t1 * t1), step)\n"
    "trial.checkpoint.save((t0, t1))\n"
    "1.2 - (t0 * t0 + t1 * t1)"
)


@pytest.fixture
def shell(shell: InteractiveShell) -> InteractiveShell:
    # The conftest's shell, with what a PBT cell body calls.
    shell.run_cell("from hpo_lab.pbt import segment")
    return shell


def _name() -> str:
    return f"pbt_{uuid.uuid4().hex[:8]}"


def _until(predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_pbt_from_the_cell_line_ends_by_itself_and_the_panel_gets_a_pbt_tab(
    shell: InteractiveShell,
) -> None:
    name = _name()
    result = shell.run_cell(
        f'%%hpo {name} --direction maximize --pbt "population=4 interval=4 max_steps=40 '
        f'seed=0" --wait\n{TOY}'
    )
    assert result.success, result.error_in_exec
    study = shell.user_ns[name]
    trials = study.trials
    # No --trials: max_steps ends the run, 4 members x 10 intervals.
    assert len(trials) == 40 and all(t.state == TrialState.COMPLETE for t in trials)
    assert all(PBT_ATTR in t.system_attrs for t in trials)
    assert sorted(member_history(trials)) == [0, 1, 2, 3]
    assert study.best_value > 1.15  # a fixed h stays at 0.39 or below
    assert any(t.parent_number is not None for t in trials)  # exploits copied a checkpoint

    panel = _registry.get(name).panel
    assert panel is not None
    panel.refresh()
    assert panel._tab_keys[-1] == "pbt" and panel.tabs.get_title(len(panel._tab_keys) - 1) == "PBT"
    panel.tabs.selected_index = len(panel._tab_keys) - 1  # as a click on the tab sets it
    panel.refresh()
    view = panel.heavy_views["pbt"]
    _until(lambda: view.n_renders >= 1, "the PBT plot")
    names = {trace.name for trace in view.figure.data}
    assert "exploit (copied a member)" in names and "member 0" in names


def test_bad_pbt_arguments_are_one_line_errors(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    for args, message in (
        ('"population"', "--pbt arguments must be name=value pairs, but got 'population'"),
        ('"population=1"', "population must be"),
        ('"interval=3 max_steps=10"', "max_steps must be a multiple of interval=3"),
    ):
        capsys.readouterr()
        name = _name()
        result = shell.run_cell(f"%%hpo {name} --pbt {args}\n{TOY}")
        err = capsys.readouterr().err
        assert isinstance(result.error_in_exec, UsageError), result.error_in_exec
        assert message in str(result.error_in_exec)
        assert len([line for line in err.splitlines() if line.strip()]) == 1, err
        assert name not in shell.user_ns


def test_lrfind_narrows_the_learning_rate_of_a_study_in_one_step(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    name = _name()
    result = shell.run_cell(
        f"%%hpo {name} --trials 4 --wait --seed 0\n"
        "lr = trial.suggest_float('lr', 1e-6, 10.0, log=True)\n"
        "(lr - 0.01) ** 2"
    )
    assert result.success, result.error_in_exec
    panel = _registry.get(name).panel
    assert panel is not None and "pbt" not in panel._tab_keys  # no PBT trial, no PBT tab
    shell.run_cell(
        "import hpo_lab\n"
        "finder = hpo_lab.lr_find(step=lambda lr: (lr - 0.01) ** 2 + 1.0, start_lr=1e-6, "
        "end_lr=10.0, num_iter=80)"
    )
    finder = shell.user_ns["finder"]
    capsys.readouterr()
    result = shell.run_cell(f"%hpo lrfind {name} finder lr")
    assert result.success, result.error_in_exec
    out = capsys.readouterr().out
    study = shell.user_ns[name]
    bound = study.search_space_history[-1].constraints["lr"]
    low, high = finder.suggested_range()
    assert (bound.low, bound.high) == (max(1e-6, low), min(10.0, high))
    assert f"hpo: {name}: lr narrowed to [{bound.low:.3g}, {bound.high:.3g}]" in out
    assert f"revision {study.search_space_history[-1].number} applies to new trials" in out
    # Trials asked from now on stay inside the finder's range.
    shell.run_line_magic("hpo", f"extend {name} 3")
    _until(lambda: len(study.trials) == 7 and not _registry.get(name).is_live(), "3 trials")
    assert all(bound.low <= t.params["lr"] <= bound.high for t in study.trials[4:])

    for line, message in (
        (f"lrfind {name} nothing lr", "FINDER must name a variable holding"),
        (f"lrfind {name} finder lr extra", "%hpo lrfind takes [NAME] FINDER [PARAM]"),
        (f"lrfind {name} finder depth", "has no parameter 'depth' yet to narrow"),
    ):
        with pytest.raises(UsageError) as caught:
            shell.run_line_magic("hpo", line)
        assert message in str(caught.value)

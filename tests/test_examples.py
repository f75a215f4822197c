"""The quickstart of the README runs, prints a sensible story, and leaves a real SQLite store."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import hpo_lab
from hpo_lab.trial import TrialState

ROOT = Path(__file__).resolve().parents[1]


def test_quickstart_runs_and_its_store_matches_its_output(tmp_path: Path) -> None:
    script = ROOT / "examples" / "quickstart.py"
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    db = tmp_path / "quickstart.db"
    assert db.is_file()

    study = hpo_lab.load_study(study_name="quickstart", storage=str(db))
    trials = study.trials
    assert len(trials) == 60
    assert all(t.state == TrialState.COMPLETE for t in trials)

    best = re.search(r"^best value: ([0-9.]+)$", text, re.M)
    assert best is not None, text
    assert float(best.group(1)) == round(min(float(t.value or 0) for t in trials[:40]), 4)
    # The table head lists the first trials with their parameters.
    header = next(line for line in text.splitlines() if line.split()[:3] == ["number", "value",
                                                                           "state"])
    assert "params_lr" in header
    assert "params_optimizer" in header

    # Narrowing: trials 40..59 were asked under revision 1 and respect its range.
    m = re.search(r"narrowed lr to \[([0-9.e-]+), ([0-9.e-]+)\] \(revision 1\)", text)
    assert m is not None, text
    (revision,) = study.search_space_history[1:]
    lr_range = revision.constraints["lr"]
    assert all(t.revision == 0 for t in trials[:40])
    assert all(t.revision == 1 for t in trials[40:])
    assert all(lr_range.contains(t.params["lr"]) for t in trials[40:])
    assert f"{getattr(lr_range, 'low', None):.3g}" == m.group(1)
    assert "20 of 20 new trials lie inside the narrowed range" in text

    # Warm start: the child names its parent and sees the parent's fitting trials.
    child = hpo_lab.load_study(study_name="quickstart-child", storage=str(db))
    assert child.lineage == ["quickstart-child", "quickstart"]
    assert len(child.trials) == 10
    inherited = child.inherited_trials
    assert 20 <= len(inherited) < 60
    assert all(t.origin is not None and t.origin.study_name == "quickstart" for t in inherited)
    assert f"inherited trials: {len(inherited)}, own trials: 10" in text
    assert f"reloaded 'quickstart': 60 trials, best value {study.best_value:.4f}" in text


def test_quickstart_can_run_twice_in_the_same_directory(tmp_path: Path) -> None:
    script = ROOT / "examples" / "quickstart.py"
    runs = [
        subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path,
            timeout=120,
        )
        for _ in range(2)
    ]
    assert [r.returncode for r in runs] == [0, 0], runs[1].stderr
    # Seeded sampling on a fresh store: the same story both times.
    assert runs[0].stdout == runs[1].stdout


@pytest.mark.parametrize("page", ["docs/index.md", "docs/guide.md"])
def test_documentation_examples_run(page: str, tmp_path: Path) -> None:
    # The page's Python blocks run in order in one interpreter, as a reader would paste them.
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(), flags=re.S)
    assert blocks, f"{page} has no Python example"
    code = "\n".join(blocks) + "\nprint('all examples ran')\n"
    out = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=240,
    )
    assert out.returncode == 0, f"{page}:\n{out.stdout}\n{out.stderr}"
    assert out.stdout.rstrip().endswith("all examples ran")

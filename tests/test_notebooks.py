"""The teaching notebooks run under ``pytest --nbval-lax`` and their check cells are compared.

nbval executes every cell in a real kernel; in ``--nbval-lax`` mode it compares only the
outputs of cells marked ``NBVAL_CHECK_OUTPUT``. The quickstart's last cell is one: it prints
the number of finished trials, that the warm-started study inherited trials, and that every
trial sampled after a narrowing lies inside its new range. Each teaching notebook
(``notebooks/02_*`` onwards) has one too, stating the facts its "claim, and what we measured"
cell relies on.

The teaching notebooks run two at a time (one kernel per core on CI's two cores), which halves
their wall time; ``tests/notebook/test_colab_stack.py`` runs them again on Colab's stack.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "notebooks" / "01_quickstart.ipynb"
CHECK = "# NBVAL_CHECK_OUTPUT"
#: The teaching notebooks after the quickstart, in their order.
TEACHING = sorted(p for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if p != QUICKSTART)
DATA = ROOT / "notebooks" / "data"
SCRIPT = "python notebooks/scripts/make_results.py"


def _nbval(path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable, "-m", "pytest", "--nbval-lax", str(path), "-p", "no:cacheprovider",
            "-q", "--nbval-cell-timeout=120", "-o", "addopts=",
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )  # fmt: skip


def _code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_quickstart_is_committed_clean_with_one_checked_cell() -> None:
    nb = nbformat.read(QUICKSTART, as_version=4)
    nbformat.validate(nb)
    cells = _code_cells(nb)
    *others, check = cells
    # Only the check cell carries outputs: its expected text, which nbval compares.
    assert all(not c.outputs and c.execution_count is None for c in others)
    assert check.source.startswith(CHECK)
    assert check.outputs and check.execution_count is not None
    assert sum(CHECK in c.source for c in cells) == 1
    expected = "".join(o.text for o in check.outputs)
    assert "complete trials in svc: 30" in expected
    assert "svc2 inherited trials from svc: True" in expected
    assert "all inside gamma in [1e-4, 1e-2]: True" in expected
    # Live cells (the panel, timings) are marked so their output is never compared.
    hpo_cells = [c for c in cells if c.source.startswith("%%hpo") or "%hpo wait" in c.source]
    assert hpo_cells
    assert all("nbval-ignore-output" in c.metadata.get("tags", []) for c in hpo_cells)
    sources = "\n".join(c.source for c in cells)
    for needed in ("%load_ext hpo_lab", "%hpo narrow", "%hpo warm", "--trials"):
        assert needed in sources


def test_quickstart_colab_cell_installs_only_on_colab_without_dependencies() -> None:
    nb = nbformat.read(QUICKSTART, as_version=4)
    first = _code_cells(nb)[0].source
    assert 'if "google.colab" in sys.modules:' in first
    (install,) = re.findall(r"'install [^']*'", first)
    # --no-deps: Colab's IPython, ipykernel, ipywidgets and plotly must not move.
    assert "--no-deps" in install
    assert "-U" not in install.split() and "--upgrade" not in install


@pytest.mark.slow
def test_quickstart_runs_under_nbval() -> None:
    n_cells = len(_code_cells(nbformat.read(QUICKSTART, as_version=4)))
    out = _nbval(QUICKSTART, ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(rf"\b{n_cells} passed\b", out.stdout), out.stdout


def test_nbval_fails_when_a_check_output_changes(tmp_path: Path) -> None:
    # The same settings on a small notebook whose checked cell expects the wrong line: it must
    # fail, naming both lines. With the quickstart passing above, this shows that its check
    # cell is compared, not only executed (a cheaper proof than running it twice).
    cells = [
        nbformat.v4.new_code_cell("answer = 6 * 7", metadata={"tags": ["nbval-ignore-output"]}),
        nbformat.v4.new_code_cell(
            f"{CHECK}\nprint('complete trials:', answer)",
            execution_count=1,
            outputs=[nbformat.v4.new_output("stream", name="stdout", text="complete trials: 41\n")],
        ),
    ]
    changed = tmp_path / "changed.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), changed)
    out = _nbval(changed, tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert re.search(r"\b1 failed, 1 passed\b", out.stdout), out.stdout
    assert "complete trials: 42" in out.stdout
    assert "complete trials: 41" in out.stdout


# -- the teaching notebooks -----------------------------------------------------------------------
def run_notebooks(
    python: str | Path,
    notebooks: Sequence[Path],
    cwd: Path,
    env: dict[str, str] | None = None,
    jobs: int = 2,
    timeout: float = 1500,
) -> list[tuple[list[Path], subprocess.CompletedProcess[str], float]]:
    """Run ``notebooks`` under ``python -m pytest --nbval-lax`` in ``jobs`` pytest processes at
    once, each taking every ``jobs``-th notebook (one kernel per process at a time, so one
    per core on CI); return each group, its completed process and its wall seconds. One pytest
    per group pays pytest's start-up once per group instead of once per notebook. Used here and
    by the Colab-stack test."""

    def one(group: list[Path]) -> tuple[list[Path], subprocess.CompletedProcess[str], float]:
        start = time.monotonic()
        out = subprocess.run(
            [
                str(python), "-m", "pytest", "--nbval-lax", *map(str, group),
                "-p", "no:cacheprovider", "-q", "--nbval-cell-timeout=300", "-o", "addopts=",
            ],
            capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout,
        )  # fmt: skip
        return group, out, time.monotonic() - start

    groups = [list(notebooks[i::jobs]) for i in range(jobs)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, [g for g in groups if g]))


def check_runs(results: list[tuple[list[Path], subprocess.CompletedProcess[str], float]]) -> None:
    """Every group passed with one test per code cell of its notebooks; print the times."""
    failed = []
    for group, out, seconds in results:
        names = ", ".join(p.stem[:2] for p in group)
        n_cells = sum(len(_code_cells(nbformat.read(p, as_version=4))) for p in group)
        print(f"notebooks {names}: {seconds:.1f} s, exit {out.returncode}")
        if out.returncode != 0 or not re.search(rf"\b{n_cells} passed\b", out.stdout):
            failed.append(f"notebooks {names}:\n{(out.stdout + out.stderr)[-6000:]}")
    assert not failed, "\n\n".join(failed)


def test_there_are_teaching_notebooks_and_the_readme_lists_them_in_order() -> None:
    assert len(TEACHING) >= 8, [p.name for p in TEACHING]
    readme = (ROOT / "notebooks" / "README.md").read_text()
    positions = [readme.find(p.name) for p in [QUICKSTART, *TEACHING]]
    assert all(p >= 0 for p in positions), [p.name for p in TEACHING]
    assert positions == sorted(positions)


@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.stem)
def test_teaching_notebook_is_committed_clean_and_complete(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    cells = _code_cells(nb)
    checks = [c for c in cells if c.source.startswith(CHECK)]
    # Only the check cells carry outputs: their expected text, which nbval compares.
    assert checks and all(c.outputs and c.execution_count is not None for c in checks)
    assert all(not c.outputs and c.execution_count is None for c in cells if c not in checks)
    # Live cells (panels, waits) and the exercises' check cells are never compared.
    for c in cells:
        live = c.source.startswith("%%hpo") or "%hpo wait" in c.source or "panel(" in c.source
        if live or "Exercise" in c.source:
            assert "nbval-ignore-output" in c.metadata.get("tags", []), c.source[:80]
    text = "\n".join(c.source for c in nb.cells)
    # Badges at the top, pointing at this notebook.
    top = nb.cells[0].source
    colab = "colab.research.google.com/github/hpo-lab/hpo_lab/blob/main/notebooks/"
    assert f"{colab}{path.name}" in top
    assert f"mybinder.org/v2/gh/hpo-lab/hpo_lab/HEAD?labpath=notebooks%2F{path.name}" in top
    assert "## The claim, and what we measured" in text
    assert "## Exercises" in text and any("Exercise 1" in c.source for c in cells)
    # The first code cell installs only on Colab, without dependencies, never upgrading.
    first = cells[0].source
    assert 'if "google.colab" in sys.modules:' in first
    installs = re.findall(r"'install [^']*'", first)
    assert len(installs) == 1 and "--no-deps" in installs[0]
    assert "-U" not in installs[0].split() and "--upgrade" not in installs[0]
    # A results file it loads exists and the notebook says how to regenerate it.
    for name in re.findall(r'DATA / "([^"]+)"', text):
        assert (DATA / name).is_file(), name
        command = json.loads((DATA / name).read_text())["command"]
        assert command.startswith(SCRIPT) and command in text, command


def test_results_files_name_the_task_that_wrote_them() -> None:
    script = (ROOT / "notebooks" / "scripts" / "make_results.py").read_text()
    files = sorted(DATA.glob("*.json"))
    assert files
    for path in files:
        data = json.loads(path.read_text())
        task = data["command"].removeprefix(SCRIPT).strip()
        assert f'"{task}": ' in script, (path.name, task)
        assert data["machine"]["cores"] and data["machine"]["date"]


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_teaching_notebooks_run_under_nbval() -> None:
    env = {k: v for k, v in os.environ.items() if k != "HPO_LAB_STORAGE"}
    check_runs(run_notebooks(sys.executable, TEACHING, ROOT, env=env))

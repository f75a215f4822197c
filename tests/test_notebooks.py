"""The teaching notebooks run under ``pytest --nbval-lax`` and their check cells are compared.

nbval executes every cell in a real kernel; in ``--nbval-lax`` mode it compares only the
outputs of cells marked ``NBVAL_CHECK_OUTPUT``. The quickstart's last cell is one: it prints
the number of finished trials, that the warm-started study inherited trials, and that every
trial sampled after a narrowing lies inside its new range.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "notebooks" / "01_quickstart.ipynb"
CHECK = "# NBVAL_CHECK_OUTPUT"


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

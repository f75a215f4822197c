"""The documentation site builds with warnings as errors, and its pages' examples run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "WARNING" not in out.stderr, out.stderr
    # The guide pages, the notebooks (rendered from their stored outputs), the benchmark
    # results from outside docs/, and an API page per public module, from the docstrings.
    for page in ("guide", "optuna", "terminator", "cli", "benchmarks/RESULTS"):
        assert (site / page / "index.html").is_file(), page
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        assert (site / "notebooks" / notebook.stem / "index.html").is_file(), notebook
    api = (site / "api" / "hpo_lab.terminator" / "index.html").read_text()
    assert 'id="hpo_lab.terminator.TerminatorCallback"' in api
    assert "room for improvement" in api  # a docstring, rendered
    assert (site / "api" / "hpo_lab.optuna" / "index.html").is_file()
    benchmarks = (site / "benchmarks" / "index.html").read_text()
    assert 'href="RESULTS/' in benchmarks  # ../benchmarks/RESULTS.md, pointed into the site


@pytest.mark.parametrize("page", ["docs/optuna.md", "docs/terminator.md"])
def test_page_examples_run(page: str, tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / page).read_text(), flags=re.S)
    assert blocks, f"{page} has no Python example"
    code = "\n".join(blocks) + "\nprint('all examples ran')\n"
    out = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", code],
        capture_output=True, text=True, cwd=tmp_path, timeout=300,
    )
    assert out.returncode == 0, f"{page}:\n{out.stdout}\n{out.stderr}"
    assert out.stdout.rstrip().endswith("all examples ran")


def test_the_cli_page_names_every_command() -> None:
    from click.testing import CliRunner

    from hpo_lab.cli._commands import cli

    text = (ROOT / "docs" / "cli.md").read_text()
    documented = set(re.findall(r"^hpo-lab ([a-z-]+)", text, flags=re.M))
    result = CliRunner().invoke(cli, ["--help"])
    listing = result.output.split("Commands:", 1)[1]
    commands = set(re.findall(r"^  ([a-z-]+)\s{2,}", listing, flags=re.M))
    assert documented == commands

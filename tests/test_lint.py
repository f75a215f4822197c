"""Ruff and mypy run inside the test suite, so the README's one test command covers lint too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    # The tools of this interpreter's environment, configured by pyproject.toml.
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, cwd=ROOT, timeout=600
    )


def test_ruff() -> None:
    out = _run("ruff", "check", "--no-cache", ".")
    assert out.returncode == 0, f"ruff check . failed:\n{out.stdout}{out.stderr}"


@pytest.mark.slow
def test_mypy() -> None:
    out = _run("mypy")
    assert out.returncode == 0, f"mypy failed:\n{out.stdout}{out.stderr}"

"""The headless panel tests and the notebooks, run again in a virtual environment pinned to
Colab's stack.

Colab ships ipywidgets 7.7, ipykernel 6.17, IPython 7.34 and plotly 5.24 (its published pip
freeze); installing hpo_lab there must not move them, and the panel must work with them. This
test builds that environment once (cached under ``$HPO_LAB_TEST_ENV_CACHE``, by default
``~/.cache/hpo_lab/test-envs``, keyed by the pins and the Python version), installs this
checkout into it without dependencies, checks that the pinned versions are the ones imported,
and runs ``tests/notebook/test_panel.py`` there. It then runs every notebook of ``notebooks/``
under nbval in that environment (the kernel is its IPython 7.34 and ipykernel 6.17, with
ipywidgets 7.7 and plotly 5.24), two at a time, comparing the checked cells as
``tests/test_notebooks.py`` does.

Colab runs Python 3.13; this environment uses the interpreter running the tests.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: Colab's versions (pip freeze of August 2026) of what the panel touches.
PINS = {
    "ipywidgets": "7.7.1",
    "ipykernel": "6.17.1",
    "ipython": "7.34.0",
    "plotly": "5.24.1",
    "anywidget": "0.9.21",
    "numpy": "2.1.3",
    "pandas": "2.2.3",
    "scipy": "1.16.3",
}
#: hpo_lab's other core dependency and what the tests need; resolved under the pins.
EXTRA = ["threadpoolctl>=3.1", "pytest>=8", "pytest-timeout>=2.3", "hypothesis>=6.100"]
#: What the teaching notebooks import beyond the pins, all preinstalled on Colab (whose own
#: versions are not pinned here: they are resolved under the pins), and nbval to run them.
#: torch is pinned to the version the project's other extras pin (its CPU wheel).
NOTEBOOK_EXTRA = [
    "scikit-learn>=1.3",
    "torch==2.13.0",
    "dask[distributed]>=2024.1",
    "loky>=3.4",
    "cloudpickle>=2.2",
    "nbval>=0.11",
]

_IMPORT_NAMES = {"ipython": "IPython"}


def _python(env_dir: Path) -> Path:
    return env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _env() -> dict[str, str]:
    drop = ("PYTHONPATH", "VIRTUAL_ENV", "HPO_LAB_FIGURES", "HPO_LAB_STORAGE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(
    args: list[str], timeout: float, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def _colab_env() -> Path:
    key_text = json.dumps([PINS, EXTRA, sys.version_info[:2]], sort_keys=True)
    key = hashlib.sha256(key_text.encode()).hexdigest()[:12]
    root = Path(
        os.environ.get("HPO_LAB_TEST_ENV_CACHE") or Path.home() / ".cache/hpo_lab/test-envs"
    )
    final = root / f"colab-{key}"
    if (final / "ready").exists():
        return final
    root.mkdir(parents=True, exist_ok=True)
    building = root / f"colab-{key}.building-{uuid.uuid4().hex[:8]}"
    try:
        out = _run([sys.executable, "-m", "venv", str(building)], timeout=300)
        assert out.returncode == 0, f"venv failed:\n{out.stdout}{out.stderr}"
        constraints = building / "constraints.txt"
        constraints.write_text("".join(f"{n}=={v}\n" for n, v in PINS.items()))
        # One pip command, the pins as constraints too: nothing may move them.
        pip = [str(_python(building)), "-m", "pip", "install", "-q", "-c", str(constraints)]
        pins = [f"{n}=={v}" for n, v in PINS.items()]
        out = _run(
            [*pip, *pins, *EXTRA],
            timeout=900,
        )
        assert out.returncode == 0, f"installing Colab's stack failed:\n{out.stdout}{out.stderr}"
        (building / "ready").write_text("ok\n")
        try:
            building.rename(final)
        except OSError:  # another run built it meanwhile: use theirs
            if not (final / "ready").exists():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return final


def _colab_notebook_env() -> Path:
    """The Colab environment plus what the notebooks import (``NOTEBOOK_EXTRA``), installed
    once into it under the same pins, so the panel tests' environment is built only once."""
    env_dir = _colab_env()
    key = hashlib.sha256(json.dumps(NOTEBOOK_EXTRA).encode()).hexdigest()[:12]
    marker = env_dir / f"notebooks-ready-{key}"
    if not marker.exists():
        pip = [str(_python(env_dir)), "-m", "pip", "install", "-q"]
        out = _run([*pip, "-c", str(env_dir / "constraints.txt"), *NOTEBOOK_EXTRA], timeout=1200)
        failed = f"installing the notebooks' needs failed:\n{out.stdout}{out.stderr}"
        assert out.returncode == 0, failed
        marker.write_text("ok\n")
    return env_dir


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_panel_tests_pass_on_colabs_stack() -> None:
    env_dir = _colab_env()
    python = str(_python(env_dir))
    out = _run([python, "-m", "pip", "install", "-q", "--no-deps", "-e", str(REPO)], timeout=300)
    assert out.returncode == 0, f"installing hpo_lab failed:\n{out.stdout}{out.stderr}"

    probe = (
        "import importlib, json, hpo_lab\n"
        f"names = {json.dumps({n: _IMPORT_NAMES.get(n, n) for n in PINS})}\n"
        "print(json.dumps({'hpo_lab': hpo_lab.__file__, **{d: importlib.import_module(m)"
        ".__version__ for d, m in names.items()}}))\n"
    )
    out = _run([python, "-c", probe], timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert Path(seen.pop("hpo_lab")).resolve().is_relative_to(REPO / "hpo_lab")
    assert seen == PINS

    out = _run(
        [
            python,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/notebook/test_panel.py",
        ],
        timeout=900,
        cwd=REPO,
    )
    tail = (out.stdout + out.stderr)[-6000:]
    assert out.returncode == 0, f"the panel tests failed on Colab's stack:\n{tail}"
    assert " passed" in out.stdout and "skipped" not in out.stdout, tail


@pytest.mark.slow
@pytest.mark.timeout(2400)
def test_notebooks_run_on_colabs_stack() -> None:
    env_dir = _colab_notebook_env()
    python = _python(env_dir)
    out = _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "-e", str(REPO)], 300)
    assert out.returncode == 0, f"installing hpo_lab failed:\n{out.stdout}{out.stderr}"
    # The notebook runner and its checks are tests/test_notebooks.py's.
    spec = importlib.util.spec_from_file_location("_nb_tests", REPO / "tests/test_notebooks.py")
    assert spec is not None and spec.loader is not None
    helpers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(helpers)
    notebooks = [helpers.QUICKSTART, *helpers.TEACHING]
    helpers.check_runs(helpers.run_notebooks(python, notebooks, REPO, env=_env()))

"""Packaging rules: a light import, the version, py.typed, extras, docstrings, README = CI."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import subprocess
import sys
import types
import zipfile
from pathlib import Path
from typing import Any

import pytest

import hpo_lab

ROOT = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # the dev extra installs tomli there
    import tomli as tomllib

HEAVY_MODULES = (
    "IPython",
    "ipywidgets",
    "plotly",
    "dask",
    "distributed",
    "matplotlib",
    "sklearn",
    "optuna",
    "torch",
    "loky",
    "anywidget",
)


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_import_hpo_lab_stays_light() -> None:
    code = (
        "import json, sys\n"
        "import hpo_lab\n"
        "study = hpo_lab.create_study()\n"
        "study.optimize(lambda t: t.suggest_float('x', 0, 1), n_trials=3)\n"
        f"print(json.dumps(sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [], f"`import hpo_lab` imported heavy optional modules: {loaded}"


def test_version_matches_pyproject_and_metadata() -> None:
    from importlib.metadata import version

    declared = _pyproject()["project"]["version"]
    assert hpo_lab.__version__ == declared
    assert version("hpo_lab") == declared


def test_pyproject_declares_core_and_extras() -> None:
    project = _pyproject()["project"]
    assert project["name"] == "hpo_lab"
    assert project["requires-python"] == ">=3.10"
    core = {re.split(r"[<>=!\[ ;]", d, maxsplit=1)[0] for d in project["dependencies"]}
    assert core == {"numpy", "scipy", "pandas", "threadpoolctl"}
    extras = project["optional-dependencies"]
    assert {"notebook", "process", "dask", "viz", "dev", "benchmarks", "all"} <= set(extras)

    def names(extra: str) -> set[str]:
        return {re.split(r"[<>=!\[ ;]", d, maxsplit=1)[0].lower() for d in extras[extra]}

    assert {"ipython", "ipywidgets", "plotly", "anywidget", "ipykernel"} <= names("notebook")
    (ipykernel,) = (d for d in extras["notebook"] if d.startswith("ipykernel"))
    assert "!=7.0.0" in ipykernel
    assert "!=7.0.1" in ipykernel
    assert {"loky", "cloudpickle"} <= names("process")
    assert "dask" in names("dask")
    assert "plotly" in names("viz")
    dev = names("dev")
    assert {
        "pytest",
        "pytest-timeout",
        "hypothesis",
        "ruff",
        "mypy",
        "pandas-stubs",
        "optuna",
        "hyperopt",
        "plotly",
        "kaleido",
        "loky",
        "cloudpickle",
        "dask",
        "scikit-learn",
    } <= dev
    # Any torch other than this exact pin resolves to gigabytes of CUDA wheels: every extra
    # that brings torch (the training-framework tests in dev included) pins it.
    for extra in ("benchmarks", "dev", "torch", "lightning", "keras"):
        (torch,) = (d for d in extras[extra] if d.startswith("torch"))
        assert torch == "torch==2.13.0", extra


def test_py_typed_is_declared() -> None:
    assert (ROOT / "hpo_lab" / "py.typed").is_file()
    assert "py.typed" in _pyproject()["tool"]["setuptools"]["package-data"]["hpo_lab"]


@pytest.mark.slow
def test_wheel_ships_py_typed_and_metadata(tmp_path: Path) -> None:
    # Built from a copy, so the checkout gets no build/ or egg-info litter.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        (src / name).write_bytes((ROOT / name).read_bytes())
    import shutil

    shutil.copytree(ROOT / "hpo_lab", src / "hpo_lab", ignore=shutil.ignore_patterns("__pycache__"))
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            str(src),
            "-w",
            str(tmp_path / "dist"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    (wheel,) = (tmp_path / "dist").glob("hpo_lab-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert "hpo_lab/py.typed" in names
    assert "hpo_lab/__init__.py" in names
    assert not any(n.startswith(("tests/", "benchmarks/", "examples/")) for n in names)
    assert f"Version: {hpo_lab.__version__}" in metadata
    assert 'Requires-Dist: torch==2.13.0; extra == "benchmarks"' in metadata


def _public_modules() -> list[types.ModuleType]:
    modules = [hpo_lab]
    for info in pkgutil.walk_packages(hpo_lab.__path__, prefix="hpo_lab."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def _documented(obj: Any) -> bool:
    # Classes and functions must carry their own docstring; inherited ones do not count.
    doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else inspect.getdoc(obj)
    return bool(doc and doc.strip())


def _isort_style(name: str) -> tuple[int, str]:
    # The order ruff's RUF022 keeps __all__ in: CONSTANTS, then Classes, then the rest.
    if name.isupper() and len(name) > 1:
        return 0, name
    return (1 if name[:1].isupper() else 2), name


def test_every_public_name_exists_and_is_documented() -> None:
    problems: list[str] = []
    modules = _public_modules()
    assert len(modules) > 5, [m.__name__ for m in modules]
    for module in modules:
        exported = getattr(module, "__all__", None)
        if not _documented(module):
            problems.append(f"module {module.__name__} has no docstring")
        if exported is None:
            continue
        if list(exported) != sorted(exported, key=_isort_style):
            problems.append(f"{module.__name__}.__all__ is not sorted")
        for name in exported:
            if not hasattr(module, name):
                problems.append(f"{module.__name__}.__all__ names {name!r}, which does not exist")
                continue
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.ismodule(obj)) and (
                not _documented(obj)
            ):
                problems.append(f"{module.__name__}.{name} has no docstring")
    assert not problems, "\n".join(problems)


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [line.strip() for b in blocks for line in b.splitlines() if line.strip()]


def _ci_commands() -> list[str]:
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme_tests = [c for c in _readme_commands() if "pytest" in c]
    assert len(readme_tests) == 1, readme_tests
    (command,) = readme_tests
    assert "venv" in command
    assert '".[dev]"' in command
    ci = _ci_commands()
    assert ci.count(command) == 1, f"{command!r} not found once in .ci/run"
    # The last command's status is the script's status: a failing test fails CI.
    assert ci[-1] == command
    assert ci[0] == "set -euo pipefail"


MAIN_COMMAND = (
    'python3 -m venv --clear .venv && . .venv/bin/activate && pip install -e ".[lab]" && '
    "jupyter lab notebooks/01_quickstart.ipynb"
)


def test_readme_main_command_opens_the_quickstart_notebook_in_jupyterlab() -> None:
    commands = _readme_commands()
    # The first command of the README is the one to try first.
    assert commands[0] == MAIN_COMMAND
    notebook = MAIN_COMMAND.rsplit("jupyter lab ", 1)[1]
    assert (ROOT / notebook).is_file()
    extras = _pyproject()["project"]["optional-dependencies"]
    lab = {re.split(r"[<>=!; ]", d, maxsplit=1)[0].lower() for d in extras["lab"]}
    # JupyterLab itself, the notebook layer (magics, panel) and what the quickstart imports.
    assert {"jupyterlab", "scikit-learn"} <= lab
    (own,) = (d for d in extras["lab"] if d.startswith("hpo_lab["))
    assert "notebook" in own


def test_readme_runs_the_script_quickstart_too() -> None:
    (script_command,) = (c for c in _readme_commands() if "examples/" in c)
    script = script_command.rsplit("python ", 1)[1]
    assert (ROOT / script).is_file()


def test_readme_badges_open_the_quickstart_of_the_declared_repository() -> None:
    text = (ROOT / "README.md").read_text()
    repo = _pyproject()["project"]["urls"]["Repository"]
    owner_name = repo.removeprefix("https://github.com/")
    binder = f"https://mybinder.org/v2/gh/{owner_name}/HEAD?labpath=notebooks%2F01_quickstart.ipynb"
    colab = (
        f"https://colab.research.google.com/github/{owner_name}/blob/main/"
        "notebooks/01_quickstart.ipynb"
    )
    assert f"]({binder})" in text
    assert f"]({colab})" in text
    assert (ROOT / "notebooks" / "01_quickstart.ipynb").is_file()
    assert "![the control panel in JupyterLab](docs/img/panel.png)" in text
    assert (ROOT / "docs" / "img" / "panel.png").stat().st_size > 10_000


def test_binder_installs_hpo_lab_with_the_lab_extra() -> None:
    binder = ROOT / "binder"
    post_build = binder / "postBuild"
    assert post_build.stat().st_mode & 0o111, "binder/postBuild is not executable"
    text = post_build.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert 'pip install --no-cache-dir -e ".[lab]"' in text
    subprocess.run(["bash", "-n", str(post_build)], check=True)
    assert "jupyterlab" in (binder / "requirements.txt").read_text()
    assert re.fullmatch(r"python-3\.\d+\n", (binder / "runtime.txt").read_text())


def test_ci_script_is_executable_bash() -> None:
    ci = ROOT / ".ci" / "run"
    assert ci.stat().st_mode & 0o111, ".ci/run is not executable"
    assert ci.read_text().startswith("#!/usr/bin/env bash\n")
    subprocess.run(["bash", "-n", str(ci)], check=True)


def test_readme_python_examples_run(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    code = "\n".join(blocks) + (
        "\nassert len(child.inherited_trials) > 0"
        "\nassert run.status.value == 'finished', run.status"
        "\nprint('trials', len(study.trials))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=240
    )
    assert out.returncode == 0, out.stdout + out.stderr
    # 50 + 50 with optimize, then a background run of 200 extended by 100.
    assert out.stdout.strip().splitlines()[-1] == "trials 400"
    assert (tmp_path / "demo.db").is_file()

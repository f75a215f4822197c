"""The ``hpo-lab`` console script, run for real in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import hpo_lab

SCRIPT = Path(sys.executable).with_name("hpo-lab")

OBJECTIVE = '''
import math

def objective(trial):
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    opt = trial.suggest_categorical("opt", ["adam", "sgd", 3])
    trial.set_user_attr("lr_x10", lr * 10)
    return (math.log10(lr) + 2.5) ** 2 + (opt == "sgd")

def helper():
    pass

if __name__ == "__main__":
    raise SystemExit("hpo-lab run imports the script; this block must not run")
'''


def hpo_lab_cmd(
    *args: str, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd, input=stdin,
        timeout=180, env={**os.environ, "COLUMNS": "120"},
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    (folder / "train.py").write_text(OBJECTIVE)
    out = hpo_lab_cmd("run", "train.py", "--storage", "runs.db", "--trials", "12", "--jobs", "2",
                      "--sampler", "random", "--seed", "0", cwd=folder)
    assert out.returncode == 0, out.stderr
    return folder


def test_help_everywhere(workdir: Path) -> None:
    commands = ["ls", "show", "best", "export", "rm", "import-optuna", "export-optuna", "run"]
    top = hpo_lab_cmd("--help", cwd=workdir)
    assert top.returncode == 0
    for name in commands:
        assert name in top.stdout
        out = hpo_lab_cmd(name, "-h", cwd=workdir)
        assert out.returncode == 0 and out.stdout.startswith(f"Usage: hpo-lab {name}")
    assert hpo_lab_cmd("--version", cwd=workdir).stdout == f"hpo-lab {hpo_lab.__version__}\n"


def test_run_then_ls_show_best(workdir: Path) -> None:
    study = hpo_lab.load_study(study_name="train", storage=str(workdir / "runs.db"))
    assert len(study.trials) == 12
    ls = hpo_lab_cmd("ls", "runs.db", cwd=workdir)
    assert ls.returncode == 0
    header, row = ls.stdout.splitlines()
    assert header.split() == ["study", "direction", "trials", "complete", "pruned", "fail",
                              "running", "best", "parent"]
    assert row.split()[:4] == ["train", "minimize", "12", "12"]
    listed = json.loads(hpo_lab_cmd("ls", "runs.db", "--json", cwd=workdir).stdout)
    assert listed[0]["best_value"] == study.best_value
    show = hpo_lab_cmd("show", "runs.db", "train", "--top", "3", cwd=workdir)
    assert show.returncode == 0
    assert "trials     12 (complete 12)" in show.stdout
    assert "lr: float [1e-05, 0.1] log" in show.stdout
    assert "opt: one of ['adam', 'sgd', 3]" in show.stdout
    assert "best 3 trials" in show.stdout
    best = json.loads(hpo_lab_cmd("best", "runs.db", "train", "--json", cwd=workdir).stdout)
    assert best == {"number": study.best_trial.number, "value": study.best_value,
                    "params": study.best_params}
    text = hpo_lab_cmd("best", "runs.db", "train", cwd=workdir).stdout
    assert text.startswith(f"trial {study.best_trial.number}: value ")


def test_a_second_run_continues_the_study_and_shows_progress(workdir: Path) -> None:
    out = hpo_lab_cmd("run", "train.py", "--storage", "runs.db", "--study", "more",
                      "--trials", "3", cwd=workdir)
    again = hpo_lab_cmd("run", "train.py", "--storage", "runs.db", "--study", "more",
                        "--trials", "2", "--no-progress", cwd=workdir)
    assert out.returncode == again.returncode == 0
    assert "3/3" in out.stderr  # the progress line (a pipe: drawn at the end)
    assert again.stderr == ""
    assert again.stdout.startswith("more: 2 trials in ")
    assert len(hpo_lab.load_study(study_name="more", storage=str(workdir / "runs.db")).trials) == 5


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_formats_hold_the_trials(workdir: Path, fmt: str) -> None:
    target = workdir / f"trials.{fmt}"
    out = hpo_lab_cmd("export", "runs.db", "train", f"--{fmt}", "-o", str(target), cwd=workdir)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == f"wrote 12 trials of 'train' to {target}"
    read = {"csv": pd.read_csv, "json": pd.read_json, "parquet": pd.read_parquet}[fmt]
    df = read(target)
    study = hpo_lab.load_study(study_name="train", storage=str(workdir / "runs.db"))
    assert list(df["number"]) == list(range(12))
    assert list(df["value"]) == pytest.approx([t.value for t in study.trials])
    assert (df["duration_seconds"] >= 0).all()
    assert {"params_lr", "params_opt", "user_attrs_lr_x10"} <= set(df.columns)


def test_export_to_standard_output_and_the_parquet_rule(workdir: Path) -> None:
    out = hpo_lab_cmd("export", "runs.db", "train", cwd=workdir)
    assert out.stdout.splitlines()[0].startswith("number,value,state,")
    assert len(out.stdout.splitlines()) == 13
    records = json.loads(hpo_lab_cmd("export", "runs.db", "train", "--json", cwd=workdir).stdout)
    assert len(records) == 12
    bad = hpo_lab_cmd("export", "runs.db", "train", "--parquet", cwd=workdir)
    assert bad.returncode == 1
    assert bad.stderr == "Error: parquet is a binary format: give a file with --output\n"


def test_missing_files_and_studies_are_one_line_and_create_nothing(workdir: Path) -> None:
    for args in (["ls", "nope.db"], ["show", "nope.db", "train"], ["best", "nope.db", "train"],
                 ["export", "nope.db", "train"], ["rm", "nope.db", "train", "--yes"]):
        out = hpo_lab_cmd(*args, cwd=workdir)
        assert out.returncode == 1, args
        assert out.stderr.startswith("Error: no SQLite file at ") and out.stderr.count("\n") == 1
        assert "nope.db" in out.stderr
    assert not (workdir / "nope.db").exists()
    out = hpo_lab_cmd("show", "runs.db", "nope", cwd=workdir)
    assert out.returncode == 1
    assert out.stderr.startswith("Error: no study named 'nope' in this storage (studies: [")
    assert out.stderr.count("\n") == 1
    (workdir / "notes.txt").write_text("not a database")
    out = hpo_lab_cmd("ls", "notes.txt", cwd=workdir)
    assert out.returncode == 1 and "is not a readable SQLite database" in out.stderr


def test_run_errors(workdir: Path) -> None:
    out = hpo_lab_cmd("run", "missing.py", "--trials", "1", cwd=workdir)
    assert out.returncode == 1 and out.stderr == "Error: no script at 'missing.py'\n"
    out = hpo_lab_cmd("run", "train.py", "--trials", "1", "--objective", "loss", cwd=workdir)
    assert out.returncode == 1
    assert out.stderr == (
        "Error: train.py defines no function 'loss' (functions: helper, objective); name the "
        "objective with --objective\n"
    )
    out = hpo_lab_cmd("run", "train.py", cwd=workdir)
    assert out.returncode == 2 and "give --trials N or --timeout SECONDS" in out.stderr
    out = hpo_lab_cmd("run", "train.py", "--trials", "1", "--sampler", "annealing", cwd=workdir)
    assert out.returncode == 2 and "'annealing' is not one of" in out.stderr


def test_an_objective_that_raises_stops_the_run_unless_told_to_keep_going(tmp_path: Path) -> None:
    (tmp_path / "flaky.py").write_text(
        "def objective(trial):\n"
        "    x = trial.suggest_float('x', 0, 1)\n"
        "    if trial.number == 1:\n"
        "        raise RuntimeError('out of memory')\n"
        "    return x\n"
    )
    out = hpo_lab_cmd("run", "flaky.py", "--storage", "f.db", "--trials", "4", "--no-progress",
                      cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr == (
        "Error: the objective raised RuntimeError: out of memory (trial 1; its traceback is "
        "stored with it); --keep-going goes on\n"
    )
    out = hpo_lab_cmd("run", "flaky.py", "--storage", "f.db", "--study", "g", "--trials", "4",
                      "--keep-going", "--no-progress", cwd=tmp_path)
    assert out.returncode == 0 and "(complete 3, fail 1)" in out.stdout


def test_rm_asks_first(workdir: Path) -> None:
    hpo_lab_cmd("run", "train.py", "--storage", "runs.db", "--study", "doomed", "--trials", "1",
                "--no-progress", cwd=workdir)
    no = hpo_lab_cmd("rm", "runs.db", "doomed", cwd=workdir, stdin="n\n")
    assert no.returncode == 1 and "Aborted!" in no.stderr
    assert "Delete study 'doomed' (1 trials, 0 artifacts) from runs.db? [y/N]" in no.stdout
    yes = hpo_lab_cmd("rm", "runs.db", "doomed", cwd=workdir, stdin="y\n")
    assert yes.returncode == 0 and "deleted study 'doomed'" in yes.stdout
    names = [s.study_name for s in hpo_lab.storages.get_storage(
        str(workdir / "runs.db")).get_all_studies()]
    assert "doomed" not in names


def test_rm_refuses_a_parent_of_other_studies(tmp_path: Path) -> None:
    path = str(tmp_path / "w.db")
    parent = hpo_lab.create_study(study_name="p", storage=path)
    parent.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    hpo_lab.create_study(study_name="c", storage=path, warm_start_from="p")
    out = hpo_lab_cmd("rm", "w.db", "p", "--yes", cwd=tmp_path)
    assert out.returncode == 1
    assert out.stderr == "Error: study 'p' is the warm-start parent of c: delete those first\n"


def test_optuna_import_and_export(tmp_path: Path) -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    theirs = optuna.create_study(study_name="o", storage=url, direction="maximize")
    theirs.optimize(lambda t: t.suggest_int("k", 0, 5), n_trials=4)
    out = hpo_lab_cmd("import-optuna", url, "ours.db", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "imported 'o' into ours.db: 4 trials\n"
    ours = hpo_lab.load_study(study_name="o", storage=str(tmp_path / "ours.db"))
    assert ours.direction == "maximize" and ours.best_value == theirs.best_value
    back = f"sqlite:///{tmp_path / 'back.db'}"
    out = hpo_lab_cmd("export-optuna", "ours.db", "o", back, "--as", "o2", cwd=tmp_path)
    assert out.returncode == 0 and out.stdout == f"exported 'o2' to {back}: 4 trials\n"
    assert len(optuna.load_study(study_name="o2", storage=back).trials) == 4
    missing = hpo_lab_cmd("import-optuna", f"sqlite:///{tmp_path / 'none.db'}", "x.db",
                          cwd=tmp_path)
    assert missing.returncode == 1 and missing.stderr.startswith("Error: no Optuna database at")
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "x.db").exists()


def test_an_objective_written_for_optuna_runs_with_as_optuna(tmp_path: Path) -> None:
    (tmp_path / "opt.py").write_text(
        "import optuna\n\n"
        "def objective(trial):\n"
        "    x = trial.suggest_float('x', 0, 1)\n"
        "    if trial.number == 0:\n"
        "        raise optuna.TrialPruned()\n"
        "    return x\n"
    )
    out = hpo_lab_cmd("run", "opt.py", "--trials", "3", "--as-optuna", "--no-progress",
                      cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "(complete 2, pruned 1)" in out.stdout


@pytest.mark.slow
def test_run_in_worker_processes(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(OBJECTIVE)
    out = hpo_lab_cmd("run", "train.py", "--storage", "p.db", "--trials", "4", "--jobs", "2",
                      "--executor", "process", "--no-progress", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "train: 4 trials in" in out.stdout


CROSSING = '''
import math
import hpo_lab

def objective(trial):
    u = trial.suggest_float("u", 0.0, 1.0)  # large u learns fast, small u ends best
    for step in range(1, 28):
        value = u + (1.0 - 2.0 * u) * math.exp(-step / 3.0)
        trial.report(value, step)
        if trial.should_prune():
            raise hpo_lab.TrialPruned()
    return value
'''


def test_run_prunes_with_the_rank_check_unless_a_pruner_is_named(tmp_path: Path) -> None:
    (tmp_path / "cross.py").write_text(CROSSING)
    for study, named in [("default", []), ("plain", ["--pruner", "hyperband"])]:
        out = hpo_lab_cmd("run", "cross.py", "--storage", "c.db", "--study", study, "--trials",
                          "60", "--sampler", "random", "--seed", "0", "--no-progress", *named,
                          cwd=tmp_path)
        assert out.returncode == 0, out.stderr
    stored = {
        name: hpo_lab.load_study(study_name=name, storage=str(tmp_path / "c.db")).system_attrs
        for name in ("default", "plain")
    }
    assert stored["default"]["pruner:rank_check"]["relaxed"]["1"]["rho"] < 0
    assert "pruner:rank_check" not in stored["plain"]
    helptext = hpo_lab_cmd("run", "--help", cwd=tmp_path).stdout
    assert "hyperband with rank_check=True" in " ".join(helptext.split())

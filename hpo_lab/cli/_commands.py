"""The ``hpo-lab`` commands (click). Each reads a store through the public API only."""

from __future__ import annotations

import datetime
import json
import math
import os
import runpy
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

import hpo_lab
from hpo_lab.pruners import DEFAULT_PRUNER, PRUNER_NAMES, default_pruner, make_pruner
from hpo_lab.samplers import SAMPLER_NAMES, make_sampler
from hpo_lab.storages import BaseStorage, StorageError, StudyNotFoundError, get_storage
from hpo_lab.study import Study
from hpo_lab.trial import FrozenTrial, TrialState

__all__ = ["cli"]

_STATES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Turn the errors a user causes (a wrong path, name or value) into one line and exit 1."""
    try:
        yield
    except (StorageError, StudyNotFoundError, FileNotFoundError, ValueError, ImportError) as exc:
        raise click.ClickException(str(exc).splitlines()[0] if str(exc) else repr(exc)) from None


def _store(storage: str) -> BaseStorage:
    if storage in (":memory:", "sqlite:///:memory:"):
        raise click.ClickException(f"{storage!r} is an empty in-memory store: give a SQLite file")
    return get_storage(storage, create=False)


def _load(storage: str, study: str) -> Study:
    return hpo_lab.load_study(study_name=study, storage=_store(storage))


def _format_value(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def _counts(trials: list[FrozenTrial]) -> dict[str, int]:
    counts = dict.fromkeys(_STATES, 0)
    for t in trials:
        counts[t.state.value] += 1
    return counts


def _best(trials: list[FrozenTrial], direction: str) -> FrozenTrial | None:
    complete = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
    if not complete:
        return None
    pick = max if direction == "maximize" else min
    return pick(complete, key=lambda t: float(t.value))  # type: ignore[arg-type]


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip()
             for row in [header, *rows]]
    return "\n".join(lines)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(hpo_lab.__version__, prog_name="hpo-lab", message="%(prog)s %(version)s")
def cli() -> None:
    """Look at, export, import, delete and run hpo_lab studies.

    STORAGE is a SQLite file (a path or sqlite:///path) written by hpo_lab. Commands that read
    a store never create one.
    """


@cli.command("ls")
@click.argument("storage")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def ls_command(storage: str, as_json: bool) -> None:
    """List the studies in STORAGE.

    For each: its direction, its trials by state, its best value and its warm-start parent.
    """
    with _one_line_errors():
        store = _store(storage)
        rows: list[dict[str, Any]] = []
        for info in store.get_all_studies():
            trials = store.get_all_trials(info.study_id)
            best = _best(trials, info.direction)
            parent = (
                store.get_study_info(info.parent_id).study_name
                if info.parent_id is not None else None
            )
            rows.append({
                "study": info.study_name,
                "direction": info.direction,
                "trials": len(trials),
                **{s.lower(): n for s, n in _counts(trials).items()},
                "best_value": best.value if best is not None else None,
                "parent": parent,
                "created": info.datetime_created,
            })
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        click.echo(f"no studies in {storage}")
        return
    click.echo(_table(
        [[r["study"], r["direction"], str(r["trials"]), str(r["complete"]), str(r["pruned"]),
          str(r["fail"]), str(r["running"]), _format_value(r["best_value"]), r["parent"] or "-"]
         for r in rows],
        ["study", "direction", "trials", "complete", "pruned", "fail", "running", "best",
         "parent"],
    ))


def _describe(d: Any) -> str:
    if hasattr(d, "choices"):
        return f"one of {list(d.choices)!r}"
    kind = "int" if type(d).__name__ == "IntDistribution" else "float"
    extra = (" log" if d.log else "") + (f" step {d.step}" if d.step not in (None, 1) else "")
    return f"{kind} [{d.low}, {d.high}]{extra}"


@cli.command("show")
@click.argument("storage")
@click.argument("study")
@click.option("--top", default=5, show_default=True, type=click.IntRange(min=0),
              help="How many of the best trials to list.")
def show_command(storage: str, study: str, top: int) -> None:
    """Summarise STUDY and list its best trials.

    Trials by state, the best value, the search space (narrowed ranges marked), the
    warm-start parent, attributes and artifacts.
    """
    with _one_line_errors():
        s = _load(storage, study)
        trials = s.trials
        counts = _counts(trials)
        best = _best(trials, s.direction)
        lines = [
            ("study", s.study_name),
            ("direction", str(s.direction)),
            ("trials", f"{len(trials)} (" + ", ".join(
                f"{k.lower()} {v}" for k, v in counts.items() if v) + ")" if trials else "0"),
            ("best", "-" if best is None else
             f"{_format_value(best.value)} (trial {best.number}) {best.params}"),
        ]
        if s.parent is not None:
            lines.append(("parent", f"{s.parent.study_name} (warm start, "
                                    f"{len(s.inherited_trials)} inherited trials)"))
        revision = s.search_space_history[-1]
        for i, (name, d) in enumerate(sorted(s.search_space.items())):
            note = " (narrowed)" if name in revision.constraints else ""
            lines.append(("space" if i == 0 else "", f"{name}: {_describe(d)}{note}"))
        if len(s.search_space_history) > 1:
            lines.append(("revisions", str(len(s.search_space_history))))
        if s.user_attrs:
            lines.append(("user attrs", json.dumps(s.user_attrs, default=str)))
        artifacts = s.artifacts.list()
        if artifacts:
            size = sum(a.size for a in artifacts)
            lines.append(("artifacts", f"{len(artifacts)} files, {size} bytes"))
        width = max(len(k) for k, _ in lines)
        for key, value in lines:
            click.echo(f"{key.ljust(width)}  {value}")
        ranked = sorted(
            (t for t in trials if t.state == TrialState.COMPLETE and t.value is not None),
            key=lambda t: float(t.value),  # type: ignore[arg-type]
            reverse=s.direction == "maximize",
        )[:top]
        if ranked:
            names = sorted({n for t in ranked for n in t.params})
            click.echo(f"\nbest {len(ranked)} trials")
            click.echo(_table(
                [[str(t.number), _format_value(t.value),
                  *[f"{t.params[n]:.6g}" if isinstance(t.params.get(n), float)
                    else str(t.params.get(n, "-")) for n in names],
                  f"{t.duration.total_seconds():.2f}s" if t.duration else "-"]
                 for t in ranked],
                ["number", "value", *names, "duration"],
            ))


@cli.command("best")
@click.argument("storage")
@click.argument("study")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (number, value, params).")
def best_command(storage: str, study: str, as_json: bool) -> None:
    """Print the best trial of STUDY in STORAGE."""
    with _one_line_errors():
        s = _load(storage, study)
        best = _best(s.trials, s.direction)
        if best is None:
            raise ValueError(f"study {study!r} has no COMPLETE trial yet")
    if as_json:
        _echo_json({"number": best.number, "value": best.value, "params": best.params})
        return
    click.echo(f"trial {best.number}: value {best.value!r}")
    for name, value in best.params.items():
        click.echo(f"  {name} = {value!r}")


def _seconds_columns(df: Any) -> Any:
    # Exports are for other tools: a duration is a number of seconds.
    if "duration" in df.columns:
        df = df.assign(duration=df["duration"].dt.total_seconds()).rename(
            columns={"duration": "duration_seconds"}
        )
    return df


def _parquet_safe(df: Any) -> Any:
    # Parquet columns have one type: a column mixing types (a categorical parameter of
    # strings and numbers, dict-valued attributes) is written as JSON text.
    out = df.copy()
    for column in out.columns:
        if out[column].dtype != object:
            continue
        kinds = {type(v) for v in out[column] if v is not None and not (
            isinstance(v, float) and math.isnan(v))}
        if len(kinds) > 1 or kinds & {dict, list, tuple}:
            out[column] = [None if v is None else json.dumps(v, default=str)
                           for v in out[column]]
    return out


@cli.command("export")
@click.argument("storage")
@click.argument("study")
@click.option("--csv", "fmt", flag_value="csv", default=True, help="CSV (the default).")
@click.option("--json", "fmt", flag_value="json", help="JSON: a list of trial records.")
@click.option("--parquet", "fmt", flag_value="parquet", help="Parquet (needs pyarrow).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (default: standard output; parquet needs a file).")
@click.option("--inherited", is_flag=True, help="Include inherited (warm-start) trials.")
def export_command(
    storage: str, study: str, fmt: str, output: str | None, inherited: bool
) -> None:
    """Write the trials of STUDY as CSV, JSON or Parquet.

    One row per trial: number, value, state, times (duration in seconds), params_* and
    user_attrs_* columns.
    """
    with _one_line_errors():
        s = _load(storage, study)
        df = _seconds_columns(s.trials_dataframe(include_inherited=inherited))
        if fmt == "parquet":
            if output is None:
                raise ValueError("parquet is a binary format: give a file with --output")
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise ImportError(
                    "--parquet needs pyarrow: pip install 'hpo_lab[parquet]'"
                ) from None
            _parquet_safe(df).to_parquet(output, index=False)
        elif fmt == "json":
            text = df.to_json(orient="records", date_format="iso", indent=2)
            _write_text(text, output)
        else:
            _write_text(df.to_csv(index=False), output)
    if output is not None:
        click.echo(f"wrote {len(df)} trials of {study!r} to {output}", err=True)


def _write_text(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
    else:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)


@cli.command("rm")
@click.argument("storage")
@click.argument("study")
@click.option("-y", "--yes", is_flag=True, help="Delete without asking.")
def rm_command(storage: str, study: str, yes: bool) -> None:
    """Delete STUDY (asks first).

    Its trials and its artifact folder go too.
    """
    with _one_line_errors():
        store = _store(storage)
        s = hpo_lab.load_study(study_name=study, storage=store)
        study_id = store.get_study_id(study)
        children = [i.study_name for i in store.get_all_studies() if i.parent_id == study_id]
        if children:
            raise ValueError(
                f"study {study!r} is the warm-start parent of {', '.join(children)}: delete "
                "those first"
            )
        n_artifacts = len(s.artifacts.list())
    what = f"study {study!r} ({len(s.trials)} trials, {n_artifacts} artifacts) from {storage}"
    if not yes:
        click.confirm(f"Delete {what}?", abort=True)
    store.delete_study(study_id)
    click.echo(f"deleted {what}")


@cli.command("import-optuna")
@click.argument("optuna_storage")
@click.argument("storage")
@click.option("--study", "study_name", help="The Optuna study (needed if there are several).")
@click.option("--as", "to_name", help="Name of the new hpo_lab study (default: the same).")
def import_optuna_command(
    optuna_storage: str, storage: str, study_name: str | None, to_name: str | None
) -> None:
    """Copy a study from an Optuna storage into STORAGE.

    OPTUNA_STORAGE is an Optuna storage URL (sqlite:///optuna.db). The trials keep their
    values, parameters, reports, attributes and times.
    """
    from hpo_lab.optuna import import_study

    with _one_line_errors():
        ours = import_study(
            optuna_storage, storage=storage, study_name=study_name, to_study_name=to_name
        )
    click.echo(f"imported {ours.study_name!r} into {storage}: {len(ours.trials)} trials")


@cli.command("export-optuna")
@click.argument("storage")
@click.argument("study")
@click.argument("optuna_storage")
@click.option("--as", "to_name", help="Name of the Optuna study (default: the same).")
def export_optuna_command(
    storage: str, study: str, optuna_storage: str, to_name: str | None
) -> None:
    """Copy STUDY from STORAGE into an Optuna storage.

    OPTUNA_STORAGE is an Optuna storage URL (sqlite:///optuna.db).
    """
    from hpo_lab.optuna import export_study

    with _one_line_errors():
        theirs = export_study(_load(storage, study), storage=optuna_storage, study_name=to_name)
    click.echo(f"exported {theirs.study_name!r} to {optuna_storage}: {len(theirs.trials)} trials")


def _objective_from(script: str, name: str) -> Callable[..., Any]:
    if not os.path.isfile(script):
        raise FileNotFoundError(f"no script at {script!r}")
    folder = os.path.dirname(os.path.abspath(script))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    # Not run as __main__: the script's `if __name__ == "__main__":` block stays out.
    namespace = runpy.run_path(script, run_name="__hpo_lab_objective__")
    objective = namespace.get(name)
    if not callable(objective):
        found = sorted(k for k, v in namespace.items()
                       if callable(v) and not k.startswith("_") and getattr(
                           v, "__module__", None) == "__hpo_lab_objective__")
        raise ValueError(
            f"{script} defines no function {name!r} (functions: {', '.join(found) or 'none'}); "
            "name the objective with --objective"
        )
    return objective


@cli.command("run")
@click.argument("script", type=click.Path(dir_okay=False))
@click.option("--storage", help="SQLite file to keep the study in (default: memory only).")
@click.option("--study", "study_name", help="Study name (default: the script's name); an "
              "existing study is continued.")
@click.option("--trials", "n_trials", type=click.IntRange(min=0), help="Trials to run.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True),
              help="Stop starting trials after this many seconds.")
@click.option("--jobs", "n_jobs", default=1, show_default=True, type=int,
              help="Trials at once (-1: one per core).")
@click.option("--executor", type=click.Choice(["thread", "process"]), default="thread",
              show_default=True, help="Run trials on threads or in worker processes.")
@click.option("--objective", "objective_name", default="objective", show_default=True,
              help="Name of the objective function in SCRIPT.")
@click.option("--direction", type=click.Choice(["minimize", "maximize"]), default="minimize",
              show_default=True)
@click.option("--sampler", type=click.Choice(SAMPLER_NAMES), default="auto", show_default=True)
@click.option(
    "--pruner", type=click.Choice(PRUNER_NAMES), default=None,
    help=f"[default: {DEFAULT_PRUNER} with rank_check=True] prunes only an objective that asks "
    "trial.should_prune()",
)
@click.option("--seed", type=int, help="Seed of the sampler.")
@click.option("--keep-going", is_flag=True,
              help="Go on when the objective raises (the trial is stored as FAIL).")
@click.option("--no-progress", is_flag=True, help="No progress line.")
@click.option("--as-optuna", is_flag=True,
              help="Give `import optuna` in SCRIPT hpo_lab's Optuna API (hpo_lab.optuna).")
def run_command(
    script: str,
    storage: str | None,
    study_name: str | None,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    executor: str,
    objective_name: str,
    direction: str,
    sampler: str,
    pruner: str | None,
    seed: int | None,
    keep_going: bool,
    no_progress: bool,
    as_optuna: bool,
) -> None:
    """Optimise the objective defined in SCRIPT.

    SCRIPT defines the objective, a function of one trial returning a number.
    The script is imported, not run: its `if __name__ == "__main__":` block is skipped. With
    --storage the trials are kept and a later run continues the same study.
    """
    if n_trials is None and timeout is None:
        raise click.UsageError("give --trials N or --timeout SECONDS (or both)")
    with _one_line_errors():
        if as_optuna:
            from hpo_lab.optuna import install

            install()
        objective = _objective_from(script, objective_name)
        name = study_name or os.path.splitext(os.path.basename(script))[0]
        study = hpo_lab.create_study(
            study_name=name,
            storage=storage,
            direction=direction,
            sampler=make_sampler(sampler, seed),
            pruner=default_pruner() if pruner is None else make_pruner(pruner),
            load_if_exists=True,
        )
        before = len(study.trials)
        catch = (Exception,) if keep_going else ()
        progress = not no_progress
        if progress:
            try:
                import tqdm  # noqa: F401
            except ImportError:
                click.echo("(no progress line: pip install 'hpo_lab[progress]')", err=True)
                progress = False
    start = time.monotonic()
    try:
        if executor == "process":
            with _one_line_errors():
                run = study.start(objective, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs,
                                  executor="process", catch=catch, show_progress_bar=progress)
            run.wait()
            if run.exception is not None:
                raise run.exception
        else:
            study.optimize(objective, n_trials=n_trials, timeout=timeout, n_jobs=n_jobs,
                           catch=catch, show_progress_bar=progress)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: {len(study.trials) - before} trials of {name!r} stored",
                   err=True)
        raise SystemExit(130) from None
    except Exception as exc:
        failed = [t for t in study.trials[before:] if t.state == TrialState.FAIL]
        where = f" (trial {failed[-1].number}; its traceback is stored with it)" if failed else ""
        raise click.ClickException(
            f"the objective raised {type(exc).__name__}: {exc}{where}; --keep-going goes on"
        ) from None
    trials = study.trials[before:]
    counts = _counts(trials)
    elapsed = datetime.timedelta(seconds=round(time.monotonic() - start))
    summary = ", ".join(f"{k.lower()} {v}" for k, v in counts.items() if v) or "none"
    click.echo(f"{name}: {len(trials)} trials in {elapsed} ({summary})")
    best = _best(study.trials, study.direction)
    if best is not None:
        click.echo(f"best value {best.value!r} (trial {best.number}): {best.params}")
    if storage is None:
        click.echo("(kept in memory only: give --storage FILE to keep the trials)")

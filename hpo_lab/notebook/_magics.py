"""The ``%%hpo`` cell magic and the ``%hpo`` line magic (``%load_ext hpo_lab``).

``%%hpo NAME [options]`` turns the cell body into an objective (see
:mod:`hpo_lab.notebook._body`), starts a background run of study NAME and returns at once,
showing the control panel and binding the study to ``NAME``. ``%hpo`` controls and inspects
those runs. Every bad input is a one-line ``UsageError`` (IPython prints it in red, without a
traceback).
"""

from __future__ import annotations

import keyword
import os
import shlex
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from IPython.core import magic as _magic
from IPython.core import magic_arguments as _magic_arguments
from IPython.core.error import UsageError
from IPython.core.magic import Magics

from hpo_lab.execution import start_run
from hpo_lab.notebook import _capture, _registry
from hpo_lab.notebook._body import BodyError, CellObjective, unpicklable_names
from hpo_lab.notebook._env import in_colab
from hpo_lab.notebook._registry import Entry, Kept, UnknownNameError
from hpo_lab.pruners._factory import (
    DEFAULT_PRUNER,
    PRUNER_NAMES,
    default_pruner,
    make_pruner,
    parse_pruner_args,
)
from hpo_lab.samplers._factory import SAMPLER_NAMES, make_sampler
from hpo_lab.study._narrow_spec import parse_narrowing

if TYPE_CHECKING:
    from hpo_lab.execution._run import Run

__all__ = [
    "HPOMagics",
    "load_ipython_extension",
    "make_pruner",
    "make_sampler",
    "parse_narrowing",
]

# IPython's decorators are untyped; typed as Any so the magics stay checked under strict mypy.
_F = TypeVar("_F", bound=Callable[..., Any])
_T = TypeVar("_T", bound=type)


def argument(*args: Any, **kwargs: Any) -> Callable[[_F], _F]:
    """IPython's ``magic_arguments.argument``, typed."""
    return cast(Any, _magic_arguments.argument)(*args, **kwargs)


def magic_arguments(name: str | None = None) -> Callable[[_F], _F]:
    """IPython's ``magic_arguments.magic_arguments``, typed (``name``: the magic's name in its
    generated usage line, without IPython's leading ``%``)."""
    return cast(Any, _magic_arguments.magic_arguments)(name)


def parse_argstring(magic: Callable[..., Any], line: str) -> Any:
    """IPython's ``magic_arguments.parse_argstring``, typed."""
    return cast(Any, _magic_arguments.parse_argstring)(magic, line)


def cell_magic(name: str) -> Callable[[_F], _F]:
    """IPython's ``cell_magic``, typed."""
    return cast(Any, _magic.cell_magic)(name)


def line_magic(name: str) -> Callable[[_F], _F]:
    """IPython's ``line_magic``, typed."""
    return cast(Any, _magic.line_magic)(name)


def magics_class(cls: _T) -> _T:
    """IPython's ``magics_class``, typed."""
    return cast(Any, _magic.magics_class)(cls)


#: Trials a run gets when the cell gives neither ``--trials`` nor ``--timeout``.
DEFAULT_TRIALS = 20

_SAMPLERS = SAMPLER_NAMES
_PRUNERS = PRUNER_NAMES
_memory_storage: Any = None
#: Panels ``%hpo show`` made for studies that only a store holds, by (storage, name).
_store_panels: dict[tuple[int, str], Any] = {}


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _kernel_storage() -> Any:
    """The kernel's in-memory store, shared by every ``%%hpo`` cell without ``--storage``
    (so a cell run again continues its study, and ``--warm-start`` finds its parent)."""
    global _memory_storage
    if _memory_storage is None:
        from hpo_lab.storages import InMemoryStorage

        _memory_storage = InMemoryStorage()
    return _memory_storage


def _pruner(name: str | None, text: str | None) -> Any:
    """``--pruner NAME --pruner-args "..."``; without a name, the default pruner (whose
    defaults the arguments replace or add to)."""
    kwargs = parse_pruner_args(text)
    return default_pruner(**kwargs) if name is None else make_pruner(name, **kwargs)


def _resolve_storage(spec: str | None) -> Any:
    spec = spec or os.environ.get("HPO_LAB_STORAGE") or None
    if spec is None:
        return _kernel_storage()
    from hpo_lab.storages import get_storage

    return get_storage(spec)


def _check_name(name: str, what: str = "NAME") -> str:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise UsageError(
            f"{what} must be a Python identifier (the study is bound to it), but got {name!r}"
        )
    return name


def _describe_run(entry: Entry) -> str:
    run = entry.run
    study = entry.study
    try:
        best = f", best {study.best_value:.6g}"
    except ValueError:
        best = ""
    if run is None:
        return f"{entry.name}: {len(study.trials)} trials{best}"
    return f"{entry.name}: {run.status.value}, {run.progress}{best}"


def _ended_line(entry: Entry, ended: bool) -> str:
    """What a wait that returned says: the run's end, or that Ctrl-C stopped it."""
    if ended:
        return f"hpo: {_describe_run(entry)}"
    run = entry.run
    assert run is not None
    p = run.progress
    total = "?" if p.total is None else str(p.total)
    return (
        f"hpo: {entry.name}: stopped by Ctrl-C after {p.finished} of {total} trials "
        f"({p.complete} complete, {p.pruned} pruned, {p.failed} failed)"
    )


def _live_run(entry: Entry) -> Run:
    if entry.run is None or not entry.run.is_live():
        raise UsageError(
            f"study {entry.name!r} has no live run (start one with %%hpo or "
            f"%hpo extend {entry.name} N)"
        )
    return entry.run


def _wait_for(run: Run) -> bool:
    """Block until ``run`` ends; Ctrl-C stops it (running trials finish; a second Ctrl-C
    cancels them). Returns whether the run ended on its own."""
    try:
        run.wait()
        return True
    except KeyboardInterrupt:
        run.stop()
        print(
            f"hpo: stopping {run.study.study_name!r} (running trials finish; Ctrl-C again "
            "cancels them)"
        )
    try:
        run.wait()
    except KeyboardInterrupt:
        run.stop(cancel=True)
        run.wait()
    return False


@magics_class
class HPOMagics(Magics):
    """``%%hpo`` (a cell body as the objective of a background run) and ``%hpo`` (controls)."""

    @property
    def _user_ns(self) -> dict[str, Any]:
        shell = self.shell
        assert shell is not None  # set by register_magics
        ns: dict[str, Any] = shell.user_ns
        return ns

    # -- %%hpo -------------------------------------------------------------------------------------
    @magic_arguments("%hpo")  # a cell magic: its usage line reads %%hpo, not %hpo_cell
    @argument("name", help="the study's name; the study is bound to this variable")
    @argument(
        "--trials",
        type=int,
        default=None,
        help=f"trials to run (more trials when the study exists; default "
        f"{DEFAULT_TRIALS}, or unlimited with --timeout)",
    )
    @argument("--timeout", type=float, default=None, help="start no trial after this many seconds")
    @argument("--jobs", type=int, default=1, help="trials at once (default 1)")
    @argument(
        "--executor",
        choices=("thread", "process"),
        default="thread",
        help="thread (default; numpy, sklearn, torch) or process (pure-Python code)",
    )
    @argument("--sampler", choices=_SAMPLERS, default="auto", help="default: auto")
    @argument(
        "--pruner",
        choices=_PRUNERS,
        default=None,
        help=f"default: {DEFAULT_PRUNER} with rank_check=true (it prunes only a body that asks "
        "trial.should_prune())",
    )
    @argument(
        "--pruner-args",
        dest="pruner_args",
        default=None,
        metavar="ARGS",
        help='the pruner\'s arguments, e.g. "reduction_factor=3 min_resource=1"',
    )
    @argument(
        "--pbt",
        nargs="?",
        const="",
        default=None,
        metavar="ARGS",
        help="population-based training: the body trains one interval per trial "
        "(hpo_lab.pbt.segment(trial), trial.checkpoint); its arguments, e.g. "
        '"population=8 interval=5 max_steps=40"',
    )
    @argument(
        "--budget",
        type=float,
        default=None,
        help="start no trial once the trials have reported this many steps in all "
        "(each trial's largest step, e.g. epochs)",
    )
    @argument(
        "--direction",
        choices=("minimize", "maximize"),
        default=None,
        help="default: minimize (an existing study keeps its own)",
    )
    @argument(
        "--storage",
        default=None,
        help="an SQLite file; default: $HPO_LAB_STORAGE, else the kernel's memory",
    )
    @argument("--seed", type=int, default=None, help="the sampler's seed")
    @argument(
        "--warm-start",
        dest="warm_start",
        default=None,
        metavar="PARENT",
        help="seed a new study with the finished trials of study PARENT",
    )
    @argument(
        "--wait",
        action="store_true",
        help="block until the run ends (Ctrl-C stops it); the default on Colab",
    )
    @argument(
        "--no-panel",
        dest="no_panel",
        action="store_true",
        help="print a status line instead of showing the control panel",
    )
    @argument(
        "--keep",
        default=None,
        metavar="VAR",
        help="keep variable VAR of the best trial so far, as hpo_lab.notebook.kept(NAME)[VAR]",
    )
    @cell_magic("hpo")
    def hpo_cell(self, line: str, cell: str) -> None:
        """Run the cell body as the objective of study NAME in the background.

        The body sees the notebook's variables plus ``trial`` (Optuna's
        ``trial.suggest_float(...)`` etc. declare the space), ``report(value, step)`` and
        ``hp`` (``lr = hp.float(1e-5, 1e-1, log=True)`` names the parameter after the
        variable); its last expression is the trial's value. Each trial runs in its own copy of
        the notebook's namespace: nothing it assigns leaks out. The cell returns at once and
        binds the study to NAME; if study NAME exists, the cell continues it. Trial output
        goes to the panel's log. With --keep VAR, hpo_lab.notebook.kept(NAME)[VAR] holds VAR
        of the best trial so far.
        """
        args = parse_argstring(self.hpo_cell, line)
        name = _check_name(args.name)
        if args.trials is not None and args.trials < 1:
            raise UsageError(f"--trials must be >= 1, but got {args.trials}")
        if args.timeout is not None and not args.timeout > 0:
            raise UsageError(f"--timeout must be > 0 seconds, but got {args.timeout}")
        if args.jobs < 1:
            raise UsageError(f"--jobs must be >= 1, but got {args.jobs}")
        if args.keep is not None:
            _check_name(args.keep, "--keep VAR")
        existing = self._user_ns.get(name)
        if existing is not None and not _is_study(existing):
            raise UsageError(
                f"NAME {name!r} is already a notebook variable ({type(existing).__name__}); "
                "the study would replace it: pick another name"
            )
        try:
            previous = _registry.get(name)
        except UnknownNameError:
            previous = None
        if previous is not None and previous.is_live():
            raise UsageError(
                f"run {name!r} is still running: %hpo stop {name}, or %hpo extend {name} N"
            )
        try:
            shell = self.shell
            assert shell is not None
            # IPython syntax in the body (%time, !ls) becomes Python, as in any cell.
            source: str = cast(Any, shell).transform_cell(cell)
            # The body starts on the cell's second line: errors count lines from the %%hpo line.
            objective = CellObjective(
                source, self._user_ns, keep=args.keep, cell=cell, first_line=2
            )
        except BodyError as exc:
            raise UsageError(str(exc)) from None
        if args.executor == "process":
            bad = unpicklable_names(objective)
            if bad:
                var, why = bad[0]
                raise UsageError(
                    f"notebook variable {var!r} cannot be sent to worker processes ({why}); "
                    "create it inside the cell, or use --executor thread"
                )
            objective = objective.shipped()
        try:
            storage = _resolve_storage(args.storage)
            direction = args.direction or _existing_direction(storage, name) or "minimize"
            from hpo_lab.study._study import create_study

            scheduler = None
            if args.pbt is not None:
                from hpo_lab.pbt import PopulationBasedTraining

                scheduler = PopulationBasedTraining(
                    **parse_pruner_args(args.pbt, what="--pbt arguments")
                )
            study = create_study(
                study_name=name,
                storage=storage,
                direction=direction,
                sampler=make_sampler(args.sampler, args.seed),
                pruner=_pruner(args.pruner, args.pruner_args),
                load_if_exists=True,
                warm_start_from=args.warm_start,
            )
        except (ValueError, TypeError, OSError) as exc:
            raise UsageError(_one_line(exc)) from None
        n_trials = args.trials
        pbt_ends = scheduler is not None and scheduler.max_steps is not None
        if n_trials is None and args.timeout is None and args.budget is None and not pbt_ends:
            n_trials = DEFAULT_TRIALS
        options = {
            "n_trials": n_trials,
            "timeout": args.timeout,
            "n_jobs": args.jobs,
            "executor": args.executor,
            "sampler": args.sampler,
            "seed": args.seed,
            "pruner": args.pruner or DEFAULT_PRUNER,
            "pruner_args": args.pruner_args,
            "budget": args.budget,
            "scheduler": scheduler,
            "keep": args.keep,
            "no_panel": args.no_panel,
        }
        entry = Entry(name, study, objective=objective, options=options)
        if previous is not None and previous.options.get("keep") == args.keep:
            entry.kept = previous.kept  # continuing: the best so far is still the one to beat
        _start(entry, n_trials, args.timeout)
        self._user_ns[name] = study
        _registry.register(entry)
        self._present(entry, wait=args.wait or in_colab())

    def _present(self, entry: Entry, wait: bool) -> None:
        """Show the panel (or a status line), then wait in the foreground if asked."""
        run = entry.run
        assert run is not None
        if not entry.options.get("no_panel"):
            entry.panel = _show_panel(run)
        if entry.panel is None:
            print(
                f"hpo: {_describe_run(entry)} ({run.n_jobs} {run.executor} worker(s)); "
                f"%hpo wait {entry.name} blocks, %hpo stop {entry.name} stops"
            )
        if wait:
            ended = entry.panel.wait() if entry.panel is not None else _wait_for(run)
            if entry.panel is None or not ended:
                print(_ended_line(entry, ended))

    # -- %hpo --------------------------------------------------------------------------------------
    @line_magic("hpo")
    def hpo_line(self, line: str) -> Any:
        """Control and inspect %%hpo studies (NAME left out: the most recent one).

        %hpo list                       the kernel's studies and their runs
        %hpo show [NAME] [--storage F]  display the control panel again (a study only in the
                                        SQLite file F: a static panel)
        %hpo pause|resume|stop [NAME]   control the live run
        %hpo extend [NAME] N            N more trials (a run that ended: a new run)
        %hpo jobs [NAME] K              K trials at once
        %hpo narrow [NAME] lr=1e-4:1e-2 optimizer=adam,adamw
                                        restrict parameters for the trials asked from now on
        %hpo warm NEW --from NAME [lr=1e-4:1e-2 ...]
                                        a new study seeded with NAME's trials, started with the
                                        same objective
        %hpo lrfind [NAME] FINDER [PARAM]
                                        narrow PARAM (default lr) of NAME to the suggested
                                        range of the learning-rate finder FINDER (a variable
                                        holding hpo_lab.lr_find(...)'s result)
        %hpo best [NAME]                the best trial
        %hpo df [NAME]                  the trials as a pandas DataFrame
        %hpo wait [NAME]                block until the run ends (Ctrl-C stops it)
        """
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%hpo cannot read {line!r}: {exc}") from None
        if not argv:
            raise UsageError(f"%hpo needs a subcommand: {', '.join(_COMMANDS)}")
        command, rest = argv[0], argv[1:]
        if command not in _COMMANDS:
            raise UsageError(
                f"unknown %hpo subcommand {command!r}: use one of {', '.join(_COMMANDS)}"
            )
        handler: Callable[[list[str]], Any] = getattr(self, f"_cmd_{command}")
        try:
            return handler(rest)
        except UsageError:
            raise
        except (UnknownNameError, ValueError, TypeError, RuntimeError) as exc:
            raise UsageError(_one_line(exc)) from None

    def _entry(self, command: str, rest: list[str], max_args: int = 1) -> Entry:
        if len(rest) > max_args:
            raise UsageError(f"%hpo {command} takes at most one NAME, but got {' '.join(rest)!r}")
        return _registry.get(rest[0] if rest else None)

    def _cmd_list(self, rest: list[str]) -> None:
        if rest:
            raise UsageError(f"%hpo list takes no arguments, but got {' '.join(rest)!r}")
        found = _registry.entries()
        if not found:
            print("no %%hpo studies in this kernel yet")
        for entry in found:
            print(_describe_run(entry))

    def _cmd_show(self, rest: list[str]) -> None:
        storage = None
        if "--storage" in rest:
            i = rest.index("--storage")
            if i + 1 >= len(rest):
                raise UsageError("%hpo show --storage needs a file")
            storage = rest[i + 1]
            rest = rest[:i] + rest[i + 2 :]
        if len(rest) > 1:
            raise UsageError(f"%hpo show takes at most one NAME, but got {' '.join(rest)!r}")
        name = rest[0] if rest else None
        try:
            entry: Entry | None = _registry.get(name) if storage is None else None
        except UnknownNameError:
            # Not started by a cell of this kernel: a study in the store (after a kernel
            # restart, or one the panel's warm-start button created) still has a panel.
            if name is None or _existing_direction(_resolve_storage(storage), name) is None:
                raise
            entry = None
        if entry is not None:
            if entry.panel is not None:
                entry.panel.close()
            entry.panel = _show_panel(entry.run if entry.is_live() else entry.study)
            if entry.panel is None:
                print(f"hpo: {_describe_run(entry)}")
            return
        assert name is not None
        from hpo_lab.study._study import load_study

        study = load_study(study_name=name, storage=_resolve_storage(storage))
        live = study.run
        # One view per store-only study: showing it again closes the last one and its thread.
        key = (id(study.storage), name)
        previous = _store_panels.pop(key, None)
        if previous is not None:
            previous.close()
        shown = _show_panel(live if live is not None else study)
        if shown is None:
            print(f"hpo: {name}: {len(study.trials)} trials")
        else:
            _store_panels[key] = shown

    def _control(self, command: str, rest: list[str]) -> None:
        entry = self._entry(command, rest)
        run = _live_run(entry)
        getattr(run, command)()
        print(f"hpo: {_describe_run(entry)}")

    def _cmd_pause(self, rest: list[str]) -> None:
        self._control("pause", rest)

    def _cmd_resume(self, rest: list[str]) -> None:
        self._control("resume", rest)

    def _cmd_stop(self, rest: list[str]) -> None:
        self._control("stop", rest)

    def _name_and_count(self, command: str, rest: list[str], what: str) -> tuple[Entry, int]:
        if len(rest) not in (1, 2):
            raise UsageError(f"%hpo {command} takes [NAME] {what}, but got {' '.join(rest)!r}")
        text = rest[-1]
        try:
            count = int(text)
        except ValueError:
            raise UsageError(
                f"%hpo {command}: {what} must be an integer, but got {text!r}"
            ) from None
        if count < 1:
            raise UsageError(f"%hpo {command}: {what} must be >= 1, but got {count}")
        return _registry.get(rest[0] if len(rest) == 2 else None), count

    def _cmd_extend(self, rest: list[str]) -> None:
        entry, n = self._name_and_count("extend", rest, "N")
        run = entry.run
        if run is not None and run.is_live() and run.n_trials is not None:
            try:
                run.extend(n)
            except RuntimeError:  # it ended just now: start a new run below
                pass
            else:
                print(f"hpo: {_describe_run(entry)}")
                return
        if entry.is_live():
            raise UsageError(
                f"run {entry.name!r} has no trial budget to extend (it runs until "
                "stopped or timed out)"
            )
        if entry.objective is None:
            raise UsageError(
                f"study {entry.name!r} was not started by a %%hpo cell of this kernel: there is "
                "no objective to run more trials with"
            )
        previous = len(entry.study.trials)
        _start(entry, n, None)
        # Said out loud: the last run had ended, so this is a new run, not a longer one.
        print(
            f"hpo: {entry.name}'s last run had ended: started a new run of {n} trials "
            f"(the study has {previous} so far)"
        )
        if entry.panel is not None:
            entry.panel.attach(entry.run)
            if in_colab():  # widgets there show no updates from background threads
                entry.panel.wait()
        else:
            self._present(entry, wait=in_colab())

    def _cmd_jobs(self, rest: list[str]) -> None:
        entry, k = self._name_and_count("jobs", rest, "K")
        _live_run(entry).set_n_jobs(k)
        entry.options["n_jobs"] = k
        print(f"hpo: {entry.name} now runs {k} trial(s) at once")

    def _cmd_narrow(self, rest: list[str]) -> None:
        if rest and "=" not in rest[0]:
            entry, specs = _registry.get(rest[0]), rest[1:]
        else:
            entry, specs = _registry.get(None), rest
        if not specs:
            raise UsageError(
                "%hpo narrow needs ranges, as in %hpo narrow NAME lr=1e-4:1e-2 optimizer=adam,adamw"
            )
        revision = entry.study.narrow(**parse_narrowing(entry.study, specs))
        print(f"hpo: {entry.name}: search space revision {revision.number} applies to new trials")

    def _cmd_lrfind(self, rest: list[str]) -> None:
        if not 1 <= len(rest) <= 3:
            raise UsageError(
                "%hpo lrfind takes [NAME] FINDER [PARAM], as in %hpo lrfind svc finder lr, "
                f"but got {' '.join(rest)!r}"
            )
        name = rest[0] if len(rest) >= 2 else None
        var = rest[1] if len(rest) >= 2 else rest[0]
        param = rest[2] if len(rest) == 3 else "lr"
        entry = _registry.get(name)
        from hpo_lab.lr_finder import LRFinder

        finder = self._user_ns.get(var)
        if not isinstance(finder, LRFinder):
            found = "no such variable" if var not in self._user_ns else type(finder).__name__
            raise UsageError(
                f"FINDER must name a variable holding hpo_lab.lr_find(...)'s result, but "
                f"{var!r} is {found}"
            )
        revision = finder.narrow(entry.study, param)
        bound: Any = revision.constraints[param]  # numeric: the finder narrowed it
        print(
            f"hpo: {entry.name}: {param} narrowed to [{bound.low:.3g}, {bound.high:.3g}] "
            f"(the finder's suggestion: {finder.suggestion:.3g}); search space revision "
            f"{revision.number} applies to new trials"
        )

    def _cmd_warm(self, rest: list[str]) -> None:
        if len(rest) < 3 or rest[1] != "--from":
            raise UsageError(
                f"%hpo warm takes NEW --from NAME [lr=1e-4:1e-2 ...], but got {' '.join(rest)!r}"
            )
        new = _check_name(rest[0], "NEW")
        existing_value = self._user_ns.get(new)
        if existing_value is not None and not _is_study(existing_value):
            raise UsageError(
                f"NEW {new!r} is already a notebook variable ({type(existing_value).__name__}); "
                "the study would replace it: pick another name"
            )
        parent = _registry.get(rest[2])
        specs = rest[3:]
        try:
            existing = _registry.get(new)
        except UnknownNameError:
            existing = None
        if existing is not None and existing.is_live():
            raise UsageError(f"run {new!r} is still running: %hpo stop {new} first")
        # Checked against the parent before the child exists, so a typo creates no study.
        ranges = parse_narrowing(parent.study, specs) if specs else {}
        from hpo_lab.study._warm import warm_start

        options = dict(parent.options)
        # The one warm-start path (the panel's button takes it too): the child gets copies of
        # the parent's sampler and pruner.
        study = warm_start(parent.study, new, narrow=ranges)
        objective = parent.objective
        if isinstance(objective, CellObjective):
            objective = objective.clone()
        entry = Entry(new, study, objective=objective, options=options)
        _start(entry, options.get("n_trials") or DEFAULT_TRIALS, options.get("timeout"))
        self._user_ns[new] = study
        _registry.register(entry)
        print(
            f"hpo: {new} warm-started from {parent.name} with "
            f"{len(study.inherited_trials)} inherited trials"
        )
        self._present(entry, wait=in_colab())

    def _cmd_best(self, rest: list[str]) -> Any:
        entry = self._entry("best", rest)
        return entry.study.best_trial

    def _cmd_df(self, rest: list[str]) -> Any:
        entry = self._entry("df", rest)
        return entry.study.trials_dataframe()

    def _cmd_wait(self, rest: list[str]) -> None:
        entry = self._entry("wait", rest)
        if entry.run is None:
            return
        # With a panel also when the run has already ended: the panel's last update and its
        # static snapshot are then written before this cell returns, not later by the panel's
        # thread (a notebook executed headlessly would stop reading outputs before that).
        ended = entry.panel.wait() if entry.panel is not None else _wait_for(entry.run)
        print(_ended_line(entry, ended))


_COMMANDS = (
    "list",
    "show",
    "pause",
    "resume",
    "stop",
    "extend",
    "jobs",
    "narrow",
    "warm",
    "lrfind",
    "best",
    "df",
    "wait",
)


def _is_study(value: Any) -> bool:
    from hpo_lab.study._study import Study

    return isinstance(value, Study)


def _existing_direction(storage: Any, name: str) -> str | None:
    from hpo_lab.storages import StudyNotFoundError

    try:
        return str(storage.get_study_info(storage.get_study_id(name)).direction)
    except StudyNotFoundError:
        return None


def _start(entry: Entry, n_trials: int | None, timeout: float | None) -> None:
    """Start a run of ``entry``'s study with its objective; route its output to its log."""
    from hpo_lab.notebook._log import log_for
    from hpo_lab.trial._state import TrialState

    study, objective, options = entry.study, entry.objective, entry.options
    callbacks = []
    keep = options.get("keep")
    if keep is not None:
        kept: Kept = entry.kept
        maximize = study.direction == "maximize"

        def keep_best(study: Any, frozen: Any) -> None:
            found, value = objective.take_kept(frozen.trial_id)
            if not found or frozen.state != TrialState.COMPLETE or frozen.value is None:
                return
            best = kept.value
            if best is None or (frozen.value > best if maximize else frozen.value < best):
                kept.clear()
                kept[keep] = value
                kept.trial, kept.value = frozen.number, frozen.value
                objective.note_best(frozen.value)

        objective.keep_study = study.study_name
        if options.get("executor") == "process" and objective._keep_dir is None:
            import shutil
            import tempfile
            import weakref

            directory = tempfile.mkdtemp(prefix="hpo-keep-")
            weakref.finalize(objective, shutil.rmtree, directory, True)
            objective.keep_in_files(directory, study.direction)
            if kept.value is not None:
                objective.note_best(kept.value)
        callbacks.append(keep_best)
    # Routed before the start: the runner may log a failed trial before start() returns.
    runner_thread = f"hpo-runner-{study.study_name}"
    started: list[Run] = []

    def runner_log() -> Any:
        run = started[0] if started else study.run
        return None if run is None else log_for(run)

    from hpo_lab.notebook._interrupt import watch

    # An interrupt while the kernel idles does not stop the run: the panel will say so.
    watch(_shell())
    _capture.acquire()
    _capture.route_thread_named(runner_thread, runner_log)
    try:
        run = start_run(
            study,
            objective,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=options.get("n_jobs", 1),
            executor=options.get("executor", "thread"),
            callbacks=callbacks,
            budget=options.get("budget"),
            scheduler=options.get("scheduler"),
        )
    except BaseException as exc:
        _capture.unroute_thread_named(runner_thread, runner_log)
        _capture.release()
        if isinstance(exc, (ValueError, TypeError, RuntimeError)):
            raise UsageError(_one_line(exc)) from None
        raise
    started.append(run)
    entry.run = run
    released = [False]
    lock = threading.Lock()

    def on_event(event: Any) -> None:
        if run.is_live():
            return
        with lock:
            if released[0]:
                return
            released[0] = True
        _capture.unroute_thread_named(runner_thread, runner_log)
        _capture.release()

    run.subscribe(on_event)
    on_event(None)


def _shell() -> Any:
    # The running IPython shell, or None.
    from IPython import get_ipython

    return get_ipython()


def _show_panel(obj: Any) -> Any:
    """Display a control panel for ``obj`` (a run or a study); ``None`` if none can be made."""
    try:
        from hpo_lab.notebook._panel import Panel
    except ImportError as exc:
        print(f"hpo: no control panel ({exc}): pip install 'hpo_lab[notebook]'")
        return None
    try:
        panel = Panel(obj)
        panel.display()
    except Exception as exc:
        # The run goes on without its panel: say why in one line, and how to follow it.
        print(
            f"hpo: the control panel could not be shown ({type(exc).__name__}: {exc}); "
            "%hpo list and %hpo df follow the run",
            file=sys.stderr,
        )
        return None
    return panel


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%%hpo`` and ``%hpo`` with ``ipython`` (what ``%load_ext hpo_lab`` runs)."""
    ipython.register_magics(HPOMagics)

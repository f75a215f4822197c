"""A ``%%hpo`` cell body as an objective: each trial runs the cell in its own namespace.

The body is parsed once: the short space syntax is rewritten (:mod:`hpo_lab.notebook._hp`)
and, when the last statement is an expression, its value becomes the trial's result. Each
trial then executes the compiled body at module level in a fresh shallow copy of the notebook
namespace taken when the cell ran, with ``trial``, ``report`` (``trial.report``) and ``hp``
bound. So reading notebook variables works, ``X = X[:100]`` works, and nothing a trial assigns
leaks into another trial or back into the notebook.

For worker processes the objective carries only the notebook names the body reads; it is
pickled (cloudpickle) once per run by the process executor, and the body is compiled again in
each worker.
"""

from __future__ import annotations

import ast
import hashlib
import os
import threading
from collections.abc import Mapping
from typing import Any

from hpo_lab.notebook._hp import rewrite_hp

__all__ = [
    "SOURCE_HASH_ATTR",
    "BodyError",
    "CellObjective",
    "objective_from_source",
    "source_hash",
    "unpicklable_names",
]

#: The system attribute every trial of a ``%%hpo`` cell gets: the hash of the cell's source.
SOURCE_HASH_ATTR = "hpo_lab:source_hash"

# The hidden name the last expression's value is bound to.
_RESULT = "__hpo_result__"
# Names every trial binds itself; the notebook's own values of them are not shipped.
_BOUND = frozenset({"trial", "report", "hp", _RESULT})


class BodyError(ValueError):
    """The cell body cannot become an objective (a syntax error, a misused ``hp``)."""


def source_hash(source: str) -> str:
    """The first 12 hex digits of the SHA-256 of ``source``.

    Example:
        >>> source_hash("x = 1")
        '8ff436def145'
    """
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def _syntax_error(exc: SyntaxError, first_line: int = 1, shifted: bool = False) -> BodyError:
    # ``shifted``: the error's line number already counts from ``first_line``.
    hint = ""
    if "'return' outside function" in str(exc.msg):
        hint = " (end the cell with the value itself, as its last line, instead of return)"
    lineno = exc.lineno
    if lineno is not None and not shifted:
        lineno += first_line - 1
    if first_line == 1:
        where = f"the cell body has a syntax error at line {lineno}"
    else:  # counted as the notebook numbers the cell's lines: the %%hpo line is line 1
        where = f"the cell has a syntax error at line {lineno}"
    return BodyError(f"{where}: {exc.msg}{hint}")


def _compile(tree: ast.Module, filename: str, first_line: int = 1) -> Any:
    try:
        return compile(tree, filename, "exec")
    except SyntaxError as exc:  # found only when compiling: `return` or `yield` outside def
        raise _syntax_error(exc, first_line, shifted=True) from None


def _transform(source: str, filename: str, first_line: int = 1) -> tuple[ast.Module, bool]:
    """Parse and rewrite ``source``; return the tree and whether it yields a result. Line
    numbers (in errors and tracebacks) start at ``first_line``."""
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise _syntax_error(exc, first_line) from None
    if first_line != 1:
        ast.increment_lineno(tree, first_line - 1)
    try:
        tree = rewrite_hp(tree)
    except ValueError as exc:
        raise BodyError(str(exc)) from None
    if not tree.body:
        raise BodyError("the %%hpo cell has no statements: its body is the objective")
    has_result = bool(tree.body) and isinstance(tree.body[-1], ast.Expr)
    if has_result:
        last = tree.body[-1]
        assert isinstance(last, ast.Expr)
        assign = ast.Assign(targets=[ast.Name(id=_RESULT, ctx=ast.Store())], value=last.value)
        tree.body[-1] = ast.copy_location(assign, last)
        ast.fix_missing_locations(tree)
    return tree, has_result


def _read_names(tree: ast.AST) -> set[str]:
    """Every name the body reads anywhere (nested functions and comprehensions included)."""
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _describe_last(source: str) -> str:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return "is not an expression"
    if not body:
        return "is empty"
    kind = type(body[-1]).__name__
    article = "an" if kind[0] in "AEIOU" else "a"
    return f"ends with {article} {kind} statement, not an expression"


class CellObjective:
    """The objective made from a cell body; see the module docstring.

    Args:
        source: The cell body.
        namespace: The notebook names available to the body (copied; each trial copies again).
        keep: A variable of the body whose value each COMPLETE trial offers to
            :meth:`take_kept`. On the thread executor it stays in memory; for worker
            processes call :meth:`keep_in_files` first: a worker then pickles it into a
            directory, unless a better value is already known (:meth:`note_best`).
        filename: Shown in tracebacks.
        cell: The cell as written, when ``source`` is its IPython-transformed form (``%time``
            and ``!cmd`` lines made Python); the source hash is taken from it.
        first_line: The line of the cell where ``source`` starts (2 below a ``%%hpo`` line):
            syntax errors and tracebacks count lines as the notebook shows them.

    Example:
        >>> import hpo_lab
        >>> objective = CellObjective("x = trial.suggest_float('x', 0, 1)\\n(x - offset) ** 2",
        ...                           {"offset": 2.0})
        >>> study = hpo_lab.create_study()
        >>> study.optimize(objective, n_trials=3)
        >>> all(t.value >= 1 for t in study.trials), "x" in objective.namespace
        (True, False)
    """

    def __init__(
        self,
        source: str,
        namespace: Mapping[str, Any],
        *,
        keep: str | None = None,
        filename: str = "<%%hpo cell>",
        cell: str | None = None,
        first_line: int = 1,
    ) -> None:
        tree, self._has_result = _transform(source, filename, first_line)
        self.first_line = first_line
        self.source = source
        # Hashed as the user wrote it (``cell``), before IPython's transformations.
        self.source_hash = source_hash(source if cell is None else cell)
        self.filename = filename
        self.keep = keep
        self.reads = frozenset(_read_names(tree) - _BOUND)
        self.namespace: dict[str, Any] = dict(namespace)
        self._code: Any = _compile(tree, filename, first_line)
        self._kept: dict[int, Any] = {}
        self._kept_lock = threading.Lock()
        self._keep_dir: str | None = None
        self._maximize = False
        #: The study whose trials offer ``keep`` values on the thread executor (``None``: all).
        self.keep_study: str | None = None

    def keep_in_files(self, directory: str, direction: str = "minimize") -> None:
        """Let worker processes hand ``keep`` values back through files in ``directory``.

        ``direction`` says which values are better, so a worker skips pickling a value that
        cannot be the best (one no better than the last :meth:`note_best`).
        """
        if direction not in ("minimize", "maximize"):
            raise ValueError(
                f"direction must be 'minimize' or 'maximize', but got direction={direction!r}"
            )
        self._keep_dir = directory
        self._maximize = direction == "maximize"

    def note_best(self, value: float) -> None:
        """Record the best COMPLETE value so far (workers read it before pickling a value)."""
        if self._keep_dir is None:
            return
        path = os.path.join(self._keep_dir, "best")
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}"
        with open(tmp, "w") as f:
            f.write(repr(float(value)))
        os.replace(tmp, path)

    def _could_be_best(self, value: float) -> bool:
        assert self._keep_dir is not None
        try:
            with open(os.path.join(self._keep_dir, "best")) as f:
                best = float(f.read())
        except (OSError, ValueError):
            return True
        return value > best if self._maximize else value < best

    def _offer(self, trial: Any, value: float, kept: Any) -> None:
        # Keyed by trial id, unique across the studies of a store: the same objective may run
        # for a warm-started child (the panel's button) at the same time.
        trial_id = trial.trial_id
        if self._keep_dir is None:
            study = getattr(trial, "study", None)
            if self.keep_study is not None and getattr(study, "study_name", None) != (
                self.keep_study
            ):
                return  # a run nobody takes values from: holding them would only leak
            with self._kept_lock:
                self._kept[trial_id] = kept
            return
        # Best values only improve: one no better than the best so far never becomes best.
        if not self._could_be_best(value):
            return
        import cloudpickle

        try:
            data = cloudpickle.dumps(kept)
        except Exception as exc:
            raise TypeError(
                f"--keep {self.keep}: its value cannot be sent back from a worker process "
                f"({type(exc).__name__}: {exc}); use --executor thread"
            ) from exc
        path = os.path.join(self._keep_dir, f"{trial_id}.pkl")
        with open(f"{path}.part", "wb") as f:
            f.write(data)
        os.replace(f"{path}.part", path)

    def clone(self) -> CellObjective:
        """A copy for another run (same body and names, nothing kept yet)."""
        clone = object.__new__(CellObjective)
        clone.__dict__.update(self.__dict__)
        clone.namespace = dict(self.namespace)
        clone._kept = {}
        clone._kept_lock = threading.Lock()
        clone._keep_dir = None  # each run's offers go to its own directory
        return clone

    def shipped(self) -> CellObjective:
        """A copy that carries only the notebook names the body reads (for worker processes)."""
        clone = self.clone()
        clone.namespace = {k: v for k, v in self.namespace.items() if k in self.reads}
        clone._keep_dir = self._keep_dir
        return clone

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        # Code objects and locks stay behind; a worker compiles the body again.
        state["_code"] = None
        state["_kept"] = {}
        del state["_kept_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._kept_lock = threading.Lock()
        if self._code is None:
            first = getattr(self, "first_line", 1)
            tree = _transform(self.source, self.filename, first)[0]
            self._code = _compile(tree, self.filename, first)

    def __call__(self, trial: Any) -> Any:
        """Run the body for ``trial`` and return its last expression's value."""
        set_attr = getattr(trial, "set_system_attr", None)
        if set_attr is not None:
            set_attr(SOURCE_HASH_ATTR, self.source_hash)
        ns = dict(self.namespace)
        ns["trial"] = trial
        ns["report"] = trial.report
        from hpo_lab.notebook._hp import hp

        ns["hp"] = hp
        log = _log_of(trial)
        if log is None:
            exec(self._code, ns)
        else:
            from hpo_lab.notebook._capture import route

            with route(log, trial.number):
                exec(self._code, ns)
        if not self._has_result:
            raise ValueError(
                f"the %%hpo cell {_describe_last(self.source)}: end the cell with the "
                "objective's value, for example a last line `score`"
            )
        value = ns[_RESULT]
        _check_result(value)
        if self.keep is not None:
            if self.keep not in ns:
                raise NameError(
                    f"--keep {self.keep}: the cell did not define {self.keep!r} in this trial"
                )
            self._offer(trial, float(value), ns[self.keep])
        return value

    def take_kept(self, trial_id: int) -> tuple[bool, Any]:
        """Remove and return ``(found, value)`` of the ``keep`` variable of the trial with id
        ``trial_id`` (``FrozenTrial.trial_id``)."""
        with self._kept_lock:
            if trial_id in self._kept:
                return True, self._kept.pop(trial_id)
        if self._keep_dir is None:
            return False, None
        path = os.path.join(self._keep_dir, f"{trial_id}.pkl")
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            return False, None
        os.remove(path)
        import cloudpickle

        return True, cloudpickle.loads(data)

    def __repr__(self) -> str:
        return f"CellObjective(source_hash={self.source_hash!r}, reads={sorted(self.reads)!r})"


def _check_result(value: Any) -> None:
    from hpo_lab.study._study import coerce_objective_value

    if value is None:
        raise ValueError(
            "the %%hpo cell's last expression gave None; it must give the objective's value "
            "as a number (is the last line a call that returns nothing, like print(...)?)"
        )
    _, problem = coerce_objective_value(value)
    if problem is not None:
        text = problem.replace("the objective returned", "the %%hpo cell's last expression gave")
        raise TypeError(text.replace("it must return", "it must be"))


def _log_of(trial: Any) -> Any:
    """The log of the live run ``trial`` belongs to (thread executor), else ``None``."""
    try:
        study = trial.study
    except AttributeError:  # a worker process's proxy: its output stays in that process
        return None
    from hpo_lab.notebook._capture import active

    run = getattr(study, "run", None)
    if run is None or not active():
        return None
    from hpo_lab.notebook._log import log_for

    return log_for(run)


def unpicklable_names(objective: CellObjective) -> list[tuple[str, str]]:
    """The names the body reads that cannot go to worker processes, with the reason.

    Example:
        >>> import threading
        >>> obj = CellObjective("lock.acquire(); 1.0", {"lock": threading.Lock(), "n": 3})
        >>> [name for name, _ in unpicklable_names(obj)]
        ['lock']
    """
    import cloudpickle

    bad = []
    for name in sorted(objective.reads):
        if name not in objective.namespace:
            continue
        try:
            cloudpickle.dumps(objective.namespace[name])
        except Exception as exc:
            bad.append((name, f"{type(exc).__name__}: {exc}"))
    return bad


def objective_from_source(
    source: str,
    user_ns: Mapping[str, Any],
    *,
    executor: str = "thread",
    keep: str | None = None,
    keep_dir: str | None = None,
    direction: str = "minimize",
) -> CellObjective:
    """The objective a ``%%hpo`` cell with body ``source`` runs, for use without the magics.

    ``user_ns`` holds the variables the body may read (``globals()`` in a script). With
    ``executor="process"`` the objective carries only the names the body reads, and a name
    that cannot be pickled is a ``ValueError`` naming it. With ``keep``, each trial offers
    that variable's value: ``objective.take_kept(trial.trial_id)`` hands it over once (worker
    processes need ``keep_dir``, a directory they write it to, and the study's ``direction``).

    Example:
        >>> import hpo_lab
        >>> body = '''
        ... lr = hp.float(1e-4, 1e-1, log=True)
        ... k = trial.suggest_int("k", 1, 3)
        ... report(k * lr, step=0)
        ... k * lr * scale
        ... '''
        >>> objective = objective_from_source(body, {"scale": 10.0})
        >>> study = hpo_lab.create_study()
        >>> study.optimize(objective, n_trials=4)
        >>> sorted(study.best_params), len(study.trials[0].intermediate_values)
        (['k', 'lr'], 1)
    """
    if executor not in ("thread", "process", "dask"):
        raise ValueError(
            f"executor must be 'thread', 'process' or 'dask', but got executor={executor!r}"
        )
    objective = CellObjective(source, user_ns, keep=keep)
    if executor == "thread":
        return objective
    if keep is not None:
        if keep_dir is None:
            raise ValueError(
                f"keep={keep!r} with worker processes needs keep_dir, a directory through "
                "which workers hand the values back"
            )
        objective.keep_in_files(keep_dir, direction)
    bad = unpicklable_names(objective)
    if bad:
        name, why = bad[0]
        raise ValueError(
            f"notebook variable {name!r} cannot be sent to worker processes ({why}); create it "
            "inside the cell, or use the thread executor"
        )
    return objective.shipped()

"""The kernel's ``%%hpo`` studies by name: their study, latest run, objective and settings.

``%hpo`` subcommands whose NAME is left out act on the most recent entry. Entries stay after
their run ends (``%hpo extend`` starts a new run with the same objective); a new ``%%hpo NAME``
replaces the entry of NAME once its run has ended.

Example:
    >>> import hpo_lab
    >>> study = hpo_lab.create_study(study_name="demo")
    >>> entry = register(Entry("demo", study))
    >>> get().name, get("demo") is entry
    ('demo', True)
    >>> forget("demo")
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpo_lab.execution._run import Run
    from hpo_lab.study._study import Study

__all__ = [
    "Entry",
    "Kept",
    "UnknownNameError",
    "adopt",
    "entries",
    "forget",
    "get",
    "kept",
    "register",
]


class UnknownNameError(KeyError):
    """No ``%%hpo`` study of that name in this kernel."""

    def __str__(self) -> str:
        return str(self.args[0])


class Kept(dict):
    """The ``--keep`` variables of a study's best trial so far: ``kept(NAME)["model"]``.

    ``trial`` and ``value`` say which trial they come from (``None`` before any).
    """

    def __init__(self) -> None:
        super().__init__()
        self.trial: int | None = None
        self.value: float | None = None

    def __repr__(self) -> str:
        return f"Kept(trial={self.trial}, value={self.value}, names={sorted(self)})"


@dataclass
class Entry:
    """What the kernel knows of one ``%%hpo`` study."""

    name: str
    study: Study
    run: Run | None = None
    objective: Any = None
    #: The options the run was started with (``n_trials``, ``n_jobs``, ``executor``, ...).
    options: dict[str, Any] = field(default_factory=dict)
    panel: Any = None
    kept: Kept = field(default_factory=Kept)

    def is_live(self) -> bool:
        """Whether the entry's run has not ended."""
        return self.run is not None and self.run.is_live()


_entries: dict[str, Entry] = {}
_recent: list[str] = []
_lock = threading.Lock()


def register(entry: Entry) -> Entry:
    """Add or replace the entry of ``entry.name``; it becomes the most recent."""
    with _lock:
        _entries[entry.name] = entry
        if entry.name in _recent:
            _recent.remove(entry.name)
        _recent.append(entry.name)
    return entry


def adopt(run: Run, *, objective: Any = None, options: dict[str, Any] | None = None) -> Entry:
    """Register a run started outside ``%%hpo`` (the panel's warm-start button, say) under its
    study's name, so ``%hpo list/show/stop/extend NAME`` reach it. Replaces an entry of that
    name whose run has ended; a live one is a ``ValueError``.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(study_name="adopted")
        >>> run = study.start(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> adopt(run).run is run, get("adopted").study is study
        (True, True)
        >>> run.wait(60)
        True
        >>> forget("adopted")
    """
    name = run.study.study_name
    with _lock:
        old = _entries.get(name)
    if old is not None and old.is_live() and old.run is not run:
        raise ValueError(f"run {name!r} is still running; stop it before adopting another")
    entry = Entry(name, run.study, run=run, objective=objective, options=dict(options or {}))
    return register(entry)


def get(name: str | None = None) -> Entry:
    """The entry of ``name``, or the most recent one when ``name`` is ``None``.

    Raises :class:`UnknownNameError` (a ``KeyError``) with a one-line message otherwise.

    Example:
        >>> get("nope")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        hpo_lab.notebook._registry.UnknownNameError: no %%hpo study named 'nope' in this kernel ...
    """
    with _lock:
        if name is None:
            if not _recent:
                raise UnknownNameError("no %%hpo study in this kernel yet: run a %%hpo cell first")
            return _entries[_recent[-1]]
        hit = _entries.get(name)
        if hit is None:
            known = ", ".join(sorted(_entries)) or "none"
            raise UnknownNameError(f"no %%hpo study named {name!r} in this kernel (known: {known})")
        return hit


def entries() -> list[Entry]:
    """Every entry, oldest first."""
    with _lock:
        return [_entries[n] for n in _recent]


def forget(name: str) -> None:
    """Drop the entry of ``name`` (if any)."""
    with _lock:
        _entries.pop(name, None)
        if name in _recent:
            _recent.remove(name)


def kept(name: str | None = None) -> Kept:
    """The ``--keep`` variables of study ``name``'s best trial so far (most recent study if
    ``None``): ``kept("svc")["model"]`` is the fitted model of the best trial, no retraining.

    Example:
        >>> kept("nope")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        hpo_lab.notebook._registry.UnknownNameError: no %%hpo study named 'nope' in this kernel ...
    """
    return get(name).kept

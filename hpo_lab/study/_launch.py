"""The contract between a study and the layer that runs it in the background.

``Study.start`` and ``Study.optimize(n_jobs > 1)`` hand the work to a :class:`Launcher`; the
execution layer (``hpo_lab.execution``) registers one when it is imported, which
``import hpo_lab`` does. The study therefore imports nothing of the execution layer: imports
only point down (``execution`` -> ``study``), and what a run handle offers is written here as
:class:`RunHandle`, which ``hpo_lab.execution.Run`` satisfies.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from hpo_lab.study._events import Event
    from hpo_lab.study._study import Study

__all__ = ["Launcher", "RunHandle", "RunProgress", "RunStatus", "get_launcher", "set_launcher"]


class RunStatus(str, enum.Enum):
    """Where a run stands.

    ``running`` (starting trials), ``paused`` (no new trials; running ones go on), ``stopping``
    (no new trials; ends once running ones are done), and the final ``finished`` and ``failed``
    (the objective raised an exception not in ``catch``, or the runner itself failed).

    Example:
        >>> RunStatus("paused").is_live()
        True
    """

    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"
    FINISHED = "finished"
    FAILED = "failed"

    def is_live(self) -> bool:
        """Whether the run has not ended yet."""
        return self not in (RunStatus.FINISHED, RunStatus.FAILED)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RunProgress:
    """Counts of a run's own trials.

    Example:
        >>> p = RunProgress(finished=3, total=10, running=2, complete=2, pruned=1, failed=0)
        >>> str(p)
        '3/10 finished (2 running, 1 pruned, 0 failed)'
    """

    finished: int
    total: int | None
    running: int
    complete: int
    pruned: int
    failed: int

    def __str__(self) -> str:
        total = "?" if self.total is None else str(self.total)
        return (
            f"{self.finished}/{total} finished ({self.running} running, {self.pruned} pruned, "
            f"{self.failed} failed)"
        )


@runtime_checkable
class RunHandle(Protocol):
    """A background run: its state, and the controls that act on it from any thread.

    Example:
        >>> import hpo_lab
        >>> run = hpo_lab.create_study().start(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> isinstance(run, RunHandle), run.wait(60)
        (True, True)
    """

    @property
    def study(self) -> Study: ...
    @property
    def status(self) -> RunStatus: ...
    @property
    def n_jobs(self) -> int: ...
    @property
    def n_trials(self) -> int | None: ...
    @property
    def executor(self) -> str: ...
    @property
    def progress(self) -> RunProgress: ...
    @property
    def objective(self) -> Callable[[Any], Any] | None: ...
    @property
    def settings(self) -> dict[str, Any]: ...
    @property
    def exception(self) -> BaseException | None: ...
    def is_live(self) -> bool: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def stop(self, wait: bool = False, *, cancel: bool = False) -> None: ...
    def extend(self, n: int) -> None: ...
    def set_n_jobs(self, n_jobs: int) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...
    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]: ...


class Launcher(Protocol):
    """What runs a study's trials in the background (registered by ``hpo_lab.execution``)."""

    def start(self, study: Study, objective: Callable[[Any], Any], **kwargs: Any) -> RunHandle:
        """Start a background run and return its handle at once."""
        ...

    def run_sync(self, study: Study, objective: Callable[[Any], Any], **kwargs: Any) -> None:
        """Run the same loop and wait for it (Ctrl-C stops it cleanly)."""
        ...


_launcher: Launcher | None = None


def set_launcher(launcher: Launcher) -> None:
    """Register the launcher (``hpo_lab.execution`` does, on import)."""
    global _launcher
    _launcher = launcher


def get_launcher() -> Launcher:
    """The registered launcher.

    Example:
        >>> import hpo_lab
        >>> callable(get_launcher().start)
        True
    """
    if _launcher is None:
        raise RuntimeError(
            "no background launcher is registered: import hpo_lab (not only hpo_lab.study)"
        )
    return _launcher

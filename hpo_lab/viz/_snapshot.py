"""What every plot reads: an immutable snapshot of a study's trials, and lazy plotly."""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from hpo_lab.search_space._revision import SpaceRevision
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.study._study import Study

__all__ = ["StudyLike", "StudySnapshot", "TargetType", "as_snapshot", "import_plotly", "snapshot"]

TargetType = Callable[[FrozenTrial], float]


@dataclass(frozen=True)
class StudySnapshot:
    """The trials of a study at one moment, with what the plots need to read them.

    Plots take a :class:`~hpo_lab.Study`, a snapshot, or a plain list of trials; a snapshot
    decouples a (slow) plot from a study that keeps changing.

    Attributes:
        trials: The study's own trials, ordered by number.
        direction: ``"minimize"`` or ``"maximize"``.
        inherited: Warm-start trials from the parent study (``origin`` set).
        revisions: The search-space revisions, revision 0 first.
        study_name: The study's name (for titles).

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study(direction="maximize")
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> snap = snapshot(s)
        >>> len(snap.trials), snap.direction, len(snap.revisions)
        (2, 'maximize', 1)
    """

    trials: tuple[FrozenTrial, ...] = ()
    direction: str = "minimize"
    inherited: tuple[FrozenTrial, ...] = ()
    revisions: tuple[SpaceRevision, ...] = ()
    study_name: str = ""

    def __post_init__(self) -> None:
        if self.direction not in ("minimize", "maximize"):
            raise ValueError(
                f"direction must be 'minimize' or 'maximize', but got {self.direction!r}"
            )

    def get_trials(
        self, deepcopy: bool = False, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The own trials, optionally only those in ``states`` (the study's signature)."""
        if states is None:
            return list(self.trials)
        return [t for t in self.trials if t.state in states]


StudyLike = Union["Study", StudySnapshot, Sequence[FrozenTrial]]


def snapshot(study: Study) -> StudySnapshot:
    """Freeze a study's trials, inherited trials and revisions.

    Example:
        >>> import hpo_lab
        >>> snapshot(hpo_lab.create_study()).trials
        ()
    """
    return StudySnapshot(
        trials=tuple(study.get_trials(deepcopy=False)),
        direction=study.direction,
        inherited=tuple(study.inherited_trials),
        revisions=tuple(study.search_space_history),
        study_name=study.study_name,
    )


def as_snapshot(source: Any) -> StudySnapshot:
    """A snapshot of a study, a snapshot itself, or a snapshot of a list of trials.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> as_snapshot([FrozenTrial(number=0, state=TrialState.RUNNING)]).direction
        'minimize'
    """
    if isinstance(source, StudySnapshot):
        return source
    if hasattr(source, "search_space_history") and hasattr(source, "inherited_trials"):
        return snapshot(source)
    if isinstance(source, (list, tuple)) and all(isinstance(t, FrozenTrial) for t in source):
        return StudySnapshot(trials=tuple(sorted(source, key=lambda t: t.number)))
    raise TypeError(
        "plots take a Study, a StudySnapshot or a list of FrozenTrial, "
        f"but got {type(source).__name__}"
    )


def trial_value(trial: FrozenTrial, target: TargetType | None) -> float | None:
    """The plotted value of a COMPLETE trial (``target`` applied), else ``None``."""
    if trial.state != TrialState.COMPLETE:
        return None
    value = target(trial) if target is not None else trial.value
    if value is None:
        return None
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(
            f"target returned {value!r} for trial {trial.number}; plots need finite values"
        )
    return v


def last_intermediate(trial: FrozenTrial) -> float | None:
    """The value at the last reported step, or ``None``."""
    step = trial.last_step
    return None if step is None else float(trial.intermediate_values[step])


def check_params(params: Sequence[str] | None) -> list[str] | None:
    """Validate a ``params`` argument."""
    if params is None:
        return None
    if isinstance(params, str):
        raise TypeError(f"params must be a list of names, but got the string {params!r}")
    out = list(params)
    for p in out:
        if not isinstance(p, str):
            raise TypeError(f"params must hold parameter names (str), but got {p!r}")
    return out


def import_plotly() -> Any:
    """``plotly.graph_objects``, or an ImportError that names the extra to install."""
    try:
        return importlib.import_module("plotly.graph_objects")
    except ImportError as exc:  # pragma: no cover - plotly is installed where tests run
        raise ImportError(
            "hpo_lab.viz needs plotly: pip install 'hpo_lab[viz]'"
        ) from exc

"""Studies: create, load, ask/tell, optimize, narrow, warm start."""

from hpo_lab.study._artifacts import StudyArtifacts
from hpo_lab.study._callbacks import MaxTrialsCallback
from hpo_lab.study._direction import StudyDirection
from hpo_lab.study._events import Event, EventBus
from hpo_lab.study._launch import RunHandle, RunProgress, RunStatus
from hpo_lab.study._narrow_spec import parse_narrowing
from hpo_lab.study._study import Study, create_study, load_study
from hpo_lab.study._view import StudyView
from hpo_lab.study._warm import warm_start

__all__ = [
    "Event",
    "EventBus",
    "MaxTrialsCallback",
    "RunHandle",
    "RunProgress",
    "RunStatus",
    "Study",
    "StudyArtifacts",
    "StudyDirection",
    "StudyView",
    "create_study",
    "load_study",
    "parse_narrowing",
    "warm_start",
]

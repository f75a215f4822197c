"""Studies: create, load, ask/tell, optimize, narrow, warm start."""

from hpo_lab.study._events import Event, EventBus
from hpo_lab.study._study import Study, create_study, load_study
from hpo_lab.study._view import StudyView

__all__ = ["Event", "EventBus", "Study", "StudyView", "create_study", "load_study"]

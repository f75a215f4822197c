"""Study views: the read-only contract samplers, pruners and schedulers read a study through,
and the small views built without a study (filtered, or as of an earlier moment)."""

from hpo_lab.views._as_of import trial_as_of, trials_as_of, view_as_of
from hpo_lab.views._protocol import StudyView
from hpo_lab.views._trials import TrialsView, filter_view

__all__ = [
    "StudyView",
    "TrialsView",
    "filter_view",
    "trial_as_of",
    "trials_as_of",
    "view_as_of",
]

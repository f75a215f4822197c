"""Population-based training: members train in intervals, the worst copy the best and explore.

Start it like any run: ``study.start(objective, scheduler=PopulationBasedTraining(...))``.
"""

from hpo_lab.pbt._explore import explore, move_inside, perturb, resample
from hpo_lab.pbt._pbt import PBT_ATTR, PopulationBasedTraining, member_history, segment

__all__ = [
    "PBT_ATTR",
    "PopulationBasedTraining",
    "explore",
    "member_history",
    "move_inside",
    "perturb",
    "resample",
    "segment",
]

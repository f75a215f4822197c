"""Leaves a RUNNING trial with a live heartbeat thread and exits without closing anything."""

from __future__ import annotations

import sys

import hpo_lab
from hpo_lab.storages._sqlite import SQLiteStorage

if __name__ == "__main__":
    store = SQLiteStorage(sys.argv[1], heartbeat_interval=0.05)
    study = hpo_lab.create_study(study_name="exit", storage=store)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    print("asked", trial.number, flush=True)

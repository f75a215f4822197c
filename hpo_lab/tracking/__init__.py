"""Experiment trackers: log a study's trials to MLflow or Weights & Biases.

A tracker is an ``optimize`` callback (``callbacks=[tracker]``, as Optuna's ``MLflowCallback``)
or is attached to a study (``tracker.attach(study)``) to log intermediate values live. See
:class:`Tracker` for the interface an adapter implements.

============================  ===========  =====================================================
tracker                       extra        where it writes
============================  ===========  =====================================================
:class:`MLflowTracker`        ``mlflow``   any tracking URI: ``file:`` store, ``sqlite:``, server
:class:`WandbTracker`         ``wandb``    W&B, online or offline (``WANDB_MODE=offline``)
============================  ===========  =====================================================

The trackers import their package only when made.

Example:
    >>> from hpo_lab.tracking import Tracker
    >>> sorted(Tracker.__abstractmethods__)
    ['_finish_trial', '_log_intermediate', '_start_trial']
"""

from __future__ import annotations

from hpo_lab.tracking._base import Tracker
from hpo_lab.tracking._mlflow import MLflowTracker
from hpo_lab.tracking._wandb import WandbTracker

__all__ = ["MLflowTracker", "Tracker", "WandbTracker"]

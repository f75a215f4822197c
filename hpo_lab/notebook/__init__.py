"""The notebook layer: ``%%hpo`` / ``%hpo`` magics and the live control panel.

Nothing in the core imports this package; it subscribes to the core's events and reads the
store. IPython, ipywidgets and plotly are imported lazily (the ``notebook`` extra).
"""

from hpo_lab.notebook._log import LogEntry, RunLog, log_for

__all__ = ["LogEntry", "RunLog", "log_for"]

"""Plots of a study: plotly figures, with Optuna's names so habits carry over.

Every plot is a pure data function (``_history_data(snapshot)`` and so on, tested on its own)
plus a renderer, and takes a :class:`~hpo_lab.Study`, a :class:`StudySnapshot` or a list of
trials. Live forms keep a displayed figure current: :class:`LiveOptimizationHistory`,
:class:`LiveIntermediateValues` and :class:`LiveTimeline` append only new trials;
:class:`LivePlot` re-renders any other plot at most every 2 s.

plotly is imported inside the functions, so ``import hpo_lab.viz`` is cheap; calling a plot
without plotly raises an ImportError that names the ``viz`` extra.

Example:
    >>> import hpo_lab
    >>> from hpo_lab.viz import plot_optimization_history
    >>> s = hpo_lab.create_study()
    >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> plot_optimization_history(s).layout.xaxis.title.text
    'Trial'
"""

from hpo_lab.viz._contour import plot_contour
from hpo_lab.viz._edf import plot_edf
from hpo_lab.viz._history import LiveOptimizationHistory, plot_optimization_history
from hpo_lab.viz._importances import plot_param_importances
from hpo_lab.viz._intermediate import LiveIntermediateValues, plot_intermediate_values
from hpo_lab.viz._lr_find import plot_lr_find
from hpo_lab.viz._parallel import plot_parallel_coordinate
from hpo_lab.viz._pbt import plot_pbt_schedule
from hpo_lab.viz._rungs import plot_rungs
from hpo_lab.viz._slice import plot_slice
from hpo_lab.viz._snapshot import StudySnapshot, snapshot
from hpo_lab.viz._terminator import plot_terminator_improvement
from hpo_lab.viz._throttle import LivePlot, Throttle
from hpo_lab.viz._timeline import LiveTimeline, plot_timeline

__all__ = [
    "LiveIntermediateValues",
    "LiveOptimizationHistory",
    "LivePlot",
    "LiveTimeline",
    "StudySnapshot",
    "Throttle",
    "plot_contour",
    "plot_edf",
    "plot_intermediate_values",
    "plot_lr_find",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_pbt_schedule",
    "plot_rungs",
    "plot_slice",
    "plot_terminator_improvement",
    "plot_timeline",
    "snapshot",
]

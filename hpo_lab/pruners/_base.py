"""The pruner contract.

Who calls what: ``trial.should_prune()`` pins the study's view (``view.snapshot()``) and calls
:meth:`BasePruner.decide` with it and the trial as stored at that moment (its intermediate
values up to the last report). The pruner returns a :class:`~hpo_lab.trial.PruneDecision` --
prune or continue, the step, what it compared with what -- or ``None`` when it has nothing to
decide at this step (warm-up, off its interval). The study stores each decision with the trial,
together with the view's cursor.

A decision must depend only on the view and the pruner's constructor arguments, so that
rebuilding the view at the recorded cursor (:func:`hpo_lab.views.view_as_of`) and asking a
fresh pruner gives the same decision: the pruner contract suite replays every recorded decision
this way, and a study resumed from its store decides as an uninterrupted one would. Pruners may
be called from several threads at once; they hold no mutable state of their own, so they copy
and pickle freely.

A pruner written in Optuna's style, overriding only ``prune(view, trial) -> bool``, works too:
its answers are recorded as decisions with the rule set to the class name.

Values resolved once ("auto" resources) and study-level findings (a rung whose pruning was
relaxed) are kept in the study's system attributes through :meth:`BasePruner.study_attrs`:
after recording a decision, the study asks the pruner, with the same pinned view, for the
values it wants kept, and writes those that differ from what is stored. ``decide()`` may read
them back (``view.system_attrs``) only in a way that gives the same decision whether or not
they had been written yet: a replay sees the attributes as they are at the end (see
``hpo_lab/pruners/_resources.py`` for the rule the built-in pruners follow).
"""

from __future__ import annotations

import abc
import inspect
from typing import TYPE_CHECKING, Any

from hpo_lab.trial._decision import PruneDecision
from hpo_lab.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from hpo_lab.views._protocol import StudyView

__all__ = ["BasePruner"]


class BasePruner(abc.ABC):  # noqa: B024 - abstract through the either-or check below
    """Abstract pruner: override :meth:`decide` (or, Optuna-style, :meth:`prune`).

    Example:
        >>> class StopAfterThree(BasePruner):
        ...     def prune(self, view, trial):
        ...         return trial.last_step is not None and trial.last_step >= 3
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(pruner=StopAfterThree())
        >>> t = study.ask()
        >>> t.report(0.5, step=3)
        >>> t.should_prune(), t.freeze().decisions[0].rule
        (True, 'StopAfterThree')
    """

    #: Whether decisions compare with values that unfinished (RUNNING) trials reported.
    #: Median and percentile pruning compare with COMPLETE trials only; asynchronous successive
    #: halving compares with every value recorded at a rung so far, whoever reported it. The
    #: contract suite checks the matching property.
    compares_running_trials: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if inspect.isabstract(cls):
            return
        if cls.decide is BasePruner.decide and cls.prune is BasePruner.prune:
            raise TypeError(f"{cls.__name__} must override decide() or prune()")

    def decide(self, view: StudyView, trial: FrozenTrial) -> PruneDecision | None:
        """The decision for ``trial`` now, or ``None`` when there is nothing to decide.

        The default asks :meth:`prune` (for pruners written in Optuna's style).
        """
        step = trial.last_step
        if step is None:
            return None
        pruned = bool(self.prune(view, trial))
        name = type(self).__name__
        return PruneDecision(
            prune=pruned,
            step=step,
            rule=name,
            reason=f"{name}.prune() answered {pruned}",
        )

    def study_attrs(self, view: StudyView) -> dict[str, Any]:
        """Study-level values this pruner wants kept with the study, by key (default: none).

        Called by the study after it records a decision, on the same pinned view; each key
        whose value differs from ``view.system_attrs`` is written to the study's system
        attributes, where every process and every resume reads it. Return only what changed
        (an empty dict most of the time): this is called once per recorded decision.
        """
        return {}

    def prune(self, view: StudyView, trial: FrozenTrial) -> bool:
        """Whether ``trial`` should be pruned now (the decision's ``prune``)."""
        decision = self.decide(view, trial)
        return decision is not None and decision.prune

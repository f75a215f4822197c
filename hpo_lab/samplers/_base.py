"""The sampler contract.

Who calls what: for each trial, the study calls :meth:`BaseSampler.before_trial`, then
:meth:`infer_relative_search_space` and :meth:`sample_relative` once (joint proposals for the
parameters seen before), then :meth:`sample_independent` for every parameter the objective
suggests that the relative step did not cover, and finally :meth:`finished_trial_attrs` and
:meth:`after_trial`.

Distributions handed to ``sample_relative`` and ``sample_independent`` are already the
*effective* ones for the trial's search-space revision (narrowed ranges applied); a sampler
must return values inside them. History (``view.get_trials()``) may contain values outside the
current ranges: those are still observations.

Samplers read the study only through :class:`~hpo_lab.study.StudyView`. They may be called from
several threads at once (parallel workers) and must guard their own mutable state.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from hpo_lab.distributions import Distribution
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.study._view import StudyView

__all__ = ["MAX_RUNNING_RECORDS", "PROPOSED_BY_ATTR", "BaseSampler", "keep_record", "proposed_by"]

K = TypeVar("K")
V = TypeVar("V")

#: The trial system attribute in which model-based samplers record how a trial's parameters
#: were chosen ("random" while starting up, "tpe", "gp", "gp (trust region; warped: lr)"...).
PROPOSED_BY_ATTR = "proposed_by"


#: Per-trial records a sampler keeps for running trials, at most: trials asked but never told
#: (a killed worker) would otherwise leave theirs behind for good.
MAX_RUNNING_RECORDS = 1024


def keep_record(records: dict[K, V], key: K, value: V) -> None:
    """``records[key] = value``, dropping the oldest records beyond
    :data:`MAX_RUNNING_RECORDS` (dicts keep insertion order).

    Example:
        >>> records = {}
        >>> for i in range(MAX_RUNNING_RECORDS + 2):
        ...     keep_record(records, i, "gp")
        >>> len(records), next(iter(records))
        (1024, 2)
    """
    records[key] = value
    while len(records) > MAX_RUNNING_RECORDS:
        del records[next(iter(records))]


def proposed_by(trial: FrozenTrial, model: str | None) -> dict[str, str]:
    """The :data:`PROPOSED_BY_ATTR` record of ``trial``: ``model`` when a model proposed its
    parameters, "enqueued" when every parameter was given by ``enqueue_trial``, else "random".

    Example:
        >>> t = FrozenTrial(0, TrialState.RUNNING, params={"x": 1.0})
        >>> proposed_by(t, None), proposed_by(t, "tpe")
        ({'proposed_by': 'random'}, {'proposed_by': 'tpe'})
    """
    fixed = trial.system_attrs.get("fixed_params") or {}
    if trial.params and all(name in fixed for name in trial.params):
        return {PROPOSED_BY_ATTR: "enqueued"}
    return {PROPOSED_BY_ATTR: model or "random"}


class BaseSampler(abc.ABC):
    """Abstract sampler: one abstract method plus no-op hooks."""

    @abc.abstractmethod
    def sample_independent(
        self, view: StudyView, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        """Propose a value for one parameter, inside ``distribution``."""

    def infer_relative_search_space(
        self, view: StudyView, trial: FrozenTrial
    ) -> dict[str, Distribution]:
        """The declared distributions to sample jointly for this trial (default: none)."""
        return {}

    def sample_relative(
        self, view: StudyView, trial: FrozenTrial, search_space: dict[str, Distribution]
    ) -> dict[str, Any]:
        """Joint proposals for ``search_space`` (effective distributions); default: none."""
        return {}

    def before_trial(self, view: StudyView, trial: FrozenTrial) -> None:  # noqa: B027
        """Called when a trial starts, before any sampling."""

    def finished_trial_attrs(
        self, view: StudyView, trial: FrozenTrial, state: TrialState, value: float | None
    ) -> Mapping[str, Any]:
        """System attributes to store with ``trial`` as it finishes (default: none).

        Called by ``tell()`` just before :meth:`after_trial`, while the trial is still RUNNING;
        the study stores each returned value (JSON) in the trial's ``system_attrs``. This is
        how a sampler keeps per-trial data it computed (for example the constraint values of
        ``TPESampler(constraints_func=...)``) without writing to the store itself.
        """
        return {}

    def after_trial(  # noqa: B027
        self, view: StudyView, trial: FrozenTrial, state: TrialState, value: float | None
    ) -> None:
        """Called when a trial finishes."""

    def is_exhausted(self, view: StudyView) -> bool:
        """Whether nothing is left to propose (a finished grid); runs stop asking then."""
        return False

    def reseed_rng(self, seed: int | None = None) -> None:  # noqa: B027
        """Reset the random state (used when a sampler is copied to a worker)."""

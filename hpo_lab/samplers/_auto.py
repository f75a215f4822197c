"""The default sampler: a GP while it pays off, TPE where it does not."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from hpo_lab.distributions import CategoricalDistribution, Distribution
from hpo_lab.samplers._base import PROPOSED_BY_ATTR, BaseSampler
from hpo_lab.samplers._gp import GPSampler
from hpo_lab.samplers._gp._fidelity import FidelityGPSampler
from hpo_lab.samplers._multifidelity import fidelity_levels
from hpo_lab.samplers._tpe import TPESampler
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.study._view import StudyView

__all__ = ["AutoSampler"]

_Choice = Literal["gp", "tpe", "fidelity"]
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
# The multi-fidelity GP runs while fewer than this many times ``max_gp_trials`` trials have
# finished (complete or pruned). It fits at most 300 rows, so its cost per ask levels off (35 ms
# at 500-600 trials of three parameters here, against the plain GP's 20 ms), but past ~1,500
# trials TPE, which also learns from pruned trials, is cheaper.
_FIDELITY_TRIALS_FACTOR = 5


class AutoSampler(BaseSampler):
    """Picks Gaussian-process BO or TPE for each trial from the search space and the history.

    The rule, applied when each trial is asked (``n`` = COMPLETE observations with a finite
    value, own and inherited; the space = the parameters those observations declared):

    1. **Start-up.** While ``n < n_startup_trials``, parameters are drawn uniformly at random
       (the inner samplers' own start-up).
    2. **GP** (:class:`~hpo_lab.samplers.GPSampler`) when the space is *flat* (every observation
       declared the same parameters, so nothing is conditional), has at most ``max_gp_dims``
       parameters, is not *all-categorical with more than* ``max_gp_choices`` *choices in all*,
       and ``n < max_gp_trials``. A GP models such spaces well from few observations, and its
       cost (cubic in ``n``) is still small there.
    3. **Multi-fidelity GP** instead of the GP when ``multi_fidelity`` is on, a rung-based
       pruner (successive halving, Hyperband) has decided at some resource, and fewer than
       ``5 * max_gp_trials`` trials have finished: one GP over the parameters and the
       resource, fitted on every rung value of COMPLETE and PRUNED trials, proposing for the
       full resource (the joint model of :class:`~hpo_lab.samplers.MultiFidelitySampler`).
       The space test of rule 2 then reads the pruned trials too. The plain GP leaves pruned
       trials out, so under Hyperband it learns only from the few trials that complete.
       On the multi-fidelity benchmark (``benchmarks/multifidelity.py``, 8 problems, 20
       seeds, Hyperband) the joint model ended lower than the plain GP on more seeds than
       higher on all 8, significantly (p < 0.05) on 6.
    4. **TPE** (:class:`~hpo_lab.samplers.TPESampler`, multivariate) otherwise: conditional
       (define-by-run) spaces, large purely categorical spaces, very many parameters, and long
       studies, where a GP's cost grows and TPE's scales.

    Why these lines (sampler benchmark, ``benchmarks/samplers.py``, 100 trials, median regret
    over seeds 0-9): in 20 and 40 parameters (Hartmann-6 with 14 or 34 dummies, of one kind or
    of every kind) the GP ends 10-50x closer to the optimum than TPE, so the GP keeps spaces of
    up to 64 parameters; on a cell of six categorical parameters with five choices each
    (``nas_cells``) TPE was better in earlier rounds (raw regret 0.76 against 1.44) and ties
    the GP since the GP refines 10 acquisition starts in such spaces (normalized regret 0.084
    both, 0.158 both over 30 seeds) at a tenth of its cost, while the same cell with three
    numeric parameters added (``nas_mixed``) is the GP's (0.19 against 0.26).

    A study thus runs GP and may switch to TPE later (past ``max_gp_trials``, or when a
    conditional parameter appears); both read every observation, so nothing is lost on the
    switch. The inner samplers draw from one shared random stream, so a sequential run with the
    same seed makes the same proposals. Narrowed revisions, warm start (inherited trials count
    as observations) and parallel asks (constant liar) are handled by the inner samplers.

    Args:
        seed: Seed of all randomness.
        n_startup_trials: Observations before a model is used.
        max_gp_dims: The most parameters for which the GP is used.
        max_gp_choices: The most categorical choices (summed over parameters) for which the GP
            is used on a space of categorical parameters only.
        max_gp_trials: Observations from which TPE takes over.
        multi_fidelity: Whether rule 3 applies.

    ``copy.deepcopy`` and ``pickle`` copy both inner samplers; in the copy they again draw from
    one stream (a copy of the original's), so it proposes what the original would.

    Example:
        >>> import hpo_lab
        >>> study = hpo_lab.create_study(sampler=AutoSampler(seed=0))
        >>> study.optimize(lambda t: (t.suggest_float("x", -5, 5) - 1) ** 2, n_trials=20)
        >>> study.best_value < 0.05
        True
    """

    def __init__(
        self,
        seed: int | None = None,
        *,
        n_startup_trials: int = 10,
        max_gp_dims: int = 64,
        max_gp_choices: int = 16,
        max_gp_trials: int = 300,
        multi_fidelity: bool = True,
    ) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"seed must be an int or None, but got seed={seed!r}")
        for label, v, low in (
            ("n_startup_trials", n_startup_trials, 0),
            ("max_gp_dims", max_gp_dims, 0),
            ("max_gp_choices", max_gp_choices, 0),
            ("max_gp_trials", max_gp_trials, 0),
        ):
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ValueError(f"{label} must be an integer >= {low}, but got {label}={v!r}")
        self._n_startup_trials = n_startup_trials
        self._max_gp_dims = max_gp_dims
        self._max_gp_choices = max_gp_choices
        self._max_gp_trials = max_gp_trials
        self._multi_fidelity = bool(multi_fidelity)
        self._gp = GPSampler(seed=seed, n_startup_trials=n_startup_trials)
        self._tpe = TPESampler(seed=seed, n_startup_trials=n_startup_trials)
        self._fidelity = FidelityGPSampler(seed=seed, n_startup_trials=n_startup_trials)
        self._lock = threading.Lock()
        self._choices: dict[tuple[str, int], _Choice] = {}
        self._share_rng(np.random.default_rng(seed))

    def _share_rng(self, rng: np.random.Generator) -> None:
        # One stream for both: which sampler draws next depends only on the history, so a
        # sequential run replays exactly.
        self._gp._rng = rng
        self._tpe._rng = rng
        self._fidelity._rng = rng

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            state = {k: v for k, v in self.__dict__.items() if k != "_lock"}
            state["_choices"] = dict(self._choices)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()
        # Each inner sampler was copied on its own, the shared generator with it: share one
        # copy again (both hold the same state).
        self._share_rng(self._gp._rng)

    def reseed_rng(self, seed: int | None = None) -> None:
        self._gp.reseed_rng(seed)
        self._tpe.reseed_rng(seed)
        self._fidelity.reseed_rng(seed)
        self._share_rng(np.random.default_rng(seed))

    def choose(self, view: StudyView, *, multi_fidelity: bool | None = None) -> _Choice:
        """Which model the rule picks for the next trial of ``view`` (see the class docstring);
        ``multi_fidelity`` overrides the sampler's own setting of rule 3.

        Example:
            >>> import hpo_lab
            >>> study = hpo_lab.create_study()
            >>> AutoSampler().choose(study.view)
            'gp'
        """
        complete = [
            t
            for t in view.get_trials((TrialState.COMPLETE,))
            if t.value is not None and math.isfinite(t.value)
        ]
        if len(complete) >= self._max_gp_trials:
            return "tpe"
        if multi_fidelity is None:
            multi_fidelity = self._multi_fidelity
        if multi_fidelity and fidelity_levels(view):
            finished = [t for t in view.get_trials(_FINISHED) if t.params]
            if len(finished) >= _FIDELITY_TRIALS_FACTOR * self._max_gp_trials:
                return "tpe"
            return "fidelity" if self.gp_suits(finished) else "tpe"
        return "gp" if self.gp_suits(complete) else "tpe"

    def gp_suits(self, trials: list[FrozenTrial]) -> bool:
        """Whether the space these trials declared is one for the GP (rule 2 above, without
        the count of observations): flat, at most ``max_gp_dims`` parameters, and not
        all-categorical with more than ``max_gp_choices`` choices.

        Example:
            >>> from hpo_lab.distributions import FloatDistribution
            >>> t = FrozenTrial(0, TrialState.COMPLETE, value=1.0, params={"x": 0.5},
            ...                 distributions={"x": FloatDistribution(0, 1)})
            >>> AutoSampler().gp_suits([t])
            True
        """
        names: set[str] | None = None
        space: dict[str, Distribution] = {}
        for t in trials:
            declared = {n for n, d in t.distributions.items() if not d.single()}
            if names is None:
                names = declared
            elif declared != names:
                return False  # conditional parameters
            space.update(t.distributions)
        dims = [d for d in space.values() if not d.single()]
        categorical = [d for d in dims if isinstance(d, CategoricalDistribution)]
        n_choices = sum(len(d.choices) for d in categorical)
        if len(dims) > self._max_gp_dims:
            return False
        return not (dims and len(categorical) == len(dims) and n_choices > self._max_gp_choices)

    def _inner(self, view: StudyView, trial: FrozenTrial) -> BaseSampler:
        with self._lock:
            choice = self._choices.get((view.study_name, trial.trial_id))
        if choice is None:
            choice = self.choose(view)
            with self._lock:
                self._choices[(view.study_name, trial.trial_id)] = choice
        return {"gp": self._gp, "tpe": self._tpe, "fidelity": self._fidelity}[choice]

    def before_trial(self, view: StudyView, trial: FrozenTrial) -> None:
        self._gp.before_trial(view, trial)
        self._tpe.before_trial(view, trial)
        self._fidelity.before_trial(view, trial)

    def infer_relative_search_space(
        self, view: StudyView, trial: FrozenTrial
    ) -> dict[str, Distribution]:
        return self._inner(view, trial).infer_relative_search_space(view, trial)

    def sample_relative(
        self, view: StudyView, trial: FrozenTrial, search_space: dict[str, Distribution]
    ) -> dict[str, Any]:
        return self._inner(view, trial).sample_relative(view, trial, search_space)

    def sample_independent(
        self, view: StudyView, trial: FrozenTrial, name: str, distribution: Distribution
    ) -> Any:
        # A parameter outside the joint space is new or conditional: TPE models those one by
        # one (and draws uniformly while starting up), whichever sampler made the joint step.
        inner = self._inner(view, trial)
        if inner is self._gp or inner is self._fidelity:
            return self._tpe.sample_independent(view, trial, name, distribution)
        return inner.sample_independent(view, trial, name, distribution)

    def finished_trial_attrs(
        self, view: StudyView, trial: FrozenTrial, state: TrialState, value: float | None
    ) -> Mapping[str, Any]:
        # Every inner sampler is asked, so that each forgets the trial; the record of how the
        # trial was proposed is the chosen one's.
        inner = self._inner(view, trial)
        records = {
            id(s): s.finished_trial_attrs(view, trial, state, value)
            for s in (self._gp, self._tpe, self._fidelity)
        }
        attrs: dict[str, Any] = {}
        for record in records.values():
            attrs.update(record)
        attrs.update(records[id(inner)])
        # The GP may still be starting up (it counts COMPLETE trials only) while TPE, which
        # also counts PRUNED ones, already modelled the parameters outside the joint space.
        if attrs.get(PROPOSED_BY_ATTR) == "random":
            tpe = records[id(self._tpe)].get(PROPOSED_BY_ATTR)
            if tpe == "tpe":
                attrs[PROPOSED_BY_ATTR] = tpe
        return attrs

    def after_trial(
        self, view: StudyView, trial: FrozenTrial, state: TrialState, value: float | None
    ) -> None:
        with self._lock:
            self._choices.pop((view.study_name, trial.trial_id), None)
        self._gp.after_trial(view, trial, state, value)
        self._tpe.after_trial(view, trial, state, value)
        self._fidelity.after_trial(view, trial, state, value)

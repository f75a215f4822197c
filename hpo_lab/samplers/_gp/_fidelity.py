"""A GP over (parameters, resource): one model of every rung's values, proposing at the full
resource.

With successive halving or Hyperband most trials stop at a low rung. Modelling only the
COMPLETE trials (the plain GP) throws those values away; modelling only one rung (BOHB's rule)
throws away the others, and trusts a low rung's ranking as if it were the final one. Here the
resource is one more input of the GP, ``1 - log(r) / log(R)`` (0 at the full resource ``R``),
with its own length scale fitted like every other: where values at low rungs predict the final
ones (accuracy-like curves) the length scale is long and a cheap rung value informs the full-
resource prediction almost fully; where curves cross it is short and low rungs inform it little.
Expected improvement is maximized at the full resource, against the best full-resource
prediction at an evaluated point. (In the spirit of the multi-fidelity GPs of Swersky et al.
2013, "Multi-task Bayesian optimization", and Kandasamy et al. 2017, "BOCA", with the resource
as a kernel input.)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_lab import _validation
from hpo_lab.distributions import Distribution
from hpo_lab.samplers._gp._sampler import GPSampler, _Layout, _SpaceKey
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.samplers._gp._gp import GPPosterior
    from hpo_lab.study._view import StudyView

__all__ = ["DEFAULT_MAX_MODEL_POINTS", "FidelityGPSampler"]

# Rows the GP is fitted on at most (its cost is cubic in them): full-resource values first, then
# rung values from the highest rung down, a rung that does not fit whole being thinned evenly
# over trial numbers.
DEFAULT_MAX_MODEL_POINTS = 300
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


class _FidelityLayout(_Layout):
    """The parameters' columns plus one resource column (the last), in a group of its own. A
    parameter row (and every proposal) has 0 there: the full resource."""

    def __init__(self, declared: dict[str, Distribution]) -> None:
        super().__init__(declared)
        # ``encode`` and ``box`` fill the parameters' columns of rows this wide, so the
        # resource column of every encoded row and proposal is 0 (the full resource).
        self.n_features += 1
        self.groups = np.append(self.groups, len(self.names))


def _levels(view: StudyView) -> list[int]:
    from hpo_lab.samplers._multifidelity import fidelity_levels

    return fidelity_levels(view)


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


class FidelityGPSampler(GPSampler):
    """:class:`GPSampler` fitted on every rung value of COMPLETE and PRUNED trials, with the
    resource as an input; proposals are made for the full resource.

    The rung resources are those the study's pruner has decided at
    (:func:`~hpo_lab.samplers._multifidelity.fidelity_levels`); the full resource is the
    highest of them and of the COMPLETE trials' last steps. With no rung pruner it is the
    plain GP. :class:`~hpo_lab.samplers.MultiFidelitySampler` uses it.

    Args:
        seed: Seed of all randomness.
        n_startup_trials: Finished trials with a value (at any rung) before the GP takes over.
        max_model_points: Rows the GP is fitted on at most (see ``DEFAULT_MAX_MODEL_POINTS``).

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.pruners import HyperbandPruner
        >>> study = hpo_lab.create_study(direction="maximize", sampler=FidelityGPSampler(seed=1),
        ...                              pruner=HyperbandPruner(1, 27, 3))
        >>> def accuracy(trial):   # a learning curve that saturates at 1 - (lr - 0.1)^2
        ...     lr = trial.suggest_float("lr", 0.0, 1.0)
        ...     for epoch in range(1, 28):
        ...         trial.report((1 - (lr - 0.1) ** 2) * (1 - 0.5 ** epoch), epoch)
        ...         if trial.should_prune():
        ...             raise hpo_lab.TrialPruned()
        ...     return (1 - (lr - 0.1) ** 2) * (1 - 0.5 ** 27)
        >>> study.optimize(accuracy, n_trials=40)
        >>> abs(study.best_params["lr"] - 0.1) < 0.1
        True
    """

    _MODEL_NAME = "multi-fidelity gp"

    def __init__(
        self,
        seed: int | None = None,
        n_startup_trials: int = 10,
        *,
        max_model_points: int = DEFAULT_MAX_MODEL_POINTS,
    ) -> None:
        # The trust region replays COMPLETE values only, which under a pruner are few and late.
        # Input warping is not measured on the multi-fidelity benchmark, so it stays off here.
        super().__init__(seed, n_startup_trials, trust_region=False, input_warping=False)
        self._max_points = _validation.check_int("max_model_points", max_model_points, 2)

    def _observations(self, view: StudyView) -> list[FrozenTrial]:  # type: ignore[override]
        levels = _levels(view)
        out = []
        for t in view.get_trials(_FINISHED):
            if t.state == TrialState.COMPLETE:
                usable = _finite(t.value)
            else:  # pruned: usable with a value at a rung
                usable = any(_finite(t.intermediate_values.get(r)) for r in levels)
            if usable:
                out.append(t)
        return out

    def _layout(self, declared: dict[str, Distribution]) -> _Layout:
        return _FidelityLayout(declared)

    def _training_data(
        self, view: StudyView, observed: list[FrozenTrial], layout: _Layout, key: _SpaceKey
    ) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]], int]:
        levels = _levels(view)
        complete = [t for t in observed if t.state == TrialState.COMPLETE]
        full = max(
            [*levels, *(t.last_step for t in complete if t.last_step is not None)],
            default=1,
        )
        log_full = math.log(full) if full > 1 else 1.0
        at_level = {
            r: [
                (r, t, float(v)) for t in observed
                if (v := t.intermediate_values.get(r)) is not None and math.isfinite(v)
            ]
            for r in levels
        }
        # Every value, capped or not, paces the refits: once the rows are capped their number
        # stays put, and the hyperparameters must still be refitted as values come in.
        n_values = len(complete) + sum(len(at_r) for at_r in at_level.values())
        # (resource, trial, value): the objective value of a COMPLETE trial is its full-resource
        # value; rung values below the full resource come from every observed trial.
        entries: list[tuple[int, FrozenTrial, float]] = [
            (full, t, float(t.value)) for t in complete  # type: ignore[arg-type]
        ]
        for r in sorted((r for r in levels if r < full), reverse=True):
            at_r = at_level[r]
            room = self._max_points - len(entries)
            if room <= 0:
                break
            if len(at_r) > room:
                keep = np.unique(np.linspace(0, len(at_r) - 1, room).round().astype(int))
                at_r = [at_r[i] for i in keep]
            entries.extend(at_r)
        if len(entries) > self._max_points:  # more COMPLETE trials than rows: the newest
            entries = sorted(entries, key=lambda e: e[1].number)[-self._max_points :]

        rows = self._rows.setdefault(key, {})
        x = np.zeros((len(entries), layout.n_features))
        for i, (r, t, _) in enumerate(entries):
            x[i] = self._encoded(rows, layout, t)
            x[i, -1] = 1.0 - math.log(r) / log_full if full > 1 else 0.0
        values = np.array([v for _, _, v in entries])
        return x, values, [t.params for _, t, _ in entries], n_values

    @staticmethod
    def _evaluated(x: np.ndarray) -> np.ndarray:
        # A trial evaluated at any rung is not proposed again (a pruned one would be pruned
        # again; a complete one has nothing left to give).
        out = x.copy()
        out[:, -1] = 0.0
        return out

    @staticmethod
    def _incumbent(gp: GPPosterior, x: np.ndarray, y: np.ndarray) -> float:
        # The best full-resource prediction at an evaluated point: rung values are not
        # comparable with final ones (a loss at epoch 1 is higher, an error rate may be lower).
        points = np.unique(FidelityGPSampler._evaluated(x), axis=0)
        mean, _ = gp.predict(points)
        return float(mean.min())

    def __repr__(self) -> str:
        return f"FidelityGPSampler(max_model_points={self._max_points})"

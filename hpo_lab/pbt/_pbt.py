"""Population-based training as a scheduler: members train in intervals, the worst copy the
best and perturb their hyperparameters.

Each interval of one member's training is one trial. Its parameters are the member's
hyperparameters for that interval, it continues the member's previous trial (``parent``: it
loads that trial's checkpoint), trains ``interval`` steps, saves its checkpoint and returns its
score. When a member finishes an interval, it is compared with the others: in the bottom
``quantile`` by latest score, it *exploits* -- its next interval continues a top member's
trial (that member's checkpoint) -- and *explores* -- perturbs those hyperparameters
(:func:`~hpo_lab.pbt.explore`); otherwise it continues itself unchanged. What was decided and
why is stored with each trial (``system_attrs["pbt"]``), which is all the scheduler needs:
a study resumed from its store continues the population from each member's last checkpoint.
"""

from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from hpo_lab.distributions import Distribution
from hpo_lab.pbt._explore import explore, move_inside
from hpo_lab.schedulers._base import BaseScheduler, Launch
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState
from hpo_lab.views._protocol import StudyView

__all__ = ["PBT_ATTR", "PopulationBasedTraining", "member_history", "segment"]

#: The system attribute each PBT trial records its place in the population under.
PBT_ATTR = "pbt"
# A member whose interval failed this many times in a row is replaced by a copy of a top member.
_MAX_RETRIES = 2


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, but got {name}={value!r}")
    return int(value)


def segment(trial: Any) -> range:
    """The steps one PBT trial trains: ``range(start, start + interval)``.

    Works on any trial the objective gets (thread, process or Dask). A trial not started by
    PBT trains ``range(0, 0)``.

    Example:
        >>> import hpo_lab
        >>> t = hpo_lab.create_study().ask(system_attrs={"pbt": {"step": 10, "interval": 5}})
        >>> segment(t)
        range(10, 15)
    """
    info = trial.system_attrs.get(PBT_ATTR) or {}
    start = int(info.get("step", 0))
    return range(start, start + int(info.get("interval", 0)))


def member_history(trials: Iterable[FrozenTrial]) -> dict[int, list[FrozenTrial]]:
    """The PBT trials of each member, in order.

    Example:
        >>> member_history([])
        {}
    """
    members: dict[int, list[FrozenTrial]] = {}
    for t in sorted(trials, key=lambda t: t.number):
        info = t.system_attrs.get(PBT_ATTR)
        if isinstance(info, dict) and "member" in info:
            members.setdefault(int(info["member"]), []).append(t)
    return members


class PopulationBasedTraining(BaseScheduler):
    """Population-based training (Jaderberg et al. 2017), asynchronous: a member is compared
    with the others whenever it finishes an interval, never waiting for a whole generation.

    Args:
        population: Members training at once (each interval of each member is a trial).
        interval: Steps each trial trains (what :func:`segment` hands the objective).
        quantile: The bottom fraction of members that copy a top-fraction member.
        resample_probability: Chance that an explored hyperparameter is drawn afresh from its
            (current) range instead of perturbed; categoricals are always drawn afresh.
        factors: The factors a perturbed value is multiplied by (one chosen at random).
        hyperparams: The parameters PBT explores (default: all); the others stay as the
            member drew them.
        max_steps: Steps each member trains in all (``None``: until the run's budget, timeout
            or ``stop()`` ends it).
        seed: Seeds the choices of donors and perturbations.
        keep_checkpoints: Keep every checkpoint (default: only each member's latest, and the
            latest of members that others may still copy, are kept).

    Example:
        >>> import hpo_lab
        >>> def objective(trial):
        ...     h = trial.suggest_float("h", 0.01, 1.0, log=True)
        ...     theta = trial.checkpoint.load(default=1.0)
        ...     for _ in segment(trial):
        ...         theta -= h * theta          # one step of training
        ...     trial.checkpoint.save(theta)
        ...     return abs(theta)
        >>> study = hpo_lab.create_study()
        >>> pbt = PopulationBasedTraining(population=4, interval=2, max_steps=8, seed=0)
        >>> run = study.start(objective, scheduler=pbt, n_jobs=2)
        >>> run.wait(60), len(study.trials)
        (True, 16)
    """

    def __init__(
        self,
        population: int = 8,
        interval: int = 1,
        quantile: float = 0.25,
        resample_probability: float = 0.25,
        factors: Sequence[float] = (0.8, 1.2),
        hyperparams: Sequence[str] | None = None,
        *,
        max_steps: int | None = None,
        seed: int | None = None,
        keep_checkpoints: bool = False,
    ) -> None:
        self.population: int = _check_int("population", population, 2)
        self.interval: int = _check_int("interval", interval, 1)
        if isinstance(quantile, bool) or not isinstance(quantile, numbers.Real) or not (
            0.0 < float(quantile) <= 0.5
        ):
            raise ValueError(
                f"quantile must be a number in (0, 0.5], but got quantile={quantile!r}"
            )
        self.quantile: float = float(quantile)
        if isinstance(resample_probability, bool) or not isinstance(
            resample_probability, numbers.Real
        ) or not 0.0 <= float(resample_probability) <= 1.0:
            raise ValueError(
                "resample_probability must be a number in [0, 1], but got "
                f"resample_probability={resample_probability!r}"
            )
        self.resample_probability: float = float(resample_probability)
        factor_list = list(factors)
        if not factor_list or any(
            isinstance(f, bool) or not isinstance(f, numbers.Real) or not (
                math.isfinite(f) and f > 0
            )
            for f in factor_list
        ):
            raise ValueError(f"factors must be finite numbers > 0, but got factors={factors!r}")
        self.factors: tuple[float, ...] = tuple(float(f) for f in factor_list)
        if hyperparams is not None and (
            isinstance(hyperparams, str) or not all(isinstance(h, str) for h in hyperparams)
        ):
            raise ValueError(
                f"hyperparams must be a list of parameter names, but got {hyperparams!r}"
            )
        self.hyperparams: tuple[str, ...] | None = (
            None if hyperparams is None else tuple(hyperparams)
        )
        if max_steps is not None:
            max_steps = _check_int("max_steps", max_steps, 1)
            if max_steps % self.interval:
                raise ValueError(
                    f"max_steps must be a multiple of interval={self.interval}, but got "
                    f"max_steps={max_steps}"
                )
        self.max_steps: int | None = max_steps
        self.seed: int | None = seed
        self.keep_checkpoints: bool = bool(keep_checkpoints)
        self._rng: np.random.Generator = np.random.default_rng(seed)
        self._lock: threading.Lock = threading.Lock()

    # -- copying: a copy keeps its seed stream, the lock is rebuilt ------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def generations(self) -> int | None:
        """Intervals each member trains in all (``None`` without ``max_steps``)."""
        return None if self.max_steps is None else self.max_steps // self.interval

    def _settings(self) -> dict[str, Any]:
        return {"population": self.population, "interval": self.interval}

    def check(self, view: StudyView) -> None:
        for trials in member_history(view.get_trials(include_inherited=False)).values():
            info = trials[0].system_attrs[PBT_ATTR]
            if int(info.get("interval", self.interval)) != self.interval:
                raise ValueError(
                    f"study {view.study_name!r} ran population-based training with "
                    f"interval={info.get('interval')}; resume it with the same interval, not "
                    f"{self.interval}"
                )

    # -- the schedule ---------------------------------------------------------------------------
    def _rank(self, view: StudyView, members: dict[int, list[FrozenTrial]]) -> list[int]:
        """Members with a checkpointed, complete latest score, best first."""
        scored = []
        for member, trials in members.items():
            done = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
            if done and done[-1].system_attrs.get("checkpoint"):
                scored.append((done[-1].value, member))
        sign = -1.0 if view.direction == "maximize" else 1.0
        scored.sort(key=lambda sv: (sign * float(sv[0]), sv[1]))  # type: ignore[arg-type]
        return [m for _, m in scored]

    def next(self, view: StudyView) -> Launch | None:
        trials = view.get_trials(include_inherited=False)
        members = member_history(trials)
        if len(members) < self.population:
            member = len(members)
            return Launch(
                system_attrs={
                    PBT_ATTR: {
                        **self._settings(),
                        "member": member,
                        "generation": 0,
                        "step": 0,
                        "action": "start",
                        "reason": "a new member, its hyperparameters from the sampler",
                    }
                }
            )
        ready = []
        for member, history in members.items():
            last = history[-1]
            if last.state in (TrialState.RUNNING, TrialState.WAITING):
                continue
            generation = int(last.system_attrs[PBT_ATTR]["generation"])
            nxt = generation + 1 if last.state == TrialState.COMPLETE else generation
            if self.generations is not None and nxt >= self.generations:
                continue
            ready.append((nxt, member))
        if not ready:
            return None
        _, member = min(ready)
        with self._lock:
            return self._decide(view, members, member)

    def _effective(self, view: StudyView, trial: FrozenTrial) -> dict[str, Distribution]:
        current = view.current_revision
        return {n: current.effective(n, d) for n, d in trial.distributions.items()}

    def _decide(
        self, view: StudyView, members: dict[int, list[FrozenTrial]], member: int
    ) -> Launch:
        history = members[member]
        last = history[-1]
        info = last.system_attrs[PBT_ATTR]
        base = {**self._settings(), "member": member}
        if last.state != TrialState.COMPLETE:
            failures = sum(1 for _ in _trailing_failures(history))
            if failures < _MAX_RETRIES or len(members) < 2:
                # Run the failed interval again, from where it started.
                parent = last.parent_number
                params, notes = self._keep(view, last)
                return Launch(
                    params=params,
                    parent=parent,
                    system_attrs={PBT_ATTR: {
                        **base,
                        "generation": int(info["generation"]),
                        "step": int(info["step"]),
                        "action": "retry",
                        "reason": f"trial {last.number} ended {last.state.value}; its interval "
                        "runs again" + (f" ({'; '.join(notes)})" if notes else ""),
                    }},
                )
        done = [t for t in history if t.state == TrialState.COMPLETE]
        # A member keeps its own count of intervals, also when it copies another's checkpoint.
        generation = int(done[-1].system_attrs[PBT_ATTR]["generation"]) + 1 if done else 0
        step = generation * self.interval
        ranking = self._rank(view, members)
        k = max(1, int(len(ranking) * self.quantile)) if len(ranking) >= 2 else 0
        top, bottom = ranking[:k], ranking[len(ranking) - k :] if k else []
        failed_out = last.state != TrialState.COMPLETE
        if (member in bottom or failed_out or not done) and top and member not in top:
            donor = int(top[int(self._rng.integers(len(top)))])
            source = [t for t in members[donor] if t.state == TrialState.COMPLETE][-1]
            params, changes = explore(
                source.params,
                self._effective(view, source),
                self._rng,
                hyperparams=self.hyperparams,
                factors=self.factors,
                resample_probability=self.resample_probability,
            )
            why = (
                f"member {member} failed {_MAX_RETRIES} times in a row"
                if failed_out
                else f"member {member}'s score {done[-1].value:.6g} is in the bottom "
                f"{self.quantile:g}" if done else f"member {member} has no checkpoint"
            )
            return Launch(
                params=params,
                parent=source.number,
                system_attrs={PBT_ATTR: {
                    **base,
                    "generation": generation,
                    "step": step,
                    "action": "exploit",
                    "donor": donor,
                    "donor_trial": source.number,
                    "donor_value": source.value,
                    "donor_checkpoint": int(source.system_attrs.get("checkpoint") or 0),
                    "changes": changes,
                    "reason": f"{why}: copies member {donor} (trial {source.number}, score "
                    f"{source.value:.6g}) and explores",
                }},
            )
        if not done:
            # Nobody has a checkpoint to copy yet: start the member again from scratch.
            return Launch(
                system_attrs={PBT_ATTR: {
                    **base, "generation": 0, "step": 0, "action": "start",
                    "reason": "no member has a checkpoint to copy yet; the member starts anew",
                }}
            )
        params, notes = self._keep(view, done[-1])
        return Launch(
            params=params,
            parent=done[-1].number,
            system_attrs={PBT_ATTR: {
                **base,
                "generation": generation,
                "step": step,
                "action": "continue",
                "reason": "not in the bottom quantile: continues with its hyperparameters"
                + (f" ({'; '.join(notes)})" if notes else ""),
            }},
        )

    def _keep(self, view: StudyView, trial: FrozenTrial) -> tuple[dict[str, Any], list[str]]:
        """The trial's parameters, each moved inside the current revision if narrowed away."""
        effective = self._effective(view, trial)
        params, notes = {}, []
        for name, value in trial.params.items():
            dist = effective.get(name)
            if dist is None:
                params[name] = value
                continue
            new, note = move_inside(value, dist, self._rng)
            params[name] = new
            if note:
                notes.append(f"{name}: {note} (the space was narrowed)")
        return params, notes

    def done(self, view: StudyView) -> bool:
        if self.generations is None:
            return False
        members = member_history(view.get_trials(include_inherited=False))
        if len(members) < self.population:
            return False
        for history in members.values():
            last = history[-1]
            if last.state != TrialState.COMPLETE:
                return False
            if int(last.system_attrs[PBT_ATTR]["generation"]) + 1 < self.generations:
                return False
        return True

    def finished(self, view: StudyView, trial: FrozenTrial) -> list[int]:
        """Checkpoints no member continues from and no member may still copy."""
        if self.keep_checkpoints:
            return []
        members = member_history(view.get_trials(include_inherited=False))
        needed: set[int] = set()
        for history in members.values():
            complete = [t.number for t in history if t.state == TrialState.COMPLETE]
            if complete:
                needed.add(complete[-1])  # what the member continues, or a donor gives
            for t in history:
                if t.state in (TrialState.RUNNING, TrialState.WAITING):
                    if t.parent_number is not None:
                        needed.add(t.parent_number)
                    needed.add(t.number)
        return sorted(
            t.number
            for history in members.values()
            for t in history
            if t.number not in needed and t.system_attrs.get("checkpoint")
        )

    def __repr__(self) -> str:
        return (
            f"PopulationBasedTraining(population={self.population}, interval={self.interval}, "
            f"quantile={self.quantile}, max_steps={self.max_steps})"
        )


def _trailing_failures(history: list[FrozenTrial]) -> Iterable[FrozenTrial]:
    for t in reversed(history):
        if t.state == TrialState.COMPLETE:
            return
        yield t

"""Pruning that knows when it is wrong: does a rung's ranking predict the final ranking?

Successive halving assumes that a trial's rank at a low resource predicts its rank at the full
resource. Where learning curves cross (the configurations that learn fastest overfit, the
best ones start slowly), that is false, and pruning then stops the best trials. The check
measures it on the study's own trials, and prunes at a rung only once it has been shown to
predict:

* For each rung resource ``r``, the *witnesses* are the COMPLETE trials that went past ``r``
  without being selected there: no comparison was made at ``r`` for them (they passed it while
  it was relaxed, before anything was pruned, or in a Hyperband bracket that starts above it).
  Trials that won a comparison at ``r`` are left out: they are the top of the rung, and the
  correlation among them says little (range restriction).
* The rung is *trusted* when at least ``min_pairs`` witnesses show, with one-sided confidence
  ``confidence``, a Spearman correlation of at least ``min_correlation`` between their values
  at ``r`` and their final values (Fisher's z with the standard error ``sqrt(1.06 / (n - 3))``
  of Fieller, Hartley and Pearson, Biometrika 1957, for Spearman's rho).
* A rung that is not trusted is *relaxed*: trials are promoted through it without comparison.
  So is every rung below it: the minimum resource is raised past it.

It is a function of the trials and their recorded decisions alone, so decisions stay
replayable. Each decision at a relaxed rung records why (``details["relaxed"]``); the relaxed
rungs are kept in the study's system attributes (``"pruner:rank_check"``) and a change is
logged. With successive halving, a rung that has been trusted gets no new witnesses (every
trial is compared there): its verdict stays. Hyperband's brackets keep bringing witnesses for
the low rungs, so there the check goes on.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hpo_lab import _validation
from hpo_lab.pruners._halving import spearman, value_at_resource
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

if TYPE_CHECKING:
    from hpo_lab.views._protocol import StudyView

__all__ = [
    "RANK_CHECK_KEY",
    "RankCheck",
    "RungCorrelation",
    "RungReport",
    "check_rungs",
    "describe_relaxed",
    "relaxed_rungs",
    "rung_pairs",
]

RANK_CHECK_KEY = "pruner:rank_check"

_logger = logging.getLogger("hpo_lab")


@dataclass(frozen=True)
class RankCheck:
    """When a rung's ranking is trusted: settings of the rank check of
    :class:`~hpo_lab.pruners.SuccessiveHalvingPruner` and
    :class:`~hpo_lab.pruners.HyperbandPruner` (see ``hpo_lab.pruners._rank_check``).

    Args:
        min_pairs: Witnesses (COMPLETE trials that went past a rung unselected) needed before
            the rung can be trusted.
        min_correlation: The least Spearman correlation between the witnesses' values at the
            rung and their final values for pruning there.
        confidence: How sure (one-sided) the check must be that the correlation reaches
            ``min_correlation``; 0.5 trusts the estimate itself. Few witnesses need a high
            estimate: a chance high correlation among the first trials must not switch pruning
            on where curves cross.

    Example:
        >>> RankCheck(min_pairs=4).min_pairs
        4
        >>> RankCheck(min_correlation=2)
        Traceback (most recent call last):
        ValueError: min_correlation must be a number in [-1, 1], but got min_correlation=2
    """

    min_pairs: int = 6
    min_correlation: float = 0.5
    confidence: float = 0.9

    def __post_init__(self) -> None:
        _validation.check_int("min_pairs", self.min_pairs, 4)
        c = self.min_correlation
        if isinstance(c, bool) or not isinstance(c, (int, float)) or not -1.0 <= c <= 1.0:
            raise ValueError(
                f"min_correlation must be a number in [-1, 1], but got min_correlation={c!r}"
            )
        q = self.confidence
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0.5 <= q < 1.0:
            raise ValueError(f"confidence must be a number in [0.5, 1), but got confidence={q!r}")

    def trusts(self, rho: float, n: int) -> bool:
        """Whether ``n`` witnesses with Spearman correlation ``rho`` show, with one-sided
        confidence :attr:`confidence`, a correlation of at least :attr:`min_correlation`.

        Example:
            >>> check = RankCheck()
            >>> check.trusts(0.83, 6), check.trusts(0.95, 6), check.trusts(0.8, 30)
            (False, True, True)
        """
        if n < self.min_pairs or not rho >= self.min_correlation:
            return False
        if rho >= 1.0:
            return True
        z = math.atanh(rho) - _normal_quantile(self.confidence) * math.sqrt(1.06 / (n - 3))
        return math.tanh(z) >= self.min_correlation

    @classmethod
    def from_arg(cls, arg: bool | RankCheck | None) -> RankCheck | None:
        """A pruner's ``rank_check`` argument as settings (``None``: no check).

        Example:
            >>> RankCheck.from_arg(True) == RankCheck(), RankCheck.from_arg(False)
            (True, None)
        """
        if isinstance(arg, RankCheck):
            return arg
        if arg is True:
            return cls()
        if arg is False or arg is None:
            return None
        raise ValueError(
            f"rank_check must be True, False or a RankCheck, but got rank_check={arg!r}"
        )

    def announce(self, view: StudyView, resources: Sequence[int]) -> dict[str, Any]:
        """The study attribute to store when the rungs relaxed at ``resources`` differ from what
        ``view``'s study has stored, and a log line saying what changed; else nothing.

        Example:
            >>> from hpo_lab.views import TrialsView
            >>> view = TrialsView("s", "minimize", [], cursor=3)
            >>> RankCheck().announce(view, [1, 4])["pruner:rank_check"]["relaxed"]["4"]
            {'by': 4, 'rho': None, 'n': 0, 'verified': False}
        """
        report = check_rungs(view.get_trials(), resources, view.direction == "maximize", self)
        stored = view.system_attrs.get(RANK_CHECK_KEY)
        before: dict[str, Any] = {}
        if isinstance(stored, Mapping) and isinstance(stored.get("relaxed"), Mapping):
            before = dict(stored["relaxed"])
        now = {str(r): dict(why) for r, why in sorted(report.relaxed.items())}
        if set(now) == set(before) and all(
            now[k].get("verified") == before[k].get("verified") for k in now
        ):
            return {}
        bad = {r: why for r, why in report.relaxed.items() if why.get("verified")}
        if bad:
            _logger.warning(
                "study %r: pruning relaxed at step(s) %s: %s", view.study_name,
                ", ".join(str(r) for r in sorted(bad)),
                "; ".join(sorted({describe_relaxed(w, self) for w in bad.values()})),
            )
        trusted = [c.resource for c in report.rungs if c.resource not in report.relaxed]
        if trusted:
            _logger.info(
                "study %r: pruning at step(s) %s (their ranking predicts the final one)",
                view.study_name, ", ".join(str(r) for r in trusted),
            )
        return {RANK_CHECK_KEY: {"relaxed": now, "cursor": view.cursor}}


def describe_relaxed(why: Mapping[str, Any], check: RankCheck) -> str:
    """One sentence for a relaxed rung (an entry of :attr:`RungReport.relaxed`).

    Example:
        >>> why = {"by": 4, "rho": 0.1, "n": 8, "verified": True}
        >>> print(describe_relaxed(why, RankCheck()))  # doctest: +NORMALIZE_WHITESPACE
        at step 4, 8 unselected complete trials rank with Spearman 0.10 to their final
        values, not surely >= 0.5
    """
    if not why.get("verified"):
        return (
            f"not verified yet: {why.get('n', 0)} of min_pairs={check.min_pairs} unselected "
            f"complete trials went past step {why.get('by')}"
        )
    rho = why.get("rho")
    shown = "nan" if rho is None else f"{rho:.2f}"
    return (
        f"at step {why.get('by')}, {why.get('n')} unselected complete trials rank with "
        f"Spearman {shown} to their final values, not surely >= {check.min_correlation:g}"
    )


@dataclass(frozen=True)
class RungCorrelation:
    """The rank correlation of one rung with the final values, over ``n`` witnesses."""

    resource: int
    rho: float
    n: int


@dataclass(frozen=True)
class RungReport:
    """What :func:`check_rungs` found: a correlation per rung, and the relaxed rungs (resource
    -> ``{"by": the rung that decided it, "rho", "n", "verified"}``)."""

    rungs: list[RungCorrelation]
    relaxed: dict[int, dict[str, Any]] = field(default_factory=dict)


@functools.lru_cache(maxsize=64)
def _normal_quantile(p: float) -> float:
    # Acklam's rational approximation is overkill here: the bisection of erf is exact enough.
    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if 0.5 * (1.0 + math.erf(mid / math.sqrt(2.0))) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _loss(value: float, maximize: bool) -> float:
    if math.isnan(value):
        return math.inf
    return -value if maximize else value


def _selected_at(trial: FrozenTrial, resource: int) -> bool:
    # Whether a comparison at this resource let the trial through (it won, so it is no witness).
    for d in trial.decisions:
        if d.resource == resource and "relaxed" not in d.details:
            return True
        if resource in d.details.get("compared", ()):
            return True
    return False


def rung_pairs(
    trials: Sequence[FrozenTrial], resource: int, maximize: bool
) -> tuple[list[float], list[float]]:
    """``(values at resource, final values)`` of the witnesses for ``resource`` among
    ``trials``, as losses (smaller is better): COMPLETE trials that reported past it and were not
    selected by a comparison there.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> t = FrozenTrial(0, TrialState.COMPLETE, value=0.2, intermediate_values={1: 0.9, 2: 0.2})
        >>> rung_pairs([t], 1, maximize=False)
        ([0.9], [0.2])
    """
    xs: list[float] = []
    ys: list[float] = []
    for t in trials:
        if t.state != TrialState.COMPLETE or t.value is None or not math.isfinite(t.value):
            continue
        last = t.last_step
        if last is None or last <= resource:
            continue
        v = value_at_resource(t.intermediate_values, resource)
        if v is None or _selected_at(t, resource):
            continue
        xs.append(_loss(v, maximize))
        ys.append(_loss(t.value, maximize))
    return xs, ys


def check_rungs(
    trials: Sequence[FrozenTrial], resources: Sequence[int], maximize: bool, check: RankCheck
) -> RungReport:
    """The rank correlation at each of ``resources`` and the rungs to relax (see the module
    docstring).

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> crossing = [FrozenTrial(n, TrialState.COMPLETE, value=float(n),
        ...                         intermediate_values={1: -float(n), 9: float(n)})
        ...             for n in range(6)]
        >>> report = check_rungs(crossing, [1, 3], False, RankCheck(min_pairs=5))
        >>> [(c.resource, c.rho, c.n) for c in report.rungs], sorted(report.relaxed)
        ([(1, -1.0, 6), (3, 1.0, 6)], [1])
        >>> sorted(check_rungs(crossing[:4], [1, 3], False, RankCheck(min_pairs=5)).relaxed)
        [1, 3]
    """
    # Only COMPLETE trials can be witnesses: filter once, not once per rung.
    complete = [
        t for t in trials
        if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
    ]
    rows: list[RungCorrelation] = []
    for r in resources:
        xs, ys = rung_pairs(complete, r, maximize)
        rows.append(RungCorrelation(r, spearman(xs, ys) if len(xs) >= 3 else math.nan, len(xs)))
    relaxed: dict[int, dict[str, Any]] = {}
    highest: RungCorrelation | None = None
    for row in rows:
        if not check.trusts(row.rho, row.n):
            highest = row
    if highest is not None:
        verified = highest.n >= check.min_pairs
        why = {
            "by": highest.resource,
            "rho": None if math.isnan(highest.rho) else round(highest.rho, 4),
            "n": highest.n,
            "verified": verified,
        }
        for row in rows:
            if row.resource > highest.resource:
                break
            relaxed[row.resource] = dict(why)
    return RungReport(rows, relaxed)


def relaxed_rungs(
    trials: Sequence[FrozenTrial], resources: Sequence[int], maximize: bool, check: RankCheck
) -> dict[int, dict[str, Any]]:
    """:func:`check_rungs`'s relaxed rungs, each with a ``"reason"`` sentence added (what a
    pruner hands to its decisions).

    Example:
        >>> relaxed_rungs([], [1], False, RankCheck())[1]["reason"]
        'not verified yet: 0 of min_pairs=6 unselected complete trials went past step 1'
    """
    report = check_rungs(trials, resources, maximize, check)
    return {
        r: {**why, "reason": describe_relaxed(why, check)} for r, why in report.relaxed.items()
    }

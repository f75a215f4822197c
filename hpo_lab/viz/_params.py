"""How a parameter is laid on an axis: linear, log or categorical, shared by the per-parameter
plots."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hpo_lab.distributions import CategoricalDistribution, _choice_key
from hpo_lab.viz._narrowed import NarrowingLookup
from hpo_lab.viz._style import format_value

if TYPE_CHECKING:
    from hpo_lab.search_space._revision import SpaceRevision
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["ParamAxis", "check_known", "param_axes", "revision_ranges"]


@dataclass(frozen=True)
class ParamAxis:
    """A parameter's axis.

    Attributes:
        name: The parameter.
        kind: ``"linear"``, ``"log"`` or ``"categorical"``.
        low, high: The declared range (numeric kinds).
        choices: The choices (categorical), in declaration order.
    """

    name: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    choices: tuple[Any, ...] = ()

    def coordinate(self, value: Any) -> float:
        """A position on a numeric scale: ``log10`` for log axes, the index for categories.

        Example:
            >>> ParamAxis("lr", "log", 1e-4, 1e-1).coordinate(0.01)
            -2.0
        """
        if self.kind == "categorical":
            return float(self.index(value))
        if self.kind == "log":
            return math.log10(float(value))
        return float(value)

    def index(self, value: Any) -> int:
        """The position of a choice, matched as the distribution matches it (``True`` is not
        ``1``, ``1.0`` is not ``1``).

        Example:
            >>> ParamAxis("c", "categorical", choices=(1, True, 1.0)).index(1.0)
            2
        """
        key = _choice_key(value)
        for i, c in enumerate(self.choices):
            if _choice_key(c) == key:
                return i
        raise ValueError(f"{value!r} is not one of the choices {list(self.choices)!r}")

    def contains(self, value: Any) -> bool:
        """Whether ``value`` is one of the choices."""
        key = _choice_key(value)
        return any(_choice_key(c) == key for c in self.choices)

    def labels(self) -> list[str]:
        """Tick labels of the choices; ``repr`` for all when plain text would collide.

        Example:
            >>> ParamAxis("c", "categorical", choices=(1, 1.0, "1")).labels()
            ['1', '1.0', "'1'"]
        """
        plain = [format_value(c) for c in self.choices]
        if len(set(plain)) == len(plain):
            return plain
        return [repr(c) for c in self.choices]

    def label(self, value: Any) -> str:
        """The tick label of one choice (categorical axes)."""
        return self.labels()[self.index(value)]

    def ticks(self) -> tuple[list[float], list[str]] | None:
        """Tick positions and labels for a coordinate scale (log and categorical axes)."""
        if self.kind == "categorical":
            return [float(i) for i in range(len(self.choices))], self.labels()
        if self.kind == "log":
            lo, hi = math.floor(math.log10(self.low)), math.ceil(math.log10(self.high))
            vals = [float(e) for e in range(lo, hi + 1)
                    if math.log10(self.low) - 1e-9 <= e <= math.log10(self.high) + 1e-9]
            if len(vals) < 2:
                vals = [math.log10(self.low), math.log10(self.high)]
            return vals, [f"{10 ** v:.3g}" for v in vals]
        return None


def param_axes(
    trials: Sequence[FrozenTrial], params: Sequence[str] | None = None
) -> list[ParamAxis]:
    """The axes of ``params`` (default: every parameter of ``trials``, sorted by name), from the
    most recent declaration of each; categorical choices are the union, in order.

    Raises ``ValueError`` for a name no trial has.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> s.optimize(lambda t: t.suggest_categorical("opt", ["sgd", "adam"]), n_trials=1)
        >>> param_axes(s.trials)[0].kind
        'categorical'
    """
    latest: dict[str, Any] = {}
    choices: dict[str, list[Any]] = {}
    for t in sorted(trials, key=lambda t: t.number):
        for name, d in t.distributions.items():
            latest[name] = d
            if isinstance(d, CategoricalDistribution):
                seen = choices.setdefault(name, [])
                keys = {_choice_key(c) for c in seen}
                # Match as the distribution does: 0, False and 0.0 are three choices.
                for c in d.choices:
                    if _choice_key(c) not in keys:
                        keys.add(_choice_key(c))
                        seen.append(c)
    if params is None:
        names = sorted(latest)
    else:
        missing = [p for p in params if p not in latest]
        if missing:
            raise ValueError(
                f"unknown parameter(s) {missing}: the trials have {sorted(latest) or 'none'}"
            )
        names = list(params)
    axes = []
    for name in names:
        d = latest[name]
        if isinstance(d, CategoricalDistribution):
            axes.append(ParamAxis(name, "categorical", choices=tuple(choices[name])))
        else:
            numeric = [
                dist
                for t in trials
                if not isinstance(dist := t.distributions.get(name), CategoricalDistribution)
                and dist is not None
            ]
            lows = [dist.low for dist in numeric]
            highs = [dist.high for dist in numeric]
            axes.append(
                ParamAxis(name, "log" if d.log else "linear", float(min(lows)), float(max(highs)))
            )
    return axes


def check_known(trials: Sequence[FrozenTrial], params: Sequence[str] | None) -> None:
    """Raise ``ValueError`` for names in ``params`` that none of ``trials`` has.

    Example:
        >>> check_known([], ["x"])  # nothing to check against yet
    """
    if params is None:
        return
    names = {n for t in trials for n in t.distributions}
    missing = [p for p in params if p not in names]
    if missing and trials:
        raise ValueError(
            f"unknown parameter(s) {missing}: the trials have {sorted(names) or 'none'}"
        )


def revision_ranges(
    revisions: Sequence[SpaceRevision],
    name: str,
    trials: Sequence[FrozenTrial] | None = None,
) -> list[tuple[int, Any]]:
    """``(revision, constraint)`` of every revision that narrows ``name``.

    With the study's own ``trials``, a revision's range is kept only where it applied: when
    one of its trials that declared ``name`` was narrowed on it, or, for the latest revision,
    while none of its trials has declared ``name`` yet (where the next trials will go). A
    range that the objective's declarations missed narrowed nothing and is left out.

    Example:
        >>> from hpo_lab.distributions import FloatDistribution
        >>> from hpo_lab.search_space import SpaceRevision
        >>> revision_ranges([SpaceRevision(1, {"x": FloatDistribution(0.2, 0.4)})], "x")
        [(1, FloatDistribution(low=0.2, high=0.4, log=False, step=None))]
    """
    constrained = [r for r in revisions if name in r.constraints]
    if trials is None:
        return [(r.number, r.constraints[name]) for r in constrained]
    lookup = NarrowingLookup(revisions)
    numbers = {r.number for r in constrained}
    seen: dict[int, bool] = {}  # revision -> whether it narrowed one of its trials on name
    for t in trials:
        if t.revision not in numbers or name not in t.distributions:
            continue
        narrowing = lookup.of(t)
        applied = narrowing is not None and name in narrowing.applied
        seen[t.revision] = seen.get(t.revision, False) or applied
    latest = max((r.number for r in revisions), default=0)
    return [
        (r.number, r.constraints[name])
        for r in constrained
        if seen.get(r.number, r.number == latest)
    ]

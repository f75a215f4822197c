"""A pruner's decision, as data: what it compared, and whether the trial stops.

Pruners return a :class:`PruneDecision`; the study stores it with the trial (in
``FrozenTrial.decisions``), together with the store's change cursor of the data the pruner saw.
That makes every decision auditable ("why was trial 17 stopped?") and replayable: rebuilding the
study as it stood at that cursor (:func:`hpo_lab.views.view_as_of`) and asking a fresh pruner
gives the same decision.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PruneDecision"]

# Keys of the stored form, in the order they are written.
_FIELDS = (
    "prune",
    "step",
    "rule",
    "reason",
    "value",
    "threshold",
    "n_compared",
    "rung",
    "resource",
    "details",
    "cursor",
)


def _same_number(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


@dataclass(frozen=True)
class PruneDecision:
    """One answer of a pruner to ``trial.should_prune()``.

    Attributes:
        prune: Whether the trial should stop now.
        step: The trial's latest reported step (its resource so far) when it was decided.
        rule: Which rule decided (``"percentile"``, ``"median"``, a class name...).
        reason: One sentence a user can read: what was compared with what.
        value: The trial's value the rule looked at (its best so far, or its value at a rung).
        threshold: The value it had to beat (a percentile, a rung's cut-off...).
        n_compared: How many other trials' values the threshold came from.
        rung: For rung-based rules (successive halving, Hyperband), the rung.
        resource: The resource (step) of that rung.
        details: Anything else the rule wants kept (JSON values).
        cursor: The store's change cursor of the data the pruner saw; set by the study when it
            records the decision, so the decision can be replayed.

    Example:
        >>> d = PruneDecision(True, step=3, rule="median", reason="0.9 is worse than 0.5",
        ...                   value=0.9, threshold=0.5, n_compared=4)
        >>> PruneDecision.from_dict(d.to_dict()) == d
        True
    """

    prune: bool
    step: int
    rule: str = ""
    reason: str = ""
    value: float | None = None
    threshold: float | None = None
    n_compared: int | None = None
    rung: int | None = None
    resource: float | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    cursor: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stored form: a JSON-compatible dict without the fields that are ``None``/empty.

        Example:
            >>> PruneDecision(False, step=0, rule="median").to_dict()
            {'prune': False, 'step': 0, 'rule': 'median'}
        """
        out: dict[str, Any] = {}
        for name in _FIELDS:
            value = getattr(self, name)
            if value is None or (name in ("details", "reason", "rule") and not value):
                continue
            out[name] = dict(value) if name == "details" else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PruneDecision:
        """Rebuild a decision from :meth:`to_dict`'s form.

        Example:
            >>> PruneDecision.from_dict({"prune": True, "step": 2}).prune
            True
        """
        known = {k: data[k] for k in _FIELDS if k in data}
        if "details" in known:
            known["details"] = dict(known["details"])
        return cls(**known)

    def replace(self, **changes: Any) -> PruneDecision:
        """A copy with some fields changed.

        Example:
            >>> PruneDecision(False, step=1).replace(cursor=7).cursor
            7
        """
        fields = {name: getattr(self, name) for name in _FIELDS}
        fields.update(changes)
        return PruneDecision(**fields)

    def same_as(self, other: PruneDecision) -> bool:
        """Whether two decisions say the same, ignoring ``cursor`` (NaN equals NaN).

        Example:
            >>> a = PruneDecision(True, step=1, value=float("nan"), cursor=3)
            >>> a.same_as(a.replace(cursor=9)), a.same_as(a.replace(prune=False))
            (True, False)
        """
        for name in _FIELDS:
            if name == "cursor":
                continue
            a, b = getattr(self, name), getattr(other, name)
            if name == "details":
                if dict(a) != dict(b):
                    return False
            elif not _same_number(a, b):
                return False
        return True

    def __str__(self) -> str:
        verdict = "prune" if self.prune else "continue"
        return f"step {self.step}: {verdict} ({self.reason or self.rule})"

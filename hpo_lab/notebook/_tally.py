"""What the control panel knows of a study's own trials, kept current at the cost of the change.

The panel's bridge reads the store's change cursor a few times a second; :meth:`Tally.update`
takes the trials that changed and keeps the counts by state, the COMPLETE trials ranked by
value, the failed ones, the parameters' latest declarations and where the objective's source
changed, each in time proportional to the change (a ranked insert is a ``bisect``), never to the
study's size. Readers that need many trials (the trials table, the heavy plots, the static
snapshot) take a bounded :meth:`Tally.selection` or :meth:`Tally.top`.

Only the panel's bridge thread (or the thread of ``refresh()``/``wait()``) calls it.
"""

from __future__ import annotations

import bisect
import datetime
import heapq
import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from hpo_lab.notebook._body import SOURCE_HASH_ATTR
from hpo_lab.trial._state import TrialState
from hpo_lab.viz._live import thin

if TYPE_CHECKING:
    from hpo_lab.distributions import Distribution
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["Tally"]


class Tally:
    """The own trials of one study, by number, with running summaries.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> tally = Tally("minimize")
        >>> tally.update([FrozenTrial(number=i, state=TrialState.COMPLETE, value=float(5 - i))
        ...               for i in range(4)] + [FrozenTrial(number=4, state=TrialState.FAIL)])
        >>> tally.counts[TrialState.COMPLETE], tally.best.number, tally.failed
        (4, 3, [4])
        >>> [t.number for t in tally.good()]
        [3]
    """

    def __init__(self, direction: str) -> None:
        self.direction = direction
        self._sign = -1.0 if direction == "maximize" else 1.0
        self.trials: dict[int, FrozenTrial] = {}
        self.counts: Counter[TrialState] = Counter()
        #: ``(sign * value, number)`` of every COMPLETE trial, best first.
        self._ranked: list[tuple[float, int]] = []
        #: Numbers of FAIL trials, in the order they failed.
        self.failed: list[int] = []
        #: The latest declaration of each parameter and the trial number that made it.
        self.declared: dict[str, tuple[int, Distribution]] = {}
        self._hash_numbers: list[int] = []
        self._hashes: list[str] = []
        self._changes: set[int] = set()
        self._first_start: datetime.datetime | None = None
        self._last_end: datetime.datetime | None = None
        #: Increases whenever a trial changed.
        self.version = 0

    def __len__(self) -> int:
        return len(self.trials)

    def update(self, changed: Iterable[FrozenTrial]) -> None:
        """Take trials that were created or changed since the last call."""
        for t in changed:
            self.version += 1
            old = self.trials.get(t.number)
            if old is not None:
                self.counts[old.state] -= 1
            self.trials[t.number] = t
            self.counts[t.state] += 1
            for name, d in t.distributions.items():
                seen = self.declared.get(name)
                if seen is None or seen[0] <= t.number:
                    self.declared[name] = (t.number, d)
            start = t.datetime_start
            if start is not None and (self._first_start is None or start < self._first_start):
                self._first_start = start
            if old is not None and old.state.is_finished():
                continue  # a finished trial never changes again; counted already
            if not t.state.is_finished():
                continue
            end = t.datetime_complete
            if end is not None and (self._last_end is None or end > self._last_end):
                self._last_end = end
            if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value):
                bisect.insort(self._ranked, (self._sign * float(t.value), t.number))
            elif t.state == TrialState.FAIL:
                self.failed.append(t.number)
            h = t.system_attrs.get(SOURCE_HASH_ATTR)
            if isinstance(h, str):
                self._add_hash(t.number, h)

    def _add_hash(self, number: int, h: str) -> None:
        i = bisect.bisect_left(self._hash_numbers, number)
        self._hash_numbers.insert(i, number)
        self._hashes.insert(i, h)
        # Only this trial's and its successor's predecessor changed.
        for k in (i, i + 1):
            if k >= len(self._hashes):
                continue
            n = self._hash_numbers[k]
            if k > 0 and self._hashes[k] != self._hashes[k - 1]:
                self._changes.add(n)
            else:
                self._changes.discard(n)

    @property
    def first_start(self) -> float | None:
        """When the first trial started (a Unix time), or ``None``."""
        return None if self._first_start is None else self._first_start.timestamp()

    @property
    def last_end(self) -> float | None:
        """When the last trial finished (a Unix time), or ``None``."""
        return None if self._last_end is None else self._last_end.timestamp()

    @property
    def source_changes(self) -> list[int]:
        """Trial numbers whose objective source differs from the previous finished trial's."""
        return sorted(self._changes)

    @property
    def n_complete(self) -> int:
        """How many trials are COMPLETE."""
        return len(self._ranked)

    @property
    def best(self) -> FrozenTrial | None:
        """The best COMPLETE trial (the lowest number among equals), or ``None``."""
        return self.trials[self._ranked[0][1]] if self._ranked else None

    def good(self) -> list[FrozenTrial]:
        """The best quarter (at least one) of the COMPLETE trials, best first."""
        k = max(1, len(self._ranked) // 4) if self._ranked else 0
        return [self.trials[n] for _, n in self._ranked[:k]]

    def best_numbers(self, k: int) -> list[int]:
        """The numbers of the ``k`` best COMPLETE trials, best first."""
        return [n for _, n in self._ranked[:k]]

    def recent_complete(self, k: int) -> list[FrozenTrial]:
        """The ``k`` COMPLETE trials with the highest numbers, oldest first."""
        newest = heapq.nlargest(k, (n for _, n in self._ranked))
        return [self.trials[n] for n in sorted(newest)]

    def selection(self, cap: int, keep: Iterable[int] = ()) -> list[FrozenTrial]:
        """At most ``cap`` trials for a plot (plus ``keep``): the best tenth of ``cap``, the
        latest quarter and an even sample of the rest, by number."""
        numbers = sorted(self.trials)
        chosen = thin(numbers, cap, {*self.best_numbers(max(1, cap // 10)), *keep})
        return [self.trials[n] for n in chosen]

    def top(self, k: int, key: Callable[[FrozenTrial], Any]) -> list[FrozenTrial]:
        """The ``k`` trials with the smallest ``key`` (ties: lower number first)."""
        return heapq.nsmallest(k, self.trials.values(), key=lambda t: (key(t), t.number))

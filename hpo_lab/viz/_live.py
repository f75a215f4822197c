"""Machinery for live plots that grow by appending.

Assigning a data array to a plotly trace validates and (in a ``FigureWidget``) sends the whole
array, so appending one point to a trace of ``n`` points costs ``O(n)``. Live plots therefore
spread a category (say, COMPLETE trials) over *chunks*: traces of at most ``chunk_size`` points
that share a legend group, only the first showing in the legend. New points go to the last chunk,
or open a new one, so an update costs ``O(new points + chunk_size)`` whatever the study's size.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["CHUNK_SIZE", "ChangeFeed", "ChunkedTraces", "Unit", "thin", "trial_numbers_in"]

CHUNK_SIZE = 400

#: Columns (``x``, ``y``, ``customdata`` ...) of points that stay together in one trace.
Unit = dict[str, list[Any]]


class ChangeFeed:
    """Trials of a study changed since the last :meth:`poll`, read through the storage's cursor.

    Example:
        >>> import hpo_lab
        >>> s = hpo_lab.create_study()
        >>> feed = ChangeFeed(s)
        >>> s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> len(feed.poll()), len(feed.poll())
        (2, 0)
    """

    def __init__(self, study: Study) -> None:
        self._storage = study.storage
        self._study_id = self._storage.get_study_id(study.study_name)
        self._cursor = 0

    def poll(self) -> list[FrozenTrial]:
        """The trials created or changed since the previous call (all of them the first time)."""
        changed, self._cursor = self._storage.get_trials_since(self._study_id, self._cursor)
        return changed


def trial_numbers_in(trace: Any) -> set[int]:
    """Trial numbers a trace shows, read from the first item of each ``customdata`` row."""
    out: set[int] = set()
    for row in trace.customdata if trace.customdata is not None else ():
        if row is None:
            continue
        first = row[0] if isinstance(row, (list, tuple)) or hasattr(row, "__len__") else row
        if first is not None and first == first:  # skip NaN gaps
            out.add(int(first))
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value)


class ChunkedTraces:
    """The traces of one legend group of a figure, appended to chunk by chunk.

    ``make_trace(first)`` builds an empty, styled trace of the group; ``first`` says whether it
    is the group's first trace (the one that shows in the legend).

    Example:
        >>> import plotly.graph_objects as go
        >>> fig = go.Figure()
        >>> make = lambda first: go.Scatter(legendgroup="g", showlegend=first, mode="markers")
        >>> chunks = ChunkedTraces(fig, "g", make, chunk_size=2)
        >>> chunks.append([{"x": [0], "y": [1]}, {"x": [1], "y": [2]}, {"x": [2], "y": [3]}])
        >>> [list(t.x) for t in fig.data]
        [[0, 1], [2]]
    """

    def __init__(
        self,
        figure: Any,
        group: str,
        make_trace: Callable[[bool], Any],
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, but got chunk_size={chunk_size}")
        self.figure = figure
        self.group = group
        self._make = make_trace
        self.chunk_size = chunk_size
        self._tail: int | None = None
        for i, trace in enumerate(figure.data):
            if trace.legendgroup == group:
                self._tail = i

    @property
    def n_traces(self) -> int:
        """How many traces the group has."""
        return sum(1 for t in self.figure.data if t.legendgroup == self.group)

    def _tail_len(self) -> int:
        if self._tail is None:
            return 0
        x = self.figure.data[self._tail].x
        return 0 if x is None else len(x)

    def append(self, units: Sequence[Unit]) -> None:
        """Append ``units``: each a dict of equal-length columns (``x``, ``y``, ``customdata``
        ...) that stays within one trace."""
        if not units:
            return
        size: int | None = None if self._tail is None else self._tail_len()
        batch: dict[str, list[Any]] = {}
        for unit in units:
            n = len(next(iter(unit.values())))
            if size is None or (size > 0 and size + n > self.chunk_size):
                self._extend(batch)
                batch = {}
                self._open()
                size = 0
            for key, col in unit.items():
                batch.setdefault(key, []).extend(col)
            size += n
        self._extend(batch)

    def _open(self) -> None:
        first = self._tail is None
        self.figure.add_trace(self._make(first))
        self._tail = len(self.figure.data) - 1

    def _extend(self, columns: dict[str, list[Any]]) -> None:
        if not columns or self._tail is None:
            return
        trace = self.figure.data[self._tail]
        trace.update({key: _as_list(trace[key]) + values for key, values in columns.items()})


def group_units(items: Iterable[tuple[str, Unit]]) -> dict[str, list[Unit]]:
    """Group ``(group, unit)`` pairs by group, keeping their order."""
    out: dict[str, list[Unit]] = {}
    for group, unit in items:
        out.setdefault(group, []).append(unit)
    return out


def thin(
    numbers: Sequence[int],
    cap: int,
    keep: Collection[int] = (),
    recent: int | None = None,
) -> list[int]:
    """At most ``cap`` of ``numbers`` (ascending trial numbers) for a plot that must stay
    small: every number in ``keep`` (the best trials, say), the ``recent`` highest (default
    ``cap // 4``), and an even sample of the rest. Numbers in ``keep`` are kept even beyond
    ``cap``, so the caller bounds ``keep``.

    Example:
        >>> thin(list(range(100)), 10, keep={3})
        [0, 3, 17, 33, 49, 65, 81, 97, 98, 99]
        >>> thin([1, 2, 3], 10)
        [1, 2, 3]
    """
    if cap < 1:
        raise ValueError(f"cap must be >= 1, but got cap={cap}")
    if len(numbers) <= cap:
        return list(numbers)
    n_recent = cap // 4 if recent is None else max(0, min(recent, cap))
    tail = list(numbers[len(numbers) - n_recent :]) if n_recent else []
    chosen = set(tail)
    chosen.update(n for n in keep if n not in chosen)
    rest = [n for n in numbers[: len(numbers) - n_recent] if n not in chosen]
    slots = cap - len(tail) - sum(1 for n in keep if n not in tail)
    if slots > 0 and rest:
        if slots == 1:
            chosen.add(rest[0])
        else:
            last = len(rest) - 1
            step = last / (slots - 1) if slots <= len(rest) else 1.0
            chosen.update(rest[min(last, round(i * step))] for i in range(min(slots, len(rest))))
    present = set(numbers)
    return sorted(n for n in chosen if n in present)

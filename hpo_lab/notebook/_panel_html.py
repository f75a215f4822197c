"""The HTML the control panel shows outside its plots: failures, the log and the trials table.

Pure functions and one small class, so each is tested on its own; the panel's bridge thread
calls them only for the tab that is shown.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpo_lab.notebook._log import LogEntry
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["LOG_LINES", "LogLines", "failures_html", "table_html", "user_traceback"]

#: Lines the log tab keeps (the newest).
LOG_LINES = 500
#: Failed trials the failures tab lists (the newest).
FAILURES_SHOWN = 50

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_FRAME = re.compile(r'^  File "(?P<path>[^"]+)", line \d+')


def _internal(path: str) -> bool:
    # hpo_lab's own files, and the thread machinery that ran the trial.
    if path.startswith(_PACKAGE + os.sep):
        return True
    name = os.path.basename(path)
    parent = os.path.basename(os.path.dirname(path))
    return name == "threading.py" or (parent == "futures" and name in ("thread.py", "_base.py"))


def user_traceback(text: str) -> str:
    """A failed trial's message without hpo_lab's own frames: the frames of the user's code and
    the exception stay.

    Example:
        >>> import os, hpo_lab
        >>> runner = os.path.join(os.path.dirname(hpo_lab.__file__), "execution", "_runner.py")
        >>> text = ("Traceback (most recent call last):\\n"
        ...         f'  File "{runner}", line 9, in _run\\n    value = objective(trial)\\n'
        ...         '  File "<%%hpo cell>", line 3, in <module>\\n    1 / 0\\n'
        ...         "ZeroDivisionError: division by zero\\n")
        >>> print(user_traceback(text))
        Traceback (most recent call last):
          File "<%%hpo cell>", line 3, in <module>
            1 / 0
        ZeroDivisionError: division by zero
    """
    lines = text.splitlines()
    out: list[str] = []
    skipping = False
    for line in lines:
        m = _FRAME.match(line)
        if m is not None:
            skipping = _internal(m.group("path"))
            if not skipping:
                out.append(line)
            continue
        if skipping and line.startswith("    "):
            continue  # the source line (and any ^^^ markers) of a skipped frame
        skipping = False
        out.append(line)
    return "\n".join(out)


def failures_html(failed: Sequence[FrozenTrial], total: int) -> str:
    """The failures tab: the newest failed trials, each with its summary and its traceback
    (the user's frames only).

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> t = FrozenTrial(number=3, state=TrialState.FAIL, fail_message="ValueError: bad x")
        >>> "trial 3 (failed): ValueError: bad x" in failures_html([t], 1)
        True
    """
    if not failed:
        return "<i>No failed trials.</i>"
    items = []
    for t in failed[-FAILURES_SHOWN:]:
        message = user_traceback(t.fail_message or "")
        lines = message.strip().splitlines()
        reason = t.fail_reason.value if t.fail_reason is not None else "failed"
        summary = lines[-1] if lines else reason
        items.append(
            f"<details><summary>trial {t.number} ({html.escape(reason)}): "
            f"{html.escape(summary)}</summary><pre>{html.escape(message)}</pre></details>"
        )
    shown = min(total, FAILURES_SHOWN)
    note = f"<i>the newest {shown} of {total} failed trials</i>" if total > shown else ""
    return note + "".join(reversed(items))


class LogLines:
    """The run log as lines, in the order their first piece was written.

    ``print()`` writes a line in pieces, and trials write at once: pieces are joined per
    trial and stream, and a line that is still unfinished keeps its place (the time of its
    first piece) among the finished ones instead of sitting at the bottom.

    Example:
        >>> from hpo_lab.notebook._log import RunLog
        >>> log = RunLog()
        >>> lines = LogLines()
        >>> for piece, trial in (("value", 1), ("done\\n", 2), (" 0.5\\n", 1), ("half", 3)):
        ...     log.write(piece, trial=trial)
        >>> lines.add(log.since(0)[0]); lines.text()
        '[trial 1] value 0.5\\n[trial 2] done\\n[trial 3] half'
    """

    def __init__(self, maxlen: int = LOG_LINES) -> None:
        self.maxlen = maxlen
        self._lines: list[tuple[int, str]] = []  # (seq of the first piece, text), finished
        self._partial: dict[tuple[Any, str], tuple[int, str]] = {}
        #: Increases with every change.
        self.version = 0

    def add(self, entries: Sequence[LogEntry]) -> None:
        """Take new log entries."""
        for e in entries:
            self.version += 1
            key = (e.trial, e.stream)
            seq, text = self._partial.pop(key, (e.seq, ""))
            text += e.text
            *done, rest = text.split("\n")
            tag = "" if e.trial is None else f"[trial {e.trial}] "
            prefix = "warning: " if e.stream == "warning" else ""
            if e.stream == "warning" and rest:
                done, rest = [*done, rest], ""  # a warning is one whole message
            for i, line in enumerate(done):
                self._lines.append((seq if i == 0 else e.seq, f"{tag}{prefix}{line}"))
            if rest:
                self._partial[key] = (seq if not done else e.seq, rest)
        if len(self._lines) > 2 * self.maxlen:
            self._lines.sort()
            del self._lines[: -self.maxlen]
        if len(self._partial) > self.maxlen:  # trials that ended mid-line: the oldest go
            for key in sorted(self._partial, key=lambda k: self._partial[k][0])[: -self.maxlen]:
                del self._partial[key]

    def text(self) -> str:
        """The newest ``maxlen`` lines, oldest first."""
        partial = [
            (
                seq,
                f"{'' if trial is None else f'[trial {trial}] '}"
                f"{'warning: ' if stream == 'warning' else ''}{rest}",
            )
            for (trial, stream), (seq, rest) in self._partial.items()
        ]
        lines = sorted(self._lines + partial)[-self.maxlen :]
        return "\n".join(text for _, text in lines)

    def html(self) -> str:
        """The log as HTML that opens scrolled to its newest line."""
        body = html.escape(self.text(), quote=False)
        # A reversed flex column starts scrolled to its end: the newest line shows first,
        # and the user scrolls up for older ones.
        return (
            "<div class='hpo-log-scroll' style='max-height:300px;overflow:auto;display:flex;"
            "flex-direction:column-reverse'><pre style='margin:0;flex:none'>"
            f"{body}</pre></div>"
        )


def table_html(trials: Sequence[FrozenTrial], total: int, ascending_value: bool, sort: str) -> str:
    """The trials table: ``trials`` (already chosen and sorted, at most a hundred) as rows.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> ts = [FrozenTrial(number=i, state=TrialState.COMPLETE, value=i) for i in range(2)]
        >>> "2 of 5 trials shown" in table_html(ts, 5, True, "newest")
        True
    """
    from hpo_lab.samplers._base import PROPOSED_BY_ATTR
    from hpo_lab.study._dataframe import trials_to_dataframe

    if not trials:
        return "<i>No trials yet.</i>"
    df = trials_to_dataframe(list(trials))
    proposed = [t.system_attrs.get(PROPOSED_BY_ATTR) for t in trials]
    if any(p is not None for p in proposed):  # how a model-based sampler chose each trial
        df.insert(min(len(df.columns), 3), "proposed by", proposed)
    drop = [c for c in ("datetime_start", "datetime_complete") if c in df]
    table = str(
        df.drop(columns=drop).to_html(index=False, na_rep="", border=0, classes="hpo-table")
    )
    if total > len(trials):
        table += f"<i>{len(trials)} of {total} trials shown ({html.escape(sort)} first)</i>"
    return table

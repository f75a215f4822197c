"""The panel's space editor: one range control per parameter, and where the good trials lie.

Numeric parameters get a range slider (over ``log10`` of the value for log-scaled ones, with a
readout of the real values), categorical ones a toggle per choice. Beside each control a strip
shows every COMPLETE trial's value (grey) and the best quarter's (green), with the range of the
best quarter in words.

The editor reads its controls when the user presses Apply or Warm-start (:meth:`SpaceEditor.ranges`)
and only the panel's bridge thread changes them (:meth:`SpaceEditor.update`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import Any

from hpo_lab.distributions import (
    CategoricalDistribution,
    Distribution,
    FloatDistribution,
    IntDistribution,
)
from hpo_lab.notebook._figures import import_widgets
from hpo_lab.trial._frozen import FrozenTrial
from hpo_lab.trial._state import TrialState

__all__ = ["ParamRow", "SpaceEditor", "good_trials", "strip_svg"]

_SLIDER_STEPS = 400
_STRIP_WIDTH = 240
_STRIP_TICKS = 200


def good_trials(trials: Sequence[FrozenTrial], direction: str) -> list[FrozenTrial]:
    """The best quarter (at least one) of the COMPLETE trials.

    Example:
        >>> from hpo_lab.trial import FrozenTrial, TrialState
        >>> done = TrialState.COMPLETE
        >>> ts = [FrozenTrial(number=i, state=done, value=float(i)) for i in range(8)]
        >>> [t.number for t in good_trials(ts, "minimize")]
        [0, 1]
    """
    done = [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]
    if not done:
        return []
    done.sort(key=lambda t: t.value, reverse=direction == "maximize")  # type: ignore[arg-type,return-value]
    return done[: max(1, len(done) // 4)]


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _position(d: Distribution, value: Any) -> float | None:
    """Where ``value`` lies on the declared range, from 0 to 1."""
    if isinstance(d, CategoricalDistribution):
        return None
    low, high, v = float(d.low), float(d.high), float(value)
    if d.log:
        low, high, v = math.log10(low), math.log10(high), math.log10(max(v, 1e-300))
    if high == low:
        return 0.5
    return min(1.0, max(0.0, (v - low) / (high - low)))


def strip_svg(d: Distribution, values: Sequence[Any], good: Sequence[Any]) -> str:
    """A small inline SVG: a tick per value (grey), the good values' ticks in green.

    Example:
        >>> from hpo_lab.distributions import FloatDistribution
        >>> svg = strip_svg(FloatDistribution(0, 1), [0.1, 0.5], [0.5])
        >>> svg.count('stroke="#999"'), svg.count('stroke="#2ca02c"')
        (2, 1)
    """
    parts = [
        f'<svg width="{_STRIP_WIDTH}" height="14" class="hpo-strip">'
        f'<rect x="0" y="6" width="{_STRIP_WIDTH}" height="2" fill="#ddd"/>'
    ]
    for vals, color in ((values, "#999"), (good, "#2ca02c")):
        for v in vals:
            pos = _position(d, v)
            if pos is None:
                continue
            x = round(1 + pos * (_STRIP_WIDTH - 2), 1)
            parts.append(f'<line x1="{x}" x2="{x}" y1="1" y2="13" stroke="{color}"/>')
    parts.append("</svg>")
    return "".join(parts)


class ParamRow:
    """The control of one parameter: ``control`` (slider or toggle box), ``readout`` and
    ``hint`` (where the good trials lie)."""

    def __init__(
        self,
        name: str,
        declared: Distribution,
        current: Distribution,
        on_change: Callable[[], None],
    ) -> None:
        w = import_widgets()
        self.name = name
        self.declared = declared
        self.log = not isinstance(declared, CategoricalDistribution) and bool(declared.log)
        self.readout = w.HTML(value="")
        self.hint = w.HTML(value="")
        self.toggles: list[Any] = []
        css = f"hpo-range-{name}"
        layout = w.Layout(width="320px")
        if isinstance(declared, CategoricalDistribution):
            chosen = (
                set(map(repr, current.choices))
                if isinstance(current, CategoricalDistribution)
                else set(map(repr, declared.choices))
            )
            for choice in declared.choices:
                t = w.ToggleButton(
                    value=repr(choice) in chosen, description=str(choice), tooltip=repr(choice)
                )
                t.layout.width = "auto"
                t.observe(lambda _change: on_change(), names="value")
                self.toggles.append(t)
            label = w.Label(value=name)
            label.layout.width = "90px"
            self.control: Any = w.HBox([label, *self.toggles])
        elif self.log:
            lo, hi = math.log10(float(declared.low)), math.log10(float(declared.high))
            c_lo = math.log10(float(current.low))  # type: ignore[union-attr]
            c_hi = math.log10(float(current.high))  # type: ignore[union-attr]
            self.control = w.FloatRangeSlider(
                min=lo,
                max=hi,
                step=(hi - lo) / _SLIDER_STEPS or 1.0,
                value=(c_lo, c_hi),
                readout=False,
                description=name,
                layout=layout,
            )
        elif isinstance(declared, IntDistribution):
            self.control = w.IntRangeSlider(
                min=declared.low,
                max=declared.high,
                step=declared.step,
                value=(current.low, current.high),  # type: ignore[union-attr]
                description=name,
                layout=layout,
            )
        else:
            assert isinstance(declared, FloatDistribution)
            lo, hi = float(declared.low), float(declared.high)
            step = declared.step if declared.step is not None else (hi - lo) / _SLIDER_STEPS
            self.control = w.FloatRangeSlider(
                min=lo,
                max=hi,
                step=step or 1.0,
                value=(float(current.low), float(current.high)),  # type: ignore[union-attr]
                readout_format=".4g",
                description=name,
                layout=layout,
            )
        if not self.toggles:
            self.control.observe(lambda _change: on_change(), names="value")
        self.control.add_class(css)
        self.readout.value = self.readout_text()
        if self.log:
            self.readout.layout.width = "190px"
        self.widget = w.HBox([self.control, self.readout, self.hint])
        self.widget.add_class("hpo-param-row")

    def spec(self) -> Any:
        """What the control selects, as :meth:`Study.narrow` takes it: ``(low, high)`` in the
        parameter's own units and type, or a list of choices."""
        d = self.declared
        if isinstance(d, CategoricalDistribution):
            return [c for c, t in zip(d.choices, self.toggles) if t.value]
        lo, hi = self.control.value
        if self.log:
            lo, hi = 10.0**lo, 10.0**hi
        if isinstance(d, IntDistribution):
            lo, hi = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
            lo, hi = max(d.low, min(lo, d.high)), max(d.low, min(hi, d.high))
            return (int(lo), int(max(lo, hi)))
        lo = min(max(float(lo), float(d.low)), float(d.high))
        hi = min(max(float(hi), float(d.low)), float(d.high))
        return (lo, max(lo, hi))

    def set_spec(self, spec: Any) -> None:
        """Set the control as a user would: ``(low, high)`` in real units, or a list of
        choices."""
        if self.toggles:
            keep = set(map(repr, spec))
            for choice, t in zip(self.declared.choices, self.toggles):  # type: ignore[union-attr]
                t.value = repr(choice) in keep
            return
        lo, hi = spec
        if self.log:
            lo, hi = math.log10(lo), math.log10(hi)
        self.control.value = (lo, hi)

    def readout_text(self) -> str:
        """The selected range in words (real values for log-scaled sliders)."""
        spec = self.spec()
        if isinstance(self.declared, CategoricalDistribution):
            return ""
        if self.log:
            return f"{_fmt(spec[0])} – {_fmt(spec[1])} (log)"
        return ""

    def hint_html(self, values: Sequence[Any], good: Sequence[Any]) -> str:
        """Where the good trials lie, as HTML."""
        d = self.declared
        if not good:
            return '<span style="color:#888">no finished trials yet</span>'
        if isinstance(d, CategoricalDistribution):
            counts = ", ".join(
                f"{html.escape(str(c))}: {sum(1 for g in good if g == c)}" for c in d.choices
            )
            return f'<span title="best quarter of the trials">best 25%: {counts}</span>'
        lo, hi = min(good), max(good)
        return (
            f"{strip_svg(d, values, good[:_STRIP_TICKS])} "
            f'<span title="range of the best quarter of the trials">best 25%: '
            f"{_fmt(float(lo))} – {_fmt(float(hi))}</span>"
        )


class SpaceEditor:
    """Range controls for every parameter, plus Apply and Warm-start buttons.

    ``on_apply()`` and ``on_warm_start()`` run on whatever thread delivers the click; the
    panel's handlers only post commands. ``on_change()`` is called when the user moves a
    control (it asks the bridge to refresh the readouts).

    Example:
        >>> from hpo_lab.distributions import FloatDistribution
        >>> editor = SpaceEditor(lambda: None, lambda: None, lambda: None)
        >>> d = FloatDistribution(1e-5, 1e-1, log=True)
        >>> editor.update({"lr": d}, {"lr": d}, [], [])
        >>> editor.rows["lr"].set_spec((1e-4, 1e-2))
        >>> [round(v, 6) for v in editor.ranges()["lr"]]
        [0.0001, 0.01]
    """

    def __init__(
        self,
        on_apply: Callable[[], None],
        on_warm_start: Callable[[], None],
        on_change: Callable[[], None],
    ) -> None:
        w = import_widgets()
        self.rows: dict[str, ParamRow] = {}
        self._on_change = on_change
        self.apply_button = w.Button(
            description="Apply",
            tooltip="narrow the running study for future trials",
            button_style="primary",
        )
        self.apply_button.add_class("hpo-apply")
        self.warm_button = w.Button(
            description="Warm-start new study",
            tooltip="start a child study with this space, seeded with the trials that fit it",
        )
        self.warm_button.layout.width = "auto"
        self.warm_button.add_class("hpo-warm-start")
        self.apply_button.on_click(lambda _b: on_apply())
        self.warm_button.on_click(lambda _b: on_warm_start())
        self.status = w.HTML(value="")
        self.status.add_class("hpo-space-status")
        self.rows_box = w.VBox([])
        self.empty = w.HTML(value="<i>The parameters appear once a trial has suggested them.</i>")
        self.widget = w.VBox(
            [self.empty, self.rows_box, w.HBox([self.apply_button, self.warm_button]), self.status]
        )
        self.widget.add_class("hpo-space-editor")

    def update(
        self,
        declared: dict[str, Distribution],
        current: dict[str, Distribution],
        recent: Sequence[FrozenTrial],
        good: Sequence[FrozenTrial],
    ) -> None:
        """Add rows for new parameters and refresh readouts and hints (bridge thread only).

        ``recent`` are the latest COMPLETE trials and ``good`` the best quarter of them (see
        :func:`good_trials`), both chosen by the caller, which keeps them current as trials
        arrive: the editor never scans a whole study.
        """
        new = [n for n in declared if n not in self.rows or self.rows[n].declared != declared[n]]
        for name in new:
            self.rows[name] = ParamRow(
                name, declared[name], current.get(name, declared[name]), self._on_change
            )
        if new:
            self.rows_box.children = tuple(self.rows[n].widget for n in sorted(self.rows))
            self.empty.layout.display = "none"
        self.update_readouts()
        for name, row in self.rows.items():
            # The strip draws at most the latest and the best _STRIP_TICKS values, so that its
            # size (sent on every change) stays bounded however long the study runs.
            hint = row.hint_html(
                [t.params[name] for t in recent[-_STRIP_TICKS:] if name in t.params],
                [t.params[name] for t in good if name in t.params],
            )
            if row.hint.value != hint:
                row.hint.value = hint

    def synced_widgets(self) -> list[Any]:
        """The widgets :meth:`update` may change (the panel batches their messages)."""
        out = [self.rows_box, self.empty.layout, self.status]
        for row in self.rows.values():
            out += [row.readout, row.hint]
        return out

    def update_readouts(self) -> None:
        """Write each control's selected range beside it (bridge thread only)."""
        for row in self.rows.values():
            readout = row.readout_text()
            if row.readout.value != readout:
                row.readout.value = readout

    def ranges(self) -> dict[str, Any]:
        """What every control selects (see :meth:`ParamRow.spec`)."""
        return {name: row.spec() for name, row in self.rows.items()}

    def set_enabled(self, apply: bool, warm: bool) -> None:
        """Enable or disable the buttons."""
        if self.apply_button.disabled == apply:
            self.apply_button.disabled = not apply
        if self.warm_button.disabled == warm:
            self.warm_button.disabled = not warm

"""The schedule population-based training learned: each member's hyperparameters and score over
the steps, with the exploit jumps (a member copying another) drawn."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hpo_lab.trial._state import TrialState
from hpo_lab.viz._snapshot import StudySnapshot, as_snapshot, import_plotly
from hpo_lab.viz._style import base_layout, empty_figure

if TYPE_CHECKING:
    from hpo_lab.study._study import Study
    from hpo_lab.trial._frozen import FrozenTrial

__all__ = ["PbtScheduleData", "plot_pbt_schedule"]

_PBT_ATTR = "pbt"  # hpo_lab.pbt.PBT_ATTR (viz does not import the scheduler)
_PALETTE = (
    "#3d85c6", "#e4572e", "#22a39f", "#8e6bd1", "#b8740a", "#b8529a", "#6a994e", "#555555",
)


@dataclass
class MemberLine:
    """One member's schedule: per interval, its end step, hyperparameters and score."""

    member: int
    steps: list[int] = field(default_factory=list)
    values: dict[str, list[Any]] = field(default_factory=dict)
    scores: list[float | None] = field(default_factory=list)
    trials: list[int] = field(default_factory=list)


@dataclass
class Jump:
    """An exploit: ``member`` continued ``donor``'s checkpoint from ``step`` on."""

    member: int
    donor: int
    step: int
    donor_trial: int
    trial: int


@dataclass
class PbtScheduleData:
    """What :func:`plot_pbt_schedule` draws."""

    params: list[str]
    members: list[MemberLine]
    jumps: list[Jump]
    message: str | None = None


def _pbt_data(snap: StudySnapshot, params: Sequence[str] | None = None) -> PbtScheduleData:
    by_member: dict[int, MemberLine] = {}
    jumps: list[Jump] = []
    names: list[str] = []
    for t in sorted(snap.trials, key=lambda t: t.number):
        info = t.system_attrs.get(_PBT_ATTR)
        if not isinstance(info, dict) or "member" not in info:
            continue
        if t.state != TrialState.COMPLETE:
            continue
        member = int(info["member"])
        line = by_member.setdefault(member, MemberLine(member))
        end = int(info.get("step", 0)) + int(info.get("interval", 1))
        line.steps.append(end)
        line.trials.append(t.number)
        line.scores.append(t.value)
        for name, value in t.params.items():
            if name not in names:
                names.append(name)
            line.values.setdefault(name, [None] * (len(line.steps) - 1)).append(value)
        for values in line.values.values():
            while len(values) < len(line.steps):
                values.append(None)
        if info.get("action") == "exploit" and "donor" in info:
            jumps.append(Jump(member, int(info["donor"]), int(info.get("step", 0)),
                              int(info.get("donor_trial", -1)), t.number))
    shown = [p for p in (params if params is not None else names) if p in names]
    if not by_member:
        return PbtScheduleData(shown, [], [], "No population-based training trials yet")
    return PbtScheduleData(shown, [by_member[m] for m in sorted(by_member)], jumps)


def _numeric(values: list[Any]) -> bool:
    return all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
               for v in values)


def _render_pbt(data: PbtScheduleData, direction: str) -> Any:
    title = "Population-based training schedule"
    if data.message:
        return empty_figure(title, data.message)
    go = import_plotly()
    make_subplots = importlib.import_module("plotly.subplots").make_subplots
    rows = [*data.params, "score"]
    fig = make_subplots(
        rows=len(rows), cols=1, shared_xaxes=True, vertical_spacing=0.04,
        subplot_titles=rows,
    )
    layout = base_layout(title)
    layout.pop("xaxis", None)
    layout.pop("yaxis", None)
    fig.update_layout(**layout, height=max(320, 170 * len(rows)))
    for line in data.members:
        color = _PALETTE[line.member % len(_PALETTE)]
        for row, name in enumerate(rows, start=1):
            member_ys = line.scores if name == "score" else line.values.get(name, [])
            fig.add_trace(
                go.Scatter(
                    x=line.steps, y=member_ys, mode="lines+markers",
                    line={"color": color, "width": 2, "shape": "hv"},
                    marker={"size": 5, "color": color},
                    name=f"member {line.member}", legendgroup=str(line.member),
                    showlegend=row == 1,
                    customdata=line.trials,
                    hovertemplate=f"member {line.member}<br>step %{{x}}<br>{name} %{{y}}"
                    "<br>trial %{customdata}<extra></extra>",
                ),
                row=row, col=1,
            )
    # Exploit jumps: a dashed line from the donor's value to the member's new value.
    by_trial = {
        trial: (line, i) for line in data.members for i, trial in enumerate(line.trials)
    }
    for row, name in enumerate(rows, start=1):
        xs: list[Any] = []
        ys: list[Any] = []
        for jump in data.jumps:
            src, dst = by_trial.get(jump.donor_trial), by_trial.get(jump.trial)
            if src is None or dst is None:
                continue
            (sline, si), (dline, di) = src, dst
            sv = sline.scores[si] if name == "score" else sline.values.get(name, [None])[si]
            dv = dline.scores[di] if name == "score" else dline.values.get(name, [None])[di]
            xs += [sline.steps[si], dline.steps[di], None]
            ys += [sv, dv, None]
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs, y=ys, mode="lines", line={"color": "#999999", "dash": "dash",
                                                    "width": 1},
                    name="exploit (copied a member)", legendgroup="jumps",
                    showlegend=row == 1, hoverinfo="skip",
                ),
                row=row, col=1,
            )
        values = [v for line in data.members for v in (
            line.scores if name == "score" else line.values.get(name, []))]
        positive = [v for v in values if isinstance(v, (int, float)) and v is not None]
        if name != "score" and _numeric(values) and positive and min(positive) > 0 and (
            max(positive) / min(positive) > 50
        ):
            fig.update_yaxes(type="log", row=row, col=1)
    fig.update_xaxes(title_text="step", row=len(rows), col=1)
    better = "higher" if direction == "maximize" else "lower"
    fig.update_yaxes(title_text=f"score ({better} is better)", row=len(rows), col=1)
    return fig


def plot_pbt_schedule(
    study: Study | StudySnapshot | Sequence[FrozenTrial],
    params: Sequence[str] | None = None,
) -> Any:
    """Each member's hyperparameters (one panel each, ``params`` to choose) and score over the
    steps of population-based training; dashed lines mark exploits, where a member took over
    another's checkpoint and perturbed its hyperparameters. PBT learns a schedule, not a single
    configuration: this is the schedule.

    Example:
        >>> import hpo_lab
        >>> from hpo_lab.pbt import PopulationBasedTraining, segment
        >>> def objective(trial):
        ...     h = trial.suggest_float("h", 0.01, 1.0, log=True)
        ...     x = trial.checkpoint.load(default=1.0)
        ...     for _ in segment(trial):
        ...         x *= 1 - h
        ...     trial.checkpoint.save(x)
        ...     return x
        >>> s = hpo_lab.create_study()
        >>> s.optimize(objective, scheduler=PopulationBasedTraining(3, 2, max_steps=6, seed=0))
        >>> fig = plot_pbt_schedule(s)
        >>> sorted({tr.name for tr in fig.data})[:3]
        ['exploit (copied a member)', 'member 0', 'member 1']
    """
    snap = as_snapshot(study)
    return _render_pbt(_pbt_data(snap, params), snap.direction)


"""Readability on light and dark themes: contrast of the shared colours and of each plot's
text."""

from __future__ import annotations

import pytest

import hpo_lab
from hpo_lab.samplers import RandomSampler
from hpo_lab.viz import plot_parallel_coordinate, plot_param_importances
from hpo_lab.viz._importances import ImportanceData, _render_importances
from hpo_lab.viz._style import COLORS, FONT_COLOR

WHITE, DARK = "#ffffff", "#111111"  # JupyterLab's light and dark backgrounds


def _luminance(color: str) -> float:
    rgb = [int(color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """The WCAG 2 contrast ratio of two colours."""
    la, lb = sorted([_luminance(a), _luminance(b)])
    return (lb + 0.05) / (la + 0.05)


def test_contrast_helper_matches_known_ratios() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_text_meets_aa_on_white_and_stays_readable_on_dark() -> None:
    assert contrast(FONT_COLOR, WHITE) >= 4.5
    assert contrast(FONT_COLOR, DARK) >= 4.0


@pytest.mark.parametrize("name", sorted(COLORS))
def test_every_mark_colour_reaches_3_to_1_on_both_themes(name: str) -> None:
    # 3:1 is WCAG's bar for graphical objects (markers, lines, bars).
    assert contrast(COLORS[name], WHITE) >= 3.0, name
    assert contrast(COLORS[name], DARK) >= 3.0, name


def test_parallel_coordinate_text_has_no_halo() -> None:
    s = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    s.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_int("k", 0, 3), n_trials=5)
    trace = plot_parallel_coordinate(s).data[0]
    # plotly draws a light shadow behind parcoords text unless told not to: a smudge on dark.
    for font in (trace.labelfont, trace.tickfont, trace.rangefont):
        assert font.shadow == "none"
        assert font.color == FONT_COLOR


def test_importance_labels_sit_outside_the_bars_in_the_theme_colour() -> None:
    data = ImportanceData(names=["a", "b"], values=[0.97, 0.03])
    bar = _render_importances(data).data[0]
    assert bar.textposition == "outside"
    assert bar.textfont.color == FONT_COLOR
    assert list(bar.text) == ["0.03", "0.97"]


def test_importance_error_bars_replace_the_labels() -> None:
    s = hpo_lab.create_study(sampler=RandomSampler(seed=0))
    s.optimize(lambda t: 10 * t.suggest_float("a", 0, 1) + t.suggest_float("b", 0, 1),
               n_trials=30)
    bar = plot_param_importances(s).data[0]
    assert bar.error_x.array is not None
    assert bar.text is None  # an error bar would run through a label
    assert "interval" in bar.hovertemplate

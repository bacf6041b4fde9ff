"""The standup screen on any TV: the scale each viewport gets, and the dark theme's colours
against WCAG AA (4.5:1), computed here by the WCAG formula (not by the product)."""
from __future__ import annotations

import re

import pytest

from pancake.numbers.views import standup as sv


def chosen(width: int, height: int) -> float | None:
    """The scale the CSS gives: the last media query that matches."""
    fitting = [s for w, h, s in sv.viewport_scales() if width >= w and height >= h]
    return fitting[-1] if fitting else None


@pytest.mark.parametrize("viewport,scale", [
    ((1920, 1080), 1.0),      # the design size
    ((1920, 950), 0.875),     # a TV browser with its address bar: 1080 × 0.875 = 945 <= 950 < 1080 × 0.9
    ((1366, 768), 0.7),       # 1920 × 0.7 = 1344, 1080 × 0.7 = 756; 0.725 needs 1392 wide
    ((1280, 720), 0.65),      # 1920 × 0.65 = 1248; 0.675 needs 1296 wide
    ((3840, 2160), 2.0),      # 4K
    ((390, 844), None),       # a phone: no scaling, the page scrolls
])
def test_each_viewport_gets_the_largest_scale_that_fits(viewport, scale):
    assert chosen(*viewport) == scale


def test_the_css_has_one_query_per_step_and_scales_the_charts_box_back():
    css = sv.fit_css(".block-container")
    assert "@media (min-width: 1680px) and (min-height: 945px) { .block-container { zoom: 0.875; }" in css
    assert "width: calc(100% / 0.875)" in css
    assert css.count("@media") == 101   # 0.5 .. 3.0 in steps of 0.025


def test_the_cards_sparklines_are_scaled_back_like_the_charts():
    """Regression (issue 19): at 4K (zoom 2) a card's sparkline was drawn twice as wide as its
    card and cut off after its first days (it looked flattened); its box is scaled back too."""
    css = sv.fit_css(".block-container")
    four_k = next(q for q in css.splitlines() if q.startswith("@media (min-width: 3840px) and (min-height: 2160px)"))
    assert ('.block-container [data-testid="stMetric"] > div:has(> [data-testid="stMetricChart"]) '
            '{ width: calc(100% / 2) !important; overflow: visible !important; }') in four_k
    small = next(q for q in css.splitlines() if q.startswith("@media (min-width: 1344px) and (min-height: 756px)"))
    assert '> div:has(> [data-testid="stMetricChart"]) { width: calc(100% / 0.7) !important;' in small
    assert css.count('[data-testid="stMetricChart"]') == 101


def luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of '#rrggbb' or 'rgb(r, g, b)'."""
    if colour.startswith("#"):
        rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    else:
        rgb = [int(x) for x in re.findall(r"\d+", colour)[:3]]
    lin = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_formula_on_known_pairs():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_the_old_dark_theme_marks_were_below_aa():
    # what the issue measured: Streamlit's light-theme shades on the dark screen
    assert contrast("rgb(158, 48, 59)", "#0b1220") < 3.0
    assert contrast("rgb(155, 69, 25)", "#0b1220") < 3.5


@pytest.mark.parametrize("name", ["red", "green", "blue", "gray", "orange"])
@pytest.mark.parametrize("background", ["#0b1220", "#111a2e", "#1e293b"])
def test_every_mark_of_the_dark_theme_reaches_aa(name, background):
    assert background in sv.DARK_BACKGROUNDS
    assert contrast(sv.DARK_MARK_COLOURS[name], background) >= 4.5


@pytest.mark.parametrize("name", ["red", "green", "blue", "gray", "orange"])
def test_the_light_theme_marks_reach_aa_on_white(name):
    assert contrast(sv.STREAMLIT_MARK_COLOURS[name], "#ffffff") >= 4.5


def test_the_dark_css_redraws_each_streamlit_shade():
    css = sv.dark_marks_css()
    assert '.stMarkdownColoredText[style*="rgb(158, 48, 59)"] { color: #fca5a5 !important; }' in css
    assert css.count("stMarkdownColoredText") == 5

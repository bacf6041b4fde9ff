"""Chart axes follow the language in a real browser: no English month name and no "1.5M"-style
number on a Vietnamese page; English pages keep English month names."""
from __future__ import annotations

import re

import pytest

from . import truth
from .conftest import settle, shot

pytestmark = pytest.mark.browser

ONE = truth.DEMO_PAGE_IDS[0]
MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b")
ENGLISH_COMPACT = re.compile(r"\d(\.\d+)?[kMB]\b")


def axis_texts(page) -> list[str]:
    """Every tick label, axis title and colour-bar title drawn by Plotly on the page."""
    page.wait_for_selector(".js-plotly-plot .xtick text", timeout=60_000)
    return page.locator(".js-plotly-plot .xtick text, .js-plotly-plot .ytick text, "
                        ".js-plotly-plot .g-xtitle text, .js-plotly-plot .g-ytitle text, "
                        ".js-plotly-plot .cbtitle text, .js-plotly-plot .cbaxis text").all_text_contents()


@pytest.mark.parametrize("path", ["engagement", "ads", "activity"])
def test_vietnamese_axes_have_no_english_month_or_number(page, path):
    page.goto(f"/{path}?lang=vi&pages=all&range=last_30")
    settle(page, timeout_s=180)
    texts = axis_texts(page)
    shot(page, f"axes_vi_{path}")
    assert texts, "no axis text found"
    assert not [t for t in texts if MONTHS.search(t)], texts
    assert not [t for t in texts if ENGLISH_COMPACT.search(t)], texts


def test_english_axes_keep_english_month_names(page):
    page.goto(f"/engagement?lang=en&pages={ONE}&range=last_30")
    settle(page, timeout_s=180)
    texts = axis_texts(page)
    assert any(MONTHS.search(t) for t in texts), texts

"""A phone (390 px), an agency of 24 pages: the Staff page's charts keep every label whole
inside the chart (a long "name · page #17" label was cut at the chart's left edge) and the page
never scrolls sideways."""
from __future__ import annotations

import pytest

from .conftest import settle, shot
from .test_kiosk_browser import agency_url  # noqa: F401 - the 24-page simulator and its app

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

CUT = """() => [...document.querySelectorAll(".js-plotly-plot")].flatMap(plot => {
  const box = plot.getBoundingClientRect();
  return [...plot.querySelectorAll(".ytick text, .gtitle")].map(t => [t.textContent, t.getBoundingClientRect()])
    .filter(([, r]) => r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1))
    .map(([text, r]) => [text, Math.round(r.left - box.left), Math.round(box.right - r.right)]); })"""


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_staff_charts_keep_their_labels_whole_on_a_phone(browser, agency_url, lang):  # noqa: F811
    context = browser.new_context(viewport=PHONE, base_url=agency_url)
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        page.goto(f"/staff?lang={lang}&range=last_7")
        settle(page, timeout_s=240)
        page.wait_for_selector(".js-plotly-plot .ytick text", timeout=60_000)
        for plot in page.locator(".js-plotly-plot").all():     # drawn as it scrolls into view
            plot.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        labels = page.locator(".js-plotly-plot .ytick text").all_text_contents()
        assert any("#" in t for t in labels), labels              # namesakes with their page: the long ones
        assert page.evaluate(CUT) == []                           # no label or title past a chart's edge
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        shot(page, f"phone_staff_24pages_{lang}")
    finally:
        context.close()

"""An agency of 24 pages (one simulator and one dashboard for the module): the standup screen
on a 1080p TV and on any TV or laptop (one screen per configuration, resized through the sizes),
and the Staff page on a phone, where long "name · page #17" labels stay whole."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from pancake.numbers.views import standup as sv

from .conftest import ROOT, _stop, close_page, open_page, running_app, settle, shot
from .test_kiosk_browser import TV, assert_dark_marks_readable, assert_fits, assert_fits_the_tv, on_each_tv

pytestmark = pytest.mark.browser

MANY = 24   # pages of the agency simulator

SIM_MANY = """
import sys
from pancake.api.simulator import DEMO_PAGES, PageSpec, Simulator
from pancake.api.simulator.server import make_server
base = list(DEMO_PAGES)
pages = [PageSpec(**{**base[i % len(base)].__dict__, "id": f"8{i:014d}", "name": f"{base[i % len(base)].name} #{i + 1}"})
         for i in range(int(sys.argv[1]))]
server = make_server(Simulator(pages=pages, rate_limit_per_second=0))
print(f"listening on http://127.0.0.1:{server.server_address[1]}/api", flush=True)
server.serve_forever(poll_interval=0.2)
"""


@pytest.fixture(scope="module")
def agency_url():
    """A simulator with ``MANY`` pages (tokens made from the user token) and an app on it."""
    sim = subprocess.Popen([sys.executable, "-c", SIM_MANY, str(MANY)], cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    try:
        line = sim.stdout.readline()
        found = re.search(r"(http://127\.0\.0\.1:\d+/api)", line)
        if not found:
            raise RuntimeError(f"the agency simulator did not start: {line!r}")
        with running_app(found.group(1), "streamlit-agency.log", demo_tokens=False) as url:
            yield url
    finally:
        _stop(sim)


def open_agency(browser, agency_url, viewport: dict, path: str):
    """A new page at ``viewport`` on the agency's dashboard, ``path`` drawn (``close_page`` it)."""
    page = open_page(browser, agency_url, viewport, timeout_ms=120_000)
    page.goto(path)
    settle(page, timeout_s=240)
    assert page.locator("[data-testid='stException']").count() == 0
    return page


# --- the standup screen on TVs ------------------------------------------------------------------

@pytest.mark.parametrize("query,name", [("lang=vi", "tv_24pages_vi_light"),
                                        ("lang=en&theme=dark&section=staff", "tv_24pages_en_dark_staff")])
def test_standup_of_an_agency_fits_a_1080p_tv(browser, agency_url, query, name):
    page = open_agency(browser, agency_url, TV, f"/?kiosk=1&{query}")
    try:
        assert f"{MANY} " in page.locator(".st-key-kiosk-head").inner_text()   # "24 trang" / "24 pages"
        assert_fits_the_tv(page, name)
        # the pages needing attention, not a flag per ad: one line per page at most, capped
        items = page.locator(".st-key-kiosk-flags p").all_inner_texts()   # the title is a heading
        assert 1 <= len(items) <= sv.MAX_PAGES_SHOWN + 1, items
    finally:
        close_page(page)


@pytest.mark.parametrize("query,name,sizes", [
    ("lang=en", "24pages_en_light", [(1920, 1080), (1280, 720)]),
    ("lang=vi&theme=dark", "24pages_vi_dark", [(3840, 2160), (1920, 950), (1366, 768)]),
])
def test_standup_of_an_agency_fits_any_tv(browser, agency_url, query, name, sizes):
    """Opened at the first of ``sizes``, then resized through the rest."""
    width, height = sizes[0]
    page = open_agency(browser, agency_url, {"width": width, "height": height}, f"/?kiosk=1&{query}")
    try:
        assert f"{MANY} " in page.locator(".st-key-kiosk-head").inner_text()

        def check(width: int, height: int) -> None:
            assert_fits(page, width, height, f"tv_{width}x{height}_{name}")
            # the longest wait (under the chart on several pages) is on screen, not below the fold
            waits = page.locator(".st-key-kiosk-waits")
            if waits.count():
                assert waits.bounding_box()["y"] + waits.bounding_box()["height"] <= height
            if "dark" in query:
                assert_dark_marks_readable(page)
        on_each_tv(page, sizes, check)
    finally:
        close_page(page)


# --- the Staff page on a phone ------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}

CUT = """() => [...document.querySelectorAll(".js-plotly-plot")].flatMap(plot => {
  const box = plot.getBoundingClientRect();
  return [...plot.querySelectorAll(".ytick text, .gtitle")].map(t => [t.textContent, t.getBoundingClientRect()])
    .filter(([, r]) => r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1))
    .map(([text, r]) => [text, Math.round(r.left - box.left), Math.round(box.right - r.right)]); })"""


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_staff_charts_keep_their_labels_whole_on_a_phone(browser, agency_url, lang):
    """A phone (390 px): the Staff page's charts keep every label whole inside the chart (a long
    "name · page #17" label was cut at the chart's left edge) and the page never scrolls sideways."""
    page = open_agency(browser, agency_url, PHONE, f"/staff?lang={lang}&range=last_7")
    try:
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
        close_page(page)

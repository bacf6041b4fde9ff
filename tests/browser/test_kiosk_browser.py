"""The standup screen (``?kiosk=1``) in a real browser: no sidebar, big KPIs equal to the truth,
the five lines, the flags, the last-updated marker, a refresh without a full page reload, and
the URL path naming the first section."""
from __future__ import annotations

import pytest

from pancake import metrics, timeutil
from pancake.views import format_metric

from . import truth
from .conftest import metrics_on, settle, shot

pytestmark = pytest.mark.browser


def open_screen(page, path: str) -> None:
    """The standup screen on a TV-sized window (room for the lines and flags), drawn."""
    page.set_viewport_size({"width": 1920, "height": 1600})
    page.goto(path)
    settle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    assert not page.locator("[data-testid='stSidebar']").is_visible()


def test_kiosk_screen_and_self_refresh(page):
    open_screen(page, "/?kiosk=1&lang=vi&refresh=0.05")
    assert not page.locator("[data-testid='stToolbar']").is_visible()
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    eng = truth.engagement(s, list(truth.DEMO_PAGE_IDS), start, end)
    shown = dict(metrics_on(page))
    for f in ("total", "inbox", "comment", "order_count"):
        assert shown[metrics.label(f, "vi", "engagement")] == format_metric(f, eng[f], "vi"), f
    # every value fits its card (never cut off with an ellipsis)
    assert page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMetricValue'] div")]
                            .every(el => el.scrollWidth <= el.clientWidth + 1)""")
    lines = page.locator(".st-key-kiosk-lines [data-testid='stMarkdownContainer']").all_inner_texts()
    assert sum("so với" in t and "tuần trước" in t for t in lines) == 5, lines
    assert page.locator(".st-key-kiosk-flags").get_by_text("Cần chú ý").count() == 1
    status = page.locator(".st-key-kiosk-status")
    first = status.get_by_text("Cập nhật lúc").inner_text()
    assert "Dữ liệu lấy lúc" in status.inner_text() and "3 giây" in status.inner_text()
    shot(page, "kiosk_vi_light")
    page.evaluate("window.__no_reload = 1")
    # the fragment re-runs by itself (3 s): the marker changes, the document stays the same
    page.wait_for_function(
        "(first) => [...document.querySelectorAll('.st-key-kiosk-status p')]"
        ".some(p => p.innerText.includes('Cập nhật lúc') && !p.innerText.includes(first.split('lúc ')[1]))",
        arg=first, timeout=20_000)
    assert page.evaluate("window.__no_reload") == 1


def test_kiosk_url_path_names_the_first_section(page):
    open_screen(page, "/staff?kiosk=1&lang=en")
    assert page.get_by_text("Page not found").count() == 0
    assert page.locator(".st-key-kiosk-head h1").inner_text().startswith("Staff · Standup screen")
    assert metrics.label("inbox_count", "en", "staff") in dict(metrics_on(page))
    assert "/staff" in page.url and "kiosk=1" in page.url


@pytest.mark.parametrize("query,name", [("lang=en&theme=dark", "kiosk_en_dark"),
                                        ("lang=vi&theme=dark&rotate=staff,ads&every=30", "kiosk_vi_dark_staff"),
                                        ("lang=vi&section=ads", "kiosk_vi_light_ads"),
                                        ("lang=en&section=activity", "kiosk_en_light_activity")])
def test_kiosk_variants_render(page, query, name):
    open_screen(page, f"/?kiosk=1&{query}")
    assert page.locator("[data-testid='stMetric']").count() >= 3
    assert page.locator(".st-key-kiosk-lines").count() == 1 and page.locator(".st-key-kiosk-flags").count() == 1
    shot(page, name)

"""The standup screen (``?kiosk=1``) in a real browser: no sidebar, big KPIs equal to the truth,
the five lines, the flags, the last-updated marker, a refresh without a full page reload, the
URL path naming the first section; and on a 1920×1080 TV, for 1 and 5 pages, in both themes
and languages, everything on one screen with no scrolling, no text under 24 px and no chart
text under 18 px; on any TV or laptop (one screen resized through the sizes), the layout scaled
to the viewport. An agency's 24 pages: test_agency_browser.py."""
from __future__ import annotations

import pytest

from pancake import timeutil
from pancake.numbers import metrics
from pancake.numbers.views import format_metric

from . import truth
from .conftest import ARTIFACTS, metrics_on, settle, shot

pytestmark = pytest.mark.browser

TV = {"width": 1920, "height": 1080}


def open_screen(page, path: str) -> None:
    """The standup screen on a 1920×1080 TV, drawn (charts included)."""
    page.set_viewport_size(TV)
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
    assert sum("(tuần trước " in t for t in lines) == 5, lines
    assert page.locator(".st-key-kiosk-flags").get_by_text("Trang cần chú ý").count() == 1
    status = page.locator(".st-key-kiosk-status")
    first = status.get_by_text("Cập nhật lúc").inner_text()
    assert "Làm mới thành công lúc" in status.inner_text() and "3 giây" in status.inner_text()
    shot(page, "kiosk_vi_light")
    page.evaluate("window.__no_reload = 1")
    # the fragment re-runs by itself (3 s): the marker changes, the document stays the same
    page.wait_for_function(
        "(first) => [...document.querySelectorAll('.st-key-kiosk-status p')]"
        ".some(p => p.innerText.includes('Cập nhật lúc') && !p.innerText.includes(first.split('lúc ')[1]))",
        arg=first, timeout=20_000)
    assert page.evaluate("window.__no_reload") == 1


def test_the_sidebar_button_opens_the_tv_screen_of_the_same_view_in_a_new_tab(page):
    """Also: a URL path names the TV screen's first section (/staff?kiosk=1 opens on the staff).
    One day, not a month: the Staff page reads every conversation's replies, and the range is
    what is carried, whatever its length."""
    page.goto("/staff?lang=en&range=yesterday")
    settle(page)
    # the visible one: Streamlit keeps a hidden copy of a button that has a tooltip
    button = page.locator("[data-testid='stSidebar'] a[href*='kiosk=1']").first
    assert "Standup screen (TV)" in button.inner_text()
    with page.context.expect_page() as opened:
        button.click()
    tv = opened.value
    tv.set_default_timeout(45_000)
    settle(tv)
    assert "/staff" in tv.url and "kiosk=1" in tv.url and "range=yesterday" in tv.url and "lang=en" in tv.url
    assert tv.get_by_text("Page not found").count() == 0
    assert tv.locator(".st-key-kiosk-head h1").inner_text().startswith("Staff · Standup screen")
    assert metrics.label("inbox_count", "en", "staff") in dict(metrics_on(tv))
    assert not tv.locator("[data-testid='stSidebar']").is_visible()
    assert "kiosk" not in page.url          # this tab stays on the report


# --- on a 1080p TV ------------------------------------------------------------------------------

MEASURE = """() => {
  const main = document.querySelector("[data-testid='stMain']");
  const visible = e => e.getClientRects().length > 0 && e.textContent.trim();
  const size = e => parseFloat(getComputedStyle(e).fontSize);
  // every element drawing text of its own (a text node child), icons and charts aside
  const ownText = e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  const texts = [...main.querySelectorAll("*")]
    .filter(e => ownText(e) && visible(e) && !e.closest(".js-plotly-plot, svg")
                 && !getComputedStyle(e).fontFamily.includes("Material"));
  const chart = [...main.querySelectorAll(".js-plotly-plot text")].filter(visible);
  const boxes = [...main.querySelectorAll("[data-testid='stMetric'], .st-key-kiosk-lines, .st-key-kiosk-flags, "
                                        + ".js-plotly-plot")];
  return {scroll: Math.max(document.documentElement.scrollHeight, document.body.scrollHeight, main.scrollHeight),
          bottom: Math.max(...boxes.map(b => b.getBoundingClientRect().bottom)),
          texts: texts.length, chartTexts: chart.length,
          small: texts.filter(e => size(e) < 24).map(e => [size(e), e.textContent.trim().slice(0, 50)]),
          smallChart: chart.filter(e => size(e) < 18).map(e => [size(e), e.textContent.trim().slice(0, 30)]),
          metrics: document.querySelectorAll("[data-testid='stMetric']").length,
          sparks: document.querySelectorAll("[data-testid='stMetricChart']").length};
}"""


# The screen laid out for its viewport: the parts' boxes (cards, lines, flags, charts and their
# ticks, sparklines) unchanged over four looks 150 ms apart (a chart is redrawn when its box
# changes size, a frame or two after the viewport does).
LAID_OUT = """() => {
  const now = [...document.querySelectorAll("[data-testid='stMetric'], .st-key-kiosk-lines, .st-key-kiosk-flags, "
                 + ".st-key-kiosk-waits, .st-key-kiosk-status, .js-plotly-plot .main-svg, [data-testid='stMetricChart'] svg, "
                 + ".js-plotly-plot .xtick text")]
    .map(e => { const r = e.getBoundingClientRect(); return [r.x, r.y, r.width, r.height].map(Math.round).join(","); })
    .join(";") + innerWidth + "x" + innerHeight;
  window.__laidOutSame = now === window.__laidOut ? (window.__laidOutSame || 0) + 1 : 0;
  window.__laidOut = now;
  return window.__laidOutSame >= 3;
}"""


def laid_out(page, *, chart: bool = True, timeout_ms: float = 60_000) -> None:
    """Wait for the charts' ticks (``chart``), then for the layout to stop moving (``LAID_OUT``)."""
    if chart:
        page.wait_for_selector(".js-plotly-plot .xtick text, .js-plotly-plot .ytick text", timeout=timeout_ms)
    page.evaluate("window.__laidOut = null")
    page.wait_for_function(LAID_OUT, timeout=timeout_ms, polling=150)


def resize(page, width: int, height: int) -> None:
    """The same screen on another TV: the viewport changed, the layout settled again."""
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function("([w, h]) => innerWidth === w && innerHeight === h", arg=[width, height])
    laid_out(page)


def assert_fits_the_tv(page, name: str, *, chart: bool = True) -> dict:
    """No scrolling at 1920×1080 (nothing below the fold), no text under 24 px, no chart text
    under 18 px; the screenshot is kept as ``name``."""
    laid_out(page, chart=chart, timeout_ms=30_000)
    m = page.evaluate(MEASURE)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    assert m["scroll"] <= TV["height"] and m["bottom"] <= TV["height"], m
    assert m["texts"] > 10 and not m["small"], m["small"]
    assert (m["chartTexts"] > 5 or not chart) and not m["smallChart"], m["smallChart"]
    assert page.locator(".st-key-kiosk-lines").is_visible() and page.locator(".st-key-kiosk-flags").is_visible()
    return m


ONE = truth.DEMO_PAGE_IDS[0]


# (the 1-page Vietnamese light and the 5-page English dark overviews: test_standup_fits_any_tv)
@pytest.mark.parametrize("query,name", [
    (f"lang=en&pages={ONE}&theme=dark&section=staff", "tv_1page_en_dark_staff"),
    (f"lang=vi&pages={ONE}&section=activity", "tv_1page_vi_light_activity"),
    ("lang=vi", "tv_5pages_vi_light"),
    ("lang=vi&theme=dark&rotate=ads,staff&every=30", "tv_5pages_vi_dark_ads"),
    ("lang=en&section=tags", "tv_5pages_en_light_tags"),
    ("lang=vi&section=customers&theme=dark", "tv_5pages_vi_dark_customers"),
])
def test_standup_fits_a_1080p_tv(page, query, name):
    open_screen(page, f"/?kiosk=1&{query}")
    check_the_1080p_tv(page, query, name)


def check_the_1080p_tv(page, query: str, name: str) -> None:
    m = assert_fits_the_tv(page, name)
    if "section" not in query and "rotate" not in query:
        assert m["metrics"] == 5 and m["sparks"] >= 4   # sparklines on either theme
    if "theme=dark" in query:   # deltas keep their colour: a red or green text, not the theme's grey
        colours = page.evaluate("""() => [...document.querySelectorAll("[data-testid='stMetricDelta'] p")]
                                   .map(p => getComputedStyle(p).color)""")
        assert colours and all(c not in ("rgb(229, 231, 235)",) for c in colours), colours


# --- any TV or laptop: the layout scaled to the viewport ----------------------------------------

VIEWPORTS = [(1920, 1080), (1920, 950), (1366, 768), (1280, 720), (3840, 2160)]

FITS = """() => {
  const main = document.querySelector("[data-testid='stMain']");
  const parts = [...document.querySelectorAll("[data-testid='stMetric'], .st-key-kiosk-lines, .st-key-kiosk-flags, "
                 + ".st-key-kiosk-waits, .st-key-kiosk-status, .js-plotly-plot .main-svg")]
    .filter(e => e.getClientRects().length > 0).map(e => e.getBoundingClientRect());
  return {doc: document.documentElement.scrollHeight, main: main.scrollHeight, mainW: main.scrollWidth,
          inner: innerHeight, innerW: innerWidth, parts: parts.length,
          bottom: Math.max(...parts.map(r => r.bottom)), right: Math.max(...parts.map(r => r.right)),
          // each card's sparkline as wide as its card as drawn (not twice as wide at 4K, cut off)
          sparks: [...document.querySelectorAll("[data-testid='stMetricChart'] svg")].map(svg => {
            const card = svg.closest("[data-testid='stMetric']");
            return Math.round(100 * svg.getBoundingClientRect().width / card.getBoundingClientRect().width) / 100; }),
          chart: (() => { const c = document.querySelector(".st-key-kiosk-chart .js-plotly-plot .main-svg");
                          const col = document.querySelector(".st-key-kiosk-chart");
                          return c && col ? c.getBoundingClientRect().width / col.getBoundingClientRect().width : null; })(),
          // a tick label hidden by a box that clips (overflow hidden) between it and its column
          clipped: [...document.querySelectorAll(".st-key-kiosk-chart .js-plotly-plot .xtick text")].filter(t => {
            const r = t.getBoundingClientRect();
            for (let e = t.parentElement; e && !e.classList.contains("st-key-kiosk-chart"); e = e.parentElement) {
              const cs = getComputedStyle(e);
              if (!(e instanceof SVGElement) && cs.overflow !== "visible" && r.right > e.getBoundingClientRect().right + 1)
                return true;
            }
            return false; }).map(t => t.textContent)};
}"""

# WCAG 2.x contrast of a computed 'rgb(r, g, b)' against the dark screen #0b1220, in the page
CONTRAST = """() => {
  const lum = c => { const v = c.match(/\\d+/g).slice(0, 3).map(x => x / 255)
                      .map(x => x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4);
                     return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const bg = lum("rgb(11, 18, 32)");
  return [...document.querySelectorAll(".st-key-kiosk-lines .stMarkdownColoredText, .st-key-kiosk-flags .stMarkdownColoredText, "
                                       + ".st-key-kiosk-status .stMarkdownColoredText")]
    .map(e => { const l = lum(getComputedStyle(e).color);
                return [e.textContent.trim().slice(0, 12), (Math.max(l, bg) + 0.05) / (Math.min(l, bg) + 0.05)]; });
}"""


def assert_fits(page, width: int, height: int, name: str) -> None:
    """No scrolling at ``width``×``height``, every part drawn inside the screen, the chart
    filling its column; screenshot kept as ``name``."""
    laid_out(page)
    m = page.evaluate(FITS)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    assert m["doc"] <= height and m["main"] <= height, m          # nothing to scroll to
    assert m["bottom"] <= height and m["right"] <= width, m      # nothing drawn past the edges
    assert m["parts"] >= 5 and m["chart"] is not None and m["chart"] > 0.9, m
    assert not m["clipped"], m                                    # the whole chart is drawn, none cut off
    assert all(0.8 <= r <= 1.0 for r in m["sparks"]), m          # sparklines fill their cards, no wider
    assert page.locator(".st-key-kiosk-lines").is_visible() and page.locator(".st-key-kiosk-flags").is_visible()


def assert_dark_marks_readable(page) -> None:
    ratios = page.evaluate(CONTRAST)
    assert ratios and all(r >= 4.5 for _, r in ratios), ratios


def on_each_tv(page, sizes, check) -> None:
    """``check(width, height)`` on the screen already open, resized to each of ``sizes`` in turn
    (the first is the size it was opened at); every size is tried, the failures named by size."""
    failed: dict[str, str] = {}
    for i, (width, height) in enumerate(sizes):
        if i:
            resize(page, width, height)
        try:
            check(width, height)
        except AssertionError as exc:
            failed[f"{width}x{height}"] = str(exc)[:2000]
    assert not failed, "\n".join(f"at {size}: {why}" for size, why in failed.items())


@pytest.mark.parametrize("query,name", [(f"lang=vi&pages={ONE}", "1page_vi_light"),
                                        ("lang=en&theme=dark", "5pages_en_dark")])
def test_standup_fits_any_tv(page, query, name):
    """Opened once at 1920×1080 (where the 1080p TV's checks run too), then resized through
    ``VIEWPORTS``: the layout follows the viewport (CSS only: nothing asks the server)."""
    open_screen(page, f"/?kiosk=1&{query}")

    def check(width: int, height: int) -> None:
        if (width, height) == (TV["width"], TV["height"]):
            check_the_1080p_tv(page, query, f"tv_{name}")
        assert_fits(page, width, height, f"tv_{width}x{height}_{name}")
        if "dark" in query:
            assert_dark_marks_readable(page)
    on_each_tv(page, VIEWPORTS, check)

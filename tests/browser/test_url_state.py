"""URL state in a real browser: every parameter survives language switches, sidebar clicks and
reloads (a select widget's stale label once reset range=last_90 to range=today); ignored input
named on screen stays text; the page picker has no built-in English "Select all". (That an
ignored page id is named, and which pages are shown then, is AppTest's: tests/ui/test_state.py.)"""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from pancake.api.simulator import DEMO_PAGES

from . import truth
from .conftest import settle, shot

pytestmark = pytest.mark.browser

ONE = truth.DEMO_PAGE_IDS[0]
NAV = {"vi": {"overview": "Tổng quan", "engagement": "Tương tác", "staff": "Nhân viên", "ads": "Quảng cáo"},
       "en": {"overview": "Overview", "engagement": "Engagement", "staff": "Staff", "ads": "Ads"}}
LANG_BUTTON = {"vi": "Tiếng Việt", "en": "English"}
SLOW = 180  # seconds: 90 days of hourly engagement, cold, over HTTP


def query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def switch_language(page, lang: str) -> None:
    page.locator("[data-testid='stSidebar'] button", has_text=LANG_BUTTON[lang]).click()
    page.wait_for_url(lambda url: f"lang={lang}" in url)
    settle(page, timeout_s=SLOW)


def click_nav(page, lang: str, target: str) -> None:
    page.locator("[data-testid='stSidebarNav'] a", has_text=NAV[lang][target]).first.click()
    path = "" if target == "overview" else target
    page.wait_for_url(lambda url: urlparse(url).path.rstrip("/").endswith(path) and "range=" in url)
    settle(page, timeout_s=SLOW)


def range_shown(page) -> str:
    return page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox'] input").first.input_value()


def test_every_parameter_survives_language_switches_sidebar_clicks_and_reloads(page):
    page.goto(f"/engagement?lang=vi&pages={ONE}&range=last_90&grain=hour&cmp=0&ad_status=ACTIVE&theme=dark")
    settle(page, timeout_s=SLOW)
    want = query(page)
    assert want["range"] == "last_90" and want["grain"] == "hour" and want["cmp"] == "0"
    # each way of leaving the screen once in each language (AppTest switches every page and
    # language without a browser: tests/ui/test_state.py)
    steps = [("lang", "en"), ("nav", "ads"), ("reload", None), ("lang", "vi"), ("nav", "staff"), ("reload", None)]
    lang = "vi"
    for action, arg in steps:
        if action == "lang":
            lang = arg
            switch_language(page, lang)
        elif action == "nav":
            click_nav(page, lang, arg)
        else:
            page.reload()
            settle(page, timeout_s=SLOW)
        assert query(page) == {**want, "lang": lang}, f"after {action} {arg}: {page.url}"
        assert ("90 ngày qua" if lang == "vi" else "Last 90 days") in range_shown(page)
        assert page.locator("[data-testid='stException']").count() == 0, page.url
    shot(page, "url_state_after_switches")


def test_injected_markdown_is_shown_as_text(page):
    page.goto("/?pages=[click](https://example.invalid),<b>bold</b>")
    settle(page)
    alert = page.locator("[data-testid='stAlert']", has_text="example.invalid")
    assert alert.locator("a").count() == 0 and alert.locator("b").count() == 0
    text = alert.inner_text().replace("\u2060", "")      # the word joiner that keeps "https://" from linking
    assert "[click](https://example.invalid)" in text and "<b>bold</b>" in text


def assert_the_page_picker_has_no_select_all(page, name: str) -> None:
    """The sidebar's page picker offers the pages only: no built-in English "Select all"."""
    page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect'] input").first.click()
    page.wait_for_selector("[role='option']")
    options = page.locator("[role='option']").all_inner_texts()
    assert options and set(options) <= {p.name for p in DEMO_PAGES}, options  # pages only, no "Select all"
    shot(page, name)
    page.keyboard.press("Escape")


def not_found_dialog(page) -> int:
    """Streamlit's own English "Page not found" dialog on screen (0 when absent)."""
    return page.locator("[role='dialog']", has_text="Page not found").count()


def test_overview_path_opens_the_overview_with_its_view(page):
    """Regression (issue 19): "/overview" showed Streamlit's English "Page not found"; it opens the
    overview (at the root), keeping the link's view, on a Vietnamese and an English screen.
    On the way, in either language: the page picker has no English "Select all"."""
    page.goto(f"/overview?lang=vi&pages={ONE}&range=last_7")
    page.wait_for_url(lambda url: urlparse(url).path.rstrip("/") == "" and "range=last_7" in url)
    settle(page)
    assert page.locator("h1").first.inner_text().strip() == "Tổng quan"
    assert query(page)["pages"] == ONE and query(page)["lang"] == "vi"
    assert not_found_dialog(page) == 0
    assert_the_page_picker_has_no_select_all(page, "page_picker_vi")
    page.goto(f"/Staff?lang=en&pages={ONE}")       # a page's name in other letters is that page
    page.wait_for_url(lambda url: urlparse(url).path.endswith("/staff"))
    settle(page)
    assert page.locator("h1").first.inner_text().strip() == "Staff" and not_found_dialog(page) == 0
    assert_the_page_picker_has_no_select_all(page, "page_picker_en")
    page.goto("/overview?kiosk=1&lang=en")   # the TV at that path: its overview, no dialog either
    settle(page)
    assert page.locator(".st-key-kiosk-head").is_visible() and not_found_dialog(page) == 0


@pytest.mark.parametrize("lang,title,words", [("vi", "Không có trang này", "không dẫn tới trang nào"),
                                              ("en", "No such page", "leads to no page")])
def test_an_unknown_path_says_so_in_the_screens_language_and_offers_every_page(page, lang, title, words):
    page.goto(f"/staf_f?lang={lang}")
    settle(page)
    assert not_found_dialog(page) == 0
    main = page.locator("[data-testid='stMain']")
    assert main.locator("h1").first.inner_text().strip() == title
    assert words in main.inner_text() and "/staf_f" in main.inner_text()
    links = main.locator("[data-testid='stPageLink'] a")
    assert links.count() == 10 and links.filter(has_text=NAV[lang]["staff"]).count() == 1   # every page (an admin)
    shot(page, f"not_found_{lang}")
    links.filter(has_text=NAV[lang]["staff"]).first.click()
    page.wait_for_url(lambda url: urlparse(url).path.endswith("/staff") and f"lang={lang}" in url)
    settle(page)
    assert page.locator("h1").first.inner_text().strip() == NAV[lang]["staff"]

"""Every page in a real browser against the simulator over HTTP: no exception box, KPI values
equal to the simulator's ground truth, no English on a Vietnamese screen, no request leaving the
dashboard's address (one walk checks all of these), URL state through sidebar navigation, a CSV
download."""
from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from pancake import timeutil
from pancake.numbers import metrics
from pancake.numbers.views import format_metric

from . import truth
from .conftest import metrics_on, settle, shot

pytestmark = pytest.mark.browser

PAGES = ["", "engagement", "staff", "ads", "tags", "customers", "activity", "settings"]
SOURCES = {"": ("engagement", "staff", "customers", "activity"), "engagement": ("engagement",),
           "staff": ("staff",), "customers": ("customers",), "activity": ("activity",),
           "ads": (), "tags": (), "settings": ()}
ONE = truth.DEMO_PAGE_IDS[0]


def expected_by_label(ids: list[str], start: date, end: date, lang: str) -> dict[str, dict[str, set[str]]]:
    """source -> {label: {formatted values}} for the count metrics a page may show."""
    s = truth.sim()
    out: dict[str, dict[str, set[str]]] = {}
    eng = truth.engagement(s, ids, start, end)
    out["engagement"] = {metrics.label(f, lang, "engagement"): {format_metric(f, v, lang)} for f, v in eng.items()}
    rows = truth.staff_totals(s, ids, start, end)
    staff = {f: sum(r.get(f) or 0 for r in rows) for f in
             ("inbox_count", "comment_count", "phone_number_count", "unique_inbox_count",
              "unique_comment_count", "private_reply_count")}
    out["staff"] = {metrics.label(f, lang, "staff"): {format_metric(f, v, lang)} for f, v in staff.items()}
    out["staff"][metrics.label("average_response_time", lang, "staff")] = {
        format_metric("average_response_time", truth.weighted_ms(rows), lang)}
    nc = truth.new_customers(s, ids, start, end)
    out["customers"] = {metrics.label(f, lang, "customers"): {format_metric(f, v, lang)}
                            for f, v in nc.items()}
    pa = truth.page_activity(s, ids, start, end)
    out["activity"] = {metrics.label(f, lang, "activity"): {format_metric(f, v, lang)}
                            for f, v in pa.items() if metrics.metric(f, "activity") is not None}
    return out


def check_metrics(page, path: str, expected: dict[str, dict[str, set[str]]]) -> int:
    allowed: dict[str, set[str]] = {}
    for src in SOURCES[path]:
        for label, values in expected[src].items():
            allowed.setdefault(label, set()).update(values)
    shown = metrics_on(page)
    checked = 0
    for label in {lbl for lbl, _ in shown if lbl in allowed}:
        values = {v for lbl, v in shown if lbl == label}
        assert values & allowed[label], f"/{path}: {label!r} shows {values}, truth says {allowed[label]}"
        checked += 1
    return checked


# Nothing is fetched from outside the server (issue 11): no font server, no favicon from Google,
# no tracking image from an echoed parameter (the kiosk's theme=).
KIOSKS = ["?kiosk=1&theme=dark", "?kiosk=1&theme=%21%5Bx%5D%28http%3A%2F%2Fevil.test%2Ftrack.png%29"]
# No English on the Vietnamese screens: UI words only (the shops' own names and ads, which may be
# in English, are data), Streamlit's own included
ENGLISH = ["Press Enter", "submit form", "Running", "Stop", "Download", "Total", "Loading", "Wrong",
           "password", "Settings", "Conversations", "Engagements?", "Overview", "Customers", "Share", "Average",
           "Search", "Choose", "Select", "Previous", "minutes?", "seconds?", "hours?", "days?", "API field",
           "Trường API", "Waiting", "Tags?", "Staff", "Pages?", "Orders?", "Spend", "Purchases?", "No data",
           "nan", "None", "NaN", "undefined", "True", "False"]
WORDS = re.compile(r"\b(?:" + "|".join(ENGLISH) + r")\b")
VISIBLE = """() => document.querySelector("[data-testid='stApp']").innerText"""
INSTRUCTIONS_HIDDEN = """() => [...document.querySelectorAll('style')]
                         .some(s => s.textContent.includes('[data-testid="InputInstructions"] { display: none'))"""


def english_on(page) -> list[str]:
    """What is wrong with a Vietnamese screen: English UI words, Streamlit's own English shown."""
    text = page.evaluate(VISIBLE)
    problems = []
    if not (len(text) > 200 and "Tiếng Việt" in text):       # the screen was read, in Vietnamese
        problems.append(f"not read in Vietnamese: {text[:200]!r}")
    found = sorted({m.group(0) for m in WORDS.finditer(text)})
    if found:
        problems.append(f"English {found}: {[line for line in text.splitlines() if WORDS.search(line)][:10]}")
    # Streamlit's own English hidden: the form hint and the toolbar's "Running… Stop"
    if page.locator("[data-testid='stStatusWidget']:visible").count():
        problems.append("the status widget is visible")
    if not page.evaluate(INSTRUCTIONS_HIDDEN):
        problems.append("the input instructions are not hidden")
    return problems


def test_every_page_in_vietnamese_with_true_numbers_and_no_outside_request(page, app_url):
    """One walk through every page (conversations too) and the standup screen, each checked for:
    no exception box; KPI cards equal to the truth; no English word; every request the browser
    makes stays on the dashboard's own address (the favicon too)."""
    own = urlparse(app_url).netloc
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if urlparse(r.url).scheme in ("http", "https", "ws", "wss") and urlparse(r.url).netloc != own
            else None)
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    expected = expected_by_label(list(truth.DEMO_PAGE_IDS), start, end, "vi")
    checked = 0
    english: dict[str, list[str]] = {}
    for path in [*PAGES, "conversations"]:
        page.goto(f"/{path}?lang=vi&pages=all&range=last_7")
        settle(page)
        shot(page, path or "overview")
        assert page.locator("[data-testid='stException']").count() == 0, f"/{path} shows an exception"
        if path in SOURCES:
            checked += check_metrics(page, path, expected)
        if problems := english_on(page):
            english[f"/{path}"] = problems
    assert checked > 0, "no KPI card matched a known metric label on any page"
    assert english == {}
    for path in KIOSKS:
        page.goto(path)
        settle(page)
    assert outside == []
    icon = page.locator("link[rel~='icon']").first.get_attribute("href") or ""
    assert not urlparse(icon).netloc or urlparse(icon).netloc == own


def test_sidebar_navigation_keeps_the_url_state(page):
    frm, to = "2026-01-17", "2026-01-18"     # two days: the dates are carried, whatever the length
    page.goto(f"/engagement?pages={ONE}&from={frm}&to={to}&lang=en")
    settle(page)
    for target, text in (("staff", "Staff"), ("customers", "New customers"), ("", "Overview")):
        page.locator("[data-testid='stSidebarNav'] a", has_text=text).first.click()
        page.wait_for_url(lambda url, target=target: urlparse(url).path.rstrip("/").endswith(target)
                          and "from=" in url)
        settle(page)
        q = {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}
        assert (q.get("pages"), q.get("from"), q.get("to"), q.get("lang")) == (ONE, frm, to, "en"), page.url
        assert page.locator("[data-testid='stException']").count() == 0


def test_csv_download_through_the_browser(page):
    s = truth.sim()
    page.goto(f"/engagement?lang=vi&pages={ONE}&range=last_7")
    settle(page)
    button = page.locator(".st-key-dl_eng_series button", has_text="Tải CSV")   # the daily figures
    assert button.count() == 1
    with page.expect_download() as info:
        button.first.click()
    download = info.value
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM (Excel)"
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"))))
    assert rows, "the CSV has a header and no rows"
    header = list(rows[0])
    assert len(header) >= 2 and all(h.strip() for h in header)
    # a value: engagement rows carry the simulator's daily numbers
    # headers in the UI's language; the daily rows (one page chosen) carry the simulator's numbers
    day_col, inbox_col = "Ngày", metrics.label("inbox", "vi", "engagement")
    assert {day_col, inbox_col} <= set(header), header
    for r in rows[:3]:
        d = date.fromisoformat(r[day_col][:10])
        assert int(float(r[inbox_col])) == s.truth.engagement_day(ONE, d)["inbox"], r

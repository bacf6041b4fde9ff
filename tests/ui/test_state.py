"""The view in the URL: parse_query/to_query round trips with every parameter, and ignored input
(an unknown page id, a bad date, an unknown value) named in a notice in the user's language,
its echoed values plain text, the view falling back to defaults."""
from __future__ import annotations

from datetime import date, timedelta
from datetime import time as dt_time

import pytest

from pancake import i18n, timeutil
from pancake.numbers.views import cards
from tests.conftest import app_test
from ui import state
from ui.state import Problem, View

TODAY = date(2026, 11, 26)
ONE, TWO = "104857392015873", "104857392015874"


def parse(**params: str) -> tuple[View, list[Problem]]:
    return state.parse_query(params, TODAY)


# --- round trips ------------------------------------------------------------------------------

EVERY_PARAM = {"pages": f"{ONE},{TWO}", "from": "2026-10-03", "to": "2026-10-20", "lang": "en",
               "cmp": "0", "grain": "hour", "kiosk": "1", "ad_status": "ACTIVE,PAUSED", "theme": "dark",
               "rotate": "overview,staff"}


def test_every_parameter_survives_a_round_trip():
    view, problems = state.parse_query(EVERY_PARAM, TODAY)
    assert problems == []
    assert view == View(pages=(ONE, TWO), preset="custom", start=date(2026, 10, 3), end=date(2026, 10, 20),
                        compare=False, grain="hour", lang="en", kiosk=True,
                        extra=(("ad_status", "ACTIVE,PAUSED"), ("rotate", "overview,staff"), ("theme", "dark")))
    assert state.to_query(view, TODAY) == EVERY_PARAM
    assert state.parse_query(state.to_query(view, TODAY), TODAY) == (view, [])


@pytest.mark.parametrize("preset", [p for p in timeutil.PRESETS if p != "custom"])
def test_every_preset_stays_rolling(preset):
    view, problems = parse(range=preset, lang="vi", pages="all")
    assert problems == [] and view.preset == preset
    q = state.to_query(view, TODAY)
    assert q["range"] == preset
    assert (q["from"], q["to"]) == tuple(d.isoformat() for d in timeutil.preset_range(preset, TODAY))
    # a link shared days ago: the range wins over its old dates
    assert parse(**{**q, "from": "2026-01-01", "to": "2026-01-07"})[0].resolved(TODAY) == \
        timeutil.preset_range(preset, TODAY)


@pytest.mark.parametrize("view", [
    View(),
    View(pages=(ONE,), preset="last_90", lang="en"),
    View(preset="custom", start=date(2026, 2, 3), end=date(2026, 3, 1), grain="hour", compare=False),
    View(preset="today", kiosk=True, extra=(("every", "30"), ("section", "staff"))),
])
def test_views_round_trip(view):
    start, end = view.resolved(TODAY)
    again, problems = state.parse_query(state.to_query(view, TODAY), TODAY)
    assert problems == []
    assert again == View(pages=view.pages, preset=view.preset, start=start, end=end, compare=view.compare,
                         grain=view.grain, lang=view.lang, kiosk=view.kiosk, extra=view.extra)


def test_no_parameter_is_the_default_view_ending_yesterday():
    view, problems = parse()
    assert problems == []
    assert view.preset == state.DEFAULT_PRESET == "last_7"
    assert view.resolved(TODAY) == (date(2026, 11, 19), date(2026, 11, 25))
    assert (view.pages, view.compare, view.grain, view.lang, view.kiosk) == ((), True, "day", "vi", False)


def test_dates_matching_a_preset_show_as_that_preset():
    assert parse(**{"from": "2026-11-19", "to": "2026-11-25"})[0].preset == "last_7"
    assert parse(**{"from": "2026-11-26", "to": "2026-11-26"})[0].preset == "today"
    assert parse(**{"from": "2026-11-20", "to": "2026-11-26"})[0].preset == "custom"  # 7 days with today


# --- ignored input ------------------------------------------------------------------------------

@pytest.mark.parametrize("param,value,field,default", [
    ("range", "last_8", "preset", "last_7"),
    ("range", "custom", "preset", "last_7"),      # custom needs dates
    ("grain", "minute", "grain", "day"),
    ("lang", "fr", "lang", "vi"),
    ("cmp", "maybe", "compare", True),
    ("kiosk", "perhaps", "kiosk", False),
])
def test_an_unknown_value_is_named_and_the_default_used(param, value, field, default):
    view, problems = parse(**{param: value})
    assert problems == [Problem(param, value)]
    assert getattr(view, field) == default


@pytest.mark.parametrize("params,named", [
    ({"from": "2026-13-01", "to": "2026-11-20"}, [Problem("from", "2026-13-01")]),
    ({"from": "2026-11-01", "to": "yesterday"}, [Problem("to", "yesterday")]),
    ({"from": "01/11/2026"}, [Problem("from", "01/11/2026")]),
])
def test_a_bad_date_drops_the_links_dates(params, named):
    view, problems = parse(**params)
    assert problems == named
    assert (view.preset, view.resolved(TODAY)) == ("last_7", timeutil.preset_range("last_7", TODAY))
    # with a range given, the range is used
    view, problems = parse(**params, range="last_30")
    assert problems == named and view.preset == "last_30"


def test_an_end_before_the_start_is_swapped_and_said():
    view, problems = parse(**{"from": "2026-11-20", "to": "2026-11-01"})
    assert problems == [Problem("order", "2026-11-20 > 2026-11-01")]
    assert view.resolved(TODAY) == (date(2026, 11, 1), date(2026, 11, 20))


def test_unknown_page_ids_are_dropped_and_named():
    view, _ = parse(pages=f"123456789,{ONE},999")
    kept, problems = state.check_pages(view, [ONE, TWO])
    assert kept.pages == (ONE,)
    assert problems == [Problem("pages", "123456789"), Problem("pages", "999")]
    alone, problems = state.check_pages(parse(pages="123456789")[0], [ONE, TWO])
    assert alone.pages == () and problems == [Problem("pages", "123456789")]  # () = all pages
    assert state.check_pages(parse(pages=ONE)[0], [ONE]) == (parse(pages=ONE)[0], [])


def test_notice_lines_name_every_ignored_value_in_both_languages():
    problems = [Problem("pages", "123456789"), Problem("from", "2026-13-01"), Problem("range", "last_8"),
                Problem("order", "2026-11-20 > 2026-11-01")]
    vi = state.notice_lines(problems, "vi", pages_left=False)
    en = state.notice_lines(problems, "en", pages_left=True)
    assert vi[0] == i18n.t("url.pages_all", "vi", ids="123456789") and "tất cả trang" in vi[0]
    assert en[0] == i18n.t("url.pages_rest", "en", ids="123456789")
    assert r"from\=2026\-13\-01" in vi[1] and "Ngày không hợp lệ" in vi[1]
    assert r"range\=last\_8" in en[2] and "Unknown value" in en[2]
    assert r"2026\-11\-20 \> 2026\-11\-01" in en[3]
    # several unknown pages: one line naming them all
    assert state.notice_lines([Problem("pages", "1"), Problem("pages", "2")], "en", pages_left=False) == [
        i18n.t("url.pages_all", "en", ids="1, 2")]


@pytest.mark.parametrize("raw,shown", [
    ("123", "123"),
    ("[x](http://evil.example)", "\\[x\\]\\(http\\:\u2060\\/\\/evil\\.example\\)"),
    ("<img src=x onerror=alert(1)>", r"\<img src\=x onerror\=alert\(1\)\>"),
    (":red[big] **bold** $x^2$", r"\:red\[big\] \*\*bold\*\* \$x\^2\$"),
    ("a`b", r"a\`b"),
    ("`", r"\`"),
    ("a\nb\r\x00c", "a b c"),
    ("www.evil.example a@b.vn", "www\u2060\\.evil\\.example a\u2060\\@b\\.vn"),
])
def test_echoed_values_are_shown_as_they_read(raw, shown):
    assert state.plain(raw) == shown


def test_long_echoes_are_cut():
    shown = state.plain("9" * 500)
    assert len(shown) == state.MAX_ECHO and shown.endswith("…")


# --- in the app ---------------------------------------------------------------------------------

def warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def test_an_unknown_page_id_is_named_and_all_pages_shown():
    at = app_test(params={"pages": "123456789"})
    assert not at.exception
    (notice,) = [w for w in warnings(at) if "123456789" in w]
    assert notice.startswith(i18n.t("url.heading", "vi")) and "tất cả trang" in notice
    assert at.query_params["pages"] == "all"
    assert at.toggle(key="w_all").value is True


def test_an_unknown_page_among_known_ones_shows_the_known_ones():
    at = app_test(params={"pages": f"{ONE},123456789", "lang": "en"})
    (notice,) = [w for w in warnings(at) if "123456789" in w]
    assert "showing only the link's other pages" in notice
    assert at.query_params["pages"] == ONE
    assert at.multiselect(key="w_pages").value == [ONE]


def test_the_notice_follows_the_language_and_goes_when_the_view_changes():
    at = app_test(params={"pages": "123456789", "grain": "minute"})
    at.button_group(key="w_lang").set_value("en").run()
    (notice,) = warnings(at)
    assert notice.startswith("Part of this link") and r"grain\=minute" in notice
    at.switch_page("app_pages/staff.py").run()
    assert any("123456789" in w for w in warnings(at))  # navigating keeps it
    at.toggle(key="w_cmp").set_value(False).run()     # a change of the view ends it
    assert not any("123456789" in w for w in warnings(at))


def test_a_clean_link_shows_no_notice():
    at = app_test(params={"pages": ONE, "range": "last_30", "lang": "en"})
    assert not [w for w in warnings(at) if w.startswith("Part of this link")]


def test_language_switch_and_navigation_keep_every_parameter():
    params = {"pages": ONE, "range": "last_90", "lang": "vi", "cmp": "0", "ad_status": "ACTIVE", "theme": "dark"}
    at = app_test("app_pages/engagement.py", params={**params, "grain": "hour"})
    want = {**dict(at.query_params)}
    assert want["range"] == "last_90" and want["grain"] == "hour" and want["ad_status"] == "ACTIVE"
    for lang, page in (("en", "app_pages/staff.py"), ("vi", "app_pages/engagement.py"), ("en", "app_pages/overview.py")):
        at.button_group(key="w_lang").set_value(lang).run()
        at.switch_page(page).run()
        assert not at.exception
        assert dict(at.query_params) == {**want, "lang": lang}
        assert at.selectbox(key=f"w_preset.{lang}").value == "last_90"


def test_a_range_changed_in_one_language_is_kept_in_the_other():
    at = app_test(params={"range": "last_90"})
    at.button_group(key="w_lang").set_value("en").run()
    at.selectbox(key="w_preset.en").set_value("last_30").run()
    at.button_group(key="w_lang").set_value("vi").run()
    assert at.selectbox(key="w_preset.vi").value == "last_30"
    assert at.query_params["range"] == "last_30"


def test_page_picker_has_no_english_select_all_and_a_translated_placeholder():
    for lang in ("vi", "en"):
        at = app_test(params={"pages": ONE, "lang": lang})
        picker = at.multiselect(key="w_pages")
        assert picker.proto.select_all == 0  # the built-in English "Select all" is off
        assert picker.placeholder == i18n.t("sb.pages_placeholder", lang)
        assert at.toggle(key="w_all").label == i18n.t("sb.all_pages", lang, n=5)


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_partial_today_is_compared_with_the_same_hours_and_says_so():
    from datetime import datetime as _dt
    from zoneinfo import ZoneInfo

    from ui import cache
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    before = _dt.now(zone).replace(second=0, microsecond=0)
    at = app_test("app_pages/engagement.py", params={"pages": ONE, "range": "today", "lang": "en"})
    after = _dt.now(zone)
    described = {m.proto.delta_description for m in at.metric if m.delta}
    assert len(described) == 1
    cut = next(iter(described)).rsplit(" ", 1)[1].strip(")")          # "… (to 14:35)"
    # issue 17 item 6: a single day against the same weekday a week before, named
    week_before = before.date() - timedelta(days=7)
    hh, mm = map(int, cut.split(":"))
    assert described == {cards.vs_text(week_before, week_before, "en", until=dt_time(hh, mm))}
    assert described == {f"vs {week_before:%A} {week_before.day} {week_before:%b} (to {cut})"}
    hh, mm = map(int, cut.split(":"))
    assert before.time() <= before.replace(hour=hh, minute=mm).time() <= after.time()
    assert any(i18n.t("common.partial_today_cmp", "en", time=cut) in c for c in captions(at))
    # the same weekday last week was asked until that minute, never as a whole day
    sim = cache.loader().client._http._transport.handler.__self__
    yesterday = week_before
    asked = [c.params["date_range"] for c in sim.calls if c.path.endswith("customer_engagements")
             and c.params.get("date_range", "").startswith(f"{yesterday:%d/%m/%Y}")]
    assert f"{yesterday:%d/%m/%Y} 00:00:00 - {yesterday:%d/%m/%Y} {cut}:00" in asked
    assert f"{yesterday:%d/%m/%Y} 00:00:00 - {yesterday:%d/%m/%Y} 23:59:59" not in asked
    at = app_test("app_pages/engagement.py", params={"pages": ONE, "lang": "en"})  # last 7 days, to yesterday
    assert not any("Today is not over" in c for c in captions(at))
    start, end = timeutil.preset_range("last_7", before.date())
    assert {m.proto.delta_description for m in at.metric if m.delta} == \
        {cards.vs_text(*timeutil.previous_period(start, end), "en")}


def test_a_range_longer_than_the_maximum_keeps_its_last_days_and_says_so(monkeypatch):
    today = date(2026, 11, 26)
    view, problems = state.parse_query({"from": "2016-01-01", "to": "2026-11-20"}, today)
    assert view.resolved(today) == (date(2026, 11, 20) - timedelta(days=730), date(2026, 11, 20))
    assert problems == [Problem("range!long", "2016-01-01..2026-11-20")]
    line = state.notice_lines(problems, "en", pages_left=False, today=today)[0]
    assert "731 days" in line and r"2016\-01\-01\.\.2026\-11\-20" in line
    monkeypatch.setenv("PANCAKE_MAX_RANGE_DAYS", "30")
    view, problems = state.parse_query({"from": "2026-10-01", "to": "2026-11-20"}, today)
    assert view.resolved(today) == (date(2026, 10, 22), date(2026, 11, 20)) and problems
    view, problems = state.parse_query({"from": "2026-10-22", "to": "2026-11-20"}, today)
    assert problems == []                                  # exactly the maximum: kept as asked
    monkeypatch.setenv("PANCAKE_MAX_RANGE_DAYS", "many")
    assert state.max_range_days() == state.MAX_RANGE_DAYS


def test_a_too_long_link_is_named_on_screen(monkeypatch):
    monkeypatch.setenv("PANCAKE_MAX_RANGE_DAYS", "10")
    at = app_test(params={"from": "2026-09-01", "to": "2026-11-20", "lang": "en", "pages": ONE})
    assert any("longer than 10 days" in w.value for w in at.warning)
    assert (at.query_params["from"], at.query_params["to"]) == ("2026-11-11", "2026-11-20")


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_sidebar_opens_the_standup_screen_of_the_same_view(lang):
    """The link to the TV screen carries the pages, range and language chosen, adds kiosk=1, and
    opening it shows the standup screen of those pages with this page as its first section."""
    from urllib.parse import parse_qsl
    # one day, not the default week: the Staff page also reads every conversation's replies, and
    # how many days is not what is tested here (only that the range chosen is carried)
    at = app_test("app_pages/staff.py", params={"lang": lang, "range": "yesterday", "pages": "all"}, timeout=120)
    assert not at.exception
    (link,) = [e for e in at.sidebar.children.values() if type(e).__name__ == "LinkButton"]
    assert link.proto.label == i18n.t("sb.standup", lang)
    assert link.proto.url.startswith("?")
    params = dict(parse_qsl(link.proto.url[1:]))
    assert params["kiosk"] == "1" and params["range"] == "yesterday" and params["lang"] == lang
    assert params["pages"] == "all"
    tv = app_test("app_pages/staff.py", params=params, timeout=120)
    assert not tv.exception
    assert [t.value for t in tv.title] == [f"{i18n.t('nav.staff', lang)} · {i18n.t('kiosk.title', lang)}"]
    assert not [e for e in tv.sidebar.children.values() if type(e).__name__ == "LinkButton"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_sidebar_offers_the_standup_as_a_picture_drawn_only_on_click(lang, monkeypatch, tmp_path):
    from pancake.delivery import picture
    drawn = []
    monkeypatch.setattr(picture, "render", lambda *a, **kw: drawn.append((a, kw)))
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PANCAKE_CHROMIUM", str(fake))
    at = app_test("app_pages/staff.py", params={"lang": lang, "range": "last_7", "pages": "all"})
    assert not at.exception
    buttons = [e for e in at.sidebar.children.values() if type(e).__name__ in ("DownloadButton", "UnknownElement")
               and getattr(e.proto, "label", "") == i18n.t("sb.picture", lang)]
    assert len(buttons) == 1 and not buttons[0].proto.disabled
    assert buttons[0].proto.label == {"vi": "Tải màn hình giao ban dạng ảnh", "en": "Download the standup as a picture"}[lang]
    assert drawn == []                      # nothing is drawn before the click


def test_without_chromium_the_picture_button_is_off_and_says_why(monkeypatch):
    monkeypatch.setenv("PANCAKE_CHROMIUM", "/nonexistent")
    at = app_test("app_pages/staff.py", params={"lang": "en", "range": "last_7", "pages": "all"})
    assert not at.exception
    (off,) = [b for b in at.sidebar.button if b.label == "Download the standup as a picture"]
    assert off.disabled
    assert off.help == "No picture on this server: no Chromium at PANCAKE_CHROMIUM='/nonexistent'"


# --- a path that names no page (issue 19: "/overview" showed Streamlit's English "Page not found") ---

@pytest.mark.parametrize("url,base,want", [
    ("http://127.0.0.1:8501/overview", "", "overview"),
    ("http://127.0.0.1:8501/staff/", None, "staff"),
    ("http://127.0.0.1:8501", "", None),
    ("http://127.0.0.1:8501/", "", None),
    (None, "", None),
    ("", "", None),
    ("https://host/dash", "dash", None),                # the root under a base path
    ("https://host/dash/", "/dash/", None),
    ("https://host/dash/overview", "/dash", "overview"),
    ("https://host/other/overview", "dash", None),     # not under the base: none of ours
    ("https://host/dashboard", "dash", None),           # a longer name is not the base
    ("https://host/a/b", "", "a/b"),
    ("https://host/t%E1%BB%95ng-quan", "", "tổng-quan"),
])
def test_asked_path(url, base, want):
    assert state.asked_path(url, base) == want


@pytest.mark.parametrize("asked,want", [
    ("overview", "overview"),   # the default page answers at the root only
    ("staf_f", "staf_f"),
    ("staff", None),            # a page of the navigation: Streamlit opens it
    ("", None), (None, None),
    ("a/b", None),              # a nested path cannot be a page's path
    ("tổng-quan", None),        # nor a path with letters a page's path cannot hold
    ("x" * 101, None),
])
def test_unknown_path(asked, want):
    assert state.unknown_path(asked, ["", "engagement", "staff", "settings"]) == want


@pytest.mark.parametrize("asked,want", [
    ("overview", ""), ("Overview", ""), ("home", ""), ("INDEX", ""), ("/overview/", ""),
    ("Staff", "staff"), ("STAFF", "staff"),
    ("staf_f", None), ("", None), ("settings", None),    # Settings is not in this viewer's navigation
])
def test_page_alias(asked, want):
    assert state.page_alias(asked, ["", "engagement", "staff"], "overview") == want

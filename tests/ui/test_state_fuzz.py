"""URL parameters and configuration values, fuzzed: no traceback and no blank app, and a notice
where input was ignored. Dates outside 2015-01-01 .. tomorrow are refused naming that range (no
OverflowError from year 1 or 9999), an end after today is cut at today and said, and a bad
configuration value is a ConfigError with a plain message (never a token in it)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pancake import i18n, timeutil
from pancake.config import ConfigError, Settings, load_settings
from tests.conftest import app_test
from ui import state

TODAY = date(2026, 11, 24)
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

dates_any = st.dates(date(1, 1, 1), date(9999, 12, 31))
date_text = st.one_of(
    dates_any.map(date.isoformat),
    dates_any.map(lambda d: d.strftime("%Y%m%d")),
    dates_any.map(lambda d: f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}-1"),
    st.sampled_from(["0001-01-01", "9999-12-31", "2014-12-31", "2015-01-01", str(TODAY + timedelta(days=1)),
                     str(TODAY + timedelta(days=2)), "2026-02-30", "", " ", "today", "2026-11-01T00:00"]),
    st.text(max_size=12),
)
values = {
    "pages": st.one_of(st.just("all"), st.lists(st.text(max_size=5), max_size=3).map(",".join)),
    "from": date_text, "to": date_text,
    "range": st.one_of(st.sampled_from(timeutil.PRESETS), st.text(max_size=8)),
    "lang": st.one_of(st.sampled_from(["vi", "en", "fr", ""]), st.text(max_size=4)),
    "cmp": st.one_of(st.sampled_from(["0", "1", "true", "no", "maybe"]), st.text(max_size=3)),
    "grain": st.one_of(st.sampled_from(["day", "hour", "minute"]), st.text(max_size=4)),
    "kiosk": st.one_of(st.sampled_from(["0", "1"]), st.text(max_size=3)),
    "zz": st.text(max_size=10),
}
params_strategy = st.fixed_dictionaries({}, optional=values)


@FUZZ
@given(params_strategy)
def test_any_url_gives_a_usable_view_and_names_what_it_ignored(params):
    view, problems = state.parse_query(params, TODAY)
    start, end = view.resolved(TODAY)
    assert timeutil.EARLIEST_DATE <= start <= end <= TODAY
    prev = timeutil.previous_period(start, end)          # no OverflowError
    assert prev[1] < start
    for lang in i18n.LANGS:
        lines = state.notice_lines(problems, lang, pages_left=False, today=TODAY)
        assert len(lines) >= len({p.param for p in problems if p.param != "pages"})
    again, more = state.parse_query(state.to_query(view, TODAY), TODAY)
    assert again == view and more == []


@pytest.mark.parametrize("param,value", [("from", "0001-01-01"), ("to", "9999-12-31"), ("from", "2014-12-31"),
                                         ("to", str(TODAY + timedelta(days=2)))])
def test_dates_out_of_range_are_refused_naming_the_range(param, value):
    other = {"from": "to", "to": "from"}[param]
    view, problems = state.parse_query({param: value, other: "2026-11-01"}, TODAY)
    assert problems == [state.Problem(f"{param}!range", value)]
    assert view.resolved(TODAY) == timeutil.preset_range(state.DEFAULT_PRESET, TODAY)
    en = state.notice_lines(problems, "en", pages_left=False, today=TODAY)
    vi = state.notice_lines(problems, "vi", pages_left=False, today=TODAY)
    for line in en + vi:
        # the echoed value is shown as text: its dashes escaped (fmt.literal)
        assert "2015-01-01" in line and str(TODAY + timedelta(days=1)) in line and value.replace("-", "\\-") in line


def test_a_start_of_tomorrow_alone_is_cut_at_today_and_said():
    """Found by the fuzz test: ``from`` = tomorrow with no ``to`` gave a range after today."""
    tomorrow = TODAY + timedelta(days=1)
    view, problems = state.parse_query({"from": str(tomorrow)}, TODAY)
    assert view.resolved(TODAY) == (date(2026, 11, 24), date(2026, 11, 24))
    assert problems == [state.Problem("to!future", "2026-11-25")]


def test_an_end_after_today_is_cut_at_today_and_said():
    tomorrow = TODAY + timedelta(days=1)
    view, problems = state.parse_query({"from": "2026-11-20", "to": str(tomorrow)}, TODAY)
    assert view.resolved(TODAY) == (date(2026, 11, 20), TODAY)
    assert problems == [state.Problem("to!future", str(tomorrow))]
    line, = state.notice_lines(problems, "en", pages_left=False, today=TODAY)
    assert str(tomorrow).replace("-", "\\-") in line and str(TODAY) in line


def test_basic_and_week_dates_are_not_iso_days_here():
    for text in ("20261101", "2026-W44-1"):
        view, problems = state.parse_query({"from": text, "to": "2026-11-20"}, TODAY)
        assert problems == [state.Problem("from", text)]


# --- configuration values ------------------------------------------------------------------

CANARY = "CANARY-PAGE-TOKEN-9f1e"
config_values = {
    "PANCAKE_ACCESS_TOKEN": st.one_of(st.text(max_size=20), st.just(CANARY)),
    "PANCAKE_PAGE_TOKENS": st.one_of(
        st.text(max_size=30),
        st.lists(st.tuples(st.sampled_from(["1", "2", "x y", ""]), st.sampled_from([CANARY, "t2", "", "a b"])),
                 max_size=3).map(lambda items: ",".join(f"{p}:{t}" for p, t in items)),
        st.sampled_from(["abc", "1:" + CANARY + ",1:" + CANARY + "x", ":", ",,,", "1:a:b"])),
    "PANCAKE_BASE_URL": st.one_of(st.text(max_size=20), st.sampled_from(
        ["not-a-url", "http://[::1", "ftp://x", "http://", "https://pages.fm/api", "http://h:99999/api",
         "http://u:pw@h/api", "//pages.fm/api", "http://127.0.0.1:8/api"])),
    "PANCAKE_TIMEZONE": st.one_of(st.text(max_size=20), st.sampled_from(
        ["Mars/Phobos", "Asia", "../etc/passwd", "UTC", "Asia/Ho_Chi_Minh", "a" * 300, "\x00"])),
    "PANCAKE_DEMO": st.text(max_size=5),
}


@FUZZ
@given(st.fixed_dictionaries({}, optional=config_values))
def test_any_configuration_is_settings_or_a_plain_config_error(env):
    try:
        s = load_settings(env, {})
    except ConfigError as exc:
        text = str(exc)
        assert CANARY not in text and "\n" not in text and len(text) < 300
        return
    assert isinstance(s, Settings)
    assert s.tz.key == s.timezone                  # a zone that loads
    assert s.base_url.startswith(("http://", "https://"))


@pytest.mark.parametrize("env,needle", [
    ({"PANCAKE_TIMEZONE": "Mars/Phobos"}, "PANCAKE_TIMEZONE"),
    ({"PANCAKE_PAGE_TOKENS": "abc"}, "PANCAKE_PAGE_TOKENS"),
    ({"PANCAKE_PAGE_TOKENS": f"1:{CANARY},2:t,1:other"}, "twice"),
    ({"PANCAKE_BASE_URL": "http://[::1"}, "PANCAKE_BASE_URL"),
    ({"PANCAKE_BASE_URL": "not-a-url"}, "PANCAKE_BASE_URL"),
])
def test_bad_configuration_values_are_named(env, needle):
    with pytest.raises(ConfigError) as info:
        load_settings(env, {})
    assert needle in str(info.value) and CANARY not in str(info.value)


# --- on screen ------------------------------------------------------------------------------

@pytest.mark.parametrize("params", [{"from": "0001-01-01", "to": "0001-01-31", "lang": "en"},
                                    {"from": "2026-11-01", "to": "9999-12-31", "lang": "en"}])
def test_extreme_dates_in_the_url_show_a_notice_not_an_error(params):
    at = app_test(params=params)
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "2015-01-01" in warnings and "outside the dates that can be shown" in warnings
    assert len(at.metric) > 0                      # the page is drawn on the default range

"""Periods that do not mislead: rolling presets are whole days ending yesterday; "today" and
"this month" include today, which is partial (METRICS.md "Periods")."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from pancake import timeutil

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize("name,days", [("last_7", 7), ("last_30", 30), ("last_90", 90)])
def test_rolling_presets_are_n_whole_days_ending_yesterday(name, days):
    start, end = timeutil.preset_range(name, TODAY)
    assert end == TODAY - timedelta(days=1)
    assert (end - start).days + 1 == days
    assert not timeutil.includes_today(start, end, TODAY)
    # the previous period is as many whole days, right before
    prev_start, prev_end = timeutil.previous_period(start, end)
    assert prev_end == start - timedelta(days=1) and (prev_end - prev_start).days + 1 == days


def test_last_7_names_the_days():
    assert timeutil.preset_range("last_7", TODAY) == (date(2026, 11, 19), date(2026, 11, 25))
    # across a month and a year boundary
    assert timeutil.preset_range("last_7", date(2026, 1, 3)) == (date(2025, 12, 27), date(2026, 1, 2))


def test_today_and_this_month_include_today():
    assert timeutil.preset_range("today", TODAY) == (TODAY, TODAY)
    assert timeutil.preset_range("this_month", TODAY) == (date(2026, 11, 1), TODAY)
    assert timeutil.preset_range("this_month", date(2026, 11, 1)) == (date(2026, 11, 1), date(2026, 11, 1))
    for name in ("today", "this_month"):
        assert timeutil.includes_today(*timeutil.preset_range(name, TODAY), TODAY)


def test_yesterday_and_last_month_are_whole_past_days():
    assert timeutil.preset_range("yesterday", TODAY) == (date(2026, 11, 25), date(2026, 11, 25))
    assert timeutil.preset_range("last_month", date(2024, 3, 15)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert timeutil.preset_range("last_month", date(2026, 1, 10)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_every_named_preset_resolves_and_custom_does_not():
    for name in timeutil.PRESETS[:-1]:
        start, end = timeutil.preset_range(name, TODAY)
        assert start <= end <= TODAY
    with pytest.raises(ValueError):
        timeutil.preset_range("custom", TODAY)
    with pytest.raises(ValueError):
        timeutil.preset_range("last_8", TODAY)


def test_a_range_can_end_at_a_time_of_day():
    from datetime import date, time

    from pancake.timeutil import day_bounds_unix, format_date_range, parse_date_range
    text = format_date_range(date(2026, 12, 30), date(2027, 1, 2), until=time(14, 35))
    assert text == "30/12/2026 00:00:00 - 02/01/2027 14:35:00"
    assert parse_date_range(text)[1].time() == time(14, 35)
    with pytest.raises(ValueError):
        format_date_range(date(2026, 1, 1), date(2026, 1, 2), with_time=False, until=time(1, 0))
    since, until = day_bounds_unix(date(2027, 1, 2), date(2027, 1, 2), "Asia/Ho_Chi_Minh", until=time(14, 35))
    assert until - since == 14 * 3600 + 35 * 60
    assert day_bounds_unix(date(2027, 1, 2), date(2027, 1, 2), "Asia/Ho_Chi_Minh")[1] - since == 86399


def test_a_single_day_is_compared_with_the_same_weekday_a_week_before():
    """Issue 17 item 6: "yesterday" on a Monday (Sunday 6/12/2026) against Sunday 29/11, never
    Saturday 5/12; a longer range keeps the previous period of the same length."""
    from datetime import date
    assert timeutil.previous_period(date(2026, 12, 6), date(2026, 12, 6)) == (date(2026, 11, 29), date(2026, 11, 29))
    assert timeutil.previous_period(date(2026, 12, 7), date(2026, 12, 7)) == (date(2026, 11, 30), date(2026, 11, 30))
    assert timeutil.previous_period(date(2026, 12, 5), date(2026, 12, 6)) == (date(2026, 12, 3), date(2026, 12, 4))
    assert timeutil.previous_period(date(2026, 12, 1), date(2026, 12, 7)) == (date(2026, 11, 24), date(2026, 11, 30))

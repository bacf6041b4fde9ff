"""Engagement page in demo mode: KPI values against the simulator's ground truth."""
from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from pancake import fmt, timeutil
from pancake.api.simulator import DEMO_PAGES, Simulator
from pancake.numbers.views import cards
from tests.conftest import app_test

PAGE = "app_pages/engagement.py"
TZ = "Asia/Ho_Chi_Minh"
ALL = [p.id for p in DEMO_PAGES]
ONE = DEMO_PAGES[0].id


def _period():
    today = timeutil.local_today(TZ)
    start, end = timeutil.preset_range("last_7", today)
    return (start, end), timeutil.previous_period(start, end)


def _days(start, end):
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _truth(page_ids, start, end, field):
    sim = Simulator(seed=0, timezone=TZ)
    return sum(sim.truth.engagement_day(p, d)[field] for p in page_ids for d in _days(start, end))


def _metrics(at):
    return {m.label: m for m in at.metric}


def test_all_pages_vietnamese_kpis_match_ground_truth():
    at = app_test(PAGE, params={"pages": "all"})
    assert not at.exception
    (start, end), (ps, pe) = _period()
    shown = _metrics(at)
    for field, label in [("total", "Tổng tương tác"), ("inbox", "Tương tác tin nhắn"),
                         ("comment", "Tương tác bình luận"), ("new_customer_replied", "Khách mới được trả lời"),
                         ("order_count", "Đơn hàng"), ("old_order_count", "Đơn của khách cũ")]:
        cur, prev = _truth(ALL, start, end, field), _truth(ALL, ps, pe, field)
        assert shown[label].value == fmt.number(cur, "vi"), field
        assert shown[label].delta == cards.change_text(field, cur, prev, "vi", source="engagement"), field
    assert shown["Tổng tương tác"].help.startswith("Tổng tương tác = tin nhắn + bình luận")   # words, no endpoint
    # per-page comparison: one row per demo page, biggest total first
    tables = [df.value for df in at.dataframe]
    per_page = next(t for t in tables if "page_name" in t.columns and "inbox" in t.columns)
    assert len(per_page) == len(ALL) and "Tổng" not in set(per_page["page_name"])   # the totals row:
    assert any(list(df.value["page_name"]) == ["Tổng"] for df in at.dataframe if "page_name" in df.value.columns)
    best = max(ALL, key=lambda p: _truth([p], start, end, "total"))
    assert per_page.iloc[0]["page_id"] == best
    assert per_page.iloc[0]["total"] == _truth([best], start, end, "total")  # a number, sorted as one
    assert at.query_params["pages"] == "all" and at.query_params["lang"] == "vi"
    assert len(at.get("download_button")) >= 3


def test_one_page_english_and_url_round_trip():
    at = app_test(PAGE, params={"pages": ONE, "lang": "en"})
    assert not at.exception
    (start, end), _ = _period()
    shown = _metrics(at)
    assert shown["Total engagements (inbox + comment)"].value == fmt.number(_truth([ONE], start, end, "total"), "en")
    assert shown["Orders"].value == fmt.number(_truth([ONE], start, end, "order_count"), "en")
    assert at.query_params["pages"] == ONE and at.query_params["lang"] == "en"
    # one page: no per-page comparison table
    assert not any("page_id" in df.value.columns and "inbox" in df.value.columns for df in at.dataframe)
    assert any("Staff share" in s.value for s in at.subheader)


def test_hour_grain_uses_hourly_figures():
    at = app_test(PAGE, params={"pages": ONE, "lang": "en", "grain": "hour"})
    assert not at.exception
    (start, end), _ = _period()
    sim = Simulator(seed=0, timezone=TZ)
    hours = [datetime(d.year, d.month, d.day, h) for d in _days(start, end) for h in range(24)]
    new = sum(sim.truth.engagement_hour(ONE, h)["new_customer"] for h in hours)
    shown = _metrics(at)
    assert shown["New customers"].value == fmt.number(new, "en")
    assert "Orders" not in shown
    assert at.query_params["grain"] == "hour"


def test_future_range_is_refused_and_named():
    """Days after tomorrow are refused (issue 10): the link's dates are named in a notice and the
    default range is shown instead, never rows of 0 for days that have not come."""
    today = timeutil.local_today(TZ)
    a, b = today + timedelta(days=30), today + timedelta(days=32)
    at = app_test(PAGE, params={"from": a.isoformat(), "to": b.isoformat(), "lang": "en"})
    assert not at.exception
    notice = " ".join(w.value for w in at.warning)
    assert str(timeutil.EARLIEST_DATE) in notice            # the valid range is named
    assert at.metric                                         # the default range, with its numbers


def _hourly_table(at):
    return next(df.value for df in at.dataframe if "hour" in df.value.columns)


def test_hourly_figures_follow_the_zone_clock_changes(monkeypatch):
    """In Europe/Berlin the spring day has 23 local hours (no phantom 02:00) and the autumn day
    25 (02:00 twice); every engagement the API sent is in the hourly table."""
    monkeypatch.setenv("PANCAKE_TIMEZONE", "Europe/Berlin")
    for day, hours in (("2026-03-29", 23), ("2025-10-26", 25)):
        at = app_test(PAGE, params={"pages": ONE, "lang": "en", "grain": "hour", "from": day, "to": day})
        assert not at.exception
        table = _hourly_table(at)
        assert len(table) == hours, day
        assert list(table["hour"]).count(pd.Timestamp(f"{day} 02:00")) == hours - 23, day
        shown = _metrics(at)["Total engagements (inbox + comment)"].value
        assert shown == fmt.number(int(table["total"].sum()), "en"), day

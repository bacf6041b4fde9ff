"""Engagement and overview views on hand-built frames (ARCHITECTURE.md schemas)."""
from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from pancake.views import engagement as ev
from pancake.views import overview as ov

D = pd.Timestamp


def daily_frame(rows):
    cols = ["page_id", "date", *ev.DAILY_FIELDS]
    df = pd.DataFrame(rows, columns=cols)
    df["date"] = pd.to_datetime(df["date"])
    for c in ev.DAILY_FIELDS:
        df[c] = df[c].astype("Int64")
    return df


DAILY = daily_frame([
    # page, date, total, inbox, comment, ncr, cenib, orders, old orders
    ("p1", "2026-03-01", 10, 7, 3, 2, 1, 4, 1),
    ("p1", "2026-03-03", 20, 15, 5, 4, 3, 6, 2),
    ("p2", "2026-03-01", 5, 5, 0, 1, 1, 1, 0),
])
PREV = daily_frame([("p1", "2026-02-26", 8, 6, 2, 1, 1, 2, 0)])


def test_series_sums_pages_and_fills_missing_days():
    s = ev.series(DAILY, ["total", "inbox"], date(2026, 3, 1), date(2026, 3, 4))
    assert list(s["date"]) == [D("2026-03-01"), D("2026-03-02"), D("2026-03-03"), D("2026-03-04")]
    assert list(s["total"]) == [15, 0, 20, 0]
    assert list(s["inbox"]) == [12, 0, 15, 0]


def test_series_by_hour_covers_every_hour():
    hourly = pd.DataFrame({"page_id": ["p1", "p2", "p1"],
                           "hour": pd.to_datetime(["2026-03-01 09:00", "2026-03-01 09:00", "2026-03-02 23:00"]),
                           "total": pd.array([3, 4, 5], dtype="Int64")})
    s = ev.series(hourly, ["total"], date(2026, 3, 1), date(2026, 3, 2), grain="hour")
    assert len(s) == 48
    assert s.loc[s["hour"] == D("2026-03-01 09:00"), "total"].item() == 7
    assert s["total"].iloc[-1] == 5 and int(s["total"].sum()) == 12


def test_kpis_totals_previous_and_spark():
    ks = {k.field: k for k in ev.kpis(DAILY, PREV, date(2026, 3, 1), date(2026, 3, 3))}
    assert ks["total"].value == 35 and ks["total"].previous == 8
    assert list(ks["total"].spark) == [15.0, 0.0, 20.0]
    assert ks["order_count"].value == 11 and ks["old_order_count"].value == 3
    assert all(k.source == "engagement" for k in ks.values())
    no_cmp = ev.kpis(DAILY, None, date(2026, 3, 1), date(2026, 3, 3), compare=False)
    assert all(k.previous is None for k in no_cmp)


def test_orders_are_left_out_when_the_api_does_not_send_them():
    d = DAILY.copy()
    d["order_count"] = pd.array([pd.NA] * 3, dtype="Int64")
    d["old_order_count"] = pd.array([pd.NA] * 3, dtype="Int64")
    assert not ev.has_orders(d)
    fields = [k.field for k in ev.kpis(d, None, date(2026, 3, 1), date(2026, 3, 3))]
    assert "order_count" not in fields and "total" in fields
    assert "order_count" not in ev.per_page_table(d, {}).columns


def test_per_page_table_names_and_order():
    t = ev.per_page_table(DAILY, {"p1": "Shop One", "p2": "Shop Two"})
    assert list(t["page_name"]) == ["Shop One", "Shop Two"]
    assert list(t["total"]) == [30, 5] and list(t["order_count"]) == [10, 1]


def test_staff_share_is_a_ratio_of_sums_across_pages():
    staff = pd.DataFrame({"page_id": ["p1", "p2", "p1"], "user_id": ["u1", "u1", "u2"],
                          "user_name": ["An", "An", "Bình"],
                          "inbox_count": pd.array([5, 5, 10], dtype="Int64"),
                          "order_count": pd.array([1, 1, 2], dtype="Int64"),
                          "old_order_count": pd.array([0, 1, 0], dtype="Int64"),
                          "total_engagement": pd.array([10, 20, 10], dtype="Int64")})
    s = ev.staff_share(staff)
    assert list(s["user_name"]) == ["An", "Bình"]
    assert list(s["total_engagement"]) == [30, 10]
    assert s["share"].tolist() == pytest.approx([0.75, 0.25])
    fig = ev.staff_figure(s, "en")
    assert list(fig.data[0].y) == ["Bình", "An"] and list(fig.data[0].x) == [10.0, 30.0]
    assert list(fig.data[0].text) == ["25.0%", "75.0%"]
    assert ev.staff_share(None).empty


def test_trend_figure_traces_are_inbox_and_comment():
    s = ev.series(DAILY, ev.DAILY_FIELDS, date(2026, 3, 1), date(2026, 3, 3))
    fig = ev.trend_figure(s, "vi")
    assert [t.name for t in fig.data] == ["Tương tác tin nhắn", "Tương tác bình luận"]
    assert list(fig.data[0].y) == [12.0, 0.0, 15.0] and list(fig.data[1].y) == [3.0, 0.0, 5.0]
    assert fig.layout.barmode == "stack"
    fig2 = ev.customers_orders_figure(s, "en")
    assert [t.name for t in fig2.data] == ["New customers replied", "New-customer inbox conversations",
                                           "Orders", "Orders from returning customers"]


def test_heatmap_by_weekday_and_hour():
    hourly = pd.DataFrame({"page_id": ["p1", "p2"],
                           "hour": pd.to_datetime(["2026-03-02 09:00", "2026-03-09 09:00"]),  # Mondays
                           "total": pd.array([3, 4], dtype="Int64")})
    grid = ev.heatmap_grid(hourly)
    assert grid.loc[0, 9] == 7 and grid.to_numpy().sum() == 7
    fig = ev.heatmap_figure(grid, "vi", title="t", value_label="v")
    assert fig.data[0].y[0] == "Thứ 2" and fig.data[0].x[9] == "09:00"
    assert fig.data[0].z[0][9] == 7


def test_display_frame_formats_per_language_and_spec_has_help():
    t = ev.per_page_table(daily_frame([("p1", "2026-03-01", 12345, 1, 2, 3, 4, 5, 6)]), {"p1": "A"})
    assert ev.display_frame(t, "vi")["total"].tolist() == ["12.345"]
    assert ev.display_frame(t, "en")["total"].tolist() == ["12,345"]
    d = ev.display_frame(pd.DataFrame({"date": [D("2026-03-01")], "hour": [D("2026-03-01 14:00")]}), "vi")
    assert d.iloc[0].tolist() == ["01/03/2026", "01/03/2026 14:00"]
    spec = ev.columns_spec(["page_name", "total", "inbox_count"], "en", source="users_engagements")
    assert spec["page_name"] == ("Page", "")
    assert spec["total"][0] == "Total engagements (inbox + comment)" and "API field: total" in spec["total"][1]
    assert "users_engagements" in spec["inbox_count"][1]


# --- overview --------------------------------------------------------------------------------

def test_split_cuts_periods_by_day_and_hour():
    assert list(ov.split(DAILY, date(2026, 3, 2), date(2026, 3, 3))["total"]) == [20]
    hourly = pd.DataFrame({"page_id": ["p"] * 3, "hour": pd.to_datetime(
        ["2026-02-28 23:00", "2026-03-01 00:00", "2026-03-01 23:00"]), "x": [1, 2, 3]})
    assert list(ov.split(hourly, date(2026, 3, 1), date(2026, 3, 1), "hour")["x"]) == [2, 3]


def test_response_time_is_weighted_not_a_mean_of_means():
    totals = pd.DataFrame({"page_id": ["p1", "p2", "p2"], "user_id": ["a", "b", "c"],
                           "unique_inbox_count": pd.array([9, 1, 0], dtype="Int64"),
                           "unique_comment_count": pd.array([1, 0, 0], dtype="Int64"),
                           "average_response_time": [60_000.0, 600_000.0, 999_999.0]})
    # (60000*10 + 600000*1) / 11; the zero-weight row adds nothing
    assert ov.response_time(totals) == pytest.approx(1_200_000 / 11)
    assert math.isnan(ov.response_time(None))
    t = ov.per_page_table(["p1", "p2"], {}, users_totals=totals)
    assert t.set_index("page_id")["average_response_time"].to_dict() == pytest.approx(
        {"p1": 60_000.0, "p2": 600_000.0})


def test_ads_kpis_keep_currencies_apart():
    ads = pd.DataFrame({"page_id": ["p1", "p1", "p2"], "ad_id": ["a", "b", "c"],
                        "currency": ["VND", "USD", "VND"], "spend": [100_000.0, 12.5, 50_000.0],
                        "purchases": [2.0, 1.0, 3.0]})
    prev = ads.assign(spend=[50_000.0, 10.0, 0.0])
    ks = ov.ads_kpis(ads, prev, "en")
    spend = {k.currency: k for k in ks if k.field == "spend"}
    assert spend["VND"].value == 150_000.0 and spend["VND"].previous == 50_000.0
    assert spend["USD"].value == 12.5 and spend["USD"].label == "Spend (USD)"
    assert [k.value for k in ks if k.field == "purchases"] == [6]
    t = ov.per_page_table(["p1", "p2"], {"p1": "A", "p2": "B"}, ads=ads)
    assert t.set_index("page_id")["spend_VND"].to_dict() == {"p1": 100_000.0, "p2": 50_000.0}
    assert t.set_index("page_id")["spend_USD"].to_dict() == {"p1": 12.5, "p2": 0.0}
    shown = ov.display_per_page(t, "vi").set_index("page_id")
    assert shown.loc["p1", "spend_VND"] == "100.000 ₫"
    assert ov.per_page_spec(t.columns, "en")["spend_USD"][0] == "Spend (USD)"


def test_overview_kpis_and_per_page_row():
    act = pd.DataFrame({"page_id": ["p1", "p1"], "hour": pd.to_datetime(["2026-03-01 09:00", "2026-03-03 10:00"]),
                        "customer_inbox_count": pd.array([10, 30], dtype="Int64"),
                        "page_inbox_count": pd.array([5, 30], dtype="Int64")})
    sec = ov.kpis(start=date(2026, 3, 1), end=date(2026, 3, 3), lang="en", engagement=DAILY,
                  engagement_prev=PREV, activity=act)
    assert list(sec) == list(ov.SECTIONS)
    ratio = [k for k in sec["activity"] if k.field == "reply_ratio"][0]
    assert ratio.value == pytest.approx(35 / 40)  # from sums, not (0.5 + 1.0) / 2
    assert ratio.spark[0] == pytest.approx(0.5) and math.isnan(ratio.spark[1])
    assert sec["engagement"][0].value == 35
    t = ov.per_page_table(["p1", "p2", "p3"], {}, engagement=DAILY, activity=act)
    assert list(t["page_id"]) == ["p1", "p2", "p3"] and list(t["total"]) == [30, 5, 0]
    assert t.loc[0, "reply_ratio"] == pytest.approx(35 / 40) and math.isnan(t.loc[1, "reply_ratio"])


def test_titled_figures_keep_the_legend_below_the_title():
    s = ev.series(DAILY, ev.DAILY_FIELDS, date(2026, 3, 1), date(2026, 3, 3))
    for fig in (ev.trend_figure(s, "vi"), ev.customers_orders_figure(s, "vi"),
                ev.per_page_figure(ev.per_page_table(DAILY, {}), "vi")):
        assert fig.layout.legend.y < 0 and fig.layout.legend.yanchor == "top"

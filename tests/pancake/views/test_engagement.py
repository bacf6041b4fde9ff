"""Engagement and overview views on hand-built frames (the frames of pancake.data.reshape)."""
from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from pancake.numbers import metrics
from pancake.numbers.views import cards, tables
from pancake.numbers.views import engagement as ev
from pancake.numbers.views import overview as ov

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
# The payload of an account without orders: reshaping gives the columns, every value <NA>.
NO_ORDERS = DAILY.assign(order_count=pd.array([pd.NA] * 3, dtype="Int64"),
                         old_order_count=pd.array([pd.NA] * 3, dtype="Int64"))


def hourly_frame(rows, fields=("total",)):
    df = pd.DataFrame(rows, columns=["page_id", "hour", *fields])
    df["hour"] = pd.to_datetime(df["hour"])
    for f in fields:
        df[f] = df[f].astype("Int64")
    return df


def test_series_sums_pages_and_fills_missing_days():
    s = ev.series(DAILY, ["total", "inbox"], date(2026, 3, 1), date(2026, 3, 4))
    assert list(s["date"]) == [D("2026-03-01"), D("2026-03-02"), D("2026-03-03"), D("2026-03-04")]
    assert list(s["total"]) == [15, 0, 20, 0]
    assert list(s["inbox"]) == [12, 0, 15, 0]


def test_series_by_hour_covers_every_hour():
    hourly = hourly_frame([("p1", "2026-03-01 09:00", 3), ("p2", "2026-03-01 09:00", 4),
                           ("p1", "2026-03-02 23:00", 5)])
    s = ev.series(hourly, ["total"], date(2026, 3, 1), date(2026, 3, 2), grain="hour")
    assert len(s) == 48
    assert s.loc[s["hour"] == D("2026-03-01 09:00"), "total"].item() == 7
    assert s["total"].iloc[-1] == 5 and int(s["total"].sum()) == 12


def test_hour_slots_follow_the_zone_clock_changes():
    spring = ev.hour_slots(date(2026, 3, 29), date(2026, 3, 29), "Europe/Berlin")
    assert len(spring) == 23 and D("2026-03-29 02:00") not in spring
    autumn = ev.hour_slots(date(2026, 10, 25), date(2026, 10, 25), "Europe/Berlin")
    assert len(autumn) == 25 and list(autumn).count(D("2026-10-25 02:00")) == 2
    assert len(ev.hour_slots(date(2026, 3, 29), date(2026, 3, 29), "Asia/Ho_Chi_Minh")) == 24
    assert len(ev.hour_slots(date(2026, 3, 29), date(2026, 3, 30))) == 48


def test_hourly_series_has_no_phantom_spring_hour():
    """Regression: the old index was 24 naive hours a day, drawing a 02:00 that Berlin skipped."""
    hourly = hourly_frame([("p1", "2026-03-29 01:00", 3), ("p1", "2026-03-29 03:00", 4)])
    s = ev.series(hourly, ["total"], date(2026, 3, 29), date(2026, 3, 29), grain="hour", tz="Europe/Berlin")
    assert len(s) == 23 and D("2026-03-29 02:00") not in set(s["hour"])
    assert s.set_index("hour").loc[[D("2026-03-29 01:00"), D("2026-03-29 03:00")], "total"].tolist() == [3, 4]


def test_hourly_series_counts_both_repeated_autumn_hours():
    """Regression: the API sends two 02:00 rows on 2026-10-25 in Berlin (summer, then winter
    time); both are counted, each in its own slot, never one dropped or merged."""
    hourly = hourly_frame([("p1", "2026-10-25 01:00", 1), ("p1", "2026-10-25 02:00", 3),
                           ("p1", "2026-10-25 02:00", 5), ("p2", "2026-10-25 02:00", 10),
                           ("p2", "2026-10-25 02:00", 20), ("p1", "2026-10-25 03:00", 7)])
    s = ev.series(hourly, ["total"], date(2026, 10, 25), date(2026, 10, 25), grain="hour", tz="Europe/Berlin")
    assert len(s) == 25
    assert s.loc[s["hour"] == D("2026-10-25 02:00"), "total"].tolist() == [13, 25]
    assert int(s["total"].sum()) == 46 == metrics.total(hourly, "total")


def test_kpis_totals_previous_and_spark():
    ks = {k.field: k for k in ev.kpis(DAILY, PREV, date(2026, 3, 1), date(2026, 3, 3))}
    assert ks["total"].value == 35 and ks["total"].previous == 8
    assert list(ks["total"].spark) == [15.0, 0.0, 20.0]
    assert ks["order_count"].value == 11 and ks["old_order_count"].value == 3
    assert all(isinstance(k, cards.Kpi) and k.source == "engagement" for k in ks.values())
    assert all(k.previous is None for k in ev.kpis(DAILY, None, date(2026, 3, 1), date(2026, 3, 3)))
    assert all(k.previous is None for k in ev.kpis(DAILY, PREV, date(2026, 3, 1), date(2026, 3, 3), compare=False))


def test_hourly_kpis():
    hourly = hourly_frame([("p1", "2026-03-01 09:00", 3, 1), ("p1", "2026-03-02 10:00", 4, 2)],
                          fields=("total", "new_customer"))
    ks = {k.field: k for k in ev.hourly_kpis(hourly, hourly.iloc[:1], date(2026, 3, 1), date(2026, 3, 2))}
    assert ks["new_customer"].value == 3 and ks["new_customer"].previous == 1
    assert ks["new_customer"].spark == [1.0, 2.0] and ks["new_customer"].source == "engagement_hourly"
    assert ks["inbox"].value is None  # a series the payload did not send is unknown, never 0
    assert all(k.previous is None for k in ev.hourly_kpis(hourly, None, date(2026, 3, 1), date(2026, 3, 2)))


def test_orders_are_left_out_when_the_api_does_not_send_them():
    assert not ev.has_orders(NO_ORDERS)
    fields = [k.field for k in ev.kpis(NO_ORDERS, None, date(2026, 3, 1), date(2026, 3, 3))]
    assert "order_count" not in fields and "total" in fields
    assert "order_count" not in ev.per_page_table(NO_ORDERS, {}).columns
    assert "order_count" not in ev.series(NO_ORDERS, ev.daily_fields(NO_ORDERS), date(2026, 3, 1),
                                          date(2026, 3, 3)).columns


def test_orders_unsent_now_but_sent_then_show_a_dash_not_zero():
    """Regression: an unsent order series summed to 0 (a fall of 100 %)."""
    ks = {k.field: k for k in ev.kpis(NO_ORDERS, PREV, date(2026, 3, 1), date(2026, 3, 3))}
    shown = cards.card(ks["order_count"], "vi")
    assert ks["order_count"].value is None and shown.value == "—" and shown.delta is None


def test_per_page_table_names_and_order():
    t = ev.per_page_table(DAILY, {"p1": "Shop One", "p2": "Shop Two"})
    assert list(t["page_name"]) == ["Shop One", "Shop Two"]
    assert list(t["total"]) == [30, 5] and list(t["order_count"]) == [10, 1]


def test_per_page_orders_of_a_page_that_sent_none_are_unknown():
    d = DAILY.copy()
    d.loc[d["page_id"] == "p2", ["order_count", "old_order_count"]] = pd.NA
    t = ev.per_page_table(d, {}).set_index("page_id")
    assert t.loc["p1", "order_count"] == 10 and pd.isna(t.loc["p2", "order_count"])
    shown = tables.display_values(ev.per_page_view(t.reset_index(), "en"), "en").set_index(t.index)
    assert shown.loc["p2", "order_count"] == "—"


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
    t = ev.staff_table(s, "vi")
    assert t.column("share").label == "Tỷ trọng" and t.column("share").unit == "ratio"
    assert tables.display_values(t, "vi")["share"].tolist() == ["75,0 %", "25,0 %"]


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
    hourly = hourly_frame([("p1", "2026-03-02 09:00", 3), ("p2", "2026-03-09 09:00", 4)])  # Mondays
    grid = ev.heatmap_grid(hourly)
    assert grid.loc[0, 9] == 7 and grid.to_numpy().sum() == 7
    fig = ev.heatmap_figure(grid, "vi", title="t", value_label="v")
    assert fig.data[0].y[0] == "Thứ 2" and fig.data[0].x[9] == "09:00"
    assert fig.data[0].z[0][9] == 7


def test_tables_hold_numbers_and_format_per_language():
    by_page = ev.per_page_table(daily_frame([("p1", "2026-03-01", 12345, 1, 2, 3, 4, 5, 6)]), {"p1": "A"})
    t = ev.per_page_view(by_page, "en")
    assert t.frame["total"].tolist() == [12345]  # a number: a header click sorts numerically
    assert tables.display_values(t, "vi")["total"].tolist() == ["12.345"]
    assert tables.display_values(t, "en")["total"].tolist() == ["12,345"]
    assert t.column("page_name").label == "Page"
    assert t.column("total").label == "Total engagements (inbox + comment)"
    assert t.column("total").help.startswith("Total engagements = inbox + comment")   # no API field name
    hourly = ev.series(hourly_frame([("p1", "2026-03-01 14:00", 3)]), ["total"], date(2026, 3, 1),
                       date(2026, 3, 1), grain="hour")
    shown = tables.display_values(ev.series_table(hourly, "vi", grain="hour"), "vi")
    assert shown.loc[14].tolist() == ["01/03/2026 14:00", "3"]
    assert ev.staff_table(ev.staff_share(None), "en").column("total_engagement").help.count("users_engagements") == 0


# --- overview --------------------------------------------------------------------------------

ACT = pd.DataFrame({"page_id": ["p1", "p1"], "hour": pd.to_datetime(["2026-03-01 09:00", "2026-03-03 10:00"]),
                    "customer_inbox_count": pd.array([10, 30], dtype="Int64"),
                    "page_inbox_count": pd.array([5, 30], dtype="Int64")})
STAFF = pd.DataFrame({"page_id": ["p1", "p2", "p2"], "user_id": ["a", "b", "c"],
                      "unique_inbox_count": pd.array([9, 1, 0], dtype="Int64"),
                      "unique_comment_count": pd.array([1, 0, 0], dtype="Int64"),
                      "average_response_time": [60_000.0, 600_000.0, 999_999.0]})


def _ov_kpis(current, previous=None, **kw):
    sec = ov.kpis(current, previous or {}, date(2026, 3, 1), date(2026, 3, 3), "en", **kw)
    return {(s, k.label or k.field): k for s, ks in sec.items() for k in ks}


def test_response_time_is_weighted_not_a_mean_of_means():
    ks = _ov_kpis({"staff": STAFF})
    # (60000*10 + 600000*1) / 11; the zero-weight row adds nothing
    assert ks[("staff", "average_response_time")].value == pytest.approx(1_200_000 / 11)
    t = ov.per_page_table(["p1", "p2"], {}, {"staff": STAFF})
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
    assert all(k.previous is None for k in ov.ads_kpis(ads, None, "en"))
    t = ov.per_page_table(["p1", "p2"], {"p1": "A", "p2": "B"}, {"ads": ads})
    assert t.set_index("page_id")["spend_VND"].to_dict() == {"p1": 100_000.0, "p2": 50_000.0}
    assert t.set_index("page_id")["spend_USD"].to_dict() == {"p1": 12.5, "p2": 0.0}
    view = ov.per_page_view(t, "vi")
    shown = tables.display_values(view, "vi").set_index(t["page_id"])
    assert shown.loc["p1", "spend_VND"] == "100.000 ₫"
    assert view.column("spend_USD").label == "Chi tiêu (USD)"


def test_ads_without_currency_are_never_added_into_vnd():
    """Regression: a null currency was labelled VND, giving two "Spend (VND)" cards."""
    ads = pd.DataFrame({"page_id": ["p1", "p1", "p2", "p2"], "ad_id": ["a", "b", "c", "d"],
                        "currency": ["VND", None, "vnd", "USD"], "spend": [100_000.0, 7.0, 50_000.0, 3.0],
                        "purchases": [1.0, 1.0, 1.0, 1.0]})
    ks = [k for k in ov.ads_kpis(ads, None, "en") if k.field == "spend"]
    labels = [k.label for k in ks]
    assert len(labels) == len(set(labels)) == 3
    by_label = {k.label: k for k in ks}
    assert by_label["Spend (VND)"].value == 150_000.0
    assert by_label["Spend (—)"].value == 7.0 and by_label["Spend (—)"].currency is None
    assert cards.card(by_label["Spend (—)"], "en").value == "7.00"  # the bare amount, no ₫
    t = ov.per_page_table(["p1", "p2"], {}, {"ads": ads}).set_index("page_id")
    assert t.loc["p1", "spend_"] == 7.0 and t.loc["p1", "spend_VND"] == 100_000.0
    assert ov.per_page_view(t.reset_index(), "en").column("spend_").label == "Spend (—)"


def test_overview_kpis_and_per_page_row():
    ks = _ov_kpis({"engagement": DAILY, "activity": ACT}, {"engagement": PREV})
    assert [s for s in ov.kpis({}, {}, date(2026, 3, 1), date(2026, 3, 1), "en")] == list(ov.SECTIONS)
    ratio = ks[("activity", "reply_ratio")]
    assert ratio.value == pytest.approx(35 / 40)  # from sums, not (0.5 + 1.0) / 2
    assert ratio.spark[0] == pytest.approx(0.5) and math.isnan(ratio.spark[1])
    assert ks[("engagement", "total")].value == 35 and ks[("engagement", "total")].previous == 8
    assert ks[("engagement", "order_count")].value == 11
    t = ov.per_page_table(["p1", "p2", "p3"], {}, {"engagement": DAILY, "activity": ACT})
    assert list(t["page_id"]) == ["p1", "p2", "p3"] and list(t["total"]) == [30, 5, 0]
    assert t.loc[0, "reply_ratio"] == pytest.approx(35 / 40) and math.isnan(t.loc[1, "reply_ratio"])


def test_reply_ratio_changes_in_percentage_points():
    ks = _ov_kpis({"activity": ACT}, {"activity": ACT.assign(page_inbox_count=pd.array([5, 15], dtype="Int64"))})
    k = ks[("activity", "reply_ratio")]
    assert k.value == pytest.approx(0.875) and k.previous == pytest.approx(0.5)
    assert cards.card(k, "vi").delta == "+37,5 điểm %"
    assert cards.card(k, "en").delta == "+37.5 pp"


def test_overview_orders_unsent_are_absent_never_zero():
    """Regression: with no order_count in the payload the overview showed "Orders 0" on the cards
    and 0 in every page's row."""
    ks = _ov_kpis({"engagement": NO_ORDERS}, {"engagement": NO_ORDERS})
    assert ("engagement", "order_count") not in ks
    t = ov.per_page_table(["p1", "p2"], {}, {"engagement": NO_ORDERS})
    assert "order_count" not in t.columns
    # sent then but not now: a dash and no change, not 0 and -100 %
    k = _ov_kpis({"engagement": NO_ORDERS}, {"engagement": PREV})[("engagement", "order_count")]
    assert cards.card(k, "en").value == "—" and cards.card(k, "en").delta is None
    # one page sends orders, the other does not: its cell is unknown
    mixed = DAILY.copy()
    mixed.loc[mixed["page_id"] == "p2", "order_count"] = pd.NA
    t = ov.per_page_table(["p1", "p2"], {}, {"engagement": mixed}).set_index("page_id")
    assert t.loc["p1", "order_count"] == 10 and pd.isna(t.loc["p2", "order_count"])


def test_per_page_row_of_a_failed_page_is_unknown_not_zero():
    """Regression: a page that failed to load showed 0 everywhere in its row."""
    ads = pd.DataFrame({"page_id": ["p1"], "ad_id": ["a"], "currency": ["VND"], "spend": [1000.0],
                        "purchases": [2.0]})
    current = {"engagement": DAILY[DAILY["page_id"] == "p1"], "activity": ACT, "ads": ads, "staff": STAFF}
    answered = {"engagement": ["p1"], "activity": ["p1", "p3"], "ads": ["p1"], "staff": ["p1", "p2"]}
    t = ov.per_page_table(["p1", "p2", "p3"], {}, current, answered).set_index("page_id")
    for col in ("total", "inbox", "order_count", "customer_inbox_count", "purchases", "spend_VND"):
        assert pd.isna(t.loc["p2", col]), col
    assert t.loc["p3", "customer_inbox_count"] == 0  # answered, nothing happened: 0
    assert pd.isna(t.loc["p3", "total"])             # did not answer the engagement call
    shown = tables.display_values(ov.per_page_view(t.reset_index(), "vi"), "vi").set_index(t.index)
    assert shown.loc["p2", ["total", "purchases", "spend_VND", "reply_ratio"]].tolist() == ["—"] * 4
    assert shown.loc["p1", "total"] == "30"


def test_periods_over_different_pages_are_not_compared():
    """A page failed in the previous period: ``metrics.comparable`` is False, load_pair gives
    no previous frames, and no card shows a change (never all pages now against some then)."""
    assert not metrics.comparable(["p1", "p2"], ["p1"])
    ks = _ov_kpis({"engagement": DAILY, "activity": ACT, "staff": STAFF},
                  {"engagement": None, "activity": None, "staff": None})
    assert all(k.previous is None and cards.card(k, "en").delta is None for k in ks.values())


def test_titled_figures_keep_the_legend_below_the_title():
    s = ev.series(DAILY, ev.DAILY_FIELDS, date(2026, 3, 1), date(2026, 3, 3))
    for fig in (ev.trend_figure(s, "vi"), ev.customers_orders_figure(s, "vi"),
                ev.per_page_figure(ev.per_page_table(DAILY, {}), "vi")):
        assert fig.layout.legend.y < 0 and fig.layout.legend.yanchor == "top"

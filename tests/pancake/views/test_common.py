"""Shared view pieces: value formatting by unit, the KPI card model (change text, colour,
arrow, points for ratios), the table model (numbers kept, display text by unit), sums and the
heatmap grid from pancake.numbers.metrics."""
from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest

from pancake.delivery import export
from pancake.numbers import metrics, views
from pancake.numbers.views import cards, tables


def test_format_metric_by_unit():
    assert views.format_metric("average_response_time", 588569, "vi") == "9 phút 49 giây"
    assert views.format_metric("average_response_time", 588569, "en") == "9 min 49 s"
    assert views.format_metric("inbox", 1234567, "vi") == "1.234.567"
    assert views.format_metric("spend", 1250000, "vi", "VND") == "1.250.000 ₫"
    assert views.format_metric("spend", 12.5, "en", None) == "12.50"          # no currency: never ₫
    assert views.format_metric("phone_capture_rate", 0.298, "vi", source="customers") == "29,8 %"
    assert views.format_metric("roas", 2.5, "en") == "2.50×"
    assert views.format_metric("inbox", float("nan"), "en") == "—"
    assert views.format_metric("order_count", None, "vi") == "—"


def test_card_change_text_colour_and_arrow():
    c = cards.card(cards.Kpi("inbox", 80, 100, source="engagement"), "en")
    assert (c.value, c.delta, c.arrow, c.color) == ("80", "-20.0%", "down", "red")
    assert cards.card(cards.Kpi("inbox", 125, 100, source="engagement"), "vi").delta == "+25,0 %"
    assert cards.card(cards.Kpi("inbox", 5, 0, source="engagement"), "en").delta == "+5"   # no % of nothing
    slower = cards.card(cards.Kpi("average_response_time", 90_000, 60_000, source="staff"), "en")
    assert (slower.arrow, slower.color) == ("up", "red")                    # lower is better
    assert cards.card(cards.Kpi("inbox", None, 3), "en").delta is None
    assert cards.card(cards.Kpi("inbox", 3, 2), "en", compare=False).delta is None


def test_a_ratio_changes_in_percentage_points():
    """Regression: the reply ratio, CTR and capture rate showed a relative change."""
    rr = cards.card(cards.Kpi("reply_ratio", 0.62, 0.50, source="activity"), "vi")
    assert rr.value == "62,0 %" and rr.delta == "+12,0 điểm %"
    ctr = cards.card(cards.Kpi("ctr", 1.2, 1.8, source="ads"), "en")
    assert ctr.delta == "-0.6 pp" and ctr.color == "red"
    cap = cards.card(cards.Kpi("phone_capture_rate", 0.25, 0.30, source="customers"), "en")
    assert cap.delta == "-5.0 pp"


def test_a_change_inside_the_neutral_band_is_grey_with_no_arrow():
    """Issue 17 item 7: under 1 % (under 0.5 points for a ratio) is grey, no arrow, no colour;
    "+0,0 điểm %" got a green up arrow."""
    cases = [  # (field, source, current, previous, delta shown, arrow, colour)
        ("inbox", "engagement", 1001, 1000, "+0,1 %", "off", "gray"),            # +0.1 %
        ("inbox", "engagement", 999, 1000, "-0,1 %", "off", "gray"),
        ("inbox", "engagement", 1010, 1000, "+1,0 %", "up", "green"),            # exactly 1 %: shown
        ("average_response_time", "staff", 60_500, 60_000, "+0,8 %", "off", "gray"),
        ("reply_ratio", "activity", 0.5004, 0.5, "+0,0 điểm %", "off", "gray"),  # +0.04 pp
        ("reply_ratio", "activity", 0.4996, 0.5, "-0,0 điểm %", "off", "gray"),
        ("reply_ratio", "activity", 0.504, 0.5, "+0,4 điểm %", "off", "gray"),   # 0.4 pp
        ("reply_ratio", "activity", 0.505, 0.5, "+0,5 điểm %", "up", "green"),   # 0.5 pp: shown
        ("ctr", "ads", 1.2, 1.6, "-0,4 điểm %", "off", "gray"),                  # percent unit, 0.4 pp
        ("inbox", "engagement", 5, 0, "+5", "up", "green"),                       # from nothing
        ("inbox", "engagement", 7, 7, "0,0 %", "off", "gray"),
    ]
    for field, source, cur, prev, delta, arrow, colour in cases:
        c = cards.card(cards.Kpi(field, cur, prev, source=source), "vi")
        assert (c.delta, c.arrow, c.color) == (delta, arrow, colour), (field, cur, prev)


def test_the_comparison_is_named():
    """Issue 17 item 6: the label names what is compared."""
    from datetime import date, time
    assert cards.vs_text(date(2026, 11, 29), date(2026, 11, 29), "vi") == "so với Chủ nhật 29/11"
    assert cards.vs_text(date(2026, 11, 29), date(2026, 11, 29), "en") == "vs Sunday 29 Nov"
    assert cards.vs_text(date(2026, 11, 30), date(2026, 11, 30), "vi", until=time(11, 35)) \
        == "so với thứ Hai 30/11 (đến 11:35)"
    assert cards.vs_text(date(2026, 11, 1), date(2026, 11, 7), "en") == "vs 1 – 7 Nov 2026"


def test_card_note_goes_into_the_tooltip_and_sparks_skip_unknowns():
    c = cards.card(cards.Kpi("spend", 10.0, note="covers 3 of 4 ads", spark=[1, float("nan"), 2]), "en")
    assert c.help.endswith("covers 3 of 4 ads") and c.spark == (1.0, 0.0, 2.0)
    assert cards.card(cards.Kpi("inbox", 1, spark=[float("nan")] * 3), "en").spark is None


def test_table_keeps_numbers_and_formats_by_unit():
    frame = pd.DataFrame({"user_name": ["A", "B", "C"], "inbox_count": [1178, 316, 2313],
                          "average_response_time": [61_000.0, float("nan"), 5_000.0],
                          "currency": ["VND", "USD", None], "spend": [1500000.0, 12.5, 3.0]})
    t = tables.table(frame, ["user_name", "inbox_count", "average_response_time", "spend"], "vi",
                     sources={"inbox_count": "staff", "average_response_time": "staff", "spend": "ads"})
    assert pd.api.types.is_numeric_dtype(t.frame["inbox_count"])        # sorts as numbers
    assert list(t.frame.sort_values("inbox_count")["inbox_count"]) == [316, 1178, 2313]
    shown = tables.display_values(t, "vi")
    assert list(shown["inbox_count"]) == ["1.178", "316", "2.313"]
    assert list(shown["average_response_time"]) == ["1 phút 1 giây", "—", "5 giây"]
    assert list(shown["spend"]) == ["1.500.000 ₫", "12,50 US$", "3,00"]    # per-row currency, none = bare
    assert [c.label for c in t.columns][:2] == ["Nhân viên", "Tin nhắn đã gửi"]


def test_sums_series_and_grid_from_metrics():
    df = pd.DataFrame({"page_id": ["a", "a", "b"],
                       "date": pd.to_datetime(["2026-11-01", "2026-11-03", "2026-11-01"]),
                       "inbox": pd.array([1, 2, pd.NA], dtype="Int64")})
    assert metrics.total(df, "inbox") == 3
    assert metrics.total(None, "inbox") is None
    assert metrics.daily_series(df, "inbox", date(2026, 11, 1), date(2026, 11, 3)) == [1.0, 0.0, 2.0]
    assert views.pages_label(["1"]) == "1" and views.pages_label(list("abcd")) == "4-pages"
    assert math.isnan(metrics.safe_div(1, 0)) and metrics.safe_div(1, 4) == 0.25
    hours = pd.DataFrame({"hour": [datetime(2026, 11, 23, 9), datetime(2026, 11, 23, 9), datetime(2026, 11, 24, 20)],
                          "inbox": [2, 3, 4]})
    grid = metrics.weekday_hour_sums(hours, "inbox")
    assert grid.shape == (7, 24) and grid.loc[0, 9] == 5 and grid.loc[1, 20] == 4 and grid.values.sum() == 9


# --- tables: totals rows, changes, downloads (issue 8) ---------------------------------------

def _staff(rows):
    cols = ["page_id", "user_id", "user_name", "inbox_count", "comment_count", "phone_number_count",
            "private_reply_count", "unique_inbox_count", "unique_comment_count", "average_response_time"]
    df = pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)
    for c in cols[3:]:
        df[c] = df[c].astype("float64" if c == "average_response_time" else "Int64")
    return df


# Linh on two pages (10 and 40 reply sessions), Nam on one (20): the overall response time is
# (60000*10 + 120000*40 + 30000*20) / 70 = 85714 ms, not a mean of means nor a column sum.
STAFF = _staff([("p1", "u1", "Linh", 100, 20, 5, 2, 10, 0, 60_000.0),
                ("p2", "u1", "Linh", 50, 10, 3, 1, 30, 10, 120_000.0),
                ("p1", "u2", "Nam", 40, 0, 1, 0, 20, 0, 30_000.0)])
STAFF_PREV = _staff([("p1", "u1", "Linh", 120, 0, 0, 0, 10, 0, 50_000.0),
                     ("p1", "u2", "Nam", 40, 0, 0, 0, 10, 0, 50_000.0)])


def test_leaderboard_totals_row_weighs_response_time_and_names_it_total():
    from pancake.numbers.views import staff
    t = staff.leaderboard_table(staff.leaderboard(STAFF, {"p1": "Shop A", "p2": "Shop B"}), "vi", STAFF_PREV)
    assert t.total["average_response_time"] == pytest.approx(metrics.response_time(STAFF))
    assert t.total["average_response_time"] == pytest.approx(6_000_000 / 70)
    assert t.total["inbox_count"] == 190 and t.total["share_of_replies"] == 1.0
    shown = tables.display_values(t, "vi", total=True)
    assert shown.iloc[-1]["user_name"] == "Tổng" and shown.iloc[-1]["inbox_count"] == "190"
    assert shown.iloc[-1]["average_response_time"] == views.format_metric("average_response_time", 6_000_000 / 70,
                                                                          "vi", source="staff")
    # the change per member: Linh 120 -> 150 messages = +25 %; Nam 40 -> 40
    assert list(shown["change_inbox_count"][:2]) == ["+25,0 %", "0,0 %"]
    assert t.shown[:4] == ["user_name", "inbox_count", "change_inbox_count", "comment_count"]
    assert "user_id" not in t.shown and "page_id" not in t.shown        # ids: download only


def test_per_page_totals_are_paired_ratios_never_sums_of_ratios():
    from pancake.numbers.views import activity, customers, overview
    act = pd.DataFrame({"page_id": ["a", "a", "b"], "hour": pd.to_datetime(["2026-11-01 09:00"] * 3),
                        "customer_inbox_count": [10, 10, 80], "page_inbox_count": [10, 10, 20]})
    by_page = activity.per_page_table(act, {"a": "A", "b": "B"})       # ratios 1.0 and 0.25
    t = activity.per_page_view(by_page, "en")
    assert t.total["reply_ratio"] == pytest.approx(metrics.reply_ratio(act)) == pytest.approx(0.4)
    cust = pd.DataFrame({"page_id": ["a", "b"], "date": pd.to_datetime(["2026-11-01"] * 2),
                         "new_customer_count": [5, 5], "new_page_inbox_count": [10, 90],
                         "new_phone_number_count": [10, 9], "phone_number_count": [10, 9]})
    ct = customers.per_page_table(customers.per_page(cust), "en")
    assert ct.total["phone_capture_rate"] == pytest.approx(19 / 100)   # not (1.0 + 0.1) / 2
    table = overview.per_page_table(["p1", "p2"], {}, {"staff": STAFF, "activity": act.assign(
        page_id=act["page_id"].map({"a": "p1", "b": "p2"}))})
    ov = overview.per_page_view(table, "en", {"staff": STAFF})
    assert ov.total["average_response_time"] == pytest.approx(6_000_000 / 70)
    assert ov.total["reply_ratio"] == pytest.approx(0.4)
    assert ov.shown[:2] == ["page_name", "total"] and "page_id" not in ov.shown


def test_change_column_in_percent_for_counts_and_points_for_ratios():
    frame = pd.DataFrame({"page_id": ["a", "b", "c"], "total": [120, 5, 7], "reply_ratio": [0.5, 0.8, None]})
    out = tables.with_change(frame, "page_id", "total", {"a": 100, "b": 0}, "engagement")
    assert list(out.columns) == ["page_id", "total", "change_total", "reply_ratio"]
    assert out["change_total"][0] == pytest.approx(20.0)
    assert math.isnan(out["change_total"][1]) and math.isnan(out["change_total"][2])   # from 0 / unknown
    ratio = tables.with_change(frame, "page_id", "reply_ratio", {"a": 0.25, "b": 0.9}, "activity")
    assert ratio["change_reply_ratio"][0] == pytest.approx(25.0)        # points, not +100 %
    col = tables.change_column("reply_ratio", "vi", "activity")
    t = tables.Table(ratio, [tables.column("page_id", "vi"), col])
    assert tables.display_values(t, "vi")["change_reply_ratio"].tolist() == ["+25,0 điểm %", "-10,0 điểm %", "—"]
    assert tables.with_change(frame, "page_id", "total", None) is frame


def _download_table(lang):
    frame = pd.DataFrame({"page_name": ["Shop A", "Shop B"], "page_id": ["p1", "p2"],
                          "user_name": ["An", "Bình"], "user_id": ["u1", "u2"],
                          "average_response_time": [61_499.0, 500.0], "reply_ratio": [0.123456, float("nan")],
                          "ctr": [1.23456, 2.0], "roas": [2.345678, 1.0], "currency": ["VND", "USD"],
                          "spend": [1500000.4, 12.345], "inbox_count": pd.array([3, None], dtype="Int64")})
    t = tables.table(frame, ["user_name", "page_name", "inbox_count", "average_response_time", "reply_ratio",
                             "ctr", "roas", "spend"], lang,
                     sources={"average_response_time": "staff", "reply_ratio": "activity", "ctr": "ads",
                              "roas": "ads", "spend": "ads", "inbox_count": "staff"},
                     total={"inbox_count": 3, "average_response_time": 61_499.0})
    return t


def test_download_names_columns_in_the_language_with_units_and_rounds_for_people():
    csv = tables.for_download(_download_table("vi"), "vi")
    assert list(csv.columns) == ["Nhân viên", "Mã nhân viên", "Trang", "Mã trang", "Tin nhắn đã gửi",
                                 "Thời gian phản hồi TB (giây)", "Tỷ lệ trả lời (0–1)", "CTR (tỷ lệ nhấp) (%)",
                                 "ROAS (doanh thu trên chi phí QC) (lần)", "Chi tiêu", "Tiền tệ"]
    assert list(csv["Thời gian phản hồi TB (giây)"]) == [61, 1]          # whole seconds, half up
    assert csv["Tỷ lệ trả lời (0–1)"][0] == 0.1235 and pd.isna(csv["Tỷ lệ trả lời (0–1)"][1])
    assert list(csv["Chi tiêu"]) == [1500000.0, 12.35]                   # ₫ whole, US$ cents
    assert list(csv["ROAS (doanh thu trên chi phí QC) (lần)"]) == [2.3457, 1.0]
    assert list(csv["CTR (tỷ lệ nhấp) (%)"]) == [1.23, 2.0]
    assert len(csv) == 2                                                 # no totals row in a CSV
    en = tables.for_download(_download_table("en"), "en")
    assert "Average response time (s)" in en.columns and "Staff ID" in en.columns and "Page ID" in en.columns
    text = __import__("pancake.delivery.export", fromlist=["x"]).to_csv_bytes(csv).decode("utf-8-sig").splitlines()
    assert text[1].startswith("An,u1,Shop A,p1,3,61,0.1235,1.23,2.3457,1500000,VND")


def test_excel_sheet_has_formats_per_unit_and_row_currency_and_the_totals_row():
    sheet = export.excel_sheet(_download_table("en"), "en")
    frame = sheet.frame
    assert sheet.total_rows == 1 and frame.iloc[-1]["Staff member"] == "Total"
    assert frame["Average response time (h:mm:ss)"][0] == pytest.approx(61 / 86400)   # a duration
    assert sheet.formats["Average response time (h:mm:ss)"] == "[h]:mm:ss"
    assert sheet.formats["Reply ratio (%)"] == "0.00%" and frame["Reply ratio (%)"][0] == 0.1235
    assert sheet.formats["CTR (click-through rate) (%)"] == "0.00%"
    assert frame["CTR (click-through rate) (%)"][0] == pytest.approx(0.0123)
    assert list(sheet.formats["Spend"])[:2] == ['#,##0 "₫"', '"US$"#,##0.00']


def test_a_table_without_ids_shows_every_column_and_a_delta_formats_signed():
    t = tables.Table(pd.DataFrame({"x": [1.5, -2.0, 0.0]}), [tables.Column("x", "X", unit="delta_pct")])
    assert tables.display_values(t, "en")["x"].tolist() == ["+1.5%", "-2.0%", "0.0%"]
    assert tables.for_download(t, "en").columns.tolist() == ["X (%)"]


def test_staff_downloads_carry_page_names_and_ids():
    from pancake.numbers.views import staff
    board = staff.leaderboard(STAFF, {"p1": "Shop A", "p2": "Shop B"})
    csv = tables.for_download(staff.leaderboard_table(board, "en"), "en")
    assert list(csv.columns[:3]) == ["Staff member", "Staff ID", "Messages sent"]
    assert csv.iloc[0][["Staff ID", "Pages", "Page ID"]].tolist() == ["u1", "Shop A, Shop B", "p1,p2"]
    twins = staff.leaderboard(STAFF.assign(user_name="An"), {"p1": "Shop A", "p2": "Shop B"})
    shown = tables.display_values(staff.leaderboard_table(twins, "en"), "en")["user_name"].tolist()
    assert shown == ["An", "An · Shop A"]   # named once: a page only when it is their one page (pages: a column)
    hourly = STAFF.assign(hour=pd.to_datetime(["2026-11-01 09:00", "2026-11-01 10:00", "2026-11-01 09:00"]))
    matrix = staff.hour_matrix(hourly, page_names={"p1": "Shop A", "p2": "Shop B"})
    out = staff.hour_matrix_csv(matrix, "vi")
    assert list(out.columns[:4]) == ["Nhân viên", "Mã nhân viên", "Trang", "00:00"]
    assert out.iloc[0][["Nhân viên", "Mã nhân viên", "Trang"]].tolist() == ["Linh", "u1", "Shop A, Shop B"]


def test_map_values_asks_once_per_distinct_value_and_unknowns_as_none():
    from pancake.numbers.views import map_values
    asked = []

    def label(v):
        asked.append(v)
        return "?" if v is None else ("có" if v else "không")
    s = pd.Series([True, None, False, True, pd.NA, float("nan"), True], index=[10, 11, 12, 13, 14, 15, 16],
                  dtype=object, name="has_phone")
    out = map_values(s, label)
    assert list(out) == ["có", "?", "không", "có", "?", "?", "có"]
    assert list(out.index) == [10, 11, 12, 13, 14, 15, 16] and out.name == "has_phone"
    assert sorted(asked, key=str) == [False, None, True]
    empty = map_values(pd.Series([], dtype=object), label)        # the empty case
    assert len(empty) == 0
    strings = map_values(pd.Series(["p1", "p2", "p1"], dtype="str"), {"p1": "Shop A"}.get)
    assert list(strings) == ["Shop A", None, "Shop A"]


def test_the_per_page_totals_row_shows_the_change_the_card_shows():
    """Two pages' engagements: now 100 + 50 = 150, before 80 + 20 = 100. Each page's change is
    its own (+25 %, +150 %); the totals row's is all the pages' (+50 %), as the overview's card
    has it; never the "—" it showed before, nor a sum or mean of the pages' changes."""
    from pancake.numbers.views import overview
    now = pd.DataFrame({"page_id": ["p1", "p2"], "date": pd.to_datetime(["2026-11-01"] * 2), "total": [100, 50]})
    before = pd.DataFrame({"page_id": ["p1", "p2"], "date": pd.to_datetime(["2026-10-01"] * 2), "total": [80, 20]})
    table = overview.per_page_table(["p1", "p2"], {"p1": "A", "p2": "B"}, {"engagement": now})
    view = overview.per_page_view(table, "en", {"engagement": now}, {"engagement": before})
    assert view.total["change_total"] == pytest.approx(50.0)
    shown = tables.display_values(view, "vi", total=True)["change_total"].tolist()
    assert shown == ["+25,0 %", "+150,0 %", "+50,0 %"]
    card = cards.card(cards.sum_kpi("total", now, before, date(2026, 11, 1), date(2026, 11, 1),
                                    source="engagement"), "vi")
    assert card.delta == "+50,0 %"
    # from nothing: no percentage of 0, on the row as on the card
    zero = overview.per_page_view(table, "en", {"engagement": now}, {"engagement": before.assign(total=[0, 0])})
    assert math.isnan(zero.total["change_total"])
    # not compared: no change column, no change in the totals row
    alone = overview.per_page_view(table, "en", {"engagement": now}, None)
    assert "change_total" not in alone.total


def test_every_per_page_totals_row_carries_its_change():
    """Each page's table: the totals row's change is the change of the total (a count: summed
    over the pages then and now; a ratio: from the summed messages), never "—" beside a card or
    a figure that shows it, never a sum or mean of the rows' changes. Numbers by hand."""
    from pancake.numbers.views import activity, customers, engagement, staff
    day = pd.to_datetime(["2026-11-01", "2026-11-01"])
    # engagement: now 100 + 50 = 150, before 80 + 20 = 100 -> +50 %
    now = pd.DataFrame({"page_id": ["p1", "p2"], "date": day, "total": pd.array([100, 50], dtype="Int64")})
    before = now.assign(total=pd.array([80, 20], dtype="Int64"))
    t = engagement.per_page_view(engagement.per_page_table(now, {"p1": "A", "p2": "B"}, ["total"]), "vi", before)
    assert tables.display_values(t, "vi", total=True)["change_total"].tolist() == ["+25,0 %", "+150,0 %", "+50,0 %"]
    # customers: new customers now 30 + 10 = 40, before 20 + 20 = 40 -> 0 %; one page unknown before
    cnow = pd.DataFrame({"page_id": ["p1", "p2"], "date": day, "new_customer_count": [30, 10],
                         "new_page_inbox_count": [60, 20], "new_phone_number_count": [3, 1],
                         "phone_number_count": [3, 1]})
    cbefore = cnow.assign(new_customer_count=[20, 20])
    ct = customers.per_page_table(customers.per_page(cnow), "vi", cbefore)
    assert ct.total["change_new_customer_count"] == pytest.approx(0.0)
    # activity: now answers 10 + 20 of 20 + 80 asked (ratio 0.3), before 30 of 50 (0.6) -> -30 points
    hour = pd.to_datetime(["2026-11-01 09:00", "2026-11-01 09:00"])
    anow = pd.DataFrame({"page_id": ["p1", "p2"], "hour": hour, "customer_inbox_count": [20, 80],
                         "page_inbox_count": [10, 20]})
    abefore = anow.assign(customer_inbox_count=[25, 25], page_inbox_count=[15, 15])
    at = activity.per_page_view(activity.per_page_table(anow, {"p1": "A", "p2": "B"}), "vi", abefore)
    assert at.total["change_reply_ratio"] == pytest.approx(-30.0)
    assert tables.display_values(at, "vi", total=True)["change_reply_ratio"].iloc[-1] == "-30,0 điểm %"
    # staff: messages sent 100 + 50 + 40 = 190 now, 120 + 40 = 160 before -> +18.75 %
    lt = staff.leaderboard_table(staff.leaderboard(STAFF, {"p1": "Shop A", "p2": "Shop B"}), "vi", STAFF_PREV)
    assert lt.total["change_inbox_count"] == pytest.approx(18.75)
    assert tables.display_values(lt, "vi", total=True)["change_inbox_count"].iloc[-1] == "+18,8 %"
    pt = staff.per_page_table(staff.per_page(STAFF), "vi", totals=STAFF, previous=STAFF_PREV)
    assert pt.total["change_inbox_count"] == pytest.approx(18.75)
    # not compared: no change anywhere, the totals row included
    assert "change_total" not in engagement.per_page_view(
        engagement.per_page_table(now, {}, ["total"]), "vi").total
    assert "change_inbox_count" not in staff.leaderboard_table(staff.leaderboard(STAFF), "vi").total

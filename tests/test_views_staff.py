"""pancake.views.staff on hand-built frames (ARCHITECTURE.md user_totals / user_hourly schemas)."""
from __future__ import annotations

import math
from datetime import datetime

import pandas as pd
import pytest

from pancake.views import staff as v


def totals(rows):
    cols = ["page_id", "user_id", "user_name", "user_fb_id", "inbox_count", "comment_count",
            "phone_number_count", "private_reply_count", "unique_inbox_count", "unique_comment_count",
            "average_response_time", "order_count"]
    df = pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)
    for c in cols[4:]:
        df[c] = df[c].astype("float64" if c == "average_response_time" else "Int64")
    return df


# Linh works on two pages; her averages must be weighted by sessions (10+0 and 30+10).
T = totals([
    ("p1", "u1", "Linh", "f1", 100, 20, 5, 2, 10, 0, 60_000.0, pd.NA),
    ("p2", "u1", "Linh", "f1", 50, 10, 3, 1, 30, 10, 120_000.0, pd.NA),
    ("p1", "u2", "Nam", "f2", 40, 0, 1, 0, 20, 0, 30_000.0, pd.NA),
])


def test_leaderboard_combines_a_person_across_pages():
    b = v.leaderboard(T)
    assert list(b["user_id"]) == ["u1", "u2"]
    linh = b.iloc[0]
    assert linh["inbox_count"] == 150 and linh["comment_count"] == 30
    assert linh["phone_number_count"] == 8 and linh["private_reply_count"] == 3
    # weighted: (60000*10 + 120000*40) / 50 = 108000, not the plain mean 90000
    assert linh["average_response_time"] == pytest.approx(108_000.0)
    assert set(linh["page_id"].split(",")) == {"p1", "p2"}
    # share of replies: (150+30) / (180+40)
    assert linh["share_of_replies"] == pytest.approx(180 / 220)
    assert b["share_of_replies"].sum() == pytest.approx(1.0)


def test_orders_column_only_when_given():
    b = v.leaderboard(T)
    assert not v.has_orders(b)
    assert "order_count" not in v.leaderboard_csv(b).columns
    assert "order_count" not in v.display_fields(b)
    t2 = T.copy()
    t2["order_count"] = pd.array([3, 4, 1], dtype="Int64")
    b2 = v.leaderboard(t2)
    assert v.has_orders(b2) and b2.iloc[0]["order_count"] == 7
    assert "order_count" in v.leaderboard_csv(b2).columns


def test_csv_keeps_milliseconds_and_screen_shows_durations():
    b = v.leaderboard(T)
    csv = v.leaderboard_csv(b)
    assert csv.iloc[0]["average_response_time"] == pytest.approx(108_000.0)
    vi = v.leaderboard_display(b, "vi", {"p1": "Shop A", "p2": "Shop B"})
    en = v.leaderboard_display(b, "en")
    assert vi.iloc[0]["average_response_time"] == "1 phút 48 giây"
    assert en.iloc[0]["average_response_time"] == "1 min 48 s"
    assert vi.iloc[0]["page_id"] == "Shop A, Shop B"
    assert vi.iloc[0]["share_of_replies"] == "81,8 %" and en.iloc[0]["share_of_replies"] == "81.8%"


def test_kpis_weighted_and_inverted_response_time():
    prev = totals([("p1", "u1", "Linh", "f1", 100, 0, 1, 0, 10, 0, 200_000.0, pd.NA)])
    cards = {c.field: c for c in v.kpi_cards(T, prev, "en")}
    assert "order_count" not in cards  # statistics/users sends no orders
    assert cards["inbox_count"].raw == 190 and cards["inbox_count"].value == "190"
    assert cards["inbox_count"].color == "green" and cards["inbox_count"].arrow == "up"
    # (60000*10 + 120000*40 + 30000*20) / 70
    assert cards["average_response_time"].raw == pytest.approx(6_000_000 / 70)
    assert cards["average_response_time"].arrow == "down"
    assert cards["average_response_time"].color == "green"  # lower is better
    assert cards["average_response_time"].delta.startswith("-")  # ASCII: Streamlit reads it as a fall
    assert "unique_inbox_count + unique_comment_count" in cards["average_response_time"].help
    assert cards["inbox_count"].label == "Messages sent"
    vi = {c.field: c for c in v.kpi_cards(T, prev, "vi")}
    assert vi["inbox_count"].label == "Tin nhắn đã gửi"


def test_kpi_order_card_uses_staff_meaning():
    t2 = T.copy()
    t2["order_count"] = pd.array([3, 4, 1], dtype="Int64")
    cards = {c.field: c for c in v.kpi_cards(t2, None, "vi", compare=False)}
    assert cards["order_count"].label == "Đơn đã chốt" and cards["order_count"].raw == 8
    assert cards["order_count"].delta is None


def test_card_zero_weight_response_time_is_dash():
    z = totals([("p1", "u1", "A", "f", 0, 0, 0, 0, 0, 0, 0.0, pd.NA)])
    cards = {c.field: c for c in v.kpi_cards(z, z, "vi")}
    assert math.isnan(cards["average_response_time"].raw)
    assert cards["average_response_time"].value == "—" and cards["average_response_time"].delta is None


def test_hour_matrix_and_heatmap():
    rows = [("p1", "u1", "Linh", datetime(2026, 1, 5, 9), 3, 1),
            ("p2", "u1", "Linh", datetime(2026, 1, 6, 9), 2, 0),
            ("p1", "u2", "Nam", datetime(2026, 1, 5, 22), 1, 0)]
    h = pd.DataFrame(rows, columns=["page_id", "user_id", "user_name", "hour", "inbox_count", "comment_count"])
    m = v.hour_matrix(h)
    assert list(m.index) == ["Linh", "Nam"] and list(m.columns) == list(range(24))
    assert m.loc["Linh", 9] == 6 and m.loc["Nam", 22] == 1 and m.values.sum() == 7
    fig = v.heatmap_figure(m, "vi")
    tr = fig.data[0]
    assert list(tr.y) == ["Linh", "Nam"] and tr.x[9] == "09:00" and tr.z[0][9] == 6
    csv = v.hour_matrix_csv(m, "en")
    assert csv.columns[0] == "Staff member" and csv.iloc[0]["09:00"] == 6


def test_hour_matrix_keeps_namesakes_apart_and_top():
    h = pd.DataFrame([("p1", "a", "An", datetime(2026, 1, 5, 9), 5, 0),
                      ("p1", "b", "An", datetime(2026, 1, 5, 9), 1, 0)],
                     columns=["page_id", "user_id", "user_name", "hour", "inbox_count", "comment_count"])
    m = v.hour_matrix(h)
    assert list(m.index) == ["An (#a)", "An (#b)"]
    assert len(v.hour_matrix(h, top=1)) == 1


def test_replies_figure_reads_leaderboard():
    fig = v.replies_figure(v.leaderboard(T), "en")
    names = [t.name for t in fig.data]
    assert names == ["Messages sent", "Comment replies"]
    assert list(fig.data[0].x) == [150, 40] and list(fig.data[1].x) == [30, 0]


def test_per_page_weighted():
    pp = v.per_page(T, {"p1": "A", "p2": "B"})
    p1 = pp.set_index("page_id").loc["p1"]
    assert p1["inbox_count"] == 140 and p1["page_name"] == "A"
    assert p1["average_response_time"] == pytest.approx((60_000 * 10 + 30_000 * 20) / 30)
    d = v.per_page_display(pp, "vi")
    assert d.iloc[0]["page_name"] == "A" and d.iloc[0]["average_response_time"] == "40 giây"


def test_empty_inputs():
    b = v.leaderboard(None)
    assert b.empty and list(b.columns) == v.LEADERBOARD_COLUMNS
    assert v.hour_matrix(None).empty
    assert v.per_page(None).empty


def test_replies_figure_keeps_namesakes_apart():
    t = totals([("p1", "aaaaaa1", "An", "f", 5, 0, 0, 0, 1, 0, 1.0, pd.NA),
                ("p2", "bbbbbb2", "An", "f", 3, 0, 0, 0, 1, 0, 1.0, pd.NA)])
    fig = v.replies_figure(v.leaderboard(t), "vi")
    assert list(fig.data[0].y) == ["An (#aaaaaa)", "An (#bbbbbb)"]

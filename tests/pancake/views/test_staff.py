"""pancake.numbers.views.staff on hand-built frames (pancake.data.reshape user_totals / user_hourly frames)
and on statistics/users payloads shaped like the reference."""
from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest

from pancake.api.client import Chunk
from pancake.data import kinds
from pancake.delivery import export
from pancake.numbers.views import cards, tables
from pancake.numbers.views import staff as v


def totals(rows):
    cols = ["page_id", "user_id", "user_name", "user_fb_id", "inbox_count", "comment_count",
            "phone_number_count", "private_reply_count", "unique_inbox_count", "unique_comment_count",
            "average_response_time", "order_count"]
    df = pd.DataFrame([dict(zip(cols, r)) for r in rows], columns=cols)
    for c in cols[4:]:
        df[c] = df[c].astype("float64" if c == "average_response_time" else "Int64")
    return df


def staff_totals(users: dict) -> pd.DataFrame:
    """A statistics/users payload (data.users, as the API sends it) through the staff kind."""
    kind = kinds.get("staff")
    payload = {"data": {"statistics": {}, "users": users}, "success": True}
    chunk = Chunk(start=date(2026, 1, 5), end=date(2026, 1, 11), payload=payload)
    return kind.merge([kind.reshape(chunk, "p1", hourly=False)], hourly=False)["totals"]


def api_user(name, inbox, sessions, art):
    return {"user_name": name, "user_fb_id": "f", "inbox_count": inbox, "comment_count": 0,
            "phone_number_count": 0, "private_reply_count": 0, "unique_inbox_count": sessions,
            "unique_comment_count": 0, "average_response_time": art, "hour": "2026-01-11T17:00:00"}


# Linh works on two pages; her averages must be weighted by sessions (10+0 and 30+10).
T = totals([
    ("p1", "u1", "Linh", "f1", 100, 20, 5, 2, 10, 0, 60_000.0, pd.NA),
    ("p2", "u1", "Linh", "f1", 50, 10, 3, 1, 30, 10, 120_000.0, pd.NA),
    ("p1", "u2", "Nam", "f2", 40, 0, 1, 0, 20, 0, 30_000.0, pd.NA),
])


def by_field(kpis, lang="en", compare=True):
    return {c.field: c for c in cards.cards(kpis, lang, compare=compare)}


def test_leaderboard_combines_a_person_across_pages():
    b = v.leaderboard(T, {"p1": "Shop A", "p2": "Shop B"})
    assert list(b["user_id"]) == ["u1", "u2"]
    linh = b.iloc[0]
    assert linh["inbox_count"] == 150 and linh["comment_count"] == 30
    assert linh["phone_number_count"] == 8 and linh["private_reply_count"] == 3
    # weighted: (60000*10 + 120000*40) / 50 = 108000, not the plain mean 90000
    assert linh["average_response_time"] == pytest.approx(108_000.0)
    assert set(linh["page_id"].split(",")) == {"p1", "p2"} and linh["page_name"] == "Shop A, Shop B"
    # share of replies: (150+30) / (180+40)
    assert linh["share_of_replies"] == pytest.approx(180 / 220)
    assert b["share_of_replies"].sum() == pytest.approx(1.0)


def test_orders_column_only_when_given():
    b = v.leaderboard(T)
    assert not v.has_orders(b)
    t = v.leaderboard_table(b, "en")
    assert "order_count" not in t.frame.columns and "order_count" not in t.shown
    t2 = T.copy()
    t2["order_count"] = pd.array([3, 4, 1], dtype="Int64")
    b2 = v.leaderboard(t2)
    assert v.has_orders(b2) and b2.iloc[0]["order_count"] == 7
    assert "order_count" in v.leaderboard_table(b2, "en").shown


def test_table_keeps_milliseconds_and_screen_shows_durations():
    t_vi = v.leaderboard_table(v.leaderboard(T, {"p1": "Shop A", "p2": "Shop B"}), "vi")
    assert t_vi.frame.iloc[0]["average_response_time"] == pytest.approx(108_000.0)
    vi = tables.display_values(t_vi, "vi")
    en = tables.display_values(v.leaderboard_table(v.leaderboard(T), "en"), "en")
    assert vi.iloc[0]["average_response_time"] == "1 phút 48 giây"
    assert en.iloc[0]["average_response_time"] == "1 min 48 s"
    assert vi.iloc[0]["page_name"] == "Shop A, Shop B" and t_vi.column("page_name").label == "Trang"
    assert vi.iloc[0]["share_of_replies"] == "81,8 %" and en.iloc[0]["share_of_replies"] == "81.8%"
    assert t_vi.column("average_response_time").label == "Thời gian phản hồi TB"
    assert "unique_inbox_count" not in t_vi.column("average_response_time").help and any(w in t_vi.column("average_response_time").help for w in ("reply sessions", "số phiên trả lời"))


def test_leaderboard_table_holds_numbers_and_sorts_response_time_numerically():
    """Regression: the table held formatted text, so a header click sorted "5 phút" before
    "40 giây" and the slowest member came first. Numbers now, formatted per column."""
    t = totals([("p1", "fast", "Fast", "f", 10, 0, 0, 0, 10, 0, 316.0, pd.NA),
                ("p1", "slow", "Slow", "f", 20, 0, 0, 0, 10, 0, 1_178_000.0, pd.NA),
                ("p1", "mid", "Mid", "f", 30, 0, 0, 0, 10, 0, 40_000.0, pd.NA)])
    tbl = v.leaderboard_table(v.leaderboard(t), "vi")
    for key in tbl.shown:
        if tbl.column(key).unit != "text":
            assert pd.api.types.is_numeric_dtype(tbl.frame[key]), key
    assert list(tbl.frame.sort_values("average_response_time")["user_name"]) == ["Fast", "Mid", "Slow"]
    text = tables.display_values(tbl, "vi")["average_response_time"]
    assert list(text) == ["40 giây", "19 phút 38 giây", "< 1 giây"]  # Mid, Slow, Fast: most replies first
    # the old text column sorted "19 phút 38 giây" first: the slowest member on top
    assert tbl.frame.loc[text.sort_values().index[0], "user_name"] == "Slow"


def test_idle_member_has_no_response_time():
    """Regression: a member without a reply session (the API sends average_response_time 0
    and no sessions) has no response time: NaN in the table and CSV, "—" on screen, never 0."""
    tot = staff_totals({"u1": api_user("Linh", 40, 10, 90_000),
                        "u2": api_user("Idle", 0, 0, 0)})
    b = v.leaderboard(tot)
    idle = b.set_index("user_id").loc["u2"]
    assert math.isnan(idle["average_response_time"])
    tbl = v.leaderboard_table(b, "vi")
    shown = tables.display_values(tbl, "vi").set_index(tbl.frame["user_id"])
    assert shown.loc["u2", "average_response_time"] == "—"
    csv = export.to_csv_bytes(tbl.frame).decode("utf-8-sig").splitlines()
    header = csv[0].split(",")
    row = next(r.split(",") for r in csv[1:] if r.startswith("u2,"))
    assert row[header.index("average_response_time")] == ""
    # the team's response time is the active member's, not diluted by the idle one's 0
    kp = by_field(v.kpis(tot, None), "vi")
    assert kp["average_response_time"].raw == pytest.approx(90_000.0)
    only_idle = by_field(v.kpis(staff_totals({"u2": api_user("Idle", 0, 0, 0)}), None), "vi")
    assert only_idle["average_response_time"].value == "—"
    pp = v.per_page(staff_totals({"u2": api_user("Idle", 0, 0, 0)}))
    assert math.isnan(pp.iloc[0]["average_response_time"])


def test_no_order_card_when_statistics_users_sends_none():
    """Regression: statistics/users sends no order_count: no card, never "0"."""
    tot = staff_totals({"u1": api_user("Linh", 40, 10, 90_000)})
    assert tot["order_count"].isna().all()
    fields = [k.field for k in v.kpis(tot, tot)]
    assert "order_count" not in fields
    assert "order_count" not in v.leaderboard_table(v.leaderboard(tot), "en").frame.columns
    assert v.board(tot, n=5)["order_count"].isna().all()  # the standup board: unknown, not 0


def test_kpis_weighted_and_inverted_response_time():
    prev = totals([("p1", "u1", "Linh", "f1", 100, 0, 1, 0, 10, 0, 200_000.0, pd.NA)])
    c = by_field(v.kpis(T, prev))
    assert c["inbox_count"].raw == 190 and c["inbox_count"].value == "190"
    assert c["inbox_count"].color == "green" and c["inbox_count"].arrow == "up"
    # (60000*10 + 120000*40 + 30000*20) / 70
    assert c["average_response_time"].raw == pytest.approx(6_000_000 / 70)
    assert c["average_response_time"].arrow == "down"
    assert c["average_response_time"].color == "green"  # lower is better
    assert c["average_response_time"].delta.startswith("-")  # ASCII: Streamlit reads it as a fall
    assert "unique_inbox_count" not in c["average_response_time"].help and any(w in c["average_response_time"].help for w in ("reply sessions", "số phiên trả lời"))
    assert c["inbox_count"].label == "Messages sent"
    assert by_field(v.kpis(T, prev), "vi")["inbox_count"].label == "Tin nhắn đã gửi"
    assert all(k.previous is None for k in v.kpis(T, prev, compare=False))


def test_kpi_order_card_uses_staff_meaning():
    t2 = T.copy()
    t2["order_count"] = pd.array([3, 4, 1], dtype="Int64")
    c = by_field(v.kpis(t2, None), "vi")
    assert c["order_count"].label == "Đơn đã chốt" and c["order_count"].raw == 8
    assert c["order_count"].delta is None


def test_card_zero_weight_response_time_is_dash():
    z = totals([("p1", "u1", "A", "f", 0, 0, 0, 0, 0, 0, 0.0, pd.NA)])
    c = by_field(v.kpis(z, z), "vi")
    assert math.isnan(c["average_response_time"].raw)
    assert c["average_response_time"].value == "—" and c["average_response_time"].delta is None


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
    assert list(m.index) == ["An (1)", "An (2)"]   # one page: numbered, never an id on screen
    named = v.hour_matrix(h.assign(page_id=["p1", "p2"]), page_names={"p1": "Shop A", "p2": "Shop B"})
    assert list(named.index) == ["An · Shop A", "An · Shop B"]
    assert len(v.hour_matrix(h, top=1)) == 1


def test_replies_figure_reads_leaderboard():
    fig = v.replies_figure(v.leaderboard(T), "en")
    names = [t.name for t in fig.data]
    assert names == ["Messages sent", "Comment replies"]
    assert list(fig.data[0].x) == [150, 40] and list(fig.data[1].x) == [30, 0]
    assert list(fig.data[0].y) == ["Linh", "Nam"]


def test_replies_figure_keeps_namesakes_on_different_pages_apart():
    """Two people called An on two pages: two bars, each named with its page (never an id)."""
    t = totals([("p1", "aaaaaa1", "An", "f", 5, 0, 0, 0, 1, 0, 1.0, pd.NA),
                ("p2", "aaaaaa2", "An", "f", 3, 0, 0, 0, 1, 0, 1.0, pd.NA),
                ("p2", "c", "Binh", "f", 1, 0, 0, 0, 1, 0, 1.0, pd.NA)])
    fig = v.replies_figure(v.leaderboard(t), "vi")
    assert list(fig.data[0].y) == ["An · p1", "An · p2", "Binh"]
    assert list(fig.data[0].x) == [5, 3, 1]
    assert v.labels(["An", "An", "Binh"], ["Shop A", "Shop A", "Shop B"]) == ["An (1)", "An (2)", "Binh"]
    assert v.labels(["An", "An"]) == ["An (1)", "An (2)"]


def test_per_page_weighted():
    pp = v.per_page(T, {"p1": "A", "p2": "B"})
    p1 = pp.set_index("page_id").loc["p1"]
    assert p1["inbox_count"] == 140 and p1["page_name"] == "A"
    assert p1["average_response_time"] == pytest.approx((60_000 * 10 + 30_000 * 20) / 30)
    d = tables.display_values(v.per_page_table(pp, "vi"), "vi")
    assert d.iloc[0]["page_name"] == "A" and d.iloc[0]["average_response_time"] == "40 giây"


def test_board_for_the_standup_screen():
    b = v.board(T, {"p1": "Shop A"}, n=1)
    assert list(b["user_name"]) == ["Linh"] and b.iloc[0]["page_name"] == "Shop A, p2"


def test_empty_inputs():
    b = v.leaderboard(None)
    assert b.empty and list(b.columns) == v.LEADERBOARD_COLUMNS
    assert v.hour_matrix(None).empty
    assert v.per_page(None).empty
    assert v.leaderboard_table(b, "en").frame.empty


# --- issue 17, item 10: people merged across pages by their Pancake user id, named once ----------

QUYET = "c5a50cce-fb0a-4eb3-892a-74ad182f7c03"     # the reference's own user id


def page_staff(page_id: str, users: dict, hours: dict | None = None) -> dict:
    """A reference-shaped statistics/users payload of one page through the staff kind."""
    kind = kinds.get("staff")
    payload = {"data": {"statistics": hours or {}, "users": users}, "success": True}
    chunk = Chunk(start=date(2026, 1, 5), end=date(2026, 1, 11), payload=payload)
    return kind.merge([kind.reshape(chunk, page_id, hourly=False)], hourly=False)


def reference_user(name, inbox, comment, sessions, art):
    """Numbers as the API may send them: strings, and a null."""
    return {"average_response_time": art, "comment_count": comment, "hour": "2026-01-11T13:00:00",
            "inbox_count": inbox, "phone_number_count": None, "private_reply_count": "0",
            "unique_comment_count": 0, "unique_inbox_count": sessions, "user_fb_id": "570423649807405",
            "user_name": name}


def hour_row(hour, inbox, comment):
    return {"average_response_time": 60_000, "comment_count": comment, "hour": hour, "inbox_count": inbox,
            "phone_number_count": 0, "private_reply_count": 0, "unique_comment_count": 0, "unique_inbox_count": 1}


def three_pages():
    """Quyết (one Pancake user id) on three pages, named "Quyết Nguyễn" on two of them and "Quyết"
    on the third; two different people called "An" (two ids) on p1 and p2."""
    p1 = page_staff("p1", {QUYET: reference_user("Quyết", "100", 10, "10", 60_000),
                           "an-1": reference_user("An", 30, 0, 5, 30_000)},
                    {QUYET: [hour_row("2026-01-05T09:00:00", 4, 1)], "an-1": [hour_row("2026-01-05T10:00:00", 2, 0)]})
    p2 = page_staff("p2", {QUYET: reference_user("Quyết Nguyễn", 50, "0", 30, "120000"),
                           "an-2": reference_user("An", 20, 0, 5, None)},
                    {QUYET: [hour_row("2026-01-06T09:00:00", 3, 0)], "an-2": [hour_row("2026-01-06T11:00:00", 1, 0)]})
    p3 = page_staff("p3", {QUYET: reference_user("Quyết Nguyễn", 10, 0, 0, None)},
                    {QUYET: [hour_row("2026-01-07T20:00:00", 1, 0)]})
    return {n: pd.concat([p[n] for p in (p1, p2, p3)], ignore_index=True) for n in ("totals", "hourly")}


PAGES = {"p1": "Shop A", "p2": "Shop B", "p3": "Shop C"}


def test_the_same_user_id_on_three_pages_is_one_person_named_once():
    """Regression (issue 17, 10). By hand: Quyết sent 100 + 50 + 10 = 160 messages and 10 + 0 +
    0 = 10 comment replies; response time (60000 * 10 + 120000 * 30) / 40 = 105000 ms (p3 has no
    session); named "Quyết Nguyễn" (two pages of three say so) everywhere: the leaderboard, its
    table, the chart and the heatmap."""
    f = three_pages()
    b = v.leaderboard(f["totals"], PAGES)
    assert list(b["user_id"]).count(QUYET) == 1 and len(b) == 3
    q = b.set_index("user_id").loc[QUYET]
    assert (q["inbox_count"], q["comment_count"]) == (160, 10)
    assert q["average_response_time"] == pytest.approx(105_000.0)
    assert q["user_name"] == "Quyết Nguyễn" and q["page_name"] == "Shop A, Shop B, Shop C"
    shown = v.leaderboard_table(b, "en").frame["user_name"].dropna().tolist()
    assert shown.count("Quyết Nguyễn") == 1 and "Quyết" not in shown
    m = v.hour_matrix(f["hourly"], page_names=PAGES)
    assert list(m.index).count("Quyết Nguyễn") == 1 and "Quyết" not in list(m.index)
    assert m.loc["Quyết Nguyễn", 9] == 8 and m.loc["Quyết Nguyễn", 20] == 1    # (4+1) + 3, and 1
    bars = [y for tr in v.replies_figure(b, "en").data for y in tr.y]
    assert bars.count("Quyết Nguyễn") == 2          # one bar per series, one person


def test_the_same_name_with_different_ids_stays_two_people_labelled_apart():
    f = three_pages()
    b = v.leaderboard(f["totals"], PAGES)
    ans = b[b["user_name"] == "An"]
    assert sorted(ans["user_id"]) == ["an-1", "an-2"]
    assert sorted(ans["inbox_count"]) == [20, 30]
    labels = v.leaderboard_table(b, "en").frame["user_name"].dropna().tolist()
    assert "An · Shop A" in labels and "An · Shop B" in labels
    m = v.hour_matrix(f["hourly"], page_names=PAGES)
    assert {"An · Shop A", "An · Shop B"} <= set(m.index)


def test_one_name_per_person_rule_and_its_empty_cases():
    t = totals([("p2", " u1", "Linh B", "f", 1, 0, 0, 0, 1, 0, 1.0, pd.NA),
                ("p1", "u1", "Linh A", "f", 1, 0, 0, 0, 1, 0, 1.0, pd.NA),      # tie: p1 first by id
                ("p1", "u2", None, "f", 1, 0, 0, 0, 1, 0, 1.0, pd.NA),
                ("p2", "u2", "", "f", 1, 0, 0, 0, 1, 0, 1.0, pd.NA),
                ("p3", 7, "Bảy", "f", 1, 0, 0, 0, 1, 0, 1.0, pd.NA),
                ("p4", "7", None, "f", 1, 0, 0, 0, 1, 0, 1.0, pd.NA)])
    assert v.member_names(t) == {"u1": "Linh A", "7": "Bảy"}
    b = v.leaderboard(t)
    assert sorted(b["user_id"]) == ["7", "u1", "u2"]
    assert dict(zip(b["user_id"], b["user_name"])) == {"u1": "Linh A", "u2": "#u2", "7": "Bảy"}
    assert v.member_names(t.iloc[0:0]) == {} and v.member_names(None) == {}
    assert v.member_names(t[t["user_name"] == "nobody"]) == {}


def test_an_agency_namesake_is_named_once_never_with_a_list_of_pages():
    # two people called "Vũ Đức Anh": one on five pages, one on one page; a third on one page
    names = ["Vũ Đức Anh", "Vũ Đức Anh", "Bình"]
    pages = ["Giày #2, Giày #7, Giày #12, Giày #17, Giày #22", "Thời Trang #0", "Giày #2, Giày #7"]
    assert v.labels(names, pages) == ["Vũ Đức Anh", "Vũ Đức Anh · Thời Trang #0", "Bình"]
    both_many = ["Giày #2, Giày #7", "Thời Trang #0, Thời Trang #5"]
    assert v.labels(["An", "An"], both_many) == ["An (1)", "An (2)"]
    assert v.labels(["An", "An"], [None, ""]) == ["An (1)", "An (2)"]
    assert v.labels([], []) == []

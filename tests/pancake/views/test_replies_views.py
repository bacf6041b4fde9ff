"""The response-times page's views (issue 21): cards, drill-down, conversations, chat marks,
Staff columns, the weekday × hour grid; numbers written by hand; empty cases."""
from __future__ import annotations

import pandas as pd

from pancake.numbers import hours as hmod
from pancake.numbers import replies
from pancake.numbers.views import replies as v
from tests.pancake.test_replies import HOURS, cust, staff, turns_of

CONVS = pd.DataFrame({"page_id": ["111", "111"], "conversation_id": ["c1", "c2"], "customer_id": ["k1", "k2"],
                      "customer_name": ["Lan", "Huệ"], "type": ["INBOX", "COMMENT"], "tag_names": ["VIP", ""]})


def two_conversations():
    # c1: Mon 09:00 -> 09:04 (Hoa, 240 s), 10:00 -> 10:40 (Minh, 2400 s: a next-reply miss)
    # c2: Mon 09:00 -> 09:20 (Hoa, 1200 s: a first-reply miss)
    return turns_of([cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:04", "b"),
                     cust("2026-12-07 10:00", "c"), staff("2026-12-07 10:40", "d", who="Minh", uid="u-minh"),
                     cust("2026-12-07 09:00", "e", conv="c2"), staff("2026-12-07 09:20", "f", conv="c2")],
                    conversations=CONVS)


def test_cards_in_ms_with_the_previous_period():
    t = two_conversations()
    cards = {k.field: k for k in v.kpis(replies.summary(t), replies.summary(t.head(1)), has_targets=True)}
    assert cards["turns"].value == 3 and cards["turns"].previous == 1
    assert cards["median_wait"].value == 1_200_000.0          # waits 240, 1200, 2400: median 1200 s
    assert cards["within_target"].value == 1 / 3 and cards["within_target"].previous == 1.0
    assert "within_target" not in {k.field for k in v.kpis(replies.summary(t), None)}


def test_drill_by_staff_group_slot_tag():
    t = two_conversations()
    assert v.drill_turns(t, v.Drill("staff", "u-minh"), "business", "Asia/Ho_Chi_Minh")["wait_seconds"].tolist() == [2400.0]
    assert len(v.drill_turns(t, v.Drill("group", "lt5m"), "business", "Asia/Ho_Chi_Minh")) == 1     # 240 s
    assert len(v.drill_turns(t, v.Drill("slot", "0-9"), "business", "Asia/Ho_Chi_Minh")) == 2      # Monday 09:xx
    assert v.drill_turns(t, v.Drill("tag", "VIP"), "business", "Asia/Ho_Chi_Minh")["conversation_id"].unique().tolist() == ["c1"]
    assert v.drill_turns(t, v.Drill("tag", ""), "business", "Asia/Ho_Chi_Minh")["conversation_id"].tolist() == ["c2"]
    assert v.drill_turns(t, v.Drill("slot", "x"), "business", "Asia/Ho_Chi_Minh").empty
    assert v.parse_drill("nope:1") is None and v.parse_drill("page:111") == v.Drill("page", "111")


def test_conversations_slowest_first():
    c = v.conversations_of(two_conversations(), CONVS, "business")
    assert c["conversation_id"].tolist() == ["c1", "c2"]
    assert c["longest"].tolist() == [2_400_000.0, 1_200_000.0]
    assert c["first"].tolist() == [240_000.0, 1_200_000.0]
    assert c["missed"].tolist() == [1, 1] and c["customer_name"].tolist() == ["Lan", "Huệ"]
    assert v.conversations_of(replies.empty_turns(), CONVS, "business").empty


def test_staff_columns_and_total():
    t = two_conversations()
    cols = v.staff_columns(t, "business").set_index("user_id")
    assert cols.loc["u-hoa", "reply_median"] == 720_000.0          # 240 and 1200 s: 720 s
    assert cols.loc["u-hoa", "reply_within"] == 0.5
    assert cols.loc["u-minh", "reply_p90"] == 2_400_000.0
    total = v.staff_total(t, "business")
    assert total["reply_median"] == 1_200_000.0 and total["reply_within"] == 1 / 3
    assert v.staff_columns(replies.empty_turns(), "business").empty
    assert v.staff_total(None, "business") == {"reply_median": None, "reply_p90": None, "reply_within": None}


def test_chat_marks_where_each_turn_starts_and_ends():
    t = two_conversations()
    mine = t[t["conversation_id"] == "c1"]
    marks = v.turn_marks(mine, "en", "business")
    assert marks == {"a": "▶ Turn 1 starts (First response)", "b": "■ Turn 1 answered after 4 min",
                     "c": "▶ Turn 2 starts (Next response)", "d": "■ Turn 2 answered after 40 min"}
    vi = v.turn_marks(mine, "vi", "business")
    assert vi["a"] == "▶ Lượt 1 bắt đầu (Phản hồi đầu tiên)"


def test_slot_grid_minutes_and_empty():
    g = v.slot_grid(two_conversations(), "Asia/Ho_Chi_Minh", "business")
    assert g.loc[0, 9] == 12.0          # Monday 09:00: waits 240 and 1200 s, median 720 s = 12 min
    assert g.loc[0, 10] == 40.0
    assert g.isna().sum().sum() == 7 * 24 - 2
    assert v.slot_grid(replies.empty_turns(), "Asia/Ho_Chi_Minh", "business").isna().all().all()


def test_basis_follows_the_file_unless_the_url_says():
    assert v.basis_of(None, HOURS) == "business"
    assert v.basis_of(None, hmod.load(None, "Asia/Ho_Chi_Minh")) == "calendar"
    assert v.basis_of("calendar", HOURS) == "calendar" and v.basis_of("bogus", HOURS) == "business"


def test_the_download_is_the_export():
    t = two_conversations()
    assert v.export_rows(t, HOURS).equals(replies.export_frame(t, HOURS))


def test_pancake_average_unknown_is_none():
    assert v.pancake_average(None) is None
    frame = pd.DataFrame({"page_id": ["1"], "user_id": ["u"], "average_response_time": [60_000.0],
                          "unique_inbox_count": [2], "unique_comment_count": [0]})
    assert v.pancake_average(frame) == 60_000.0


def test_median_bars_ticks_read_as_durations():
    b = v.breakdown(two_conversations(), "staff", "business", "en", staff={"u-hoa": "Hoa", "u-minh": "Minh"})
    assert b["label"].tolist() == ["Hoa", "Minh"]
    fig = v.median_bars(b, "en")
    assert list(fig.layout.xaxis.ticktext)[:3] == ["0", "10 min", "20 min"]



def test_a_clicked_bar_or_cell_is_its_drill_down():
    assert v.drill_from_point("group", {"point_index": 2}, ["lt5m", "5to15m", "15to60m"], "en") == \
        v.Drill("group", "15to60m")
    assert v.drill_from_point("slot", {"x": "09", "y": "Mon"}, None, "en") == v.Drill("slot", "0-9")
    assert v.drill_from_point("page", {"point_index": 5}, ["a"], "en") is None
    assert v.drill_from_point("page", {}, ["a"], "en") is None
    assert v.drill_from_point("slot", {"x": "09", "y": "Someday"}, None, "en") is None


def test_two_people_with_one_name_never_share_a_bar():
    """Regression (issue 19, 24 pages): two staff members both named "Vũ Đức Anh" were two rows
    named alike and one merged bar on the response-times page; as on the Staff page, a namesake
    working on one page gets it, namesakes on one page are numbered."""
    convs = pd.DataFrame({"page_id": ["111", "222", "111", "222"], "conversation_id": ["c1", "c2", "c3", "c4"],
                          "customer_id": ["k1", "k2", "k3", "k4"], "customer_name": ["Lan", "Huệ", "Mai", "Đào"],
                          "type": ["INBOX"] * 4, "tag_names": [""] * 4})
    t = turns_of([cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:04", "b", who="An", uid="u-an1"),
                  cust("2026-12-07 09:00", "c", conv="c2", page="222"),
                  staff("2026-12-07 09:10", "d", conv="c2", page="222", who="An", uid="u-an2"),
                  cust("2026-12-07 09:00", "e", conv="c4", page="222"),
                  staff("2026-12-07 09:30", "f", conv="c4", page="222", who="An", uid="u-an2"),
                  cust("2026-12-07 09:00", "g", conv="c3"), staff("2026-12-07 09:02", "h", conv="c3", who="Bình",
                                                                   uid="u-binh")],
                 conversations=convs)
    names = {"u-an1": "An", "u-an2": "An", "u-binh": "Bình"}
    b = v.breakdown(t, "staff", "business", "vi", staff=names, page_names={"111": "Shop A", "222": "Shop B"})
    assert b["key"].tolist() == ["u-an2", "u-an1", "u-binh"]            # most turns first, then by name
    assert b["label"].tolist() == ["An · Shop B", "An · Shop A", "Bình"]
    assert v.breakdown(t, "staff", "business", "vi", staff=names)["label"].tolist() == ["An · 222", "An · 111", "Bình"]
    one_page = v.breakdown(t[t["page_id"] == "111"], "staff", "business", "en",
                           staff={"u-an1": "An", "u-binh": "An"}, page_names={"111": "Shop A"})
    assert sorted(one_page["label"]) == ["An (1)", "An (2)"]           # alike on one page: numbered
    assert v.breakdown(replies.empty_turns(), "staff", "business", "en", staff=names).empty

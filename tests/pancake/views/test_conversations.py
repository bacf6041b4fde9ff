"""/conversations computations on hand-built frames: totals and shares from paired sums,
breakdowns (every type, tags exploded, unknown kept apart), days and weekday × hour, tables,
the drill-down from a clicked point, the export frame and the standup's longest waits."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from pancake import fmt
from pancake.numbers import conversations as conv
from pancake.numbers.views import briefing, cards, tables
from pancake.numbers.views import conversations as v

TZ = "UTC"   # local = UTC here: times read as written


def conv_row(cid, *, typ="INBOX", tags=(), staff=(), phone=False, ads=None, at="2026-07-06T09:10:00",
             count=4, page="p1", customer=None, last=None, updated=None):
    row = {"id": cid, "page_id": page, "type": typ, "inserted_at": at, "updated_at": updated or at,
           "tags": list(tags), "current_assign_users": [{"id": s, "name": s.title()} for s in staff],
           "has_phone": phone, "message_count": count,
           "customers": [{"id": f"cu-{cid}", "fb_id": f"ps-{cid}", "name": customer or f"Khách {cid}"}],
           "last_sent_by": last or {"id": page}}
    if ads is not None:
        row["ad_ids"] = ["ad1"] if ads else []
    return row


FRAME = conv.conversations_frame([
    conv_row("a", tags=[1], staff=["linh"], phone=True, ads=True, at="2026-07-06T09:10:00"),    # Monday
    conv_row("b", typ="COMMENT", tags=[1, 2], phone=False, ads=False, at="2026-07-06T09:40:00"),
    conv_row("c", tags=[], staff=["linh", "nam"], phone=None, ads=None, at="2026-07-04T20:00:00"),  # Saturday
], "p1", TZ, tag_names={"1": "Khách mới", "2": "Đã chốt"})


def test_totals_pair_the_phone_share_with_known_answers():
    t = v.totals(FRAME)
    assert t["conversations"] == 3 and (t["INBOX"], t["COMMENT"], t["LIVESTREAM"]) == (2, 1, 0)
    assert t["with_phone"] == 1 and t["phone_share"] == 0.5     # 1 of the 2 that say, not 1 of 3
    assert t["from_ads"] == 1


def test_kpi_cards_read_in_both_languages():
    drawn = {c.label: c.value for c in cards.cards(v.kpis(FRAME, "en"), "en", compare=False)}
    assert drawn["Conversations"] == "3" and drawn["Livestream"] == "0"
    assert drawn["Phone capture share"] == fmt.ratio_as_percent(0.5, "en")
    vi = [c.label for c in cards.cards(v.kpis(FRAME, "vi"), "vi", compare=False)]
    assert "Hội thoại" in vi and "Bình luận" in vi


def test_unknown_from_ads_is_unknown_not_zero():
    only_unknown = FRAME[FRAME["conversation_id"] == "c"].reset_index(drop=True)
    assert v.totals(only_unknown)["from_ads"] is None
    assert v.totals(only_unknown)["phone_share"] is None


def test_by_type_lists_every_documented_type():
    b = v.by_type(FRAME, "en")
    assert list(b["key"]) == ["INBOX", "COMMENT", "LIVESTREAM"] and list(b["conversations"]) == [2, 1, 0]
    assert list(b["label"]) == ["Inbox", "Comment", "Livestream"]
    assert b["share"].round(4).tolist() == [0.6667, 0.3333, 0.0]


def test_by_tag_counts_each_tag_and_no_tag():
    b = v.by_tag(FRAME, "en").set_index("key")["conversations"].to_dict()
    assert b == {"Khách mới": 2, "Đã chốt": 1, conv.NONE_VALUE: 1}
    a = v.by_assignee(FRAME, "vi")
    assert list(zip(a["key"], a["label"], a["conversations"])) == [
        ("linh", "Linh", 2), (conv.NONE_VALUE, "(chưa phân công)", 1), ("nam", "Nam", 1)]


def test_flags_keep_unknown_apart():
    b = v.by_flag(FRAME, "has_phone", "en")
    assert list(zip(b["label"], b["conversations"])) == [("Yes", 1), ("No", 1), ("Unknown", 1)]


def test_days_and_weekday_hour():
    d = v.by_day(FRAME, date(2026, 7, 4), date(2026, 7, 6))
    assert list(d["conversations"]) == [1, 0, 2] and list(d["comment"]) == [0, 0, 1]
    grid = v.weekday_hour(FRAME)
    assert grid.shape == (7, 24) and int(grid.loc[0, 9]) == 2 and int(grid.loc[5, 20]) == 1
    assert int(grid.to_numpy().sum()) == 3


def test_drill_from_clicked_points():
    b = v.by_tag(FRAME, "en")
    assert v.drill_from_point("tag", {"y": "(no tag)", "x": 1}, b, "en") == conv.Drill("tag", conv.NONE_VALUE)
    assert v.drill_from_point("tag", {"y": "Khách mới", "x": 2}, b, "en") == conv.Drill("tag", "Khách mới")
    assert v.drill_from_point("slot", {"x": "09", "y": fmt.weekday_name(0, "vi")}, None, "vi") == conv.Drill("slot", "0-9")
    assert v.drill_from_point("day", {"x": "2026-07-04 00:00:00", "y": 1}) == conv.Drill("day", "2026-07-04")
    assert v.drill_from_point("tag", {"y": "nothing"}, b, "en") is None
    assert v.drill_text(conv.Drill("type", "COMMENT"), "en") == "By type: Comment"


def test_conversation_table_holds_values_and_ids():
    tbl = v.conversation_table(FRAME, "en", {"p1": "Shop"})
    assert tbl.shown[:3] == ["customer_name", "page_name", "type_name"]
    assert "conversation_id" in tbl.frame.columns and "conversation_id" not in tbl.shown
    assert str(tbl.frame["message_count"].dtype) == "Int64"
    out = tables.for_download(tbl, "en")
    assert "Conversation ID" in out.columns and len(out) == 3   # ids in the file (headed in words), hidden on screen


def test_export_frame_one_row_per_conversation_oldest_first():
    e = v.export_frame(FRAME, {"p1": "Shop"})
    assert list(e.columns) == v.EXPORT_COLUMNS
    assert list(e["conversation_id"]) == ["c", "a", "b"]
    row = e.set_index("conversation_id").loc["b"]
    assert row["tags"] == "Khách mới; Đã chốt" and row["page_name"] == "Shop" and bool(row["from_ads"]) is False
    assert pd.isna(e.set_index("conversation_id").loc["c", "has_phone"])


def test_waiting_table_and_longest_waits():
    frame = conv.conversations_frame([
        conv_row("x", customer="Hà", last={"id": "ps-x"}, updated="2026-07-06T13:00:00"),
        conv_row("y", customer="Nam", last={"id": "ps-y"}, updated="2026-07-06T14:20:00"),
        conv_row("z")], "p1", TZ)
    w = conv.waiting(frame, datetime(2026, 7, 6, 14, 30), 15)
    lines = briefing.longest_waits(w, 5, "en", {"p1": "Shop"})
    assert lines == ["⚠️ Hà · Shop · 1 h 30 min", "Nam · Shop · 10 min"]
    assert briefing.longest_waits(w, 1, "vi", {"p1": "Shop"}) == ["⚠️ Hà · Shop · 1 giờ 30 phút"]
    wt = v.waiting_table(w, "en", {"p1": "Shop"})
    assert list(wt.frame["wait_ms"]) == [90 * 60_000.0, 10 * 60_000.0]
    assert tables.display_values(wt, "en")["over"].tolist() == ["⚠️ over threshold", ""]


def test_customers_kpis_and_days():
    cust = conv.page_customers_frame([{"id": "a", "inserted_at": "2026-07-05T10:00:00", "phone_numbers": ["09"]},
                                      {"id": "b", "inserted_at": "2026-07-05T11:00:00", "phone_numbers": []}],
                                     "p1", TZ)
    k = {x.field: x.value for x in v.customer_kpis(cust)}
    assert k == {"customers": 2, "with_phone": 1, "phone_share": 0.5}
    d = v.new_customers_by_day(cust, date(2026, 7, 4), date(2026, 7, 5))
    assert list(d["customers"]) == [0, 2]


def test_capped_customers_show_the_apis_count_and_no_phone_figures():
    frame = pd.DataFrame({"page_id": ["p"] * 3, "customer_id": ["a", "b", "c"],
                          "has_phone": pd.array([True, False, True], dtype="boolean")})
    full = {k.field: k.value for k in v.customer_kpis(frame)}
    assert full["customers"] == 3 and full["with_phone"] == 2
    part = {k.field: k.value for k in v.customer_kpis(frame, 40, complete=False)}
    assert part == {"customers": 40, "with_phone": None, "phone_share": None}


# --- the reader (issue 17, item 11) ------------------------------------------------------------

READER_PID = "110699180573884"
# shaped like the reference's messages: ``from`` with admin_id/admin_name on page replies,
# is_automated/ai_generated on a bot's; ids as numbers or strings, nulls where the API sends them
READER_MESSAGES = [
    {"id": "m4", "inserted_at": "2026-07-06T01:20:00", "conversation_id": "c1", "message": "<div>Dạ còn ạ</div>",
     "original_message": "Dạ còn ạ", "from": {"id": 110699180573884, "name": "MemeViet",
                                              "admin_id": "570423649807405", "admin_name": "Quyết Nguyễn"}},
    {"id": "m3", "inserted_at": "2026-07-06T01:10:00", "conversation_id": "c1", "message": "Shop **đang bận**",
     "from": {"id": READER_PID, "name": "MemeViet", "admin_id": "web_1", "admin_name": "BotcakeAI",
              "is_automated": "true", "ai_generated": None}},
    {"id": "m2", "inserted_at": "2026-07-06T01:05:00", "conversation_id": "c1", "message": None,
     "attachments": [{"type": "photo"}], "from": {"id": "2810250135746666", "name": "Hà [link](x)"}},
    {"id": "m1", "inserted_at": "2026-07-06T01:00:00", "conversation_id": "c1", "message": "Còn size M?",
     "from": {"id": "2810250135746666", "name": "Hà [link](x)"}},
    {"id": "m5", "inserted_at": None, "conversation_id": "c1", "message": "?", "from": {}},
]


def test_the_reader_names_each_side_not_unknown():
    """Regression (issue 17, 11): every message read "Unknown" as its side (``v is True`` on
    numpy booleans). By hand: m1, m2 the customer's; m3 a bot's reply; m4 Quyết Nguyễn's; m5 no
    sender (unknown)."""
    f = conv.messages_frame(READER_MESSAGES, READER_PID, TZ)
    assert list(f["message_id"]) == ["m1", "m2", "m3", "m4", "m5"]
    table = v.messages_table(f, "en").frame
    assert list(table["who"]) == ["Customer", "Customer", "Bot", "Page", "Unknown"]
    assert list(v.messages_table(f, "vi").frame["who"]) == ["Khách", "Khách", "Tự động", "Trang", "Không rõ"]
    assert list(f["staff_name"]) == ["", "", "BotcakeAI", "Quyết Nguyễn", ""]
    assert list(f["bot"].astype(object).where(f["bot"].notna(), None)) == [None, None, True, None, None]


def test_the_reader_as_a_chat():
    f = conv.messages_frame(READER_MESSAGES, READER_PID, TZ)
    lines = v.chat_lines(f, "en", customer_name="Nguyễn Thu Hà", page_name="MemeViet")
    assert [(x.side, x.who, x.at, x.text, x.bot) for x in lines] == [
        ("customer", "Hà [link](x)", "06/07 01:00", "Còn size M?", False),
        ("customer", "Hà [link](x)", "06/07 01:05", "[1 attachment(s)]", False),
        ("page", "BotcakeAI (bot)", "06/07 01:10", "Shop **đang bận**", True),   # text kept as written
        ("page", "Quyết Nguyễn", "06/07 01:20", "Dạ còn ạ", False),
        ("unknown", "Unknown", "", "?", False),
    ]
    vi = v.chat_lines(f, "vi", page_name="MemeViet")
    assert vi[2].who == "BotcakeAI (tự động)" and vi[1].text == "[1 tệp đính kèm]"


def test_a_page_reply_without_a_staff_name_carries_the_pages_name():
    msgs = [{"id": "a", "inserted_at": "2026-07-06T01:00:00", "message": "", "from": {"id": READER_PID}}]
    lines = v.chat_lines(conv.messages_frame(msgs, READER_PID, TZ), "en", page_name="MemeViet")
    assert [(x.side, x.who, x.text) for x in lines] == [("page", "MemeViet", "[no text]")]


def test_the_reader_of_no_message_is_empty():
    empty = conv.messages_frame([], READER_PID, TZ)
    assert v.chat_lines(empty, "en") == [] and v.chat_lines(None, "en") == []
    assert v.messages_table(empty, "en").frame.empty


def test_numpy_booleans_name_their_side():
    import numpy as np
    assert [v.message_side(x) for x in (np.bool_(True), np.bool_(False), True, False, pd.NA, None)] == [
        "customer", "page", "customer", "page", "unknown", "unknown"]


def test_a_capped_notice_names_few_pages_and_counts_many():
    """Regression (issue 19, 24 pages): the capped notices listed all 24 page names, a wall of
    text; every page shown is "all 24 pages", many of them the first three and how many more."""
    names = [f"Shop {i}" for i in range(1, 25)]
    assert v.pages_named(names, 24, "vi") == "cả 24 trang"
    assert v.pages_named(names, 24, "en") == "all 24 pages"
    assert v.pages_named(names[:20], 24, "en") == "Shop 1, Shop 2, Shop 3 and 17 more pages"
    assert v.pages_named(names[:20], 24, "vi") == "Shop 1, Shop 2, Shop 3 và 17 trang khác"
    assert v.pages_named(names[:5], 24, "en") == "Shop 1, Shop 2, Shop 3, Shop 4, Shop 5"
    assert v.pages_named(["Shop 1"], 1, "en") == "Shop 1"          # one page shown: its name
    assert v.pages_named(["Shop 1", "Shop 2"], 2, "vi") == "cả 2 trang"
    assert v.pages_named([], 24, "en") == ""
    assert v.pages_named(names[:6] * 200, 24_000, "vi") == "Shop 1, Shop 2, Shop 3 và 1.197 trang khác"


# --- by assignee: staff by id, labelled by name ----------------------------------------------------

def staff_row(cid, page, *staff, at="2026-07-06T09:10:00"):
    """A conversation on ``page`` assigned to ``(id, name)`` pairs."""
    return {"id": cid, "page_id": page, "type": "INBOX", "inserted_at": at, "updated_at": at, "tags": [],
            "current_assign_users": [{"id": i, "name": n} for i, n in staff], "message_count": 1,
            "customers": [{"id": f"cu-{cid}", "name": f"Khách {cid}"}], "last_sent_by": {"id": page}}


NAMESAKES = conv.concat([
    conv.conversations_frame([staff_row("a1", "p1", ("u1", "An")), staff_row("a2", "p1", ("u1", "An")),
                              staff_row("a3", "p1", ("u1", "An"), ("u3", "Bình")), staff_row("a4", "p1")],
                             "p1", TZ),
    conv.conversations_frame([staff_row("b1", "p2", ("u2", "An")), staff_row("b2", "p2")], "p2", TZ),
])
SHOPS = {"p1": "Shop A", "p2": "Shop B"}


def test_namesakes_on_two_pages_are_two_bars_told_apart_by_page():
    """Two people called An (u1 on Shop A, u2 on Shop B) were one bar "An" with 4."""
    b = v.by_assignee(NAMESAKES, "en", SHOPS)
    assert list(zip(b["key"], b["label"], b["conversations"])) == [
        ("u1", "An · Shop A", 3), (conv.NONE_VALUE, "(unassigned)", 2), ("u2", "An · Shop B", 1),
        ("u3", "Bình", 1)]
    assert b["share"].round(4).tolist() == [0.5, 0.3333, 0.1667, 0.1667]   # of 6 conversations
    assert v.by_assignee(NAMESAKES, "vi", SHOPS)["label"].tolist()[1] == "(chưa phân công)"
    # without page names the pages' ids tell them apart
    assert v.by_assignee(NAMESAKES, "en")["label"].tolist()[0] == "An · p1"


def test_namesakes_on_one_page_are_numbered():
    f = conv.conversations_frame([staff_row("a", "p1", ("u1", "An")), staff_row("b", "p1", ("u2", "An")),
                                  staff_row("c", "p1", ("u2", "An"))], "p1", TZ)
    b = v.by_assignee(f, "en", SHOPS)
    assert list(zip(b["key"], b["label"], b["conversations"])) == [("u2", "An (2)", 2), ("u1", "An (1)", 1)]


def test_a_conversation_with_two_assignees_counts_once_for_each():
    f = conv.conversations_frame([staff_row("a", "p1", ("u1", "An"), ("u2", "Bình"))], "p1", TZ)
    b = v.by_assignee(f, "en", SHOPS)
    assert list(zip(b["key"], b["conversations"])) == [("u1", 1), ("u2", 1)]
    assert b["share"].tolist() == [1.0, 1.0]   # each of the one conversation


def test_unassigned_only_and_an_empty_frame():
    f = conv.conversations_frame([staff_row("a", "p1"), staff_row("b", "p1")], "p1", TZ)
    b = v.by_assignee(f, "en")
    assert list(zip(b["key"], b["label"], b["conversations"])) == [(conv.NONE_VALUE, "(unassigned)", 2)]
    empty = v.by_assignee(conv.empty_conversations(), "en", SHOPS)
    assert empty.empty and list(empty.columns) == ["key", "label", "conversations", "share"]
    assert v.assignee_labels(conv.empty_conversations()) == {}


def test_a_drill_on_one_id_selects_only_that_persons_conversations():
    pick = lambda text: sorted(conv.apply_drill(NAMESAKES, conv.parse_drill(text))["conversation_id"])  # noqa: E731
    assert pick("assignee:u1") == ["a1", "a2", "a3"]
    assert pick("assignee:u2") == ["b1"]          # the other An
    assert pick("assignee:u3") == ["a3"]
    assert pick("assignee:-") == ["a4", "b2"]
    assert pick("assignee:u9") == []               # nobody of that id in the range
    empty = conv.apply_drill(conv.empty_conversations(), conv.parse_drill("assignee:u1"))
    assert empty.empty
    # the bar's click gives the id; the notice names the person
    b = v.by_assignee(NAMESAKES, "en", SHOPS)
    assert v.drill_from_point("assignee", {"y": "An · Shop B", "x": 1}, b, "en") == conv.Drill("assignee", "u2")
    labels = dict(zip(b["key"], b["label"]))
    assert v.drill_text(conv.Drill("assignee", "u2"), "en", labels) == "By assignee: An · Shop B"
    assert v.drill_text(conv.Drill("assignee", "u9"), "en", labels) == "By assignee: u9"


def test_an_old_link_holding_a_name():
    """Before, the URL held the name: one person of that name -> their id; several -> dropped,
    with a notice in both languages; a name nobody has, an id, another filter -> as they are."""
    assert v.settle_drill(conv.Drill("assignee", "Bình"), NAMESAKES, "en") == (conv.Drill("assignee", "u3"), None)
    drill, notice = v.settle_drill(conv.Drill("assignee", "An"), NAMESAKES, "en")
    assert drill is None
    assert notice == ("The link filters by the assignee name “An”, which 2 people in the list share: "
                      "the filter is dropped. Pick the person in the filter below.")
    assert v.settle_drill(conv.Drill("assignee", "An"), NAMESAKES, "vi")[1] == (
        "Liên kết lọc theo tên nhân viên được phân công “An”, nhưng 2 nhân viên trong danh sách có tên này: đã bỏ lọc. "
        "Chọn đúng người ở mục lọc bên dưới.")
    for kept in (conv.Drill("assignee", "u1"), conv.Drill("assignee", "Chi"), conv.Drill("assignee", "-"),
                 conv.Drill("tag", "An"), None):
        assert v.settle_drill(kept, NAMESAKES, "en") == (kept, None)
    assert v.settle_drill(conv.Drill("assignee", "An"), conv.empty_conversations(), "en") == \
        (conv.Drill("assignee", "An"), None)


def test_names_that_do_not_pair_with_ids_fall_back_to_the_id():
    """A name holding the list separator ("An; Bình" as one name) cannot be paired: the id shows."""
    f = conv.conversations_frame([staff_row("a", "p1", ("u1", "An; Bình"))], "p1", TZ)
    b = v.by_assignee(f, "en")
    assert list(zip(b["key"], b["label"], b["conversations"])) == [("u1", "u1", 1)]


def test_the_breakdown_download_keeps_names():
    out = tables.for_download(v.breakdown_table(v.by_assignee(NAMESAKES, "en", SHOPS), "en", "conv.col.assignees"), "en")
    assert list(out.iloc[:, 0]) == ["An · Shop A", "(unassigned)", "An · Shop B", "Bình"]
    assert not out.isin(["u1", "u2", "u3"]).any().any()
    export = v.export_frame(NAMESAKES, SHOPS).set_index("conversation_id")
    assert export.loc["a3", "assignees"] == "An; Bình"

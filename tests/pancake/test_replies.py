"""Issue 21: customer turns, waits in opening hours, targets and figures, computed by hand.

Every expected number is a literal worked out in the comment beside it. Local times are
Vietnam's (UTC+7, no daylight saving) unless the case says otherwise; 2026-12-07 is a Monday.
"""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from pancake.numbers import hours as hmod
from pancake.numbers import replies

PAGE = "111"
OWN = "222"        # a page with its own Saturday night and a 5-minute first-reply target
TAIL = "333"       # its Saturday night runs into a holiday

FILE = """timezone = "Asia/Ho_Chi_Minh"
bots = ["BotcakeAI"]
bots_count = false

[hours]
mon = ["08:00-12:00", "13:30-22:00"]
tue = ["08:00-12:00", "13:30-22:00"]
wed = ["08:00-12:00", "13:30-22:00"]
thu = ["08:00-12:00", "13:30-22:00"]
fri = ["08:00-12:00", "13:30-22:00"]
sat = ["09:00-17:00"]
sun = []
holidays = ["2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07"]

[targets]
first_reply_minutes = 15
next_reply_minutes = 30

[pages."222"]
sat = ["22:00-02:00"]
first_reply_minutes = 5

[pages."333"]
sat = ["22:00-02:00"]
holidays = ["2026-12-13"]
"""

HOURS = hmod.parse(FILE, "Asia/Ho_Chi_Minh")
HOURS_BOTS = hmod.parse(FILE.replace("bots_count = false", "bots_count = true"), "Asia/Ho_Chi_Minh")
NOW = datetime(2027, 12, 31, tzinfo=UTC)   # long after every case: nothing waits unless asked


def vn(text: str) -> str:
    """A Vietnam local time as the API sends it: UTC without a suffix."""
    t = datetime.fromisoformat(text) - timedelta(hours=7)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")


def cust(at: str, mid: str, conv: str = "c1", page: str = PAGE) -> dict:
    return {"id": mid, "conversation_id": conv, "page_id": page, "inserted_at": vn(at),
            "from": {"id": "psid-1", "name": "Lan"}}


def staff(at: str, mid: str, conv: str = "c1", page: str = PAGE, who: str = "Hoa", uid: str = "u-hoa",
          **extra) -> dict:
    return {"id": mid, "conversation_id": conv, "page_id": page, "inserted_at": vn(at),
            "from": {"id": page, "name": "Shop", "admin_id": uid, "admin_name": who, **extra}}


def bot(at: str, mid: str, conv: str = "c1", page: str = PAGE) -> dict:
    # BotcakeAI answers as the page with no admin id and no automated flag: only the file's bot list knows
    return {"id": mid, "conversation_id": conv, "page_id": page, "inserted_at": vn(at),
            "from": {"id": page, "name": "Shop", "admin_name": "BotcakeAI"}}


def turns_of(msgs, hours=HOURS, now=NOW, page=PAGE, conversations=None):
    frame = pd.concat([replies.message_frame([m for m in msgs if m["page_id"] == p], p, bots=hours.bots)
                       for p in sorted({m["page_id"] for m in msgs})] or [replies.message_frame([], page)],
                      ignore_index=True)
    return replies.turns(frame, hours, now, conversations=conversations)


def one(msgs, **kw):
    t = turns_of(msgs, **kw)
    assert len(t) == 1, t
    return t.iloc[0]


# --- waits in opening hours --------------------------------------------------------------------------

def test_inside_hours():
    r = one([cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:10", "b")])
    assert r["wait_seconds"] == 600                 # 10 min
    assert r["business_wait_seconds"] == 600
    assert bool(r["first"]) and r["within_target"] == True   # noqa: E712  600 <= 900


def test_overnight():
    # Mon 21:50 -> Tue 08:20: 10 h 30 = 37800 s; open 21:50-22:00 and 08:00-08:20 = 1800 s
    r = one([cust("2026-12-07 21:50", "a"), staff("2026-12-08 08:20", "b")])
    assert r["wait_seconds"] == 37800
    assert r["business_wait_seconds"] == 1800
    assert r["within_target"] == False   # noqa: E712  1800 > 900


def test_message_before_opening_counts_from_opening():
    # Tue 06:00 -> 08:05: 2 h 05 = 7500 s; from the 08:00 opening: 300 s
    r = one([cust("2026-12-08 06:00", "a"), staff("2026-12-08 08:05", "b")])
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (7500, 300)
    assert r["within_target"] == True   # noqa: E712


def test_lunch_break():
    # Tue 11:50 -> 13:40: 110 min = 6600 s; 11:50-12:00 + 13:30-13:40 = 1200 s
    r = one([cust("2026-12-08 11:50", "a"), staff("2026-12-08 13:40", "b")])
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (6600, 1200)


def test_reply_after_closing_adds_nothing_after_closing():
    # Tue 21:55 -> 23:30: 95 min = 5700 s; open until 22:00 only: 300 s
    r = one([cust("2026-12-08 21:55", "a"), staff("2026-12-08 23:30", "b")])
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (5700, 300)
    assert r["within_target"] == True   # noqa: E712


def test_asked_and_answered_after_closing_is_within_target():
    # Tue 23:00 -> 23:30: 1800 s calendar, 0 in hours
    r = one([cust("2026-12-08 23:00", "a"), staff("2026-12-08 23:30", "b")])
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (1800, 0)
    assert r["within_target"] == True   # noqa: E712


def test_weekend():
    # Sat 16:50 -> Mon 08:10: 39 h 20 = 141600 s; Sat 16:50-17:00 + Mon 08:00-08:10 = 1200 s
    r = one([cust("2026-12-12 16:50", "a"), staff("2026-12-14 08:10", "b")])
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (141600, 1200)


def test_sunday_closed():
    # Sun 10:00 -> Mon 08:30: 22 h 30 = 81000 s; Mon 08:00-08:30 = 1800 s
    r = one([cust("2026-12-13 10:00", "a"), staff("2026-12-14 08:30", "b")])
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (81000, 1800)


def test_tet_holidays():
    # Thu 04/02/2027 21:00 -> Mon 08/02 08:15: 83 h 15 = 299700 s; Fri-Sun are Tết (closed):
    # Thu 21:00-22:00 + Mon 08:00-08:15 = 4500 s
    r = one([cust("2027-02-04 21:00", "a"), staff("2027-02-08 08:15", "b")])
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (299700, 4500)


def test_new_year_holiday_on_a_weekday():
    # Thu 31/12 21:30 -> Sat 02/01 09:30: 36 h = 129600 s; Fri 01/01 closed: 1800 + 1800 = 3600 s
    r = one([cust("2026-12-31 21:30", "a"), staff("2027-01-02 09:30", "b")])
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (129600, 3600)


def test_conversation_spanning_days_first_then_next():
    # Mon 09:00 -> 09:05 (300 s, first); Wed 10:00 -> 10:20 (1200 s, next, target 1800)
    t = turns_of([cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:05", "b"),
                  cust("2026-12-09 10:00", "c"), staff("2026-12-09 10:20", "d")])
    assert t["wait_seconds"].tolist() == [300.0, 1200.0]
    assert t["first"].tolist() == [True, False]
    assert t["target_seconds"].tolist() == [900.0, 1800.0]
    assert t["within_target"].tolist() == [True, True]


def test_next_reply_exactly_on_target_is_within():
    t = turns_of([cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:01", "b"),
                  cust("2026-12-07 10:00", "c"), staff("2026-12-07 10:30", "d")])
    assert t["business_wait_seconds"].tolist() == [60.0, 1800.0]
    assert t["within_target"].tolist() == [True, True]      # 1800 <= 30 min


# --- turns ----------------------------------------------------------------------------------------

def test_burst_of_customer_messages_is_one_turn():
    # the turn starts at the first of the three: 09:00 -> 09:12 = 720 s
    r = one([cust("2026-12-07 09:00", "a"), cust("2026-12-07 09:01", "b"), cust("2026-12-07 09:02", "c"),
             staff("2026-12-07 09:12", "d")])
    assert r["wait_seconds"] == 720
    assert r["start_message_id"] == "a" and r["reply_message_id"] == "d"


def test_bot_then_human_bots_do_not_count():
    # the bot's 5-second answer does not end the turn; Hoa's at 09:20 does: 1200 s, a miss
    r = one([cust("2026-12-07 09:00", "a"), bot("2026-12-07 09:00:05", "b"), staff("2026-12-07 09:20", "c")])
    assert r["wait_seconds"] == 1200
    assert r["replied_by"] == "Hoa" and r["automated"] == False   # noqa: E712
    assert r["within_target"] == False   # noqa: E712


def test_bot_then_human_bots_count():
    # bots_count = true: the bot ends the turn after 5 s; Hoa's later reply opens nothing
    r = one([cust("2026-12-07 09:00", "a"), bot("2026-12-07 09:00:05", "b"), staff("2026-12-07 09:20", "c")],
            hours=HOURS_BOTS)
    assert r["wait_seconds"] == 5
    assert r["replied_by"] == "BotcakeAI" and r["automated"] == True   # noqa: E712


def test_is_automated_flag_without_bot_name():
    r = one([cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:01", "b", who="Auto", is_automated=True),
             staff("2026-12-07 09:04", "c")])
    assert r["wait_seconds"] == 240


def test_ai_generated_as_text_on_the_message():
    m = staff("2026-12-07 09:01", "b", who="Trợ lý")
    m["ai_generated"] = "true"          # a flag sent as a string
    r = one([cust("2026-12-07 09:00", "a"), m, staff("2026-12-07 09:07", "c")])
    assert r["wait_seconds"] == 420


def test_reassignment_between_staff():
    # Hoa answers the first turn in 300 s; Minh the next one in 40 min = 2400 s (> 30 min: miss)
    t = turns_of([cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:05", "b"),
                  cust("2026-12-07 09:30", "c"), staff("2026-12-07 10:10", "d", who="Minh", uid="u-minh")])
    assert t["replied_by"].tolist() == ["Hoa", "Minh"]
    assert t["replied_by_id"].tolist() == ["u-hoa", "u-minh"]
    assert t["wait_seconds"].tolist() == [300.0, 2400.0]
    assert t["within_target"].tolist() == [True, False]
    by = replies.breakdown(t, "replied_by_id")
    assert by["median"].tolist() == [300.0, 2400.0]


def test_page_writes_first_then_customer():
    # the page's greeting opens nothing; the customer's 10:00 question is the first turn (60 s)
    r = one([staff("2026-12-07 09:00", "a"), cust("2026-12-07 10:00", "b"), staff("2026-12-07 10:01", "c")])
    assert r["wait_seconds"] == 60 and bool(r["first"])


def test_page_messages_only_make_no_turn():
    assert turns_of([staff("2026-12-07 09:00", "a"), staff("2026-12-07 09:05", "b")]).empty


def test_messages_newest_first_and_repeated_as_paging_gives_them():
    msgs = [staff("2026-12-07 09:03", "b"), cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:03", "b")]
    r = one(msgs)
    assert r["wait_seconds"] == 180


def test_message_without_a_time_is_left_out():
    m = cust("2026-12-07 08:00", "x")
    m["inserted_at"] = None
    r = one([m, cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:02", "b")])
    assert r["wait_seconds"] == 120


# --- still waiting -------------------------------------------------------------------------------

def test_still_waiting_past_target_is_a_miss():
    now = datetime(2026, 12, 7, 2, 20, tzinfo=UTC)          # 09:20 in Vietnam
    r = one([cust("2026-12-07 09:00", "a")], now=now)
    assert bool(r["waiting"]) and pd.isna(r["replied_at"])
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (1200, 1200)
    assert r["within_target"] == False   # noqa: E712


def test_still_waiting_before_target_is_not_judged():
    now = datetime(2026, 12, 7, 2, 10, tzinfo=UTC)          # 09:10
    r = one([cust("2026-12-07 09:00", "a")], now=now)
    assert r["wait_seconds"] == 600 and pd.isna(r["within_target"])


def test_still_waiting_overnight_counts_opening_hours_only():
    now = datetime(2026, 12, 8, 0, 0, tzinfo=UTC)           # Tue 07:00: 9 h 05 since Mon 21:55
    r = one([cust("2026-12-07 21:55", "a")], now=now)
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (32700, 300)
    assert pd.isna(r["within_target"])


def test_summary_counts_waiting_apart():
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)           # 10:00
    t = turns_of([cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:04", "b"),
                  cust("2026-12-07 09:50", "c", conv="c2"),           # waiting 600 s: not judged yet
                  cust("2026-12-07 09:20", "d", conv="c3")], now=now)  # waiting 2400 s: a miss
    f = replies.summary(t)
    assert (f.count, f.waiting) == (1, 2)
    assert f.median == 240.0
    assert (f.judged, f.within) == (2, 1) and f.within_share == 0.5


# --- a page's own hours and targets ------------------------------------------------------------------

def test_period_past_midnight():
    # page 222 opens Sat 22:00-Sun 02:00: Sun 01:00 -> 03:00 is 7200 s, 3600 of them open
    r = one([cust("2026-12-13 01:00", "a", page=OWN), staff("2026-12-13 03:00", "b", page=OWN)])
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (7200, 3600)


def test_own_saturday_replaces_the_default_saturday():
    # Sat 21:50 -> Sun 00:10 on page 222: 8400 s; open from 22:00: 7800 s; 5-min target missed
    r = one([cust("2026-12-12 21:50", "a", page=OWN), staff("2026-12-13 00:10", "b", page=OWN)])
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (8400, 7800)
    assert r["target_seconds"] == 300 and r["within_target"] == False   # noqa: E712


def test_own_first_target_and_inherited_next_target():
    msgs = [cust("2026-12-07 09:00", "a", page=OWN), staff("2026-12-07 09:06", "b", page=OWN),
            cust("2026-12-07 10:00", "c", page=OWN), staff("2026-12-07 10:20", "d", page=OWN)]
    t = turns_of(msgs)
    assert t["target_seconds"].tolist() == [300.0, 1800.0]
    assert t["within_target"].tolist() == [False, True]       # 360 > 300; 1200 <= 1800
    same_on_default = turns_of([{**m, "page_id": PAGE} for m in msgs[:2]])
    assert same_on_default["within_target"].tolist() == [True]   # 360 <= 900


def test_holiday_closes_the_night_before_tail():
    # page 333: Sat 22:00-02:00, Sunday 13/12 a holiday: Sat 23:00 -> Sun 01:30 is 9000 s, 3600 open
    r = one([cust("2026-12-12 23:00", "a", page=TAIL), staff("2026-12-13 01:30", "b", page=TAIL)])
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (9000, 3600)


def test_page_holidays_add_to_the_file_holidays():
    s = HOURS.for_page(TAIL)
    assert {d.isoformat() for d in s.holidays} == {"2026-12-13", "2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07"}


# --- daylight saving --------------------------------------------------------------------------------

BERLIN = hmod.parse('timezone = "Europe/Berlin"\n[hours]\nsun = ["00:00-06:00"]\n', "Asia/Ho_Chi_Minh")


def _utc_turn(start: str, end: str, hours):
    msgs = [{"id": "a", "conversation_id": "c", "inserted_at": start, "from": {"id": "x"}},
            {"id": "b", "conversation_id": "c", "inserted_at": end, "from": {"id": PAGE, "admin_id": "u"}}]
    return replies.turns(replies.message_frame(msgs, PAGE), hours, NOW).iloc[0]


def test_spring_forward_hour_is_not_counted():
    # Sun 28/03/2027 00:00 CET (23:00Z) -> 08:00 CEST (06:00Z): 7 h; open 00:00-06:00 wall = 5 real hours
    r = _utc_turn("2027-03-27T23:00:00", "2027-03-28T06:00:00", BERLIN)
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (25200, 18000)


def test_fall_back_hour_is_counted_twice():
    # Sun 31/10/2027 00:00 CEST (22:00Z Sat) -> 06:00 CET (05:00Z): 7 real hours open
    r = _utc_turn("2027-10-30T21:00:00", "2027-10-31T06:00:00", BERLIN)
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (32400, 25200)


# --- inbox and comments, tags, breakdowns ---------------------------------------------------------

def test_comment_and_inbox_apart():
    convs = pd.DataFrame({"page_id": [PAGE, PAGE], "conversation_id": ["c1", "c2"], "customer_id": ["k1", "k2"],
                          "type": ["INBOX", "COMMENT"], "tag_names": ["Khách mới; VIP", ""]})
    t = turns_of([cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:02", "b"),
                  cust("2026-12-07 09:00", "c", conv="c2"), staff("2026-12-07 09:30", "d", conv="c2")],
                 conversations=convs)
    by = replies.breakdown(t, "type")
    assert by["type"].tolist() == ["COMMENT", "INBOX"]
    assert by["median"].tolist() == [1800.0, 120.0]
    tags = replies.breakdown(t, "tags")
    assert tags["tags"].tolist() == ["", "Khách mới", "VIP"]
    assert tags["count"].tolist() == [1, 1, 1]


def test_weekday_hour_breakdown():
    t = replies.with_local(turns_of([cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:02", "b"),
                                     cust("2026-12-08 14:10", "c", conv="c2"),
                                     staff("2026-12-08 14:20", "d", conv="c2")]), "Asia/Ho_Chi_Minh")
    by = replies.breakdown(t, ["weekday", "hour"])
    assert by[["weekday", "hour", "count", "median"]].values.tolist() == [[0, 9, 1, 120.0], [1, 14, 1, 600.0]]


# --- figures -----------------------------------------------------------------------------------------

def _frame(waits, pages=None, within=None):
    n = len(waits)
    return pd.DataFrame({"page_id": pages or [PAGE] * n, "waiting": [False] * n,
                         "wait_seconds": [float(w) for w in waits],
                         "business_wait_seconds": [float(w) for w in waits],
                         "within_target": pd.array(within or [pd.NA] * n, dtype="boolean")})


def test_median_p90_mean_groups():
    f = replies.summary(_frame([3600, 60, 900, 300, 20000, 120]))
    # sorted 60 120 300 900 3600 20000: median between 300 and 900 = 600;
    # P90 at rank 4.5: 3600 + 0.5 x 16400 = 11800; mean 24980 / 6
    assert f.count == 6 and f.median == 600.0 and f.p90 == 11800.0
    assert f.mean == pytest.approx(4163.3333333)
    assert f.groups == (2, 1, 1, 1, 1)      # 5 min and 15 min and 1 h fall in the next group up


def test_median_is_over_turns_not_an_average_of_medians():
    f = replies.summary(_frame([60, 60, 60, 600], pages=[PAGE, PAGE, PAGE, OWN]))
    assert f.median == 60.0                 # not (60 + 600) / 2 = 330
    by = replies.breakdown(_frame([60, 60, 60, 600], pages=[PAGE, PAGE, PAGE, OWN]), "page_id")
    assert by["median"].tolist() == [60.0, 600.0]


def test_exactly_four_hours_is_over_four_hours():
    assert replies.summary(_frame([14399, 14400])).groups == (0, 0, 0, 1, 1)


def test_share_within_target():
    f = replies.summary(_frame([60, 60, 2000, 5], within=[True, True, False, pd.NA]))
    assert (f.judged, f.within) == (3, 2)
    assert f.within_share == pytest.approx(2 / 3)


def test_empty_turns_give_no_figure():
    f = replies.summary(replies.empty_turns())
    assert (f.count, f.waiting, f.median, f.p90, f.mean, f.within_share) == (0, 0, None, None, None, None)
    assert f.groups == (0, 0, 0, 0, 0)
    assert replies.breakdown(replies.empty_turns(), "page_id").empty
    assert replies.breaching(replies.empty_turns(), NOW, HOURS).empty
    assert replies.export_frame(replies.empty_turns(), HOURS).columns.tolist() == replies.EXPORT_COLUMNS


def test_an_ordinary_day_where_nothing_breaches():
    t = turns_of([cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:02", "b")])
    assert replies.breaching(t, NOW, HOURS).empty


def test_calendar_basis():
    t = turns_of([cust("2026-12-07 21:50", "a"), staff("2026-12-08 08:20", "b")])
    assert replies.summary(t, "calendar").median == 37800.0
    assert replies.summary(t, "business").median == 1800.0


# --- breaches now ---------------------------------------------------------------------------------

def test_breaching_soon_and_past():
    now = datetime(2026, 12, 7, 2, 12, tzinfo=UTC)          # 09:12
    t = turns_of([cust("2026-12-07 09:00", "a"),                              # 720 s of 900: soon
                  cust("2026-12-07 08:40", "b", conv="c2")], now=now)         # 1920 s: past
    assert replies.breaching(t, now, HOURS)["conversation_id"].tolist() == ["c2"]
    soon = replies.breaching(t, now, HOURS, before_minutes=5)
    assert soon["conversation_id"].tolist() == ["c2", "c1"]
    assert soon["past_target"].tolist() == [True, False]
    assert soon["due_at"].tolist()[1] == datetime(2026, 12, 7, 2, 15, tzinfo=UTC)   # 09:15


def test_breach_due_after_the_night():
    # Mon 21:55: 5 minutes before closing, 10 more after Tue 08:00: due Tue 08:10 (01:10Z)
    now = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    t = turns_of([cust("2026-12-07 21:55", "a")], now=now)
    soon = replies.breaching(t, now, HOURS, before_minutes=600)
    assert soon["due_at"].tolist() == [datetime(2026, 12, 8, 1, 10, tzinfo=UTC)]


# --- export ------------------------------------------------------------------------------------------

def test_export_rows():
    convs = pd.DataFrame({"page_id": [PAGE], "conversation_id": ["c1"], "customer_id": ["k1"],
                          "type": ["INBOX"], "tag_names": [""]})
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)           # 10:00
    t = turns_of([cust("2026-12-07 09:00", "a"), staff("2026-12-07 09:20", "b"),
                  cust("2026-12-07 09:45", "c")], conversations=convs, now=now)
    out = replies.export_frame(t, HOURS)
    assert out.columns.tolist() == ["page_id", "conversation_id", "customer_id", "type", "turn_start", "replied_at",
                                    "replied_by", "automated", "wait_seconds", "business_wait_seconds", "first",
                                    "within_target"]
    assert out.values.tolist() == [
        ["111", "c1", "k1", "inbox", "2026-12-07 09:00:00", "2026-12-07 09:20:00", "Hoa", "false", 1200, 1200,
         "true", "false"],
        ["111", "c1", "k1", "inbox", "2026-12-07 09:45:00", "", "", "", 900, 900, "false", ""]]


def test_first_response_per_conversation():
    t = turns_of([cust("2026-12-07 21:50", "a"), staff("2026-12-08 08:20", "b"),
                  cust("2026-12-08 09:00", "c"), staff("2026-12-08 09:01", "d")])
    fr = replies.first_response(t)
    assert fr.values.tolist() == [["111", "c1", 37800.0, 1800.0]]


# --- the hours file ------------------------------------------------------------------------------------

def test_no_file_is_calendar_time(tmp_path):
    h = hmod.load(None, "Asia/Ho_Chi_Minh")
    assert not h.configured and h.error is None and not h.has_targets
    r = one([cust("2026-12-07 21:50", "a"), staff("2026-12-08 08:20", "b")], hours=h)
    assert (r["wait_seconds"], r["business_wait_seconds"]) == (37800, 37800)
    assert pd.isna(r["within_target"]) and math.isnan(r["target_seconds"])


@pytest.mark.parametrize("text, line, words", [
    ('timezone = "Asia/Ho_Chi_Minh"\n[hours]\nmon = ["08:00-12:00"]\ntue = ["08:00-25:00"]\n', 4, "does not exist"),
    ('[hours]\nmon = ["08:00-12:00"\n', 2, "not valid TOML"),
    ('bots = ["BotcakeAI"]\nbot_count = true\n', 2, "unknown setting 'bot_count'"),
    ('\n\ntimezone = "Asia/Hanoi_City"\n', 3, "unknown time zone"),
    ('[hours]\nmon = ["08:00-12:00"]\nholidays = ["2027-02-30"]\n', 3, "not a date"),
    ('[targets]\nfirst_reply_minutes = 15\nnext_reply_minutes = -5\n', 3, "above 0"),
    ('[hours]\nmon = ["8h-12h"]\n', 2, "not a period"),
    ('[pages."42"]\nmonday = ["08:00-12:00"]\n', 2, "unknown setting 'monday'"),
    ('[hours]\nfri = ["08:00-08:00"]\n', 2, "empty"),
])
def test_bad_file_names_the_line_and_falls_back(tmp_path, text, line, words):
    path = tmp_path / "hours.toml"
    path.write_text(text, encoding="utf-8")
    h = hmod.load(str(path), "Asia/Ho_Chi_Minh")
    assert h.error_line == line and words in h.error
    assert not h.configured and not h.has_targets and h.default.always_open
    r = one([cust("2026-12-07 21:50", "a"), staff("2026-12-08 08:20", "b")], hours=h)
    assert r["business_wait_seconds"] == 37800        # calendar time: nothing closed


def test_missing_file(tmp_path):
    h = hmod.load(str(tmp_path / "nope.toml"), "Asia/Ho_Chi_Minh")
    assert "cannot read" in h.error and h.error_line is None


def test_file_without_hours_counts_every_hour_but_holidays():
    h = hmod.parse('[targets]\nfirst_reply_minutes = 10\n', "Asia/Ho_Chi_Minh")
    assert h.configured and h.has_targets and not h.business
    r = one([cust("2026-12-07 21:50", "a"), staff("2026-12-07 22:10", "b")], hours=h)
    assert (r["business_wait_seconds"], r["within_target"]) == (1200, False)


def test_day_not_listed_is_closed_and_overlaps_count_once():
    h = hmod.parse('[hours]\nmon = ["08:00-10:00", "09:00-11:00"]\n', "Asia/Ho_Chi_Minh")
    # Mon 07:00 -> Tue 09:00: only Monday 08:00-11:00 is open (3 h); Tuesday is not listed
    r = one([cust("2026-12-07 07:00", "a"), staff("2026-12-08 09:00", "b")], hours=h)
    assert r["business_wait_seconds"] == 10800


def test_many_conversations_in_one_frame_as_each_alone():
    """``messages_frame`` (the store's thousands of conversations at once, issue 20): a message id
    repeated inside one conversation is one message, the same id in two conversations is two;
    a message without a time is left out; numbers and flags sent as text still read."""
    a = [{"id": "m2", "inserted_at": "2026-12-07T02:05:00", "from": {"id": PAGE, "uid": "s1", "admin_name": "An"}},
         {"id": "m1", "inserted_at": "2026-12-07T02:00:00", "from": {"id": "c1"}},
         {"id": "m1", "inserted_at": "2026-12-07T02:00:00", "from": {"id": "c1"}}]        # paged twice
    b = [{"id": "m1", "inserted_at": "2026-12-07T01:00:00+00:00", "from": {"id": "c2"}},
         {"id": "m9", "inserted_at": None, "from": {"id": "c2"}},                          # no time
         {"id": "m3", "inserted_at": "2026-12-07T01:10:00", "from": {"id": PAGE, "is_automated": "1"}}]
    frame = replies.messages_frame([(PAGE, "ca", a), (PAGE, "cb", b), (PAGE, "cc", [])], bots=["BotcakeAI"])
    assert list(zip(frame["conversation_id"], frame["message_id"])) == [
        ("cb", "m1"), ("cb", "m3"), ("ca", "m1"), ("ca", "m2")]                          # oldest first
    assert list(frame["from_page"]) == [False, True, False, True]
    assert list(frame["automated"]) == [False, True, False, False]
    assert list(frame["admin_name"]) == ["", "", "", "An"]
    assert str(frame["sent_at"].iloc[0]) == "2026-12-07 01:00:00+00:00"
    # each conversation alone gives the same rows
    alone = pd.concat([replies.message_frame(b, PAGE, "cb"), replies.message_frame(a, PAGE, "ca")],
                      ignore_index=True)
    pd.testing.assert_frame_equal(frame, alone)
    assert replies.messages_frame([]).empty and list(replies.messages_frame([]).columns) == replies.MESSAGE_COLUMNS

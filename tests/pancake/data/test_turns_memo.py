"""Each page's turns computed once for every run and session and extended as the fill stores
more conversations (issue 20, ten viewers at once): a run reads only the bodies of the
conversations new or moved since, keeps no messages, brings the waiting turns to its own
``now``; and the Staff page's figures equal hand-computed ones with the fill partial and complete.

2026-12-07 is a Monday; the shop opens 08:00-12:00 and 13:30-22:00 (Vietnam, UTC+7), a first
reply's target is 15 minutes. Times below are local; the store keeps them as UTC."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pandas as pd

from pancake.data import replies as dr
from pancake.data.core import BoundedLRU
from pancake.data.store import memory_store
from pancake.numbers import hours as hmod
from pancake.numbers import replies
from pancake.numbers.views import replies as vr

TZ = "Asia/Ho_Chi_Minh"
P1 = "111"
HOURS = hmod.parse('timezone = "Asia/Ho_Chi_Minh"\n[hours]\nmon = ["08:00-12:00", "13:30-22:00"]\n'
                   '[targets]\nfirst_reply_minutes = 15\nnext_reply_minutes = 30\n', TZ)
NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)     # 23:00 local: every turn below has ended


def utc(local_hhmm: str) -> str:
    h, m = map(int, local_hhmm.split(":"))
    return f"2026-12-07T{h - 7:02d}:{m:02d}:00"


def body(customer_at: str, reply_at: str | None = None, *, uid: str = "", name: str = "") -> str:
    """A conversation's slim messages as the fill stores them (newest first)."""
    msgs = [{"id": "a", "inserted_at": utc(customer_at), "from": {"id": "cust"}}]
    if reply_at is not None:
        msgs.append({"id": "b", "inserted_at": utc(reply_at), "from": {"id": P1, "admin_id": uid, "admin_name": name}})
    return json.dumps(msgs[::-1])


def convs(*ids: str) -> pd.DataFrame:
    return pd.DataFrame({"page_id": [P1] * len(ids), "conversation_id": list(ids),
                         "customer_id": [f"k-{c}" for c in ids], "updated_at": ["2026-12-07T15:00:00"] * len(ids),
                         "type": ["INBOX"] * len(ids), "tag_names": [""] * len(ids)})


STAMP = "2026-12-07T15:00:00"
C1 = ("c1", STAMP, 2, body("09:00", "09:04", uid="u-hoa", name="Hoa"))     # 240 s, within 15 min
C2 = ("c2", STAMP, 2, body("10:00", "10:20", uid="u-minh", name="Minh"))   # 1,200 s, a miss
C3 = ("c3", STAMP, 2, body("11:00", "11:10", uid="u-hoa", name="Hoa"))     # 600 s, within


def spying(store, monkeypatch) -> tuple[list[list[str]], list[int]]:
    read: list[list[str]] = []
    parsed: list[int] = []
    real_get, real_frame = store.messages_get, replies.messages_frame

    def messages_get(source, page_id, ids):
        read.append(sorted(ids))
        return real_get(source, page_id, ids)

    def messages_frame(items, bots=()):
        items = list(items)
        parsed.append(len(items))
        return real_frame(items, bots=bots)
    monkeypatch.setattr(store, "messages_get", messages_get)
    monkeypatch.setattr(replies, "messages_frame", messages_frame)
    return read, parsed


def staff_figures(got: dr.RangeTurns) -> tuple[dict, dict]:
    cols = vr.staff_columns(got.turns, "business").set_index("user_id")
    return ({u: (r.reply_median, r.reply_p90, r.reply_within) for u, r in cols.iterrows()},
            vr.staff_total(got.turns, "business"))


def test_staff_figures_partial_then_complete_reading_only_what_is_new(monkeypatch):
    store, memo = memory_store(), BoundedLRU(8, 2**24, size_of=dr._turns_bytes)
    read, parsed = spying(store, monkeypatch)
    monkeypatch.setattr(dr, "TURNS_MEMO", memo)
    all3 = convs("c1", "c2", "c3")
    store.messages_put("s", P1, [C1, C2], 0)                  # the fill has stored two of three
    got = dr.range_turns(store, "s", all3, date(2026, 12, 7), date(2026, 12, 7), TZ, HOURS, NOW)
    assert (got.kept.complete, got.kept.total, got.complete) == (2, 3, False)
    assert list(got.kept.missing["conversation_id"]) == ["c3"] and got.kept.messages is None
    per, total = staff_figures(got)
    # waits 240 and 1,200 s: median (240 + 1200) / 2 = 720 s; P90 240 + 0.9 × 960 = 1,104 s; 1 of 2 within
    assert total == {"reply_median": 720_000.0, "reply_p90": 1_104_000.0, "reply_within": 0.5}
    assert per == {"u-hoa": (240_000.0, 240_000.0, 1.0), "u-minh": (1_200_000.0, 1_200_000.0, 0.0)}
    assert "2 / 3" in vr.staff_caption(got, "business", "vi")
    assert "computed over 2 of 3 conversations" in vr.staff_caption(got, "business", "en")

    store.messages_put("s", P1, [C3], 0)                       # the fill goes on: the third is in
    got = dr.range_turns(store, "s", all3, date(2026, 12, 7), date(2026, 12, 7), TZ, HOURS, NOW)
    assert read == [["c1", "c2"], ["c3"]] and parsed == [2, 1]   # only the new body read and parsed
    assert (got.kept.complete, got.complete) == (3, True)
    per, total = staff_figures(got)
    # 240, 600, 1,200 s: median 600 s; P90 600 + 0.8 × 600 = 1,080 s; 2 of 3 within
    assert total == {"reply_median": 600_000.0, "reply_p90": 1_080_000.0, "reply_within": 2 / 3}
    # Hoa: 240 and 600 s: median 420 s, P90 240 + 0.9 × 360 = 564 s
    assert per == {"u-hoa": (420_000.0, 564_000.0, 1.0), "u-minh": (1_200_000.0, 1_200_000.0, 0.0)}
    assert "Not complete" not in vr.staff_caption(got, "business", "en")

    again = dr.range_turns(store, "s", all3, date(2026, 12, 7), date(2026, 12, 7), TZ, HOURS, NOW)
    assert read == [["c1", "c2"], ["c3"]] and parsed == [2, 1]   # another session: nothing read
    assert staff_figures(again)[1] == total


def test_a_moved_conversation_is_read_again_and_one_not_asked_is_left_out(monkeypatch):
    store, memo = memory_store(), BoundedLRU(8, 2**24, size_of=dr._turns_bytes)
    read, _ = spying(store, monkeypatch)
    store.messages_put("s", P1, [C1, C2], 0)
    dr.kept_turns(store, "s", convs("c1", "c2"), HOURS, NOW, memo=memo)
    later = "2026-12-07T16:00:00"
    store.messages_put("s", P1, [("c2", later, 2, body("10:00", "10:05", uid="u-minh", name="Minh"))], 0)
    moved = convs("c1", "c2").assign(updated_at=[STAMP, later])
    t, have = dr.kept_turns(store, "s", moved, HOURS, NOW, memo=memo)
    assert read == [["c1", "c2"], ["c2"]] and have.complete == 2
    assert sorted(t["wait_seconds"].tolist()) == [240.0, 300.0]           # c2's reply now at 10:05
    only1, have1 = dr.kept_turns(store, "s", convs("c1"), HOURS, NOW, memo=memo)
    assert only1["conversation_id"].tolist() == ["c1"] and (have1.complete, have1.total) == (1, 1)
    nothing, none_have = dr.kept_turns(store, "s", convs("c1").iloc[0:0], HOURS, NOW, memo=memo)
    assert nothing.empty and (none_have.complete, none_have.total) == (0, 0)


def test_a_waiting_turn_runs_to_each_runs_now(monkeypatch):
    store, memo = memory_store(), BoundedLRU(8, 2**24, size_of=dr._turns_bytes)
    read, _ = spying(store, monkeypatch)
    store.messages_put("s", P1, [("c4", STAMP, 1, body("14:00"))], 0)      # no reply yet
    at_1410 = datetime(2026, 12, 7, 7, 10, tzinfo=UTC)
    at_1420 = datetime(2026, 12, 7, 7, 20, tzinfo=UTC)
    t1, _ = dr.kept_turns(store, "s", convs("c4"), HOURS, at_1410, memo=memo)
    assert t1.loc[0, "waiting"] and t1.loc[0, "wait_seconds"] == 600.0 and t1.loc[0, "business_wait_seconds"] == 600.0
    assert pd.isna(t1.loc[0, "within_target"])                           # 10 of 15 minutes: not judged yet
    t2, _ = dr.kept_turns(store, "s", convs("c4"), HOURS, at_1420, memo=memo)
    assert read == [["c4"]]                                               # the body was not read again
    assert t2.loc[0, "wait_seconds"] == 1200.0 and t2.loc[0, "business_wait_seconds"] == 1200.0
    assert t2.loc[0, "within_target"] is False or t2.loc[0, "within_target"] == False  # noqa: E712 - past 15 minutes: a miss
    fresh, _ = dr.kept_turns(store, "s", convs("c4"), HOURS, at_1420, memo=None)   # as computed from scratch
    pd.testing.assert_frame_equal(t2.reset_index(drop=True), fresh.reset_index(drop=True))


def test_the_memo_is_bounded_by_bytes(monkeypatch):
    store = memory_store()
    read, _ = spying(store, monkeypatch)
    store.messages_put("s", P1, [C1, C2], 0)
    tiny = BoundedLRU(8, 400, size_of=dr._turns_bytes)              # two conversations: 2 × 200 bytes of stamps and their turns
    dr.kept_turns(store, "s", convs("c1", "c2"), HOURS, NOW, memo=tiny)
    dr.kept_turns(store, "s", convs("c1", "c2"), HOURS, NOW, memo=tiny)
    assert len(tiny) == 0 and tiny.bytes == 0 and read == [["c1", "c2"], ["c1", "c2"]]

"""A range's turns are made from the pages' compact (categorical) turns: one concatenation with
the categories united, sorted over codes, the texts made once (issue 20: each page's turns were
texts before the concatenation and the sort, ~3 copies of the range's ~100 MB at once); a page's
first run parses its stored messages ``PARSE_AT_ONCE`` conversations at a time. The order and
the values are those of texts.

2026-12-07 is a Monday (Vietnam, UTC+7); every turn below has ended at NOW."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pandas as pd

from pancake.data import replies as dr
from pancake.data.core import BoundedLRU
from pancake.data.store import memory_store
from pancake.numbers import hours as hmod
from pancake.numbers import replies
from tests.pancake.data.test_messages_memo import counting

TZ = "Asia/Ho_Chi_Minh"
HOURS = hmod.parse('timezone = "Asia/Ho_Chi_Minh"\n[hours]\nmon = ["08:00-22:00"]\n', TZ)
NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
STAMP = "2026-12-07T15:00:00"


def body(page: str, customer_utc: str, reply_utc: str | None, uid: str = "", name: str = "") -> str:
    msgs = [{"id": "a", "inserted_at": f"2026-12-07T{customer_utc}:00", "from": {"id": "cust"}}]
    if reply_utc is not None:
        msgs.append({"id": "b", "inserted_at": f"2026-12-07T{reply_utc}:00",
                     "from": {"id": page, "admin_id": uid, "admin_name": name}})
    return json.dumps(msgs[::-1])


def convs(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame({"page_id": [p for p, _ in rows], "conversation_id": [c for _, c in rows],
                         "customer_id": [f"k-{c}" for _, c in rows], "updated_at": [STAMP] * len(rows),
                         "type": ["INBOX"] * len(rows), "tag_names": [""] * len(rows)})


def filled():
    store = memory_store()
    # page 222's conversations stored as c9 then c10 (their texts sort c10 < c9); page 111 has a
    # conversation at the same minute and one earlier; c7 has no reply yet (no replier: null)
    store.messages_put("s", "222", [("c9", STAMP, 2, body("222", "02:00", "02:05", "u-b", "Bình")),
                                    ("c10", STAMP, 2, body("222", "02:00", "02:01", "u-a", "An"))], 0)
    store.messages_put("s", "111", [("c5", STAMP, 2, body("111", "02:00", "02:10", "u-c", "Chi")),
                                    ("c6", STAMP, 2, body("111", "01:30", "01:32", "u-a", "An")),
                                    ("c7", STAMP, 1, body("111", "03:00", None))], 0)
    return store


ALL = [("222", "c9"), ("222", "c10"), ("111", "c5"), ("111", "c6"), ("111", "c7")]


def test_two_pages_in_the_order_of_their_texts_and_typed_as_texts():
    memo = BoundedLRU(8, 2**24, size_of=dr._turns_bytes)
    t, have = dr.kept_turns(filled(), "s", convs(ALL), HOURS, NOW, memo=memo)
    assert (have.complete, have.total) == (5, 5)
    # by start, then page, then conversation as texts: 01:30 c6; 02:00 111/c5, 222/c10, 222/c9; 03:00 c7
    assert list(zip(t["page_id"], t["conversation_id"])) == [
        ("111", "c6"), ("111", "c5"), ("222", "c10"), ("222", "c9"), ("111", "c7")]
    assert t["replied_by"].tolist() == ["An", "Chi", "An", "Bình", ""]
    assert t["wait_seconds"].tolist()[:4] == [120.0, 600.0, 60.0, 300.0]
    for col in ("page_id", "conversation_id", "customer_id", "type", "tags", "replied_by_id", "replied_by"):
        assert t[col].dtype == "str", col
    assert t.index.tolist() == [0, 1, 2, 3, 4]
    _stamps, kept = memo.get(("turns", "s", "222", repr(HOURS)))     # the memo keeps each page compact
    assert kept["conversation_id"].dtype == "category" and len(kept) == 2


def test_equal_to_the_turns_of_the_messages_computed_at_once(monkeypatch):
    """Parsed one conversation at a time and extended with a conversation stored later: the
    same frame as ``replies.turns`` over every message at once."""
    monkeypatch.setattr(dr, "PARSE_AT_ONCE", 1)
    store = filled()
    memo = BoundedLRU(8, 2**24, size_of=dr._turns_bytes)
    dr.kept_turns(store, "s", convs([ALL[0], ALL[2]]), HOURS, NOW, memo=memo)     # c9 and c5 first, then all
    real = replies.messages_frame
    parsed = counting(monkeypatch)
    got, _ = dr.kept_turns(store, "s", convs(ALL), HOURS, NOW, memo=memo)
    assert parsed == [1, 1, 1]                                           # c10, then c6 and c7, one at a time
    every = [(p, c, json.loads(store.messages_get("s", p, [c])[c][1])) for p, c in ALL]
    whole = replies.at_now(replies.typed_turns(replies.turns(real(every), HOURS, NOW, conversations=convs(ALL))),
                           HOURS, NOW)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), whole.reset_index(drop=True))


def test_nothing_stored_and_an_empty_selection():
    store = memory_store()
    t, have = dr.kept_turns(store, "s", convs(ALL), HOURS, NOW, memo=None)
    assert t.empty and (have.complete, have.total) == (0, 5) and t["page_id"].dtype == "str"
    t, have = dr.kept_turns(filled(), "s", convs(ALL).iloc[0:0], HOURS, NOW, memo=None)
    assert t.empty and (have.complete, have.total) == (0, 0)

"""The stored messages of a page read and parsed once for every session (issue 20, ten viewers
at once): a run reads only the bodies of conversations new or moved since, drops those no
longer current, and the memo keeps no more than its bounds."""
from __future__ import annotations

import json

import pandas as pd

from pancake.data import replies as dr
from pancake.data.core import BoundedLRU
from pancake.data.store import memory_store
from pancake.numbers import replies

P1, P2 = "111", "222"


def body(*times: str, page: str = P1) -> str:
    """A conversation's slim messages, newest first: a customer's, then the page's reply."""
    msgs = [{"id": f"m{i}", "inserted_at": t, "from": {"id": page if i % 2 else "cust"}} for i, t in enumerate(times)]
    return json.dumps(msgs[::-1])


def convs(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame({"page_id": [r[0] for r in rows], "conversation_id": [r[1] for r in rows],
                         "customer_id": ["cust"] * len(rows), "updated_at": [r[2] for r in rows]})


def counting(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = replies.messages_frame

    def messages_frame(items, bots=()):
        items = list(items)
        calls.append(len(items))
        return real(items, bots=bots)
    monkeypatch.setattr(replies, "messages_frame", messages_frame)
    return calls


def test_the_same_bodies_are_parsed_once_and_a_change_again(monkeypatch):
    calls = counting(monkeypatch)
    store, memo = memory_store(), BoundedLRU(8, 2**20, size_of=dr._frame_bytes)
    read: list[list[str]] = []
    real_get = store.messages_get

    def messages_get(source, page_id, ids):
        read.append(sorted(ids))
        return real_get(source, page_id, ids)
    monkeypatch.setattr(store, "messages_get", messages_get)
    store.messages_put("s", P1, [("c1", "2026-07-06T08:00:00", 2, body("2026-07-06T01:00:00", "2026-07-06T01:05:00")),
                                 ("c2", "2026-07-06T09:00:00", 2, body("2026-07-06T02:00:00", "2026-07-06T02:01:00"))], 0)
    store.messages_put("s", P2, [("c9", "2026-07-06T09:00:00", 2,
                                  body("2026-07-06T03:00:00", "2026-07-06T03:10:00", page=P2))], 0)
    both = convs((P1, "c1", "2026-07-06T08:00:00"), (P1, "c2", "2026-07-06T09:00:00"),
                 (P2, "c9", "2026-07-06T09:00:00"))
    first = dr.kept(store, "s", both, memo=memo)
    assert calls == [2, 1] and first.complete == 3 and len(first.messages) == 6
    assert read == [["c1", "c2"], ["c9"]]
    again = dr.kept(store, "s", both, memo=memo)                      # another session, the same bodies
    assert calls == [2, 1]
    pd.testing.assert_frame_equal(first.messages, again.messages)
    # a viewer of P2 alone gets P2's messages only, from the memo
    only2 = dr.kept(store, "s", convs((P2, "c9", "2026-07-06T09:00:00")), memo=memo)
    assert calls == [2, 1] and set(only2.messages["conversation_id"]) == {"c9"} and len(read) == 2
    # c2 answered again: only c2's body is read and parsed (3 messages now), P2's is not
    store.messages_put("s", P1, [("c2", "2026-07-06T10:00:00", 3,
                                  body("2026-07-06T02:00:00", "2026-07-06T02:01:00", "2026-07-06T03:00:00"))], 0)
    moved = convs((P1, "c1", "2026-07-06T08:00:00"), (P1, "c2", "2026-07-06T10:00:00"),
                  (P2, "c9", "2026-07-06T09:00:00"))
    after = dr.kept(store, "s", moved, memo=memo)
    assert calls == [2, 1, 1] and read[2:] == [["c2"]] and len(after.messages) == 7
    assert sorted(after.messages.groupby("conversation_id").size().items()) == [("c1", 2), ("c2", 3), ("c9", 2)]
    # a session whose conversations still say c2's old stamp: c2 is missing, P1 holds c1 alone, nothing read
    stale = dr.kept(store, "s", both, memo=memo)
    assert calls == [2, 1, 1] and len(read) == 3
    assert stale.complete == 2 and list(stale.missing["conversation_id"]) == ["c2"]
    assert sorted(stale.messages.groupby("conversation_id").size().items()) == [("c1", 2), ("c9", 2)]


def test_nothing_kept_and_no_memo():
    store = memory_store()
    none = dr.kept(store, "s", convs((P1, "c1", "2026-07-06T08:00:00")), memo=None)
    assert none.complete == 0 and none.messages.empty and list(none.messages.columns) == replies.MESSAGE_COLUMNS
    empty = dr.kept(store, "s", convs(), memo=None)
    assert empty.total == 0 and empty.messages.empty


def test_the_memo_keeps_its_byte_bound():
    store, memo = memory_store(), BoundedLRU(100, 600, size_of=dr._frame_bytes)
    for i in range(6):       # six pages' frames of two messages each do not fit in 600 bytes
        page = f"p{i}"
        store.messages_put("s", page, [("c1", "2026-07-06T08:00:00", 2,
                                        body("2026-07-06T01:00:00", "2026-07-06T01:05:00", page=page))], 0)
        got = dr.kept(store, "s", convs((page, "c1", "2026-07-06T08:00:00")), memo=memo)
        assert len(got.messages) == 2
    assert 0 < memo.bytes <= 600 and 1 <= len(memo) < 6

"""Issue 21: the conversations' messages in the store (``pancake_messages``, schema 4) on both
backends: kept per (source, page, conversation) with the conversation's updated_at, replaced in
place, other sources apart, cleared with the statistics."""
from __future__ import annotations

from tests.pancake.store.backends import backend  # noqa: F401 - fixture


def test_messages_kept_replaced_and_cleared(backend):  # noqa: F811
    _, store, _ = backend
    assert store.messages_get("s", "p1", ["c1"]) == {}
    assert store.messages_put("s", "p1", [("c1", "2026-12-07T09:00:00", 2, '[{"id": "m1"}]'),
                                          ("c2", "2026-12-07T09:05:00", 1, "[]")], 1.0) == 2
    store.messages_put("other", "p1", [("c1", "x", 0, "[]")], 1.0)
    assert store.messages_get("s", "p1", ["c1", "c2", "c3"]) == {
        "c1": ("2026-12-07T09:00:00", '[{"id": "m1"}]'), "c2": ("2026-12-07T09:05:00", "[]")}
    store.messages_put("s", "p1", [("c1", "2026-12-07T10:00:00", 3, '[{"id": "m2"}]')], 2.0)
    assert store.messages_get("s", "p1", ["c1"]) == {"c1": ("2026-12-07T10:00:00", '[{"id": "m2"}]')}
    # the stamps alone (no body read), other sources apart
    assert store.messages_stamps("s", "p1", ["c1", "c2", "c3"]) == {"c1": "2026-12-07T10:00:00",
                                                                    "c2": "2026-12-07T09:05:00"}
    assert store.messages_stamps("other", "p1", ["c1"]) == {"c1": "x"} and store.messages_stamps("s", "p1", []) == {}
    assert store.messages_get("s", "p2", ["c1"]) == {}
    assert store.messages_put("s", "p1", [], 3.0) == 0
    many = [f"c{i}" for i in range(1200)]          # more ids than one query takes
    store.messages_put("s", "p9", [(c, "t", 0, "[]") for c in many], 1.0)
    assert len(store.messages_get("s", "p9", many)) == 1200 and len(store.messages_stamps("s", "p9", many)) == 1200
    store.clear("p1")
    assert store.messages_get("s", "p1", ["c1", "c2"]) == {} and len(store.messages_get("s", "p9", many)) == 1200
    store.clear(open_only=True)                    # open statistics only: messages stay
    assert len(store.messages_get("s", "p9", many)) == 1200
    store.clear()
    assert store.messages_get("s", "p9", many) == {}

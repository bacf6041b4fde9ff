"""Conversation, message and customer times are converted a column at a time
(``conversations.local_times``): the plain UTC strings the API sends at once, anything else one by
one. Every value must come out as it did one by one: UTC made local, whole seconds, NaT for a
missing, empty, impossible or unreadable time, an offset honoured, a time without a zone read as
UTC, and a column mixing the two kinds."""
from __future__ import annotations

from pancake.numbers import conversations as conv

TZ = "Asia/Ho_Chi_Minh"   # UTC+7
PID = "111"


def c(i, **kw):
    base = {"id": f"c{i}", "page_id": PID, "type": "INBOX", "customers": [{"id": "cu1", "fb_id": "psid1"}],
            "from": {"id": "psid1"}, "last_sent_by": {"id": PID}, "tags": [], "assignee_ids": []}
    base.update(kw)
    return base


def times(frame, col):
    return dict(zip(frame["conversation_id"], frame[col].astype("string").fillna("NaT")))


def test_plain_utc_strings_only():
    f = conv.conversations_frame([
        c(1, inserted_at="2026-07-05T17:30:00", updated_at="2026-07-05T18:00:00.999999"),
        c(2, inserted_at="2026-07-06 01:02:03", updated_at=None),
        c(3, inserted_at="", updated_at="2026-02-30T10:00:00"),       # no such day
        c(4, updated_at="2026-12-31T16:59:59.5"),                     # inserted_at left out
    ], PID, TZ)
    assert times(f, "created_at") == {"c1": "2026-07-06 00:30:00", "c2": "2026-07-06 08:02:03",
                                      "c3": "NaT", "c4": "NaT"}
    assert times(f, "updated_at") == {"c1": "2026-07-06 01:00:00", "c2": "NaT", "c3": "NaT",
                                      "c4": "2026-12-31 23:59:59"}
    assert str(f["created_at"].dtype) == "datetime64[ns]" and str(f["waiting_since"].dtype) == "datetime64[ns]"


def test_offsets_numbers_and_garbage_mixed_with_plain_strings():
    f = conv.conversations_frame([
        c(1, inserted_at="2026-07-06T17:00:00+07:00", updated_at="2026-07-06T10:00:00Z"),
        c(2, inserted_at="garbage", updated_at="2026-07-06T10:00:00-05:30"),
        c(3, inserted_at="2026-07-05T17:30:00", updated_at="2026-07-06"),   # a date alone: its midnight UTC
        c(4, inserted_at=None, updated_at=float("nan")),
    ], PID, TZ)
    assert times(f, "created_at") == {"c1": "2026-07-06 17:00:00", "c2": "NaT", "c3": "2026-07-06 00:30:00",
                                      "c4": "NaT"}
    assert times(f, "updated_at") == {"c1": "2026-07-06 17:00:00", "c2": "2026-07-06 22:30:00",
                                      "c3": "2026-07-06 07:00:00", "c4": "NaT"}


def test_waiting_since_the_customers_last_message_else_the_update():
    customer = {"id": "psid1", "name": "Hà"}
    f = conv.conversations_frame([
        c(1, updated_at="2026-07-06T03:00:00", last_sent_by=customer, last_customer_interactive_at="2026-07-06T02:00:00"),
        c(2, updated_at="2026-07-06T03:00:00", last_sent_by=customer, last_customer_interactive_at=None),
        c(3, updated_at="2026-07-06T03:00:00", last_sent_by=customer, last_customer_interactive_at="nope"),
        c(4, updated_at=None, last_sent_by=customer),                            # nothing known
        c(5, updated_at="2026-07-06T03:00:00", last_customer_interactive_at="2026-07-06T02:00:00"),  # answered
    ], PID, TZ)
    assert times(f, "waiting_since") == {"c1": "2026-07-06 09:00:00", "c2": "2026-07-06 10:00:00",
                                         "c3": "2026-07-06 10:00:00", "c4": "NaT", "c5": "NaT"}
    assert f.set_index("conversation_id")["last_from_customer"].to_dict() == \
        {"c1": True, "c2": True, "c3": True, "c4": True, "c5": False}


def test_message_count_as_a_string_and_an_ordinary_page_with_nothing_waiting():
    f = conv.conversations_frame([c(1, inserted_at="2026-07-06T01:00:00", message_count="12"),
                                  c(2, inserted_at="2026-07-06T02:00:00", message_count="x")], PID, TZ)
    assert f["message_count"].astype("object").where(f["message_count"].notna(), None).tolist() == [None, 12]
    assert f["waiting_since"].isna().all() and f["conversation_id"].tolist() == ["c2", "c1"]


def test_empty_answers_keep_the_columns_and_types():
    for f in (conv.conversations_frame([], PID, TZ), conv.conversations_frame([None, {"no": "id"}], PID, TZ)):
        assert f.empty and list(f.columns) == conv.CONVERSATION_COLUMNS
        assert str(f["created_at"].dtype) == "datetime64[ns]" and str(f["message_count"].dtype) == "Int64"
    m = conv.messages_frame([], PID, TZ)
    assert m.empty and str(m["sent_at"].dtype) == "datetime64[ns]"


def test_messages_and_customers_times():
    m = conv.messages_frame([{"id": "m1", "inserted_at": "2026-07-05T23:59:59.900000", "from": {"id": PID}},
                             {"id": "m2", "inserted_at": None, "from": {"id": "psid1"}},
                             {"id": "m3", "inserted_at": "2026-07-06T00:00:01+00:00", "from": {"id": "psid1"}}],
                            PID, TZ)
    assert m["sent_at"].astype("string").fillna("NaT").tolist() == ["2026-07-06 06:59:59", "2026-07-06 07:00:01", "NaT"]
    cu = conv.page_customers_frame([{"id": "a", "inserted_at": "2026-07-06T01:00:00", "updated_at": ""},
                                    {"id": "b", "inserted_at": "2026-07-06T02:00:00.25", "updated_at": "2026-07-06T03:00:00"}],
                                   PID, TZ)
    assert cu["created_at"].astype("string").tolist() == ["2026-07-06 09:00:00", "2026-07-06 08:00:00"]
    assert cu["updated_at"].astype("string").fillna("NaT").tolist() == ["2026-07-06 10:00:00", "NaT"]

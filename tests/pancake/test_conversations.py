"""Conversations: payload -> frames (both reference shapes, unknowns kept unknown, UTC -> local),
waiting now, the drill-down filter; the data layer against the simulator (counts, capping,
waiting list, message paging, page customers, write actions sent once, a failing page)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import httpx
import pandas as pd
import pytest

from pancake.api.client import PancakeClient
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator
from pancake.data import conversations as dc
from pancake.numbers import conversations as conv
from tests.conftest import UNPACED

TZ = "Asia/Ho_Chi_Minh"
PID = "111"
NOW = datetime(2026, 7, 6, 14, 30)
P1, P2 = DEMO_PAGE_IDS[0], DEMO_PAGE_IDS[1]


def c(**kw):
    base = {"id": "c1", "page_id": PID, "type": "INBOX", "inserted_at": "2026-07-05T17:30:00",
            "updated_at": "2026-07-05T18:00:00", "customers": [{"id": "cu1", "fb_id": "psid1", "name": "Hà"}],
            "from": {"id": "psid1", "name": "Hà"}, "last_sent_by": {"id": PID, "name": "Shop"},
            "message_count": 4, "has_phone": False, "tags": [], "assignee_ids": []}
    base.update(kw)
    return base


# --- reshaping ------------------------------------------------------------------------------------

def test_times_are_utc_made_local_and_types_are_kept():
    f = conv.conversations_frame([c()], PID, TZ)
    assert f.loc[0, "created_at"] == pd.Timestamp("2026-07-06 00:30:00")   # 17:30 UTC = 00:30 next day, +7
    assert f.loc[0, "updated_at"] == pd.Timestamp("2026-07-06 01:00:00")
    assert str(f["message_count"].dtype) == "Int64" and str(f["has_phone"].dtype) == "boolean"
    assert list(f.columns) == conv.CONVERSATION_COLUMNS


def test_tags_as_ids_or_objects_named_and_nulls_skipped():
    names = {"1": "Khách mới", "2": "Đã chốt"}
    ids = conv.conversations_frame([c(tags=[2, 1])], PID, TZ, tag_names=names)
    objs = conv.conversations_frame([c(tags=[{"id": 1, "text": "Khách mới (obj)"}, None, {"id": 9}])], PID, TZ,
                                    tag_names=names)
    assert ids.loc[0, "tag_names"] == "Đã chốt; Khách mới" and ids.loc[0, "tag_ids"] == "2; 1"
    assert objs.loc[0, "tag_names"] == "Khách mới (obj); 9" and objs.loc[0, "tag_ids"] == "1; 9"


def test_assignees_from_current_users_else_ids_named():
    users = {"u1": "Linh", "u2": "Nam"}
    a = conv.conversations_frame([c(current_assign_users=[{"id": "u2", "name": "Nam (live)"}],
                                    assignee_ids=["u1"])], PID, TZ, user_names=users)
    b = conv.conversations_frame([c(assignee_ids=["u1", "u3"])], PID, TZ, user_names=users)
    assert a.loc[0, "assignee_names"] == "Nam (live)"
    assert b.loc[0, "assignee_names"] == "Linh; u3" and b.loc[0, "assignee_ids"] == "u1; u3"


# the reference's own example (pancake-api-docs-vi.txt, "conversations"): only assignee_histories
REFERENCE_CONVERSATION = {
    "page_id": "wa_c.us@84328290781", "customer_id": "72bea3ea-722a-4e33-b415-2b2281f44724",
    "assignee_histories": [{"conversation_id": "wa_84328290781@c.us_62818166016@c.us",
                            "inserted_at": "2021-08-26T06:29:56",
                            "payload": {"added_users": [{"email": "phamdongtx@gmail.com", "fb_id": "1831989023699268",
                                                         "id": "82be33ea-729a-4e83-be15-2b7c83f34724",
                                                         "name": "Pham Dong"}],
                                        "deleted_users": []}}],
    "type": "INBOX", "inserted_at": "2021-08-26T06:29:56", "tags": [], "recent_phone_numbers": [],
    "customers": [{"avatar_url": "84328290781@c.us_1621224114", "fb_id": "wa_c.us@62818166016",
                   "id": "d8526c77-832a-425c-8aee-e5d7dfcd7cd0", "name": "Babywearit (+62 81 816 6016)"}],
    "has_phone": False, "tag_histories": [], "post_id": None, "id": "wa_84328290781@c.us_62818166016@c.us",
    "last_sent_by": {"avatar_url": "84328290781@c.us_1621224114", "id": "wa_c.us@62818166016",
                     "name": "Babywearit (+62 81 816 6016)", "phone_number": "62818166016"}}


def test_the_references_own_conversation_is_assigned_from_its_history():
    """Regression (issue 17, 12b): a conversation shaped like the reference's example (only
    ``assignee_histories``, no ``assignee_ids``) read as unassigned. By hand: Pham Dong."""
    f = conv.conversations_frame([REFERENCE_CONVERSATION], "wa_c.us@84328290781", TZ)
    assert f.loc[0, "assignee_ids"] == "82be33ea-729a-4e83-be15-2b7c83f34724"
    assert f.loc[0, "assignee_names"] == "Pham Dong"


def test_assignee_history_replayed_oldest_first():
    """Changes out of order in the list: 08:00 Linh and Nam added, 10:00 Linh removed and An
    (id a number) added, 09:00 Nam's name changed. By hand: Nam (renamed), An. Nulls skipped."""
    def change(at, added=(), deleted=()):
        return {"inserted_at": at, "payload": {"added_users": list(added), "deleted_users": list(deleted)}}
    hist = [change("2026-07-06T10:00:00", added=[{"id": 7, "name": "An"}, None, {"id": None, "name": "x"}],
                   deleted=[{"id": "u1"}]),
            change("2026-07-06T08:00:00", added=[{"id": "u1", "name": "Linh"}, {"id": "u2", "name": "Nam"}]),
            change("2026-07-06T09:00:00", added=[{"id": "u2", "name": "Nam B"}]),
            {"inserted_at": "2026-07-06T11:00:00", "payload": None}, None]
    base = {k: v for k, v in c().items() if k != "assignee_ids"}
    f = conv.conversations_frame([{**base, "assignee_histories": hist}], PID, TZ)
    assert f.loc[0, "assignee_ids"] == "u2; 7" and f.loc[0, "assignee_names"] == "Nam B; An"


def test_assignee_ids_sent_win_over_the_history():
    """``assignee_ids`` (even empty) is the current state: the history is not replayed then."""
    hist = REFERENCE_CONVERSATION["assignee_histories"]
    empty = conv.conversations_frame([c(assignee_ids=[], assignee_histories=hist)], PID, TZ)
    ids = conv.conversations_frame([c(assignee_ids=["u9"], assignee_histories=hist)], PID, TZ)
    none = conv.conversations_frame([{**c(), "assignee_ids": None, "assignee_histories": None}], PID, TZ)
    assert empty.loc[0, "assignee_names"] == "" and ids.loc[0, "assignee_ids"] == "u9"
    assert none.loc[0, "assignee_names"] == ""


def test_unknowns_stay_unknown():
    raw = c()
    for k in ("has_phone", "message_count", "last_sent_by"):
        raw.pop(k)
    f = conv.conversations_frame([raw], PID, TZ)
    assert f["has_phone"].isna().all() and f["message_count"].isna().all()
    assert f["last_from_customer"].isna().all() and f["from_ads"].isna().all()
    g = conv.conversations_frame([{**raw, "recent_phone_numbers": [{"phone_number": "09"}], "ad_ids": None}], PID, TZ)
    assert bool(g.loc[0, "has_phone"]) is True and bool(g.loc[0, "from_ads"]) is False


def test_from_ads_list_wins_over_ad_ids():
    f = conv.conversations_frame([c(id="a", ad_ids=["x"]), c(id="b")], PID, TZ, ads_ids={"b"})
    assert dict(zip(f["conversation_id"], f["from_ads"])) == {"a": False, "b": True}


@pytest.mark.parametrize("last, expected", [
    ({"id": "psid1", "name": "Hà"}, True),                      # the customer
    ({"id": PID, "name": "Shop"}, False),                       # the page
    ({"id": "psid1", "admin_id": "99", "admin_name": "Linh"}, False),   # staff
    ({"id": "someone-else"}, False),
])
def test_last_from_customer(last, expected):
    assert conv.last_from_customer(c(last_sent_by=last), PID) is expected


def test_duplicates_keep_the_first_and_newest_first():
    f = conv.conversations_frame([c(id="a", inserted_at="2026-07-01T00:00:00"),
                                  c(id="b", inserted_at="2026-07-03T00:00:00"),
                                  c(id="a", inserted_at="2026-07-09T00:00:00")], PID, TZ)
    assert list(f["conversation_id"]) == ["b", "a"]


def test_waiting_longest_first_with_breach():
    convs = [c(id="x", last_sent_by={"id": "psid1"}, updated_at="2026-07-06T07:00:00"),       # 14:00 local
             c(id="y", last_sent_by={"id": "psid1"}, updated_at="2026-07-06T07:25:00",
               last_customer_interactive_at="2026-07-06T07:20:00"),                          # 14:20 local
             c(id="z")]                                                                       # answered
    w = conv.waiting(conv.conversations_frame(convs, PID, TZ), NOW, threshold_minutes=15)
    assert list(w["conversation_id"]) == ["x", "y"]
    assert list(w["wait_ms"]) == [30 * 60_000.0, 10 * 60_000.0]
    assert list(w["breach"]) == [True, False]


def test_messages_oldest_first_and_sides():
    msgs = [{"id": "m2", "inserted_at": "2026-07-06T01:00:00", "from": {"id": PID, "name": "Shop", "admin_name": "Linh"},
             "message": "Dạ", "conversation_id": "c1"},
            {"id": "m1", "inserted_at": "2026-07-06T00:59:00", "from": {"id": "psid1", "name": "Hà"},
             "message": "Còn size M?", "conversation_id": "c1"}]
    f = conv.messages_frame(msgs, PID, TZ)
    assert list(f["message_id"]) == ["m1", "m2"] and list(f["from_customer"]) == [True, False]
    assert f.loc[1, "sender"] == "Linh" and f.loc[0, "sent_at"] == pd.Timestamp("2026-07-06 07:59:00")


def test_page_customers_frame_phone_and_unknown():
    f = conv.page_customers_frame([{"id": "a", "name": "A", "inserted_at": "2026-07-05T00:00:00",
                                    "phone_numbers": ["0912"]},
                                   {"id": "b", "name": "B", "inserted_at": "2026-07-04T00:00:00"}], PID, TZ)
    assert list(f["customer_id"]) == ["a", "b"]
    assert bool(f.loc[0, "has_phone"]) is True and pd.isna(f.loc[1, "has_phone"])


# --- the drill-down filter ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("type:comment", conv.Drill("type", "COMMENT")), ("tag:Khách mới", conv.Drill("tag", "Khách mới")),
    ("slot:0-09", conv.Drill("slot", "0-9")), ("day:2026-07-05", conv.Drill("day", "2026-07-05")),
    ("phone:1", conv.Drill("phone", "1")), ("phone:yes", None), ("slot:7-1", None), ("nope:1", None),
    ("day:2026-13-01", None), ("", None), (None, None), ("type:POST", None),
])
def test_parse_drill(text, expected):
    assert conv.parse_drill(text) == expected
    if expected is not None:
        assert conv.parse_drill(expected.encode()) == expected   # round trip through the URL


def test_drill_masks():
    f = conv.conversations_frame([
        c(id="a", type="COMMENT", tags=[1], has_phone=True, inserted_at="2026-07-06T02:10:00"),   # Mon 09:10
        c(id="b", tags=[1, 2], assignee_ids=["u1"], inserted_at="2026-07-05T02:10:00"),          # Sun 09:10
        c(id="c")], PID, TZ, tag_names={"1": "T1", "2": "T2"}, user_names={"u1": "Linh"})
    ids = lambda d: sorted(conv.apply_drill(f, d)["conversation_id"])  # noqa: E731
    assert ids(conv.parse_drill("type:COMMENT")) == ["a"]
    assert ids(conv.parse_drill("tag:T1")) == ["a", "b"]
    assert ids(conv.parse_drill("tag:-")) == ["c"]
    assert ids(conv.parse_drill("assignee:u1")) == ["b"] and ids(conv.parse_drill("assignee:-")) == ["a", "c"]
    assert ids(conv.parse_drill("assignee:Linh")) == []   # by id: a name-valued link is settled first
    assert conv.assignee_named(f, conv.parse_drill("assignee:Linh")) == ["u1"]
    assert conv.assignee_named(f, conv.parse_drill("assignee:u1")) == []
    assert ids(conv.parse_drill("phone:1")) == ["a"] and ids(conv.parse_drill("phone:0")) == ["b", "c"]
    assert ids(conv.parse_drill("slot:0-9")) == ["a"] and ids(conv.parse_drill("day:2026-07-05")) == ["b"]
    assert ids(None) == ["a", "b", "c"]
    assert sorted(conv.search(f, "t2")["conversation_id"]) == ["b"]


# --- the data layer against the simulator -------------------------------------------------------------

@pytest.fixture
def sim():
    """Counting no rate limit, and its clients unpaced (``client_for``, ``UNPACED``): what these
    tests look at is what is loaded, not the pace (each waited up to 4 s in real time for it)."""
    return Simulator(now=NOW, rate_limit_per_second=0)


def client_for(sim, **kw):
    return PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=dict(DEMO_PAGE_TOKENS),
                         base_url="https://pages.fm/api", transport=sim.transport(), timezone=TZ,
                         **{"rate_per_second": UNPACED, **kw})


def test_range_counts_equal_the_truth(sim):
    day = date(2026, 7, 5)
    loaded = dc.load_conversations(client_for(sim), [P1, P2], day, day, TZ)
    assert not loaded.errors and not loaded.capped and loaded.ads_known == [P1, P2]
    for pid in (P1, P2):
        truth = sim.truth.conversations(pid, datetime(2026, 7, 5), datetime(2026, 7, 5, 23, 59, 59))
        got = loaded.frame[loaded.frame["page_id"] == pid]
        assert sorted(got["conversation_id"]) == sorted(x.id for _, x in truth)
        by_id = {x.id: x for _, x in truth}
        assert all(bool(h) == by_id[i].has_phone for i, h in zip(got["conversation_id"], got["has_phone"]))
        assert all(bool(a) == by_id[i].from_ad for i, a in zip(got["conversation_id"], got["from_ads"]))
        assert sorted(got["type"]) == sorted(x.type for _, x in truth)
        names = {t.id: t.name for t in sim.truth.staff(pid)}
        assert set(got["assignee_names"]) <= set(names.values())
        assert got["created_at"].min() >= pd.Timestamp(day) and got["created_at"].max() < pd.Timestamp(day) + timedelta(1)


def test_a_large_range_is_capped_and_says_so(sim):
    loaded = dc.load_conversations(client_for(sim), [P1], date(2026, 7, 4), date(2026, 7, 5), TZ, cap=100)
    assert loaded.capped == [P1] and len(loaded.frame) == 100


def test_waiting_matches_the_truth(sim):
    loaded = dc.load_waiting(client_for(sim), [P1, P2], NOW, TZ)
    w = conv.waiting(loaded.frame, NOW)
    # the simulator's v2 list (no time filter) holds the conversations created over 14 days
    listed = datetime.combine(NOW.date() - timedelta(days=13), datetime.min.time())
    reach = loaded.looked_back or listed
    truth = sorted((pd.Timestamp(t).floor("s"), cid)   # times shown to the second
                   for pid in (P1, P2) for cid, t in sim.truth.waiting(pid, listed)
                   if pd.Timestamp(t).floor("s") >= pd.Timestamp(reach))
    assert len(truth) > 0
    assert list(zip(w["waiting_since"], w["conversation_id"])) == truth   # longest wait first
    assert list(w["wait_ms"]) == sorted(w["wait_ms"], reverse=True)


def test_messages_page_back_30_at_a_time(sim):
    day = date(2026, 7, 5)
    frame = dc.load_conversations(client_for(sim), [P1], day, day, TZ).frame
    row = frame[frame["message_count"] > 60].iloc[0]
    cl = client_for(sim)
    first, n1 = dc.messages(cl, P1, row["conversation_id"], row["customer_id"], TZ)
    second, n2 = dc.messages(cl, P1, row["conversation_id"], row["customer_id"], TZ, current_count=n1)
    assert n1 == n2 == 30 and not set(first["message_id"]) & set(second["message_id"])
    assert second["sent_at"].max() <= first["sent_at"].min()      # older ones
    assert first["from_customer"].notna().all()


def test_page_customers_total_and_phone(sim):
    day = date(2026, 7, 5)
    frame, total, capped = dc.page_customers(client_for(sim), P1, day, day, TZ)
    truth = [x for _, x in sim.truth.conversations(P1, datetime(2026, 7, 5), datetime(2026, 7, 5, 23, 59, 59)) if x.is_new]
    assert total == len(truth) == len(frame) and not capped
    assert int(frame["has_phone"].sum()) == sum(x.has_phone for x in truth)


def test_a_failing_page_does_not_blank_the_others(sim):
    tokens = dict(DEMO_PAGE_TOKENS)
    tokens[P2] = "WRONG-TOKEN"
    cl = PancakeClient(page_tokens=tokens, base_url="https://pages.fm/api", transport=sim.transport(), timezone=TZ,
                       rate_per_second=UNPACED)
    loaded = dc.load_conversations(cl, [P1, P2], date(2026, 7, 5), date(2026, 7, 5), TZ)
    assert [e.page_id for e in loaded.errors] == [P2] and loaded.pages_ok == [P1]
    assert set(loaded.frame["page_id"]) == {P1} and "WRONG-TOKEN" not in loaded.errors[0].message


def test_writes_off_by_default_and_switches():
    assert dc.writes_allowed({}, {}) is False
    assert dc.writes_allowed({"PANCAKE_ALLOW_WRITES": "1"}, {}) is True
    assert dc.writes_allowed({}, {"PANCAKE_ALLOW_WRITES": "true"}) is True
    assert dc.writes_allowed({}, {"pancake": {"allow_writes": 1}}) is True
    assert dc.writes_allowed({"PANCAKE_ALLOW_WRITES": "0"}, {"PANCAKE_ALLOW_WRITES": "1"}) is False


@pytest.mark.parametrize("action, value, path", [
    ("tag_add", "3", "/tags"), ("tag_remove", "3", "/tags"), ("assign", None, "/assign"),
    ("read", None, "/read"), ("unread", None, "/unread")])
def test_perform_sends_one_request(sim, action, value, path):
    day = date(2026, 7, 5)
    row = dc.load_conversations(client_for(sim), [P1], day, day, TZ).frame.iloc[0]
    if action == "assign":
        value = sim.truth.staff(P1)[1].id
    sim.reset_calls()
    answer = dc.perform(client_for(sim), action, P1, row["conversation_id"], value)
    posts = [x for x in sim.calls if x.method == "POST"]
    assert answer["success"] is True and len(posts) == 1 and posts[0].path.endswith(path)
    with pytest.raises(ValueError):
        dc.perform(client_for(sim), "delete", P1, row["conversation_id"])


def test_writes_are_not_retried_on_a_server_error():
    sent = []

    def handler(req: httpx.Request) -> httpx.Response:
        sent.append(req.method)
        return httpx.Response(502, text="<html>bad gateway</html>")
    cl = PancakeClient(page_tokens={PID: "tok"}, base_url="https://pages.fm/api", transport=httpx.MockTransport(handler),
                       sleep=lambda s: None)
    with pytest.raises(Exception):
        dc.perform(cl, "read", PID, "c1")
    assert sent == ["POST"]


# --- an agency's range: newest kept, a total over the pages, a deadline -------------------------------

def test_a_capped_range_keeps_each_pages_newest_conversations(sim):
    start, end = date(2026, 5, 1), date(2026, 7, 5)   # three windows of at most a month
    loaded = dc.load_conversations(client_for(sim), [P1], start, end, TZ, cap=150)
    truth = sorted(sim.truth.conversations(P1, datetime(2026, 5, 1), datetime(2026, 7, 5, 23, 59, 59)),
                   key=lambda x: x[0], reverse=True)
    assert loaded.capped == [P1] and loaded.cap == 150 and len(loaded.frame) == 150
    assert set(loaded.frame["conversation_id"]) == {x.id for _, x in truth[:150]}


def test_a_total_is_shared_between_the_pages():
    assert dc.per_page_cap(1, 12_000, 3000) == 3000
    assert dc.per_page_cap(24, 12_000, 3000) == 500
    assert dc.per_page_cap(7, 1000, 3000) == dc.MIN_PER_PAGE   # 143 a page is too few: the floor
    assert dc.per_page_cap(24, None, 3000) == 3000             # no total (the CLI)
    assert dc.per_page_cap(5, 12_000, 100) == 100              # never more than the per-page cap


def test_the_total_caps_every_page_and_from_ads_stays_right(sim, monkeypatch):
    monkeypatch.setattr(dc, "MIN_PER_PAGE", 1)   # a day of the demo pages is under the floor
    day = date(2026, 7, 5)
    n = len(sim.truth.conversations(P1, datetime(2026, 7, 5), datetime(2026, 7, 5, 23, 59, 59)))
    total = 2 * (n // 2)
    loaded = dc.load_conversations(client_for(sim), [P1, P2], day, day, TZ, total=total)
    per_page = dc.per_page_cap(2, total)
    assert loaded.cap == per_page and P1 in loaded.capped
    assert (loaded.frame.groupby("page_id").size() <= per_page).all()
    truth = {x.id: x for pid in (P1, P2)
             for _, x in sim.truth.conversations(pid, datetime(2026, 7, 5), datetime(2026, 7, 5, 23, 59, 59))}
    assert loaded.ads_known == [P1, P2]
    assert all(bool(a) == truth[i].from_ad for i, a in zip(loaded.frame["conversation_id"], loaded.frame["from_ads"]))


class _Gate(httpx.BaseTransport):
    """The simulator's transport, holding one page's conversation calls until ``open`` is set."""

    def __init__(self, inner, page_id):
        import threading
        self.inner, self.page_id = inner, page_id
        self.open = threading.Event()
        self.calls = 0

    def handle_request(self, request):
        if f"/pages/{self.page_id}/conversations" in request.url.path:
            self.calls += 1
            self.open.wait(30)
        return self.inner.handle_request(request)


def _deadline_once_the_others_are_in(monkeypatch, held: str) -> None:
    """The next ``gather.gather`` on a clock that stands still until every key but ``held`` is
    in, then jumps past any deadline: a late page without waiting out the deadline in real time."""
    from pancake.data import gather
    real = gather.gather

    def gather_once(futures, deadline=None, **kw):
        monkeypatch.setattr(gather, "gather", real)
        others = [f for k, fs in futures.items() if k != held for f in ([fs] if hasattr(fs, "done") else fs)]
        return real(futures, deadline, started=0.0, clock=lambda: 1e9 if all(f.done() for f in others) else 0.0,
                    **kw)
    monkeypatch.setattr(gather, "gather", gather_once)


def test_a_late_page_is_named_and_collected_by_the_next_load(sim, monkeypatch):
    day = date(2026, 7, 5)
    gate = _Gate(sim.transport(), P2)
    cl = PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=dict(DEMO_PAGE_TOKENS),
                       base_url="https://pages.fm/api", transport=gate, timezone=TZ, rate_per_second=UNPACED)
    _deadline_once_the_others_are_in(monkeypatch, P2)
    first = dc.load_conversations(cl, [P1, P2], day, day, TZ, deadline=8)
    assert first.late == [P2] and first.pages_ok == [P1] and set(first.frame["page_id"]) == {P1}
    assert [(e.page_id, e.kind) for e in first.errors] == [(P2, "timeout")]
    calls = gate.calls
    gate.open.set()
    second = dc.load_conversations(cl, [P1, P2], day, day, TZ, deadline=30)
    assert not second.late and not second.errors and second.pages_ok == [P1, P2]
    truth = sim.truth.conversations(P2, datetime(2026, 7, 5), datetime(2026, 7, 5, 23, 59, 59))
    assert sorted(second.frame.loc[second.frame["page_id"] == P2, "conversation_id"]) == sorted(x.id for _, x in truth)
    assert gate.calls == calls + (-(-len(truth) // 60) - 1)   # the late load went on; nothing asked twice


def test_customers_over_a_total_keep_the_apis_count_and_the_newest(sim, monkeypatch):
    monkeypatch.setattr(dc, "MIN_PER_PAGE", 1)
    start, end = date(2026, 7, 1), date(2026, 7, 5)
    truth = {pid: sorted(((t, x) for t, x in sim.truth.conversations(pid, datetime(2026, 7, 1),
                                                                     datetime(2026, 7, 5, 23, 59, 59)) if x.is_new),
                         key=lambda y: y[0], reverse=True) for pid in (P1, P2)}
    total = 2 * 150   # 150 a page: two calls of 100 each
    loaded = dc.load_customers(client_for(sim), [P1, P2], start, end, TZ, total=total)
    assert loaded.cap == 150 and not loaded.errors
    assert loaded.reported_total() == sum(len(v) for v in truth.values())   # the API's count, not the rows
    for pid in (P1, P2):
        got = loaded.frame[loaded.frame["page_id"] == pid]
        assert len(got) == min(150, len(truth[pid])) and (pid in loaded.capped) == (len(truth[pid]) > 150)
        newest = [pd.Timestamp(t).floor("s") for t, _ in truth[pid][:150]]
        assert sorted(got["created_at"]) == sorted(newest)

"""Waiting now includes everyone still waiting, however long ago they wrote (issue 17 item 3),
and later looks ask only what changed (issue 23: the idle TV's budget). A fake v2 API built by
hand: conversations most recently updated first, 60 a call, ``last_conversation_id`` cursor."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import httpx
import pandas as pd
import pytest

from pancake.api.client import PancakeClient
from pancake.data import conversations as dc
from pancake.numbers import conversations as conv
from tests.clock import FakeClock

TZ = "Asia/Ho_Chi_Minh"          # UTC+7, no daylight saving
PID = "p1"
NOW = datetime(2026, 7, 6, 14, 30)   # local; 07:30 UTC


class FakeApi:
    """``convs``: dicts; the v2 list is sorted by ``updated_at`` (newest first) on every call."""

    def __init__(self, convs):
        self.convs = list(convs)
        self.calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = urlparse(str(request.url)).path
        q = {k: v[0] for k, v in parse_qs(urlparse(str(request.url)).query).items()}
        self.calls.append(path.rsplit("/", 1)[-1])
        if path.endswith("/tags"):
            return httpx.Response(200, json={"success": True, "tags": [{"id": 1, "text": "Khách mới"}]})
        if path.endswith("/users"):
            return httpx.Response(200, json={"success": True, "users": [{"id": "u1", "name": "Lan"}]})
        assert "/v2/" in path and path.endswith("/conversations"), path
        convs = self.convs
        if q.get("since"):   # a time window filters on creation time (as the simulator does)
            lo, hi = int(q["since"]), int(q.get("until") or 2**40)
            convs = [c for c in convs
                     if lo <= datetime.fromisoformat(c["inserted_at"]).replace(tzinfo=UTC).timestamp() <= hi]
        ordered = sorted(convs, key=lambda c: (c["updated_at"], c["id"]), reverse=True)
        start = 0
        if q.get("last_conversation_id"):
            start = next(i for i, c in enumerate(ordered) if c["id"] == q["last_conversation_id"]) + 1
        return httpx.Response(200, json={"success": True, "conversations": ordered[start:start + 60]})


def customer_last(cid: str, updated_utc: str) -> dict:
    return {"id": cid, "page_id": PID, "type": "INBOX", "inserted_at": updated_utc, "updated_at": updated_utc,
            "customers": [{"id": f"cu-{cid}", "fb_id": f"ps-{cid}", "name": f"Khách {cid}"}],
            "from": {"id": f"ps-{cid}", "name": f"Khách {cid}"},
            "last_sent_by": {"id": f"ps-{cid}", "name": f"Khách {cid}"}, "tags": [1], "assignee_ids": ["u1"]}


def page_last(cid: str, updated_utc: str) -> dict:
    c = customer_last(cid, updated_utc)
    c["last_sent_by"] = {"id": PID, "name": "Shop", "admin_id": "a1"}
    return c


def client_for(api: FakeApi) -> PancakeClient:
    clock = FakeClock()
    return PancakeClient(access_token=None, page_tokens={PID: "tok"}, base_url="https://pages.fm/api",
                         transport=httpx.MockTransport(api), timezone=TZ, clock=clock, sleep=clock.sleep)


# Four customers waiting (UTC times = local − 7 h): 72 h, 26 h, 5 h and 30 min before NOW.
W72 = customer_last("w72", "2026-07-03T07:30:00")
W26 = customer_last("w26", "2026-07-05T05:30:00")
W5 = customer_last("w5", "2026-07-06T02:30:00")
W30 = customer_last("w30", "2026-07-06T07:00:00")


def answered(n: int, newest_utc: datetime) -> list[dict]:
    """``n`` answered conversations, one a minute back from ``newest_utc``."""
    return [page_last(f"a{i:04d}", (newest_utc - timedelta(minutes=i)).isoformat()) for i in range(n)]


def test_everyone_waiting_counts_however_long_ago():
    # 130 answered conversations between them: the walk needs three calls to reach 72 h back
    api = FakeApi([W72, W26, W5, W30, *answered(130, datetime(2026, 7, 6, 7, 20))])
    loaded = dc.load_waiting(client_for(api), [PID], NOW, TZ, watches=dc._Watches())
    w = conv.waiting(loaded.frame, NOW, 15)
    assert list(w["conversation_id"]) == ["w72", "w26", "w5", "w30"]
    assert list(w["wait_ms"]) == [72 * 3_600_000, 26 * 3_600_000, 5 * 3_600_000, 30 * 60_000]
    assert list(w["breach"]) == [True, True, True, True]
    assert loaded.looked_back is None   # the API's whole list was read
    assert api.calls.count("conversations") == 3   # 134 conversations: 60 + 60 + 14


def test_every_wait_older_than_two_days_is_still_listed():
    api = FakeApi([customer_last("old1", "2026-07-01T00:00:00"), customer_last("old2", "2026-06-20T10:00:00"),
                   *answered(5, datetime(2026, 7, 6, 7, 0))])
    w = conv.waiting(dc.load_waiting(client_for(api), [PID], NOW, TZ, watches=dc._Watches()).frame, NOW)
    # 2026-07-01 07:00 local -> 14:30 on the 6th = 5 days 7.5 h; 2026-06-20 17:00 local -> 15 days 21.5 h
    assert list(w["conversation_id"]) == ["old2", "old1"]
    assert list(w["wait_ms"]) == [(15 * 24 + 21.5) * 3_600_000, (5 * 24 + 7.5) * 3_600_000]


def test_nobody_waiting_is_an_empty_frame_not_an_error():
    api = FakeApi(answered(3, datetime(2026, 7, 6, 7, 0)))
    loaded = dc.load_waiting(client_for(api), [PID], NOW, TZ, watches=dc._Watches())
    assert not loaded.errors and loaded.looked_back is None
    assert conv.waiting(loaded.frame, NOW).empty


def test_a_walk_cut_by_its_call_limit_says_how_far_back_it_read():
    # 200 answered conversations newer than every wait; two calls read 120 of them
    api = FakeApi([W72, W26, *answered(200, datetime(2026, 7, 6, 7, 20))])
    loaded = dc.load_waiting(client_for(api), [PID], NOW, TZ, max_calls=2, watches=dc._Watches())
    assert conv.waiting(loaded.frame, NOW).empty
    # the 120th newest: 07:20 UTC − 119 min = 05:21 UTC = 12:21 local
    assert loaded.looked_back == datetime(2026, 7, 6, 12, 21)
    assert api.calls.count("conversations") == 2


def test_later_looks_ask_only_what_changed_and_names_hourly():
    api = FakeApi([W72, W26, W5, *answered(130, datetime(2026, 7, 6, 7, 20))])
    client, watches, t = client_for(api), dc._Watches(), [0.0]
    meta = dc._Meta(clock=lambda: t[0])

    def look():
        frame, reach = dc.page_waiting(client, PID, NOW, TZ, clock=lambda: t[0], watches=watches, meta=meta)
        return sorted(conv.waiting(frame, NOW)["conversation_id"]), reach

    assert look() == (["w26", "w5", "w72"], None)
    first = len(api.calls)
    assert api.calls.count("tags") == 1 and api.calls.count("users") == 1

    t[0] = 30.0          # within WAIT_FRESH: no call at all
    assert look() == (["w26", "w5", "w72"], None) and len(api.calls) == first

    # w26 is answered, a new customer writes: both are the newest updates
    api.convs = [c for c in api.convs if c["id"] != "w26"]
    api.convs += [page_last("w26", "2026-07-06T07:25:00"), customer_last("n1", "2026-07-06T07:26:00")]
    t[0] = 60.0
    assert look() == (["n1", "w5", "w72"], None)
    assert api.calls[first:] == ["conversations"]   # one call: it reached a conversation already known

    t[0] = 3600.0        # an hour on: names once more
    look()
    assert api.calls[first + 1:] == ["conversations", "tags", "users"]


def test_sessions_share_one_waiting_frame_until_the_list_or_the_names_change(monkeypatch):
    # issue 20: ten sessions on the conversations page made the same frame ten times a look
    api = FakeApi([W72, W5, *answered(3, datetime(2026, 7, 6, 7, 20))])
    client, watches, t = client_for(api), dc._Watches(), [0.0]
    meta = dc._Meta(clock=lambda: t[0])
    made = []
    real = conv.conversations_frame
    monkeypatch.setattr(conv, "conversations_frame", lambda raw, *a, **k: made.append(len(raw)) or real(raw, *a, **k))

    def look():
        return dc.page_waiting(client, PID, NOW, TZ, clock=lambda: t[0], watches=watches, meta=meta)[0]

    first = look()
    second = look()                                  # another session within WAIT_FRESH
    assert made == [2]                               # w72 and w5: the answered ones are not kept
    pd.testing.assert_frame_equal(first, second)
    second.loc[0, "page_id"] = "changed"             # a session's change stays its own
    assert look().loc[0, "page_id"] == PID and made == [2]
    t[0] = 60.0                                      # a look that finds nothing new: the same list
    look()
    assert made == [2]
    api.convs.append(customer_last("n1", "2026-07-06T07:26:00"))
    t[0] = 120.0                                     # a new conversation: made again
    assert sorted(conv.waiting(look(), NOW)["conversation_id"]) == ["n1", "w5", "w72"]
    assert made == [2, 3]
    t[0] = 3600.0 + 120.0                            # the names asked again: made again
    look()
    assert made == [2, 3, 3]


def test_the_waiting_frame_names_tags_and_staff():
    api = FakeApi([W5])
    frame = dc.load_waiting(client_for(api), [PID], NOW, TZ, watches=dc._Watches()).frame
    assert list(frame["tag_names"]) == ["Khách mới"] and list(frame["assignee_names"]) == ["Lan"]


@pytest.mark.parametrize("status", [500, 403])
def test_a_failing_page_is_an_error_and_the_next_look_starts_again(status):
    calls = []

    def handler(request):
        calls.append(1)
        return httpx.Response(status, json={"success": False, "message": "no"})
    clock = FakeClock()
    client = PancakeClient(access_token=None, page_tokens={PID: "tok"}, base_url="https://pages.fm/api",
                           transport=httpx.MockTransport(handler), timezone=TZ, clock=clock, sleep=clock.sleep,
                           max_retries=0)
    loaded = dc.load_waiting(client, [PID], NOW, TZ, watches=dc._Watches())
    assert loaded.errors and loaded.frame.empty and loaded.pages_ok == []
    assert loaded.looked_back is None


def test_alert_waiting_counts_a_72_hour_wait():
    from pancake.delivery import alerts

    class Loader:
        client = client_for(FakeApi([W72, W30, *answered(3, datetime(2026, 7, 6, 7, 20))]))
    frame, errors = alerts.load_waiting(Loader, [PID], {PID: "Shop"}, NOW, 60)
    assert not errors
    assert list(frame["conversation_id"]) == ["w72", "w30"] and list(frame["breach"]) == [True, False]


def test_wait_fresh_keeps_many_pages_within_ten_calls_a_minute():
    assert dc.wait_fresh(0) == 60.0 and dc.wait_fresh(1) == 60.0 and dc.wait_fresh(10) == 60.0
    assert dc.wait_fresh(24) == 144.0   # 24 pages x 60 s / 10 calls a minute


def test_an_idle_tv_of_24_pages_asks_for_waits_7_times_a_minute():
    """Ten minutes of a TV refreshing every minute (an injected clock): after the first look,
    one "what changed" call per page every 144 s: at 180, 360 and 540 s = 3 x 24 calls."""
    pages = [f"p{i:02d}" for i in range(24)]
    api = FakeApi([W72, W5, *answered(20, datetime(2026, 7, 6, 7, 20))])
    clock = FakeClock()
    client = PancakeClient(access_token=None, page_tokens={p: "tok" for p in pages}, base_url="https://pages.fm/api",
                           transport=httpx.MockTransport(api), timezone=TZ, clock=clock, sleep=clock.sleep)
    watches, t = dc._Watches(), [0.0]
    first = dc.load_waiting(client, pages, NOW, TZ, fresh=dc.wait_fresh(24), clock=lambda: t[0], watches=watches)
    assert not first.errors
    assert api.calls.count("conversations") == 24   # 22 conversations: one short call a page
    for minute in range(1, 11):
        t[0] = 60.0 * minute
        loaded = dc.load_waiting(client, pages, NOW, TZ, fresh=dc.wait_fresh(24), clock=lambda: t[0],
                                 watches=watches)
        assert len(conv.waiting(loaded.frame, NOW)) == 48   # two waiting on each page, every minute
    assert api.calls.count("conversations") - 24 == 72   # 7.2 a minute


def test_a_tag_with_no_name_asks_for_the_names_again_after_a_minute():
    api = FakeApi([W5])
    client, watches, t = client_for(api), dc._Watches(), [0.0]
    meta = dc._Meta(clock=lambda: t[0])

    def names_now():
        frame, _ = dc.page_waiting(client, PID, NOW, TZ, clock=lambda: t[0], watches=watches, meta=meta)
        return list(frame["tag_names"])

    assert names_now() == ["Khách mới"] and api.calls.count("tags") == 1
    api.convs = [customer_last("w5", "2026-07-06T07:29:00") | {"tags": [7]}]   # a tag made since
    t[0] = 30.0
    assert api.calls.count("tags") == 1   # nothing asked within WAIT_FRESH
    t[0] = 61.0
    assert names_now() == ["7"] and api.calls.count("tags") == 2   # asked again; still no name for 7
    t[0] = 90.0
    names_now()
    assert api.calls.count("tags") == 2   # not again within the minute


def test_a_first_walk_in_the_background_says_its_reach_then_finds_the_oldest_wait():
    # 200 answered conversations newer than W72 and W26: the screen waits for 3 calls (180)
    api = FakeApi([W72, W26, *answered(200, datetime(2026, 7, 6, 7, 20))])
    client, watches, t, jobs = client_for(api), dc._Watches(), [0.0], []

    def look():
        return dc.page_waiting(client, PID, NOW, TZ, clock=lambda: t[0], watches=watches, background=jobs.append)

    frame, reach = look()
    assert conv.waiting(frame, NOW).empty and api.calls.count("conversations") == 3
    assert reach == datetime(2026, 7, 6, 11, 21)   # the 180th newest: 07:20 UTC − 179 min = 04:21 UTC
    assert len(jobs) == 1
    # meanwhile W26's customer is answered (a newer update), seen by the next look
    api.convs = [c for c in api.convs if c["id"] != "w26"] + [page_last("w26", "2026-07-06T07:25:00")]
    t[0] = 60.0
    look()
    jobs[0]()   # the rest of the first walk: it meets W26's older copy and must not take it
    t[0] = 90.0
    frame, reach = look()
    w = conv.waiting(frame, NOW)
    assert list(w["conversation_id"]) == ["w72"] and reach is None
    assert list(w["wait_ms"]) == [72 * 3_600_000]

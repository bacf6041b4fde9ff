"""The simulator keeps a read route's answer, a window's sorted conversations and a conversation's
messages between requests (``Simulator._memoised``) and counts a thread's messages by arithmetic
(``Truth._visible``): the answers must follow "now" and the write actions as before."""
from __future__ import annotations

import socket
import threading
from datetime import date, datetime

import httpx

from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_USER_TOKEN, Simulator, make_server
from pancake.api.simulator._data import Conv
from pancake.timeutil import day_bounds_unix

P1 = DEMO_PAGE_IDS[0]
NOW = datetime(2026, 7, 6, 14, 30)


def conv(hour=10, minute=0, second=0, message_count=4, update_minutes=60) -> Conv:
    return Conv(id="c1", psid="2026070610000000", hour=hour, minute=minute, second=second, type="INBOX",
                is_new=True, from_ad=False, name="Khách", tags=(), message_count=message_count,
                has_phone=False, update_minutes=update_minutes)


def test_a_thread_counts_the_messages_sent_by_now_at_the_exact_boundary():
    sim = Simulator(now=datetime(2026, 7, 6, 10, 30), rate_limit_per_second=0, holidays=())
    t, c = datetime(2026, 7, 6, 10, 0), conv()            # 4 messages, one every 15 minutes
    th = sim.truth.thread(P1, t, c)
    assert th.times == (datetime(2026, 7, 6, 10, 0), datetime(2026, 7, 6, 10, 15), datetime(2026, 7, 6, 10, 30))
    assert th.from_customer == (True, False, True)
    assert th.last_customer_at == datetime(2026, 7, 6, 10, 30)
    assert sim.truth.last_sent(P1, t, c) == datetime(2026, 7, 6, 10, 30)
    sim.set_now(datetime(2026, 7, 6, 10, 29, 59))
    assert sim.truth.thread(P1, t, c).times == (datetime(2026, 7, 6, 10, 0), datetime(2026, 7, 6, 10, 15))
    assert sim.truth.last_sent(P1, t, c) == datetime(2026, 7, 6, 10, 15)
    sim.set_now(datetime(2026, 7, 6, 9, 0))                # not begun yet: its first message all the same
    assert sim.truth.thread(P1, t, c).times == (datetime(2026, 7, 6, 10, 0),)
    assert sim.truth.last_sent(P1, t, c) == datetime(2026, 7, 6, 10, 0)
    sim.set_now(datetime(2026, 7, 7))                      # finished: the page answered last
    th = sim.truth.thread(P1, t, c)
    assert th.times[-1] == datetime(2026, 7, 6, 10, 45) and th.from_customer == (True, False, True, False)
    c3 = conv(message_count=3, update_minutes=30)          # odd: the last message is the page's
    th = sim.truth.thread(P1, t, c3)
    assert th.from_customer == (True, False, False) and th.last_customer_at == datetime(2026, 7, 6, 10, 0)
    assert sim.truth.last_sent(P1, t, c3) == datetime(2026, 7, 6, 10, 20)


def test_a_step_rounded_to_the_microsecond_and_a_closed_day():
    # 1 minute over 7 messages: 8.571429 s a step (rounded to the microsecond)
    sim = Simulator(now=datetime(2026, 7, 6, 10, 0, 17, 142858), rate_limit_per_second=0, holidays=())
    t, c = datetime(2026, 7, 6, 10, 0), conv(message_count=7, update_minutes=1)
    assert sim.truth.thread(P1, t, c).times[-1] == datetime(2026, 7, 6, 10, 0, 17, 142858)
    sim.set_now(datetime(2026, 7, 6, 10, 0, 17, 142857))
    assert sim.truth.thread(P1, t, c).times == (datetime(2026, 7, 6, 10, 0), datetime(2026, 7, 6, 10, 0, 8, 571429))
    # begun on a holiday: the second message at 08:00 + 7 minutes of the next open day, then every 20 minutes
    shut = Simulator(now=datetime(2026, 7, 7, 8, 27), rate_limit_per_second=0, holidays=[date(2026, 7, 6)])
    t, c = datetime(2026, 7, 6, 10, 7), conv(minute=7, message_count=3, update_minutes=60)
    assert shut.truth.thread(P1, t, c).times == (datetime(2026, 7, 6, 10, 7), datetime(2026, 7, 7, 8, 7),
                                                  datetime(2026, 7, 7, 8, 27))
    shut.set_now(datetime(2026, 7, 7, 8, 6))
    assert shut.truth.thread(P1, t, c).times == (datetime(2026, 7, 6, 10, 7),)
    assert shut.truth.last_sent(P1, t, c) == datetime(2026, 7, 6, 10, 7)


def _get(sim, path, **params):
    with httpx.Client(transport=sim.transport(), base_url="https://pages.fm/api") as c:
        return c.get(f"/public_api/v1/pages/{P1}/{path}", params={"page_access_token": sim.page_token(P1), **params})


def _post(sim, path, body=None):
    with httpx.Client(transport=sim.transport(), base_url="https://pages.fm/api") as c:
        return c.post(f"/public_api/v1/pages/{P1}/{path}", params={"page_access_token": sim.page_token(P1)},
                      json=body)


def test_a_kept_window_follows_the_writes_and_the_clock():
    sim = Simulator(now=NOW, rate_limit_per_second=0)
    since, until = day_bounds_unix(date(2026, 7, 5), date(2026, 7, 6), sim.tz)
    window = {"since": since, "until": until, "page_number": 1}
    everyone = _get(sim, "conversations", **window).json()
    tagged = _get(sim, "conversations", **window, tags="5").json()
    plain = next(c for c in everyone["conversations"] if 5 not in c["tags"])
    assert _post(sim, f"conversations/{plain['id']}/tags", {"action": "add", "tag_id": 5}).json()["data"] == \
        sorted([*plain["tags"], 5])
    again = _get(sim, "conversations", **window, tags="5").json()
    assert again["total"] == tagged["total"] + 1 and plain["id"] in [c["id"] for c in again["conversations"]]
    _post(sim, f"conversations/{plain['id']}/tags", {"action": "remove", "tag_id": 5})
    assert _get(sim, "conversations", **window, tags="5").json()["total"] == tagged["total"]
    # seen and assignees show at once
    _post(sim, f"conversations/{plain['id']}/{'unread' if plain['seen'] else 'read'}")
    now_seen = next(c for c in _get(sim, "conversations", **window).json()["conversations"] if c["id"] == plain["id"])
    assert now_seen["seen"] is (not plain["seen"])
    # the clock: an hour back has fewer conversations, and back again the same bytes as before
    sim.set_now(datetime(2026, 7, 6, 13, 30))
    earlier = _get(sim, "conversations", **window).json()
    assert earlier["total"] < everyone["total"]
    assert all(c["inserted_at"] <= "2026-07-06T06:30:00" for c in earlier["conversations"])   # 13:30 local = 06:30 UTC
    sim.set_now(NOW)
    _post(sim, f"conversations/{plain['id']}/{'read' if plain['seen'] else 'unread'}")
    assert _get(sim, "conversations", **window).content == _get(sim, "conversations", **window).content
    assert _get(sim, "conversations", **window).json() == everyone


def test_kept_messages_follow_the_clock_and_the_memory_stays_bounded():
    sim = Simulator(now=NOW, rate_limit_per_second=0)
    sim.MEMO_SIZE = {"responses": 4, "windows": 2, "messages": 3}
    t, c = sim.truth.conversations(P1, datetime(2026, 7, 5, 9), datetime(2026, 7, 5, 12))[0]
    path = f"conversations/{c.id}/messages"
    assert len(_get(sim, path).json()["messages"]) == min(30, c.message_count)   # the day before: all sent
    sim.set_now(t)                                       # the moment it began: only the first message
    assert [m["from"]["id"] for m in _get(sim, path).json()["messages"]] == [c.psid]
    since, until = day_bounds_unix(date(2026, 7, 1), date(2026, 7, 5), sim.tz)
    for d in range(1, 6):
        _get(sim, "conversations", since=since, until=until, page_number=d)
        _get(sim, "conversations", since=since + d, until=until, page_number=1)
    for _, other in sim.truth.conversations(P1, datetime(2026, 7, 4), datetime(2026, 7, 4, 12))[:10]:
        _get(sim, f"conversations/{other.id}/messages")
    assert [len(sim._memos[k]) for k in ("responses", "windows", "messages")] == [4, 2, 3]


def test_on_the_wall_clock_an_answer_is_not_kept_and_a_list_only_within_its_second(monkeypatch):
    sim = Simulator(rate_limit_per_second=0)
    assert sim._now is None
    clock = [datetime(2026, 7, 6, 14, 30, 0, 100_000)]
    monkeypatch.setattr(sim, "now", lambda: clock[0])            # the wall clock, stepped by the test
    since, until = day_bounds_unix(date(2026, 7, 6), date(2026, 7, 6), sim.tz)
    first = _get(sim, "conversations", since=since, until=until, page_number=1)
    assert first.status_code == 200 and first.json()["total"] > 60
    assert sim._memos["responses"] == {} and len(sim._memos["windows"]) == 1
    clock[0] = datetime(2026, 7, 6, 14, 30, 0, 900_000)         # the same second: the list sorted once
    assert _get(sim, "conversations", since=since, until=until, page_number=2).status_code == 200
    assert len(sim._memos["windows"]) == 1
    clock[0] = datetime(2026, 7, 6, 14, 30, 1)                   # the next second: sorted again
    again = _get(sim, "conversations", since=since, until=until, page_number=1)
    assert len(sim._memos["windows"]) == 2 and sim._memos["responses"] == {}
    assert again.json()["total"] == first.json()["total"]


def test_the_waiting_list_reads_only_the_days_whose_threads_may_go_on():
    # a thread lasts at most 10 hours: at 14:30 every thread of yesterday is over (by 11:00 with
    # an hour to spare), so a list since 2015 generates today alone
    sim = Simulator(now=NOW, rate_limit_per_second=0, holidays=())
    since_2015 = sim.truth.waiting(P1, datetime(2015, 1, 1))
    assert sorted(d for _, d in sim.truth._cache) == [date(2026, 7, 6)]
    assert since_2015 and since_2015 == sim.truth.waiting(P1, datetime(2026, 7, 4))
    assert all(at <= NOW for _, at in since_2015)
    # yesterday closed: its threads go on from 08:00 today, until 19:30 at the latest
    shut = Simulator(now=NOW, rate_limit_per_second=0, holidays=[date(2026, 7, 5)])
    shut.truth.waiting(P1, datetime(2015, 1, 1))
    assert sorted(d for _, d in shut.truth._cache) == [date(2026, 7, 5), date(2026, 7, 6)]


def test_the_http_server_sends_without_nagles_delay():
    """The headers and the body are two writes: with Nagle's algorithm on, the body waited for the
    client's delayed ACK (40 ms an answer on a kept-alive connection)."""
    sim = Simulator(now=NOW, rate_limit_per_second=0)
    server = make_server(sim)
    seen = []

    class Spy(server.RequestHandlerClass):
        def handle(self):
            seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            super().handle()
    server.RequestHandlerClass = Spy
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        r = httpx.get(f"http://{host}:{port}/api/v1/pages", params={"access_token": DEMO_USER_TOKEN})
    finally:
        server.shutdown()
        server.server_close()
    assert r.status_code == 200 and r.json()["success"] is True
    assert len(seen) == 1 and seen[0] != 0


def test_a_client_hanging_up_is_not_printed_as_an_error_but_a_real_error_is(capsys):
    """A stopped dashboard or filler hangs up mid-answer: the stdlib server printed a traceback
    for each (dozens at the end of every benchmark). Only that is quiet now."""
    from pancake.api.simulator.server import QuietServer

    class Probe(QuietServer):
        def __init__(self) -> None:   # no socket: only handle_error is tried
            pass

    probe = Probe()
    for quiet in (BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "Connection reset by peer")):
        try:
            raise quiet
        except OSError:
            probe.handle_error(None, ("127.0.0.1", 5))
    assert capsys.readouterr().err == ""
    try:
        raise ValueError("a bug in the simulator")
    except ValueError:
        probe.handle_error(None, ("127.0.0.1", 5))
    err = capsys.readouterr().err
    assert "ValueError: a bug in the simulator" in err and "127.0.0.1" in err

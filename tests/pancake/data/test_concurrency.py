"""Concurrency to the limit and no further, against the simulator over real HTTP with latency
and its 5 calls/s/page limit: every window of every page at once, arrivals within 5 per second
as the server counts them, a slow page never stalls the others, one fetch for many viewers,
and one budget per page across processes."""
from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from bench.sim_server import SimProcess, many_pages, page_ids, token
from pancake.api import errors
from pancake.api.client import PancakeClient
from pancake.api.ratelimit import RateLimiter
from pancake.api.simulator import DEMO_USER_TOKEN, FaultRule, Faults, Simulator
from pancake.api.simulator.server import _Handler
from pancake.data import core
from pancake.data.store import memory_store
from tests.clock import FakeClock

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 24, 15, 30)
TODAY = NOW.date()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256     # the stdlib's 5 makes simultaneous connections wait for SYN retries


class Server:
    """The simulator over HTTP on loopback (threads of this process)."""

    def __init__(self, n_pages: int = 5, **sim_kw) -> None:
        self.pages = many_pages(n_pages)
        self.sim = Simulator(now=NOW, pages=self.pages,
                             page_tokens={p.id: f"tok-{p.id}" for p in self.pages}, **sim_kw)
        self.server = _Server(("127.0.0.1", 0), type("SimHandler", (_Handler,), {"sim": self.sim}))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}/api"
        self.ids = [p.id for p in self.pages]

    def client(self, **kw) -> PancakeClient:
        return PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=self.sim.page_tokens, base_url=self.url, **kw)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server_factory():
    made = []

    def make(*a, **kw) -> Server:
        s = Server(*a, **kw)
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()


def over_limit(calls, limit: int = 5, period: float = 1.0) -> int:
    """Calls that arrived while ``limit`` others of the same page had arrived in the second before."""
    n = 0
    by_page: dict[str, list[float]] = {}
    for c in calls:
        by_page.setdefault(c.page_id, []).append(c.t)
    for times in by_page.values():
        times.sort()
        for i, t in enumerate(times):
            if sum(1 for u in times[max(0, i - limit):i] if t - u < period) >= limit:
                n += 1
    return n


def stats(calls):
    return [c for c in calls if "/statistics/" in c.path]


# --- every call at once, within the limit ---------------------------------------------------

class ProcessServer(SimProcess):
    """bench.sim_server in its own process (its CPU does not share our GIL), stopped by its pid."""

    def __init__(self, pages: int, latency: float) -> None:
        super().__init__(pages, latency)
        self.ids = page_ids(pages)
        self.tokens = {p: token(p) for p in self.ids}

    def calls(self) -> list:
        return [SimpleNamespace(t=t, path=path, page_id=pid, status=st) for t, path, pid, st in self.raw_calls()]

    def client(self, **kw) -> PancakeClient:
        return PancakeClient(page_tokens=self.tokens, base_url=self.url, **kw)


@pytest.fixture
def process_server():
    made = []

    def make(*a, **kw) -> ProcessServer:
        s = ProcessServer(*a, **kw)
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()


def peak_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most [start, end) intervals covering one instant (one ending as another starts: 1)."""
    events = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def in_flight_at_once(arrivals: list[float], latency: float) -> int:
    """The most calls the server was answering at one moment (each takes ``latency``): one at a
    time gives 1; every call at once gives them all. Counted from the server's arrival times, so
    a busy machine that sends a little late still shows the overlap."""
    return peak_overlap([(t, t + latency) for t in arrivals])


def test_every_window_of_every_page_goes_out_at_once(process_server):
    srv = process_server(20, latency=1.0)
    client = srv.client()
    start, end = TODAY - timedelta(days=91), TODAY - timedelta(days=1)      # 91 days: 3 windows
    r = core.Loader(client, memory_store(), source="t", today=lambda: TODAY).load("engagement", srv.ids, start, end)
    assert r.errors == [] and r.pages_ok == srv.ids
    calls = stats(srv.calls())
    assert len(calls) == 60
    assert all(c.status == 200 for c in calls)
    # they were in flight together: one at a time, or page after page, the server would never
    # have had more than 1 (or 3) calls open at once
    assert in_flight_at_once([c.t for c in calls], 1.0) >= 40
    assert over_limit(calls) == 0


def test_arrivals_stay_within_five_per_second_despite_jitter(server_factory):
    # every answer takes 100..400 ms, at random: the server counts after that delay
    faults = Faults(rules=[FaultRule("slow", probability=0.5, latency=0.3)], seed=3)
    srv = server_factory(2, latency=0.1, faults=faults)
    client = srv.client(max_retries=0)           # a 429 would be an error, not hidden by a retry
    ld = core.Loader(client, memory_store(), source="t", today=lambda: TODAY)
    # 6 windows per kind: 18 calls a page, over three times what one second allows
    start, end = TODAY - timedelta(days=180), TODAY - timedelta(days=1)
    for kind in ("activity", "tags", "customers"):
        ld.prefetch(kind, srv.ids, start, end)
    results = [ld.load(kind, srv.ids, start, end) for kind in ("activity", "tags", "customers")]
    assert all(r.errors == [] for r in results), [r.errors for r in results]
    calls = srv.sim.calls
    assert [c for c in calls if c.status == 429] == []
    assert over_limit(calls) == 0
    assert len(stats(calls)) >= 2 * 3 * 6


def test_a_view_loads_its_kinds_concurrently_with_prefetch(process_server):
    srv = process_server(4, latency=1.0)
    ld = core.Loader(srv.client(), memory_store(), source="t", today=lambda: TODAY)
    start, end = TODAY - timedelta(days=6), TODAY - timedelta(days=1)
    view = ("engagement", "activity", "customers", "tags")
    for kind in view:
        ld.prefetch(kind, srv.ids, start, end)
    results = [ld.load(kind, srv.ids, start, end) for kind in view]
    assert all(r.errors == [] for r in results)
    calls = [c for c in stats(srv.calls()) if c.status == 200]
    assert len(calls) == 4 * 4
    # kinds one after another: at most one kind's 4 calls open at once; together: the 4 kinds'
    # (the new-customers route fallback of some shops, a 404 then the other route, aside)
    arrivals = [c.t for c in calls if "page_customers" not in c.path]
    assert in_flight_at_once(arrivals, 1.0) >= 9


# --- a slow page never stalls the others -------------------------------------------------------

def _on_thread(fn, guard: float = 60.0):
    """``fn()`` on a thread; its result, or the test fails after ``guard`` seconds (a guard against
    a hang, not a speed figure)."""
    out: list = []
    t = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    t.start()
    t.join(guard)
    assert out, f"still waiting after {guard:.0f} s"
    return out[0]


def test_a_slow_page_is_named_late_and_never_stalls_the_others(server_factory):
    srv = server_factory(4, latency=0.05)
    slow = srv.ids[1]
    gate = threading.Event()                     # the slow page answers only once the test opens it
    srv.sim.faults = Faults(rules=[FaultRule("slow", probability=1.0, latency=3.0, page_id=slow)],
                            sleep=lambda _s: gate.wait(120))
    ld = core.Loader(srv.client(), memory_store(), source="t", today=lambda: TODAY)
    start, end = TODAY - timedelta(days=6), TODAY - timedelta(days=1)
    try:
        # the slow page never answers while the gate is shut: the load comes back at its deadline
        r = _on_thread(lambda: ld.load("activity", srv.ids, start, end, deadline=1.0,
                                       page_names={slow: "Slow shop"}))
        assert r.pages_ok == [p for p in srv.ids if p != slow]
        (err,) = r.errors
        assert err.page_id == slow and err.kind == "timeout" and err.page_name == "Slow shop"
        assert "no answer within" in err.message
        # the view's next kind does not wait its whole deadline again for the same late page: with
        # a deadline longer than the guard, only the short wait for a page already late returns
        assert core.LATE_WAIT < 60 < 600
        r2 = _on_thread(lambda: ld.load("tags", srv.ids, start, end, deadline=600.0))
        assert [e.page_id for e in r2.errors] == [slow] and not gate.is_set()
    finally:
        gate.set()
    # its calls went on: once they land, it is drawn like the others, without asking again
    r3 = ld.load("activity", srv.ids, start, end)    # no deadline: joins the call in flight
    assert r3.errors == [] and r3.pages_ok == srv.ids
    # one call per page and kind (a call is logged once answered: the slow page's two, late)
    asked = [(c.page_id, c.path.rsplit("/", 1)[-1]) for c in stats(srv.sim.calls)]
    assert len(asked) == 4 * 2 and len(set(asked)) == 8


def test_retries_and_timeouts_are_bounded_in_total_time():
    clock = FakeClock()

    import httpx

    def handler(request):                       # every attempt takes 10 s, or times out sooner
        read = request.extensions["timeout"]["read"]
        clock.advance(min(10.0, read))
        if read < 10.0:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(502, text="<html>bad gateway</html>", headers={"content-type": "text/html"})

    client = PancakeClient(page_tokens={"p": "tok"}, base_url="https://x.test/api",
                           transport=httpx.MockTransport(handler), clock=clock, sleep=clock.sleep,
                           jitter=lambda: 1.0, max_retries=10, call_budget=30.0)
    t0 = clock()
    with pytest.raises((errors.ServerError, errors.TransportError)) as info:
        client.tags("p")
    assert clock() - t0 <= 30.0
    assert "no time left within 30 s" in str(info.value) or "timed out" in str(info.value)


# --- many viewers, one fetch -------------------------------------------------------------------

def test_five_sessions_opening_one_view_make_one_fetch_per_window(server_factory):
    srv = server_factory(3, latency=0.4)
    ld = core.Loader(srv.client(), memory_store(), source="t", today=lambda: TODAY,
                     memo=core.FrameMemo())
    start, end = TODAY - timedelta(days=60), TODAY              # 2 windows, the last with today
    barrier = threading.Barrier(5)
    results = []

    def session():
        barrier.wait()
        results.append(ld.load("engagement", srv.ids, start, end))

    threads = [threading.Thread(target=session) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 5 and all(r.errors == [] for r in results)
    calls = stats(srv.sim.calls)
    windows = {(c.page_id, c.params["date_range"]) for c in calls}
    assert len(calls) == len(windows) == 3 * 2, [c.params for c in calls]
    for r in results[1:]:
        pd.testing.assert_frame_equal(r["daily"], results[0]["daily"])
    # a sixth viewer a moment later: from memory, no call
    ld.load("engagement", srv.ids, start, end)
    assert len(stats(srv.sim.calls)) == 6


def test_single_flight_also_for_overlapping_day_ranges(server_factory):
    srv = server_factory(2, latency=0.4)
    ld = core.Loader(srv.client(), memory_store(), source="t", today=lambda: TODAY)
    ranges = [(TODAY - timedelta(days=20), TODAY - timedelta(days=1)),
              (TODAY - timedelta(days=10), TODAY - timedelta(days=1)),
              (TODAY - timedelta(days=20), TODAY - timedelta(days=5))]
    out = []
    threads = [threading.Thread(target=lambda a=a, b=b: out.append(ld.load("activity", srv.ids, a, b)))
               for a, b in ranges]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join(30)
    assert all(r.errors == [] for r in out)
    assert len(stats(srv.sim.calls)) == 2          # one call per page: later ranges joined it


# --- one budget per page across processes ---------------------------------------------------------

EXPORT = [sys.executable, "-m", "pancake", "export", "--quiet"]   # --output: a file in the test's folder


@pytest.mark.procs
def test_the_limit_holds_across_processes(server_factory, tmp_path):
    # answers take 50..450 ms at random: a process's slot must be held until its answer
    faults = Faults(rules=[FaultRule("slow", probability=0.4, latency=0.4)], seed=5)
    srv = server_factory(1, latency=0.05, faults=faults)
    pid = srv.ids[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANCAKE_")}
    env.update(PYTHONPATH=str(ROOT), PANCAKE_BASE_URL=srv.url, PANCAKE_CACHE_DIR=str(tmp_path),
               PANCAKE_PAGE_TOKENS=f"{pid}:{srv.sim.page_token(pid)}")
    start, end = (TODAY - timedelta(days=600)).isoformat(), (TODAY - timedelta(days=1)).isoformat()
    procs = [subprocess.Popen(EXPORT[:4] + [kind, "--page", pid, "--since", start, "--until", end] + EXPORT[4:]
                              + ["--output", str(tmp_path / f"{kind}.csv")],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for kind in ("activity", "tags")]
    try:
        for p in procs:
            _, err = p.communicate(timeout=180)
            assert p.returncode == 0, err.decode()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
    calls = srv.sim.calls
    assert [c for c in calls if c.status == 429] == []
    assert len([c for c in stats(calls) if c.status == 200]) == 2 * 20, [(c.path, c.status) for c in stats(calls)]
    assert over_limit(calls) == 0


# --- the pieces ------------------------------------------------------------------------------------

def test_a_call_holds_its_slot_until_its_answer_plus_the_window():
    clock = FakeClock()
    lim = RateLimiter(5.0, clock=clock, sleep=clock.sleep, margin=0.05)
    with lim.slot("p"):
        clock.advance(3.0)                          # a 3 s answer
    for _ in range(4):
        with lim.slot("p"):
            pass
    t0 = clock()
    with lim.slot("p") as waited:                    # the sixth: the first ended at t0 → free at t0 + 1.05
        pass
    assert waited == pytest.approx(1.05) and clock() == pytest.approx(t0 + 1.05)


class _WatchedCondition(threading.Condition):
    """A condition that says when a thread starts waiting on it."""

    def __init__(self) -> None:
        super().__init__(threading.Lock())
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        return super().wait(timeout)


def test_in_flight_calls_count_and_a_finished_one_wakes_a_waiter():
    lim = RateLimiter(1.0, margin=0.0)              # one call at a time, real time
    lim.hold = 0.05                                 # ... counted 50 ms past its answer
    cond = lim._slot("p").cond = _WatchedCondition()
    started, release = threading.Event(), threading.Event()
    order = []

    def long_call():
        with lim.slot("p"):
            started.set()
            release.wait(30)
            order.append("long done")

    t = threading.Thread(target=long_call)
    t.start()
    assert started.wait(30)

    def second():
        with lim.slot("p"):
            order.append("second")
    t2 = threading.Thread(target=second)
    t2.start()
    assert cond.waiting.wait(30)                    # the second found no room and waits ...
    assert order == []                              # ... the call in flight holds the only slot
    release.set()
    t.join(30)
    t2.join(30)                                     # with no call ended it would wait for ever
    assert order == ["long done", "second"]


def test_memory_cache_is_bounded_in_entries_and_bytes():
    memo = core.FrameMemo(max_entries=3, max_bytes=10_000)
    frame = pd.DataFrame({"page_id": pd.Series(["1"] * 50, dtype="str"), "n": range(50)})
    for i in range(5):
        memo.put(("k", i), {"f": frame}, 0.0, None)
    assert len(memo) == 3 and memo.get(("k", 0)) is None and memo.get(("k", 4)) is not None
    big = pd.DataFrame({"x": range(5000)})
    memo.put(("big",), {"f": big}, 0.0, None)       # larger than the whole budget: not kept
    assert memo.get(("big",)) is None and memo.bytes <= 10_000
    memo.put(("t",), {"f": frame}, 0.0, ttl=-1)     # expired at once
    assert memo.get(("t",)) is None
    got, _ = memo.get(("k", 4))
    got["f"]["n"] = -1                               # a caller changing its copy
    assert memo.get(("k", 4))[0]["f"]["n"].iloc[0] == 0


def test_rate_limit_margin_is_configurable_and_random_load_never_overruns():
    clock = FakeClock()
    lim = RateLimiter(5.0, clock=clock, sleep=clock.sleep, margin=0.05)
    ends = []
    rng = random.Random(1)
    for _ in range(40):
        with lim.slot("p"):
            start = clock()
            clock.advance(rng.random() * 0.3)
            ends.append((start, clock()))
    # any six calls: the sixth starts ≥ 1.05 s after the end of the first of them
    for i in range(5, len(ends)):
        assert ends[i][0] - ends[i - 5][1] >= 1.05 - 1e-9

"""Issue 20: a session closed mid-load (or whose run a rerun superseded) must not keep its work
queued ahead of the open sessions' work. The loader's queued calls that no live waiter shares go
behind the others' (they still run, later, and land in the store for the next load); a call
shared by a gone session and an open one keeps its place; a load whose waiter is gone stops
waiting. Every ordering here is forced with events, never with the clock."""
from __future__ import annotations

import threading
from concurrent.futures import wait
from datetime import date
from types import SimpleNamespace

import pytest
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData, ScriptRequests

from pancake.data import core, gather
from pancake.data.store import SQLiteStore
from tests.pancake.store.test_store import LINH_CHI, loader, sim_client
from ui import cache

D0, D1, D2, D3 = date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4), date(2026, 11, 5)
WAIT = 60    # seconds a test waits for work it has let go (a bound on a hang, never a measure)


class Flag:
    """A waiter whose session closes when the test says."""

    def __init__(self) -> None:
        self.open = True
        self.waiter = core.Waiter(lambda: self.open)


# --- the executor -------------------------------------------------------------------------------

def test_a_queued_task_nobody_waits_for_runs_after_those_someone_waits_for():
    pool = gather.Pool(max_workers=4, per_lane=1)
    hold, order = threading.Event(), []
    first = pool.submit("p", lambda: hold.wait(WAIT))
    closed = pool.submit("p", lambda: order.append("closed session's"), live=lambda: False)
    open_ = pool.submit("p", lambda: order.append("open session's"), live=lambda: True)
    cli = pool.submit("p", lambda: order.append("no session (CLI)"))          # live=None: always
    hold.set()
    wait([first, closed, open_, cli], timeout=WAIT)
    assert order == ["open session's", "no session (CLI)", "closed session's"]


def test_a_session_that_closes_while_queued_goes_behind_one_queued_after_it():
    pool = gather.Pool(max_workers=4, per_lane=1)
    hold, order = threading.Event(), []
    a, b = Flag(), Flag()
    first = pool.submit("p", lambda: hold.wait(WAIT))
    fa = pool.submit("p", lambda: order.append("a"), live=a.waiter.live)
    fb = pool.submit("p", lambda: order.append("b"), live=b.waiter.live)
    a.open = False                                    # a's tab is closed while its task waits
    hold.set()
    wait([first, fa, fb], timeout=WAIT)
    assert order == ["b", "a"]


def test_other_pages_queues_are_not_touched():
    pool = gather.Pool(max_workers=4, per_lane=1)
    hold, order = threading.Event(), []
    first = pool.submit("p", lambda: hold.wait(WAIT))
    gone = pool.submit("p", lambda: order.append("p, gone"), live=lambda: False)
    other = pool.submit("q", lambda: order.append("q"))                     # its own queue: runs now
    wait([other], timeout=WAIT)
    assert order == ["q"]
    hold.set()
    wait([first, gone], timeout=WAIT)
    assert order == ["q", "p, gone"]                                        # run, not dropped


def test_a_waiter_once_gone_stays_gone():
    f = Flag()
    assert f.waiter.live() is True
    f.open = False
    assert f.waiter.live() is False
    f.open = True                                     # the session's next run is another waiter
    assert f.waiter.live() is False


# --- the loader ---------------------------------------------------------------------------------

@pytest.fixture
def held(monkeypatch, tmp_path):
    """A loader with one call at a time per page whose fetches are recorded (kind, first day);
    the fetch of D0 waits for ``hold``: everything asked meanwhile is queued."""
    _, client = sim_client()
    hold, order = threading.Event(), []
    real = core.fetch_page

    def fetch_page(client, kind, page_id, start, end, **options):
        if start == D0:
            hold.wait(WAIT)
        order.append(start)
        return real(client, kind, page_id, start, end, **options)

    monkeypatch.setattr(core, "fetch_page", fetch_page)
    store = SQLiteStore(tmp_path / "stats.sqlite3")
    ld = loader(client, store, pool=gather.Pool(max_workers=4, per_lane=1))
    ld.prefetch("customers", [LINH_CHI], D0, D0)           # the call everything queues behind
    yield SimpleNamespace(ld=ld, hold=hold, order=order)
    hold.set()
    store.close()


def in_flight(ld: core.Loader) -> list:
    return list({id(f): f for _, f in ld._flights.items.values()}.values())


def test_a_closed_sessions_queued_call_goes_behind_an_open_sessions(held):
    gone, there = Flag(), Flag()
    held.ld.prefetch("customers", [LINH_CHI], D1, D1, waiter=gone.waiter)
    held.ld.prefetch("customers", [LINH_CHI], D2, D2, waiter=there.waiter)
    calls = in_flight(held.ld)
    assert len(calls) == 3
    gone.open = False
    held.hold.set()
    wait(calls, timeout=WAIT)
    assert held.order == [D0, D2, D1]                 # D1 still fetched (stored for the next load)
    assert all(c.exception() is None for c in calls)


def test_a_call_shared_with_an_open_session_keeps_its_place(held):
    gone, there, later = Flag(), Flag(), Flag()
    held.ld.prefetch("customers", [LINH_CHI], D1, D1, waiter=gone.waiter)
    held.ld.prefetch("customers", [LINH_CHI], D1, D1, waiter=there.waiter)   # single flight: joins
    held.ld.prefetch("customers", [LINH_CHI], D2, D2, waiter=later.waiter)
    calls = in_flight(held.ld)
    assert len(calls) == 3                            # D0, D1 (shared), D2
    gone.open = False
    held.hold.set()
    wait(calls, timeout=WAIT)
    assert held.order == [D0, D1, D2]


def test_when_every_waiter_of_a_shared_call_is_gone_it_goes_behind(held):
    a, b, later = Flag(), Flag(), Flag()
    held.ld.prefetch("customers", [LINH_CHI], D1, D1, waiter=a.waiter)
    held.ld.prefetch("customers", [LINH_CHI], D1, D1, waiter=b.waiter)
    held.ld.prefetch("customers", [LINH_CHI], D2, D2, waiter=later.waiter)
    calls = in_flight(held.ld)
    a.open = b.open = False
    held.hold.set()
    wait(calls, timeout=WAIT)
    assert held.order == [D0, D2, D1]


def test_a_load_whose_session_is_gone_stops_waiting_and_its_call_still_lands(held):
    gone = Flag()
    gone.open = False
    with pytest.raises(core.Abandoned):
        held.ld.load("customers", [LINH_CHI], D3, D3, waiter=gone.waiter)
    calls = in_flight(held.ld)
    assert len(calls) == 2                            # D0 and D3: queued, not dropped
    held.hold.set()
    wait(calls, timeout=WAIT)
    assert held.order == [D0, D3]
    again = held.ld.load("customers", [LINH_CHI], D3, D3)                    # no new call
    assert held.order == [D0, D3]
    assert not again.errors and again.pages_ok == [LINH_CHI]


def test_a_load_with_a_live_waiter_is_what_it_was_without_one(held):
    there = Flag()
    held.hold.set()
    with_waiter = held.ld.load("customers", [LINH_CHI], D1, D2, waiter=there.waiter)
    without = held.ld.load("customers", [LINH_CHI], D1, D2)
    assert not with_waiter.errors and with_waiter.pages_ok == [LINH_CHI]
    assert with_waiter["data"].equals(without["data"])
    assert len(with_waiter["data"]) > 0


# --- the dashboard's waiter: a Streamlit script run ---------------------------------------------

def fake_ctx():
    return SimpleNamespace(script_requests=ScriptRequests(), cursors={})


def test_a_runs_waiter_is_gone_when_its_session_stops(monkeypatch):
    ctx = fake_ctx()
    monkeypatch.setattr(cache, "get_script_run_ctx", lambda **_: ctx)
    w = cache.waiter()
    assert w.live() is True
    ctx.script_requests.request_stop()                # the tab is closed
    assert w.live() is False


def test_a_runs_waiter_is_gone_when_a_rerun_supersedes_it(monkeypatch):
    ctx = fake_ctx()
    monkeypatch.setattr(cache, "get_script_run_ctx", lambda **_: ctx)
    w = cache.waiter()
    assert ctx.script_requests.request_rerun(RerunData(query_string="range=last_30"))
    assert w.live() is False


def test_the_next_runs_waiter_is_another(monkeypatch):
    ctx = fake_ctx()
    monkeypatch.setattr(cache, "get_script_run_ctx", lambda **_: ctx)
    w = cache.waiter()
    ctx.cursors = {}                                  # Streamlit's reset for the next run
    assert w.live() is False
    assert cache.waiter().live() is True


def test_outside_a_run_there_is_no_waiter(monkeypatch):
    monkeypatch.setattr(cache, "get_script_run_ctx", lambda **_: None)
    assert cache.waiter() is None

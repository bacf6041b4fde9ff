"""The one way to wait (``pancake.data.gather``): deadlines name the late keys, single flight, a failing
key never blanks the others, a gone waiter's work goes behind, nested fan-outs finish on a full
pool, and a view's tally. Time is a fake clock advanced by a fake wait; orderings are forced with
events; ``HANG`` only bounds a hang, it never measures anything."""
from __future__ import annotations

import threading
from concurrent.futures import Future, wait

import pytest

from pancake.data import gather

HANG = 60


class Clock:
    """A clock that moves only when the fake ``wait`` is asked to wait (by the time asked)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.waits: list[float | None] = []

    def __call__(self) -> float:
        return self.t

    def wait(self, fs, timeout=None, return_when=None):
        self.waits.append(timeout)
        assert timeout is not None, "a wait without a deadline would hang here"
        self.t += timeout


def done(value) -> Future:
    f: Future = Future()
    f.set_result(value)
    return f


def failed(exc: BaseException) -> Future:
    f: Future = Future()
    f.set_exception(exc)
    return f


# --- gather ---------------------------------------------------------------------------------------

def test_the_deadline_names_the_late_keys_and_keeps_the_others():
    clock = Clock()
    never: Future = Future()
    got = gather.gather({"a": done(1), "b": never, "c": done(3)}, 20, clock=clock, wait=clock.wait)
    assert got.done == {"a": 1, "c": 3}
    assert got.late == ["b"]
    assert got.failed == {}
    assert clock.t == 1020.0                 # waited exactly the deadline, on the fake clock
    assert not never.cancelled()             # the late work goes on


def test_late_keys_are_named_in_the_order_asked_with_how_long_was_waited():
    clock = Clock()
    seen = []
    got = gather.gather({"x": Future(), "y": done("ok"), "z": Future()}, 30, limits={"z": 1.0},
                        clock=clock, wait=clock.wait, on_late=lambda k, waited: seen.append((k, waited)))
    assert seen == [("z", 1.0), ("x", 30.0)]   # z's own shorter limit first
    assert got.late == ["x", "z"]
    assert got.done == {"y": "ok"}


def test_a_failing_key_does_not_blank_the_others():
    boom = ValueError("page 2 refused")
    got = gather.gather({"1": done({"n": 5}), "2": failed(boom), "3": done({"n": 0})})
    assert got.done == {"1": {"n": 5}, "3": {"n": 0}}
    assert got.failed == {"2": boom}
    assert got.late == []


def test_a_key_with_several_futures_is_ready_when_all_are_and_failed_by_the_first_failure():
    ready = []
    boom = RuntimeError("window 2")
    got = gather.gather({"p": [done(1), done(2)], "q": [done(1), failed(boom)], "r": []},
                        on_ready=ready.append)
    assert got.done == {"p": [1, 2], "r": []}
    assert got.failed == {"q": boom}
    assert ready == ["p", "q", "r"]


def test_nothing_to_wait_for_waits_for_nothing():
    clock = Clock()
    got = gather.gather({}, 5, clock=clock, wait=clock.wait)
    assert (got.done, got.failed, got.late, clock.waits) == ({}, {}, [], [])


def test_a_gone_waiter_stops_the_wait_and_the_work_goes_on():
    clock = Clock()
    there = {"open": True}
    w = gather.Waiter(lambda: there["open"])
    pending: Future = Future()

    def wait_then_close(fs, timeout=None, return_when=None):
        clock.wait(fs, timeout, return_when)
        there["open"] = False                 # the tab is closed while the view waits

    with pytest.raises(gather.Abandoned):
        gather.gather({"a": pending}, 30, waiter=w, clock=clock, wait=wait_then_close)
    assert clock.waits == [gather.POLL]       # asked again after one poll, not after 30 s
    assert not pending.cancelled()


def test_on_wake_is_called_after_each_wait_and_polls():
    clock = Clock()
    wakes = []
    gather.gather({"a": Future()}, 1.0, clock=clock, wait=clock.wait, on_wake=lambda: wakes.append(clock.t),
                  poll=0.5)
    assert clock.waits == [0.5, 0.5]
    assert wakes == [1000.5, 1001.0]


# --- single flight ----------------------------------------------------------------------------------

def test_concurrent_callers_of_one_key_share_one_call():
    pool = gather.Pool(max_workers=8)
    flights = gather.Flights()
    calls = []
    release = threading.Event()

    def fetch():
        calls.append(1)
        release.wait(HANG)
        return "frame"

    got: list[Future] = []
    lock = threading.Lock()

    def caller():
        fut = flights.join("page-1/2026-11", lambda: pool.submit("page-1", fetch))
        with lock:
            got.append(fut)

    threads = [threading.Thread(target=caller) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG)
    release.set()
    assert len({id(f) for f in got}) == 1
    assert got[0].result(HANG) == "frame"
    assert calls == [1]
    wait(got, HANG)


def test_a_flight_is_forgotten_when_done_unless_kept():
    flights = gather.Flights()
    first: Future = Future()
    assert flights.join("k", lambda: first) is first
    first.set_result(1)
    second: Future = Future()
    assert flights.join("k", lambda: second) is second       # done: a new call


def test_a_kept_flight_serves_the_next_caller_until_forgotten_a_failure_or_its_time():
    clock = Clock()
    flights = gather.Flights(keep=600.0, clock=clock)
    late = done("late page's conversations")
    assert flights.join("k", lambda: late) is late
    assert flights.join("k", lambda: Future()) is late        # the next run takes the late result
    flights.forget(["k"])
    again = done("again")
    assert flights.join("k", lambda: again) is again
    clock.t += 601
    newer = done("newer")
    assert flights.join("k", lambda: newer) is newer          # kept ten minutes, no more
    bad = failed(RuntimeError("x"))
    assert flights.join("f", lambda: bad) is bad
    fresh = done("fresh")
    assert flights.join("f", lambda: fresh) is fresh          # a failure is never kept


# --- the pool ---------------------------------------------------------------------------------------

# a closed waiter's queued work going behind is tests/pancake/data/test_cancellation.py's

def test_a_lane_runs_at_most_its_limit_at_once():
    pool = gather.Pool(max_workers=8, per_lane=5)
    hold = threading.Event()
    started = threading.Semaphore(0)
    running, most = [0], [0]
    lock = threading.Lock()

    def task():
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        started.release()
        hold.wait(HANG)
        with lock:
            running[0] -= 1

    futs = [pool.submit("lane", task, limit=2) for _ in range(5)]
    assert started.acquire(timeout=HANG) and started.acquire(timeout=HANG)
    assert most[0] == 2
    hold.set()
    wait(futs, HANG)
    assert most[0] == 2


def test_a_fan_out_inside_a_task_finishes_on_a_full_pool():
    pool = gather.Pool(max_workers=1, per_lane=5)    # the outer task takes the only thread

    def outer():
        return list(pool.map("inner", lambda n: n * 10, [1, 2, 3]))

    fut = pool.submit("outer", outer)
    assert fut.result(HANG) == [10, 20, 30]


def test_map_raises_the_first_failure():
    pool = gather.Pool(max_workers=2)

    def fn(n):
        if n == 2:
            raise ValueError("two")
        return n

    with pytest.raises(ValueError, match="two"):
        list(pool.map("m", fn, [1, 2, 3]))


# --- a view's tally ---------------------------------------------------------------------------------

def test_a_tally_counts_calls_once_and_pages_when_none_is_left():
    drawn = []
    tally = gather.Tally(["p1", "p2", "p3"], listener=drawn.append)
    a, b, c = Future(), Future(), Future()
    tally.add("p1", a)
    tally.add("p1", a)                     # the same call joined by a second load: once
    tally.add("p2", b)
    tally.add("p2", c)
    assert tally.counts() == gather.Counts(0, 3, 1, 3)     # p3 has nothing to ask: done
    tally.refresh()
    tally.refresh()                        # nothing changed: not drawn again
    a.set_result(None)
    b.set_exception(RuntimeError("a failed call is done too"))
    tally.refresh()
    c.set_result(None)
    tally.refresh()
    assert drawn == [gather.Counts(0, 3, 1, 3), gather.Counts(2, 3, 2, 3), gather.Counts(3, 3, 3, 3)]


def test_an_empty_tally_is_zero_of_zero():
    assert gather.Tally().counts() == gather.Counts(0, 0, 0, 0)


# --- turns: the work asked first goes first -----------------------------------------------------------

def test_the_turn_goes_to_the_waiting_view_then_to_the_work_asked_first():
    turn = gather.Turn()
    pool = gather.Pool(max_workers=8, per_lane=8)
    order, queued = [], threading.Semaphore(0)
    holding = threading.Event()

    def step(name):
        queued.release()
        with turn:
            order.append(name)

    turn.__enter__()                                   # the turn is taken: everyone queues
    first = pool.submit("kinds", lambda: step("engagement (asked first)"))
    second = pool.submit("kinds", lambda: step("ads (asked later)"))
    assert queued.acquire(timeout=HANG) and queued.acquire(timeout=HANG)
    view = threading.Thread(target=lambda: (queued.release(), holding.set(), step("the view's own step")))
    view.start()
    assert queued.acquire(timeout=HANG) and holding.wait(HANG)
    # the queue is filled by threads that are about to block: wait until all three are queued
    for _ in range(HANG * 100):
        if len(turn._queue) == 3:
            break
        threading.Event().wait(0.01)
    turn.__exit__(None, None, None)
    wait([first, second], HANG)
    view.join(HANG)
    assert order == ["the view's own step", "engagement (asked first)", "ads (asked later)"]


def test_the_turn_is_reentrant():
    turn = gather.Turn()
    with turn, turn:
        pass
    with turn:                                          # free again
        pass


def test_a_closed_pool_cancels_its_queue_and_lets_the_running_task_finish():
    """At the process's exit the pool is closed: its queued tasks never run (a stopped dashboard
    does not work through its queue of calls first), the running one ends normally."""
    p = gather.Pool(max_workers=2, per_lane=1)
    release, ran = threading.Event(), []
    first = p.submit("page", lambda: release.wait(5) and ran.append("first"))
    queued = [p.submit("page", lambda i=i: ran.append(i)) for i in range(3)]
    p.close()
    release.set()
    first.result(timeout=5)
    assert ran == ["first"]
    assert all(f.cancelled() for f in queued)
    assert p.submit("page", lambda: ran.append("late")).cancelled() and ran == ["first"]


def test_a_tally_lets_go_of_a_finished_call_and_its_answer():
    """A view's bar lives as long as the view: holding its finished calls would hold every
    window's answer until a garbage collection (60 MB for an agency's overview)."""
    import weakref
    tally = gather.Tally(["p1"])
    fut = Future()
    tally.add("p1", fut)
    fut.set_result(b"x" * 1000)
    tally.add("p1", fut)                   # joined again once done: still one call
    assert tally.counts() == gather.Counts(1, 1, 1, 1)
    gone = weakref.ref(fut)
    del fut
    assert gone() is None                  # freed at once, by reference counting alone
    assert tally.counts() == gather.Counts(1, 1, 1, 1)

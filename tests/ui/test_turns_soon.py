"""The Staff page does not wait for a range's turns (issue 20, ten viewers at once): ``soon``
gives the shared result when there is one, the last one while the next is computed, else None;
the computation runs once for every session, in a thread started by ``start`` (here the test runs
it when it says so). The clock is injected."""
from __future__ import annotations

import logging

from ui import replies_data as rd


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def keep(r: dict) -> bool:
    return r["complete"]


def counting(results: list[dict]):
    n = [0]

    def compute():
        n[0] += 1
        return results[n[0] - 1]
    return compute, n


def test_nothing_yet_starts_one_computation_for_every_session():
    started: list = []
    shared = rd.SharedTurns(ttl=30, clock=Clock(), start=started.append)
    compute, n = counting([{"complete": True, "v": "a"}])
    assert shared.soon(("k",), compute, keep) is None          # the run goes on without it
    assert shared.soon(("k",), compute, keep) is None          # another session meanwhile: no second one
    assert len(started) == 1 and n[0] == 0
    started[0]()                                                # the thread runs
    assert n[0] == 1
    assert shared.soon(("k",), compute, keep) == {"complete": True, "v": "a"}
    assert shared.get_or_compute(("k",), compute, keep) == {"complete": True, "v": "a"}   # the waiting pages too
    assert len(started) == 1 and n[0] == 1


def test_a_session_waiting_for_the_turns_takes_the_threads_result():
    """A page that waits (the Replies page) while the Staff page's thread computes: one computation."""
    started: list = []
    shared = rd.SharedTurns(ttl=30, clock=Clock(), start=started.append)
    compute, n = counting([{"complete": True, "v": "a"}])
    shared.soon(("k",), compute, keep)
    flight = shared.flights.get(("k",))
    assert flight is not None and not flight.done()
    started[0]()
    assert flight.result(timeout=5) == {"complete": True, "v": "a"} and n[0] == 1


def test_past_its_time_the_last_result_shows_while_the_next_is_computed():
    clock = Clock()
    started: list = []
    shared = rd.SharedTurns(ttl=30, clock=clock, partial_ttl=5, stale=300, start=started.append)
    compute, n = counting([{"complete": False, "v": "12 of 20"}, {"complete": True, "v": "20 of 20"},
                           {"complete": True, "v": "again"}])
    shared.soon(("k",), compute, keep)
    started.pop()()
    clock.t += 5.1                                              # the partial result's 5 s are past
    assert shared.soon(("k",), compute, keep) == {"complete": False, "v": "12 of 20"}
    assert len(started) == 1                                    # and the next is computed meanwhile
    assert shared.soon(("k",), compute, keep) == {"complete": False, "v": "12 of 20"} and len(started) == 1
    started.pop()()
    assert shared.soon(("k",), compute, keep) == {"complete": True, "v": "20 of 20"} and not started
    clock.t += 29.9
    assert shared.soon(("k",), compute, keep) == {"complete": True, "v": "20 of 20"} and not started
    # a page that waits never takes a result past its time: it computes the next one
    clock.t += 0.2
    assert shared.get_or_compute(("k",), compute, keep) == {"complete": True, "v": "again"} and n[0] == 3


def test_no_result_older_than_stale_is_shown():
    clock = Clock()
    started: list = []
    shared = rd.SharedTurns(ttl=30, clock=clock, stale=300, start=started.append)
    compute, _ = counting([{"complete": True, "v": "a"}, {"complete": True, "v": "b"}])
    shared.soon(("k",), compute, keep)
    started.pop()()
    clock.t += 300.1
    assert shared.soon(("k",), compute, keep) is None and len(started) == 1


def test_another_key_is_another_computation():
    started: list = []
    shared = rd.SharedTurns(ttl=30, clock=Clock(), start=started.append)
    compute, _ = counting([{"complete": True, "v": "a"}, {"complete": True, "v": "b"}])
    assert shared.soon(("src", ("p1",)), compute, keep) is None
    assert shared.soon(("src", ("p1", "p2")), compute, keep) is None       # another viewer's pages
    assert len(started) == 2


def test_a_computation_that_raises_is_logged_and_asked_again(caplog):
    started: list = []
    shared = rd.SharedTurns(ttl=30, clock=Clock(), start=started.append)

    def boom():
        raise RuntimeError("store down token=abc123")
    with caplog.at_level(logging.WARNING, logger="ui.replies_data"):
        assert shared.soon(("k",), boom, keep) is None
        started.pop()()                                          # raises nothing in the thread
    assert "store down" in caplog.text and "abc123" not in caplog.text
    assert shared.soon(("k",), lambda: {"complete": True, "v": "ok"}, keep) is None and len(started) == 1
    started.pop()()
    assert shared.soon(("k",), boom, keep) == {"complete": True, "v": "ok"}

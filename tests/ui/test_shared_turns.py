"""A range's turns computed once for every session asking at the same time (issue 20): the runs
arriving meanwhile wait and take the same result; another viewer's pages are another key; a
result serves for TURNS_TTL_SECONDS, then is computed again."""
from __future__ import annotations

import threading

from ui import replies_data as rd


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_sessions_at_once_wait_for_one_computation():
    shared = rd.SharedTurns(ttl=30, clock=Clock())
    started, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def compute():
        calls.append("x")
        started.set()
        release.wait(10)
        return {"turns": 7}
    got: list = []
    first = threading.Thread(target=lambda: got.append(shared.get_or_compute(("src", ("p1",)), compute)))
    first.start()
    assert started.wait(10)
    others = [threading.Thread(target=lambda: got.append(shared.get_or_compute(("src", ("p1",)), compute)))
              for _ in range(4)]
    for th in others:
        th.start()
    release.set()
    for th in [first, *others]:
        th.join(10)
    assert calls == ["x"] and got == [{"turns": 7}] * 5


def test_scopes_apart_and_the_result_expires():
    clock = Clock()
    shared = rd.SharedTurns(ttl=30, clock=clock)
    n = {"a": 0, "b": 0}

    def of(who):
        def compute():
            n[who] += 1
            return f"{who}{n[who]}"
        return compute
    assert shared.get_or_compute(("src", ("pa",)), of("a")) == "a1"
    assert shared.get_or_compute(("src", ("pb",)), of("b")) == "b1"        # another viewer's pages
    assert shared.get_or_compute(("src", ("pa",)), of("a")) == "a1"        # shared
    assert shared.get_or_compute(("src", ("pa", "pb")), of("a")) == "a2"   # a wider scope: its own
    clock.t += 29.9
    assert shared.get_or_compute(("src", ("pa",)), of("a")) == "a1"
    clock.t += 0.2                                                          # 30.1 s later: again
    assert shared.get_or_compute(("src", ("pa",)), of("a")) == "a3"


def test_a_computation_that_raises_is_not_kept():
    shared = rd.SharedTurns(ttl=30, clock=Clock())

    def boom():
        raise RuntimeError("store down")
    try:
        shared.get_or_compute(("k",), boom)
    except RuntimeError:
        pass
    assert shared.get_or_compute(("k",), lambda: "ok") == "ok"


def test_a_result_not_kept_is_shared_only_by_the_runs_at_once():
    shared = rd.SharedTurns(ttl=30, clock=Clock(), partial_ttl=0)
    n = [0]

    def compute():
        n[0] += 1
        return {"complete": False, "n": n[0]}
    keep = lambda r: r["complete"]   # noqa: E731 - the page keeps only complete turns
    assert shared.get_or_compute(("k",), compute, keep)["n"] == 1
    assert shared.get_or_compute(("k",), compute, keep)["n"] == 2   # the fill's progress shows at once


def test_a_partial_result_serves_the_next_seconds_then_the_fills_progress_shows():
    clock = Clock()
    shared = rd.SharedTurns(ttl=30, clock=clock, partial_ttl=5)
    n = [0]

    def compute():
        n[0] += 1
        return {"complete": n[0] >= 3, "n": n[0]}
    keep = lambda r: r["complete"]   # noqa: E731 - the page keeps complete turns 30 s
    assert shared.get_or_compute(("k",), compute, keep)["n"] == 1
    clock.t += 4.9
    assert shared.get_or_compute(("k",), compute, keep)["n"] == 1   # another session: the same result
    clock.t += 0.2
    assert shared.get_or_compute(("k",), compute, keep)["n"] == 2   # 5.1 s later: computed again
    clock.t += 5.1
    assert shared.get_or_compute(("k",), compute, keep)["n"] == 3   # complete: kept 30 s
    clock.t += 29.9
    assert shared.get_or_compute(("k",), compute, keep)["n"] == 3


def test_the_staff_figures_are_computed_once_per_shared_result_and_basis(monkeypatch):
    from pancake.numbers.views import replies as vr
    calls: list[str] = []
    monkeypatch.setattr(vr, "staff_columns", lambda turns, basis: calls.append(f"cols {basis}") or f"cols {basis}")
    monkeypatch.setattr(vr, "staff_total", lambda turns, basis: calls.append(f"total {basis}") or f"total {basis}")

    class Got:
        turns = None
    got, other = Got(), Got()
    assert rd.staff_figures(got, "business") == ("cols business", "total business")
    assert rd.staff_figures(got, "business") == ("cols business", "total business")    # another session
    assert rd.staff_figures(got, "calendar") == ("cols calendar", "total calendar")
    assert rd.staff_figures(other, "business") == ("cols business", "total business")  # another result
    assert calls == ["cols business", "total business", "cols calendar", "total calendar",
                     "cols business", "total business"]

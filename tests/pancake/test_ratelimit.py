"""Sliding-window limiter: never more than 5 calls in any 1-second window per key."""
from __future__ import annotations

import threading

import pytest

from pancake.api.ratelimit import RateLimiter
from tests.clock import FakeClock


def max_in_any_window(stamps: list[float], period: float = 1.0) -> int:
    stamps = sorted(stamps)
    best = 0
    for i, t in enumerate(stamps):
        j = i
        while j < len(stamps) and stamps[j] - t < period - 1e-9:
            j += 1
        best = max(best, j - i)
    return best


def test_five_per_second_per_key():
    clock = FakeClock()
    lim = RateLimiter(5.0, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(23):
        lim.acquire("p1")
        stamps.append(clock())
    assert max_in_any_window(stamps) == 5
    # 23 calls need at least 4 full extra seconds
    assert stamps[-1] - stamps[0] >= 4.0 - 1e-9
    assert all(d > 0 for d in clock.sleeps)


def test_first_five_do_not_wait():
    clock = FakeClock()
    lim = RateLimiter(5.0, clock=clock, sleep=clock.sleep)
    waits = [lim.acquire("p") for _ in range(5)]
    assert waits == [0.0] * 5 and clock.sleeps == []
    assert lim.acquire("p") == pytest.approx(1.0)


def test_keys_are_independent():
    clock = FakeClock()
    lim = RateLimiter(5.0, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        lim.acquire("a")
    # page b is not held up by page a's full window
    for _ in range(5):
        assert lim.acquire("b") == 0.0
    assert lim.acquire("user") == 0.0
    assert clock.sleeps == []


def test_spaced_calls_never_wait():
    clock = FakeClock()
    lim = RateLimiter(5.0, clock=clock, sleep=clock.sleep)
    for _ in range(50):
        assert lim.acquire("p") == 0.0
        clock.advance(0.2)


def test_fractional_rate():
    clock = FakeClock()
    lim = RateLimiter(0.5, clock=clock, sleep=clock.sleep)
    lim.acquire("p")
    assert lim.acquire("p") == pytest.approx(2.0)


def test_invalid_rate():
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_threads_same_key_are_paced():
    clock = FakeClock()
    lim = RateLimiter(5.0, clock=clock, sleep=clock.sleep)
    t0 = clock()

    def worker():
        for _ in range(10):
            lim.acquire("a")

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    # 30 calls at 5/s: the last one cannot come before t0 + 5 s
    assert clock() - t0 >= 5.0 - 1e-9


def test_waiting_page_does_not_block_other_pages():
    clock = FakeClock()
    sleeping = threading.Event()
    release = threading.Event()

    def blocking_sleep(seconds):
        sleeping.set()
        release.wait(5)
        clock.sleep(seconds)

    lim = RateLimiter(5.0, clock=clock, sleep=blocking_sleep)
    done = threading.Event()

    def saturate_a():
        for _ in range(6):  # the 6th waits inside sleep
            lim.acquire("a")
        done.set()

    t = threading.Thread(target=saturate_a)
    t.start()
    assert sleeping.wait(5)
    other = threading.Thread(target=lambda: [lim.acquire("b") for _ in range(5)])
    other.start()
    other.join(2)
    assert not other.is_alive(), "page b waited on page a"
    assert not done.is_set()
    release.set()
    t.join(5)
    assert done.is_set()

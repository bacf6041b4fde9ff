"""Sliding-window rate limiter keyed by page id (user-API calls use the key ``"user"``).

Pancake allows 5 calls per second per ``page_id``; calls for different pages count
separately. ``RateLimiter.acquire(key)`` blocks (through the injectable ``sleep``) until a
call for ``key`` is allowed, then records it. Keys have their own lock, so a page that
waits never holds up another page. Thread-safe.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable

USER_KEY = "user"


class RateLimiter:
    """At most ``max_calls`` calls in any ``period`` seconds, per key.

    ``rate_per_second`` is turned into a window: 5.0 -> 5 calls per 1 s, 0.5 -> 1 call per 2 s.
    A call at time ``t`` counts against every window ``[t', t' + period)`` containing ``t``.
    """

    def __init__(self, rate_per_second: float = 5.0, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be > 0")
        self.max_calls = max(1, int(rate_per_second)) if rate_per_second >= 1 else 1
        self.period = self.max_calls / float(rate_per_second)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._keys: dict[str, tuple[threading.Lock, deque[float]]] = {}

    def _slot(self, key: str) -> tuple[threading.Lock, deque[float]]:
        with self._lock:
            slot = self._keys.get(key)
            if slot is None:
                slot = self._keys[key] = (threading.Lock(), deque())
            return slot

    def acquire(self, key: str = USER_KEY) -> float:
        """Wait until a call for ``key`` is allowed and record it. Returns the seconds waited."""
        lock, stamps = self._slot(str(key))
        waited = 0.0
        # Holding the key's lock while sleeping queues callers of the same key in order;
        # other keys have other locks and never wait here.
        with lock:
            while True:
                now = self._clock()
                while stamps and now - stamps[0] >= self.period:
                    stamps.popleft()
                if len(stamps) < self.max_calls:
                    stamps.append(now)
                    return waited
                delay = stamps[0] + self.period - now
                if delay > 0:
                    self._sleep(delay)
                    waited += delay

    def calls_in_window(self, key: str) -> int:
        """How many calls for ``key`` are inside the current window (for diagnostics/tests)."""
        lock, stamps = self._slot(str(key))
        with lock:
            now = self._clock()
            return sum(1 for t in stamps if now - t < self.period)


class FakeClock:
    """A manual clock whose ``sleep`` advances time: for tests and the simulator. Thread-safe."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(float(seconds))
            if seconds > 0:
                self._now += float(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += float(seconds)

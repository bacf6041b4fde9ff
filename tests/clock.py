"""A manual clock for tests and benchmarks (``pancake.api.ratelimit``, the client and the simulator
take ``clock=``/``sleep=``)."""
from __future__ import annotations

import threading


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

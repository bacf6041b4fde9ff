"""Per-page pacing (user-API calls use the key ``"user"``): at most 5 calls per second per
``page_id`` **as the server counts them**, with calls for different pages never waiting on
one another.

Two layers:

:class:`RateLimiter` (in process, exact). ``slot(key)`` holds one of the key's ``max_calls``
slots from before the request is sent until ``period + margin`` seconds after its answer came
back. The server's arrival time of a request lies between its send and its answer, so any 6
arrivals inside one server second would need 6 slots held at once: impossible. Network jitter
and server queueing cannot push two calls closer together than the limiter spaced them,
whatever the latency. ``acquire(key)`` is the old form: a call that takes no time.

:class:`SharedLimiter` (across processes). The dashboard, a CLI sync and replicas on other
machines share one budget per page through pyrate-limiter buckets kept next to the store
(SQLite file with a file lock, or PostgreSQL tables): ``limit`` calls per ``period + margin``
per page, with the margin absorbing the jitter between processes. It is used on top of the
in-process limiter, never instead of it.

Both take injectable ``clock``/``sleep`` (tests use :class:`FakeClock`). Thread-safe.
"""
from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

log = logging.getLogger("pancake.ratelimit")

USER_KEY = "user"
PERIOD_MARGIN = 0.05        # seconds added to the server's 1 s window in process (clock granularity)
SHARED_MARGIN = 0.25        # seconds added across processes (no answer time to anchor on there)


@dataclass
class _Call:
    start: float
    end: float | None = None   # None while the request is in flight


class _Key:
    __slots__ = ("cond", "calls")

    def __init__(self) -> None:
        self.cond = threading.Condition(threading.Lock())
        self.calls: list[_Call] = []


class RateLimiter:
    """At most ``max_calls`` calls per key in any ``period`` seconds, counted from each call's
    start until ``period + margin`` after its end.

    ``rate_per_second`` is turned into a window: 5.0 -> 5 calls per 1 s, 0.5 -> 1 call per 2 s.
    ``shared`` (a :class:`SharedLimiter`) is also asked, after the local slot, for every call.
    """

    def __init__(self, rate_per_second: float = 5.0, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, margin: float = 0.0,
                 shared: SharedLimiter | None = None) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be > 0")
        self.max_calls = max(1, int(rate_per_second)) if rate_per_second >= 1 else 1
        self.period = self.max_calls / float(rate_per_second)
        self.margin = max(0.0, float(margin))
        self.hold = self.period + self.margin
        self.shared = shared
        self._clock = clock
        self._sleep = sleep
        self._real_time = sleep is time.sleep
        self._lock = threading.Lock()
        self._keys: dict[str, _Key] = {}

    def _slot(self, key: str) -> _Key:
        with self._lock:
            slot = self._keys.get(key)
            if slot is None:
                slot = self._keys[key] = _Key()
            return slot

    def _prune(self, slot: _Key, now: float) -> None:
        # 1e-9: a waiter that slept exactly until a call's expiry must find it expired
        slot.calls = [c for c in slot.calls if c.end is None or c.end + self.hold - now > 1e-9]

    def _take(self, key: str, end_now: bool) -> tuple[_Call, float]:
        slot = self._slot(str(key))
        t0 = self._clock()
        with slot.cond:
            while True:
                now = self._clock()
                self._prune(slot, now)
                if len(slot.calls) < self.max_calls:
                    call = _Call(now, now if end_now else None)
                    slot.calls.append(call)
                    return call, max(0.0, now - t0)
                ends = [c.end for c in slot.calls if c.end is not None]
                delay = (min(ends) + self.hold - now) if ends else None
                if self._real_time:
                    slot.cond.wait(delay)          # a finished call wakes us too
                elif delay is None:
                    slot.cond.wait(0.01)           # only calls in flight: wait for one to finish
                elif delay > 0:
                    slot.cond.release()            # injected sleep (FakeClock): others may go on
                    try:
                        self._sleep(delay)
                    finally:
                        slot.cond.acquire()

    def acquire(self, key: str = USER_KEY) -> float:
        """Wait until a call for ``key`` is allowed and record it as done at once.
        Returns the seconds waited."""
        _, waited = self._take(key, end_now=True)
        if self.shared is not None:
            waited += self.shared.acquire(str(key))
        return waited

    @contextmanager
    def slot(self, key: str = USER_KEY) -> Iterator[float]:
        """Hold a slot for one request: wait for room, yield the seconds waited, and on exit
        count the call until ``period + margin`` after now (its answer)."""
        call, waited = self._take(key, end_now=False)
        slot = self._slot(str(key))
        try:
            if self.shared is not None:
                waited += self.shared.acquire(str(key))
            yield waited
        finally:
            with slot.cond:
                call.end = self._clock()
                slot.cond.notify_all()

    def calls_in_window(self, key: str) -> int:
        """How many calls for ``key`` still count now (in flight, or ended within the window)."""
        slot = self._slot(str(key))
        with slot.cond:
            now = self._clock()
            return sum(1 for c in slot.calls if c.end is None or now - c.end < self.period)


class SharedLimiter:
    """A per-page budget shared by every process using the same store, kept by pyrate-limiter
    (sliding-window log): ``limit`` calls per ``period + margin`` seconds per key.

    ``SharedLimiter.sqlite(path)``: a SQLite file next to the store, guarded by a file lock
    (processes on one machine). ``SharedLimiter.postgres(url)``: tables in the store's database
    (replicas on several machines). One bucket (table) per page, created on first use.
    """

    def __init__(self, make_bucket: Callable[[str, list], object], *, limit: int = 5, period: float = 1.0,
                 margin: float = SHARED_MARGIN, max_wait: float = 120.0, where: str = "") -> None:
        from pyrate_limiter import BucketFactory, Limiter, Rate, RateItem

        self.rate = Rate(int(limit), int(round((period + margin) * 1000)))
        self.where = where
        self.max_wait = max_wait
        rates = [self.rate]

        class _PerPage(BucketFactory):
            def __init__(self) -> None:
                self.buckets: dict[str, object] = {}
                self.lock = threading.Lock()

            def _bucket(self, name: str):
                with self.lock:
                    b = self.buckets.get(name)
                    if b is None:
                        b = self.buckets[name] = make_bucket(_table(name), rates)
                        self.schedule_leak(b)
                    return b

            def wrap_item(self, name: str, weight: int = 1):
                return RateItem(name, self._bucket(name).now(), weight=weight)

            def get(self, item):
                return self._bucket(item.name)

        self._factory = _PerPage()
        self._limiter = Limiter(self._factory)

    @classmethod
    def sqlite(cls, path: str, **kw) -> SharedLimiter:
        from pyrate_limiter import SQLiteBucket, SQLiteQueries

        lock = FileMutex.of(str(path) + ".lock")
        shared: list[sqlite3.Connection] = []

        def make(table: str, rates: list):
            # SQLiteBucket.init_from_file(rates, table=table, db_path=path, use_file_lock=True): the
            # same file, tables, statements and lock file. Two differences, neither in what is
            # counted: the lock is a FileMutex (filelock's FileLock polled every 50 ms, so a call
            # that met the leaker or another process at the lock waited 50 ms, and its bookkeeping
            # cost 0.3 ms a call, in the path of every request), and the buckets of this process
            # share one connection: every use of it is under that one lock, one at a time.
            with lock:
                if not shared:
                    conn = sqlite3.connect(str(path), isolation_level="DEFERRED", check_same_thread=False)
                    conn.execute("PRAGMA journal_mode=WAL;").close()
                    conn.execute("PRAGMA synchronous=NORMAL;").close()
                    shared.append(conn)
                conn = shared[0]
                cur = conn.cursor()
                cur.execute(SQLiteQueries.CREATE_BUCKET_TABLE.format(table=table))
                cur.execute(SQLiteQueries.CREATE_INDEX_ON_TIMESTAMP.format(
                    index_name=f"idx_{table}_rate_item_timestamp", table_name=table))
                cur.close()
                conn.commit()
            return SQLiteBucket(rates, conn, table=table, lock=lock)
        return cls(make, where=str(path), **kw)

    @classmethod
    def postgres(cls, url: str, **kw) -> SharedLimiter:
        from psycopg_pool import ConnectionPool
        from pyrate_limiter import PostgresBucket
        pool = ConnectionPool(url, min_size=1, max_size=4, open=True,  # transactions: LOCK TABLE needs one
                              name="pancake-ratelimit")

        def make(table: str, rates: list):
            return PostgresBucket(pool, table, rates)
        limiter = cls(make, where="postgresql", **kw)
        limiter._pool = pool
        return limiter

    def acquire(self, key: str) -> float:
        """Block until the shared budget of ``key`` has room; returns the seconds waited."""
        t0 = time.monotonic()
        try:
            ok = self._limiter.try_acquire(str(key), blocking=True, timeout=self.max_wait)
        except TimeoutError:
            ok = False
        except Exception as exc:  # noqa: BLE001 - a broken shared limiter must not stop the app
            log.warning("shared rate limiter (%s) failed (%s); pacing in this process only",
                        self.where, type(exc).__name__)
            ok = True
        if not ok:
            log.warning("shared rate limiter: no room for %s within %.0f s; going ahead", key, self.max_wait)
        return time.monotonic() - t0

    def close(self) -> None:
        try:
            self._limiter.close()
        except Exception:  # noqa: BLE001
            pass
        pool = getattr(self, "_pool", None)
        if pool is not None:
            try:
                pool.close()
            except Exception:  # noqa: BLE001
                pass


class FileMutex:
    """An exclusive lock held by one thread of one process at a time: a re-entrant thread lock
    inside the process, ``fcntl.flock`` on a lock file across processes (the lock filelock's
    ``FileLock`` takes on the same file, so both kinds of holder exclude each other). A waiting
    process sleeps in the kernel until the lock is free. One per lock file per process
    (``FileMutex.of``). Where ``fcntl`` is missing (Windows), filelock's ``FileLock`` is used.
    """

    _made: dict[str, FileMutex] = {}
    _made_lock = threading.Lock()

    def __init__(self, path: str) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = os.getpid()

    @classmethod
    def of(cls, path: str):
        if fcntl is None:   # pragma: no cover - Windows
            from filelock import FileLock
            return FileLock(path)
        path = os.path.abspath(path)
        with cls._made_lock:
            mutex = cls._made.get(path)
            if mutex is None or mutex._pid != os.getpid():     # a forked child makes its own
                mutex = cls._made[path] = cls(path)
            return mutex

    def acquire(self) -> None:
        self._thread_lock.acquire()
        try:
            if self._depth == 0:
                self._fd = self._lock_file()
            self._depth += 1
        except BaseException:
            self._thread_lock.release()
            raise

    def _lock_file(self) -> int:
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if os.fstat(fd).st_nlink > 0:       # not a file unlinked meanwhile
                    return fd
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)

    def release(self) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fd, self._fd = self._fd, None
                try:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                finally:
                    os.close(fd)
        finally:
            self._thread_lock.release()

    def __enter__(self) -> FileMutex:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _table(key: str) -> str:
    """A bucket table name for a page id (ids are digits, but never trust a name in SQL)."""
    return "pancake_rl_" + hashlib.sha256(key.encode()).hexdigest()[:16]


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

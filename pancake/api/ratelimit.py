"""Per-page pacing (user-API calls use the key ``"user"``): at most 5 calls per second per
``page_id`` **as the server counts them**; calls for different pages never wait on one another.

:class:`RateLimiter` (in process): ``slot(key)`` holds one of the key's slots from before the
request is sent until ``period + margin`` after its answer, so no 6 server arrivals can fall in
one server second whatever the latency. :class:`SharedLimiter` (across processes, on top of the
in-process one): the same slots in a table every process sees. Both take injectable
``clock``/``sleep``. Thread-safe.
"""
from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from filelock import FileLock

from pancake.sqlutil import advisory_key, is_corruption  # as the store's own locks and damage checks

log = logging.getLogger("pancake.api.ratelimit")

USER_KEY = "user"
PERIOD_MARGIN = 0.05        # seconds added to the server's 1 s window in process (clock granularity)
SHARED_MARGIN = 0.05        # the same across processes: calls are held until their answer there too


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
                    slot.cond.release()            # injected sleep (a fake clock): others may go on
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
            if self.shared is None:
                yield waited
            else:
                # the shared slot ends first, so it is free again before this process's slot is
                with self.shared.slot(str(key)) as shared_wait:
                    yield waited + shared_wait
        finally:
            with slot.cond:
                call.end = self._clock()
                slot.cond.notify_all()

class SharedLimiter:
    """The :class:`RateLimiter`'s slots kept in a table every process sees, so every process of a
    store shares one budget per page, exact as the server counts (counting only send times, as a
    sliding-window log does, let a process that stalled before its send land a sixth call).

    ``SharedLimiter.sqlite(path)``: a SQLite file next to the store, each check-and-take under a
    file lock (one machine, its clock). ``SharedLimiter.postgres(url)``: a table in the store's
    database under a per-page advisory lock, stamped with the database's clock (several machines).
    A row still open after ``stale_after`` seconds (a process killed mid-call) stops counting.
    """

    def __init__(self, backend: _SlotTable, *, limit: int = 5, period: float = 1.0,
                 margin: float = SHARED_MARGIN, max_wait: float = 120.0, stale_after: float = 300.0,
                 sleep: Callable[[float], None] = time.sleep, where: str = "") -> None:
        self.backend = backend
        self.limit = int(limit)
        self.hold = float(period) + float(margin)
        self.max_wait = max_wait
        self.stale_after = stale_after
        self._sleep = sleep
        self.where = where
        self._broken = False

    @classmethod
    def sqlite(cls, path: str, *, clock: Callable[[], float] = time.time, **kw) -> SharedLimiter:
        return cls(_SQLiteSlots(str(path), clock), where=str(path), **kw)

    @classmethod
    def postgres(cls, url: str, **kw) -> SharedLimiter:
        return cls(_PostgresSlots(url), where="postgresql", **kw)

    def _take(self, key: str) -> str | None:
        """Wait for a slot of ``key`` and take it; its row id, or None when the table failed
        (then pacing in this process still holds) or no slot came within ``max_wait``."""
        if self._broken:
            return None
        t0 = time.monotonic()
        while True:
            try:
                row, delay = self.backend.take(str(key), self.limit, self.hold, self.stale_after)
            except Exception as exc:  # noqa: BLE001 - a broken shared limiter must not stop the app
                self._broken = True
                log.warning("shared rate limiter (%s) failed (%s); pacing in this process only",
                            self.where, type(exc).__name__)
                return None
            if row is not None:
                return row
            if time.monotonic() - t0 > self.max_wait:
                log.warning("shared rate limiter: no room for %s within %.0f s; going ahead", key, self.max_wait)
                return None
            # no slot frees before the earliest ended call's expiry: one in flight ends at the
            # earliest now, and then counts for `hold` more
            self._sleep(max(0.001, delay))

    def _end(self, row: str | None) -> None:
        if row is None:
            return
        try:
            self.backend.end(row)
        except Exception as exc:  # noqa: BLE001 - the row goes stale and stops counting
            log.warning("shared rate limiter (%s): could not end a call (%s)", self.where, type(exc).__name__)

    @contextmanager
    def slot(self, key: str) -> Iterator[float]:
        """Hold a shared slot for one request; yields the seconds waited for it."""
        t0 = time.monotonic()
        row = self._take(key)
        try:
            yield time.monotonic() - t0
        finally:
            self._end(row)

    def acquire(self, key: str) -> float:
        """Wait for room for a call that takes no time (counted from now); the seconds waited."""
        with self.slot(key) as waited:
            return waited

    def live(self, key: str) -> int:
        """How many calls of ``key`` count now, across all processes."""
        return self.backend.live(str(key), self.hold, self.stale_after)

    def close(self) -> None:
        try:
            self.backend.close()
        except Exception:  # noqa: BLE001
            pass


class _SlotTable:
    """Where the shared slots live. ``take`` returns (row id, None) when a slot was free and is now
    taken, else (None, seconds until a slot can free at the earliest: the earliest ended call's
    expiry, or ``hold`` when every call is still in flight)."""

    def take(self, key: str, limit: int, hold: float, stale: float) -> tuple[str | None, float | None]:
        raise NotImplementedError

    def end(self, row: str) -> None:
        raise NotImplementedError

    def live(self, key: str, hold: float, stale: float) -> int:
        raise NotImplementedError

    def close(self) -> None:
        pass


_SLOTS_DDL = ("CREATE TABLE IF NOT EXISTS pancake_rate_slots (id TEXT PRIMARY KEY, page TEXT NOT NULL, "
              "started DOUBLE PRECISION NOT NULL, ended DOUBLE PRECISION, owner TEXT)")
_SLOTS_INDEX = "CREATE INDEX IF NOT EXISTS pancake_rate_slots_page ON pancake_rate_slots (page)"
# a table made before rows named their process (``owner``)
_SLOTS_OWNER = "ALTER TABLE pancake_rate_slots ADD COLUMN owner TEXT"
_SLOTS_OPEN = "SELECT id, owner FROM pancake_rate_slots WHERE page = {p} AND ended IS NULL AND owner LIKE {p}"
_SLOTS_DROP = "DELETE FROM pancake_rate_slots WHERE id = {p}"

_HOST = socket.gethostname()


def _start_time(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, from /proc), so that a pid reused by
    a new process is not taken for the dead one; None where /proc is missing or the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields and fields[0] == b"Z":     # a zombie: dead, not yet reaped
        return "zombie"
    return fields[19].decode() if len(fields) > 19 else None


def process_owner(pid: int | None = None) -> str:
    """``host|pid|start``: which process holds a row (``pid`` defaults to this one)."""
    pid = os.getpid() if pid is None else pid
    return f"{_HOST}|{pid}|{_start_time(pid) or ''}"


def owner_alive(owner: str | None) -> bool:
    """False only for a row of this host whose process is gone (or its pid now another process's).
    A row of another host, or of unknown owner, is alive: it counts until ``stale_after``."""
    try:
        host, pid_text, start = (owner or "").split("|")
        pid = int(pid_text)
    except ValueError:
        return True
    if host != _HOST or pid <= 0:
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    now = _start_time(pid)
    if now == "zombie":
        return False
    return not (start and now is not None and now != start)


def _drop_dead(execute: Callable, mark: str, key: str) -> None:
    """Release the key's slots still open for a process of this host that is gone (killed
    mid-call): they stop counting at once, not after ``stale_after``."""
    for row, owner in execute(_SLOTS_OPEN.format(p=mark), (key, f"{_HOST}|%")).fetchall():
        if not owner_alive(owner):
            execute(_SLOTS_DROP.format(p=mark), (row,))
# expired: ended more than `hold` ago, open longer than `stale`, or stamped in the future (a clock
# set back, or a machine restarted under a monotonic clock)
_SLOTS_PRUNE = ("DELETE FROM pancake_rate_slots WHERE page = {p} AND ((ended IS NOT NULL AND ended + {p} <= {p}) "
                "OR (ended IS NULL AND started < {p}) OR started > {p})")
_SLOTS_LIVE = "SELECT COUNT(*), MIN(ended) FROM pancake_rate_slots WHERE page = {p}"


def _prune_and_count(execute: Callable, mark: str, key: str, now: float, hold: float,
                     stale: float) -> tuple[int, float | None]:
    """Drop the key's expired rows, then (live rows, the earliest end among them). ``execute``
    is a connection's, ``mark`` its parameter placeholder."""
    execute(_SLOTS_PRUNE.format(p=mark), (key, hold, now, now - stale, now + 1.0))
    _drop_dead(execute, mark, key)
    n, first_end = execute(_SLOTS_LIVE.format(p=mark), (key,)).fetchone()
    return n, first_end


def _free_in(first_end: float | None, hold: float, now: float) -> float:
    """Seconds until a slot can free at the earliest: the earliest ended call's expiry, or
    ``hold`` when every call is still in flight (one ending now counts ``hold`` more)."""
    return first_end + hold - now if first_end is not None else hold


class _SQLiteSlots(_SlotTable):
    """The slots in ``ratelimit.sqlite3``. A damaged file (not a database, malformed) is removed
    and made again, as the store is: it holds only calls of the last seconds."""

    def __init__(self, path: str, clock: Callable[[], float]) -> None:
        self.path = path
        self.clock = clock
        self.lock = ProcessFileLock.of(path + ".lock")
        self.conn: sqlite3.Connection | None = None
        with self.lock:
            self._run(lambda c: None)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        try:
            conn.execute("PRAGMA journal_mode=WAL").close()
            conn.execute("PRAGMA synchronous=NORMAL").close()
            conn.execute(_SLOTS_DDL).close()
            conn.execute(_SLOTS_INDEX).close()
            columns = {r[1] for r in conn.execute("PRAGMA table_info(pancake_rate_slots)").fetchall()}
            if "owner" not in columns:
                conn.execute(_SLOTS_OWNER).close()
        except BaseException:
            conn.close()
            raise
        return conn

    def _rebuild(self, exc: BaseException) -> None:
        log.warning("shared rate limiter %s is damaged (%s); making it again", self.path, exc)
        if self.conn is not None:
            try:
                self.conn.close()
            except sqlite3.Error:
                pass
            self.conn = None
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(self.path + suffix)
            except FileNotFoundError:
                pass

    def _run(self, step: Callable[[sqlite3.Connection], Any]) -> Any:
        """``step(conn)`` under the file lock (held by the caller); a damaged file is made again
        and the step run once more."""
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = self._connect()
                return step(self.conn)
            except sqlite3.DatabaseError as exc:
                if attempt or not is_corruption(exc):
                    raise
                self._rebuild(exc)
        return None  # pragma: no cover - the loop returns or raises

    def take(self, key, limit, hold, stale):
        def step(c):
            now = self.clock()
            c.execute("BEGIN IMMEDIATE")
            try:
                n, first_end = _prune_and_count(c.execute, "?", key, now, hold, stale)
                row = None
                if n < limit:
                    row = os.urandom(12).hex()
                    c.execute("INSERT INTO pancake_rate_slots (id, page, started, owner) VALUES (?, ?, ?, ?)",
                              (row, key, now, process_owner()))
                c.execute("COMMIT")
            except BaseException:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise
            return (row, None) if row is not None else (None, _free_in(first_end, hold, now))
        with self.lock:       # one process, one thread at a time: the check and the take are one step
            return self._run(step)

    def end(self, row):
        with self.lock:
            self._run(lambda c: c.execute("UPDATE pancake_rate_slots SET ended = ? WHERE id = ?",
                                          (self.clock(), row)).close())

    def live(self, key, hold, stale):
        with self.lock:
            return self._run(lambda c: _prune_and_count(c.execute, "?", key, self.clock(), hold, stale)[0])

    def close(self):
        with self.lock:
            if self.conn is not None:
                self.conn.close()


_PG_NOW = "extract(epoch from clock_timestamp())::double precision"


class _PostgresSlots(_SlotTable):
    """Stamped with the database's clock, so replicas' clocks never matter."""

    def __init__(self, url: str) -> None:
        from psycopg_pool import ConnectionPool  # optional: only with a PostgreSQL store
        self.pool = ConnectionPool(url, min_size=1, max_size=4, open=False, kwargs={"autocommit": True},
                                   name="pancake-ratelimit")
        self.pool.open(wait=True, timeout=10)
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key("pancake-rate-slots-ddl"),))
            conn.execute(_SLOTS_DDL)
            conn.execute(_SLOTS_INDEX)
            conn.execute("ALTER TABLE pancake_rate_slots ADD COLUMN IF NOT EXISTS owner TEXT")

    def take(self, key, limit, hold, stale):
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key("pancake-rate|" + key),))
            now = conn.execute(f"SELECT {_PG_NOW}").fetchone()[0]
            n, first_end = _prune_and_count(conn.execute, "%s", key, now, hold, stale)
            if n < limit:
                row = os.urandom(12).hex()
                # stamped by the database as it commits: still before the request is sent
                conn.execute(f"INSERT INTO pancake_rate_slots (id, page, started, owner) "
                             f"VALUES (%s, %s, {_PG_NOW}, %s)", (row, key, process_owner()))
                return row, None
        return None, _free_in(first_end, hold, now)

    def end(self, row):
        with self.pool.connection() as conn:
            conn.execute(f"UPDATE pancake_rate_slots SET ended = {_PG_NOW} WHERE id = %s", (row,))

    def live(self, key, hold, stale):
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key("pancake-rate|" + key),))
            now = conn.execute(f"SELECT {_PG_NOW}").fetchone()[0]
            return _prune_and_count(conn.execute, "%s", key, now, hold, stale)[0]

    def close(self):
        self.pool.close()


class ProcessFileLock:
    """One thread of one process at a time: a thread lock inside the process (a waiting thread
    sleeps until it is free), then filelock's ``FileLock`` on the lock file across processes.
    Re-entrant. One per lock file per process (``ProcessFileLock.of``)."""

    _made: dict[tuple[str, int], ProcessFileLock] = {}
    _made_lock = threading.Lock()

    def __init__(self, path: str) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        # shared by this process's threads (the thread lock above lets one in at a time); polled
        # briefly while another process holds it: its check-and-take lasts a few milliseconds
        self._file_lock = FileLock(path, thread_local=False, poll_interval=0.002)

    @classmethod
    def of(cls, path: str) -> ProcessFileLock:
        key = (os.path.abspath(path), os.getpid())     # a forked child makes its own
        with cls._made_lock:
            lock = cls._made.get(key)
            if lock is None:
                lock = cls._made[key] = cls(key[0])
            return lock

    def acquire(self) -> None:
        self._thread_lock.acquire()
        try:
            self._file_lock.acquire()
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        try:
            self._file_lock.release()
        finally:
            self._thread_lock.release()

    def __enter__(self) -> ProcessFileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

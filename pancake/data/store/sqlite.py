"""The embedded store: one SQLite file in WAL mode, shared by every process on the machine.

Readers never wait for the writer; writes are short ``BEGIN IMMEDIATE`` transactions that wait up
to ``busy_timeout``. A few pooled connections per process. Opening, migrating and rebuilding
happen under a file lock (``<file>.lock``). A corrupt file, or one of another schema version, is
moved aside or dropped and rebuilt with a warning, never a crash; a process whose file another
rebuilt reconnects. ``path=None`` keeps the store in memory (demo data; tests).
"""
from __future__ import annotations

import hashlib
import logging
import os
import queue
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from pancake.data.store.base import ALERT_LOCK_WAIT_S, META, SCHEMA_VERSION, TABLE, SQLStore, StoreError
from pancake.sqlutil import is_corruption

log = logging.getLogger("pancake.data.store")

FILE_NAME = "store.sqlite3"
BUSY_TIMEOUT_S = 30.0
POOL_SIZE = 4
def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back what is left of a transaction. SQLite rolls back by itself on some errors (a
    full disk, an I/O error): a ROLLBACK then fails with "no transaction is active", which would
    hide the cause."""
    if conn.in_transaction:
        try:
            conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass


class SQLiteStore(SQLStore):
    backend = "sqlite"

    def __init__(self, path: str | os.PathLike | None) -> None:
        super().__init__()
        self.path = Path(path) if path is not None else None
        self.location = str(self.path) if self.path else ":memory:"
        if self.path is None:
            self.backend = "memory"
        self._pool: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._made = 0
        self._size = 1 if self.path is None else POOL_SIZE
        self._made_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._inode: int | None = None
        self._memory: sqlite3.Connection | None = None
        self._closed = False
        self._token_locks: dict[tuple[str, str], threading.Lock] = {}
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lockfile = FileLock(str(self.path) + ".lock", timeout=BUSY_TIMEOUT_S * 2)
        self._open()

    # -- connections ---------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self.path is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        else:
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_S, check_same_thread=False,
                                   isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def _file_inode(self) -> int | None:
        try:
            return os.stat(self.path).st_ino if self.path else None
        except OSError:
            return None

    def _drop_pool(self) -> None:
        while True:
            try:
                conn = self._pool.get_nowait()
            except queue.Empty:
                break
            try:
                conn.close()
            except sqlite3.Error:
                pass
        with self._made_lock:
            self._made = 0

    @contextmanager
    def _borrow(self):
        if self._closed:
            raise StoreError("the store is closed")
        if self.path is not None and self._file_inode() != self._inode:
            # another process rebuilt (or someone deleted) the file: start again on the new one
            with self._lock:
                if self._file_inode() != self._inode:
                    self._drop_pool()
                    self._open()
        conn = None
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            with self._made_lock:
                make = self._made < self._size
                if make:
                    self._made += 1
            if make:
                try:
                    conn = self._connect()
                except BaseException:
                    with self._made_lock:
                        self._made -= 1
                    raise
            else:
                conn = self._pool.get(timeout=BUSY_TIMEOUT_S * 2)
        try:
            yield conn
        finally:
            self._pool.put(conn)

    @contextmanager
    def _conn(self):
        try:
            with self._borrow() as conn:
                yield conn
        except sqlite3.DatabaseError as exc:
            self._on_error(exc)
            raise StoreError(f"SQLite store: {type(exc).__name__}: {exc}") from None

    @contextmanager
    def _write(self):
        # One writer at a time in this process: SQLite has one write lock per file anyway, and
        # connections of one process racing for it would wait in SQLite's busy handler, which
        # sleeps (1, 2, 5, 10 ms ...) instead of waking when the lock is free. Other processes
        # still wait through busy_timeout.
        try:
            with self._write_lock, self._borrow() as conn:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    _rollback(conn)
                    raise
                try:
                    conn.execute("COMMIT")
                except BaseException:
                    _rollback(conn)
                    raise
        except sqlite3.DatabaseError as exc:
            self._on_error(exc)
            raise StoreError(f"SQLite store: {type(exc).__name__}: {exc}") from None

    def _on_error(self, exc: sqlite3.DatabaseError) -> None:
        if is_corruption(exc):
            with self._lock:
                self._rebuild(f"the file is damaged ({exc})", move_aside=True)

    # -- opening, migrating, rebuilding ------------------------------------------------------------
    def _open(self) -> None:
        if self.path is None:
            with self._borrow_raw() as conn:
                self._create(conn)
            return
        with self._lockfile:
            try:
                conn = self._connect()
                try:
                    conn.execute("PRAGMA journal_mode = WAL")
                    version = self._version(conn)
                    if version is None:
                        self._create(conn)
                    elif version != SCHEMA_VERSION and self.upgrade_steps(version) is not None:
                        log.info("statistics store %s: upgrading schema version %s to %s", self.path, version,
                                 SCHEMA_VERSION)
                        self._create(conn, self.upgrade_steps(version))
                    elif version != SCHEMA_VERSION:
                        log.warning("statistics store %s has schema version %s (this code uses %s): "
                                    "rebuilding it", self.path, version, SCHEMA_VERSION)
                        self.warning = f"rebuilt: schema version {version} replaced by {SCHEMA_VERSION}"
                        for table in self.TABLES:
                            conn.execute(f"DROP TABLE IF EXISTS {table}")
                        self._create(conn)
                    else:
                        conn.execute(f"SELECT 1 FROM {TABLE} LIMIT 1").fetchall()
                finally:
                    conn.close()
            except sqlite3.DatabaseError as exc:
                if not (is_corruption(exc) or "no such table" in str(exc).lower()):
                    raise StoreError(f"SQLite store {self.path}: {exc}") from None
                self._rebuild_locked(f"the file could not be read ({exc})", move_aside=True)
            self._inode = self._file_inode()
            self._owner_only()

    @contextmanager
    def _borrow_raw(self):
        if self._memory is None:
            self._memory = self._connect()
            self._pool.put(self._memory)
            self._made = 1
        yield self._memory

    @staticmethod
    def _version(conn: sqlite3.Connection) -> int | None:
        has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                (META,)).fetchall()
        if not has_meta:
            has_any = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                   (TABLE,)).fetchall()
            return 0 if has_any else None
        row = conn.execute(f"SELECT value FROM {META} WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _create(self, conn: sqlite3.Connection, statements=None) -> None:
        """Create the tables (or run ``statements``: an upgrade) and set the schema version, in
        one transaction."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in (self.CREATE if statements is None else statements):
                conn.execute(stmt)
            conn.execute(f"INSERT INTO {META} (key, value) VALUES ('schema_version', ?) "
                         f"ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(SCHEMA_VERSION),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def token_lock(self, source: str, page_id: str):
        """One process at a time per page: a file lock beside the store (a thread lock in memory)."""
        if self.path is None:
            with self._lock:
                lk = self._token_locks.setdefault((source, str(page_id)), threading.Lock())
            return lk
        digest = hashlib.sha256(f"{source}|{page_id}".encode()).hexdigest()[:16]
        return FileLock(str(self.path) + f".token-{digest}.lock", timeout=BUSY_TIMEOUT_S * 2)

    @contextmanager
    def alert_lock(self, scope: str):
        """One alert run at a time per scope: a file lock beside the store (a thread lock in
        memory: the state is this process's only)."""
        if self.path is None:
            with self._lock:
                lk = self._token_locks.setdefault(("alert", scope), threading.Lock())
            if not lk.acquire(timeout=ALERT_LOCK_WAIT_S):
                raise StoreError("another alert run is still sending to this channel")
            try:
                yield
            finally:
                lk.release()
            return
        digest = hashlib.sha256(f"alert|{scope}".encode()).hexdigest()[:16]
        lock = FileLock(str(self.path) + f".alert-{digest}.lock", timeout=ALERT_LOCK_WAIT_S)
        try:
            lock.acquire()
        except Timeout:
            raise StoreError("another alert run is still sending to this channel") from None
        try:
            yield
        finally:
            lock.release()

    @contextmanager
    def sync_lock(self, source, page_ids, on_wait=None):
        if self.path is None:
            yield
            return
        held: list[FileLock] = []
        try:
            for pid in sorted({str(p) for p in page_ids}):
                digest = hashlib.sha256(f"{source}|{pid}".encode()).hexdigest()[:16]
                lock = FileLock(str(self.path) + f".sync-{digest}.lock", thread_local=False)
                try:
                    lock.acquire(timeout=0)
                except Timeout:
                    if on_wait is not None:
                        on_wait(pid)
                    lock.acquire()           # released by the other sync, or by its death
                held.append(lock)
            yield
        finally:
            for lock in reversed(held):
                lock.release()

    def _owner_only(self) -> None:
        """The store holds page tokens: readable and writable by its owner only (WAL files too)."""
        for suffix in ("", "-wal", "-shm"):
            try:
                os.chmod(str(self.path) + suffix, 0o600)
            except OSError:
                pass

    def _rebuild(self, reason: str, *, move_aside: bool) -> None:
        if self.path is None:
            return
        with self._lockfile:
            if self._file_inode() != self._inode:
                self._drop_pool()   # another process already rebuilt it
                self._inode = self._file_inode()
                return
            self._rebuild_locked(reason, move_aside=move_aside)
            self._inode = self._file_inode()

    def _rebuild_locked(self, reason: str, *, move_aside: bool) -> None:
        assert self.path is not None
        self._drop_pool()
        log.warning("statistics store %s: %s; starting a new one", self.path, reason)
        self.warning = f"rebuilt: {reason}"
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if not p.exists():
                continue
            try:
                if move_aside and suffix == "":
                    p.replace(Path(f"{self.path}.corrupt-{stamp}"))
                else:
                    p.unlink()
            except OSError as exc:
                raise StoreError(f"SQLite store {self.path} is damaged and cannot be replaced: {exc}") from None
        conn = self._connect()
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            self._create(conn)
        finally:
            conn.close()

    # -- facts -----------------------------------------------------------------------------------
    def size_bytes(self) -> int:
        if self.path is None:
            rows = self._query("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
            return int(rows[0][0]) if rows else 0
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.path.getsize(str(self.path) + suffix)
            except OSError:
                pass
        return total

    def close(self) -> None:
        self._closed = True
        self._drop_pool()
        self._memory = None

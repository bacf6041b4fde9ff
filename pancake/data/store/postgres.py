"""The shared store on PostgreSQL (psycopg 3): several Streamlit replicas and a scheduled sync
job on different machines read and write one store.

The schema is the SQLite one (``pancake.data.store.base``). Creating and migrating run in one
transaction under an advisory lock, so replicas starting together do not race. A schema
version that differs is rebuilt with a warning (the store is a cache of the API).
"""
from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from pancake.data.store.base import ALERT_LOCK_WAIT_S, META, SCHEMA_VERSION, TABLE, SQLStore, StoreError
from pancake.sqlutil import advisory_key

log = logging.getLogger("pancake.data.store")

MIGRATION_LOCK = 0x70616E63  # advisory lock key ("panc")


POOL_MAX = 8
CONNECT_TIMEOUT_S = 10


def safe_url(url: str) -> str:
    """The URL without its password (shown on screen and in ``cache info``)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{parts.username}@" if parts.username else "") + host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _bytea(statements: tuple[str, ...]) -> tuple[str, ...]:
    """The shared statements with PostgreSQL's binary type for the bodies."""
    return tuple(s.replace("body BLOB", "body BYTEA") for s in statements)


class PostgresStore(SQLStore):
    backend = "postgresql"
    placeholder = "%s"
    CREATE = _bytea(SQLStore.CREATE)
    MIGRATIONS = {version: _bytea(steps) for version, steps in SQLStore.MIGRATIONS.items()}

    def __init__(self, url: str, *, pool_max: int = POOL_MAX) -> None:
        super().__init__()
        try:
            import psycopg  # optional: only with a PostgreSQL store (libpq at start-up otherwise)
            from psycopg_pool import ConnectionPool  # the same
        except ImportError as exc:  # pragma: no cover - both are in requirements.txt
            raise StoreError(f"PANCAKE_STORE_URL needs psycopg 3 and psycopg-pool ({exc})") from None
        self._psycopg = psycopg
        self.url = url
        self.location = safe_url(url)
        try:   # one direct connection first: its error says why (the pool's would only time out)
            psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True).close()
        except psycopg.Error as exc:
            why = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise StoreError(f"PostgreSQL store {self.location} unreachable: {why}") from None
        try:
            self._pool = ConnectionPool(url, min_size=1, max_size=pool_max, open=False,
                                        kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
                                        name="pancake-store")
            self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
            self._migrate()
        except Exception as exc:  # noqa: BLE001 - any failure to reach or prepare the database
            self.close()
            raise StoreError(f"PostgreSQL store {self.location} unavailable: {type(exc).__name__}") from None

    @contextmanager
    def _conn(self):
        try:
            with self._pool.connection() as conn:
                yield conn
        except self._psycopg.Error as exc:
            raise StoreError(f"PostgreSQL store: {type(exc).__name__}: {exc}") from None

    @contextmanager
    def _write(self):
        try:
            with self._pool.connection() as conn, conn.transaction():
                yield conn
        except self._psycopg.Error as exc:
            raise StoreError(f"PostgreSQL store: {type(exc).__name__}: {exc}") from None

    @contextmanager
    def token_lock(self, source: str, page_id: str):
        """One process at a time per page across every replica: a session advisory lock."""
        key = advisory_key(f"pancake-token|{source}|{page_id}")
        with self._conn() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    @contextmanager
    def alert_lock(self, scope: str):
        """One alert run at a time per scope across every machine: a session advisory lock,
        asked again every 0.2 s for at most ``ALERT_LOCK_WAIT_S``."""
        key = advisory_key(f"pancake-alert|{scope}")
        deadline = time.monotonic() + ALERT_LOCK_WAIT_S
        with self._conn() as conn:
            while not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
                if time.monotonic() > deadline:
                    raise StoreError("another alert run is still sending to this channel")
                time.sleep(0.2)
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    @contextmanager
    def sync_lock(self, source, page_ids, on_wait=None):
        """Session advisory locks on one connection of its own (not the pool's: a sync of many
        pages would hold them all); closing it releases them, as a dead process's are."""
        conn = self._psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        try:
            for pid in sorted({str(p) for p in page_ids}):
                key = advisory_key(f"pancake-sync|{source}|{pid}")
                if not conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]:
                    if on_wait is not None:
                        on_wait(pid)
                    conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            yield
        finally:
            conn.close()

    def _migrate(self) -> None:
        with self._pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            has_meta = conn.execute("SELECT to_regclass(%s)", (META,)).fetchone()[0]
            has_table = conn.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone()[0]
            version = None
            if has_meta:
                row = conn.execute(f"SELECT value FROM {META} WHERE key = 'schema_version'").fetchone()
                version = int(row[0]) if row else 0
            elif has_table:
                version = 0
            steps = self.upgrade_steps(version) if version is not None else None
            if version is not None and version != SCHEMA_VERSION and steps is not None:
                log.info("statistics store %s: upgrading schema version %s to %s", self.location, version,
                         SCHEMA_VERSION)
                for stmt in steps:
                    conn.execute(stmt)
            elif version is not None and version != SCHEMA_VERSION:
                log.warning("statistics store %s has schema version %s (this code uses %s): rebuilding it",
                            self.location, version, SCHEMA_VERSION)
                self.warning = f"rebuilt: schema version {version} replaced by {SCHEMA_VERSION}"
                for table in self.TABLES:
                    conn.execute(f"DROP TABLE IF EXISTS {table}")
            for stmt in self.CREATE:
                conn.execute(stmt)
            conn.execute(f"INSERT INTO {META} (key, value) VALUES ('schema_version', %s) "
                         f"ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(SCHEMA_VERSION),))

    def size_bytes(self) -> int:
        rows = self._query("SELECT pg_total_relation_size(?::regclass)", [TABLE])
        return int(rows[0][0] or 0) if rows else 0

    def close(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            try:
                pool.close()
            except Exception:  # noqa: BLE001
                pass

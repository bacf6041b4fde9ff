"""What every store backend shares: the schema, the queries and the entry model.

The tables (their columns in the ``CREATE TABLE`` statements below):

- ``TABLE``: every stored statistic, keyed by source (the API and zone, never a token, so demo,
  test and real numbers never mix), kind and variant, grain (``"day"``: one entry per local day;
  ``"range"``: one exact window, see ``pancake.data.core``) and page. A ``closed`` entry's last day
  had ended when it was asked: it never changes and is never fetched again; open ones live a short
  TTL. ``body`` is Arrow IPC (:mod:`pancake.data.store.codec`, never pickle).
- ``META``: ``schema_version``. Another version is upgraded in place when ``MIGRATIONS`` has its
  step, else rebuilt with a warning: a cache of the API loses nothing that cannot be fetched again.
- ``ALERTS``: what ``alert`` already sent, per scope, so a 10-minute cron does not repeat itself
  (``unknown``: the channel took it and never answered, not sent again). Runs on one scope take
  turns (``alert_lock``).
- ``TOKENS``: the page tokens known to work, shared by every process, a new one made at most once
  per page (``token_lock``). Owner-only, never logged, never shown.
- ``MESSAGES``: each conversation's messages for the response times (only what the turns need),
  asked again only when the conversation moved.
- ``LINKS`` and ``SESSION_ENDS``: read-only links (only a hash of each secret) and sign-outs.

``cache clear`` clears the statistics and the messages, never the alert state or the tokens.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

log = logging.getLogger("pancake.data.store")

SCHEMA_VERSION = 7
TABLE = "pancake_stats"
META = "pancake_store_meta"
ALERTS = "pancake_alert_state"
TOKENS = "pancake_page_tokens"
LINKS = "pancake_links"              # read-only links (version 7): only a hash of each secret
SESSION_ENDS = "pancake_session_ends"  # the last sign-out of each name (version 7)
MESSAGES = "pancake_messages"
_MESSAGES_TABLE = f"""CREATE TABLE IF NOT EXISTS {MESSAGES} (
    source TEXT NOT NULL, page_id TEXT NOT NULL, conversation_id TEXT NOT NULL,
    updated_at TEXT NOT NULL, count INTEGER NOT NULL, fetched_at DOUBLE PRECISION NOT NULL,
    body TEXT NOT NULL, PRIMARY KEY (source, page_id, conversation_id))"""
_TOKENS_TABLE = f"""CREATE TABLE IF NOT EXISTS {TOKENS} (
            source TEXT NOT NULL, page_id TEXT NOT NULL, token TEXT NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (source, page_id))"""
_LINK_TABLES = (
    f"""CREATE TABLE IF NOT EXISTS {LINKS} (
        id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE, name TEXT NOT NULL, view TEXT NOT NULL,
        downloads INTEGER NOT NULL, created_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL, revoked_at DOUBLE PRECISION, last_used DOUBLE PRECISION)""",
    f"""CREATE TABLE IF NOT EXISTS {SESSION_ENDS} (
        who TEXT PRIMARY KEY, ended_at DOUBLE PRECISION NOT NULL)""",
)
# how long an alert run waits for another one sending to the same channel (a send is bounded by
# pancake.delivery.notify's timeouts, well under this)
ALERT_LOCK_WAIT_S = 180.0
KEY_COLUMNS = ("source", "kind", "variant", "grain", "page_id", "start_day", "end_day")


class StoreError(RuntimeError):
    """The store cannot be used (opened, read or written); the data layer then fetches."""


@dataclass(frozen=True)
class Entry:
    page_id: str
    start: date
    end: date
    closed: bool
    fetched_at: float       # unix seconds
    body: bytes


@dataclass
class PageKindInfo:
    page_id: str
    kind: str
    oldest_day: date
    newest_day: date
    entries: int
    bytes: int
    newest_fetch: float     # unix seconds of the newest entry


@dataclass
class StoreInfo:
    backend: str            # "sqlite" | "postgresql" | "memory"
    location: str           # a path or a URL without password: safe to show
    size_bytes: int
    entries: int
    rows: list[PageKindInfo] = field(default_factory=list)
    warning: str | None = None   # e.g. "rebuilt after corruption", "PostgreSQL unreachable: in memory"


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class SQLStore:
    """Queries shared by the SQLite and PostgreSQL backends (``?`` placeholders; PostgreSQL
    swaps them for ``%s``). Subclasses provide ``_conn()`` (a context manager giving a
    connection), ``_write()`` (a context manager giving a connection inside a transaction),
    ``size_bytes()`` and ``_rebuild(reason)``."""

    backend = "sql"
    location = ""
    placeholder = "?"
    warning: str | None = None
    unavailable: str | None = None   # why the configured store could not be opened (then in memory)

    CREATE = (
        f"CREATE TABLE IF NOT EXISTS {META} (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        f"""CREATE TABLE IF NOT EXISTS {TABLE} (
            source TEXT NOT NULL, kind TEXT NOT NULL, variant TEXT NOT NULL, grain TEXT NOT NULL,
            page_id TEXT NOT NULL, start_day TEXT NOT NULL, end_day TEXT NOT NULL,
            closed INTEGER NOT NULL, fetched_at DOUBLE PRECISION NOT NULL, bytes INTEGER NOT NULL,
            body BLOB NOT NULL,
            PRIMARY KEY (source, kind, variant, grain, page_id, start_day, end_day))""",
        f"CREATE INDEX IF NOT EXISTS {TABLE}_page ON {TABLE} (page_id)",
        f"""CREATE TABLE IF NOT EXISTS {ALERTS} (
            scope TEXT NOT NULL, flag_key TEXT NOT NULL, page_id TEXT NOT NULL,
            first_seen DOUBLE PRECISION NOT NULL, last_seen DOUBLE PRECISION NOT NULL,
            outcome TEXT NOT NULL DEFAULT 'sent',
            PRIMARY KEY (scope, flag_key))""",
        _TOKENS_TABLE,
        _MESSAGES_TABLE,
        *_LINK_TABLES,
    )
    # the tables a rebuild drops (an unknown schema version, a damaged file)
    TABLES = (TABLE, META, ALERTS, TOKENS, MESSAGES, LINKS, SESSION_ENDS)
    # in-place upgrades: {from version: statements that make it the next version}; a version
    # without a step here (older, or newer code's) is rebuilt instead
    MIGRATIONS: dict[int, tuple[str, ...]] = {
        1: (f"""CREATE TABLE IF NOT EXISTS {ALERTS} (
            scope TEXT NOT NULL, flag_key TEXT NOT NULL, page_id TEXT NOT NULL,
            first_seen DOUBLE PRECISION NOT NULL, last_seen DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (scope, flag_key))""",),
        2: (_TOKENS_TABLE,),
        3: (f"ALTER TABLE {ALERTS} ADD COLUMN outcome TEXT NOT NULL DEFAULT 'sent'",),
        4: (_MESSAGES_TABLE,),
        # the statistics' bodies became Arrow IPC: the cached statistics are dropped (fetched
        # again), the alert state, the page tokens and the messages are kept
        5: (f"DROP TABLE IF EXISTS {TABLE}", CREATE[1], CREATE[2]),
        6: _LINK_TABLES,
    }

    def __init__(self) -> None:
        self._lock = threading.Lock()

    # -- to be provided -----------------------------------------------------------------------
    def _conn(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _write(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def size_bytes(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------------------------
    def _sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._conn() as conn:
            cur = conn.execute(self._sql(sql), tuple(params))
            try:
                return list(cur.fetchall())
            finally:
                cur.close()

    def _upsert(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """``sql`` (already placeholder-swapped) for every row, in one write transaction."""
        with self._write() as conn:
            cur = conn.cursor()
            try:
                cur.executemany(sql, rows)
            finally:
                cur.close()
        return len(rows)

    # -- the store's API -------------------------------------------------------------------------
    def get(self, source: str, kind: str, variant: str, grain: str, page_ids: Sequence[str],
            first: date, last: date) -> list[Entry]:
        """Entries of these pages whose first day is in [first, last]."""
        ids = list(dict.fromkeys(str(p) for p in page_ids))
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = self._query(
            f"SELECT page_id, start_day, end_day, closed, fetched_at, body FROM {TABLE} "
            f"WHERE source = ? AND kind = ? AND variant = ? AND grain = ? AND page_id IN ({marks}) "
            f"AND start_day >= ? AND start_day <= ?",
            [source, kind, variant, grain, *ids, first.isoformat(), last.isoformat()])
        return [Entry(str(r[0]), _day(r[1]), _day(r[2]), bool(r[3]), float(r[4]), bytes(r[5])) for r in rows]

    def put(self, source: str, kind: str, variant: str, grain: str, page_id: str,
            entries: Iterable[tuple[date, date, bool, bytes]], fetched_at: float) -> int:
        """Insert or replace entries ``(start, end, closed, body)`` in one transaction."""
        rows = [(source, kind, variant, grain, str(page_id), a.isoformat(), b.isoformat(), int(bool(c)),
                 float(fetched_at), len(body), body) for a, b, c, body in entries]
        if not rows:
            return 0
        sql = self._sql(
            f"INSERT INTO {TABLE} (source, kind, variant, grain, page_id, start_day, end_day, closed, "
            f"fetched_at, bytes, body) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
            f"ON CONFLICT (source, kind, variant, grain, page_id, start_day, end_day) DO UPDATE SET "
            f"closed = excluded.closed, fetched_at = excluded.fetched_at, bytes = excluded.bytes, "
            f"body = excluded.body")
        return self._upsert(sql, rows)

    def clear(self, page_id: str | None = None, *, open_only: bool = False) -> int:
        """Delete every entry (or one page's; or only the open ones). Returns how many."""
        where, params = [], []
        if page_id is not None:
            where.append("page_id = ?")
            params.append(str(page_id))
        if open_only:
            where.append("closed = 0")
        sql = f"DELETE FROM {TABLE}" + (" WHERE " + " AND ".join(where) if where else "")
        with self._write() as conn:
            cur = conn.execute(self._sql(sql), tuple(params))
            n = cur.rowcount
            cur.close()
            if not open_only:      # the kept messages are a copy of the API too
                conn.execute(self._sql(f"DELETE FROM {MESSAGES}" + (" WHERE page_id = ?" if page_id is not None else "")),
                             tuple(params[:1]) if page_id is not None else ()).close()
        return max(0, int(n or 0))

    # -- each conversation's messages (``pancake.data.replies``) ----------------------------------------
    def messages_get(self, source: str, page_id: str, conversation_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """{conversation id: (updated_at, body)} for those of ``conversation_ids`` kept."""
        return {str(r[0]): (str(r[1]), str(r[2]))
                for r in self._messages_rows("conversation_id, updated_at, body", source, page_id, conversation_ids)}

    def messages_stamps(self, source: str, page_id: str, conversation_ids: Sequence[str]) -> dict[str, str]:
        """{conversation id: updated_at} for those of ``conversation_ids`` kept, without the
        bodies (what is current is known before any body is read)."""
        return {str(r[0]): str(r[1])
                for r in self._messages_rows("conversation_id, updated_at", source, page_id, conversation_ids)}

    def _messages_rows(self, columns: str, source: str, page_id: str, conversation_ids: Sequence[str]) -> list[tuple]:
        ids = list(dict.fromkeys(str(c) for c in conversation_ids))
        out: list[tuple] = []
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            marks = ",".join("?" * len(part))
            out += self._query(f"SELECT {columns} FROM {MESSAGES} WHERE source = ? "
                               f"AND page_id = ? AND conversation_id IN ({marks})", [source, str(page_id), *part])
        return out

    def messages_put(self, source: str, page_id: str, rows: Iterable[tuple[str, str, int, str]],
                     fetched_at: float) -> int:
        """Insert or replace ``(conversation id, updated_at, count, body)`` rows in one transaction."""
        items = [(source, str(page_id), str(c), str(u), int(n), float(fetched_at), b) for c, u, n, b in rows]
        if not items:
            return 0
        sql = self._sql(f"INSERT INTO {MESSAGES} (source, page_id, conversation_id, updated_at, count, fetched_at, "
                        f"body) VALUES (?,?,?,?,?,?,?) ON CONFLICT (source, page_id, conversation_id) DO UPDATE SET "
                        f"updated_at = excluded.updated_at, count = excluded.count, "
                        f"fetched_at = excluded.fetched_at, body = excluded.body")
        return self._upsert(sql, items)

    def info(self) -> StoreInfo:
        rows = self._query(
            f"SELECT page_id, kind, MIN(start_day), MAX(end_day), COUNT(*), SUM(bytes), MAX(fetched_at) "
            f"FROM {TABLE} GROUP BY page_id, kind ORDER BY page_id, kind")
        items = [PageKindInfo(str(r[0]), str(r[1]), _day(r[2]), _day(r[3]), int(r[4]), int(r[5] or 0),
                              float(r[6] or 0)) for r in rows]
        return StoreInfo(backend=self.backend, location=self.location, size_bytes=self.size_bytes(),
                         entries=sum(i.entries for i in items), rows=items, warning=self.warning)

    @classmethod
    def upgrade_steps(cls, version: int) -> list[str] | None:
        """The statements that bring a store of ``version`` to ``SCHEMA_VERSION`` in place, or
        None when it has to be rebuilt (no migration step from that version)."""
        steps: list[str] = []
        while version != SCHEMA_VERSION:
            if version not in cls.MIGRATIONS:
                return None
            steps.extend(cls.MIGRATIONS[version])
            version += 1
        return steps

    # -- alert state (``pancake.delivery.alerts``) -----------------------------------------------------------
    def alert_state(self, scope: str) -> dict[str, str]:
        """The flags remembered for ``scope``: {flag key: page id}."""
        rows = self._query(f"SELECT flag_key, page_id FROM {ALERTS} WHERE scope = ?", [scope])
        return {str(k): str(p) for k, p in rows}

    def alert_outcomes(self, scope: str) -> dict[str, str]:
        """How the remembered flags of ``scope`` went out: {flag key: "sent" | "unknown"}."""
        rows = self._query(f"SELECT flag_key, outcome FROM {ALERTS} WHERE scope = ?", [scope])
        return {str(k): str(o) for k, o in rows}

    def save_alert_state(self, scope: str, flags: Mapping[str, str], now: float, *,
                         unknown: Iterable[str] = ()) -> None:
        """Make ``flags`` ({flag key: page id}) the remembered flags of ``scope``, in one
        transaction: the others are forgotten, a flag already known keeps its first sighting and
        its outcome; a new flag in ``unknown`` is remembered with the outcome ``unknown`` (sent,
        never answered), the others ``sent``."""
        unknown = {str(k) for k in unknown}
        with self._write() as conn:
            cur = conn.execute(self._sql(f"SELECT flag_key, first_seen, outcome FROM {ALERTS} WHERE scope = ?"),
                               (scope,))
            try:
                known = {str(k): (float(t), str(o)) for k, t, o in cur.fetchall()}
            finally:
                cur.close()
            conn.execute(self._sql(f"DELETE FROM {ALERTS} WHERE scope = ?"), (scope,)).close()
            rows = []
            for k, p in flags.items():
                first, outcome = known.get(str(k), (float(now), "unknown" if str(k) in unknown else "sent"))
                rows.append((scope, str(k), str(p), first, float(now), outcome))
            if rows:
                cur = conn.cursor()
                try:
                    cur.executemany(self._sql(f"INSERT INTO {ALERTS} (scope, flag_key, page_id, first_seen, "
                                              f"last_seen, outcome) VALUES (?,?,?,?,?,?)"), rows)
                finally:
                    cur.close()

    def alert_lock(self, scope: str):  # pragma: no cover - abstract
        """A context manager held by one process (and thread) at a time per alert scope, across
        every process on the store: read the state, send, write the state inside it. Raises
        :class:`StoreError` when another run holds it for longer than ``ALERT_LOCK_WAIT_S``."""
        raise NotImplementedError

    # -- page tokens shared across processes (``pancake.api.client``'s token vault) ----------------------
    def page_token(self, source: str, page_id: str) -> str | None:
        rows = self._query(f"SELECT token FROM {TOKENS} WHERE source = ? AND page_id = ?", [source, str(page_id)])
        return str(rows[0][0]) if rows else None

    def save_page_token(self, source: str, page_id: str, token: str, now: float) -> None:
        with self._write() as conn:
            conn.execute(self._sql(f"INSERT INTO {TOKENS} (source, page_id, token, updated_at) VALUES (?,?,?,?) "
                                   f"ON CONFLICT (source, page_id) DO UPDATE SET token = excluded.token, "
                                   f"updated_at = excluded.updated_at"),
                         (source, str(page_id), token, float(now))).close()

    def token_lock(self, source: str, page_id: str):  # pragma: no cover - abstract
        """A context manager held by one process (and thread) at a time per (source, page)."""
        raise NotImplementedError

    @contextmanager
    def sync_lock(self, source: str, page_ids: Iterable[str],
                  on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """Held by one ``sync`` at a time per (source, page), across processes: a second sync of
        the same pages waits for the first and then finds its days stored, instead of asking the
        API for them too. Pages are locked in sorted order (two syncs never deadlock);
        ``on_wait(page_id)`` is called before waiting for a page another sync holds. In memory
        (one process): nothing to share."""
        yield

    # -- read-only links and sign-outs (``pancake.delivery.access``, the gate) ------------------------------
    LINK_COLUMNS = ("id", "name", "view", "downloads", "created_at", "expires_at", "revoked_at", "last_used")

    def add_link(self, link_id: str, secret_hash: str, name: str, view: str, downloads: bool,
                 created_at: float, expires_at: float) -> None:
        with self._write() as conn:
            conn.execute(self._sql(f"INSERT INTO {LINKS} (id, secret_hash, name, view, downloads, created_at, "
                                   f"expires_at) VALUES (?,?,?,?,?,?,?)"),
                         (link_id, secret_hash, name, view, int(bool(downloads)), float(created_at),
                          float(expires_at))).close()

    def links(self) -> list[dict[str, Any]]:
        """Every link, newest first: {id, name, view, downloads, created_at, expires_at,
        revoked_at, last_used} (never the hash)."""
        rows = self._query(f"SELECT {', '.join(self.LINK_COLUMNS)} FROM {LINKS} ORDER BY created_at DESC, id")
        return [dict(zip(self.LINK_COLUMNS, r)) for r in rows]

    def link_by_hash(self, secret_hash: str) -> dict[str, Any] | None:
        rows = self._query(f"SELECT {', '.join(self.LINK_COLUMNS)} FROM {LINKS} WHERE secret_hash = ?",
                           [secret_hash])
        return dict(zip(self.LINK_COLUMNS, rows[0])) if rows else None

    def revoke_link(self, link_id: str, at: float) -> bool:
        with self._write() as conn:
            cur = conn.execute(self._sql(f"UPDATE {LINKS} SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"),
                               (float(at), link_id))
            try:
                return bool(cur.rowcount)
            finally:
                cur.close()

    def touch_link(self, link_id: str, at: float) -> None:
        with self._write() as conn:
            conn.execute(self._sql(f"UPDATE {LINKS} SET last_used = ? WHERE id = ?"), (float(at), link_id)).close()

    def end_sessions(self, who: str, at: float) -> None:
        """Every session of ``who`` (a name key) issued before ``at`` is over."""
        with self._write() as conn:
            conn.execute(self._sql(f"INSERT INTO {SESSION_ENDS} (who, ended_at) VALUES (?,?) ON CONFLICT (who) "
                                   f"DO UPDATE SET ended_at = excluded.ended_at"), (who, float(at))).close()

    def sessions_ended_at(self, who: str) -> float | None:
        rows = self._query(f"SELECT ended_at FROM {SESSION_ENDS} WHERE who = ?", [who])
        return float(rows[0][0]) if rows else None

    def schema_version(self) -> int | None:
        rows = self._query(f"SELECT value FROM {META} WHERE key = 'schema_version'")
        return int(rows[0][0]) if rows else None

"""The statistics store: closed days kept once, shared by the dashboard, the CLI and replicas.

``open_store(settings)`` picks the backend:

- ``PANCAKE_STORE_URL=postgresql://...``: PostgreSQL (psycopg 3), for several replicas and a
  scheduled sync job sharing one store;
- otherwise SQLite in WAL mode: ``$PANCAKE_CACHE_DIR/store.sqlite3``, by default in the user's
  cache directory (``platformdirs.user_cache_dir("pancake-dashboard")``, e.g.
  ``~/.cache/pancake-dashboard``);
- demo data (no token, or ``PANCAKE_DEMO=1``) is never written next to real statistics: the
  dashboard keeps it in a temporary SQLite file of its own, removed with its loader
  (``ui.cache``; on disk rather than in the process's memory), the CLI in memory.

A store that cannot be opened (unreachable database, unwritable directory) is replaced by an
in-memory one with a warning (``StoreInfo.warning``): the dashboard still works, only without
history across restarts. The dashboard's store is ``watched_store(settings)``
(``pancake.data.store.watch``): it also says when the store was last reachable, switches to memory
when PostgreSQL goes down while it runs, and tries again at most once a minute.

What is stored at which grain, and why the numbers equal a direct fetch: ``pancake.data.core``.
"""
from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from pancake.api.ratelimit import SharedLimiter
from pancake.config import Settings
from pancake.data.store.base import Entry, PageKindInfo, SQLStore, StoreError, StoreInfo
from pancake.data.store.postgres import PostgresStore, safe_url
from pancake.data.store.sqlite import FILE_NAME, SQLiteStore
from pancake.data.store.watch import Reachability, WatchedStore
from pancake.redact import redact

log = logging.getLogger("pancake.data.store")

APP_NAME = "pancake-dashboard"

__all__ = ["Entry", "PageKindInfo", "SQLStore", "StoreError", "StoreInfo", "SQLiteStore", "open_store",
           "memory_store", "default_cache_dir", "cache_dir", "source_key", "TokenVault", "token_vault",
           "shared_limiter", "watched_store", "marker_path", "Reachability", "WatchedStore"]


def default_cache_dir() -> Path:
    """The user's cache directory for this app (honours XDG_CACHE_HOME on Linux)."""
    try:
        from platformdirs import user_cache_dir  # optional: a fallback below
        return Path(user_cache_dir(APP_NAME, appauthor=False))
    except ImportError:  # pragma: no cover - platformdirs is in requirements.txt
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(base) / APP_NAME


def cache_dir(settings: Settings) -> Path:
    return Path(settings.cache_dir).expanduser() if settings.cache_dir else default_cache_dir()


def source_key(settings: Settings) -> str:
    """Which numbers these are: the API (base URL, or demo) and the time zone. Never a token."""
    what = "demo" if settings.use_demo else settings.base_url.rstrip("/")
    return hashlib.sha256(f"{what}|{settings.timezone}".encode()).hexdigest()[:16]


class TokenVault:
    """The page tokens known to work, shared through the store by every process of one
    configuration (``PancakeClient(token_vault=...)``): ``get``, ``put`` and a cross-process
    ``lock`` per page. A broken store never breaks a call: it reads as empty."""

    def __init__(self, store: SQLStore, source: str) -> None:
        self.store, self.source = store, source

    def get(self, page_id: str) -> str | None:
        try:
            return self.store.page_token(self.source, page_id)
        except Exception as exc:  # noqa: BLE001
            log.warning("page token store unavailable (%s)", type(exc).__name__)
            return None

    def put(self, page_id: str, token: str) -> None:
        try:
            self.store.save_page_token(self.source, page_id, token, time.time())
        except Exception as exc:  # noqa: BLE001
            log.warning("page token store unavailable (%s)", type(exc).__name__)

    def lock(self, page_id: str):
        return self.store.token_lock(self.source, page_id)


def token_vault(store: SQLStore | None, settings: Settings) -> TokenVault | None:
    """The vault of a persistent store (None for demo data or an in-memory store)."""
    if store is None or settings.use_demo or store.backend == "memory":
        return None
    return TokenVault(store, source_key(settings))


def shared_limiter(store: SQLStore | None, settings: Settings):
    """The rate limit shared by every process of this configuration, whatever the store setting
    (``--no-store``, a store that fell back to memory): slots in the store's PostgreSQL database,
    or in ``ratelimit.sqlite3`` in the cache directory (also when PostgreSQL is unreachable: the
    processes of this machine still share it). None for demo data only. Raises when it cannot be
    made (the caller then paces in process)."""
    if settings.use_demo:
        return None
    if settings.store_url and store is not None and store.backend == "postgresql":
        return SharedLimiter.postgres(settings.store_url)
    folder = cache_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    return SharedLimiter.sqlite(str(folder / "ratelimit.sqlite3"))


def memory_store() -> SQLiteStore:
    return SQLiteStore(None)


def open_store(settings: Settings, *, persistent: bool = False, warn: bool = True) -> SQLStore:
    """The store for this configuration; an in-memory one (with a warning, logged unless not
    ``warn``; the reason in ``unavailable``) when it cannot be opened. Demo data stays in memory
    unless ``persistent`` (the ``cache`` commands)."""
    if settings.use_demo and not persistent:
        return memory_store()
    try:
        return _open_configured(settings)
    except (StoreError, OSError) as exc:
        reason = redact(str(exc))
        if warn:
            log.warning("statistics store unavailable (%s): keeping statistics in memory only", reason)
        store = memory_store()
        store.warning = f"unavailable ({reason}): in memory only"
        store.unavailable = reason      # a command whose point is the store fails on this (sync, cache)
        return store


def _open_configured(settings: Settings) -> SQLStore:
    """The configured store (PostgreSQL or the SQLite file); raises when it cannot be opened."""
    if settings.store_url:
        return PostgresStore(settings.store_url)
    return SQLiteStore(cache_dir(settings) / FILE_NAME)


def marker_path(settings: Settings) -> Path:
    """The file in the cache directory that remembers when this configuration's store was last
    reachable (one per store: named after its location without password)."""
    where = safe_url(settings.store_url) if settings.store_url else str(cache_dir(settings) / FILE_NAME)
    return cache_dir(settings) / f"store-reachable-{hashlib.sha256(where.encode()).hexdigest()[:12]}"


def watched_store(settings: Settings, **options) -> WatchedStore:
    """The dashboard's store: the configured one, watched (``pancake.data.store.watch``); in memory
    while it cannot be reached. ``options`` go to :class:`WatchedStore` (``clock``, ``spawn``)."""
    password = urlsplit(settings.store_url).password if settings.store_url else None
    return WatchedStore(lambda: _open_configured(settings),
                        backend="postgresql" if settings.store_url else "sqlite",
                        marker=marker_path(settings), scrub=[password], **options)

"""The statistics store: closed days kept once, shared by the dashboard, the CLI and replicas.

The backends are PostgreSQL (psycopg 3, ``postgres.py``) and SQLite in WAL mode (``sqlite.py``);
``watch.py`` watches the dashboard's. Which one a configuration opens, and what happens when it
cannot be opened, is ``pancake.data.configured``'s. What is stored at which grain, and why the
numbers equal a direct fetch: ``pancake.data.core``.
"""
from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

from pancake.config import Settings
from pancake.data.store.base import Entry, PageKindInfo, SQLStore, StoreError, StoreInfo
from pancake.data.store.postgres import PostgresStore, safe_url
from pancake.data.store.sqlite import FILE_NAME, SQLiteStore
from pancake.data.store.watch import Reachability, WatchedStore

log = logging.getLogger("pancake.data.store")

APP_NAME = "pancake-dashboard"

__all__ = ["Entry", "PageKindInfo", "SQLStore", "StoreError", "StoreInfo", "SQLiteStore", "PostgresStore",
           "FILE_NAME", "memory_store", "default_cache_dir", "cache_dir", "source_key", "TokenVault",
           "marker_path", "Reachability", "WatchedStore"]


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


def memory_store() -> SQLiteStore:
    return SQLiteStore(None)


def marker_path(settings: Settings) -> Path:
    """The file in the cache directory that remembers when this configuration's store was last
    reachable (one per store: named after its location without password)."""
    where = safe_url(settings.store_url) if settings.store_url else str(cache_dir(settings) / FILE_NAME)
    return cache_dir(settings) / f"store-reachable-{hashlib.sha256(where.encode()).hexdigest()[:12]}"

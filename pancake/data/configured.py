"""What a configuration opens: the store, the shared rate limit, the token vault, the client, the
in-memory cache and the process's memory tuning; and the loader made of them.

``pancake.config`` reads the settings (a shared module: it imports no layer); this module, in the
data layer, is the one place that turns them into open things. The dashboard (``ui.cache``) and
the CLI, the digest and the alerts (``pancake.delivery.cli_common``) all take them from here.
The store is PostgreSQL with ``PANCAKE_STORE_URL``, else SQLite in ``store.cache_dir``; one that
cannot be opened is replaced by one in memory, with a warning; demo data is never written next
to real statistics.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa

from pancake import config, timeutil
from pancake.api.client import PancakeClient
from pancake.api.ratelimit import SharedLimiter
from pancake.config import Settings
from pancake.data import core
from pancake.data.store import (
    FILE_NAME,
    PostgresStore,
    SQLiteStore,
    SQLStore,
    StoreError,
    TokenVault,
    WatchedStore,
    cache_dir,
    marker_path,
    memory_store,
    source_key,
)
from pancake.redact import redact

log = logging.getLogger("pancake.data")


# --- the store -------------------------------------------------------------------------------

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


def watched_store(settings: Settings, **options) -> WatchedStore:
    """The configured store, watched (``pancake.data.store.watch``); in memory while it cannot be
    reached. ``options`` go to :class:`WatchedStore` (``clock``, ``spawn``)."""
    password = urlsplit(settings.store_url).password if settings.store_url else None
    return WatchedStore(lambda: _open_configured(settings),
                        backend="postgresql" if settings.store_url else "sqlite",
                        marker=marker_path(settings), scrub=[password], **options)


def dashboard_store(settings: Settings) -> tuple[SQLStore | WatchedStore, str | None]:
    """(the dashboard's store, a temporary folder to remove with it or None). Demo data goes to a
    temporary file of its own, so its history is on disk, not in the process's memory (in memory
    if that file cannot be made); real statistics to the configured store, watched."""
    if not settings.use_demo:
        return watched_store(settings), None
    folder = None
    try:
        folder = tempfile.mkdtemp(prefix="pancake-demo-store-")
        return SQLiteStore(Path(folder) / FILE_NAME), folder
    except Exception as exc:  # noqa: BLE001 - memory will do
        log.warning("demo store file unavailable (%s): keeping demo data in memory", redact(str(exc)))
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
        return memory_store(), None


def remove_store(store, folder: str) -> None:
    """Close a store and remove its temporary folder (:func:`dashboard_store`'s demo file)."""
    try:
        store.close()
    except Exception:  # noqa: BLE001 - removing it anyway
        pass
    shutil.rmtree(folder, ignore_errors=True)


# --- what the client shares across processes -------------------------------------------------

def token_vault(store: SQLStore | None, settings: Settings) -> TokenVault | None:
    """The page tokens shared through a persistent store (None for demo data or a store in memory)."""
    if store is None or settings.use_demo or store.backend == "memory":
        return None
    return TokenVault(store, source_key(settings))


def shared_limiter(store: SQLStore | None, settings: Settings, *, warn: bool = True) -> SharedLimiter | None:
    """The rate limit shared by every process of this configuration, whatever the store setting
    (``--no-store``, a store that fell back to memory): slots in the store's PostgreSQL database,
    or in ``ratelimit.sqlite3`` in the cache directory (also when PostgreSQL is unreachable: the
    processes of this machine still share it). None for demo data, and when it cannot be made
    (logged unless not ``warn``): pacing in this process still holds."""
    if settings.use_demo:
        return None
    try:
        if settings.store_url and store is not None and store.backend == "postgresql":
            return SharedLimiter.postgres(settings.store_url)
        folder = cache_dir(settings)
        folder.mkdir(parents=True, exist_ok=True)
        return SharedLimiter.sqlite(str(folder / "ratelimit.sqlite3"))
    except Exception as exc:  # noqa: BLE001 - pacing in this process still holds
        if warn:
            log.warning("shared rate limiter unavailable (%s)", redact(str(exc)))
        return None


def client(settings: Settings, store: SQLStore | None, *, warn: bool = True, **client_options) -> PancakeClient:
    """The configuration's client, with the shared rate limit and the page tokens of ``store``
    (``core.make_client``: the simulator in demo mode). ``client_options`` go to ``PancakeClient``."""
    shared, vault = shared_limiter(store, settings, warn=warn), token_vault(store, settings)
    options = {k: v for k, v in (("shared_limiter", shared), ("token_vault", vault)) if v is not None}
    return core.make_client(settings, **options, **client_options)


def loader(settings: Settings, store: SQLStore | None, *, use_store: bool = True, warn: bool = True,
           memo: core.FrameMemo | None = None, **client_options) -> core.Loader:
    """The loader of a configuration: its :func:`client` and ``store`` (the store still shares
    tokens and the rate limit when ``use_store`` is false: ``--no-store``)."""
    return core.Loader(client(settings, store, warn=warn, **client_options), store if use_store else None,
                       source=source_key(settings), today=lambda: timeutil.local_today(settings.tz), memo=memo)


# --- memory ----------------------------------------------------------------------------------

def frame_memo(env: Mapping[str, str] | None = None) -> core.FrameMemo:
    """The in-memory cache of composed frames, within ``config.memory_bounds``."""
    return core.FrameMemo(*config.memory_bounds(env))


def use_system_arrow_pool() -> bool:
    """Arrow's allocations from the C library's heap (``pyarrow.system_memory_pool``) unless
    ``ARROW_DEFAULT_MEMORY_POOL`` chooses. Arrow's default mimalloc pool keeps what each thread
    freed: with the loader's threads reshaping strings that was 200 MB of a 24-page view. True
    when this call set it."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return False
    try:
        pa.set_memory_pool(pa.system_memory_pool())
    except Exception:  # noqa: BLE001 - an old pyarrow: nothing to choose
        return False
    return True


# glibc's mallopt parameters, each skipped when its environment variable is set (the operator's
# choice): name -> (mallopt number, value, variable)
MALLOC_TUNING = {
    "trim_threshold": (-1, 128 * 1024, "MALLOC_TRIM_THRESHOLD_"),
    "mmap_threshold": (-3, 128 * 1024, "MALLOC_MMAP_THRESHOLD_"),
    "arena_max": (-8, 2, "MALLOC_ARENA_MAX"),
}


def tune_malloc(env: Mapping[str, str] | None = None) -> dict[str, int]:
    """Make glibc's heap give memory back (Linux; elsewhere nothing happens). By default glibc
    raises its mmap threshold up to 32 MB as big blocks are freed, after which a view's payloads
    and columns fragment the heap, and it gives each thread a heap of its own. Fixed thresholds
    of 128 KiB and two heaps took 110 MB off a 24-page view's peak (``bench.pages``). Returns what
    was set. A variable the C library reads itself (``MALLOC_TUNING``) wins."""
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return {}
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):   # no C library to tune (or not glibc's interface)
        return {}
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = {}
    for name, (param, value, variable) in MALLOC_TUNING.items():
        if variable not in env and mallopt(param, value) == 1:
            done[name] = value
    return done

"""The dashboard's data layer (Streamlit's side of ``pancake.data``; no Streamlit in ``pancake/``).

It resolves settings (environment, then ``st.secrets``), builds one client and one
``core.Loader`` per configuration (the simulator in demo mode), and loads statistics through
the store (``pancake.data.store``): closed days from the store, today's on a short TTL, every
missing (page, window) call at once, with a progress bar. A bounded in-memory cache holds the
composed frames for every session of the process. Errors are never cached, so a failing page
is asked again on the next run.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import logging
import os
import shutil
import sys
import tempfile
import weakref
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from pancake import config, timeutil
from pancake.api.client import PancakeClient
from pancake.config import ConfigError, Settings, load_settings
from pancake.data import core, reshape
from pancake.data import store as store_mod
from pancake.data.core import PageError, Result
from pancake.redact import install_log_redaction, redact

PAGES_TTL = "1h"     # the page list changes rarely (issue 23: metadata hourly); clearing the store drops it

log = logging.getLogger("pancake.data")


# --- settings and client -----------------------------------------------------------------

def secrets() -> dict[str, Any]:
    """st.secrets as a plain dict, or {} when there is no secrets.toml: the one reader of
    Streamlit's secrets (``pancake.config`` takes them as a mapping)."""
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # noqa: BLE001 - no secrets file, or an unreadable one
        return {}


def settings() -> Settings:
    """The configuration. A malformed one (``settings_error`` names it on every page) gives the
    demo configuration meanwhile: the dashboard still draws, Settings stays reachable."""
    install_log_redaction()
    try:
        return load_settings(secrets=secrets())
    except ConfigError:
        folder = config.read("PANCAKE_CACHE_DIR", secrets=secrets())
        return Settings(demo=True, cache_dir=str(folder).strip() if folder is not None else None)


def settings_error() -> str | None:
    """A readable message when the configuration is malformed (never a token)."""
    try:
        load_settings(secrets=secrets())
    except ConfigError as exc:
        return redact(str(exc))
    return None


def _fingerprint(s: Settings) -> str:
    """Identifies a configuration in cache keys without carrying any token."""
    material = "|".join([s.base_url, s.timezone, str(s.use_demo), s.access_token or "",
                         *sorted(f"{k}={v}" for k, v in s.page_tokens.items())])
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def client() -> PancakeClient:
    """The configuration's client (the loader's: one rate limiter per configuration)."""
    return loader().client


def is_demo() -> bool:
    return settings().use_demo


def tz_name() -> str:
    return settings().timezone


def today() -> date:
    return timeutil.local_today(settings().tz)


# --- pages -------------------------------------------------------------------------------

@st.cache_data(ttl=PAGES_TTL, max_entries=8, show_spinner=False)
def _pages(fingerprint: str) -> pd.DataFrame:
    s = settings()
    return core.list_pages(client(), s.page_tokens)


SCOPE = "_page_scope"   # session state: the signed-in viewer's page ids (None: every page)


def set_scope(page_ids: frozenset[str] | None) -> None:
    """The pages this session may see (``ui.auth`` sets it at sign-in): :func:`pages` and
    :func:`page_names` return no other, so nothing downstream can ask for or name one."""
    st.session_state[SCOPE] = None if page_ids is None else frozenset(str(p) for p in page_ids)


def _in_scope(frame: pd.DataFrame) -> pd.DataFrame:
    scope = st.session_state.get(SCOPE)
    if scope is None:
        return frame
    return frame[frame["page_id"].astype(str).isin(scope)].reset_index(drop=True)


def pages() -> tuple[pd.DataFrame, str | None]:
    """(pages frame, error message or None), only the session's scope. On error, fall back to
    the configured page ids."""
    s = settings()
    try:
        return _in_scope(_pages(_fingerprint(s))), None
    except Exception as exc:  # noqa: BLE001
        frame = reshape.pages_frame([{"id": p, "name": p} for p in s.page_tokens])
        return _in_scope(frame), redact(str(exc))


def page_names() -> dict[str, str]:
    frame, _ = pages()
    return dict(zip(frame["page_id"].astype(str), frame["name"].astype(str)))


# --- memory --------------------------------------------------------------------------------
#
# What the process keeps is bounded; the history is in the store (a file, or PostgreSQL):
# - one in-memory cache of composed frames (``core.FrameMemo``) for every session of the
#   process, at most ``PANCAKE_MEMORY_CACHE_ENTRIES`` entries and ``PANCAKE_MEMORY_CACHE_MB``
#   MB (pandas' deep memory usage of the frames); the least recently used go first, and an
#   evicted entry is composed again from the store (no API call for a closed day). The
#   multi-page staff statistics are in the same cache, under the same bounds.
# - demo data is stored in a temporary file of its own (never next to real statistics), not
#   in an in-memory database;
# - Arrow (pandas' string columns) allocates from the C library's heap, not from its mimalloc
#   pool, which keeps the freed memory of each of the loader's threads;
# - glibc's heap: big blocks (payloads, columns) are mapped and unmapped on their own, and the
#   loader's many threads share two heaps instead of one each (``tune_malloc``).

ENV_MEMO_ENTRIES = "PANCAKE_MEMORY_CACHE_ENTRIES"
ENV_MEMO_MB = "PANCAKE_MEMORY_CACHE_MB"
MEMO_MAX_ENTRIES = config.DEFAULT_MEMORY_CACHE_ENTRIES
MEMO_MAX_BYTES = config.DEFAULT_MEMORY_CACHE_MB * 2**20     # composed frames kept in memory, all sessions together
LOADERS_MAX = 4                 # configurations with a loader (each with its own cache) at once
CALL_BUDGET = 40.0              # seconds one API call may take with its retries, in the dashboard


def memo_bounds(env: Mapping[str, str] | None = None) -> tuple[int, int]:
    """(entries, bytes) of the in-memory cache: ``PANCAKE_MEMORY_CACHE_ENTRIES`` (default
    2,000) and ``PANCAKE_MEMORY_CACHE_MB`` (default 64; a fraction is fine). 0 keeps nothing
    in memory (every view composes its frames from the store). A value that is not a number
    >= 0 is ignored with a warning."""
    entries = _bound(env, ENV_MEMO_ENTRIES, MEMO_MAX_ENTRIES, int)
    mb = _bound(env, ENV_MEMO_MB, MEMO_MAX_BYTES / 2**20, float)
    return int(entries), int(mb * 2**20)


def _bound(env: Mapping[str, str] | None, key: str, default: float, kind: type) -> float:
    raw = str(config.read(key, env) or "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = -1
    if not value >= 0:      # also NaN
        log.warning("%s=%r is not a number >= 0: using %s", key, raw, default)
        return default
    return value


def use_system_arrow_pool() -> bool:
    """Arrow's allocations from the C library's heap (``pyarrow.system_memory_pool``) unless
    ``ARROW_DEFAULT_MEMORY_POOL`` chooses. Arrow's default mimalloc pool keeps what each
    thread freed: with the loader's threads reshaping strings that was 200 MB of a 24-page
    view. True when this call set it."""
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
    raises its mmap threshold up to 32 MB as big blocks are freed, after which a view's
    payloads and columns come from the heap and fragment it, and it gives each thread its own
    heap (up to 8 per core). Fixed thresholds of 128 KiB and two heaps took 110 MB off a
    24-page view's peak (``bench.pages``). Returns what was set. A variable the C library reads
    itself (``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``) wins."""
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


def _open_store(s: Settings) -> tuple[Any, str | None]:
    """(the configuration's store, a temporary folder to remove with it or None). Demo data
    goes to a temporary file of its own, so its history is on disk, not in this process's
    memory; if that cannot be made, in memory. Real statistics: the configured store, watched
    (``store.watched_store``: in memory while it cannot be reached, tried again once a minute)."""
    if s.use_demo:
        folder = None
        try:
            folder = tempfile.mkdtemp(prefix="pancake-demo-store-")
            return store_mod.SQLiteStore(Path(folder) / store_mod.FILE_NAME), folder
        except Exception as exc:  # noqa: BLE001 - memory will do
            log.warning("demo store file unavailable (%s): keeping demo data in memory", redact(str(exc)))
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
            return store_mod.memory_store(), None
    return store_mod.watched_store(s), None


def _remove_store(st_: Any, folder: str) -> None:
    try:
        st_.close()
    except Exception:  # noqa: BLE001 - removing it anyway
        pass
    shutil.rmtree(folder, ignore_errors=True)


# --- statistics ----------------------------------------------------------------------------
#
# One Loader per configuration, shared by every session of the process (st.cache_resource):
# the store (SQLite file, PostgreSQL, or a temporary file for demo data), a bounded in-memory
# cache of composed frames, and single-flight of the calls in progress. Nothing here goes
# through st.cache_data any more: it copied every entry on each hit, kept no byte bound, and
# the two wrappers of one function it had (past/today) wiped each other.


@st.cache_resource(max_entries=LOADERS_MAX, show_spinner=False)
def _loader_for(fingerprint: str, _settings: Settings) -> core.Loader:
    s = _settings
    use_system_arrow_pool()
    tune_malloc()
    st_, folder = _open_store(s)
    shared = _shared_limiter(st_, s)
    cl = core.make_client(s, call_budget=CALL_BUDGET, shared_limiter=shared,
                          token_vault=store_mod.token_vault(st_, s))   # page tokens shared across processes
    entries, max_bytes = memo_bounds()
    ld = core.Loader(cl, st_, source=store_mod.source_key(s), today=lambda: timeutil.local_today(s.tz),
                     memo=core.FrameMemo(entries, max_bytes))
    if folder is not None:
        weakref.finalize(ld, _remove_store, st_, folder)
    return ld


def _shared_limiter(st_: Any, s: Settings):
    try:
        return store_mod.shared_limiter(st_, s)
    except Exception as exc:  # noqa: BLE001 - pacing in this process still holds
        log.warning("shared rate limiter unavailable (%s)", redact(str(exc)))
        return None


def loader() -> core.Loader:
    s = settings()
    return _loader_for(_fingerprint(s), s)


def waiter() -> core.Waiter | None:
    """This script run as a loader's waiter: gone once its session stopped (closed) or asked for
    another run (a rerun supersedes this one; the new run waits on its own). None outside a run."""
    ctx = get_script_run_ctx(suppress_warning=True)
    requests = getattr(ctx, "script_requests", None)
    if ctx is None or requests is None:
        return None
    this_run = ctx.cursors    # a new dict for every run of the session (ScriptRunContext.reset)

    def still_there() -> bool:
        return getattr(requests, "_state", ScriptRequestType.CONTINUE) == ScriptRequestType.CONTINUE \
            and ctx.cursors is this_run
    return core.Waiter(still_there)


def load(kind: str, page_ids: Iterable[str], start: date, end: date, *,
         progress: bool = True, deadline: float | None = core.VIEW_DEADLINE, **options: Any) -> Result:
    """Statistics of one kind for several pages: from memory, then the store, then the API
    (every window of every page at once), with a progress bar when more than one page has to
    be asked. After ``deadline`` seconds the pages still loading come back as
    ``PageError(kind="timeout")`` and the others are drawn."""
    ld = loader()
    ids = [str(p) for p in page_ids]
    names = page_names()
    bar = st.progress(0.0, text=_progress_text(0, len(ids))) if progress and len(ids) > 1 else None

    def on_progress(done: int, total: int, _pid: str) -> None:
        if bar is not None:
            bar.progress(done / total, text=_progress_text(done, total))

    try:
        result = ld.load(kind, ids, start, end, page_names=names, deadline=deadline,
                         on_progress=on_progress, waiter=waiter(), **options)
    except core.Abandoned:
        # nobody looks at this run any more: an element hands control back to Streamlit, which
        # ends the run here (stopped, or the rerun that superseded it starts)
        st.empty()
        raise
    finally:
        if bar is not None:
            bar.empty()
    _remember_fetch(result.fetched_at)
    return result


def prefetch(kind: str, page_ids: Iterable[str], start: date, end: date, **options: Any) -> None:
    """Start the calls a later ``load`` of the same arguments needs, without waiting: a view
    calls it for each of its kinds first, so that its kinds load concurrently."""
    loader().prefetch(kind, [str(p) for p in page_ids], start, end, waiter=waiter(), **options)


def _progress_text(done: int, total: int) -> str:
    return f"{done}/{total}"


def multi_page_users(page_ids: Iterable[str], start: date, end: date) -> Result:
    """The user API's staff statistics over several pages at once, kept in the loader's
    in-memory cache (its bounds) for ``core.OPEN_TTL`` seconds, like anything with today in it;
    errors are never kept."""
    s = settings()
    if not (s.access_token or s.use_demo):
        return Result(frames={}, errors=[PageError("", "", "config",
                                                   "needs PANCAKE_ACCESS_TOKEN (the user token)")])
    ids = tuple(str(p) for p in page_ids)
    ld = loader()
    key = ("multi_page_users", ld.source, _fingerprint(s), ids, start, end)
    hit = ld.memo.get(key) if ld.memo is not None else None
    if hit is not None:
        return Result(frames=hit[0], fetched_at=datetime.fromtimestamp(hit[1], UTC), pages_ok=list(ids))
    result = core.multi_page_users(ld.client, list(ids), start, end)
    if not result.errors and ld.memo is not None:
        ld.memo.put(key, result.frames, result.fetched_at.timestamp(), core.OPEN_TTL)
    return result


def token_status(page_ids: Iterable[str]) -> pd.DataFrame:
    return core.token_status(client(), list(page_ids), page_names())


# --- cache state ---------------------------------------------------------------------------


def _remember_fetch(at: datetime) -> None:
    try:
        st.session_state["_pancake_last_fetch"] = at
        oldest = st.session_state.get("_pancake_oldest_fetch")
        if oldest is None or at < oldest:
            st.session_state["_pancake_oldest_fetch"] = at
    except Exception:  # noqa: BLE001 - outside a script run
        pass


def last_fetch() -> datetime | None:
    return st.session_state.get("_pancake_last_fetch")


def clear_cache() -> None:
    """Forget what is cached in memory (frames, page list, multi-page staff) and the store's
    entries that include today, so the next view asks the API for today again. Closed days
    stay in the store (``clear_store`` removes them). The client and its tokens stay."""
    try:
        ld = loader()
        if ld.memo is not None:
            ld.memo.clear()
        if ld.store is not None:
            ld.store.clear(open_only=True)
    except Exception:  # noqa: BLE001 - a broken store must not break the button
        pass
    _pages.clear()
    for key in ("_pancake_last_fetch", "_pancake_oldest_fetch"):
        st.session_state.pop(key, None)


def clear_store(page_id: str | None = None) -> int:
    """Delete the stored statistics (all, or one page's) and the in-memory copies. Returns how
    many entries were deleted. The Settings page's "clear" button calls this."""
    ld = loader()
    if ld.memo is not None:
        ld.memo.clear()
    return ld.store.clear(page_id) if ld.store is not None else 0


def store_info() -> dict[str, Any]:
    """What the Settings page shows about the store: ``backend`` ("sqlite", "postgresql" or
    "memory"), ``location`` (path or URL without password), ``size_bytes``, ``entries``,
    ``warning`` (None, or why it was rebuilt / is in memory), and ``pages``: one row per page
    with ``page_id, name, kinds, oldest_day, newest_day, entries, bytes, newest_fetch`` (UTC)
    and ``age_s`` (seconds since its newest data was fetched)."""
    ld = loader()
    info = ld.store.info()
    names = page_names()
    rows: dict[str, dict[str, Any]] = {}
    for r in info.rows:
        row = rows.setdefault(r.page_id, {"page_id": r.page_id, "name": names.get(r.page_id, r.page_id),
                                          "kinds": [], "oldest_day": r.oldest_day, "newest_day": r.newest_day,
                                          "entries": 0, "bytes": 0, "newest_fetch": r.newest_fetch})
        row["kinds"].append(r.kind)
        row["oldest_day"] = min(row["oldest_day"], r.oldest_day)
        row["newest_day"] = max(row["newest_day"], r.newest_day)
        row["entries"] += r.entries
        row["bytes"] += r.bytes
        row["newest_fetch"] = max(row["newest_fetch"], r.newest_fetch)
    now = datetime.now(UTC).timestamp()
    pages_frame = pd.DataFrame(
        [{**r, "kinds": ", ".join(r["kinds"]),
          "newest_fetch": datetime.fromtimestamp(r["newest_fetch"], UTC), "age_s": max(0.0, now - r["newest_fetch"])}
         for r in rows.values()],
        columns=["page_id", "name", "kinds", "oldest_day", "newest_day", "entries", "bytes", "newest_fetch", "age_s"])
    return {"backend": info.backend, "location": info.location, "size_bytes": info.size_bytes,
            "entries": info.entries, "warning": info.warning, "pages": pages_frame,
            "memory_entries": len(ld.memo) if ld.memo is not None else 0,
            "memory_bytes": ld.memo.bytes if ld.memo is not None else 0}


def store_status() -> store_mod.Reachability | None:
    """Whether the configured store can be reached, why not, when it last was
    (``pancake.data.store.watch``); None for demo data (a temporary store of its own). Asking it
    also tries the store again when an attempt is due (at most once a minute)."""
    st_ = loader().store
    return st_.status() if isinstance(st_, store_mod.WatchedStore) else None


def memory_info() -> dict[str, Any]:
    """The in-memory cache of this configuration's loader: ``entries``, ``bytes``,
    ``max_entries``, ``max_bytes``, ``hits``, ``misses``."""
    memo = loader().memo
    if memo is None:
        return {"entries": 0, "bytes": 0, "max_entries": 0, "max_bytes": 0, "hits": 0, "misses": 0}
    return {"entries": len(memo), "bytes": memo.bytes, "max_entries": memo.max_entries,
            "max_bytes": memo.max_bytes, "hits": memo.hits, "misses": memo.misses}


def now_utc() -> datetime:
    return datetime.now(UTC)

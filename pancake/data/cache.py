"""The dashboard's data layer: the only module in ``pancake/`` that imports Streamlit.

It resolves settings (environment, then ``st.secrets``), builds one client and one
``core.Loader`` per configuration (the simulator in demo mode), and loads statistics through
the store (``pancake.store``): closed days from the store, today's on a short TTL, every
missing (page, window) call at once, with a progress bar. A bounded in-memory cache holds the
composed frames for every session of the process. Errors are never cached, so a failing page
is asked again on the next run.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from .. import store as store_mod
from .. import timeutil
from ..client import PancakeClient
from ..config import ConfigError, Settings, load_settings
from ..redact import install_log_redaction, redact
from . import core
from .core import PageError, Result

TODAY_TTL = "5m"     # a range with today in it moves while the shop works (core.OPEN_TTL)
PAGES_TTL = "10m"


# --- settings and client -----------------------------------------------------------------

def _secrets() -> dict[str, Any]:
    """st.secrets as a plain dict, or {} when there is no secrets.toml."""
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except Exception:  # noqa: BLE001 - no secrets file, or an unreadable one
        return {}


def settings() -> Settings:
    install_log_redaction()
    return load_settings(secrets=_secrets())


def settings_error() -> str | None:
    """A readable message when the configuration is malformed (never a token)."""
    try:
        settings()
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

@st.cache_data(ttl=PAGES_TTL, show_spinner=False)
def _pages(fingerprint: str) -> pd.DataFrame:
    s = settings()
    return core.list_pages(client(), s.page_tokens)


def pages() -> tuple[pd.DataFrame, str | None]:
    """(pages frame, error message or None). On error, fall back to the configured page ids."""
    s = settings()
    try:
        return _pages(_fingerprint(s)), None
    except Exception as exc:  # noqa: BLE001
        from .. import reshape
        frame = reshape.pages_frame([{"id": p, "name": p} for p in s.page_tokens])
        return frame, redact(str(exc))


def page_names() -> dict[str, str]:
    frame, _ = pages()
    return dict(zip(frame["page_id"].astype(str), frame["name"].astype(str)))


# --- statistics ----------------------------------------------------------------------------
#
# One Loader per configuration, shared by every session of the process (st.cache_resource):
# the store (SQLite file, PostgreSQL, or memory for demo data), a bounded in-memory cache of
# composed frames, and single-flight of the calls in progress. Nothing here goes through
# st.cache_data any more: it copied every entry on each hit, kept no byte bound, and the two
# wrappers of one function it had (past/today) wiped each other.

MEMO_MAX_ENTRIES = 2000
MEMO_MAX_BYTES = 96 * 2**20     # composed frames kept in memory, all sessions together
CALL_BUDGET = 40.0              # seconds one API call may take with its retries, in the dashboard


@st.cache_resource(show_spinner=False)
def _loader_for(fingerprint: str, _settings: Settings) -> core.Loader:
    s = _settings
    st_ = store_mod.open_store(s)
    shared = None
    if not s.use_demo and st_.backend != "memory":
        shared = _shared_limiter(s)
    cl = core.make_client(s, call_budget=CALL_BUDGET, shared_limiter=shared)
    return core.Loader(cl, st_, source=store_mod.source_key(s), today=lambda: timeutil.local_today(s.tz),
                       memo=core.FrameMemo(MEMO_MAX_ENTRIES, MEMO_MAX_BYTES))


def _shared_limiter(s: Settings):
    from ..ratelimit import SharedLimiter
    try:
        if s.store_url:
            return SharedLimiter.postgres(s.store_url)
        return SharedLimiter.sqlite(str(store_mod.cache_dir(s) / "ratelimit.sqlite3"))
    except Exception as exc:  # noqa: BLE001 - pacing in this process still holds
        import logging
        logging.getLogger("pancake.data").warning("shared rate limiter unavailable (%s)", redact(str(exc)))
        return None


def loader() -> core.Loader:
    s = settings()
    return _loader_for(_fingerprint(s), s)


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
                         on_progress=on_progress, **options)
    finally:
        if bar is not None:
            bar.empty()
    _remember_fetch(result.fetched_at)
    return result


def prefetch(kind: str, page_ids: Iterable[str], start: date, end: date, **options: Any) -> None:
    """Start the calls a later ``load`` of the same arguments needs, without waiting: a view
    calls it for each of its kinds first, so that its kinds load concurrently."""
    loader().prefetch(kind, [str(p) for p in page_ids], start, end, **options)


def _progress_text(done: int, total: int) -> str:
    return f"{done}/{total}"


@st.cache_data(ttl=TODAY_TTL, show_spinner=False)
def _multi_users(fingerprint: str, page_ids: tuple[str, ...], start: date, end: date) -> Result:
    result = core.multi_page_users(client(), list(page_ids), start, end)
    if result.errors:
        raise _Uncacheable(result)
    return result


class _Uncacheable(Exception):
    def __init__(self, result: Result) -> None:
        super().__init__("not cached")
        self.result = result


def multi_page_users(page_ids: Iterable[str], start: date, end: date) -> Result:
    s = settings()
    if not (s.access_token or s.use_demo):
        return Result(frames={}, errors=[PageError("", "", "config",
                                                   "needs PANCAKE_ACCESS_TOKEN (the user token)")])
    try:
        return _multi_users(_fingerprint(s), tuple(str(p) for p in page_ids), start, end)
    except _Uncacheable as exc:
        return exc.result


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
    _multi_users.clear()
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


def now_utc() -> datetime:
    return datetime.now(UTC)

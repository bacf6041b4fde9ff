"""The dashboard's data layer (Streamlit's side of ``pancake.data``; no Streamlit in ``pancake/``).

It resolves settings (environment, then ``st.secrets``), keeps one ``core.Loader`` per
configuration (opened by ``pancake.data.configured``), and loads statistics through it: closed
days from the store, today's on a short TTL, every missing call at once, with a progress bar.
Errors are never cached, so a failing page is asked again on the next run.
"""
from __future__ import annotations

import hashlib
import logging
import weakref
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from pancake import config, timeutil
from pancake.api.client import PancakeClient
from pancake.config import ConfigError, Settings, load_settings
from pancake.data import configured, core, reshape
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


# --- statistics ----------------------------------------------------------------------------
#
# One Loader per configuration, shared by every session of the process (st.cache_resource), made
# by ``pancake.data.configured``: its store, a bounded in-memory cache of composed frames (an
# evicted entry is composed again from the store) and single flight of the calls in progress.

LOADERS_MAX = 4                 # configurations with a loader (each with its own cache) at once
CALL_BUDGET = 40.0              # seconds one API call may take with its retries, in the dashboard


@st.cache_resource(max_entries=LOADERS_MAX, show_spinner=False)
def _loader_for(fingerprint: str, _settings: Settings) -> core.Loader:
    s = _settings
    configured.use_system_arrow_pool()
    configured.tune_malloc()
    st_, folder = configured.dashboard_store(s)
    ld = configured.loader(s, st_, memo=configured.frame_memo(), call_budget=CALL_BUDGET)
    if folder is not None:
        weakref.finalize(ld, configured.remove_store, st_, folder)
    return ld


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


# --- what is computed from loaded results: once for every session ------------------------------

@st.cache_data(max_entries=64, show_spinner=False)
def _remembered(name: str, key: tuple, _fn: Callable[..., Any], _args: tuple, _kwargs: dict) -> Any:
    return _fn(*_args, **_kwargs)


def _key(value: Any) -> Any:
    """An argument as a cache key: data (frames, results) stands for itself only through the
    results' stamps; containers key by their contents."""
    if isinstance(value, (pd.DataFrame, pd.Series, Result)):
        return "data"
    if isinstance(value, Mapping):
        return tuple((k, _key(v)) for k, v in value.items())
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(map(_key, value), key=repr))
    if isinstance(value, (list, tuple)):
        return tuple(_key(v) for v in value)
    return value


def remembered(fn: Callable[..., Any], results: Iterable[Result | None], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` (a module-level function: its name is part of the key), where the
    frames among the arguments come from ``results``:
    computed once per process for the same results (their stamps: the same kept entries) and the
    same other arguments, and handed to every session (a copy each). A second viewer of a view
    (another session, a rerun) gets its cards and tables without computing them again. When a
    result has no stamp (a page failed, a partial page), ``fn`` runs as usual."""
    stamps = []
    for r in results:
        if r is not None and r.stamp is None:
            return fn(*args, **kwargs)
        stamps.append(None if r is None else r.stamp)
    key = (tuple(stamps), _key(args), _key(kwargs))
    return _remembered(f"{fn.__module__}.{fn.__qualname__}", key, fn, args, kwargs)


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
    now = now_utc().timestamp()
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
    """The one "now" of every page (tests pin it here)."""
    return datetime.now(UTC)


def now_local() -> datetime:
    """``now_utc`` on the shop's wall clock: naive, in the configured zone (what the frames use)."""
    return timeutil.wall_clock(now_utc(), tz_name())

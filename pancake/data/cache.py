"""The dashboard's data layer: the only module in ``pancake/`` that imports Streamlit.

It resolves settings (environment, then ``st.secrets``), builds one client per
configuration (the simulator in demo mode), fans out over pages with a progress bar,
and caches each page's frames with ``st.cache_data``: ranges wholly in the past for
hours, ranges that include today for minutes. Errors are never cached, so a failing
page is asked again on the next run.
"""
from __future__ import annotations

import hashlib
import threading
from datetime import date, datetime, timezone
from typing import Any, Iterable

import pandas as pd
import streamlit as st

from .. import timeutil
from ..client import PancakeClient
from ..config import ConfigError, Settings, load_settings
from ..redact import install_log_redaction, redact
from . import core
from .core import PageError, Result

PAST_TTL = "6h"      # a closed range does not change
TODAY_TTL = "5m"     # a range with today in it moves while the shop works
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


@st.cache_resource(show_spinner=False)
def _client_for(fingerprint: str, _settings: Settings) -> PancakeClient:
    return core.make_client(_settings)


def client() -> PancakeClient:
    s = settings()
    return _client_for(_fingerprint(s), s)


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

def _fetch_one(fingerprint: str, kind: str, page_id: str, start: date, end: date,
               options: tuple[tuple[str, Any], ...]) -> tuple[dict[str, pd.DataFrame], datetime]:
    """One page's frames and the moment they were fetched (kept with them in the cache)."""
    frames = core.fetch_page(client(), kind, page_id, start, end, **dict(options))
    return frames, datetime.now(timezone.utc)


_fetch_past = st.cache_data(ttl=PAST_TTL, show_spinner=False, max_entries=5000)(_fetch_one)
_fetch_today = st.cache_data(ttl=TODAY_TTL, show_spinner=False, max_entries=2000)(_fetch_one)


def _thread_ctx_initializer():
    """Worker threads share the script's context, so st.cache_data works quietly in them."""
    try:
        from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx
    except ImportError:  # pragma: no cover
        return None
    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    return lambda: add_script_run_ctx(threading.current_thread(), ctx)


def load(kind: str, page_ids: Iterable[str], start: date, end: date, *,
         progress: bool = True, **options: Any) -> Result:
    """Statistics of one kind for several pages: cached per page, fetched concurrently,
    with a progress bar when more than one page has to be asked."""
    s = settings()
    fp = _fingerprint(s)
    ids = [str(p) for p in page_ids]
    names = page_names()
    fn = _fetch_today if timeutil.includes_today(start, end, today()) or end > today() else _fetch_past
    opts = tuple(sorted(options.items()))
    bar = st.progress(0.0, text=_progress_text(0, len(ids))) if progress and len(ids) > 1 else None

    def on_progress(done: int, total: int, _pid: str) -> None:
        if bar is not None:
            bar.progress(done / total, text=_progress_text(done, total))

    times: list[datetime] = []

    def one(pid: str) -> dict[str, pd.DataFrame]:
        frames, fetched_at = fn(fp, kind, pid, start, end, opts)
        times.append(fetched_at)
        return frames

    result = core.fan_out(one, ids, page_names=names, on_progress=on_progress,
                          initializer=_thread_ctx_initializer())
    if bar is not None:
        bar.empty()
    if times:
        result.fetched_at = min(times)  # the oldest data on screen decides its freshness
    _remember_fetch(result.fetched_at)
    return result


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
    """Forget every cached statistic and page list (the client and its tokens stay)."""
    _fetch_past.clear()
    _fetch_today.clear()
    _pages.clear()
    _multi_users.clear()
    for key in ("_pancake_last_fetch", "_pancake_oldest_fetch"):
        st.session_state.pop(key, None)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)

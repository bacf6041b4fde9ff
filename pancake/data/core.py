"""The data layer without Streamlit: fan-out over pages and windows, reshape, merge.

Every call returns a :class:`Result`: frames for the pages that worked and one
:class:`PageError` per page that failed. One failing page never blanks the others.
The CLI uses this module directly; the dashboard goes through ``pancake.data.cache``.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Mapping

import pandas as pd

from .. import errors, kinds, reshape
from ..client import PancakeClient
from ..config import Settings
from ..redact import redact

log = logging.getLogger("pancake.data")

@dataclass(frozen=True)
class PageError:
    page_id: str
    page_name: str
    kind: str       # auth | rate_limit | server | network | bad_response | api | config | error
    message: str    # safe to show: names the endpoint and page, never a token

    def __str__(self) -> str:
        return f"{self.page_name or self.page_id}: {self.message}"


@dataclass
class Result:
    frames: dict[str, pd.DataFrame]
    errors: list[PageError] = field(default_factory=list)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    pages_ok: list[str] = field(default_factory=list)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    def get(self, name: str, default: pd.DataFrame | None = None) -> pd.DataFrame | None:
        return self.frames.get(name, default)

    @property
    def failed_pages(self) -> list[str]:
        return [e.page_id for e in self.errors]


def classify(exc: BaseException) -> str:
    if isinstance(exc, errors.AuthError):
        return "auth"
    if isinstance(exc, errors.RateLimitError):
        return "rate_limit"
    if isinstance(exc, errors.ServerError):
        return "server"
    if isinstance(exc, errors.TransportError):
        return "network"
    if isinstance(exc, (errors.BadResponseError, reshape.ReshapeError)):
        return "bad_response"
    if isinstance(exc, errors.ApiError):
        return "api"
    return "error"


def page_error(page_id: str, exc: BaseException, page_names: Mapping[str, str] | None = None) -> PageError:
    kind = classify(exc)
    if isinstance(exc, (errors.PancakeError, ValueError)):
        message = redact(str(exc))
    else:  # an unexpected bug: say what it was without leaking anything
        message = redact(f"{type(exc).__name__}: {exc}")
    name = (page_names or {}).get(page_id, page_id)
    return PageError(page_id=page_id, page_name=name, kind=kind, message=message)


def make_client(settings: Settings) -> PancakeClient:
    """The client for a configuration: the real API, or the in-process simulator in demo mode."""
    if settings.use_demo:
        from ..simulator import DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator
        sim = Simulator(timezone=settings.timezone)
        return PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=dict(DEMO_PAGE_TOKENS),
                             base_url="https://pages.fm/api", timezone=settings.timezone,
                             transport=sim.transport())
    return PancakeClient(settings)


# --- one page ----------------------------------------------------------------------------

def fetch_page(client: PancakeClient, kind: str, page_id: str, start: date, end: date,
               **options: Any) -> dict[str, pd.DataFrame]:
    """Fetch one kind of statistics (``pancake.kinds``) for one page over [start, end]."""
    return kinds.get(kind).fetch(client, page_id, start, end, **options)


# --- several pages -----------------------------------------------------------------------

def fan_out(fn: Callable[[str], dict[str, pd.DataFrame]], page_ids: Iterable[str], *,
            page_names: Mapping[str, str] | None = None, max_workers: int = 8,
            on_progress: Callable[[int, int, str], None] | None = None,
            initializer: Callable[[], None] | None = None) -> Result:
    """Run ``fn(page_id)`` for every page concurrently; collect frames and per-page errors.

    Frames of the same name are concatenated in the order of ``page_ids``.
    ``on_progress(done, total, page_id)`` is called from the calling thread.
    """
    ids = list(dict.fromkeys(str(p) for p in page_ids))
    results: dict[str, dict[str, pd.DataFrame]] = {}
    errs: dict[str, PageError] = {}
    total = len(ids)
    if total:
        with ThreadPoolExecutor(max_workers=max(1, min(max_workers, total)),
                                initializer=initializer) as pool:
            futures = {pool.submit(fn, pid): pid for pid in ids}
            for done, fut in enumerate(as_completed(futures), start=1):
                pid = futures[fut]
                try:
                    results[pid] = fut.result()
                except Exception as exc:  # noqa: BLE001 - every failure becomes a page error
                    errs[pid] = page_error(pid, exc, page_names)
                    log.warning("page %s failed: %s", pid, errs[pid].message)
                if on_progress:
                    on_progress(done, total, pid)
    names = []
    for pid in ids:
        for name in results.get(pid, {}):
            if name not in names:
                names.append(name)
    frames = {name: reshape.concat([results[pid][name] for pid in ids
                                    if pid in results and name in results[pid]])
              for name in names}
    return Result(frames=frames, errors=[errs[p] for p in ids if p in errs],
                  pages_ok=[p for p in ids if p in results])


def fetch(client: PancakeClient, kind: str, page_ids: Iterable[str], start: date, end: date, *,
          page_names: Mapping[str, str] | None = None, max_workers: int = 8,
          on_progress: Callable[[int, int, str], None] | None = None, **options: Any) -> Result:
    """One kind of statistics for several pages, concurrently."""
    kinds.get(kind)  # an unknown kind fails here, before any call
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    return fan_out(lambda pid: fetch_page(client, kind, pid, start, end, **options), page_ids,
                   page_names=page_names, max_workers=max_workers, on_progress=on_progress)


def multi_page_users(client: PancakeClient, page_ids: list[str], start: date, end: date) -> Result:
    """The user API's staff statistics across several pages at once (needs the user token)."""
    key = ",".join(page_ids)
    try:
        chunks = client.multi_page_user_stats(page_ids, start, end)
        staff = kinds.get("staff")
        frames = staff.merge([staff.reshape(c, key, hourly=False) for c in chunks], hourly=False)
        return Result(frames=frames, pages_ok=list(page_ids))
    except Exception as exc:  # noqa: BLE001
        return Result(frames={}, errors=[page_error(key, exc, {key: key})])


def list_pages(client: PancakeClient, configured: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Pages the user token sees; without a user token, the pages that have a page token."""
    if client.has_user_token:
        return reshape.pages_frame(client.list_pages())
    ids = list(configured or {})
    return reshape.pages_frame([{"id": pid, "name": pid, "platform": None} for pid in ids])


def token_status(client: PancakeClient, page_ids: Iterable[str],
                 page_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Whether each page's token works right now; never the token itself."""
    ids = list(page_ids)
    rows: dict[str, tuple[bool, str]] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(ids) or 1))) as pool:
        for pid, status in zip(ids, pool.map(client.token_status, ids)):
            rows[pid] = status
    return pd.DataFrame({
        "page_id": pd.Series(ids, dtype="str"),
        "name": pd.Series([(page_names or {}).get(p, p) for p in ids], dtype="str"),
        "ok": pd.Series([rows[p][0] for p in ids], dtype="bool"),
        "message": pd.Series([redact(rows[p][1]) for p in ids], dtype="str"),
    })

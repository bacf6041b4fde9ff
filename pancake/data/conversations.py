"""Loading conversations, messages, page customers and the conversations from ads, and the
four write actions. No Streamlit (``ui.conversations_data`` wraps these in the session's
caches); every HTTP call goes through ``PancakeClient``, every payload through the pure
reshapers of ``pancake.conversations``.

A range is paged through the client's window paging (v1: windows of at most one month,
60 conversations a call) up to ``MAX_PER_PAGE`` conversations per page: a larger range is
capped, and the result says which pages were cut (the page says so rather than hanging).
"Waiting now" reads the v2 cursor (60 a call, most recently updated first) back over
``WAIT_LOOKBACK``. A failing page adds a ``PageError`` and never blanks the others.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from .. import conversations as conv
from ..client import PancakeClient
from ..errors import PancakeError
from ..timeutil import MAX_CONVERSATION_WINDOW_DAYS, split_windows
from .core import PageError, page_error

MAX_PER_PAGE = 3000            # conversations per page per range (50 calls of 60)
MAX_ADS_PER_PAGE = 3000        # export_data rows per page (60 a call)
MAX_CUSTOMERS_PER_PAGE = 2000  # page_customers rows per page (100 a call)
WAIT_LOOKBACK = timedelta(days=2)
MAX_WAIT_CALLS = 20            # v2 calls per page for "waiting now" (1,200 conversations)
MESSAGES_PER_CALL = 30
WRITES_ENV = "PANCAKE_ALLOW_WRITES"
WRITE_ACTIONS = ("tag_add", "tag_remove", "assign", "read", "unread")

Progress = Callable[[int, int, str], None]


@dataclass
class Loaded:
    """A frame over several pages, the pages that failed and the pages whose list was capped."""
    frame: pd.DataFrame
    errors: list[PageError] = field(default_factory=list)
    capped: list[str] = field(default_factory=list)
    pages_ok: list[str] = field(default_factory=list)
    ads_known: list[str] = field(default_factory=list)   # pages whose from-ads list was read


def writes_allowed(env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None) -> bool:
    """Write actions are on only when ``PANCAKE_ALLOW_WRITES=1`` (environment first, then the
    same key in secrets, or ``allow_writes`` in a ``[pancake]`` table). Off by default."""
    env = os.environ if env is None else env
    secrets = secrets or {}
    table = secrets.get("pancake") if isinstance(secrets.get("pancake"), Mapping) else {}
    for value in (env.get(WRITES_ENV), secrets.get(WRITES_ENV), table.get("allow_writes")):
        if value not in (None, ""):
            return str(value).strip().lower() in ("1", "true", "yes", "on")
    return False


# --- names ----------------------------------------------------------------------------------------

def names(client: PancakeClient, page_id: str) -> tuple[dict[str, str], dict[str, str]]:
    """``(tag id -> name, user id -> name)`` from ``GET tags`` and ``GET users`` (disabled staff
    included: an old assignee keeps a name)."""
    tags = client.tags(page_id).get("tags") or []
    tag_names = {str(t["id"]): str(t.get("text") or t["id"]) for t in tags if isinstance(t, dict) and "id" in t}
    body = client.users(page_id)
    users = [*(body.get("users") or []), *(body.get("disabled_users") or [])]
    user_names = {str(u["id"]): str(u.get("name") or u["id"]) for u in users if isinstance(u, dict) and "id" in u}
    return tag_names, user_names


# --- one page -------------------------------------------------------------------------------------

def ads_ids(client: PancakeClient, page_id: str, start: date, end: date, *,
            cap: int = MAX_ADS_PER_PAGE) -> tuple[set[str], bool]:
    """Ids of the conversations from ads in [start, end] (``export_data``, 60 a call by
    offset) and whether the list was capped."""
    out: set[str] = set()
    offset = 0
    while offset < cap:
        rows = conv.export_rows(client.export_data(page_id, start, end, offset=offset))
        if not rows:
            return out, False
        out |= conv.ads_conversation_ids(rows)
        offset += len(rows)
    return out, True


def page_conversations(client: PancakeClient, page_id: str, start: date, end: date, tz: ZoneInfo | str, *,
                       cap: int = MAX_PER_PAGE, with_ads: bool = True,
                       on_batch: Callable[[int], None] | None = None) -> tuple[pd.DataFrame, bool, bool]:
    """One page's conversations created in [start, end] (local dates): ``(frame, capped,
    ads_known)``. Named tags and staff; from-ads from ``export_data`` when it answers (else the
    conversations' own ``ad_ids``)."""
    tag_names, user_names = names(client, page_id)
    raw, capped = _conversation_pages(client, page_id, start, end, cap)
    ids: set[str] | None = None
    if with_ads:
        try:
            ids, _ = ads_ids(client, page_id, start, end)
        except PancakeError:
            ids = None   # the conversations' own ad_ids then say it
    frame = conv.conversations_frame(raw, page_id, tz, tag_names=tag_names, user_names=user_names, ads_ids=ids)
    return frame, capped, ids is not None


def _conversation_pages(client: PancakeClient, page_id: str, start: date, end: date,
                        cap: int) -> tuple[list[dict[str, Any]], bool]:
    """Every conversation of [start, end], windows of at most one month: the first call of a
    window gives its ``total``, then its other result pages go out together (the client keeps
    to the page's rate limit). At most ``cap`` conversations; ``capped`` says some were left."""
    raw: list[dict[str, Any]] = []
    seen: set[str] = set()
    capped = False

    def take(body: dict[str, Any]) -> int:
        batch = [c for c in body.get("conversations") or [] if isinstance(c, dict)]
        for c in batch:
            cid = str(c.get("id"))
            if cid not in seen:
                seen.add(cid)
                raw.append(c)
        return len(batch)

    for a, b in split_windows(start, end, MAX_CONVERSATION_WINDOW_DAYS):
        if len(raw) >= cap:
            capped = True
            break
        first = client.conversations(page_id, a, b, page_number=1)
        got = take(first)
        try:
            total = int(first.get("total"))
        except (TypeError, ValueError):
            total = None
        if total is None:   # no total: walk on until an empty page
            number = 2
            while got and len(raw) < cap:
                got = take(client.conversations(page_id, a, b, page_number=number))
                number += 1
            capped = capped or bool(got)
            continue
        room = max(0, cap - len(raw))
        wanted = min(total - got, room)
        size = max(got, 1)
        numbers = list(range(2, 2 + -(-wanted // size))) if wanted > 0 else []
        capped = capped or total - got > room
        with ThreadPoolExecutor(max_workers=5) as pool:
            for body in pool.map(lambda n, a=a, b=b: client.conversations(page_id, a, b, page_number=n), numbers):
                take(body)
    if len(raw) > cap:
        raw, capped = raw[:cap], True
    return raw, capped


def page_waiting(client: PancakeClient, page_id: str, now: datetime, tz: ZoneInfo | str, *,
                 lookback: timedelta = WAIT_LOOKBACK, max_calls: int = MAX_WAIT_CALLS) -> pd.DataFrame:
    """The page's conversations of the last ``lookback`` (v2, most recently updated first):
    the frame ``pancake.conversations.waiting`` reads."""
    tag_names, user_names = names(client, page_id)
    since = (now - lookback).replace(microsecond=0)
    raw = []
    for i, c in enumerate(client.iter_conversations_v2(page_id, max_pages=max_calls, since=since,
                                                       until=now.replace(microsecond=0), order_by="updated_at")):
        raw.append(c)
        if i >= max_calls * 60:
            break
    return conv.conversations_frame(raw, page_id, tz, tag_names=tag_names, user_names=user_names)


def page_customers(client: PancakeClient, page_id: str, start: date, end: date, tz: ZoneInfo | str, *,
                   cap: int = MAX_CUSTOMERS_PER_PAGE) -> tuple[pd.DataFrame, int | None, bool]:
    """The page's customers created in [start, end]: ``(frame, total the API reports, capped)``."""
    rows: list[dict[str, Any]] = []
    total: int | None = None
    number = 1
    while len(rows) < cap:
        body = client.page_customers(page_id, start, end, page_number=number, page_size=100)
        batch = [c for c in body.get("customers") or [] if isinstance(c, dict)]
        try:
            total = int(body["total"]) if body.get("total") is not None else total
        except (TypeError, ValueError):
            pass
        if not batch:
            break
        rows += batch
        if total is not None and len(rows) >= total:
            break
        number += 1
    capped = total is not None and len(rows) < total
    return conv.page_customers_frame(rows, page_id, tz), total, capped


def messages(client: PancakeClient, page_id: str, conversation_id: str, customer_id: str, tz: ZoneInfo | str, *,
             current_count: int = 0) -> tuple[pd.DataFrame, int]:
    """One batch of messages (30, older ones from ``current_count`` on), oldest first, and how
    many the API sent (fewer than 30: there are no older ones)."""
    body = client.messages(page_id, conversation_id, customer_id, current_count=current_count or None)
    batch = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    cust = [customer_id]
    frm = body.get("conv_from")
    if isinstance(frm, dict) and frm.get("id"):
        cust.append(str(frm["id"]))
    return conv.messages_frame(batch, page_id, tz, customer_ids=cust), len(batch)


# --- several pages --------------------------------------------------------------------------------

def _fan_out(fn: Callable[[str], Any], page_ids: list[str], page_names: Mapping[str, str] | None,
             on_progress: Progress | None) -> tuple[dict[str, Any], list[PageError]]:
    done: dict[str, Any] = {}
    errors: list[PageError] = []
    if not page_ids:
        return done, errors
    with ThreadPoolExecutor(max_workers=min(8, len(page_ids))) as pool:
        futures = {pid: pool.submit(fn, pid) for pid in page_ids}
        for n, (pid, fut) in enumerate(futures.items(), start=1):
            try:
                done[pid] = fut.result()
            except Exception as exc:  # noqa: BLE001 - a failing page never blanks the others
                errors.append(page_error(pid, exc, page_names))
            if on_progress is not None:
                on_progress(n, len(page_ids), pid)
    return done, errors


def load_conversations(client: PancakeClient, page_ids: Iterable[str], start: date, end: date,
                       tz: ZoneInfo | str, *, page_names: Mapping[str, str] | None = None,
                       cap: int = MAX_PER_PAGE, on_progress: Progress | None = None) -> Loaded:
    ids = [str(p) for p in page_ids]
    done, errors = _fan_out(lambda pid: page_conversations(client, pid, start, end, tz, cap=cap),
                            ids, page_names, on_progress)
    frame = conv.concat([done[p][0] for p in ids if p in done])
    return Loaded(frame=frame, errors=errors, capped=[p for p in ids if p in done and done[p][1]],
                  pages_ok=[p for p in ids if p in done], ads_known=[p for p in ids if p in done and done[p][2]])


def load_waiting(client: PancakeClient, page_ids: Iterable[str], now: datetime, tz: ZoneInfo | str, *,
                 page_names: Mapping[str, str] | None = None, lookback: timedelta = WAIT_LOOKBACK) -> Loaded:
    ids = [str(p) for p in page_ids]
    done, errors = _fan_out(lambda pid: page_waiting(client, pid, now, tz, lookback=lookback),
                            ids, page_names, None)
    return Loaded(frame=conv.concat([done[p] for p in ids if p in done]), errors=errors,
                  pages_ok=[p for p in ids if p in done])


def load_customers(client: PancakeClient, page_ids: Iterable[str], start: date, end: date, tz: ZoneInfo | str, *,
                   page_names: Mapping[str, str] | None = None) -> Loaded:
    ids = [str(p) for p in page_ids]
    done, errors = _fan_out(lambda pid: page_customers(client, pid, start, end, tz), ids, page_names, None)
    frames = [done[p][0] for p in ids if p in done and not done[p][0].empty]
    frame = (pd.concat(frames, ignore_index=True) if frames
             else conv.page_customers_frame([], "", tz))
    return Loaded(frame=frame, errors=errors, capped=[p for p in ids if p in done and done[p][2]],
                  pages_ok=[p for p in ids if p in done])


# --- write actions (only when writes_allowed(); the page confirms and sends once) -----------------

def perform(client: PancakeClient, action: str, page_id: str, conversation_id: str, value: Any = None) -> dict:
    """Send one write action and return the API's answer. Never retried blindly: the client
    retries a write only when it surely was not processed (429, connect-phase failure)."""
    if action == "tag_add":
        return client.tag_conversation(page_id, conversation_id, value, action="add")
    if action == "tag_remove":
        return client.tag_conversation(page_id, conversation_id, value, action="remove")
    if action == "assign":
        ids = [value] if isinstance(value, str) else list(value or [])
        return client.assign_conversation(page_id, conversation_id, ids)
    if action == "read":
        return client.mark_read(page_id, conversation_id)
    if action == "unread":
        return client.mark_unread(page_id, conversation_id)
    raise ValueError(f"unknown write action {action!r}; one of {', '.join(WRITE_ACTIONS)}")

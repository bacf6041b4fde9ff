"""Loading conversations, messages, page customers and the conversations from ads, and the
four write actions. No Streamlit (``ui.conversations_data`` wraps these in the session's
caches); every HTTP call goes through ``PancakeClient``, every payload through the pure
reshapers of ``pancake.conversations``.

A range is paged through the client's window paging (v1: windows of at most one month,
newest window first, 60 conversations a call, newest first) up to ``MAX_PER_PAGE``
conversations per page, and for the dashboard up to ``MAX_TOTAL`` over every page together
(``per_page_cap``): a larger range keeps each page's newest conversations, and the result
says which pages were cut and at how many (the page says so rather than hanging). The
dashboard's load has a deadline (``LOAD_DEADLINE``): the pages that answered are drawn, the
late ones are named, and their loads go on in the background for the next run to collect
(``_Inflight``).
"Waiting now" reads the v2 cursor (60 a call, most recently updated first) back over
``WAIT_LOOKBACK``. A failing page adds a ``PageError`` and never blanks the others.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
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
MAX_TOTAL = 12_000             # the dashboard's conversations per range, every page together
MIN_PER_PAGE = 300             # ... but never fewer than this per page (5 calls of 60)
LOAD_DEADLINE = 45.0           # seconds the dashboard waits for a range before drawing what it has
PAGE_WORKERS = 16              # pages loaded at once (each page paced on its own by the client)
MAX_ADS_PER_PAGE = 3000        # export_data rows per page (60 a call)
MAX_CUSTOMERS_PER_PAGE = 2000  # page_customers rows per page (100 a call)
MAX_CUSTOMERS_TOTAL = 12_000   # the dashboard's page customers per range, every page together
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
    cap: int = MAX_PER_PAGE                                # conversations kept per page at most
    late: list[str] = field(default_factory=list)          # pages still loading at the deadline
    reported: dict[str, int | None] = field(default_factory=dict)   # the API's total per page (customers)

    def reported_total(self) -> int | None:
        """The API's total over the pages that answered (None when one did not say)."""
        values = [self.reported.get(p) for p in self.pages_ok]
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def per_page_cap(n_pages: int, total: int | None = MAX_TOTAL, cap: int = MAX_PER_PAGE) -> int:
    """Conversations kept per page when ``n_pages`` share ``total`` (None: no total), at most
    ``cap`` and at least ``MIN_PER_PAGE`` (or ``cap`` when lower)."""
    if total is None or n_pages <= 0:
        return cap
    return min(cap, max(MIN_PER_PAGE, -(-total // n_pages)))


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
    ads_known)``, the newest ``cap`` when there are more. Named tags and staff; from-ads from
    ``export_data`` when it answers (else the conversations' own ``ad_ids``), asked only over
    the days the kept conversations cover."""
    tag_names, user_names = names(client, page_id)
    raw, capped = _conversation_pages(client, page_id, start, end, cap)
    ids: set[str] | None = None
    if with_ads:
        since = start
        if capped and raw:
            oldest = min((t for t in (conv.local_time(c.get("inserted_at"), tz) for c in raw) if t is not None),
                         default=None)
            since = max(start, oldest.date()) if oldest is not None else start
        try:
            ids, _ = ads_ids(client, page_id, since, end)
        except PancakeError:
            ids = None   # the conversations' own ad_ids then say it
    frame = conv.conversations_frame(raw, page_id, tz, tag_names=tag_names, user_names=user_names, ads_ids=ids)
    return frame, capped, ids is not None


def _conversation_pages(client: PancakeClient, page_id: str, start: date, end: date,
                        cap: int) -> tuple[list[dict[str, Any]], bool]:
    """Every conversation of [start, end], windows of at most one month, the newest window
    first: the first call of a window gives its ``total``, then its other result pages go out
    together (the client keeps to the page's rate limit). At most ``cap`` conversations, the
    newest (a window's result pages are newest first); ``capped`` says some were left."""
    raw: list[dict[str, Any]] = []
    seen: set[str] = set()
    capped = False

    def take(body: dict[str, Any]) -> int:
        nonlocal capped
        batch = [c for c in body.get("conversations") or [] if isinstance(c, dict)]
        for c in batch:
            cid = str(c.get("id"))
            if cid in seen:
                continue
            if len(raw) >= cap:
                capped = True
                break
            seen.add(cid)
            raw.append(c)
        return len(batch)

    for a, b in reversed(split_windows(start, end, MAX_CONVERSATION_WINDOW_DAYS)):
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
        if numbers:
            with ThreadPoolExecutor(max_workers=min(5, len(numbers))) as pool:
                for body in pool.map(lambda n, a=a, b=b: client.conversations(page_id, a, b, page_number=n),
                                     numbers):
                    take(body)
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
    """The page's customers created in [start, end] (the newest ``cap``): ``(frame, total the
    API reports, capped)``. The first call gives the total; the other result pages go out
    together (the client keeps to the page's rate limit)."""
    rows: list[dict[str, Any]] = []
    size = 100

    def call(number: int) -> tuple[list[dict[str, Any]], int | None]:
        body = client.page_customers(page_id, start, end, page_number=number, page_size=size)
        batch = [c for c in body.get("customers") or [] if isinstance(c, dict)]
        try:
            reported = int(body["total"]) if body.get("total") is not None else None
        except (TypeError, ValueError):
            reported = None
        return batch, reported

    batch, total = call(1)
    rows += batch
    if total is None:   # no total: walk on until an empty page
        number = 2
        while batch and len(rows) < cap:
            batch, _ = call(number)
            rows += batch
            number += 1
    elif batch and len(rows) < min(total, cap):
        numbers = list(range(2, 1 + -(-min(total, cap) // size)))
        if numbers:
            with ThreadPoolExecutor(max_workers=min(5, len(numbers))) as pool:
                for more, _ in pool.map(call, numbers):
                    rows += more
    rows = rows[:cap]
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
    with ThreadPoolExecutor(max_workers=min(PAGE_WORKERS, len(page_ids))) as pool:
        futures = {pid: pool.submit(fn, pid) for pid in page_ids}
        for n, (pid, fut) in enumerate(futures.items(), start=1):
            try:
                done[pid] = fut.result()
            except Exception as exc:  # noqa: BLE001 - a failing page never blanks the others
                errors.append(page_error(pid, exc, page_names))
            if on_progress is not None:
                on_progress(n, len(page_ids), pid)
    return done, errors


class _Inflight:
    """Page loads that outlive a run's deadline: a later load of the same (client, page,
    range, cap) takes the running (or finished) one instead of asking the API again. A load
    is forgotten once a run has collected every page of it, when it failed, or
    ``keep`` seconds after it started (once finished) without being collected."""

    def __init__(self, workers: int = PAGE_WORKERS, keep: float = 600.0) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pancake-conversations")
        self.lock = threading.Lock()
        self.items: dict[tuple, tuple[float, Future]] = {}
        self.keep = keep

    def submit(self, key: tuple, fn: Callable[[], Any]) -> Future:
        now = time.monotonic()
        with self.lock:
            for k, (t, f) in list(self.items.items()):
                if f.done() and now - t > self.keep:
                    del self.items[k]
            got = self.items.get(key)
            if got is None or (got[1].done() and got[1].exception() is not None):
                got = (now, self.pool.submit(fn))
                self.items[key] = got
            return got[1]

    def forget(self, keys: Iterable[tuple]) -> None:
        with self.lock:
            for k in keys:
                self.items.pop(k, None)


_INFLIGHT = _Inflight()


def load_conversations(client: PancakeClient, page_ids: Iterable[str], start: date, end: date,
                       tz: ZoneInfo | str, *, page_names: Mapping[str, str] | None = None,
                       cap: int = MAX_PER_PAGE, total: int | None = None, deadline: float | None = None,
                       on_progress: Progress | None = None) -> Loaded:
    """Every page's conversations of [start, end]: at most ``cap`` per page, and with
    ``total`` at most ``per_page_cap(len(pages), total, cap)`` per page. Without ``deadline``
    every page is waited for (the CLI). With it, a page still loading after ``deadline``
    seconds is named in ``late`` and in ``errors`` (a timeout) and goes on loading in the
    background: the next load of the same range takes its result."""
    ids = [str(p) for p in page_ids]
    per_page = per_page_cap(len(ids), total, cap)
    if deadline is None:
        done, errors = _fan_out(lambda pid: page_conversations(client, pid, start, end, tz, cap=per_page),
                                ids, page_names, on_progress)
        late: list[str] = []
    else:
        done, errors, late = _collect_until(client, ids, start, end, tz, per_page, deadline, page_names, on_progress)
    frame = conv.concat([done[p][0] for p in ids if p in done])
    return Loaded(frame=frame, errors=errors, capped=[p for p in ids if p in done and done[p][1]],
                  pages_ok=[p for p in ids if p in done], ads_known=[p for p in ids if p in done and done[p][2]],
                  cap=per_page, late=late)


def _collect_until(client: PancakeClient, ids: list[str], start: date, end: date, tz: ZoneInfo | str,
                   per_page: int, deadline: float, page_names: Mapping[str, str] | None,
                   on_progress: Progress | None) -> tuple[dict[str, Any], list[PageError], list[str]]:
    zone = tz if isinstance(tz, str) else tz.key
    keys = {pid: (id(client), pid, start, end, zone, per_page) for pid in ids}
    futures = {pid: _INFLIGHT.submit(keys[pid], lambda pid=pid: page_conversations(client, pid, start, end, tz,
                                                                                    cap=per_page))
               for pid in ids}
    limit = time.monotonic() + deadline
    pending = set(futures.values())
    n_done = sum(f.done() for f in pending)
    while pending:
        pending = {f for f in pending if not f.done()}
        if on_progress is not None and ids:
            finished = len(ids) - len(pending)
            if finished != n_done or not pending:
                n_done = finished
                on_progress(finished, len(ids), "")
        left = limit - time.monotonic()
        if not pending or left <= 0:
            break
        wait(pending, timeout=left, return_when=FIRST_COMPLETED)
    done: dict[str, Any] = {}
    errors: list[PageError] = []
    late: list[str] = []
    for pid in ids:
        fut = futures[pid]
        if not fut.done():
            late.append(pid)
            errors.append(PageError(pid, (page_names or {}).get(pid, pid), "timeout",
                                    f"conversations: no answer within {deadline:.0f} s; the other pages are "
                                    "shown, this one will appear when its data arrives"))
            continue
        try:
            done[pid] = fut.result()
        except Exception as exc:  # noqa: BLE001 - a failing page never blanks the others
            errors.append(page_error(pid, exc, page_names))
    if not late:   # every page collected: the next run asks the API again (or the page's memory)
        _INFLIGHT.forget(keys.values())
    return done, errors, late


def load_waiting(client: PancakeClient, page_ids: Iterable[str], now: datetime, tz: ZoneInfo | str, *,
                 page_names: Mapping[str, str] | None = None, lookback: timedelta = WAIT_LOOKBACK) -> Loaded:
    ids = [str(p) for p in page_ids]
    done, errors = _fan_out(lambda pid: page_waiting(client, pid, now, tz, lookback=lookback),
                            ids, page_names, None)
    return Loaded(frame=conv.concat([done[p] for p in ids if p in done]), errors=errors,
                  pages_ok=[p for p in ids if p in done])


def load_customers(client: PancakeClient, page_ids: Iterable[str], start: date, end: date, tz: ZoneInfo | str, *,
                   page_names: Mapping[str, str] | None = None, cap: int = MAX_CUSTOMERS_PER_PAGE,
                   total: int | None = None) -> Loaded:
    """Every page's customers of [start, end]: at most ``cap`` per page, and with ``total``
    at most ``per_page_cap(len(pages), total, cap)`` (the newest); ``reported`` keeps the
    API's own count of each page."""
    ids = [str(p) for p in page_ids]
    per_page = per_page_cap(len(ids), total, cap)
    done, errors = _fan_out(lambda pid: page_customers(client, pid, start, end, tz, cap=per_page),
                            ids, page_names, None)
    frames = [done[p][0] for p in ids if p in done and not done[p][0].empty]
    frame = (pd.concat(frames, ignore_index=True) if frames
             else conv.page_customers_frame([], "", tz))
    return Loaded(frame=frame, errors=errors, capped=[p for p in ids if p in done and done[p][2]],
                  pages_ok=[p for p in ids if p in done], cap=per_page,
                  reported={p: done[p][1] for p in ids if p in done})


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

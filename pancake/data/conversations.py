"""Loading conversations, messages, page customers and the conversations from ads, and the
four write actions. No Streamlit (``ui.conversations_data`` wraps these in the session's
caches); every HTTP call goes through ``PancakeClient``, every payload through the pure
reshapers of ``pancake.numbers.conversations``; every fan-out runs on the process's one pool
(``pancake.data.gather``). A failing page adds a ``PageError`` and never blanks the others.

- A range is paged newest first up to ``MAX_PER_PAGE`` conversations per page (the dashboard:
  ``MAX_TOTAL`` over every page, ``per_page_cap``). A cut page is said, and the figures cover only
  the part every page gave in full (``complete_from``), so a cap never draws a trend.
- The dashboard's load has a deadline (``LOAD_DEADLINE``): late pages are named and their loads
  go on for the next run to collect (``_LOADS``).
- "Waiting now" walks the v2 cursor (most recently updated first) back until the list ends or
  ``MAX_WAIT_CALLS`` (``Loaded.looked_back`` says how far); later looks ask only what changed
  (``WaitWatch``), at most every ``WAIT_FRESH`` seconds, one look at a time per page.
"""
from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from pancake import config
from pancake.api.client import PancakeClient
from pancake.api.errors import PancakeError
from pancake.data import gather
from pancake.data.core import PageError, late_error, page_error
from pancake.numbers import conversations as conv
from pancake.timeutil import MAX_CONVERSATION_WINDOW_DAYS, split_windows

MAX_PER_PAGE = 3000            # conversations per page per range (50 calls of 60)
MAX_TOTAL = 48_000             # the dashboard's conversations per range, every page together (~350 bytes each)
MIN_PER_PAGE = 300             # ... but never fewer than this per page (5 calls of 60)
LOAD_DEADLINE = 45.0           # seconds the dashboard waits for a range before drawing what it has
PAGE_WORKERS = 16              # pages loaded at once (each page paced on its own by the client)
MAX_ADS_PER_PAGE = 3000        # export_data rows per page (60 a call)
MAX_CUSTOMERS_PER_PAGE = 2000  # page_customers rows per page (100 a call)
MAX_CUSTOMERS_TOTAL = 12_000   # the dashboard's page customers per range, every page together
MAX_WAIT_CALLS = 20            # v2 calls of a page's first "waiting now" walk (1,200 conversations)
WAIT_FRESH = 60.0              # seconds a page's "waiting now" is used before the API is asked again
WAIT_CALLS_PER_MINUTE = 10     # ... and over many pages, at most this many "what changed" calls a minute
META_TTL = 3600.0              # seconds tag and staff names are kept (they change rarely)
NEW_TAG_AFTER = 60.0           # ... but a tag id with no name asks again after this many seconds
MESSAGES_PER_CALL = 30
V2_PAGE_SIZE = 60              # conversations a v2 call gives (fewer: the list ended)
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
    covers_from: datetime | None = None   # range: the frame holds only what was created from this local
    #                                       time on, the part every page gave in full (None: all of it)
    looked_back: datetime | None = None   # waiting: everyone waiting since this local time is listed
    #                                       (None: the API's whole list was read)

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


def complete_from(frame: pd.DataFrame, capped: Iterable[str], end: date) -> datetime | None:
    """Where the conversations of several pages are complete when ``capped`` pages kept only
    their newest: a capped page has every conversation created after its oldest kept one, so
    all pages have theirs from the latest such time on. A whole-day bound when a full day is
    left (the next midnight: a day chart or a weekday × hour grid never shows a day partly
    fetched), else the second after it. None when nothing was capped (or nothing was kept)."""
    capped = [str(p) for p in capped]
    if not capped or frame is None or frame.empty:
        return None
    rows = frame[frame["page_id"].isin(capped)]
    oldest = rows.groupby("page_id")["created_at"].min().dropna()
    if oldest.empty:
        return None
    bound = pd.Timestamp(oldest.max()).to_pydatetime()
    next_day = datetime.combine(bound.date() + timedelta(days=1), datetime.min.time())
    if next_day.date() <= end:
        return next_day
    return bound + timedelta(seconds=1)


def writes_allowed(env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None) -> bool:
    """Write actions are on only when ``PANCAKE_ALLOW_WRITES=1`` (environment first, then the
    same key in secrets, or ``allow_writes`` in a ``[pancake]`` table). Off by default."""
    value = config.read(WRITES_ENV, env, secrets)
    return value is not None and str(value).strip().lower() in ("1", "true", "yes", "on")


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


class _Meta:
    """Tag and staff names per (client, page), kept ``ttl`` seconds; one fetch at a time per page."""

    def __init__(self, ttl: float = META_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self.lock = threading.Lock()
        self.items: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get(self, client: PancakeClient, page_id: str,
            tag_ids: Iterable[Any] = ()) -> tuple[dict[str, str], dict[str, str]]:
        """The names; asked again after ``ttl``, or sooner (a minute on) when one of ``tag_ids``
        has no name yet (a tag made since)."""
        with self.lock:
            per_client = self.items.setdefault(client, {})
            slot = per_client.setdefault(page_id, [threading.Lock(), None, 0.0])
        with slot[0]:
            age = self.clock() - slot[2]
            unknown = slot[1] is not None and any(str(t) not in slot[1][0] for t in tag_ids)
            if slot[1] is None or age >= self.ttl or (unknown and age >= NEW_TAG_AFTER):
                slot[1] = names(client, page_id)
                slot[2] = self.clock()
            return slot[1]


_META = _Meta()


def cached_names(client: PancakeClient, page_id: str,
                 tag_ids: Iterable[Any] = ()) -> tuple[dict[str, str], dict[str, str]]:
    """``names`` kept ``META_TTL`` seconds per client and page (every session shares them),
    asked again sooner when one of ``tag_ids`` has no name."""
    return _META.get(client, page_id, tag_ids)


def _tag_ids(raw: Iterable[Mapping[str, Any]]) -> set[str]:
    out: set[str] = set()
    for c in raw:
        for t in c.get("tags") or []:
            tid = t.get("id") if isinstance(t, Mapping) else t
            if tid is not None:
                out.add(str(tid))
    return out


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
                       cap: int = MAX_PER_PAGE, with_ads: bool = True) -> tuple[pd.DataFrame, bool, bool]:
    """One page's conversations created in [start, end] (local dates): ``(frame, capped,
    ads_known)``, the newest ``cap`` when there are more. Named tags and staff; from-ads from
    ``export_data`` when it answers (else the conversations' own ``ad_ids``), asked only over
    the days the kept conversations cover."""
    raw, capped = _conversation_pages(client, page_id, start, end, cap)
    tag_names, user_names = cached_names(client, page_id, _tag_ids(raw))
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
            for body in gather.pool().map(("conversation-pages", page_id),
                                          lambda n, a=a, b=b: client.conversations(page_id, a, b, page_number=n),
                                          numbers, limit=5):
                take(body)
    return raw, capped


def wait_fresh(n_pages: int) -> float:
    """Seconds "waiting now" is used before asking again for ``n_pages`` pages: ``WAIT_FRESH``,
    longer when the pages' one call each would pass ``WAIT_CALLS_PER_MINUTE`` (24 pages: 144 s).
    The waits shown still count up to now; a new wait or an answer shows within that time."""
    return max(WAIT_FRESH, 60.0 * max(0, n_pages) / WAIT_CALLS_PER_MINUTE)


class WaitWatch:
    """One page's conversations whose latest message is the customer's, kept fresh by the v2
    cursor (most recently updated first). ``look`` walks from the newest conversation until it
    reaches one no newer than the newest already known (usually one call), or, the first time,
    until the API's list ends or ``max_calls`` calls: ``since`` is then the oldest update the
    walk reached (None: the whole list was read). A conversation answered since leaves; one
    whose customer wrote again comes back."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.raw: dict[str, dict[str, Any]] = {}
        self.top: datetime | None = None      # the newest update seen (local)
        self.since: datetime | None = None    # how far back the list is known (None: all of it)
        self.checked: float | None = None     # clock of the last look
        self.generation = 0                   # a new first walk ends a background walk of the old one
        self.walking = False                  # a background walk goes on back from ``since``
        self.touched: set[str] = set()        # ids the later looks saw while it does (newer than its copy)
        # the frame last made of ``raw``: (its conversations, names, zone, frame), for every session
        self.made: tuple[list, tuple, str, pd.DataFrame] | None = None
        self.made_lock = threading.Lock()

    def look(self, client: PancakeClient, page_id: str, tz: ZoneInfo | str, max_calls: int, *,
             first_calls: int | None = None, spawn: Callable[[Callable[[], None]], Any] | None = None) -> None:
        """Called with ``lock`` held. With ``spawn``, a first walk reads ``first_calls`` calls now
        and the rest in the background (``spawn(fn)``), ``since`` moving back as it goes."""
        first = self.checked is None
        budget = max_calls if not first or first_calls is None or spawn is None else min(first_calls, max_calls)
        seen: dict[str, dict[str, Any]] = {}
        last: str | None = None
        oldest: datetime | None = None
        met_known = ended = False
        for _ in range(max(1, budget)):
            body = client.conversations_v2(page_id, last_conversation_id=last, order_by="updated_at")
            batch = [c for c in body.get("conversations") or [] if isinstance(c, dict) and c.get("id") is not None]
            new = [c for c in batch if str(c["id"]) not in seen]
            if not new:
                ended = True
                break
            for c in new:
                seen[str(c["id"])] = c
                upd = conv.local_time(c.get("updated_at"), tz)
                if upd is not None:
                    oldest = upd if oldest is None or upd < oldest else oldest
                    if self.top is not None and upd < self.top:
                        met_known = True
            last = str(new[-1]["id"])
            if met_known:
                break
            if len(batch) < V2_PAGE_SIZE:   # a short page: the list ends here
                ended = True
                break
        if self.checked is None or not (met_known or ended):
            # the first look, or more changed than one walk reads: start again from this walk
            self.generation += 1
            self.raw, self.since, self.touched, self.walking = {}, (None if ended else oldest), set(), False
            if not ended and spawn is not None and budget < max_calls and last is not None:
                self.walking = True
                gen, cursor, left = self.generation, last, max_calls - budget
                spawn(lambda: self._walk_on(client, page_id, tz, cursor, left, gen))
        elif self.walking:
            self.touched |= set(seen)
        for cid, c in seen.items():
            if conv.last_from_customer(c, page_id) is True:
                self.raw[cid] = c
            else:
                self.raw.pop(cid, None)
        newest = max((t for t in (conv.local_time(c.get("updated_at"), tz) for c in seen.values())
                      if t is not None), default=None)
        if newest is not None and (self.top is None or newest > self.top):
            self.top = newest

    def _walk_on(self, client: PancakeClient, page_id: str, tz: ZoneInfo | str, last: str, calls: int,
                 gen: int) -> None:
        """The first walk's rest, in the background: each call's conversations are taken under
        the lock (not those a later look saw newer), and ``since`` moves back; a failing call
        stops it where it got (the screens say how far back)."""
        seen: set[str] = set()
        try:
            for _ in range(calls):
                try:
                    body = client.conversations_v2(page_id, last_conversation_id=last, order_by="updated_at")
                except Exception:  # noqa: BLE001 - the reach said on screen stays where it got
                    return
                batch = [c for c in body.get("conversations") or [] if isinstance(c, dict) and c.get("id") is not None]
                new = [c for c in batch if str(c["id"]) not in seen]
                ended = not new or len(batch) < V2_PAGE_SIZE
                times = [t for t in (conv.local_time(c.get("updated_at"), tz) for c in new) if t is not None]
                with self.lock:
                    if self.generation != gen:
                        return
                    for c in new:
                        cid = str(c["id"])
                        seen.add(cid)
                        if cid in self.touched:
                            continue
                        if conv.last_from_customer(c, page_id) is True:
                            self.raw[cid] = c
                        else:
                            self.raw.pop(cid, None)
                    if ended:
                        self.since = None
                    elif times:
                        self.since = min(times) if self.since is None else min(self.since, min(times))
                if ended:
                    return
                last = str(new[-1]["id"])
        finally:
            with self.lock:
                if self.generation == gen:
                    self.walking = False
                    self.touched = set()


FIRST_WAIT_CALLS = 3           # calls of a first walk the screen waits for (the rest in the background)
WALKERS = 4                    # first walks' rests going on at once (the others queue)


def start_in_background(fn: Callable[[], None]) -> None:
    """Run a first walk's rest on the process's pool, ``WALKERS`` at a time."""
    gather.pool().submit(("waiting-walks",), fn, limit=WALKERS)


class _Watches:
    """``WaitWatch`` per (client, page), shared by every session of the process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.items: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def get(self, client: PancakeClient, page_id: str) -> WaitWatch:
        with self.lock:
            return self.items.setdefault(client, {}).setdefault(page_id, WaitWatch())


_WATCHES = _Watches()


def page_waiting(client: PancakeClient, page_id: str, now: datetime, tz: ZoneInfo | str, *,
                 max_calls: int = MAX_WAIT_CALLS, fresh: float = WAIT_FRESH,
                 clock: Callable[[], float] = time.monotonic, watches: _Watches | None = None,
                 meta: _Meta | None = None,
                 background: Callable[[Callable[[], None]], Any] | None = None) -> tuple[pd.DataFrame, datetime | None]:
    """The page's conversations whose latest message is the customer's (the frame
    ``pancake.numbers.conversations.waiting`` reads), however long ago, and how far back the list is
    known (None: all of it). The API is asked again only after ``fresh`` seconds of ``clock``,
    and then only for what changed; one look at a time per page. With ``background`` (a
    submit function, e.g. ``start_in_background``), a first walk waits only for its first
    ``FIRST_WAIT_CALLS`` calls and reads the rest there (the reach said grows with it)."""
    watch = (watches or _WATCHES).get(client, page_id)
    with watch.lock:
        if watch.checked is None or clock() - watch.checked >= fresh:
            watch.look(client, page_id, tz, max_calls, first_calls=FIRST_WAIT_CALLS, spawn=background)
            watch.checked = clock()
        raw, since = list(watch.raw.values()), watch.since
    names_ = (meta or _META).get(client, page_id, _tag_ids(raw))
    zone = str(tz)
    with watch.made_lock:   # one frame for every session while the list and the names stay the same
        made = watch.made
        if (made is None or made[1] is not names_ or made[2] != zone or len(made[0]) != len(raw)
                or not all(a is b or a == b for a, b in zip(made[0], raw))):
            frame = conv.conversations_frame(raw, page_id, tz, tag_names=names_[0], user_names=names_[1])
            watch.made = made = (raw, names_, zone, frame)
    return made[3].copy(deep=False), since   # copy-on-write: a session's change stays its own


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
            for more, _ in gather.pool().map(("customer-pages", page_id), call, numbers, limit=5):
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
    """``fn(page_id)`` for every page, ``PAGE_WORKERS`` at once; a failing page never blanks the others."""
    lane = ("conversations", object())       # this call's own lane
    futures = {pid: gather.pool().submit(lane, lambda pid=pid: fn(pid), limit=PAGE_WORKERS) for pid in page_ids}
    got = gather.gather(futures, on_ready=_counter(len(page_ids), on_progress))
    return got.done, [page_error(pid, got.failed[pid], page_names) for pid in page_ids if pid in got.failed]


def _counter(total: int, on_progress: Progress | None) -> Callable[[str], None] | None:
    """``on_progress(done, total, page_id)`` as each page is ready."""
    if on_progress is None:
        return None
    done = 0

    def ready(pid: str) -> None:
        nonlocal done
        done += 1
        on_progress(done, total, pid)
    return ready


# Page loads that outlive a run's deadline: a later load of the same (client, page, range, cap)
# takes the running (or finished) one instead of asking the API again. A load is forgotten once a
# run has collected every page of it, when it failed, or ten minutes after it started.
_LOADS = gather.Flights(keep=600.0)


def load_conversations(client: PancakeClient, page_ids: Iterable[str], start: date, end: date,
                       tz: ZoneInfo | str, *, page_names: Mapping[str, str] | None = None,
                       cap: int = MAX_PER_PAGE, total: int | None = None, deadline: float | None = None,
                       on_progress: Progress | None = None, complete_only: bool = False) -> Loaded:
    """Every page's conversations of [start, end]: at most ``cap`` per page, and with
    ``total`` at most ``per_page_cap(len(pages), total, cap)`` per page. Without ``deadline``
    every page is waited for (the CLI). With it, a page still loading after ``deadline``
    seconds is named in ``late`` and in ``errors`` (a timeout) and goes on loading in the
    background: the next load of the same range takes its result. With ``complete_only`` (the
    dashboard's figures), when a page was capped the frame keeps only the part of the range
    every page gave in full (``complete_from``; ``covers_from`` says from when): a cap then
    shortens the period instead of drawing a trend that is not there."""
    ids = [str(p) for p in page_ids]
    per_page = per_page_cap(len(ids), total, cap)
    if deadline is None:
        done, errors = _fan_out(lambda pid: page_conversations(client, pid, start, end, tz, cap=per_page),
                                ids, page_names, on_progress)
        late: list[str] = []
    else:
        done, errors, late = _collect_until(client, ids, start, end, tz, per_page, deadline, page_names, on_progress)
    frame = conv.concat([done[p][0] for p in ids if p in done])
    capped = [p for p in ids if p in done and done[p][1]]
    covers = complete_from(frame, capped, end) if complete_only else None
    if covers is not None:
        frame = frame[frame["created_at"] >= pd.Timestamp(covers)].reset_index(drop=True)
    return Loaded(frame=frame, errors=errors, capped=capped,
                  pages_ok=[p for p in ids if p in done], ads_known=[p for p in ids if p in done and done[p][2]],
                  cap=per_page, late=late, covers_from=covers)


def _collect_until(client: PancakeClient, ids: list[str], start: date, end: date, tz: ZoneInfo | str,
                   per_page: int, deadline: float, page_names: Mapping[str, str] | None,
                   on_progress: Progress | None) -> tuple[dict[str, Any], list[PageError], list[str]]:
    zone = tz if isinstance(tz, str) else tz.key
    keys = {pid: (id(client), pid, start, end, zone, per_page) for pid in ids}

    def start_load(pid: str) -> Future:
        return gather.pool().submit(("conversation-loads",),
                                    lambda: page_conversations(client, pid, start, end, tz, cap=per_page),
                                    limit=PAGE_WORKERS)
    futures = {pid: _LOADS.join(keys[pid], lambda pid=pid: start_load(pid)) for pid in ids}
    got = gather.gather(futures, deadline, on_ready=_counter(len(ids), on_progress))
    errors = [page_error(pid, got.failed[pid], page_names) if pid in got.failed else
              late_error(pid, "conversations", deadline, page_names)
              for pid in ids if pid in got.failed or pid in got.late]
    if not got.late and not got.failed:   # every page collected: the next run asks the API again
        _LOADS.forget(keys.values())
    # a page failed: the load is not kept (``ui.conversations_data``), so the next one comes soon;
    # it takes the other pages' results (kept as a late page's are) and asks only the failed pages
    # (ten viewers at once, the API timing out on one page: each load asked every page again)
    return got.done, errors, got.late


def load_waiting(client: PancakeClient, page_ids: Iterable[str], now: datetime, tz: ZoneInfo | str, *,
                 page_names: Mapping[str, str] | None = None, max_calls: int = MAX_WAIT_CALLS,
                 fresh: float = WAIT_FRESH, clock: Callable[[], float] = time.monotonic,
                 watches: _Watches | None = None,
                 background: Callable[[Callable[[], None]], Any] | None = None) -> Loaded:
    """Every page's waiting conversations (``page_waiting``); ``looked_back`` is the latest of
    the pages' look-backs (None when every page's whole list was read)."""
    ids = [str(p) for p in page_ids]
    done, errors = _fan_out(lambda pid: page_waiting(client, pid, now, tz, max_calls=max_calls, fresh=fresh,
                                                     clock=clock, watches=watches, background=background),
                            ids, page_names, None)
    bounds = [done[p][1] for p in ids if p in done and done[p][1] is not None]
    return Loaded(frame=conv.concat([done[p][0] for p in ids if p in done]), errors=errors,
                  pages_ok=[p for p in ids if p in done], looked_back=max(bounds) if bounds else None)


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

"""The data layer without Streamlit: fan-out over pages and windows, reshape, merge.

Every call returns a :class:`Result`: frames for the pages that worked and one
:class:`PageError` per page that failed. One failing page never blanks the others.
The CLI uses this module directly; the dashboard goes through ``ui.cache``.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from pancake import timeutil
from pancake.api import errors
from pancake.api.client import PancakeClient
from pancake.config import Settings
from pancake.data import gather, kinds, reshape
from pancake.data.gather import Abandoned as Abandoned  # re-exported: the dashboard's loads end on it
from pancake.data.gather import Tally, Waiter
from pancake.data.store import StoreError, codec
from pancake.redact import redact

log = logging.getLogger("pancake.data")
# A failing page, once per load: the caller also gets it as a PageError (and shows it), so a
# command line tool that prints those silences this logger (``pancake.delivery.cli``).
page_log = logging.getLogger("pancake.data.pages")

@dataclass(frozen=True)
class PageError:
    page_id: str
    page_name: str
    kind: str       # auth | rate_limit | server | network | bad_response | api | config | timeout | error
    message: str    # safe to show: names the endpoint and page, never a token
    # the days this page lacks when some of its windows came back and others failed
    # (``Loader.load(..., keep_partial=True)``): inclusive (first, last) local dates
    missing: tuple[tuple[date, date], ...] = ()

    def __str__(self) -> str:
        return f"{self.page_name or self.page_id}: {self.message}"

    @property
    def partial(self) -> bool:
        """Some of the page's days came back (they are in the result's frames), these did not."""
        return bool(self.missing)


def day_runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Days -> runs of consecutive days as inclusive (first, last) pairs, oldest first."""
    out: list[list[date]] = []
    for d in sorted(set(days)):
        if out and (d - out[-1][1]).days == 1:
            out[-1][1] = d
        else:
            out.append([d, d])
    return [(a, b) for a, b in out]


def runs_text(runs: Iterable[tuple[date, date]]) -> str:
    """``2026-01-01..2026-01-31, 2026-03-02`` (a single day once)."""
    return ", ".join(a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}" for a, b in runs)


@dataclass
class Result:
    frames: dict[str, pd.DataFrame]
    errors: list[PageError] = field(default_factory=list)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    pages_ok: list[str] = field(default_factory=list)
    # What the frames were made of: every page's in-memory entry (its key and when it was
    # fetched), digested. Two results with the same stamp hold the same figures, so what is
    # computed from one serves the other (``ui.cache.remembered``). None: not made only of
    # kept entries (a page failed or is partial, or there is no in-memory cache).
    stamp: str | None = None

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


def late_error(page_id: str, what: str, waited: float, page_names: Mapping[str, str] | None = None) -> PageError:
    """The one message of a page still loading at a view's deadline (every loader says it so)."""
    return PageError(page_id, (page_names or {}).get(page_id, page_id), "timeout",
                     f"{what}: no answer within {waited:.0f} s; the other pages are shown, "
                     "this one will appear when its data arrives")


def make_client(settings: Settings, **client_options: Any) -> PancakeClient:
    """The client for a configuration: the real API, or the in-process simulator in demo mode.
    ``client_options`` go to ``PancakeClient`` for the real API (``call_budget``,
    ``shared_limiter``)."""
    if settings.use_demo:
        from pancake.api.simulator import DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Simulator  # start-up: demo mode only
        sim = Simulator(timezone=settings.timezone)
        return PancakeClient(access_token=DEMO_USER_TOKEN, page_tokens=dict(DEMO_PAGE_TOKENS),
                             base_url="https://pages.fm/api", timezone=settings.timezone,
                             transport=sim.transport())
    return PancakeClient(settings, **client_options)


# --- one page ----------------------------------------------------------------------------

def fetch_page(client: PancakeClient, kind: str, page_id: str, start: date, end: date, *,
               parts: bool = False, **options: Any) -> Any:
    """Fetch one kind of statistics (``pancake.data.kinds``) for one page over [start, end]: its frames,
    or with ``parts=True`` one reshaped, unmerged part per window (Arrow tables by frame name:
    what the store keeps and ``Kind.assemble`` takes). The loader calls this once per window,
    so every window of every page goes out at once."""
    k = kinds.get(kind)
    k.check_cut(options.get("until"))
    if not parts:
        return k.fetch(client, page_id, start, end, **options)
    hourly = bool(options.pop("hourly", False))
    if hourly and not k.hourly:
        raise ValueError(f"{k.name} has no hourly variant")
    chunks = k.chunks(client, page_id, start, end, hourly=hourly, **options)
    with kinds.CPU_TURN:
        return [k.reshape(c, page_id, hourly=hourly) for c in chunks]


# --- several pages -----------------------------------------------------------------------

def fan_out(fn: Callable[[str], dict[str, pd.DataFrame]], page_ids: Iterable[str], *,
            page_names: Mapping[str, str] | None = None, max_workers: int = 8,
            on_progress: Callable[[int, int, str], None] | None = None) -> Result:
    """Run ``fn(page_id)`` for every page concurrently (``max_workers`` at once, on the process's
    pool); collect frames and per-page errors.

    Frames of the same name are concatenated in the order of ``page_ids``.
    ``on_progress(done, total, page_id)`` is called from the calling thread.
    """
    ids = list(dict.fromkeys(str(p) for p in page_ids))
    lane = ("fan-out", object())      # this call's own lane: ``max_workers`` of its pages at once
    futures = {pid: gather.pool().submit(lane, lambda pid=pid: fn(pid), limit=max_workers) for pid in ids}
    errs: dict[str, PageError] = {}
    count = 0

    def ready(pid: str) -> None:
        nonlocal count
        count += 1
        exc = futures[pid].exception()
        if exc is not None:
            errs[pid] = page_error(pid, exc, page_names)
            page_log.warning("page %s failed: %s", pid, errs[pid].message)
        if on_progress:
            on_progress(count, len(ids), pid)

    got = gather.gather(futures, on_ready=ready)
    return _assemble(ids, got.done, errs)


def _stamp(entries: Iterable[tuple[tuple, float]]) -> str:
    """A digest of in-memory entries (key, fetched at): equal stamps, equal frames."""
    return hashlib.blake2b(repr(tuple(entries)).encode(), digest_size=16).hexdigest()


def _assemble(ids: list[str], results: Mapping[str, Mapping[str, pd.DataFrame]],
              errs: Mapping[str, PageError]) -> Result:
    names: list[str] = []
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
          page_names: Mapping[str, str] | None = None,
          on_progress: Callable[[int, int, str], None] | None = None, **options: Any) -> Result:
    """One kind of statistics for several pages, every window of every page at once (no store)."""
    return Loader(client).load(kind, page_ids, start, end, page_names=page_names,
                               on_progress=on_progress, **options)


# --- what is stored at which grain -----------------------------------------------------------
#
# "day": frames whose rows each belong to one local day and do not depend on the window that
# asked for them (a day's hourly activity is the same whether asked alone or in a 31-day window).
# They are stored one entry per day and composed for any range; a closed day is fetched once.
# The frame -> its time column:
DAY_GRAIN: dict[tuple[str, bool], dict[str, str]] = {
    ("engagement", True): {"hourly": "hour"},
    ("activity", False): {"hourly": "hour"},
    ("tags", False): {"daily": "date"},
    ("customers", False): {"data": "date"},
    ("customers", True): {"data": "date"},
}
# Everything else is a per-range result that is not a sum of days: engagement's per-staff
# users_engagements, staff totals (weighted response time, reply sessions), ads (reach). Those
# are stored per exact window (the ≤ 31-day windows ``timeutil.split_windows`` gives for the
# asked range, i.e. the very calls a direct fetch makes) as the reshaped, unmerged parts, and
# composed with the kind's own merge: the same parts through the same code as a direct fetch.
# A kind that overrides both ``fetch`` and ``merge`` (none today) is stored for the exact range.

GRAIN_DAY, GRAIN_RANGE = "day", "range"
OPEN_TTL = 300.0          # seconds an entry that includes today is used before asking again
VIEW_DEADLINE = 30.0      # a dashboard view draws what it has after this many seconds
LATE_WAIT = 1.0           # a page already late in this process is waited for this long only


# Variants that make the same call and give the same frames as another (staff's hourly rows
# come with its totals either way): stored once.
SAME_AS: dict[tuple[str, bool], tuple[str, bool]] = {("staff", True): ("staff", False)}


def mode_of(kind: kinds.Kind, hourly: bool) -> str:
    """"day", "window", "window-fetch" or "whole" (see above). DAY_GRAIN is the policy (and
    tests/test_store.py the proof that composing by days equals a direct fetch)."""
    own_merge = type(kind).merge is not kinds.Kind.merge
    if (kind.name, hourly) in DAY_GRAIN:
        return "day"
    if type(kind).fetch is kinds.Kind.fetch:
        return "window"
    if not own_merge:
        return "window-fetch"   # per window through the kind's fetch, merged by keys (identity per window)
    return "whole"


def variant_of(options: Mapping[str, Any], kind: str = "") -> str:
    """The options as a stable string: ``""``, ``"hourly"``, plus any others as sorted JSON."""
    rest = {k: v for k, v in options.items() if k != "hourly" and v is not None}
    hourly = bool(options.get("hourly"))
    hourly = SAME_AS.get((kind, hourly), (kind, hourly))[1]
    text = "hourly" if hourly else ""
    if rest:
        text += ";" + json.dumps(rest, sort_keys=True, default=str)
    return text


# --- the in-memory cache of composed frames -----------------------------------------------------

def frames_nbytes(frames: Mapping[str, pd.DataFrame]) -> int:
    return int(sum(int(f.memory_usage(index=True, deep=True).sum()) for f in frames.values()))


class BoundedLRU:
    """A thread-safe LRU bounded in entries and in bytes (``size_of(value)`` when put), with an
    optional expiry per entry: the least recently used go first, an expired entry is dropped
    when met, and an entry bigger than the whole byte bound is not kept. The frame memo below
    and the conversations page's memory (``ui.conversations_data``) are each one."""

    def __init__(self, max_entries: int, max_bytes: int, *, size_of: Callable[[Any], int],
                 clock: Callable[[], float] = time.time) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._size_of = size_of
        self._clock = clock
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple, tuple[Any, float | None, int]] = OrderedDict()   # value, expires, size
        self.bytes = 0

    def get(self, key: tuple) -> Any:
        """The value, or None (never put, evicted or expired)."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            if item[1] is not None and self._clock() >= item[1]:
                self._drop(key)
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: tuple, value: Any, ttl: float | None = None) -> None:
        """Keep ``value`` (for ``ttl`` seconds; None: until evicted)."""
        size = self._size_of(value)
        if size > self.max_bytes:
            return
        expires = None if ttl is None else self._clock() + ttl
        with self._lock:
            self._drop(key)
            self._items[key] = (value, expires, size)
            self.bytes += size
            while self._items and (len(self._items) > self.max_entries or self.bytes > self.max_bytes):
                self._drop(next(iter(self._items)))

    def discard(self, where: Callable[[tuple, float | None], bool]) -> None:
        """Drop every entry for which ``where(key, expires)`` holds."""
        with self._lock:
            for key in [k for k, v in self._items.items() if where(k, v[1])]:
                self._drop(key)

    def _drop(self, key: tuple) -> None:
        item = self._items.pop(key, None)
        if item is not None:
            self.bytes -= item[2]

    def __len__(self) -> int:
        return len(self._items)


class FrameMemo:
    """A bounded LRU of composed frames (entries and bytes), shared by every session of the
    process. Entries that include today expire after ``ttl``; closed ones stay until evicted.
    Callers get shallow copies: with pandas' copy-on-write a page cannot change the cache."""

    def __init__(self, max_entries: int = 2000, max_bytes: int = 96 * 2**20,
                 clock: Callable[[], float] = time.time) -> None:
        self._lru = BoundedLRU(max_entries, max_bytes, size_of=lambda item: frames_nbytes(item[0]), clock=clock)
        self._counts = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def max_entries(self) -> int:
        return self._lru.max_entries

    @property
    def max_bytes(self) -> int:
        return self._lru.max_bytes

    @property
    def bytes(self) -> int:
        return self._lru.bytes

    def get(self, key: tuple) -> tuple[dict[str, pd.DataFrame], float] | None:
        item = self._lru.get(key)
        with self._counts:
            if item is None:
                self.misses += 1
                return None
            self.hits += 1
        frames, fetched_at = item
        return {n: f.copy(deep=False) for n, f in frames.items()}, fetched_at

    def put(self, key: tuple, frames: dict[str, pd.DataFrame], fetched_at: float, ttl: float | None) -> None:
        self._lru.put(key, ({n: f.copy(deep=False) for n, f in frames.items()}, fetched_at), ttl)

    def clear(self, *, open_only: bool = False) -> None:
        self._lru.discard(lambda _key, expires: not open_only or expires is not None)

    def __len__(self) -> int:
        return len(self._lru)


# --- the loader ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Plan:
    """One load's split of the range, made once and handed to every step: how the kind is stored
    (``mode_of``), under which variant and grain, and the entries the range is made of (its days,
    its ≤ 31-day windows, or the range itself), oldest first."""
    kind: kinds.Kind
    start: date
    end: date
    hourly: bool
    variant: str
    mode: str
    grain: str
    keys: tuple

    @classmethod
    def of(cls, k: kinds.Kind, start: date, end: date, options: Mapping[str, Any]) -> _Plan:
        hourly = bool(options.get("hourly"))
        mode = mode_of(k, hourly)
        if mode == "day":
            keys: tuple = tuple(timeutil.daterange(start, end))
        elif mode == "whole":
            keys = ((start, end),)
        else:
            keys = tuple(timeutil.split_windows(start, end))
        return cls(k, start, end, hourly, variant_of(options, k.name), mode,
                   GRAIN_DAY if mode == "day" else GRAIN_RANGE, keys)


@dataclass
class _Need:
    """What one page needs for one load: the entries in hand and the futures still to come."""
    page_id: str
    blobs: dict[Any, bytes] = field(default_factory=dict)        # day or (a, b) -> stored body
    parts: dict[Any, list] = field(default_factory=dict)         # (a, b) -> parts just fetched
    futures: list[tuple[Future, list]] = field(default_factory=list)  # future, the keys it brings
    fetched: list[tuple[float, bool]] = field(default_factory=list)  # (fetched_at, closed) used
    frames: dict[str, pd.DataFrame] | None = None                 # from the memo

    def windows(self, keys: Iterable[Any]) -> list[dict[str, pa.Table]]:
        """The parts of ``keys`` in order: just fetched, or decoded from their stored bodies."""
        out: list[dict[str, pa.Table]] = []
        for key in keys:
            got = self.parts.get(key)
            out.extend(got if got is not None else _decode_parts(self.blobs[key]))
        return out


def _encode_parts(parts: list[dict[str, Any]]) -> bytes:
    """A window's parts (usually one) as one stored body: frame names prefixed by the part."""
    return codec.encode({f"{i}/{name}": t for i, part in enumerate(parts) for name, t in part.items()})


def _decode_parts(body: bytes) -> list[dict[str, pa.Table]]:
    """:func:`_encode_parts` backwards; a day's body (names without a part) is one part."""
    out: dict[int, dict[str, pa.Table]] = {}
    for key, table in codec.decode_tables(body).items():
        i, sep, name = key.partition("/")
        if not sep:
            i, name = "0", key
        out.setdefault(int(i), {})[name] = table
    return [out[i] for i in sorted(out)] or [{}]


def _in_page_order(frame: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """The rows of the pages in the order of ``ids`` (each page's rows in their own order): as
    the pages' frames concatenated one after another would be."""
    if len(frame) < 2 or "page_id" not in frame.columns:
        return frame
    rank = pd.Index(ids).get_indexer(frame["page_id"])
    rank[rank < 0] = len(ids)          # a row of no page asked (none expected): last
    if (np.diff(rank) >= 0).all():
        return frame
    return frame.take(np.argsort(rank, kind="stable")).reset_index(drop=True)


def _by_page(frames: Mapping[str, pd.DataFrame], ids: list[str]) -> dict[str, dict[str, pd.DataFrame]]:
    """Frames of several pages -> each page's frames (its rows, an empty frame where it has none)."""
    out: dict[str, dict[str, pd.DataFrame]] = {pid: {} for pid in ids}
    for name, frame in frames.items():
        where = frame.groupby("page_id", sort=False).indices if "page_id" in frame.columns else {}
        for pid in ids:
            rows = where.get(pid)
            out[pid][name] = (frame.take(rows).reset_index(drop=True) if rows is not None
                              else frame.iloc[0:0].reset_index(drop=True))
    return out


class Loader:
    """Statistics through the store: what is stored is read, what is missing is fetched (every
    (page, window) call at once, paced per page), composed and remembered.

    ``store`` is a :class:`pancake.data.store.SQLStore` (or None: fetch, never store). ``source``
    names the API in the store (``pancake.data.store.source_key``). ``today`` gives the local date
    that decides which days are closed. Thread-safe; one loader serves every session of a
    configuration, and concurrent loads of the same (page, kind, window) share one fetch.
    """

    def __init__(self, client: PancakeClient, store: Any = None, *, source: str = "",
                 today: Callable[[], date] | None = None, open_ttl: float = OPEN_TTL,
                 memo: FrameMemo | None = None, pool: gather.Pool | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self.store = store
        self.source = source
        self.open_ttl = open_ttl
        self.memo = memo
        self._today = today or (lambda: timeutil.local_today(client.tz))
        self._pool = pool
        self._clock = clock
        self._lock = threading.Lock()
        self._flights = gather.Flights()      # (page, window) calls in flight: one per key
        self._late: dict[str, float] = {}
        self.store_errors = 0
        # a sync (``strict_store``): storing is the point, so a failed write fails its window (the
        # caller stops and says so) instead of going on without the store; the first is kept here
        self.strict_store = False
        self.store_failure: BaseException | None = None

    @property
    def pool(self) -> gather.Pool:
        return self._pool or gather.pool()

    def today(self) -> date:
        return self._today()

    # -- public -------------------------------------------------------------------------------
    def load(self, kind: str, page_ids: Iterable[str], start: date, end: date, *,
             page_names: Mapping[str, str] | None = None, deadline: float | None = None,
             on_progress: Callable[[int, int, str], None] | None = None, keep_partial: bool = False,
             waiter: Waiter | None = None, tally: Tally | None = None, **options: Any) -> Result:
        """One kind for several pages over [start, end] -> :class:`Result`. With ``deadline``
        (seconds), pages still loading then are returned as ``PageError(kind="timeout")``; their
        calls go on and land in the store for the next load.

        A page some of whose windows failed is an error either way (the windows that came back
        are stored). With ``keep_partial`` its rows of the windows that came back are in the
        frames too, and its ``PageError.missing`` names the days it lacks (the CLI writes what
        was fetched); such a page is not in ``pages_ok``.

        ``waiter`` (a session's run): once it is gone the load raises :class:`Abandoned` instead of
        waiting on, and its queued calls that no live waiter shares go behind the others'.
        ``tally`` (a view's one progress indicator) counts this load's calls and pages with the
        view's other loads, and is refreshed while the load waits."""
        k = kinds.get(kind)  # an unknown kind fails here, before any call
        if end < start:
            raise ValueError(f"the range ends ({end}) before it starts ({start})")
        if options.get("hourly") and not k.hourly:
            raise ValueError(f"{k.name} has no hourly variant")
        ids = list(dict.fromkeys(str(p) for p in page_ids))
        until = options.pop("until", None)
        if until is not None:
            k.check_cut(until)
            return self._load_until(k, ids, start, end, until, page_names=page_names, deadline=deadline,
                                    on_progress=on_progress, waiter=waiter, tally=tally, **options)
        t0 = time.monotonic()
        plan = _Plan.of(k, start, end, options)
        needs = self._plan(plan, ids, options, waiter, tally)
        return self._collect(plan, needs, ids, t0, deadline, page_names, on_progress, keep_partial=keep_partial,
                             waiter=waiter, tally=tally)

    def prefetch(self, kind: str, page_ids: Iterable[str], start: date, end: date, *,
                 waiter: Waiter | None = None, tally: Tally | None = None,
                 after: Iterable[Future] = (), **options: Any) -> None:
        """Start every call a later ``load`` of the same will need, without waiting for them
        (a view can prefetch all its kinds at once, then load them one by one); ``tally``
        counts them. With ``after``, they start when those futures are done (a view's first
        kinds answered: their work is not shared with the kinds asked after them)."""
        left = [f for f in after if not f.done()]
        if left:
            count, lock = [len(left)], threading.Lock()

            def one_done(_f: Future) -> None:
                with lock:
                    count[0] -= 1
                    go = count[0] == 0
                if go:
                    try:
                        self.prefetch(kind, page_ids, start, end, waiter=waiter, tally=tally, **options)
                    except Exception as exc:  # noqa: BLE001 - the load asks again and says why
                        log.warning("prefetch of %s failed: %s", kind, redact(str(exc)))
            page_ids = list(page_ids)
            for f in left:
                f.add_done_callback(one_done)
            return
        k = kinds.get(kind)
        if end < start or (options.get("hourly") and not k.hourly):
            return
        if options.pop("until", None) is not None:   # the closed days; the cut day is asked by load
            if start == end or not k.cuts_by_time:
                return
            end = end - timedelta(days=1)
        self._plan(_Plan.of(k, start, end, options), list(dict.fromkeys(str(p) for p in page_ids)), options, waiter,
                   tally)

    # -- a range whose last day ends early ------------------------------------------------------
    def _load_until(self, k: kinds.Kind, ids: list[str], start: date, end: date, until: dt_time, *,
                    page_names: Mapping[str, str] | None, deadline: float | None,
                    on_progress: Callable[[int, int, str], None] | None, waiter: Waiter | None = None,
                    tally: Tally | None = None, **options: Any) -> Result:
        """[start, end] with ``end`` cut at ``until`` (local time): the same hours of a previous
        period, to compare a partial today with. The whole days come through the store like any
        load; the cut day is asked of the API (it is never a closed day, so never stored) and
        kept in memory for the open-entry TTL under its cut time. The two are merged by the
        kind's own window merge, as two windows of one range; a page that failed either part
        is left out of both. A cut day late at the deadline goes on and is kept when it comes."""
        t0 = time.monotonic()
        whole = (self.load(k.name, ids, start, end - timedelta(days=1), page_names=page_names,
                           deadline=deadline, waiter=waiter, tally=tally, **options) if start < end else None)
        hourly = bool(options.get("hourly"))
        variant = variant_of(options, k.name) + "@" + until.isoformat()
        results: dict[str, dict[str, pd.DataFrame]] = {}
        errs: dict[str, PageError] = {e.page_id: e for e in (whole.errors if whole else [])}
        futures: dict[str, Future] = {}
        fetched: list[tuple[float, bool]] = []
        cut_at: dict[str, float] = {}     # when each page's cut day was fetched (its memo entry's)
        for pid in ids:
            if pid in errs:
                continue
            key = self._memo_key(k, pid, end, end, variant)
            hit = self.memo.get(key) if self.memo else None
            if hit is not None:
                results[pid] = hit[0]
                fetched.append((hit[1], False))
                cut_at[pid] = hit[1]
                continue

            def task(pid: str = pid, key: tuple = key) -> tuple[dict[str, pd.DataFrame], float]:
                at = self._clock()
                frames = fetch_page(self.client, k.name, pid, end, end, until=until, **options)
                if self.memo is not None:     # kept even when it comes after the deadline
                    self.memo.put(key, frames, at, self.open_ttl)
                return frames, at
            futures[pid] = self.pool.submit(pid, task, None if waiter is None else waiter.live)
            if tally is not None:
                tally.add(pid, futures[pid])
        got = gather.gather(futures, deadline, started=t0, waiter=waiter,
                            on_wake=None if tally is None else tally.refresh)
        if tally is not None:
            tally.refresh()
        for pid in got.late:
            errs[pid] = late_error(pid, k.endpoint, time.monotonic() - t0, page_names)
        for pid, exc in got.failed.items():
            errs[pid] = page_error(pid, exc, page_names)
        for pid, (frames, at) in got.done.items():
            results[pid] = frames
            fetched.append((at, False))
            cut_at[pid] = at
        for done, pid in enumerate(ids, start=1):
            if on_progress:
                on_progress(done, len(ids), pid)
        ok = [p for p in ids if p in results and p not in errs]
        with kinds.CPU_TURN:
            cut = _assemble([p for p in ids if p in ok], results, {}).frames
            before = _only_pages(whole.frames, ok) if whole is not None else None
            if before is None:
                frames = cut
            elif not ok:    # no page answered both parts: nothing to merge (the frames, empty)
                frames = before
            else:           # two windows of one range, each with every frame (an absent one empty)
                parts = [{n: p.get(n, q[n].iloc[0:0]) for n in {**before, **cut}}
                         for p, q in ((before, cut), (cut, before))]
                frames = k.merge(parts, hourly=hourly)
        result = Result(frames=frames, errors=[errs[p] for p in ids if p in errs], pages_ok=ok)
        if whole is not None:
            fetched.append((whole.fetched_at.timestamp(), True))
        result.fetched_at = _fetched_at_of(fetched, self._clock())
        if self.memo is not None and not errs and (whole is None or whole.stamp is not None):
            result.stamp = _stamp([(("whole", whole.stamp if whole else None), 0.0),
                                   *((self._memo_key(k, pid, end, end, variant), cut_at[pid]) for pid in ids)])
        return result

    # -- planning -------------------------------------------------------------------------------
    def _memo_key(self, k: kinds.Kind, pid: str, start: date, end: date, variant: str) -> tuple:
        return (self.source, k.name, variant, pid, start, end)

    def _plan(self, plan: _Plan, ids: list[str], options: Mapping[str, Any],
              waiter: Waiter | None = None, tally: Tally | None = None) -> dict[str, _Need]:
        k, start, end = plan.kind, plan.start, plan.end
        today = self.today()
        now = self._clock()
        needs = {pid: _Need(pid) for pid in ids}
        todo = []
        for pid in ids:
            hit = self.memo.get(self._memo_key(k, pid, start, end, plan.variant)) if self.memo else None
            if hit is not None:
                needs[pid].frames = hit[0]
                needs[pid].fetched.append((hit[1], end < today))
            else:
                todo.append(pid)
        if not todo:
            return needs
        # keys another load is already fetching: wait for that fetch (single flight). Looked up
        # before the store is read as well as after: a fetch that lands between the store read and
        # the second look has already left the flights, and is found in the store instead.
        waiting_of: dict[str, dict[int, tuple[Future, list]]] = {pid: {} for pid in todo}

        def join(pid: str, keys: Iterable[Any]) -> list:
            """Wait for the keys in flight (under the flights' lock); the others, in order."""
            rest = []
            for key in keys:
                fut = self._flights.get(self._flight_key(plan, pid, key))
                if fut is None:
                    rest.append(key)
                    continue
                if id(fut) not in waiting_of[pid]:
                    fut.waiters.append(waiter)
                waiting_of[pid].setdefault(id(fut), (fut, []))[1].append(key)
            return rest
        with self._flights.lock:
            unjoined = {pid: join(pid, plan.keys) for pid in todo}
        stored = self._stored(plan, todo, plan.keys, now)
        tasks: list[tuple[str, list, Future]] = []
        for pid in todo:
            need = needs[pid]
            have = stored.get(pid, {})
            missing = []
            for key in unjoined[pid]:
                if key in have:
                    need.blobs[key] = have[key].body
                    need.fetched.append((have[key].fetched_at, have[key].closed))
                else:
                    missing.append(key)
            with self._flights.lock:
                fresh = join(pid, missing)
                need.futures.extend(waiting_of[pid].values())
                for group in self._groups(plan.mode, fresh):
                    fut = gather.Shared()
                    fut.waiters.append(waiter)
                    self._flights.put([self._flight_key(plan, pid, key) for key in group], fut)
                    need.futures.append((fut, group))
                    tasks.append((pid, group, fut))
            if tally is not None:
                for fut, _ in need.futures:
                    tally.add(pid, fut)
        # window-major order: every page's first window before anyone's second
        tasks.sort(key=lambda t: (t[1][0][0] if isinstance(t[1][0], tuple) else t[1][0]))
        # The tasks wait at a gate until all of them are handed out. Handing one out may start a
        # thread, and Thread.start waits until the new thread runs: with the earlier tasks already
        # busy, every start would wait its turn for the GIL (~2 ms each), delaying the last calls.
        gate = threading.Event()
        try:
            for pid, group, fut in tasks:
                self._submit(plan, pid, group, fut, options, gate)
        finally:
            gate.set()
        return needs

    def _flight_key(self, plan: _Plan, pid: str, key: Any) -> tuple:
        return (self.source, plan.kind.name, plan.variant, plan.grain, pid, key)

    @staticmethod
    def _groups(mode: str, fresh: list) -> list[list]:
        """Missing keys -> the calls to make: per window, or runs of missing days cut into
        ≤ 31-day calls."""
        if mode != "day":
            return [[key] for key in fresh]
        out: list[list] = []
        run: list[date] = []
        for d in sorted(fresh):
            if run and (d - run[-1]).days == 1 and len(run) < timeutil.MAX_STATS_WINDOW_DAYS:
                run.append(d)
            else:
                if run:
                    out.append(run)
                run = [d]
        if run:
            out.append(run)
        return out

    def _stored(self, plan: _Plan, ids: list[str], keys: Sequence[Any], now: float) -> dict[str, dict[Any, Any]]:
        """The usable stored entries per page: closed ones, and open ones younger than the TTL."""
        if self.store is None or not keys:
            return {}
        day = plan.grain == GRAIN_DAY
        first = keys[0] if day else keys[0][0]
        last = keys[-1] if day else keys[-1][0]
        wanted = set(keys)
        try:
            entries = self.store.get(self.source, plan.kind.name, plan.variant, plan.grain, ids, first, last)
        except Exception as exc:  # noqa: BLE001 - a broken store means fetching, never failing
            self._store_failed("read", exc)
            return {}
        out: dict[str, dict[Any, Any]] = {}
        for e in entries:
            key = e.start if day and e.start == e.end else (e.start, e.end)
            if key not in wanted or not codec.readable(e.body):   # another layout: fetched again
                continue
            if e.closed or now - e.fetched_at < self.open_ttl:
                out.setdefault(e.page_id, {})[key] = e
        return out

    def _store_failed(self, what: str, exc: BaseException) -> None:
        self.store_errors += 1
        log.warning("statistics store %s failed (%s); going on without it", what, redact(str(exc)))

    # -- fetching ---------------------------------------------------------------------------------
    def _submit(self, plan: _Plan, pid: str, group: list, fut: gather.Shared, options: Mapping[str, Any],
                gate: threading.Event | None = None) -> None:
        def task() -> dict[Any, tuple]:
            if gate is not None:
                gate.wait()
            return self._fetch(plan, pid, group, options)

        def done(inner: Future) -> None:
            if inner.exception() is None:
                with self._lock:
                    self._late.pop(pid, None)
            exc = inner.exception()
            if exc is not None:
                fut.set_exception(exc)
            else:
                fut.set_result(inner.result())

        self.pool.submit(pid, task, fut.wanted).add_done_callback(done)

    def _fetch(self, plan: _Plan, pid: str, group: list,
               options: Mapping[str, Any]) -> dict[Any, tuple[bytes, float, bool, list | None]]:
        """One call (one window) for one page -> {key: (body, fetched_at, closed, parts or None)},
        stored. The parts just reshaped come along, so composing them needs no decoding."""
        if self.store_failure is not None:   # strict: after the first failed write, no more calls
            raise StoreError(f"not fetched: the store failed ({redact(str(self.store_failure))})")
        k, mode = plan.kind, plan.mode
        today = self.today()            # before the call: a day that ends during it stays open
        fetched_at = self._clock()
        opts = dict(options)
        if mode == "day":
            a, b = group[0], group[-1]
            # another process may have stored these days meanwhile
            again = self._stored(plan, [pid], group, fetched_at).get(pid, {})
            if len(again) == len(group):
                return {d: (e.body, e.fetched_at, e.closed, None) for d, e in again.items()}
            frames = fetch_page(self.client, k.name, pid, a, b, **opts)
            with kinds.CPU_TURN:
                blobs = codec.split_by_day(frames, DAY_GRAIN[(k.name, plan.hourly)], list(group))
            out = {d: (body, fetched_at, d < today, None) for d, body in blobs.items()}
        else:
            (a, b), = group
            again = self._stored(plan, [pid], [(a, b)], fetched_at).get(pid, {})
            if (a, b) in again:
                e = again[(a, b)]
                return {(a, b): (e.body, e.fetched_at, e.closed, None)}
            if mode == "window":
                parts = fetch_page(self.client, k.name, pid, a, b, parts=True, **opts)
            else:   # "window-fetch" and "whole": the kind's own fetch over the window or range
                frames = fetch_page(self.client, k.name, pid, a, b, **opts)
                with kinds.CPU_TURN:
                    parts = [{n: reshape.from_frame(f) for n, f in frames.items()}]
            with kinds.CPU_TURN:
                body = _encode_parts(parts)
            out = {(a, b): (body, fetched_at, b < today, parts)}
        if self.store is not None:
            try:
                self.store.put(self.source, k.name, plan.variant, plan.grain, pid,
                               [((key, key) if mode == "day" else key) + (closed, body)
                                for key, (body, _, closed, _) in out.items()], fetched_at)
            except Exception as exc:  # noqa: BLE001
                if self.strict_store:
                    with self._lock:
                        self.store_failure = self.store_failure or exc
                    raise
                self._store_failed("write", exc)
        return out

    # -- collecting --------------------------------------------------------------------------------
    def _collect(self, plan: _Plan, needs: dict[str, _Need], ids: list[str], t0: float, deadline: float | None,
                 page_names: Mapping[str, str] | None,
                 on_progress: Callable[[int, int, str], None] | None, *, keep_partial: bool = False,
                 waiter: Waiter | None = None, tally: Tally | None = None) -> Result:
        k = plan.kind
        today = self.today()
        memo_frames: dict[str, dict[str, pd.DataFrame]] = {}
        windows: dict[str, list[dict[str, pa.Table]]] = {}     # the pages to assemble: their parts
        partial: set[str] = set()
        errs: dict[str, PageError] = {}
        total = len(ids)
        done_count = 0

        def finish(pid: str) -> None:
            nonlocal done_count
            done_count += 1
            if on_progress:
                on_progress(done_count, total, pid)

        def settle(pid: str) -> None:
            need = needs[pid]
            try:
                failed: list[tuple[list, BaseException]] = []
                for fut, keys in need.futures:
                    if fut.exception() is not None:
                        failed.append((keys, fut.exception()))
                        continue
                    got = fut.result()
                    for key in keys:
                        body, fetched_at, closed, parts = got[key]
                        need.blobs[key] = body
                        if parts is not None:
                            need.parts[key] = parts
                        need.fetched.append((fetched_at, closed))
                if failed:
                    windows[pid] = self._settle_partial(plan, need, failed, keep_partial, page_names, errs)
                    partial.add(pid)
                elif need.frames is not None:
                    memo_frames[pid] = need.frames
                else:
                    with kinds.CPU_TURN:
                        windows[pid] = need.windows(plan.keys)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a page error
                errs[pid] = page_error(pid, exc, page_names)
            if pid in errs:
                page_log.warning("page %s failed: %s", pid, errs[pid].message)
            finish(pid)

        # pages already complete first, then as their calls come back; a page already late in
        # this process (its calls still going) is waited for LATE_WAIT only
        with self._lock:
            late_before = {pid for pid in ids if pid in self._late}
        limits = {pid: min(deadline, LATE_WAIT) for pid in late_before} if deadline is not None else {}

        def late(pid: str, waited: float) -> None:
            errs[pid] = late_error(pid, k.endpoint, waited, page_names)
            with self._lock:
                self._late[pid] = time.monotonic()
            finish(pid)

        gather.gather({pid: [f for f, _ in needs[pid].futures] for pid in ids}, deadline, limits=limits,
                      started=t0, on_ready=settle, on_late=late, waiter=waiter,
                      on_wake=None if tally is None else tally.refresh)
        if tally is not None:
            tally.refresh()
        with kinds.CPU_TURN:
            result = self._result(plan, ids, needs, windows, memo_frames, partial, errs, today)
        used = [t for pid in result.pages_ok + sorted(partial) for t in needs[pid].fetched]
        result.fetched_at = _fetched_at_of(used, self._clock())
        return result

    def _result(self, plan: _Plan, ids: list[str], needs: dict[str, _Need], windows: dict[str, list],
                memo_frames: dict[str, dict], partial: set[str], errs: dict[str, PageError], today: date) -> Result:
        """One frame per name of every page's windows at once (one conversion, one merge); with a
        memo, each page's own frames are kept there (and a result with pages from it is made of
        the pages' frames)."""
        order = [pid for pid in ids if pid in windows]
        frames = plan.kind.assemble([windows[pid] for pid in order], hourly=plan.hourly,
                                    merge=plan.mode not in ("day", "whole")) if order else {}
        frames = {n: _in_page_order(f, order) for n, f in frames.items()}
        ok = [pid for pid in ids if (pid in windows or pid in memo_frames) and pid not in errs]
        if self.memo is None and not memo_frames:
            return Result(frames=frames, errors=[errs[p] for p in ids if p in errs], pages_ok=ok)
        per_page = {**_by_page(frames, order), **memo_frames}
        if self.memo is not None:
            for pid in order:
                if pid not in partial:
                    self.memo.put(self._memo_key(plan.kind, pid, plan.start, plan.end, plan.variant), per_page[pid],
                                  self._fetched_at(needs[pid]), None if plan.end < today else self.open_ttl)
        result = _assemble(ids, per_page, errs)
        result.pages_ok = ok
        if self.memo is not None and not errs and not partial:
            result.stamp = _stamp((self._memo_key(plan.kind, pid, plan.start, plan.end, plan.variant),
                                   self._fetched_at(needs[pid])) for pid in ids)
        return result

    def _settle_partial(self, plan: _Plan, need: _Need, failed: list[tuple[list, BaseException]],
                        keep_partial: bool, page_names: Mapping[str, str] | None,
                        errs: dict[str, PageError]) -> list[dict[str, pa.Table]]:
        """A page some of whose calls failed: a PageError naming the days it lacks and why, and
        (``keep_partial``) the parts of the windows that came back. Never put in the memo."""
        pid = need.page_id
        first = failed[0][1]
        if plan.mode == "whole" or not keep_partial:
            raise first
        lost: list[date] = []
        for keys, _ in failed:
            for key in keys:
                lost.extend(timeutil.daterange(*key) if isinstance(key, tuple) else [key])
        missing = tuple(day_runs(lost))
        have = [key for key in plan.keys if key in need.blobs]
        if not have:   # nothing came back: the page failed, as a page
            raise first
        base = page_error(pid, first, page_names)
        others = len({type(e).__name__ + str(e) for _, e in failed}) - 1
        message = (f"{plan.kind.endpoint}: no data for {runs_text(missing)} ({base.message}"
                   + (f"; and {others} other failure(s)" if others > 0 else "") + "); the other days are kept")
        errs[pid] = PageError(pid, base.page_name, base.kind, message, missing=missing)
        with kinds.CPU_TURN:
            return need.windows(have)

    def _fetched_at(self, need: _Need) -> float:
        return _fetched_at_of(need.fetched, self._clock()).timestamp()


def _only_pages(frames: Mapping[str, pd.DataFrame], page_ids: list[str]) -> dict[str, pd.DataFrame]:
    """The frames' rows of ``page_ids`` (every statistics frame has a ``page_id`` column)."""
    keep = set(page_ids)
    return {n: (f[f["page_id"].astype(str).isin(keep)].reset_index(drop=True) if "page_id" in f.columns else f)
            for n, f in frames.items()}


def _fetched_at_of(used: list[tuple[float, bool]], now: float) -> datetime:
    """When the data on screen was fetched: the oldest open entry (it may have moved since);
    for closed data only, the newest fetch."""
    open_times = [t for t, closed in used if not closed]
    if open_times:
        ts = min(open_times)
    elif used:
        ts = max(t for t, _ in used)
    else:
        ts = now
    return datetime.fromtimestamp(ts, UTC)


def multi_page_users(client: PancakeClient, page_ids: list[str], start: date, end: date) -> Result:
    """The user API's staff statistics across several pages at once (needs the user token)."""
    key = ",".join(page_ids)
    try:
        chunks = client.multi_page_user_stats(page_ids, start, end)
        staff = kinds.get("staff")
        frames = staff.assemble([[staff.reshape(c, key, hourly=False) for c in chunks]], hourly=False)
        return Result(frames=frames, pages_ok=list(page_ids))
    except Exception as exc:  # noqa: BLE001
        return Result(frames={}, errors=[page_error(key, exc, {key: key})])


def list_pages(client: PancakeClient, configured: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Pages the user token sees; without a user token, the pages that have a page token."""
    if client.has_user_token:
        return reshape.pages_frame(client.list_pages())
    ids = list(configured or {})
    return reshape.pages_frame([{"id": pid, "name": pid, "platform": None} for pid in ids])


TOKEN_CHECK_DEADLINE = 10.0   # seconds Settings waits for the token checks, all pages at once


def token_status(client: PancakeClient, page_ids: Iterable[str],
                 page_names: Mapping[str, str] | None = None, *,
                 deadline: float = TOKEN_CHECK_DEADLINE) -> pd.DataFrame:
    """Whether each page's token works right now; never the token itself. Every page is checked
    at once; a page with no answer within ``deadline`` seconds is "unreachable", not a bad token.
    Columns: ``page_id, name, ok, message, reason`` (``ok`` | ``token`` | ``unreachable`` |
    ``error``: see ``PancakeClient.token_check``)."""
    ids = list(dict.fromkeys(str(p) for p in page_ids))
    rows: dict[str, tuple[bool, str, str]] = {}
    lane = ("token-check", object())      # this check's own lane: up to 32 pages at once
    futures = {pid: gather.pool().submit(lane, lambda pid=pid: client.token_check(pid), limit=32) for pid in ids}
    got = gather.gather(futures, deadline)
    for pid in got.late:
        futures[pid].cancel()             # one still queued is not asked any more
        rows[pid] = (False, f"page {pid}: no answer within {deadline:g} s (is the API reachable?)", "unreachable")
    for pid, exc in got.failed.items():
        rows[pid] = (False, redact(f"{type(exc).__name__}: {exc}"), "error")
    rows.update(got.done)
    return pd.DataFrame({
        "page_id": pd.Series(ids, dtype="str"),
        "name": pd.Series([(page_names or {}).get(p, p) for p in ids], dtype="str"),
        "ok": pd.Series([rows[p][0] for p in ids], dtype="bool"),
        "message": pd.Series([redact(rows[p][1]) for p in ids], dtype="str"),
        "reason": pd.Series([rows[p][2] for p in ids], dtype="str"),
    })

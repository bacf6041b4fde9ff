"""Each conversation's messages for the response times, within the rate limit. No Streamlit; the
pure turns and figures are ``pancake.numbers.replies``, the conversations come through the public
functions of ``pancake.data.conversations``.

Messages come 30 a call, newest first (``current_count`` pages backwards). The store keeps
each conversation's messages (``pancake_messages``) with the conversation's ``updated_at``
when they were read:
- a conversation whose ``updated_at`` has not moved is never asked again;
- one that moved is asked from its newest message backwards, and only until a message already
  kept (or the first message: a batch shorter than 30);
- a page's conversations are asked ``PAGE_CALLS_AT_ONCE`` at a time; the client paces every
  page to its limit (5 calls a second, as the server counts them), pages run side by side.

The dashboard reads what the store has (``kept``), fetches the rest in the background
(``fill_in_background``), and says "computed over N of M conversations" until it is complete.
"""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from pancake.api.client import PancakeClient
from pancake.data import conversations as dc
from pancake.data import gather
from pancake.data.core import BoundedLRU, PageError, page_error
from pancake.numbers import conversations as conv
from pancake.numbers import replies
from pancake.numbers.hours import Hours

MESSAGES_PER_CALL = 30
PAGE_CALLS_AT_ONCE = 5          # one page's conversations asked at once (the client paces them)
PAGE_WORKERS = 24               # pages at once
MAX_CALLS_PER_CONVERSATION = 40  # 1,200 messages: older ones are not needed for a range's turns
_FROM_KEYS = ("id", "admin_id", "uid", "admin_name", "is_automated", "ai_generated")

Progress = Callable[[int, int], None]


def slim(message: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the turns need (never the texts: the store keeps no customer's words)."""
    frm = message.get("from") if isinstance(message.get("from"), Mapping) else {}
    out: dict[str, Any] = {"id": message.get("id"), "inserted_at": message.get("inserted_at"),
                           "from": {k: frm.get(k) for k in _FROM_KEYS if frm.get(k) is not None}}
    for k in ("is_automated", "ai_generated"):
        if message.get(k) is not None:
            out[k] = message.get(k)
    return out


def _stamp(value: Any) -> str:
    """A conversation's ``updated_at`` as the store keeps it ("" when unknown: always asked)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return pd.Timestamp(value).isoformat()


def conversation_messages(client: PancakeClient, page_id: str, conversation_id: str, customer_id: str,
                          kept: list[dict] | None = None) -> tuple[list[dict], int]:
    """A conversation's messages (slim, newest first) and the calls made: walking back 30 at a
    time from the newest, stopping at a message already ``kept`` (the rest is taken from it) or
    at the first message."""
    known = {str(m.get("id")) for m in kept or []}
    got: list[dict] = []
    seen: set[str] = set()
    calls = 0
    count: int | None = None
    reached = False
    while calls < MAX_CALLS_PER_CONVERSATION:
        body = client.messages(page_id, conversation_id, customer_id, current_count=count)
        calls += 1
        batch = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        new = [m for m in batch if str(m.get("id")) not in seen]
        for m in new:
            seen.add(str(m.get("id")))
            if str(m.get("id")) in known:
                reached = True
            else:
                got.append(slim(m))
        if reached or len(batch) < MESSAGES_PER_CALL or not new:
            break
        count = len(seen)
    if reached:
        got += list(kept or [])      # newer first: what was fetched is newer than what was kept
    out, ids = [], set()
    for m in got:
        if str(m.get("id")) not in ids:
            ids.add(str(m.get("id")))
            out.append(m)
    return out, calls


@dataclass
class PageFill:
    page_id: str
    asked: int = 0          # conversations asked again (their updated_at moved, or never kept)
    calls: int = 0
    kept: int = 0           # conversations already current in the store
    error: PageError | None = None


def _targets(convs: pd.DataFrame) -> list[tuple[str, str, str]]:
    return [(str(r.conversation_id), str(r.customer_id), _stamp(r.updated_at))
            for r in convs[["conversation_id", "customer_id", "updated_at"]].itertuples(index=False)]


def fill_page(client: PancakeClient, store: Any, source: str, page_id: str, convs: pd.DataFrame, *,
              at_once: int = PAGE_CALLS_AT_ONCE, page_names: Mapping[str, str] | None = None,
              clock: Callable[[], float] = time.time) -> PageFill:
    """Bring one page's ``convs`` (rows of the conversations frame) up to date in the store."""
    fill = PageFill(page_id)
    items = _targets(convs)
    stamps = store.messages_stamps(source, page_id, [c for c, _, _ in items])
    todo = [(c, cust, upd) for c, cust, upd in items if not upd or stamps.get(c, "") != upd]
    fill.kept = len(items) - len(todo)
    if not todo:
        return fill
    # the bodies of the conversations that moved only (asked back to their newest kept message)
    stored = store.messages_get(source, page_id, [c for c, _, _ in todo if c in stamps])

    def one(item: tuple[str, str, str]) -> tuple[str, str, list[dict], int]:
        cid, cust, upd = item
        before = json.loads(stored[cid][1]) if cid in stored else None
        msgs, calls = conversation_messages(client, page_id, cid, cust, before)
        return cid, upd, msgs, calls

    rows = []
    lock = threading.Lock()
    try:
        for cid, upd, msgs, calls in gather.pool().map(("messages", page_id), one, todo, limit=max(1, at_once)):
            with lock:
                fill.asked += 1
                fill.calls += calls
                rows.append((cid, upd, len(msgs), json.dumps(msgs, ensure_ascii=False, separators=(",", ":"))))
            if len(rows) >= 50:     # kept as it goes: an interrupted fill resumes
                store.messages_put(source, page_id, rows, clock())
                rows = []
    except Exception as exc:  # noqa: BLE001 - a failing page never blanks the others
        fill.error = page_error(page_id, exc, page_names)
    store.messages_put(source, page_id, rows, clock())
    return fill


@dataclass
class Fill:
    pages: list[PageFill] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return sum(p.calls for p in self.pages)

    @property
    def asked(self) -> int:
        return sum(p.asked for p in self.pages)

    @property
    def errors(self) -> list[PageError]:
        return [p.error for p in self.pages if p.error is not None]


def fill(client: PancakeClient, store: Any, source: str, conversations: pd.DataFrame, *,
         page_names: Mapping[str, str] | None = None, workers: int = PAGE_WORKERS,
         at_once: int = PAGE_CALLS_AT_ONCE, on_progress: Progress | None = None) -> Fill:
    """Every page's conversations brought up to date in the store, pages side by side."""
    out = Fill()
    if conversations is None or conversations.empty:
        return out
    groups = [(str(p), part) for p, part in conversations.groupby("page_id", sort=True)]
    lane = ("fill", object())        # this fill's own lane: ``workers`` pages at once
    futures = {pid: gather.pool().submit(lane, lambda pid=pid, part=part: fill_page(
        client, store, source, pid, part, at_once=at_once, page_names=page_names), limit=max(1, workers))
        for pid, part in groups}
    done = 0

    def ready(_pid: str) -> None:
        nonlocal done
        done += 1
        if on_progress is not None:
            on_progress(done, len(groups))
    got = gather.gather(futures, on_ready=ready)
    for pid, _ in groups:
        if pid in got.failed:
            raise got.failed[pid]
        out.pages.append(got.done[pid])
    return out


@dataclass
class Kept:
    """What the store has for a set of conversations: the messages frame of those kept current
    (``replies.message_frame``; None from ``kept_turns``, which keeps only their turns), how many of how many."""
    messages: pd.DataFrame | None
    complete: int
    total: int
    missing: pd.DataFrame      # the conversations still to fetch

    @property
    def is_complete(self) -> bool:
        return self.complete >= self.total


# Each page's messages frame over what the store has, shared by every run and session of the
# process (issue 20: ten viewers of the Staff page each read and parsed every stored body: ~100 MB
# of JSON per run while the background fill went on). One entry per (source, page, bots): the
# frame and the stamp of each conversation in it; a run reads and parses only the bodies of the
# conversations that are current now and not in it (or whose stamp moved), and drops the rows of
# those no longer asked. A kept (conversation, updated_at) body never changes (the fill writes
# a conversation again only when its updated_at moved). Bounded in entries and bytes.
MESSAGES_MEMO_ENTRIES = 96
MESSAGES_MEMO_BYTES = 32 * 2**20


def _frame_bytes(entry: tuple[dict[str, str], pd.DataFrame] | pd.DataFrame) -> int:
    frame = entry[1] if isinstance(entry, tuple) else entry
    return int(frame.memory_usage(deep=True).sum())


MESSAGES_MEMO = BoundedLRU(MESSAGES_MEMO_ENTRIES, MESSAGES_MEMO_BYTES, size_of=_frame_bytes, clock=time.monotonic)


def _page_messages(store: Any, source: str, page_id: str, current: Mapping[str, str], bots: tuple[str, ...],
                   memo: BoundedLRU | None) -> pd.DataFrame:
    """The messages frame of a page's ``current`` conversations ({id: updated_at} kept)."""
    key = ("messages", source, page_id, bots)
    stamps, frame = (memo.get(key) if memo is not None else None) or ({}, None)
    same = {c for c, upd in stamps.items() if current.get(c) == upd}
    new = [c for c in current if c not in same]
    if frame is not None and not new and len(same) == len(stamps):
        return frame
    parts = []
    if frame is not None and same:
        parts.append(frame if len(same) == len(stamps) else frame[frame["conversation_id"].isin(same)])
    if new or not parts:
        stored = store.messages_get(source, page_id, new)
        got = [c for c in new if c in stored and stored[c][0] == current[c]]   # moved meanwhile: next run
        parts.append(replies.messages_frame([(page_id, c, json.loads(stored[c][1])) for c in got], bots=bots))
        same |= set(got)
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    if memo is not None:
        memo.put(key, ({c: current[c] for c in same}, frame))
    return frame


def _current(store: Any, source: str, conversations: pd.DataFrame | None,
             missing: list[pd.DataFrame]) -> Iterator[tuple[str, pd.DataFrame, dict[str, str]]]:
    """Per page: ``(page id, its conversations, {conversation id: updated_at})`` of those whose
    stored messages are current (their ``updated_at`` has not moved); the others go to ``missing``."""
    if conversations is None or conversations.empty:
        return
    for pid, part in conversations.groupby("page_id", sort=True):
        items = _targets(part)
        stamps = store.messages_stamps(source, str(pid), [c for c, _, _ in items])
        current = {c: upd for c, _, upd in items if upd and stamps.get(c, "") == upd}
        missing.append(part[~part["conversation_id"].astype("str").isin(set(current))])
        if current:
            yield str(pid), part, current


def kept(store: Any, source: str, conversations: pd.DataFrame, bots: Iterable[str] = (), *,
         memo: BoundedLRU | None = MESSAGES_MEMO) -> Kept:
    """The messages the store has for ``conversations`` whose ``updated_at`` has not moved
    (each page's frame kept in ``memo``: only what changed since is read and parsed)."""
    bots = tuple(bots)
    frames, complete, missing = [], 0, []
    for pid, _part, current in _current(store, source, conversations, missing):
        complete += len(current)
        frames.append(_page_messages(store, source, pid, current, bots, memo))
    frame = (pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0] if frames
             else replies.messages_frame([], bots=bots))
    if missing:
        miss = pd.concat(missing, ignore_index=True)
    else:
        miss = conversations.iloc[0:0] if conversations is not None else pd.DataFrame()
    return Kept(frame, complete, 0 if conversations is None else len(conversations), miss)


# Each page's turns over what the store has, shared by every run and session of the process
# (issue 20: the Staff page of ten viewers computed every turn of 24 pages' messages again on
# each run while the fill went on, and kept the messages: 1.2 GB). One entry per (source, page,
# opening hours): the turns of every conversation computed so far and the ``updated_at`` each was
# computed at. A run reads and parses only the bodies of the conversations new or moved since,
# computes their turns and lets their messages go; the waiting turns are brought to the run's
# ``now`` (``replies.at_now``). Bounded in bytes (the frames' own size), not in counts of rows.
TURNS_MEMO_ENTRIES = 256
TURNS_MEMO_BYTES = 96 * 2**20
_STAMP_BYTES = 200        # a conversation's id and stamp in an entry's dict, roughly


# the turns' repeated texts kept as categories in the memo (a page's 300,000 turns: 101 MB as
# texts, under half of it so); back to texts (``replies.typed_turns``) when a run takes them
_REPEATED = ("page_id", "conversation_id", "customer_id", "type", "tags", "replied_by_id", "replied_by")


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({c: "category" for c in _REPEATED})


PARSE_AT_ONCE = 2000      # conversations whose stored messages are parsed together (a page's first run)


def _united(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Compact turns frames as one, still compact: each repeated column's categories united and
    sorted (their codes then sort as the texts do), so no frame is turned back into texts."""
    frames = [f for f in frames if len(f)] or frames[:1]
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    cats = {c: pd.Index(pd.concat([pd.Series(f[c].cat.categories, dtype="str") for f in frames]).unique(),
                        dtype="str").sort_values() for c in _REPEATED}
    return pd.concat([f.astype({c: pd.CategoricalDtype(cats[c]) for c in _REPEATED}) for f in frames],
                     ignore_index=True)


def _turns_bytes(entry: tuple[dict[str, str], pd.DataFrame]) -> int:
    stamps, frame = entry
    return int(frame.memory_usage(deep=True).sum()) + _STAMP_BYTES * len(stamps)


TURNS_MEMO = BoundedLRU(TURNS_MEMO_ENTRIES, TURNS_MEMO_BYTES, size_of=_turns_bytes, clock=time.monotonic)


def _page_turns(store: Any, source: str, page_id: str, part: pd.DataFrame, current: Mapping[str, str],
                hours: Hours, now: datetime, memo: BoundedLRU | None,
                window: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> pd.DataFrame:
    """The turns (at any earlier ``now``) of a page's ``current`` conversations ({id: updated_at}
    kept) that started in ``window`` ([start, end) UTC; None: all), computed only for those not
    in ``memo`` at that stamp; ``part`` gives their customer, type and tags."""
    key = ("turns", source, page_id, repr(hours))
    stamps, frame = (memo.get(key) if memo is not None else None) or ({}, None)
    new = [c for c, upd in current.items() if stamps.get(c) != upd]
    if new:
        stored = store.messages_get(source, page_id, new)
        got = [c for c in new if c in stored and stored[c][0] == current[c]]   # moved meanwhile: next run
        if got:
            fresh_ids = set(got)
            parts = []
            # PARSE_AT_ONCE conversations at a time: a page's first run parsed every stored body
            # at once (tens of MB of JSON objects, then their rows), the turns kept compact
            for i in range(0, len(got), PARSE_AT_ONCE):
                chunk = got[i:i + PARSE_AT_ONCE]
                msgs = replies.messages_frame([(page_id, c, json.loads(stored.pop(c)[1])) for c in chunk],
                                              bots=hours.bots)
                meta = part[part["conversation_id"].astype("str").isin(set(chunk))]
                parts.append(_compact(replies.turns(msgs, hours, now, conversations=meta)))
                del msgs
            del stored
            if frame is not None and len(frame):
                parts.insert(0, frame[~frame["conversation_id"].isin(fresh_ids)])
            frame = _united(parts)
            stamps = {**stamps, **{c: current[c] for c in got}}
            if memo is not None:
                memo.put(key, (stamps, frame))
    if frame is None:
        return replies.empty_turns()
    ok = {c for c, upd in current.items() if stamps.get(c) == upd}
    mask = frame["conversation_id"].isin(ok)
    if window is not None:
        mask &= (frame["start"] >= window[0]) & (frame["start"] < window[1])
    return frame[mask]      # compact: ``kept_turns`` makes the texts once, for every page together


def kept_turns(store: Any, source: str, conversations: pd.DataFrame, hours: Hours, now: datetime, *,
               memo: BoundedLRU | None = TURNS_MEMO,
               window: tuple[datetime, datetime] | None = None) -> tuple[pd.DataFrame, Kept]:
    """The customer turns (``replies.turns`` at ``now``) of the ``conversations`` the store has
    current (those that started in ``window``, [start, end) UTC, when given), and how many of how
    many conversations those are (``Kept``, its ``messages`` not kept: None); each page's turns
    kept in ``memo``: only the conversations new or moved since are read."""
    if window is not None:
        window = (pd.Timestamp(window[0]), pd.Timestamp(window[1]))
    frames, complete, missing = [], 0, []
    for pid, part, current in _current(store, source, conversations, missing):
        complete += len(current)
        frames.append(_page_turns(store, source, pid, part, current, hours, now, memo, window))
    frames = [f for f in frames if len(f)]
    if frames:     # the pages' compact frames: one concatenation, sorted over codes, then texts once
        all_turns = _united(frames)
        del frames
        all_turns = all_turns.sort_values(["start", "page_id", "conversation_id", "turn"], kind="stable",
                                          ignore_index=True)
        all_turns = all_turns.astype({c: "str" for c in _REPEATED})
    else:
        all_turns = replies.empty_turns()
    if missing:
        miss = pd.concat(missing, ignore_index=True)
    else:
        miss = conversations.iloc[0:0] if conversations is not None else pd.DataFrame()
    have = Kept(None, complete, 0 if conversations is None else len(conversations), miss)
    return replies.at_now(all_turns, hours, now, copy=False), have


def turns(store: Any, source: str, conversations: pd.DataFrame, hours: Hours, now: datetime) -> tuple[pd.DataFrame, Kept]:
    """The customer turns of the conversations the store has current, and what it has."""
    return kept_turns(store, source, conversations, hours, now)


BACKGROUND_WORKERS = 4          # background fills going on at once (the others queue)
# Fills that outlive a dashboard run: at most one per (source, page, range) at a time. A run that
# finds its page's fill still going takes it instead of starting another (the missing
# conversations shrink as it stores them: a second fill would ask them twice); once it is done,
# the next run starts one for whatever is still missing.
BACKGROUND = gather.Flights()


def fill_in_background(client: PancakeClient, store: Any, source: str, missing: pd.DataFrame, *,
                       page_names: Mapping[str, str] | None = None, scope: tuple = ()) -> list[Future]:
    """Start (once per page and ``scope``: the range asked) the fills of the conversations
    ``missing`` from the store."""
    futures = []
    if missing is None or missing.empty:
        return futures
    for pid, part in missing.groupby("page_id", sort=True):
        futures.append(BACKGROUND.join((source, str(pid), *scope), lambda pid=str(pid), part=part: gather.pool().submit(
            ("replies-background",), lambda: fill_page(client, store, source, pid, part, page_names=page_names),
            limit=BACKGROUND_WORKERS)))
    return futures


# --- a range, for the CLI and the dashboard ---------------------------------------------------------

@dataclass
class RangeTurns:
    """The turns that started in a range, over the conversations of the range the store has
    current (``kept``): ``kept.complete`` of ``kept.total`` conversations."""
    turns: pd.DataFrame
    conversations: pd.DataFrame
    kept: Kept
    errors: list[PageError] = field(default_factory=list)
    filled: Fill | None = None

    @property
    def complete(self) -> bool:
        return self.kept.is_complete


def utc_bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) local, as aware UTC instants."""
    zone = ZoneInfo(timezone)
    a = datetime.combine(start, dtime()).replace(tzinfo=zone).astimezone(UTC)
    b = datetime.combine(end + timedelta(days=1), dtime()).replace(tzinfo=zone).astimezone(UTC)
    return a, b


def range_turns(store: Any, source: str, conversations: pd.DataFrame, start: date, end: date, timezone: str,
                hours: Hours, now: datetime, *, errors: list[PageError] | None = None,
                filled: Fill | None = None) -> RangeTurns:
    a, b = utc_bounds(start, end, timezone)
    in_range, have = kept_turns(store, source, conversations, hours, now, window=(a, b))
    return RangeTurns(in_range, conversations, have, list(errors or []), filled)


def load_range(client: PancakeClient, store: Any, source: str, page_ids: Iterable[str], start: date, end: date,
               timezone: str, hours: Hours, now: datetime, *, page_names: Mapping[str, str] | None = None,
               cap: int = 100_000, on_progress: Callable[[str], None] | None = None,
               fill_messages: bool = True) -> RangeTurns:
    """Everything at once (the CLI): the range's conversations, their messages filled within the
    limit (``fill_messages``; else only what the store keeps: ``kept`` says how many), the turns
    that started in the range."""
    loaded = dc.load_conversations(client, list(page_ids), start, end, timezone, page_names=page_names, cap=cap)
    if not fill_messages:
        return range_turns(store, source, loaded.frame, start, end, timezone, hours, now, errors=loaded.errors)
    if on_progress is not None:
        on_progress(f"messages of {len(loaded.frame)} conversation(s)")
    done = fill(client, store, source, loaded.frame, page_names=page_names)
    return range_turns(store, source, loaded.frame, start, end, timezone, hours, now,
                       errors=[*loaded.errors, *done.errors], filled=done)


def load_waiting_turns(client: PancakeClient, store: Any, source: str, page_ids: Iterable[str], timezone: str,
                       hours: Hours, now: datetime, now_local: datetime, *,
                       page_names: Mapping[str, str] | None = None) -> RangeTurns:
    """The turns of every conversation that may be waiting now, their messages filled within the
    limit: what the reply-target alert reads (only a turn still waiting can pass its target).
    Two lists: the API's waiting list (the latest message is the customer's), however long ago the
    conversation began (a customer writing again in an old conversation), and the conversations
    of yesterday and today, as the standup screen reads them: a customer answered only by a bot
    (which ends no turn unless the hours file says bots count) is still waiting, though the API's
    list leaves the conversation out."""
    ids = list(page_ids)
    loaded = dc.load_waiting(client, ids, now_local, timezone, page_names=page_names)
    today = now_local.date()
    recent = dc.load_conversations(client, ids, today - timedelta(days=1), today, timezone, page_names=page_names)
    frame = conv.concat([loaded.frame, recent.frame])
    if not frame.empty:
        frame = frame.drop_duplicates(["page_id", "conversation_id"], keep="first").reset_index(drop=True)
    failed = {e.page_id for e in loaded.errors}
    errors = [*loaded.errors, *(e for e in recent.errors if e.page_id not in failed)]
    done = fill(client, store, source, frame, page_names=page_names)
    all_turns, have = turns(store, source, frame, hours, now)
    return RangeTurns(all_turns, frame, have, [*errors, *done.errors], done)

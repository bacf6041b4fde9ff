"""The /conversations page's data in the session: loads through ``pancake.data.conversations``
with a progress bar, kept in a bounded memory shared by the process (a range with today for 5
minutes, a closed one for 30), the message reader's batches, the page's URL parameters (``wait``,
``drill``) and the write actions, sent once.

Write actions are drawn only with ``PANCAKE_ALLOW_WRITES=1`` and for an admin (checked when drawn
and when sent). Each is prepared with its own id, confirmed, then sent by the confirm button's
callback, which records the id first: a rerun, a second click or a stale callback sends nothing.
A write with no answer has an unknown outcome: it is said so, with a button that reads the
conversation again.
"""
from __future__ import annotations

import math
import threading
import time
import uuid
from collections.abc import Callable, Iterable, MutableMapping
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from pancake import fmt, i18n, timeutil
from pancake.api.errors import PancakeError, ServerError, TransportError
from pancake.data import conversations as dc
from pancake.data.core import OPEN_TTL, BoundedLRU
from pancake.numbers import conversations as conv
from pancake.redact import redact
from ui import auth, cache, components, state

CLOSED_TTL = 1800.0
MAX_ENTRIES = 64
MAX_BYTES = 32 * 2**20     # conversations kept in memory, every session together
DEFAULT_WAIT_MINUTES = 15
PENDING_KEY = "_conv_pending"
SENT_KEY = "_conv_sent"
LAST_KEY = "_conv_last_answer"


# --- a small shared memory ---------------------------------------------------------------------

def _nbytes(value: Any) -> int:
    """A load's size: its frame's deep memory use (names and other small values: 0)."""
    frame = getattr(value, "frame", None)
    return int(frame.memory_usage(index=True, deep=True).sum()) if frame is not None else 0


def new_memo(max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> BoundedLRU:
    """Loads shared by every session of the process, bounded in entries and bytes, least
    recently used out first; an entry bigger than the bound is not kept."""
    return BoundedLRU(max_entries, max_bytes, size_of=_nbytes, clock=time.monotonic)


@st.cache_resource(show_spinner=False)
def _memo() -> BoundedLRU:
    return new_memo()


def _fingerprint() -> str:
    return cache._fingerprint(cache.settings())


_FLIGHTS: dict[tuple, threading.Lock] = {}
_FLIGHTS_LOCK = threading.Lock()


def _cached(kind: str, key: tuple, ttl: float, load: Callable[[], dc.Loaded], *,
            memo: BoundedLRU | None = None, fingerprint: str | None = None) -> dc.Loaded:
    """The memory's entry, else one load per key at a time: a session asking for what another
    is loading waits for it and takes its result (single flight across sessions). ``memo`` and
    ``fingerprint`` (None: the process's memory and the configuration's) as taken in a script
    run, for a thread that has none."""
    memo = memo if memo is not None else _memo()
    full = (kind, fingerprint if fingerprint is not None else _fingerprint(), *key)
    got = memo.get(full)
    if got is not None:
        return got
    with _FLIGHTS_LOCK:
        flight = _FLIGHTS.setdefault(full, threading.Lock())
    try:
        with flight:
            got = memo.get(full)
            if got is not None:
                return got
            result = load()
            if not result.errors:   # a failing page is asked again on the next run
                memo.put(full, result, ttl)
            return result
    finally:
        with _FLIGHTS_LOCK:
            if _FLIGHTS.get(full) is flight and not flight.locked():
                del _FLIGHTS[full]


_VIEWS_LOCK = threading.Lock()


def once(loaded: Any, key: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per shared result (a load, a range's turns: the same object for every
    session drawing it) and ``key``: ten sessions each made the page's breakdowns of the same frame
    again (the assignees' alone took ~2 s of CPU for 24 pages). A session asking while it is
    computed waits for it (one copy of the work in memory at a time). What it returns is shared:
    never changed by its callers."""
    with _VIEWS_LOCK:
        memo = loaded.__dict__.setdefault("_views", {})
        lock = loaded.__dict__.setdefault("_views_lock", threading.Lock())
    with lock:
        if key not in memo:
            memo[key] = compute()
        return memo[key]


def forget() -> None:
    """Drop what this page keeps (after a write, so the table shows the change)."""
    _memo().discard(lambda key, _expires: key[0] in ("conversations", "waiting"))


# --- loads -------------------------------------------------------------------------------------------

def conversations(page_ids: Iterable[str], start: date, end: date) -> dc.Loaded:
    ids = tuple(str(p) for p in page_ids)
    ttl = OPEN_TTL if end >= cache.today() else CLOSED_TTL

    def load() -> dc.Loaded:
        bar = st.progress(0.0, text=state.t("conv.loading_pages", done=0, total=len(ids)))

        def on_progress(done: int, total: int, _pid: str) -> None:
            bar.progress(done / total, text=state.t("conv.loading_pages", done=done, total=total))
        try:
            return dc.load_conversations(cache.client(), ids, start, end, cache.tz_name(),
                                         page_names=cache.page_names(), total=dc.MAX_TOTAL,
                                         deadline=dc.LOAD_DEADLINE, on_progress=on_progress,
                                         complete_only=True)
        finally:
            bar.empty()
    return _cached("conversations", (ids, start, end), ttl, load)


def conversations_later(page_ids: Iterable[str], start: date, end: date) -> Callable[[], dc.Loaded]:
    """``conversations``'s load (the same shared memory and single flight) as a function for a
    thread of its own, without the progress bar: what it needs of the session is taken now."""
    ids = tuple(str(p) for p in page_ids)
    ttl = OPEN_TTL if end >= cache.today() else CLOSED_TTL
    memo, fingerprint = _memo(), _fingerprint()
    client, tz, names = cache.client(), cache.tz_name(), cache.page_names()

    def load() -> dc.Loaded:
        return dc.load_conversations(client, ids, start, end, tz, page_names=names, total=dc.MAX_TOTAL,
                                     deadline=dc.LOAD_DEADLINE, complete_only=True)
    return lambda: _cached("conversations", (ids, start, end), ttl, load, memo=memo, fingerprint=fingerprint)


def waiting(page_ids: Iterable[str]) -> dc.Loaded:
    """Who is waiting now: each page's ``dc.WaitWatch`` (shared by every session; asks the API
    at most every ``dc.wait_fresh(pages)`` seconds, and then only for what changed; a page's
    first walk back waits for its first calls, the rest goes on in the background)."""
    ids = tuple(str(p) for p in page_ids)
    return dc.load_waiting(cache.client(), ids, cache.now_local(), cache.tz_name(), page_names=cache.page_names(),
                           fresh=dc.wait_fresh(len(ids)), background=dc.start_in_background)


def customers(page_ids: Iterable[str], start: date, end: date) -> dc.Loaded:
    ids = tuple(str(p) for p in page_ids)
    ttl = OPEN_TTL if end >= cache.today() else CLOSED_TTL
    return _cached("customers", (ids, start, end), ttl,
                   lambda: dc.load_customers(cache.client(), ids, start, end, cache.tz_name(),
                                             page_names=cache.page_names(), total=dc.MAX_CUSTOMERS_TOTAL))


def names(page_id: str) -> tuple[dict[str, str], dict[str, str]]:
    return dc.cached_names(cache.client(), page_id)


# --- the message reader: 30 at a time, older ones on demand -------------------------------------------

def _reader_key(page_id: str, conversation_id: str) -> str:
    return f"_conv_msgs|{page_id}|{conversation_id}"


def reader(page_id: str, conversation_id: str, customer_id: str) -> dict[str, Any]:
    """The messages read so far of one conversation (``frame`` oldest first, ``count`` fetched,
    ``done`` when there are no older ones, ``error``); the newest 30 on first use."""
    key = _reader_key(page_id, conversation_id)
    if key not in st.session_state:
        st.session_state[key] = {"frame": conv.messages_frame([], page_id, "UTC"), "count": 0, "done": False,
                                 "error": None, "customer_id": customer_id}
        older(page_id, conversation_id)
    return st.session_state[key]


def older(page_id: str, conversation_id: str) -> None:
    """Load the 30 messages before those read (a button's callback)."""
    key = _reader_key(page_id, conversation_id)
    r = st.session_state.get(key)
    if r is None or r["done"]:
        return
    try:
        batch, n = dc.messages(cache.client(), page_id, conversation_id, r["customer_id"], cache.tz_name(),
                               current_count=r["count"])
    except PancakeError as exc:
        r["error"] = redact(str(exc))
        return
    known = set(r["frame"]["message_id"])
    fresh = batch[~batch["message_id"].isin(known)]
    frame = pd.concat([fresh, r["frame"]], ignore_index=True) if len(r["frame"]) else fresh
    r.update(frame=frame.sort_values(["sent_at", "message_id"], kind="stable").reset_index(drop=True),
             count=r["count"] + n, done=n < dc.MESSAGES_PER_CALL or fresh.empty, error=None)


# --- URL parameters of this page ------------------------------------------------------------------------

def param(name: str) -> str | None:
    return state.current().param(name)


def set_param(name: str, value: str | None) -> None:
    """Set (or drop, with None) one of the page's URL parameters and write the URL."""
    view = state.current()
    extra = {k: val for k, val in view.extra if k != name}
    if value not in (None, ""):
        extra[name] = str(value)
    state.update(extra=tuple(sorted(extra.items())))
    state.sync_url()


MAX_WAIT_MINUTES = 24 * 60


def parse_wait(raw: str | None) -> tuple[int, bool]:
    """``wait=`` in minutes, clamped to 1..1440, and whether the URL's value was used as it
    is (False: not a number, infinite, out of range: a notice names it)."""
    if raw in (None, ""):
        return DEFAULT_WAIT_MINUTES, True
    try:
        number = float(raw)
    except ValueError:
        return DEFAULT_WAIT_MINUTES, False
    if math.isnan(number):
        return DEFAULT_WAIT_MINUTES, False
    value = max(1, min(MAX_WAIT_MINUTES, int(number) if math.isfinite(number) else
                       (MAX_WAIT_MINUTES if number > 0 else 1)))
    return value, value == number


def wait_minutes() -> int:
    """The waiting threshold from the URL; a value it could not use as it is is named on
    screen (never an exception: ``wait=1e309`` is infinite)."""
    raw = param("wait")
    value, as_is = parse_wait(raw)
    if not as_is:
        st.warning(state.t("url.heading") + "\n\n- " + state.t("url.bad_value", what=state.plain(f"wait={raw}")),
                   icon=":material/link_off:")
    return value


def drill() -> conv.Drill | None:
    return conv.parse_drill(param("drill"))


# --- write actions -------------------------------------------------------------------------------------

def writes_allowed() -> bool:
    """Whether this session may write: writes switched on, and an admin looking (a viewer
    never gets the controls, whatever the switch)."""
    if not auth.identity().admin:
        return False
    return dc.writes_allowed(secrets=cache.secrets())


def prepare(action: str, page_id: str, conversation_id: str, value: Any = None, label: str = "") -> None:
    """Remember one action waiting for confirmation (a new id each time)."""
    if not writes_allowed():
        return
    st.session_state[PENDING_KEY] = {"id": uuid.uuid4().hex, "action": action, "page_id": page_id,
                                     "conversation_id": conversation_id, "value": value, "label": label}


def cancel() -> None:
    st.session_state.pop(PENDING_KEY, None)


def send_once(store: MutableMapping[str, Any], send: Callable[[dict[str, Any]], Any]) -> bool:
    """Send the pending action in ``store`` at most once: the pending action is taken out and
    its id recorded as sent *before* the call, so a rerun, a second click or a repeated
    callback sends nothing. Returns whether a request went out. The answer (or the error,
    redacted) is kept under the id."""
    pending = store.pop(PENDING_KEY, None)
    if not pending:
        return False
    sent = store.setdefault(SENT_KEY, {})
    if pending["id"] in sent:
        return False
    sent[pending["id"]] = {"action": pending, "ok": None, "answer": None, "unknown": False}
    try:
        answer = send(pending)
        sent[pending["id"]].update(ok=bool(answer.get("success", True)) if isinstance(answer, dict) else True,
                                   answer=answer)
    except PancakeError as exc:
        sent[pending["id"]].update(ok=None if outcome_unknown(exc) else False, unknown=outcome_unknown(exc),
                                   answer={"message": redact(str(exc))})
    store[LAST_KEY] = pending["id"]
    return True


def outcome_unknown(exc: PancakeError) -> bool:
    """Whether a write that failed this way may still have been done: no answer came after it
    was sent (a timeout, a dropped connection) or a gateway gave up waiting (502, 504). A
    connect failure or a 429 surely was not processed; any other answer is Pancake's own."""
    if isinstance(exc, TransportError):
        return not getattr(exc, "unreachable", False) and getattr(exc, "retriable", True)
    return isinstance(exc, ServerError) and exc.status_code in (502, 504)


def confirm() -> None:
    """The confirm button's callback (an admin only: the check is made again at send)."""
    if not writes_allowed():
        st.session_state.pop(PENDING_KEY, None)
        return
    if send_once(st.session_state, lambda p: dc.perform(cache.client(), p["action"], p["page_id"],
                                                        p["conversation_id"], p["value"])):
        forget()


def took_effect(action: str, value: Any, row: Any) -> bool | None:
    """Whether the conversation as read now shows ``action`` done (a tag on or off, the staff
    member assigned, read or unread); None when the row cannot tell."""
    def ids(text: Any) -> list[str]:
        return [] if text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA \
            else [x for x in str(text).split(conv.LIST_SEP) if x]
    if action in ("tag_add", "tag_remove"):
        on = str(value) in ids(getattr(row, "tag_ids", None))
        return on if action == "tag_add" else not on
    if action == "assign":
        wanted = [value] if isinstance(value, str) else list(value or [])
        have = ids(getattr(row, "assignee_ids", None))
        return all(str(w) in have for w in wanted)
    seen = getattr(row, "seen", None)
    if seen is None or seen is pd.NA or (isinstance(seen, float) and math.isnan(seen)):
        return None
    return bool(seen) if action == "read" else not bool(seen)


CHECKED_KEY = "_conv_checked"


def check_again(answer_id: str) -> None:
    """The "check the conversation" button's callback: read the conversations again (nothing
    is sent), remembering which answer asked."""
    forget()
    st.session_state[CHECKED_KEY] = {"id": answer_id, "at": cache.now_utc()}


def show_answer(row: Any, lang: str) -> None:
    """The last write's outcome: accepted, refused, or unknown (no answer after it was sent)
    with a button that reads the conversation again and what it shows now."""
    last = st.session_state.get(LAST_KEY)
    answer = last_answer()
    if not answer:
        return
    label = components.escape_markdown(answer["action"]["label"])
    if answer.get("unknown"):
        st.warning(i18n.t("conv.answer_unknown", lang, what=label), icon=":material/help:")
        st.button(i18n.t("conv.check_state", lang), key="conv_w_check", icon=":material/refresh:",
                  on_click=check_again, args=(last,))
        checked = st.session_state.get(CHECKED_KEY)
        same = answer["action"]["conversation_id"] == getattr(row, "conversation_id", None)
        if checked and checked["id"] == last and same:
            done = took_effect(answer["action"]["action"], answer["action"]["value"], row)
            key = {True: "conv.check_done", False: "conv.check_not_done", None: "conv.check_cannot_tell"}[done]
            when = fmt.clock(timeutil.wall_clock(checked["at"], cache.tz_name()), lang)
            st.info(i18n.t(key, lang, what=label, time=when), icon=":material/fact_check:")
    else:
        (st.success if answer["ok"] else st.error)(
            i18n.t("conv.answer_ok" if answer["ok"] else "conv.answer_failed", lang, what=label))
    st.json(answer["answer"], expanded=False)


def last_answer() -> dict[str, Any] | None:
    last = st.session_state.get(LAST_KEY)
    return (st.session_state.get(SENT_KEY) or {}).get(last) if last else None


def pending() -> dict[str, Any] | None:
    return st.session_state.get(PENDING_KEY)


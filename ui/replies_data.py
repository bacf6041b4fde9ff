"""The response-times page's data in the session: the opening hours file, the basis kept in the
URL (``basis=``), the drill-down (``rdrill=``), and the turns of a range: the conversations
through the conversations page's memory (``ui.conversations_data``), the messages from the
store, the missing ones queued for the store's filler process (``pancake.data.filler``; filled in
this process, ``pancake.data.replies.fill_in_background``, when the store is only in memory)."""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from datetime import date

import streamlit as st

from pancake.data import filler, gather
from pancake.data import replies as dr
from pancake.data.core import BoundedLRU
from pancake.data.store import memory_store
from pancake.numbers import hours as hours_mod
from pancake.numbers.views import replies as v
from pancake.redact import redact
from ui import cache
from ui import conversations_data as cd

log = logging.getLogger(__name__)


def hours() -> hours_mod.Hours:
    return hours_mod.from_env(cache.tz_name(), secrets=cache.secrets())


def basis(h: hours_mod.Hours) -> str:
    return v.basis_of(cd.param("basis"), h)


def set_basis(value: str, h: hours_mod.Hours) -> None:
    cd.set_param("basis", None if value == v.basis_of(None, h) else value)


def drill() -> v.Drill | None:
    return v.parse_drill(cd.param("rdrill"))


def set_drill(value: v.Drill | None) -> None:
    cd.set_param("rdrill", value.encode() if value is not None else None)


# A range's turns shared by every session of the process (issue 20): ten viewers of the Staff page
# each computed every turn of 24 pages' messages at once (seconds of CPU and hundreds of MB each).
# One computation at a time per (configuration, pages, range, opening hours): a run arriving while
# it goes on waits for it and takes its result; a complete result (every conversation's messages
# kept) also serves the runs of the next TURNS_TTL_SECONDS (its waiting turns' waits that much old
# at most), a partial one those of the next PARTIAL_TTL_SECONDS. The key holds the viewer's pages: a viewer never gets turns computed for other pages.
TURNS_TTL_SECONDS = 30
# A partial result (the filler still storing) serves the runs of the next PARTIAL_TTL_SECONDS too:
# ten sessions arriving one after another each computed and held their own copy of the range's
# turns (memory and CPU); the fill's progress shows that much later at most.
PARTIAL_TTL_SECONDS = 5
TURNS_MAX_ENTRIES = 4
TURNS_MAX_BYTES = 160 * 2**20     # the results kept: bounded by their turns' bytes too (an agency's month: ~100 MB)


# A result past its time still serves the Staff page (``turns_soon``) while the next one is
# computed, for at most STALE_SECONDS: ten sessions opening it at once drew the page's other
# figures, then waited for the conversations' load and the range's turns (a minute and more).
STALE_SECONDS = 300
POLL_SECONDS = 3          # how often a page waiting for its first result looks again


def _result_bytes(value) -> int:
    frame = getattr(getattr(value, "value", value), "turns", None)
    return int(frame.memory_usage(deep=True).sum()) if frame is not None else 0


def _inputs(page_ids: list[str], start: date, end: date, h: hours_mod.Hours):
    """What a range's turns are computed from, taken in the script run: the key, and the
    computation as a function of the conversations' load (a thread of its own may call it)."""
    ld = cache.loader()
    store = ld.store if ld.store is not None else _memory()
    tz, now, names, source = cache.tz_name(), cache.now_utc(), cache.page_names(), ld.source
    env = {"PANCAKE_DEMO": "1"} if cache.settings().use_demo else None
    key = (source, tuple(sorted(map(str, page_ids))), start, end, tz, repr(h))

    def compute(loaded) -> dr.RangeTurns:
        return dr.range_turns(store, source, loaded.frame, start, end, tz, h, now, errors=loaded.errors)

    def fill(got: dr.RangeTurns) -> None:
        if not got.complete and not _queued(store, source, got.kept.missing, env):
            dr.fill_in_background(ld.client, store, source, got.kept.missing, page_names=names, scope=(start, end))
    return key, compute, fill


def turns(page_ids: list[str], start: date, end: date, h: hours_mod.Hours) -> tuple[dr.RangeTurns, object]:
    """The turns that started in [start, end] over what the store has, and the conversations'
    load; the conversations not kept yet are fetched in the background."""
    loaded = cd.conversations(page_ids, start, end)
    key, compute, fill = _inputs(page_ids, start, end, h)
    got = _shared().get_or_compute(key, lambda: compute(loaded), keep=lambda r: r.complete)   # partial: only runs at once
    fill(got)
    return got, loaded


def turns_soon(page_ids: list[str], start: date, end: date, h: hours_mod.Hours) -> dr.RangeTurns | None:
    """``turns``'s result without waiting for it: the shared one when there is one (the last
    one, up to ``STALE_SECONDS`` old, while the next is computed), else None; the conversations'
    load and the turns are then computed in a thread of their own, once for every session."""
    key, compute, fill = _inputs(page_ids, start, end, h)
    load = cd.conversations_later(page_ids, start, end)

    def work() -> dr.RangeTurns:
        got = compute(load())
        fill(got)
        return got
    return _shared().soon(key, work, keep=lambda r: r.complete)


def _queued(store, source: str, missing, env: dict[str, str] | None) -> bool:
    """The missing conversations handed to the store's filler process (started once per store,
    ``pancake.data.filler``); False when the store cannot be shared with another process (in
    memory): the caller fills in this process. A filler that will not start is logged, then
    filled here as well."""
    try:
        # the configuration the dashboard runs on (``env``): demo data when it has no token (the
        # CLI's demo needs it said); tokens come from the same environment and .streamlit/secrets.toml
        return filler.ensure(store, source, missing, env=env) is not None
    except Exception as exc:  # noqa: BLE001 - the figures still come, filled in this process
        log.warning("messages filler not started (%s): filling in the dashboard", redact(str(exc)))
        return False


def staff_figures(got: dr.RangeTurns, basis: str) -> tuple:
    """The Staff table's reply columns and totals row (``views.replies.staff_columns`` and
    ``staff_total``) over ``got``'s turns, computed once per shared result and basis
    (``conversations_data.once``): ten sessions drawing the Staff page each filtered and grouped
    the range's hundreds of thousands of turns (a copy of them each, at once)."""
    return cd.once(got, ("staff_figures", basis),
                   lambda: (v.staff_columns(got.turns, basis), v.staff_total(got.turns, basis)))


def computing(page_ids: list[str], start: date, end: date, h: hours_mod.Hours) -> bool:
    """Whether the range's turns are being computed now (``turns_soon``'s thread, or a waiting page's
    run): a page showing an older result draws itself again once the new one is there."""
    return _shared().flights.get(_inputs(page_ids, start, end, h)[0]) is not None


class _Entry:
    """A kept result and until when it is fresh (``SharedTurns``)."""
    __slots__ = ("fresh_until", "value")

    def __init__(self, value, fresh_until: float) -> None:
        self.value, self.fresh_until = value, fresh_until


class SharedTurns:
    """Results by key, each computed by one run at a time (single flight through
    ``gather.Flights``, the product's one): the runs asking meanwhile wait for it and take its
    result (or its error); a result ``keep`` accepts (a complete one) also serves the next ``ttl``
    seconds, another one the next ``partial_ttl`` seconds (None: ``PARTIAL_TTL_SECONDS`` when it
    is kept) (at most ``max_entries``). ``soon`` does not wait: it takes the last result of the
    key up to ``stale`` seconds old, the next one computed by ``start`` (a thread of its own)."""

    def __init__(self, ttl: float = TURNS_TTL_SECONDS, max_entries: int = TURNS_MAX_ENTRIES,
                 clock=time.monotonic, partial_ttl: float | None = None, stale: float = STALE_SECONDS,
                 start=None) -> None:
        self.memo = BoundedLRU(max_entries, TURNS_MAX_BYTES, size_of=_result_bytes, clock=clock)
        self.ttl = ttl
        self.partial_ttl = partial_ttl
        self.stale = stale
        self.clock = clock
        self.start = start
        self.flights = gather.Flights(clock=clock)

    def _fresh(self, entry: _Entry | None) -> bool:
        return entry is not None and entry.fresh_until > self.clock()

    def get_or_compute(self, key: tuple, compute, keep=lambda _v: True):
        entry = self.memo.get(key)
        if self._fresh(entry):
            return entry.value
        mine: Future = Future()
        flight = self.flights.join(key, lambda: mine)
        if flight is not mine:               # another run computes it: take its result
            return flight.result()
        return self._settle(key, mine, compute, keep)

    def _settle(self, key: tuple, mine: Future, compute, keep):
        try:
            got = compute()
        except BaseException as e:           # the waiters get the error; the next run computes again
            mine.set_exception(e)
            raise
        fresh = self.ttl if keep(got) else (PARTIAL_TTL_SECONDS if self.partial_ttl is None else self.partial_ttl)
        if max(fresh, self.stale) > 0:       # past ``fresh``, only ``soon`` takes it
            self.memo.put(key, _Entry(got, self.clock() + fresh), ttl=max(fresh, self.stale))
        mine.set_result(got)
        return got

    def soon(self, key: tuple, compute, keep=lambda _v: True):
        """The fresh result of ``key``, else its last one (None when there is none) while the
        next one is computed: by one thread for every caller (``start``, None: a new thread)."""
        entry = self.memo.get(key)
        if self._fresh(entry):
            return entry.value
        mine: Future = Future()
        if self.flights.join(key, lambda: mine) is mine:

            def run() -> None:
                try:
                    self._settle(key, mine, compute, keep)
                except Exception as exc:  # noqa: BLE001 - the page asks again on its next run
                    log.warning("response times not computed: %s", redact(str(exc)))
            (self.start or _thread)(run)
        return entry.value if entry is not None else None


def _thread(fn) -> None:
    threading.Thread(target=fn, name="shared-turns", daemon=True).start()


@st.cache_resource(show_spinner=False)
def _shared() -> SharedTurns:
    return SharedTurns()


@st.cache_resource(show_spinner=False)
def _memory():
    return memory_store()

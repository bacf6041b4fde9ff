"""One way to wait: every fan-out of the product runs on one bounded thread pool per process
(no Streamlit, stdlib only).

- :class:`Pool` runs work per *lane* (a page's statistics calls, the conversation loads, the
  token checks...): each lane runs at most ``limit`` tasks at once and queues the rest off the
  pool, so one slow lane never takes more than its share of threads. A queued task whose ``live()``
  says nobody waits for it any more goes behind those someone still waits for. ``map`` (a fan-out
  inside a task) runs the tasks still queued itself: nested fan-outs never wait on a full pool.
- :class:`Flights` gives one future per key to concurrent callers (single flight), kept after it
  finished while ``keep`` says so.
- :func:`gather` waits for futures by key until a deadline and names the late keys; a failing key
  never blanks the others; :class:`Abandoned` ends the wait once its :class:`Waiter` is gone.
- :class:`Tally` counts a view's calls and pages (one progress indicator per view).
- :class:`Turn` is a reentrant lock served in the order the work was asked: a thread waiting for
  its result (a view, a command) first, then the pool's tasks oldest first, so a view's first
  kinds are reshaped before the kinds asked after them.

Time is injected (``clock``, ``wait``) so tests never wait on the wall clock.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future
from concurrent.futures import wait as futures_wait
from concurrent.futures.thread import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

MAX_WORKERS = 128     # threads of the process's pool, every lane together
PER_LANE = 5          # tasks of one lane at once unless the lane says otherwise (a page: its limiter slots)
POLL = 0.25           # how often a wait asks whether its waiter is still there (and redraws progress)


class Waiter:
    """Whoever waits (a session's script run): ``live()`` is False from the moment nobody will look
    at the result any more (the session closed, its run superseded by another), and stays False.
    ``still_there`` is asked each time: it must be cheap and thread-safe."""

    def __init__(self, still_there: Callable[[], bool]) -> None:
        self._still_there = still_there
        self._gone = False

    def live(self) -> bool:
        if not self._gone and not self._still_there():
            self._gone = True
        return not self._gone


class Abandoned(Exception):
    """A wait whose waiter went away: it stops waiting (the work goes on, behind the work of those
    still waiting)."""


_ASKED = itertools.count(1)            # tasks in the order they were asked, process-wide
_HERE = threading.local()               # the order of the task this thread runs (absent: a waiter's thread)


def asked_order() -> int:
    """The order in which the work this thread does was asked: 0 for a thread that is not
    running a pool task (a view's or a command's own thread, first), else its task's number."""
    return getattr(_HERE, "order", 0)


class _Task:
    __slots__ = ("fn", "fut", "live", "lane", "claimed", "handed", "order")

    def __init__(self, lane: Hashable, fn: Callable[[], Any], fut: Future, live: Callable[[], bool] | None) -> None:
        self.lane, self.fn, self.fut, self.live = lane, fn, fut, live
        self.claimed = False    # someone (a thread, or a caller of ``map``) runs it
        self.handed = False     # given to the threads (counted in its lane's running)
        self.order = next(_ASKED)


def _run(task: _Task) -> None:
    if task.fut.set_running_or_notify_cancel():
        before = getattr(_HERE, "order", None)
        _HERE.order = task.order if before is None else min(before, task.order)
        try:
            task.fut.set_result(task.fn())
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits
            task.fut.set_exception(exc)
        finally:
            if before is None:
                del _HERE.order
            else:
                _HERE.order = before


class Turn:
    """A reentrant lock handed to its waiters by ``asked_order()`` (lowest first, then arrival):
    the CPU-bound steps of many fetch threads take turns, a waiting view's own steps first, then
    the work asked first. ``with turn: ...``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._queue: list[tuple[int, int, int, threading.Event]] = []
        self._arrivals = itertools.count()

    def __enter__(self) -> Turn:
        me = threading.get_ident()
        with self._lock:
            if self._owner == me:
                self._depth += 1
                return self
            if self._owner is None and not self._queue:
                self._owner, self._depth = me, 1
                return self
            ready = threading.Event()
            heapq.heappush(self._queue, (asked_order(), next(self._arrivals), me, ready))
        ready.wait()            # the releaser made this thread the owner
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth:
                return
            if self._queue:
                _, _, owner, ready = heapq.heappop(self._queue)
                self._owner, self._depth = owner, 1
                ready.set()
            else:
                self._owner = None


class Pool:
    """A bounded thread pool with a queue per lane (see the module's docstring)."""

    def __init__(self, max_workers: int = MAX_WORKERS, per_lane: int = PER_LANE, *,
                 name: str = "pancake-work") -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)
        self.max_workers = max_workers
        self.per_lane = per_lane
        self._lock = threading.Lock()
        self._running: dict[Hashable, int] = {}
        self._limits: dict[Hashable, int] = {}
        self._pending: dict[Hashable, deque[_Task]] = {}
        self._unbegun: dict[Future, _Task] = {}     # queued or handed, not begun: ``map`` may take them
        self._closed = False

    def close(self) -> None:
        """Run nothing more: the queued tasks are cancelled, the running ones finish. At the
        process's exit (a server stopped, a deploy) the queue is not worked through first."""
        with self._lock:
            self._closed = True
            queued = [t for q in self._pending.values() for t in q]
            self._pending.clear()
            for task in queued:
                self._unbegun.pop(task.fut, None)
        for task in queued:
            task.fut.cancel()

    def submit(self, lane: Hashable, fn: Callable[[], Any], live: Callable[[], bool] | None = None, *,
               limit: int | None = None) -> Future:
        """Run ``fn`` in ``lane`` (at most ``limit`` of the lane at once; None: ``per_lane``);
        ``live`` (None: always) tells whether someone still waits for it."""
        task = _Task(lane, fn, Future(), live)
        with self._lock:
            if self._closed:
                task.fut.cancel()
                return task.fut
            if limit is not None:
                self._limits[lane] = max(1, limit)
            self._unbegun[task.fut] = task
            run_now = self._running.get(lane, 0) < self._limits.get(lane, self.per_lane)
            if run_now:
                self._running[lane] = self._running.get(lane, 0) + 1
                task.handed = True
            else:
                self._pending.setdefault(lane, deque()).append(task)
        if run_now:
            self._start(task)
        return task.fut

    def map(self, lane: Hashable, fn: Callable[[Any], Any], items: Iterable[Any], *,
            limit: int | None = None) -> Iterator[Any]:
        """``fn(x)`` for each of ``items`` on the pool, every one submitted now, the results in
        order as they are iterated (the first failure is raised). The caller runs itself a task
        still not begun when its turn comes: a fan-out inside a task finishes even when every
        thread of the pool is busy."""
        futs = [self.submit(lane, lambda x=x: fn(x), limit=limit) for x in items]

        def results() -> Iterator[Any]:
            for fut in futs:
                task = self._claim(fut)
                if task is not None:
                    _run(task)
                yield fut.result()
        return results()

    def _claim(self, fut: Future) -> _Task | None:
        """The task of ``fut`` if nobody began it yet (it is then the caller's to run)."""
        with self._lock:
            task = self._unbegun.pop(fut, None)
            if task is None or task.claimed:
                return None
            task.claimed = True
            if not task.handed:
                self._pending[task.lane].remove(task)
                if not self._pending[task.lane]:
                    del self._pending[task.lane]
            return task

    def _start(self, task: _Task) -> None:
        def run() -> None:
            try:
                with self._lock:
                    self._unbegun.pop(task.fut, None)
                    mine = not task.claimed
                    task.claimed = True
                if mine:
                    _run(task)
            finally:
                self._next(task.lane)
        self._pool.submit(run)

    def _next(self, lane: Hashable) -> None:
        with self._lock:
            queue = self._pending.get(lane)
            if queue and not self._closed:
                # the first task someone still waits for; when none, the oldest (nobody's)
                pick = next((i for i, t in enumerate(queue) if t.live is None or t.live()), 0)
                task = queue[pick]
                del queue[pick]
                if not queue:
                    del self._pending[lane]
                task.handed = True
            else:
                self._running[lane] -= 1
                if not self._running[lane]:
                    del self._running[lane]
                    self._limits.pop(lane, None)
                return
        self._start(task)


_POOL: Pool | None = None
_POOL_LOCK = threading.Lock()


def pool() -> Pool:
    """The process's pool (one for every session, command and fan-out)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = Pool()
            # before the interpreter joins the pool's threads at exit, which would otherwise
            # work through the whole queue first (a stopped dashboard kept filling messages)
            threading._register_atexit(_POOL.close)  # noqa: SLF001 - the stdlib's own hook for this
        return _POOL


# --- single flight ---------------------------------------------------------------------------

class Shared(Future):
    """A future several callers wait for, with their waiters (None: one that never goes, e.g. the
    CLI). Queued, it is worth running first while one of them is live (``wanted``)."""

    def __init__(self) -> None:
        super().__init__()
        self.waiters: list[Waiter | None] = []

    def wanted(self) -> bool:
        return any(w is None or w.live() for w in list(self.waiters))


class Flights:
    """One future per key for every concurrent caller. A future is forgotten when it is done
    (``keep=None``), or, with ``keep`` seconds, kept after it finished (a late load's result for
    the next caller) until ``forget``, a failure, or ``keep`` seconds after it started."""

    def __init__(self, keep: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.keep = keep
        self.clock = clock
        self.lock = threading.RLock()
        self.items: dict[Hashable, tuple[float, Future]] = {}

    def get(self, key: Hashable) -> Future | None:
        """The key's future still running (or, with ``keep``, finished and not failed), or None."""
        with self.lock:
            got = self.items.get(key)
            if got is None:
                return None
            fut = got[1]
            if fut.done() and (self.keep is None or fut.exception() is not None
                               or self.clock() - got[0] > self.keep):
                del self.items[key]
                return None
            return fut

    def put(self, keys: Iterable[Hashable], fut: Future) -> None:
        """``fut`` answers every one of ``keys`` from now on."""
        keys = list(keys)
        now = self.clock()
        with self.lock:
            for key in keys:
                self.items[key] = (now, fut)
        if self.keep is None:
            fut.add_done_callback(lambda f: self._done(keys, f))

    def _done(self, keys: list[Hashable], fut: Future) -> None:
        with self.lock:
            for key in keys:
                if key in self.items and self.items[key][1] is fut:
                    del self.items[key]

    def join(self, key: Hashable, start: Callable[[], Future], waiter: Waiter | None = None) -> Future:
        """The key's future: the one in flight, else ``start()``'s (registered under ``key``).
        ``waiter`` is added to a :class:`Shared` future's waiters."""
        with self.lock:
            self._expire()
            fut = self.get(key)
            if fut is None:
                fut = start()
                self.put([key], fut)
            if isinstance(fut, Shared):
                fut.waiters.append(waiter)
            return fut

    def _expire(self) -> None:
        if self.keep is None:
            return
        now = self.clock()
        for key, (t, fut) in list(self.items.items()):
            if fut.done() and now - t > self.keep:
                del self.items[key]

    def forget(self, keys: Iterable[Hashable]) -> None:
        with self.lock:
            for key in keys:
                self.items.pop(key, None)

    def running(self) -> int:
        with self.lock:
            return sum(not f.done() for _, f in self.items.values())


# --- waiting until a deadline ------------------------------------------------------------------

@dataclass
class Gathered:
    """What a :func:`gather` got: each finished key's result (its futures' results in a list when
    it has several), each failed key's first exception, and the keys late at their deadline, all
    in the order of the keys asked."""
    done: dict[Any, Any] = field(default_factory=dict)
    failed: dict[Any, BaseException] = field(default_factory=dict)
    late: list[Any] = field(default_factory=list)


def gather(futures: Mapping[Any, Future | Sequence[Future]], deadline: float | None = None, *,
           limits: Mapping[Any, float | None] | None = None, started: float | None = None,
           on_ready: Callable[[Any], None] | None = None, on_late: Callable[[Any, float], None] | None = None,
           on_wake: Callable[[], None] | None = None, waiter: Waiter | None = None,
           clock: Callable[[], float] = time.monotonic, wait: Callable[..., Any] = futures_wait,
           poll: float = POLL) -> Gathered:
    """Wait for each key's futures, at most ``deadline`` seconds from ``started`` (a ``clock``
    reading; None: now) or, for a key of ``limits``, that many. In the calling thread:
    ``on_ready(key)`` as each key's futures are all done (the keys already done first),
    ``on_late(key, waited)`` as a key passes its deadline, ``on_wake()`` after every wake-up (at
    least every ``poll`` seconds while it is given). Raises :class:`Abandoned` as soon as
    ``waiter`` is gone (asked every ``poll`` seconds). The late keys' work goes on."""
    keys = list(futures)
    futs = {k: ([futures[k]] if isinstance(futures[k], Future) else list(futures[k])) for k in keys}
    t0 = clock() if started is None else started
    limits = limits or {}
    until = {k: (t0 + limits[k] if limits.get(k) is not None else None) if k in limits
             else (None if deadline is None else t0 + deadline) for k in keys}
    out = Gathered()
    pending = list(keys)

    def settle(key: Any) -> None:
        got = futs[key]
        failure = next((f.exception() for f in got if f.exception() is not None), None)
        if failure is not None:
            out.failed[key] = failure
        else:
            out.done[key] = got[0].result() if isinstance(futures[key], Future) else [f.result() for f in got]
        if on_ready is not None:
            on_ready(key)

    while True:
        still = []
        for key in pending:
            if all(f.done() for f in futs[key]):
                settle(key)
            else:
                still.append(key)
        pending = still
        if not pending:
            break
        now = clock()
        for key in [k for k in pending if until[k] is not None and now >= until[k]]:
            pending.remove(key)
            out.late.append(key)
            if on_late is not None:
                on_late(key, now - t0)
        if not pending:
            break
        if waiter is not None and not waiter.live():
            raise Abandoned("nobody waits for this any more")
        nearest = min((until[k] for k in pending if until[k] is not None), default=None)
        timeout = None if nearest is None else max(0.0, nearest - now)
        if waiter is not None or on_wake is not None:
            timeout = poll if timeout is None else min(timeout, poll)
        wait({f for k in pending for f in futs[k] if not f.done()}, timeout=timeout, return_when=FIRST_COMPLETED)
        if on_wake is not None:
            on_wake()
    out.late = [k for k in keys if k in out.late]
    return out


# --- one progress indicator per view ---------------------------------------------------------------

@dataclass(frozen=True)
class Counts:
    calls_done: int
    calls: int
    pages_done: int
    pages: int


class Tally:
    """A view's calls and pages, counted once each across every kind and period it loads: a call
    is one future (the same future joined twice counts once), done when the future is; a page is
    done when none of its calls is left. Calls are added from any thread; ``refresh()`` (the
    drawing thread) hands the counts to ``listener`` when they changed.

    A finished call is kept as a count only: holding its future would hold its answer (every
    window's bodies) for as long as the view's progress bar lives."""

    def __init__(self, pages: Iterable[str] = (), listener: Callable[[Counts], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._pages = list(dict.fromkeys(str(p) for p in pages))
        self._open: dict[Future, str] = {}                 # the calls not done yet -> their page
        self._seen: weakref.WeakSet[Future] = weakref.WeakSet()   # every call counted (no strong hold)
        self._done = 0
        self.listener = listener
        self._drawn: Counts | None = None

    def add(self, page_id: str, fut: Future) -> None:
        """Count ``fut`` as one of ``page_id``'s calls (once, however often it is added)."""
        page_id = str(page_id)
        with self._lock:
            if page_id not in self._pages:
                self._pages.append(page_id)
            if fut in self._seen:
                return
            self._seen.add(fut)
            if fut.done():
                self._done += 1
            else:
                self._open[fut] = page_id

    def counts(self) -> Counts:
        with self._lock:
            for fut in [f for f in self._open if f.done()]:
                del self._open[fut]
                self._done += 1
            left = set(self._open.values())
            return Counts(self._done, self._done + len(self._open),
                          sum(1 for p in self._pages if p not in left), len(self._pages))

    def refresh(self) -> None:
        now = self.counts()
        if self.listener is not None and now != self._drawn:
            self._drawn = now
            self.listener(now)

"""The dashboard's store, watched: whether the configured store can be reached, why not, and
when it last could (issue 20).

``WatchedStore`` stands in for the configured store and answers the same calls. When opening it
fails, or PostgreSQL goes down while the dashboard runs (``StoreError``), calls go to an in-memory
store and the configured one is tried again at most every ``RETRY_S`` seconds, in a thread of its
own; SQLite's errors are passed on. "Last reachable" is this process's last success, and across
restarts an owner-only marker file (written at most every ``MARKER_EVERY_S``). ``status()`` says
all that as a :class:`Reachability` (cause redacted); it is the only thing the pages read.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pancake.data.store.base import StoreError
from pancake.data.store.sqlite import SQLiteStore
from pancake.redact import redact

log = logging.getLogger("pancake.data.store")

RETRY_S = 60.0          # the configured store is tried again at most this often while unreachable
MARKER_EVERY_S = 60.0   # the "last reachable" marker is written at most this often
BACK_NOTICE_S = 600.0   # how long after coming back the pages still say it is back

# the store's calls that say whether it is reachable (the others, locks and attributes, go to
# the store in use as they are)
OPS = frozenset({"get", "put", "clear", "info", "page_token", "save_page_token", "alert_state",
                 "alert_outcomes", "save_alert_state", "schema_version", "size_bytes"})


@dataclass(frozen=True)
class Reachability:
    """What the pages say about the store. Times are unix seconds."""
    backend: str                   # the configured store: "postgresql" | "sqlite"
    reachable: bool
    cause: str | None = None       # why it cannot be reached (redacted)
    last_reachable: float | None = None   # this process's last success, else the marker's
    down_since: float | None = None       # when this process found it unreachable
    back_since: float | None = None       # when it came back (None if it never went away)
    next_try: float | None = None         # the next attempt, not before

    def back(self, now: float) -> bool:
        """Came back within ``BACK_NOTICE_S``: the pages say so for that long."""
        return self.reachable and self.back_since is not None and now - self.back_since < BACK_NOTICE_S


def read_marker(path: Path | None) -> float | None:
    """The time in a marker file, or None (no file, unreadable, not a time)."""
    if path is None:
        return None
    try:
        value = float(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return value if value > 0 and value == value and value != float("inf") else None


def write_marker(path: Path, at: float) -> None:
    """Write ``at`` to ``path`` atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, f"{at:.3f}\n".encode("ascii"))
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _in_thread(fn: Callable[[], None]) -> None:
    threading.Thread(target=fn, name="pancake-store-watch", daemon=True).start()


class WatchedStore:
    """The configured store (made by ``opener``, which raises when it cannot be opened) or, while
    it cannot be reached, an in-memory one. ``clock`` gives unix seconds; ``spawn(fn)`` runs an
    attempt to reopen (a daemon thread; tests run it at once); ``scrub`` are values never to
    show (the URL's password)."""

    def __init__(self, opener: Callable[[], Any], *, backend: str, marker: Path | None = None,
                 clock: Callable[[], float] = time.time, spawn: Callable[[Callable[[], None]], None] = _in_thread,
                 scrub: Iterable[str | None] = (), watch_ops: bool | None = None) -> None:
        self._opener = opener
        self.configured = backend
        self._marker = marker
        self._clock = clock
        self._spawn = spawn
        self._scrub = tuple(s for s in scrub if s)
        self._watch_ops = backend == "postgresql" if watch_ops is None else watch_ops
        self._lock = threading.Lock()
        self._real: Any = None
        self._memory: SQLiteStore | None = None
        self._trying = False
        self._closed = False
        self._cause: str | None = None
        self._down_since: float | None = None
        self._back_since: float | None = None
        self._next_try: float | None = None
        self._last_ok: float | None = read_marker(marker)
        self._marked_at: float | None = None
        store, why = self._open()
        if store is not None:
            self._real = store
            self._succeeded()
        else:
            self._down(why)

    # -- state -----------------------------------------------------------------------------------
    def _open(self) -> tuple[Any, str | None]:
        try:
            return self._opener(), None
        except Exception as exc:  # noqa: BLE001 - any failure to open is "cannot be reached"
            return None, self._why(exc)

    def _why(self, exc: BaseException) -> str:
        return redact(str(exc).strip() or type(exc).__name__, extra=self._scrub)

    def _down(self, why: str | None) -> None:
        """Not reachable (the caller holds the lock, or nobody else can see this object yet)."""
        now = self._clock()
        log.warning("statistics store unavailable (%s): keeping statistics in memory only, trying again "
                    "in %d s", why, RETRY_S)
        self._memory = SQLiteStore(None)
        self._cause = why
        self._down_since = now
        self._back_since = None
        self._next_try = now + RETRY_S

    def _succeeded(self) -> None:
        now = self._clock()
        with self._lock:
            self._last_ok = now
            due = self._marker is not None and (self._marked_at is None or now - self._marked_at >= MARKER_EVERY_S)
            if due:
                self._marked_at = now
        if due:
            try:
                write_marker(self._marker, now)
            except OSError as exc:
                log.debug("store marker not written (%s)", type(exc).__name__)

    def _maybe_retry(self) -> None:
        with self._lock:
            if (self._closed or self._real is not None or self._trying or self._next_try is None
                    or self._clock() < self._next_try):
                return
            self._trying = True
        self._spawn(self._retry)

    def _retry(self) -> None:
        store, why = self._open()
        old = None
        with self._lock:
            self._trying = False
            if self._closed:        # closed while the attempt ran: keep nothing open
                if store is not None:
                    _close(store)
                return
            now = self._clock()
            if store is None:
                self._cause = why
                self._next_try = now + RETRY_S
            else:
                old, self._memory, self._real = self._memory, None, store
                self._cause, self._down_since, self._next_try, self._back_since = None, None, None, now
        if store is None:
            log.info("statistics store still unavailable (%s)", why)
            return
        log.warning("statistics store reachable again: storing statistics again")
        self._succeeded()
        if old is not None:
            old.close()

    def _went_down(self, real: Any, exc: BaseException) -> SQLiteStore:
        """``real`` failed: from now on memory, and close ``real`` in the background."""
        with self._lock:
            if self._real is real:
                self._real = None
                self._down(self._why(exc))
                self._spawn(lambda: _close(real))
            return self._real if self._real is not None else self._memory

    # -- what the pages read ---------------------------------------------------------------------
    def status(self) -> Reachability:
        """Whether the configured store can be reached (tries again first, when due)."""
        self._maybe_retry()
        with self._lock:
            return Reachability(backend=self.configured, reachable=self._real is not None, cause=self._cause,
                                last_reachable=self._last_ok, down_since=self._down_since,
                                back_since=self._back_since, next_try=self._next_try)

    @property
    def unavailable(self) -> str | None:
        """Why the configured store is not in use (as ``open_store``'s fallback says), or None."""
        with self._lock:
            return None if self._real is not None else (self._cause or "unreachable")

    @property
    def warning(self) -> str | None:
        """The store in use's own warning (rebuilt, ...). Unreachability is in ``status()``."""
        return getattr(self._current(), "warning", None)

    def _current(self) -> Any:
        with self._lock:
            return self._real if self._real is not None else self._memory

    # -- the store's calls -------------------------------------------------------------------------
    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self._maybe_retry()
        with self._lock:
            real = self._real
            inner = real if real is not None else self._memory
        try:
            out = getattr(inner, name)(*args, **kwargs)
        except StoreError as exc:
            if real is None or not self._watch_ops:
                raise
            return getattr(self._went_down(real, exc), name)(*args, **kwargs)
        if real is not None:
            self._succeeded()
        return out

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in OPS:
            return lambda *args, **kwargs: self._call(name, *args, **kwargs)
        return getattr(self._current(), name)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            stores, self._real, self._memory = [self._real, self._memory], None, None
        for s in stores:
            if s is not None:
                _close(s)


def _close(store: Any) -> None:
    try:
        store.close()
    except Exception:  # noqa: BLE001 - closing a store that is gone
        pass

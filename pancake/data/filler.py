"""The conversations' messages filled by a process of its own (issue 20, ten viewers at once).

The response times need every conversation's messages (``pancake.data.replies.fill``: tens of
thousands of calls for an agency's month). Filled inside the dashboard, that work shared the
dashboard's one interpreter lock and memory with every session. Now a dashboard run that finds
conversations missing from the store only queues them (``ensure``) and, unless one is already
running, starts one filler process for the store: ``python -m pancake fill FOLDER`` (its own pid;
``COMMAND``). The dashboard only reads what is stored; the filler stores as it goes (an
interrupted fill resumes: the next run queues what is still missing).

Per store and source, one FOLDER (``folder_for``, under the temporary directory) holds:
- ``queue.json``: the conversations to fill (page, conversation, customer, ``updated_at``),
  written under ``queue.lock`` by every dashboard process and emptied by the filler as it takes them;
- ``filler.pid``: the running filler's pid; ``start.lock`` is held while deciding to start one,
  so two dashboards (or two sessions) never start two; the filler itself holds ``filler.lock``
  while it runs (a second one started anyway exits at once);
- ``filler.log``: its stderr; ``refused``: written by a filler whose configuration is not the
  dashboard's (another source): the dashboard then fills in its own process for a while.

The filler exits once its queue has stayed empty for ``IDLE_SECONDS`` or its store file is gone;
``stop`` ends it by its pid, and a dashboard process ends those it started when it exits. A store only in memory (no file, or PostgreSQL unreachable) cannot be shared with another
process: the dashboard then fills in its own process as before (``replies.fill_in_background``).
A cron fills the same messages with ``python -m pancake sync --kinds replies``.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock, Timeout

from pancake import procs

log = logging.getLogger(__name__)

COMMAND: list[str] = [sys.executable, "-m", "pancake", "fill"]   # + FOLDER [--store PATH]
IDLE_SECONDS = 10.0       # the filler exits after its queue has been empty this long
POLL_SECONDS = 1.0        # how often an idle filler looks at its queue
REFUSED_SECONDS = 600.0   # a filler that refused (another configuration): fill in the dashboard this long
LOCK_SECONDS = 10.0       # the longest wait for the queue's or the start's lock
NICE = 10                 # the filler's process yields the CPU to the dashboard's sessions (``lower_priority``)
BATCH = 200               # conversations the filler takes at a time, the latest asked first
QUEUE_COLUMNS = ("page_id", "conversation_id", "customer_id", "updated_at")
_STARTED: dict[int, subprocess.Popen] = {}    # the fillers this process started (reaped, stopped by pid)


def store_argument(store: Any) -> list[str] | None:
    """How a filler process opens ``store``: ``["--store", path]`` (a SQLite file), ``[]`` (the
    configured PostgreSQL), or None when it cannot (in memory, or the configured store unreachable)."""
    if store is None or getattr(store, "unavailable", None):
        return None
    location = str(getattr(store, "location", "") or "")
    if not location or location == ":memory:":
        return None
    path = getattr(store, "path", None)
    return ["--store", str(path)] if path is not None else []


def folder_for(store: Any, source: str, root: str | os.PathLike | None = None) -> Path:
    """The filler's folder for ``store`` and ``source`` (made if missing)."""
    key = hashlib.sha256(f"{getattr(store, 'location', '')}\n{source}".encode()).hexdigest()[:16]
    folder = Path(root or tempfile.gettempdir()) / f"pancake-filler-{key}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- the queue ---------------------------------------------------------------------------------------

def _read(folder: Path) -> dict:
    try:
        got = json.loads((folder / "queue.json").read_text(encoding="utf-8"))
        return got if isinstance(got, dict) else {}
    except (OSError, ValueError):
        return {}


def _write(folder: Path, queue: dict) -> None:
    tmp = folder / f".queue.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(queue, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, folder / "queue.json")


def _rows(missing: pd.DataFrame | None) -> list[tuple[str, ...]]:
    if missing is None or missing.empty:
        return []
    return [tuple("" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in r)
            for r in missing[list(QUEUE_COLUMNS)].itertuples(index=False)]


def add(folder: Path, source: str, missing: pd.DataFrame | list[tuple[str, ...]]) -> int:
    """Queue the conversations of ``missing`` (rows of the conversations frame) for ``source``,
    at the end (the latest asked, filled first: ``take``); one already queued at the same
    ``updated_at`` moves there. How many are queued now."""
    rows: list[list[str]] = []
    new: set[tuple[str, ...]] = set()
    for r in (missing if isinstance(missing, list) else _rows(missing)):
        if tuple(r) not in new:
            new.add(tuple(r))
            rows.append(list(r))
    with FileLock(str(folder / "queue.lock"), timeout=LOCK_SECONDS):
        queue = _read(folder)
        items = queue.get("items") if queue.get("source") == source else None
        items = [r for r in items or [] if tuple(r) not in new] + rows
        _write(folder, {"source": source, "items": items})
        return len(items)


def take(folder: Path, limit: int | None = None) -> tuple[str, pd.DataFrame]:
    """The last ``limit`` queued (None: all; the latest asked: a view opened now does not wait
    behind a month queued before it), their source and the conversations as ``QUEUE_COLUMNS``,
    taken off the queue."""
    with FileLock(str(folder / "queue.lock"), timeout=LOCK_SECONDS):
        queue = _read(folder)
        source, items = str(queue.get("source") or ""), list(queue.get("items") or [])
        cut = 0 if limit is None else max(0, len(items) - limit)
        left, items = items[:cut], items[cut:]
        if items:
            _write(folder, {"source": source, "items": left})
    frame = pd.DataFrame(items, columns=list(QUEUE_COLUMNS), dtype="str")
    frame["updated_at"] = frame["updated_at"].where(frame["updated_at"] != "")   # unknown: always asked
    return source, frame


# --- the process ------------------------------------------------------------------------------------

def _alive(pid: int) -> bool:
    proc = _STARTED.get(pid)
    if proc is not None and proc.poll() is not None:    # ours and ended: reaped
        _STARTED.pop(pid, None)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:    # a zombie is not running
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


def running(folder: Path, alive: Callable[[int], bool] = _alive) -> int | None:
    """The pid of the filler running for ``folder``, or None."""
    try:
        pid = int((folder / "filler.pid").read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def ensure(store: Any, source: str, missing: pd.DataFrame, *, root: str | os.PathLike | None = None,
           env: Mapping[str, str] | None = None, popen: Callable[..., Any] = subprocess.Popen,
           alive: Callable[[int], bool] = _alive) -> int | None:
    """Queue ``missing`` and start the store's filler unless one runs (this process's
    environment and ``env``): its pid, or None when the store cannot be shared with another
    process or a filler refused it lately (the caller fills in its own)."""
    arg = store_argument(store)
    if arg is None:
        return None
    folder = folder_for(store, source, root)
    if refused(folder):
        return None
    rows = _rows(missing)
    # queued again even when handed before: they move to the end, the latest asked, which the
    # filler takes first (the view looked at now never waits behind a month asked earlier)
    add(folder, source, rows)
    with FileLock(str(folder / "start.lock"), timeout=LOCK_SECONDS):
        pid = running(folder, alive)
        if pid is None:
            if not _STARTED:      # the fillers this process started end with it (what they stored stays)
                atexit.register(stop_started)
            with open(folder / "filler.log", "ab") as err:
                proc = popen([*COMMAND, str(folder), *arg, "--idle", f"{IDLE_SECONDS:g}", "--parent", str(os.getpid())],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=err, cwd=os.getcwd(), start_new_session=True,
                             env={**os.environ, **(env or {})})
            if isinstance(proc, subprocess.Popen):     # a process of its own (not a test's stand-in)
                lower_priority(proc.pid)
            _STARTED[proc.pid] = proc
            (folder / "filler.pid").write_text(str(proc.pid), encoding="ascii")
            log.info("messages filler started for %s (pid %s)", getattr(store, "location", ""), proc.pid)
            pid = proc.pid
    return pid


def stop(folder: Path, *, alive: Callable[[int], bool] = _alive, kill: Callable[[int, int], None] = os.kill,
         wait: float = 10.0) -> int | None:
    """End ``folder``'s filler by its pid (SIGTERM; what it stored stays): the pid, or None if none ran."""
    pid = running(folder, alive)
    if pid is None:
        return None
    kill(pid, signal.SIGTERM)
    proc = _STARTED.pop(pid, None)
    if proc is not None:
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            kill(pid, signal.SIGKILL)
            proc.wait(timeout=wait)
    return pid


def stop_started() -> list[int]:
    """End every filler this process started (by pid)."""
    out = []
    for pid, proc in list(_STARTED.items()):
        if proc.poll() is None:
            procs.stop(proc)
            out.append(pid)
        _STARTED.pop(pid, None)
    return out


def refuse(folder: Path, why: str) -> None:
    """Say (``refused``, with the time) that a filler cannot fill ``folder``'s queue (its
    configuration is not the dashboard's): for ``REFUSED_SECONDS`` the dashboard fills in its
    own process instead of starting another."""
    log.error("messages filler: %s: the dashboard fills them itself", why)
    (folder / "refused").write_text(why, encoding="utf-8")


def refused(folder: Path, now: Callable[[], float] = time.time) -> bool:
    try:
        return now() - (folder / "refused").stat().st_mtime < REFUSED_SECONDS
    except OSError:
        return False


def wait_started(timeout: float | None = None) -> list[int]:
    """Wait for every filler this process started to end by itself (its queue empty for its
    idle seconds): their pids."""
    out = []
    for pid, proc in list(_STARTED.items()):
        proc.wait(timeout=timeout)
        _STARTED.pop(pid, None)
        out.append(pid)
    return out


def lower_priority(pid: int, setpriority: Callable[[int, int, int], Any] = os.setpriority) -> None:
    """The filler's process ``pid`` runs ``NICE`` steps below the dashboard: its fill is background
    work, the sessions' page loads come first (issue 20: ten viewers at once waited for the
    conversations' load while the fill took the cores). Refused: it runs as it is."""
    try:
        setpriority(os.PRIO_PROCESS, pid, NICE)
    except (OSError, AttributeError):
        pass


def parent_gone(parent: int | None, getppid: Callable[[], int] = os.getppid) -> bool:
    """Whether the dashboard that started this filler (``parent``, its pid; None: a filler started
    by hand) is gone: this process then has another parent (init or a subreaper). A dashboard
    killed outright left its filler running, filling a store nobody reads; another dashboard on
    the same store starts its own filler when it queues work."""
    return parent is not None and getppid() != parent


def run(folder: Path, source: str, fill: Callable[[pd.DataFrame], Any], *, idle: float | None = None,
        clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
        gone: Callable[[], bool] = lambda: False) -> int:
    """The filler's loop (in its own process): hold ``filler.lock`` (another filler holds it:
    return 0 at once), take the queue and ``fill`` it, until it has been empty ``idle`` seconds
    or ``gone()`` says its store is no more.
    Conversations queued for another source are dropped (said on the log). How many were filled."""
    lock = FileLock(str(folder / "filler.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return 0
    done = 0
    idle = IDLE_SECONDS if idle is None else idle
    try:
        (folder / "filler.pid").write_text(str(os.getpid()), encoding="ascii")
        quiet_since = clock()
        while not gone():         # its store removed (a demo dashboard's, gone with it): nothing to fill
            queued_for, todo = take(folder, BATCH)
            if todo.empty:
                if clock() - quiet_since >= idle:
                    return done
                sleep(POLL_SECONDS)
                continue
            if queued_for != source:     # configured otherwise than the dashboard: it fills them itself
                refuse(folder, f"{len(todo)} conversation(s) queued for another source than this "
                               "process's configuration")
                return done
            fill(todo)
            done += len(todo)
            quiet_since = clock()
        return done
    finally:
        try:
            if (folder / "filler.pid").read_text(encoding="ascii").strip() == str(os.getpid()):
                (folder / "filler.pid").unlink()
        except OSError:
            pass
        lock.release()

"""``python -m pancake export KIND --page ID ... --since YYYY-MM-DD --until YYYY-MM-DD``, and the
store's commands ``cache info``, ``cache clear [--page ID ...]`` and ``sync --page all|ID ... --days N``.

CSV exports for schedulers and Excel users (UTF-8 with BOM, formula-safe cells, the API's field
names as columns), read through the statistics store: closed days already stored cost no call.
Configuration: the environment, then ``.streamlit/secrets.toml``; no token refuses unless
``PANCAKE_DEMO=1``. ``sync`` skips what is stored (an interrupted one resumes; two at once share
the work) and fails before any call when the store cannot be reached.

Faults (the README's "Exit status" lists them): a failing page is named once on stderr and the
others are still written (exit 1); ``--output`` is checked before any call and replaced only by a
complete file (else ``FILE-stem.incomplete.csv`` beside it); a range past today is cut at today;
Ctrl-C exits 130 with no traceback and no partial file.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

import pandas as pd

from pancake import timeutil
from pancake.api import errors
from pancake.config import ConfigError, Settings, load_settings
from pancake.data import configured, core, filler, kinds, store
from pancake.data import replies as data_replies
from pancake.delivery import cli_access, cli_notify, export, export_conversations, export_replies
from pancake.delivery.cli_common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PAGE_FAILED,
    EXIT_USAGE,
    OPEN_LOADERS,
    make_loader,
    open_pages,
    parse_day,
    read_secrets,
    settings_with_token,
)
from pancake.redact import install_log_redaction, redact


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pancake",
        description="Pancake statistics: CSV exports for scheduled jobs and Excel.",
        epilog="Configuration: PANCAKE_ACCESS_TOKEN, PANCAKE_PAGE_TOKENS (page_id:token,...), "
               "PANCAKE_BASE_URL, PANCAKE_TIMEZONE, PANCAKE_DEMO=1; or the same keys in "
               ".streamlit/secrets.toml.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ex = sub.add_parser(
        "export", help="write one kind of statistics as CSV",
        description="Write one kind of statistics for one or more pages as CSV (UTF-8 with BOM).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="KIND:\n" + "\n".join([*(f"  {k.name:<11} {k.help}" for k in kinds.REGISTRY.values()),
                                        f"  {export_conversations.KIND:<11} {export_conversations.HELP}",
                                        f"  {export_replies.KIND:<11} {export_replies.HELP}"]))
    export_kinds = [*kinds.names(), export_conversations.KIND, export_replies.KIND]
    ex.add_argument("kind", choices=export_kinds, metavar="KIND", help=", ".join(export_kinds))
    ex.add_argument("--page", action="append", required=True, metavar="ID",
                    help="page id (repeat for several); 'all' = every page the user token sees")
    ex.add_argument("--since", type=parse_day, required=True, metavar="YYYY-MM-DD",
                    help="first day, in the shop's time zone")
    ex.add_argument("--until", type=parse_day, required=True, metavar="YYYY-MM-DD",
                    help="last day (inclusive)")
    ex.add_argument("--by-hour", action="store_true",
                    help="hourly rows (" + ", ".join(k.name for k in kinds.REGISTRY.values() if k.hourly) + ")")
    ex.add_argument("--output", "-o", metavar="FILE",
                    help="write here instead of stdout (complete, or not at all: an export with failed "
                         "pages goes to FILE-stem.incomplete.csv and FILE is left as it was)")
    ex.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    ex.add_argument("--no-store", action="store_true",
                    help="ask the API for everything and leave the statistics store untouched")
    ex.add_argument("--no-messages", action="store_true",
                    help="conversations: ask for no messages; the first-response columns come only from the "
                         "messages the store already keeps (sync, an earlier export)")

    ca = sub.add_parser("cache", help="the statistics store: info, clear",
                        description="The statistics store (PANCAKE_CACHE_DIR, or PANCAKE_STORE_URL).")
    csub = ca.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    csub.add_parser("info", help="where the store is, its size, oldest and newest day per page and kind")
    cl = csub.add_parser("clear", help="delete the stored statistics (all, or --page ID ...)")
    cl.add_argument("--page", action="append", metavar="ID", help="only this page (repeat for several)")

    sy = sub.add_parser(
        "sync", help="fill the store with the last N closed days (cron, CronJob)",
        description="Fill the statistics store with the last N closed days of every kind (or --kinds), "
                    "so that the dashboard and exports find them without asking the API. Resumable; "
                    "exit 1 when a page failed (the others are still stored).")
    sy.add_argument("--page", action="append", required=True, nargs="+", metavar="ID",
                    help="page ids, or 'all' = every page the user token sees (or the configured pages)")
    sy.add_argument("--days", type=int, required=True, metavar="N", help="how many closed days back from yesterday")
    sy.add_argument("--kinds", nargs="+", choices=[*kinds.names(), "replies"], metavar="KIND",
                    help="only these kinds (" + ", ".join(kinds.names()) + ", replies: the conversations' "
                         "messages of the N days and today, for the response times); default: all")
    sy.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")

    fl = sub.add_parser(
        "fill", help="the dashboard's messages filler: the conversations queued in FOLDER, then exit",
        description="Fill the messages of the conversations a dashboard queued in FOLDER "
                    "(pancake.data.filler), within the rate limit, until the queue has stayed empty "
                    f"{filler.IDLE_SECONDS:g} s. The dashboard starts it (one per store); a cron uses "
                    "'sync --kinds replies' instead.")
    fl.add_argument("folder", metavar="FOLDER")
    fl.add_argument("--store", metavar="PATH", help="the SQLite store file to fill (default: the configured store)")
    fl.add_argument("--idle", type=float, metavar="SECONDS", default=None,
                    help=f"leave once the queue has been empty this long (default {filler.IDLE_SECONDS:g})")
    fl.add_argument("--parent", type=int, metavar="PID", default=None,
                    help="leave once process PID (the dashboard that started it) is gone")
    cli_notify.add_parsers(sub)
    cli_access.add_parsers(sub)
    return parser


def _progress(args: argparse.Namespace, stderr: TextIO):
    return (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=stderr, flush=True))


def _export_dates(args: argparse.Namespace, settings: Settings, stderr: TextIO) -> bool:
    """Check ``--since``/``--until`` against [2015-01-01, tomorrow] in the shop's zone and cut
    the range at today (saying so). False after an error line."""
    today = timeutil.local_today(settings.tz)
    for flag, day in (("--since", args.since), ("--until", args.until)):
        if not timeutil.in_valid_range(day, today):
            print(f"error: {flag} {day.isoformat()} is outside the dates that can be exported "
                  f"({timeutil.valid_range_text(today)})", file=stderr)
            return False
    try:
        args.since, until, cut = timeutil.clamp_to_today(args.since, args.until, today)
    except ValueError:
        print(f"error: --since {args.since.isoformat()} is after today ({today.isoformat()} in "
              f"{settings.timezone}): there is no data yet", file=stderr)
        return False
    if cut:
        print(f"note: --until {args.until.isoformat()} is after today: exporting up to today, "
              f"{today.isoformat()} ({settings.timezone}; today is not over yet)", file=stderr)
        args.until = until
    return True


def _incomplete_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.incomplete{path.suffix or '.csv'}")


def run_export(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.until < args.since:
        print(f"error: --until {args.until} is before --since {args.since}", file=stderr)
        return EXIT_USAGE
    kind = None if args.kind in (export_conversations.KIND, export_replies.KIND) else kinds.get(args.kind)
    if args.by_hour and (kind is None or not kind.hourly):
        print(f"error: --by-hour is not available for {args.kind}", file=stderr)
        return EXIT_USAGE
    # the output is checked before anything is fetched (and before the token: a typo in a path
    # should not cost an API run)
    output = incomplete = None
    try:
        if args.output and args.output != "-":
            output = export.AtomicFile(args.output)
            if not output.stream:   # a device, a FIFO or /dev/stdout gets what was fetched, as stdout does
                incomplete = export.AtomicFile(_incomplete_path(Path(args.output)))
    except export.OutputPathError as exc:
        if output is not None:
            output.discard()
        print(f"error: --output: {exc}", file=stderr)
        return EXIT_USAGE
    try:
        return _export(args, kind, stdout, stderr, output, incomplete)
    finally:
        for f in (output, incomplete):
            if f is not None:
                f.discard()


def _export(args: argparse.Namespace, kind: kinds.Kind | None, stdout: TextIO, stderr: TextIO,
            output: export.AtomicFile | None, incomplete: export.AtomicFile | None) -> int:
    settings = settings_with_token(stderr)
    if settings is None:
        return EXIT_USAGE
    if not _export_dates(args, settings, stderr):
        return EXIT_USAGE
    progress = _progress(args, stderr)
    if kind is None:   # conversations or replies: not statistics, one row per conversation or turn
        rows = export_replies if args.kind == export_replies.KIND else export_conversations
        got = rows.run(args, stderr, progress=progress,
                       open_pages=lambda *a, **kw: open_pages(*a, settings=settings, **kw))
        if isinstance(got, int):
            return got
        frame, errs = got
        for err in errs:
            print(f"error: page {err.page_name} ({err.page_id}) failed: {err.message}", file=stderr)
        where = _write(export.to_csv_bytes(frame), len(frame), bool(errs), stdout, output, incomplete, stderr)
        if where is None:
            return EXIT_PAGE_FAILED
        noun = "customer turn(s)" if rows is export_replies else "conversation(s)"
        summary = f"done: {len(frame)} {noun}, {len(errs)} page(s) failed" if errs else f"done: {len(frame)} {noun}"
        if errs:
            print(summary + where, file=stderr)
        else:
            progress(summary)
        return EXIT_PAGE_FAILED if errs else EXIT_OK
    opened = open_pages(args.page, "export", stderr, use_store=not args.no_store, settings=settings)
    if isinstance(opened, int):
        return opened
    loader, page_ids, names = opened

    options = {"hourly": True} if args.by_hour else {}
    progress(f"exporting {args.kind} for {len(page_ids)} page(s), {args.since} to {args.until}")

    def on_progress(done: int, total: int, pid: str) -> None:
        progress(f"  [{done}/{total}] page {names.get(pid, pid)} ({pid})")

    result = loader.load(kind.name, page_ids, args.since, args.until, page_names=names,
                         on_progress=on_progress, keep_partial=True, **options)
    table = kind.csv(result.frames, hourly=args.by_hour) if result.frames else None
    if table is None:
        table = pd.DataFrame()
    data = export.to_csv_bytes(table)
    for err in result.errors:   # each failing page once
        print(f"error: page {err.page_name} ({err.page_id}) failed: {err.message}", file=stderr)
    where = _write(data, len(table), bool(result.errors), stdout, output, incomplete, stderr)
    if where is None:
        return EXIT_PAGE_FAILED
    partial = [e for e in result.errors if e.partial]
    summary = (f"done: {len(table)} row(s) for {len(result.pages_ok)} page(s)"
               + (f", {len(partial)} page(s) with missing days" if partial else "")
               + (f", {len(result.errors) - len(partial)} page(s) failed" if len(result.errors) > len(partial)
                  else ""))
    if result.errors:
        print(summary + where, file=stderr)   # an incomplete export is said even with --quiet
    else:
        progress(summary)
    return EXIT_PAGE_FAILED if result.errors else EXIT_OK


def _write(data: bytes, rows: int, failed: bool, stdout: TextIO, output: export.AtomicFile | None,
           incomplete: export.AtomicFile | None, stderr: TextIO | None = None) -> str | None:
    """The CSV to its place: a complete export replaces ``--output``; an incomplete one leaves
    it as it was and goes to ``NAME.incomplete.csv`` (when it has rows); without ``--output``,
    stdout; a device, a FIFO or ``/dev/stdout`` as ``--output`` is written through, complete or
    not, as stdout is. Returns what to add to the summary line, or None after saying on stderr
    (one line: the path and the cause) that the file could not be written."""
    try:
        return _write_to(data, rows, failed, stdout, output, incomplete)
    except export.OutputWriteError as exc:
        kept = (f"; {output.path} left as it was" if output is not None and not output.stream
                and output.path.exists() else "")
        print(f"error: --output: {exc}{kept}", file=stderr or sys.stderr)
        return None


def _write_to(data: bytes, rows: int, failed: bool, stdout: TextIO, output: export.AtomicFile | None,
              incomplete: export.AtomicFile | None) -> str:
    if output is None or output.stream:
        if output is not None:
            output.commit(data)
            return ""
        out = getattr(stdout, "buffer", None)
        if out is not None:
            out.write(data)
            out.flush()
        else:
            stdout.write(data.decode("utf-8"))
        return ""
    if not failed:
        output.commit(data)
        return ""
    if rows and incomplete is not None:
        incomplete.commit(data)
        return (f"; {output.path} left as it was, what was fetched is in {incomplete.path}"
                if output.path.exists() else f"; what was fetched is in {incomplete.path}")
    return f"; nothing written ({output.path} left as it was)" if output.path.exists() else "; nothing written"


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def run_cache(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    settings = load_settings(secrets=read_secrets())
    st = configured.open_store(settings, persistent=True, warn=False)
    if st.unavailable:
        print(f"error: the statistics store is unavailable ({st.unavailable}): nothing to "
              f"{'clear' if args.cache_command == 'clear' else 'show'}", file=stderr)
        st.close()
        return EXIT_PAGE_FAILED
    try:
        if args.cache_command == "clear":
            pages = args.page or [None]
            n = sum(st.clear(p) for p in pages)
            what = "every page" if args.page is None else ", ".join(args.page)
            print(f"cleared {n} stored entr{'y' if n == 1 else 'ies'} ({what}) from {st.location}", file=stdout)
            return EXIT_OK
        info = st.info()
        now = time.time()
        print(f"store: {info.backend} {info.location}", file=stdout)
        print(f"size: {_size(info.size_bytes)}, {info.entries} entr{'y' if info.entries == 1 else 'ies'}",
              file=stdout)
        if info.warning:
            print(f"warning: {info.warning}", file=stdout)
        if not info.rows:
            print("(empty)", file=stdout)
            return EXIT_OK
        header = f"{'page':<18} {'kind':<11} {'oldest day':<11} {'newest day':<11} {'entries':>7} {'size':>9}  newest data fetched"
        print(header, file=stdout)
        for r in info.rows:
            print(f"{r.page_id:<18} {r.kind:<11} {r.oldest_day.isoformat():<11} {r.newest_day.isoformat():<11} "
                  f"{r.entries:>7} {_size(r.bytes):>9}  {_age(max(0.0, now - r.newest_fetch))} ago", file=stdout)
        return EXIT_OK
    finally:
        st.close()


def sync_plan(kind: kinds.Kind, hourly: bool, today, days: int) -> list[tuple]:
    """The ranges a sync loads for one kind: closed days only. Day-grain kinds: the N days at
    once (stored per day). Per-window kinds: the windows of those N days, plus the closed
    windows that the dashboard's presets (and their previous periods) ask for today, so that
    tomorrow morning's views find them."""
    first, last = today - timedelta(days=days), today - timedelta(days=1)
    if last < first:
        return []
    if core.mode_of(kind, hourly) == "day":
        return [(first, last)]
    wanted: list[tuple] = list(timeutil.split_windows(first, last))
    for preset in timeutil.PRESETS:
        if preset == "custom":
            continue
        rng = timeutil.preset_range(preset, today)
        for a, b in (rng, timeutil.previous_period(*rng)):
            for w in timeutil.split_windows(a, b):
                if w[1] < today and w[0] >= first and w not in wanted:
                    wanted.append(w)
    return sorted(wanted)


def _not_stored_text(missing: dict[str, set[date]], first: date, last: date) -> str:
    """``40 of 90 day(s) not stored (2026-09-08..2026-10-17) for 2 page(s)``: a day is stored when
    every page and kind has it."""
    days = set().union(*missing.values()) if missing else set()
    total = (last - first).days + 1
    pages = len([p for p, d in missing.items() if d])
    return (f"{len(days)} of {total} day(s) not stored ({core.runs_text(core.day_runs(days))}) "
            f"for {pages} page(s)")


def run_sync(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Fill the store. Its point is the store: an unavailable store fails before any call, and
    the first failed write stops the sync (the calls still queued are never sent); either way
    the exit status is 1 and stderr says how many days were not stored."""
    if args.days < 1:
        print("error: --days must be at least 1", file=stderr)
        return EXIT_USAGE
    settings = settings_with_token(stderr)
    if settings is None:
        return EXIT_USAGE
    today = timeutil.local_today(settings.tz)
    if args.days > (today - timeutil.EARLIEST_DATE).days:
        print(f"error: --days {args.days} reaches before {timeutil.EARLIEST_DATE.isoformat()} "
              f"(at most {(today - timeutil.EARLIEST_DATE).days})", file=stderr)
        return EXIT_USAGE
    first, last = today - timedelta(days=args.days), today - timedelta(days=1)

    def require_store(st) -> int | None:
        if st is None or not st.unavailable or settings.use_demo:
            return None
        print(f"error: the statistics store is unavailable ({st.unavailable}): nothing synced, "
              f"{args.days} of {args.days} day(s) not stored", file=stderr)
        return EXIT_PAGE_FAILED

    opened = open_pages([p for group in args.page for p in group], "sync", stderr, settings=settings,
                   require_store=require_store)
    if isinstance(opened, int):
        return opened
    loader, page_ids, names = opened
    loader.strict_store = True
    progress = _progress(args, stderr)

    def waiting(pid: str) -> None:
        progress(f"sync: waiting for another sync of page {names.get(pid, pid)} ({pid}) to finish; "
                 "what it stores is not asked again")
    lock = (loader.store.sync_lock(loader.source, page_ids, on_wait=waiting) if loader.store is not None
            else contextlib.nullcontext())
    try:
        lock.__enter__()
    except Exception as exc:  # noqa: BLE001 - the lock is a saving, not the point: sync without it
        print(f"warning: could not coordinate with other syncs ({redact(str(exc))}); going on", file=stderr)
        lock = contextlib.nullcontext()
    try:
        return _sync(args, loader, page_ids, names, progress, first, last, stderr)
    finally:
        lock.__exit__(None, None, None)


def _sync(args: argparse.Namespace, loader: core.Loader, page_ids: list[str], names: dict[str, str],
          progress: Callable[[str], None], first: date, last: date, stderr: TextIO) -> int:
    today = loader.today()
    jobs = []
    for name in [k for k in (args.kinds or kinds.names()) if k != "replies"]:
        k = kinds.get(name)
        for hourly in ((False, True) if k.hourly else (False,)):
            if core.SAME_AS.get((name, hourly), (name, hourly)) != (name, hourly):
                continue   # the same call as another variant: stored once
            for a, b in sync_plan(k, hourly, today, args.days):
                jobs.append((name, hourly, a, b))
    where = loader.store.location if loader.store is not None else "memory"
    progress(f"sync: {len(page_ids)} page(s), {args.days} closed day(s) up to {today - timedelta(days=1)}, "
             f"{len(jobs)} range(s) of {len([k for k in args.kinds or kinds.names() if k != 'replies'])} kind(s) into {where}")
    for name, hourly, a, b in jobs:   # every call of every job out at once, paced per page
        loader.prefetch(name, page_ids, a, b, **({"hourly": True} if hourly else {}))
    failed: dict[str, str] = {}
    missing: dict[str, set[date]] = {}
    stopped = False
    for i, (name, hourly, a, b) in enumerate(jobs, start=1):
        result = loader.load(name, page_ids, a, b, page_names=names, keep_partial=True,
                             **({"hourly": True} if hourly else {}))
        if loader.store_failure is not None:
            # the loader sends no call after the first failed write; the remaining jobs only read
            # what is stored, to count what is not
            stopped = True
        for err in result.errors:
            failed.setdefault(err.page_id, f"{name}: {err.message}")
            lost = ([d for run in err.missing for d in timeutil.daterange(*run)] if err.missing
                    else timeutil.daterange(a, b))
            missing.setdefault(err.page_id, set()).update(lost)
            if not stopped:
                print(f"error: page {err.page_name} ({err.page_id}) {name}{' hourly' if hourly else ''} "
                      f"{a}..{b}: {err.message}", file=stderr)
        if not stopped:
            progress(f"  [{i}/{len(jobs)}] {name}{' hourly' if hourly else ''} {a}..{b}: "
                     f"{len(result.pages_ok)} page(s) stored"
                     + (f", {len(result.errors)} failed" if result.errors else ""))
    if not stopped and (args.kinds is None or "replies" in args.kinds):
        # the response times: every conversation's messages, asked again only when moved
        for err in export_replies.sync(loader, page_ids, today - timedelta(days=args.days), today, names, progress):
            failed.setdefault(err.page_id, f"replies: {err.message}")
            print(f"error: page {err.page_name} ({err.page_id}) replies: {err.message}", file=stderr)
    if stopped:
        cause = redact(str(loader.store_failure))
        print(f"error: sync stopped at the first failed write to the statistics store {where} ({cause}): "
              f"{_not_stored_text(missing, first, last)}; what was stored before is kept", file=stderr)
        return EXIT_PAGE_FAILED
    if failed:
        print(f"done: {len(page_ids) - len(failed)} page(s) complete, {len(failed)} page(s) failed; "
              f"{_not_stored_text(missing, first, last)}", file=stderr)
        return EXIT_PAGE_FAILED
    progress(f"done: {len(page_ids)} page(s) complete")
    return EXIT_OK


def run_fill(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``fill FOLDER [--store PATH] [--idle SECONDS] [--parent PID]``: the dashboard's messages filler
    (``pancake.data.filler.run``); configured otherwise than the dashboard, it says so in FOLDER."""
    settings = settings_with_token(stderr)
    if settings is None:
        filler.refuse(Path(args.folder), "no configuration")
        return EXIT_USAGE
    loader = make_loader(settings)
    OPEN_LOADERS.append(loader)
    target = store.SQLiteStore(Path(args.store)) if args.store else loader.store
    if target is None or getattr(target, "unavailable", None):
        print(f"error: the statistics store is unavailable ({getattr(target, 'unavailable', None) or 'none'}): "
              "no message filled", file=stderr)
        return EXIT_PAGE_FAILED
    failed = 0

    def fill(todo: pd.DataFrame) -> None:
        nonlocal failed
        for err in data_replies.fill(loader.client, target, loader.source, todo).errors:
            failed += 1
            print(f"error: page {err.page_name} ({err.page_id}) replies: {err.message}", file=stderr, flush=True)
    def gone() -> bool:   # its store removed, or the dashboard that started it gone
        return bool(args.store and not Path(args.store).exists()) or filler.parent_gone(args.parent)
    filler.run(Path(args.folder), loader.source, fill, idle=args.idle, gone=gone)
    return EXIT_PAGE_FAILED if failed else EXIT_OK


def _interrupted(stderr: TextIO) -> None:
    """Ctrl-C: the clients refuse any further call (queued windows fail at once)."""
    for loader in OPEN_LOADERS:
        try:
            loader.client.close()
        except Exception:  # noqa: BLE001 - we are leaving anyway
            pass
    try:
        print("interrupted: stopped, no file written", file=stderr, flush=True)
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None, *, hard_exit: bool | None = None) -> int:
    """The command line. ``hard_exit`` (default: when run as the program, ``argv`` None): on
    Ctrl-C, leave the process at once (calls in flight are not waited for) after the temporary
    files are removed; otherwise return 130."""
    if hard_exit is None:
        hard_exit = argv is None
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    install_log_redaction()
    # the command prints each failing page itself, once
    pages_log = logging.getLogger("pancake.data.pages")
    pages_log.propagate = False
    if not pages_log.handlers:
        pages_log.addHandler(logging.NullHandler())
    try:
        return _main(argv, stdout, stderr)
    except KeyboardInterrupt:
        _interrupted(stderr)
        if hard_exit:
            try:
                stdout.flush()
            except (OSError, ValueError):
                pass
            os._exit(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    finally:
        OPEN_LOADERS.clear()


def _main(argv: Sequence[str] | None, stdout: TextIO, stderr: TextIO) -> int:
    args = build_parser().parse_args(argv)
    # What the imports made (pandas, numpy, httpx...: some 75,000 objects) lives until exit. The
    # command's own allocations would set off a full collection that rescans all of it (~50 ms,
    # in the middle of the calls); frozen, the collector leaves it alone until the command is done.
    gc.freeze()
    try:
        if args.command == "export":
            return run_export(args, stdout, stderr)
        if args.command == "cache":
            return run_cache(args, stdout, stderr)
        if args.command == "sync":
            return run_sync(args, stdout, stderr)
        if args.command == "fill":
            return run_fill(args, stdout, stderr)
        if args.command in cli_notify.COMMANDS:
            return cli_notify.run(args, stdout, stderr)
        if args.command in cli_access.COMMANDS:
            return cli_access.run(args, None, stdout, stderr)
    except ConfigError as exc:
        print(f"error: {redact(exc)}", file=stderr)
        return EXIT_USAGE
    except errors.PancakeError as exc:
        print(f"error: {redact(exc)}", file=stderr)
        return EXIT_PAGE_FAILED
    finally:
        gc.unfreeze()
    return EXIT_USAGE

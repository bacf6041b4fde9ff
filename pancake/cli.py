"""``python -m pancake export KIND --page ID ... --since YYYY-MM-DD --until YYYY-MM-DD``

CSV exports for schedulers (cron, Task Scheduler) and Excel users. UTF-8 with BOM, one
header row, cells safe from formula injection, the API's own field names as columns.
A failing page is reported on stderr (page and cause) while the others are still
written; the exit status is then 1. Configuration comes from the environment, then
``.streamlit/secrets.toml``; with no token at all the command refuses unless
``PANCAKE_DEMO=1`` (demo data from the built-in simulator).

The export reads through the statistics store (``pancake.store``): closed days already stored
cost no API call, from any process. The store's own commands:

- ``python -m pancake cache info``: where the store is, its size, and per page and kind the
  oldest and newest stored day and when the newest data was fetched;
- ``python -m pancake cache clear [--page ID ...]``: delete everything, or some pages;
- ``python -m pancake sync --page all|ID ... --days N [--kinds KIND ...]``: fill the store with
  the last N closed days (for cron or a Kubernetes CronJob). Progress on stderr; what is
  already stored is skipped, so an interrupted sync resumes; exit 1 when a page failed (the
  other pages are still stored).
"""
from __future__ import annotations

import argparse
import gc
import sys
import tomllib
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import TextIO

import pandas as pd

from . import errors, export, kinds, store, timeutil
from .config import ConfigError, Settings, load_settings
from .data import core
from .redact import install_log_redaction, redact

EXIT_OK, EXIT_PAGE_FAILED, EXIT_USAGE = 0, 1, 2

def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


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
        epilog="KIND:\n" + "\n".join(f"  {k.name:<11} {k.help}" for k in kinds.REGISTRY.values()))
    ex.add_argument("kind", choices=kinds.names(), metavar="KIND", help=", ".join(kinds.names()))
    ex.add_argument("--page", action="append", required=True, metavar="ID",
                    help="page id (repeat for several); 'all' = every page the user token sees")
    ex.add_argument("--since", type=_date, required=True, metavar="YYYY-MM-DD",
                    help="first day, in the shop's time zone")
    ex.add_argument("--until", type=_date, required=True, metavar="YYYY-MM-DD",
                    help="last day (inclusive)")
    ex.add_argument("--by-hour", action="store_true",
                    help="hourly rows (" + ", ".join(k.name for k in kinds.REGISTRY.values() if k.hourly) + ")")
    ex.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    ex.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    ex.add_argument("--no-store", action="store_true",
                    help="ask the API for everything and leave the statistics store untouched")

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
    sy.add_argument("--kinds", nargs="+", choices=kinds.names(), metavar="KIND",
                    help="only these kinds (" + ", ".join(kinds.names()) + "); default: all")
    sy.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    return parser


def _read_secrets(path: Path = Path(".streamlit/secrets.toml")) -> dict:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} could not be read: {type(exc).__name__}") from None


def _settings_with_token(stderr: TextIO) -> Settings | None:
    settings = load_settings(secrets=_read_secrets())
    if not settings.has_token and not settings.demo:
        print("error: no token configured. Set PANCAKE_ACCESS_TOKEN (user token) or "
              "PANCAKE_PAGE_TOKENS (page_id:token,...), or PANCAKE_DEMO=1 for demo data.", file=stderr)
        return None
    return settings


def _resolve_pages(client, settings: Settings, asked: list[str],
                   stderr: TextIO) -> tuple[list[str], dict[str, str]] | None:
    """Page ids asked (``all`` = every page the user token sees, or the configured pages) and
    their names; None when ``all`` cannot be listed."""
    try:
        pages = core.list_pages(client, settings.page_tokens) if (
            "all" in asked or client.has_user_token) else None
    except errors.PancakeError as exc:
        if "all" in asked:
            print(f"error: could not list pages: {redact(exc)}", file=stderr)
            return None
        pages = None
    names = dict(zip(pages["page_id"], pages["name"])) if pages is not None else {}
    page_ids: list[str] = []
    for p in asked:
        for pid in (list(pages["page_id"]) if p == "all" and pages is not None else [p]):
            if pid not in page_ids:
                page_ids.append(pid)
    return page_ids, names


def make_loader(settings: Settings, *, use_store: bool = True) -> core.Loader:
    """The CLI's loader: the same store (and shared rate limit) as the dashboard."""
    st = store.open_store(settings) if use_store else None
    shared = None
    if st is not None and not settings.use_demo and st.backend != "memory":
        from .ratelimit import SharedLimiter
        try:
            shared = (SharedLimiter.postgres(settings.store_url) if settings.store_url
                      else SharedLimiter.sqlite(str(store.cache_dir(settings) / "ratelimit.sqlite3")))
        except Exception:  # noqa: BLE001 - pacing in this process still holds
            shared = None
    client = core.make_client(settings, shared_limiter=shared) if shared else core.make_client(settings)
    return core.Loader(client, st, source=store.source_key(settings),
                       today=lambda: timeutil.local_today(settings.tz))


def _open(asked: list[str], verb: str, stderr: TextIO, *, use_store: bool = True):
    """The configuration, a loader and the pages asked (``all`` expanded): ``(loader, page_ids,
    names)``, or the exit status after saying on stderr what is wrong."""
    settings = _settings_with_token(stderr)
    if settings is None:
        return EXIT_USAGE
    loader = make_loader(settings, use_store=use_store)
    resolved = _resolve_pages(loader.client, settings, asked, stderr)
    if resolved is None:
        return EXIT_PAGE_FAILED
    page_ids, names = resolved
    if not page_ids:
        print(f"error: no pages to {verb}", file=stderr)
        return EXIT_USAGE
    return loader, page_ids, names


def _progress(args: argparse.Namespace, stderr: TextIO):
    return (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=stderr, flush=True))


def run_export(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.until < args.since:
        print(f"error: --until {args.until} is before --since {args.since}", file=stderr)
        return EXIT_USAGE
    kind = kinds.get(args.kind)
    if args.by_hour and not kind.hourly:
        print(f"error: --by-hour is not available for {args.kind}", file=stderr)
        return EXIT_USAGE
    opened = _open(args.page, "export", stderr, use_store=not args.no_store)
    if isinstance(opened, int):
        return opened
    loader, page_ids, names = opened
    progress = _progress(args, stderr)

    options = {"hourly": True} if args.by_hour else {}
    progress(f"exporting {args.kind} for {len(page_ids)} page(s), {args.since} to {args.until}")

    def on_progress(done: int, total: int, pid: str) -> None:
        progress(f"  [{done}/{total}] page {names.get(pid, pid)} ({pid})")

    result = loader.load(kind.name, page_ids, args.since, args.until, page_names=names,
                         on_progress=on_progress, **options)
    table = kind.csv(result.frames, hourly=args.by_hour) if result.frames else None
    if table is None:
        table = pd.DataFrame()
    if args.output:
        Path(args.output).write_bytes(export.to_csv_bytes(table))
    else:
        data = export.to_csv_bytes(table)
        out = getattr(stdout, "buffer", None)
        if out is not None:
            out.write(data)
            out.flush()
        else:
            stdout.write(data.decode("utf-8"))
    for err in result.errors:
        print(f"error: page {err.page_name} ({err.page_id}) failed: {err.message}", file=stderr)
    progress(f"done: {len(table)} row(s) for {len(result.pages_ok)} page(s)"
             + (f", {len(result.errors)} page(s) failed" if result.errors else ""))
    return EXIT_PAGE_FAILED if result.errors else EXIT_OK


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
    settings = load_settings(secrets=_read_secrets())
    st = store.open_store(settings, persistent=True)
    try:
        if args.cache_command == "clear":
            pages = args.page or [None]
            n = sum(st.clear(p) for p in pages)
            what = "every page" if args.page is None else ", ".join(args.page)
            print(f"cleared {n} stored entr{'y' if n == 1 else 'ies'} ({what}) from {st.location}", file=stdout)
            return EXIT_OK
        info = st.info()
        import time as _time
        now = _time.time()
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


def run_sync(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.days < 1:
        print("error: --days must be at least 1", file=stderr)
        return EXIT_USAGE
    opened = _open([p for group in args.page for p in group], "sync", stderr)
    if isinstance(opened, int):
        return opened
    loader, page_ids, names = opened
    progress = _progress(args, stderr)
    today = loader.today()
    jobs = []
    for name in (args.kinds or kinds.names()):
        k = kinds.get(name)
        for hourly in ((False, True) if k.hourly else (False,)):
            if core.SAME_AS.get((name, hourly), (name, hourly)) != (name, hourly):
                continue   # the same call as another variant: stored once
            for a, b in sync_plan(k, hourly, today, args.days):
                jobs.append((name, hourly, a, b))
    where = loader.store.location if loader.store is not None else "memory"
    progress(f"sync: {len(page_ids)} page(s), {args.days} closed day(s) up to {today - timedelta(days=1)}, "
             f"{len(jobs)} range(s) of {len(args.kinds or kinds.names())} kind(s) into {where}")
    for name, hourly, a, b in jobs:   # every call of every job out at once, paced per page
        loader.prefetch(name, page_ids, a, b, **({"hourly": True} if hourly else {}))
    failed: dict[str, str] = {}
    for i, (name, hourly, a, b) in enumerate(jobs, start=1):
        result = loader.load(name, page_ids, a, b, page_names=names, **({"hourly": True} if hourly else {}))
        for err in result.errors:
            failed.setdefault(err.page_id, f"{name}: {err.message}")
            print(f"error: page {err.page_name} ({err.page_id}) {name}{' hourly' if hourly else ''} "
                  f"{a}..{b}: {err.message}", file=stderr)
        progress(f"  [{i}/{len(jobs)}] {name}{' hourly' if hourly else ''} {a}..{b}: "
                 f"{len(result.pages_ok)} page(s) stored" + (f", {len(result.errors)} failed" if result.errors else ""))
    progress(f"done: {len(page_ids) - len(failed)} page(s) complete" + (f", {len(failed)} page(s) failed" if failed else ""))
    return EXIT_PAGE_FAILED if failed else EXIT_OK


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    install_log_redaction()
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
    except ConfigError as exc:
        print(f"error: {redact(exc)}", file=stderr)
        return EXIT_USAGE
    except errors.PancakeError as exc:
        print(f"error: {redact(exc)}", file=stderr)
        return EXIT_PAGE_FAILED
    finally:
        gc.unfreeze()
    return EXIT_USAGE

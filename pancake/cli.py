"""``python -m pancake export KIND --page ID ... --since YYYY-MM-DD --until YYYY-MM-DD``

CSV exports for schedulers (cron, Task Scheduler) and Excel users. UTF-8 with BOM, one
header row, cells safe from formula injection, the API's own field names as columns.
A failing page is reported on stderr (page and cause) while the others are still
written; the exit status is then 1. Configuration comes from the environment, then
``.streamlit/secrets.toml``; with no token at all the command refuses unless
``PANCAKE_DEMO=1`` (demo data from the built-in simulator).
"""
from __future__ import annotations

import argparse
import sys
import tomllib
from datetime import date
from pathlib import Path
from typing import Sequence, TextIO

import pandas as pd

from . import errors, export, kinds
from .config import ConfigError, load_settings
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
    return parser


def _read_secrets(path: Path = Path(".streamlit/secrets.toml")) -> dict:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} could not be read: {type(exc).__name__}") from None


def run_export(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    if args.until < args.since:
        print(f"error: --until {args.until} is before --since {args.since}", file=stderr)
        return EXIT_USAGE
    kind = kinds.get(args.kind)
    if args.by_hour and not kind.hourly:
        print(f"error: --by-hour is not available for {args.kind}", file=stderr)
        return EXIT_USAGE
    settings = load_settings(secrets=_read_secrets())
    if not settings.has_token and not settings.demo:
        print("error: no token configured. Set PANCAKE_ACCESS_TOKEN (user token) or "
              "PANCAKE_PAGE_TOKENS (page_id:token,...), or PANCAKE_DEMO=1 for demo data.", file=stderr)
        return EXIT_USAGE
    client = core.make_client(settings)
    progress = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=stderr, flush=True))
    try:
        pages = core.list_pages(client, settings.page_tokens) if (
            "all" in args.page or client.has_user_token) else None
    except errors.PancakeError as exc:
        if "all" in args.page:
            print(f"error: could not list pages: {redact(exc)}", file=stderr)
            return EXIT_PAGE_FAILED
        pages = None
    names = dict(zip(pages["page_id"], pages["name"])) if pages is not None else {}
    page_ids: list[str] = []
    for p in args.page:
        for pid in (list(pages["page_id"]) if p == "all" and pages is not None else [p]):
            if pid not in page_ids:
                page_ids.append(pid)
    if not page_ids:
        print("error: no pages to export", file=stderr)
        return EXIT_USAGE

    options = {"hourly": True} if args.by_hour else {}
    progress(f"exporting {args.kind} for {len(page_ids)} page(s), {args.since} to {args.until}")

    def on_progress(done: int, total: int, pid: str) -> None:
        progress(f"  [{done}/{total}] page {names.get(pid, pid)} ({pid})")

    result = core.fetch(client, kind.name, page_ids, args.since, args.until, page_names=names,
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


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    install_log_redaction()
    args = build_parser().parse_args(argv)
    try:
        if args.command == "export":
            return run_export(args, stdout, stderr)
    except ConfigError as exc:
        print(f"error: {redact(exc)}", file=stderr)
        return EXIT_USAGE
    except errors.PancakeError as exc:
        print(f"error: {redact(exc)}", file=stderr)
        return EXIT_PAGE_FAILED
    return EXIT_USAGE

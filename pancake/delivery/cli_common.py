"""What the CLI's commands share (``pancake.delivery.cli``, ``pancake.delivery.cli_notify``): exit statuses, the
date argument, the secrets file, and opening a configuration, its loader and the pages asked."""
from __future__ import annotations

import argparse
import tomllib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from pancake import timeutil
from pancake.api import errors
from pancake.config import ConfigError, Settings, check_page_id, load_settings
from pancake.data import configured, core
from pancake.redact import redact

EXIT_OK, EXIT_PAGE_FAILED, EXIT_USAGE = 0, 1, 2

EXIT_INTERRUPTED = 130


def parse_day(text: str) -> date:
    """Strictly ``YYYY-MM-DD``, as the help says (not ``20261101`` nor ``2026-W44-1``)."""
    try:
        day = timeutil.parse_iso_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if day < timeutil.EARLIEST_DATE:
        raise argparse.ArgumentTypeError(
            f"{text!r} is before {timeutil.EARLIEST_DATE.isoformat()}: dates go from "
            f"{timeutil.EARLIEST_DATE.isoformat()} to tomorrow")
    return day


def read_secrets(path: Path = Path(".streamlit/secrets.toml")) -> dict:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} could not be read: {type(exc).__name__}") from None


def settings_with_token(stderr: TextIO) -> Settings | None:
    settings = load_settings(secrets=read_secrets())
    if not settings.has_token and not settings.demo:
        print("error: no token configured. Set PANCAKE_ACCESS_TOKEN (user token) or "
              "PANCAKE_PAGE_TOKENS (page_id:token,...), or PANCAKE_DEMO=1 for demo data.", file=stderr)
        return None
    return settings


def resolve_pages(client, settings: Settings, asked: list[str],
                   stderr: TextIO) -> tuple[list[str], dict[str, str]] | None:
    """Page ids asked (``all`` = every page the user token sees, or the configured pages) and
    their names; None when ``all`` cannot be listed."""
    try:
        pages = core.list_pages(client, settings.page_tokens) if (
            "all" in asked or client.has_user_token) else None
    except errors.PancakeError as exc:
        if "all" in asked and not settings.page_tokens:
            print(f"error: could not list pages: {redact(exc)}", file=stderr)
            return None
        if "all" in asked:   # as the dashboard does: the pages that have a page token
            print(f"warning: could not list pages ({redact(exc)}); 'all' = the "
                  f"{len(settings.page_tokens)} page(s) of PANCAKE_PAGE_TOKENS", file=stderr)
            pages = core.list_pages(_NoUserToken(), settings.page_tokens)
        else:
            pages = None
    names = dict(zip(pages["page_id"], pages["name"])) if pages is not None else {}
    page_ids: list[str] = []
    for p in asked:
        for pid in (list(pages["page_id"]) if p == "all" and pages is not None else [p]):
            if pid not in page_ids:
                page_ids.append(pid)
    return page_ids, names


class _NoUserToken:
    """What ``core.list_pages`` needs to list the configured pages."""
    has_user_token = False


def make_loader(settings: Settings, *, use_store: bool = True, warn: bool = True) -> core.Loader:
    """The CLI's loader: the same store, shared rate limit and page tokens as the dashboard (the
    store is opened even with --no-store: it shares page tokens with the dashboard and other jobs)."""
    return configured.loader(settings, configured.open_store(settings, warn=warn), use_store=use_store, warn=False)


OPEN_LOADERS: list[core.Loader] = []   # closed on Ctrl-C (their clients refuse further calls)


def open_pages(asked: list[str], verb: str, stderr: TextIO, *, use_store: bool = True,
          settings: Settings | None = None, require_store: Callable[[Any], int | None] | None = None):
    """The configuration, a loader and the pages asked (``all`` expanded): ``(loader, page_ids,
    names)``, or the exit status after saying on stderr what is wrong."""
    for pid in asked:   # before the configuration: nothing is asked, nor a token made, for a bad id
        try:
            check_page_id(pid)
        except ConfigError as exc:
            print(f"error: --page {exc}", file=stderr)
            return EXIT_USAGE
    settings = settings or settings_with_token(stderr)
    if settings is None:
        return EXIT_USAGE
    loader = make_loader(settings, use_store=use_store, warn=require_store is None)
    OPEN_LOADERS.append(loader)
    if require_store is not None:   # a command whose point is the store: checked before any call
        refused = require_store(loader.store)
        if refused is not None:
            return refused
    resolved = resolve_pages(loader.client, settings, asked, stderr)
    if resolved is None:
        return EXIT_PAGE_FAILED
    page_ids, names = resolved
    if not page_ids:
        print(f"error: no pages to {verb}", file=stderr)
        return EXIT_USAGE
    return loader, page_ids, names

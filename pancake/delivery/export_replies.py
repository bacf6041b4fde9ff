"""``python -m pancake export replies --page ID ... --since D --until D``: one row per customer
turn that started in the range (``pancake.numbers.replies.EXPORT_COLUMNS``), the same frame as
the response-times page's download.

The range's conversations are read through ``pancake.data.conversations``; their messages are
kept in the store and asked again only when a conversation moved (``pancake.data.replies``).
Opening hours and targets come from ``PANCAKE_HOURS_FILE``; a bad file is named on stderr and
the export falls back to calendar time. ``first_responses`` gives ``export conversations`` its
first response's waits.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TextIO

import pandas as pd

from pancake.data import conversations as dc
from pancake.data import replies as dr
from pancake.data.core import PageError
from pancake.data.store import memory_store
from pancake.numbers import hours as hours_mod
from pancake.numbers import replies

KIND = "replies"
HELP = "one row per customer turn started in the range (waits in calendar time and opening hours, target met)"


def hours_for(timezone: str, stderr: TextIO) -> hours_mod.Hours:
    """The hours file, its fault said on stderr (the line), calendar time without it."""
    h = hours_mod.from_env(timezone)
    if h.error:
        where = f" line {h.error_line}" if h.error_line else ""
        print(f"warning: {hours_mod.ENV} {h.path}{where}: {h.error}; using calendar time (every hour counts, "
              "no target)", file=stderr)
    return h


def run(args: argparse.Namespace, stderr: TextIO, *, open_pages: Callable[..., Any],
        progress: Callable[[str], None], now: datetime | None = None) -> tuple[pd.DataFrame, list[PageError]] | int:
    opened = open_pages(args.page, "export", stderr, use_store=not getattr(args, "no_store", False))
    if isinstance(opened, int):
        return opened
    loader, page_ids, names = opened
    tz = loader.client.tz.key
    hours = hours_for(tz, stderr)
    store = loader.store if loader.store is not None else memory_store()
    progress(f"exporting replies for {len(page_ids)} page(s), {args.since} to {args.until}")
    got = dr.load_range(loader.client, store, loader.source, page_ids, args.since, args.until, tz, hours,
                        now or datetime.now(UTC), page_names=names, on_progress=progress)
    if got.filled is not None:
        progress(f"  {got.filled.asked} conversation(s) asked in {got.filled.calls} call(s); "
                 f"{got.kept.complete} of {got.kept.total} complete")
    return replies.export_frame(got.turns, hours), got.errors


def first_responses(loader: Any, frame: pd.DataFrame, conversations: pd.DataFrame, stderr: TextIO,
                    now: datetime | None = None, *, fetch: bool = True) -> tuple[pd.DataFrame, list[PageError]]:
    """``export conversations``' frame with the first response of each conversation (seconds,
    calendar and in opening hours; empty while the customer still waits, and, with ``fetch``
    False, for a conversation whose messages the store does not keep current)."""
    tz = loader.client.tz.key
    hours = hours_for(tz, stderr)
    store = loader.store if loader.store is not None else memory_store()
    done = dr.fill(loader.client, store, loader.source, conversations) if fetch else dr.Fill()
    turns, _ = dr.turns(store, loader.source, conversations, hours, now or datetime.now(UTC))
    first = replies.first_response(turns)
    out = frame.merge(first, on=["page_id", "conversation_id"], how="left")
    for col in ("first_response_seconds", "first_response_business_seconds"):
        out[col] = out[col].astype("float64").round().astype("Int64")
    return out, done.errors


def sync(loader: Any, page_ids: list[str], start: date, end: date, names: dict[str, str],
         progress: Callable[[str], None]) -> list[PageError]:
    """``python -m pancake sync``'s replies: the messages of the range's conversations into the
    store (only the conversations that moved since the last sync are asked)."""
    tz = loader.client.tz.key
    loaded = dc.load_conversations(loader.client, page_ids, start, end, tz, page_names=names, cap=100_000)
    done = dr.fill(loader.client, loader.store if loader.store is not None else memory_store(), loader.source,
                   loaded.frame, page_names=names)
    progress(f"  replies {start}..{end}: {len(loaded.frame)} conversation(s), {done.asked} asked again in "
             f"{done.calls} call(s)")
    return [*loaded.errors, *done.errors]

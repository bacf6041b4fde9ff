"""``python -m pancake export conversations --page ID ... --since D --until D``: one row per
conversation created in the range, the dashboard download's columns
(``pancake.numbers.views.conversations.export_frame``) and the first response's waits
(``pancake.delivery.export_replies.first_responses``). A failing page is named on stderr while
the others are written (exit 1).

Conversations are not statistics: every run asks the API; only their messages are kept
(``pancake.data.replies``), asked again when the conversation moved.
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TextIO

import pandas as pd

from pancake.data import conversations as dc
from pancake.data.core import PageError
from pancake.delivery import export, export_replies
from pancake.numbers.views import conversations as v

KIND = "conversations"
HELP = "one row per conversation created in the range (id, page, type, times, tags, assignees, phone, ads)"
CLI_MAX_PER_PAGE = 100_000   # a scheduled job may take its time; the dashboard caps lower


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    return export.to_csv_bytes(frame)


def run(args: argparse.Namespace, stderr: TextIO, *, open_pages: Callable[..., Any],
        progress: Callable[[str], None]) -> tuple[pd.DataFrame, list[PageError]] | int:
    """The ``export conversations`` command's fetching: (the one-row-per-conversation frame,
    the failing pages), or an exit status when the pages could not be opened. ``open_pages`` is
    the CLI's ``_open`` (configuration, loader, pages asked with ``all`` expanded); ``progress``
    prints to stderr unless quiet. The CLI writes the file (atomically, as for statistics)."""
    opened = open_pages(args.page, "export", stderr, use_store=not getattr(args, "no_store", False))
    if isinstance(opened, int):
        return opened
    loader, page_ids, names = opened
    tz = loader.client.tz.key
    progress(f"exporting conversations for {len(page_ids)} page(s), {args.since} to {args.until}")

    def on_progress(done: int, total: int, pid: str) -> None:
        progress(f"  [{done}/{total}] page {names.get(pid, pid)} ({pid})")

    loaded = dc.load_conversations(loader.client, page_ids, args.since, args.until, tz, page_names=names,
                                   cap=CLI_MAX_PER_PAGE, on_progress=on_progress)
    errors, capped = loaded.errors, loaded.capped
    fetch = not getattr(args, "no_messages", False)
    if fetch:
        progress(f"first responses: messages of {len(loaded.frame)} conversation(s)")
    frame, failed = export_replies.first_responses(loader, v.export_frame(loaded.frame, names), loaded.frame, stderr,
                                                   fetch=fetch)
    errors = [*errors, *failed]
    for pid in capped:
        print(f"warning: page {names.get(pid, pid)} ({pid}): more than {CLI_MAX_PER_PAGE} conversations, "
              "the newest were written", file=stderr)
    return frame, errors

"""The preamble every page shares, in one helper: the view, the pages in scope, the range
and the previous period, the header, and loads through the data layer.

    page = open_page("nav.staff")
    result, previous = page.load_pair("staff")

``load_pair`` compares like with like: when the pages that answered differ between the two
periods it returns no previous result and says so on screen (a change over different pages
would be false).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import time as dt_time
from typing import Any

import streamlit as st

from pancake.data import kinds
from pancake.data.core import Result
from pancake.numbers import metrics
from ui import auth, cache, components, state, store_notice
from ui.progress import ViewProgress


@dataclass
class Page:
    view: state.View
    lang: str
    page_ids: list[str]
    names: dict[str, str]
    start: date
    end: date
    prev_start: date
    prev_end: date
    progress: bool = True
    warn: bool = True   # name failing pages on screen (the standup screen shows them as flags)
    partial: bool = False  # today, not over yet, is inside the range
    progress_bar: ViewProgress | None = None   # the view's one indicator (``ask_all``), else one per load

    @property
    def compare(self) -> bool:
        return self.view.compare

    def name(self, page_id: str) -> str:
        return self.names.get(page_id, page_id)

    def load(self, kind: str, start: date | None = None, end: date | None = None, **options: Any) -> Result:
        """One kind of statistics for the pages in scope over [start, end] (default: the range),
        with a spinner named after the kind; per-page errors are shown once."""
        if self.progress_bar is not None:      # the view's one indicator counts this load too
            options = {**options, "tally": self.progress_bar.tally}
        return components.load(kind, self.page_ids, start or self.start, end or self.end,
                               progress=self.progress and self.progress_bar is None, warn=self.warn, **options)

    def ask_all(self, kinds_: Iterable[str], *, first: int = 1) -> ViewProgress:
        """Every call the view's kinds need, for the range and (when comparing) the previous period,
        in the order given, counted by one progress indicator drawn here; later loads wait for
        them. The ``first`` kinds (the cards') go out now; the others as soon as those are
        drawn (the view calls ``first_drawn()`` on the indicator returned), so the first cards'
        work (the calls, their reshaping, composing and drawing them) is not shared with the
        rest. A partial today's
        previous period is asked for its whole days only, and not at all for a kind that counts
        whole days (it is not compared)."""
        bar = self.progress_bar = ViewProgress(self.page_ids, self.lang)
        today_in = self.partial and self.end == cache.today()
        after: list = []
        for i, kind in enumerate(kinds_):      # a kind's two periods together: its cards can draw first
            if i == first:
                after = [bar.drawn]
            cache.prefetch(kind, self.page_ids, self.start, self.end, tally=bar.tally, after=after)
            if not self.compare:
                continue
            if not today_in:
                cache.prefetch(kind, self.page_ids, self.prev_start, self.prev_end, tally=bar.tally, after=after)
            elif kinds.get(kind).cuts_by_time:     # the cut day is asked by load_pair, when known
                cache.prefetch(kind, self.page_ids, self.prev_start, self.prev_end, until=dt_time(0),
                               tally=bar.tally, after=after)
        bar.tally.refresh()
        return bar

    def load_pair(self, kind: str, **options: Any) -> tuple[Result, Result | None]:
        """The range and, when comparing, the previous period over the same pages; the previous
        result is None when not comparing or when the two periods do not cover the same pages."""
        current = self.load(kind, **options)
        if not self.compare:
            return current, None
        until = self.same_hours(current)
        if until is not None and not kinds.get(kind).cuts_by_time:
            # the endpoint counts whole days: no same hours to compare with, so no change
            # (the cards and the note say so) rather than today so far against a whole day
            components.whole_days_only(kind)
            return current, None
        if until is not None:   # today until now against the same hours one period earlier
            components.compared_until(until)
            options = {**options, "until": until}
        previous = self.load(kind, self.prev_start, self.prev_end, **options)
        if not metrics.comparable(current.pages_ok, previous.pages_ok):
            odd = sorted(set(current.pages_ok) ^ set(previous.pages_ok)
                         | {e.page_id for e in previous.errors} | {e.page_id for e in current.errors})
            components.note(state.t("card.no_compare_pages", pages=", ".join(components.escape_markdown(self.name(p)) for p in odd)))
            return current, None
        return current, previous


    def same_hours(self, current: Result) -> dt_time | None:
        """When today (partial) is in the range: the local time of day today's figures were
        fetched at (to the minute), where the previous period's last day is cut; else None."""
        if not self.partial or self.end != cache.today():
            return None
        local = current.fetched_at.astimezone(cache.settings().tz)
        return local.time().replace(second=0, microsecond=0)


def open_page(title_key: str | None, *, header: bool = True, progress: bool = True,
              warn: bool = True) -> Page:
    """The shared preamble: view, pages in scope, names, range, previous period, header. Called
    once per run of a page (and per refresh of a self-refreshing fragment), it also starts the
    run's list of problems already named, so each failing page is named once per run."""
    auth.recheck()      # a fragment's refresh does not pass the gate: a revoked session ends here too
    st.session_state["_shown_errors"] = set()
    view = state.current()
    frame, _ = cache.pages()
    page_ids = state.selected_pages(list(frame["page_id"].astype(str)))
    start, end = state.date_range()
    prev_start, prev_end = state.previous_range()
    if header and title_key:
        components.header(title_key, page_ids)
        store_notice.show(view.lang)    # statistics in memory only: every page says so (issue 20)
    return Page(view=view, lang=view.lang, page_ids=page_ids, names=cache.page_names(), start=start,
                end=end, prev_start=prev_start, prev_end=prev_end, progress=progress, warn=warn,
                partial=state.partial_today())


"""One progress indicator per view: every call of every kind and period the view asks, counted
together ("312 of 720 requests · 14 of 24 pages complete"), never restarting per kind. The counting is
``pancake.data.gather.Tally`` (the loader adds each call to it and refreshes it while it waits); this
draws it."""
from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, InvalidStateError

import streamlit as st

from pancake import fmt, i18n
from pancake.data import gather


def text(counts: gather.Counts, lang: str) -> str:
    """"312 of 720 requests · 14 of 24 pages complete" / "312/720 yêu cầu · 14/24 trang đã tải đủ"."""
    return i18n.t("common.progress", lang, calls_done=fmt.number(counts.calls_done, lang),
                  calls=fmt.number(counts.calls, lang), pages_done=fmt.number(counts.pages_done, lang),
                  pages=fmt.number(counts.pages, lang))


class ViewProgress:
    """The view's one bar, drawn where it is made, shown only while calls are outstanding;
    ``close()`` removes it. ``drawn`` is done once the view's first section is on screen
    (``first_drawn()``, or ``close()``): the kinds asked after it wait for that."""

    def __init__(self, page_ids: Iterable[str], lang: str) -> None:
        self.slot = st.empty()
        self.lang = lang
        self.tally = gather.Tally(page_ids, listener=self._draw)
        self.drawn: Future = Future()

    def first_drawn(self) -> None:
        """The first section is on screen: the calls waiting for it go out (once)."""
        try:
            self.drawn.set_result(None)
        except InvalidStateError:   # already: once is enough
            pass

    def _draw(self, counts: gather.Counts) -> None:
        if counts.calls and counts.calls_done < counts.calls:
            self.slot.progress(counts.calls_done / counts.calls, text=text(counts, self.lang))
        else:
            self.slot.empty()

    def close(self) -> None:
        self.first_drawn()
        self.slot.empty()
        self.tally.listener = None   # no cycle left between the bar and its tally

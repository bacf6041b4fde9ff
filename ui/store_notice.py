"""The statistics store's reachability on screen (issue 20): one notice on every page while
statistics are kept in memory only (``show``, from ``ui.page.open_page`` and the standup
screen), and the cause and next attempt in Settings' store section (``details``). The words
are ``pancake.numbers.views.store``'s; the state is ``cache.store_status()``."""
from __future__ import annotations

import time
from dataclasses import replace

import streamlit as st

from pancake import fmt
from pancake.numbers.views import store as vstore
from ui import cache


def show(lang: str) -> None:
    """The one notice: the store cannot be reached (a warning), or has just come back (info)."""
    said = vstore.notice(cache.store_status(), time.time(), cache.tz_name(), lang)
    if said is None:
        return
    kind, text = said
    if kind == "down":
        st.warning(text, icon=":material/cloud_off:")
    else:
        st.info(text, icon=":material/cloud_done:")


def details(lang: str) -> None:
    """Settings: the notice with its cause (redacted) and when the dashboard tries again."""
    status = cache.store_status()
    now = time.time()
    said = vstore.notice(status, now, cache.tz_name(), lang)
    if said is None:
        return
    kind, text = said
    if kind == "down":
        shown = replace(status, cause=fmt.literal(status.cause) if status.cause else None)  # a URL, an error
        st.warning("\n\n".join([text, *vstore.details(shown, now, cache.tz_name(), lang)]),
                   icon=":material/cloud_off:")
    else:
        st.info(text, icon=":material/cloud_done:")

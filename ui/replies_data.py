"""The response-times page's data in the session: the opening hours file, the basis kept in the
URL (``basis=``), the drill-down (``rdrill=``), and the turns of a range: the conversations
through the conversations page's memory (``ui.conversations_data``), the messages from the
store, the missing ones fetched in the background (``pancake.data.replies.Background``)."""
from __future__ import annotations

from datetime import date

import streamlit as st

from pancake.data import replies as dr
from pancake.data.store import memory_store
from pancake.numbers import hours as hours_mod
from pancake.numbers.views import replies as v
from ui import cache
from ui import conversations_data as cd


def hours() -> hours_mod.Hours:
    return hours_mod.from_env(cache.tz_name(), secrets=cache.secrets())


def basis(h: hours_mod.Hours) -> str:
    return v.basis_of(cd.param("basis"), h)


def set_basis(value: str, h: hours_mod.Hours) -> None:
    cd.set_param("basis", None if value == v.basis_of(None, h) else value)


def drill() -> v.Drill | None:
    return v.parse_drill(cd.param("rdrill"))


def set_drill(value: v.Drill | None) -> None:
    cd.set_param("rdrill", value.encode() if value is not None else None)


def turns(page_ids: list[str], start: date, end: date, h: hours_mod.Hours) -> tuple[dr.RangeTurns, object]:
    """The turns that started in [start, end] over what the store has, and the conversations'
    load; the conversations not kept yet are fetched in the background."""
    loaded = cd.conversations(page_ids, start, end)
    ld = cache.loader()
    store = ld.store if ld.store is not None else _memory()
    got = dr.range_turns(store, ld.source, loaded.frame, start, end, cache.tz_name(), h, cache.now_utc(),
                         errors=loaded.errors)
    if not got.complete:
        dr.fill_in_background(ld.client, store, ld.source, got.kept.missing, page_names=cache.page_names(),
                              scope=(start, end))
    return got, loaded


@st.cache_resource(show_spinner=False)
def _memory():
    return memory_store()

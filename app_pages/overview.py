"""Overview: the range's key numbers from every source with sparklines and the change against
the previous period, and, for several pages, a per-page comparison table. Every call of every
kind and both periods is asked at once (one progress indicator), the engagement cards' first and
the others' once those cards are drawn; each section draws as soon as its kinds are in."""
from __future__ import annotations

import streamlit as st

from pancake.numbers.views import overview as ov
from ui import cache, components, state
from ui.page import open_page

page = open_page("nav.overview")
bar = page.ask_all(ov.SECTIONS)
notes = st.container()              # the loads' spinners, notes and errors, above the cards
body = st.empty()                   # the sections; the empty state instead when there is nothing
sections_box = body.container()
with sections_box:
    st.subheader(state.t("ov.section.engagement"))
    boxes = {"engagement": st.empty()}
    st.subheader(state.t("ov.section.staff") + " · " + state.t("ov.section.customers"))
    boxes["customers"] = st.empty()
    st.subheader(state.t("ov.section.activity"))
    boxes["activity"] = st.empty()
    st.subheader(state.t("ov.section.ads"))
    boxes["ads"] = st.empty()

loaded = {}
for kind in ov.SECTIONS:
    with notes:
        loaded[kind] = page.load_pair(kind)
    if kind not in boxes:           # staff draws with the customers, in one row
        continue
    current = ov.frames({k: now for k, (now, _) in loaded.items()})
    previous = ov.frames({k: then for k, (_, then) in loaded.items()})
    staff = loaded.get("staff")
    sections = cache.remembered(ov.kpis, [r for pair in loaded.values() for r in pair], current, previous,
                                page.start, page.end, page.lang, compare=page.compare,
                                staff_hourly=None if staff is None else staff[0].get("hourly"),
                                only=("staff", "customers") if kind == "customers" else (kind,))
    with boxes[kind].container():
        if kind == "customers":
            components.cards(sections["staff"] + sections["customers"])
        elif kind == "ads" and (current["ads"] is None or current["ads"].empty):
            st.caption(state.t("ov.no_ads"))
        else:
            components.cards(sections[kind])
    bar.first_drawn()               # the engagement cards are on screen: the other kinds' calls go out
bar.close()

if ov.is_empty(current):
    body.empty()
    components.empty_state()
    st.stop()

components.partial_today_note()

if len(page.page_ids) > 1:   # one page: its cards say it all, no one-row comparison
    table = cache.remembered(ov.per_page, [r for pair in loaded.values() for r in pair], page.page_ids,
                             page.names, current, previous, page.lang,
                             answered={kind: now.pages_ok for kind, (now, _) in loaded.items()})
    st.subheader(state.t("ov.per_page"))
    st.caption(state.t("ov.per_page_caption"))
    components.table(table, "overview-pages", page.page_ids, key="dl_ov_pages")
    components.download_everything({"pages": table}, "overview", page.page_ids)

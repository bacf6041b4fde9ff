"""Overview: the range's key numbers from every source with sparklines and the change against
the previous period, and, for several pages, a per-page comparison table."""
from __future__ import annotations

import streamlit as st

from pancake.views import overview as ov
from ui import components, state
from ui.page import open_page

page = open_page("nav.overview")
loaded = {kind: page.load_pair(kind) for kind in ov.SECTIONS}
current = ov.frames({kind: now for kind, (now, _) in loaded.items()})
previous = ov.frames({kind: then for kind, (_, then) in loaded.items()})

if ov.is_empty(current):
    components.empty_state()
    st.stop()

sections = ov.kpis(current, previous, page.start, page.end, page.lang, compare=page.compare,
                   staff_hourly=loaded["staff"][0].get("hourly"))
st.subheader(state.t("ov.section.engagement"))
components.cards(sections["engagement"])
st.subheader(state.t("ov.section.staff") + " · " + state.t("ov.section.customers"))
components.cards(sections["staff"] + sections["customers"])
st.subheader(state.t("ov.section.activity"))
components.cards(sections["activity"])
st.subheader(state.t("ov.section.ads"))
if current["ads"] is None or current["ads"].empty:
    st.caption(state.t("ov.no_ads"))
else:
    components.cards(sections["ads"])
components.partial_today_note()

if len(page.page_ids) > 1:   # one page: its cards say it all, no one-row comparison
    table = ov.per_page_view(ov.per_page_table(page.page_ids, page.names, current,
                                               answered={kind: now.pages_ok for kind, (now, _) in loaded.items()}),
                             page.lang, current, previous)
    st.subheader(state.t("ov.per_page"))
    st.caption(state.t("ov.per_page_caption"))
    components.table(table, "overview-pages", page.page_ids, key="dl_ov_pages")
    components.download_everything({"pages": table}, "overview", page.page_ids)

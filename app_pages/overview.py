"""Overview: the range's key numbers from every source with sparklines and the change against
the previous period, and a per-page comparison table."""
from __future__ import annotations

import streamlit as st

from pancake import metrics
from pancake.data import cache
from pancake.views import overview as ov
from ui import components, state
from ui.components import Kpi

view = state.current()
lang = view.lang
frame, _ = cache.pages()
page_ids = state.selected_pages(list(frame["page_id"].astype(str)))
names = cache.page_names()
start, end = state.date_range()
prev_start, prev_end = state.previous_range()
first = prev_start if view.compare else start  # one call covers both periods where dates allow

components.header("nav.overview", page_ids)

eng = components.load("engagement", page_ids, first, end).get("daily")
cust = components.load("customers", page_ids, first, end, group_by="day").get("data")
act = components.load("pages", page_ids, first, end).get("hourly")
users = components.load("users", page_ids, start, end)
users_prev = components.load("users", page_ids, prev_start, prev_end) if view.compare else None
ads = components.load("ads", page_ids, start, end).get("ads")
ads_prev = components.load("ads", page_ids, prev_start, prev_end).get("ads") if view.compare else None

cur = {"engagement": ov.split(eng, start, end), "customers": ov.split(cust, start, end),
       "activity": ov.split(act, start, end, "hour")}
prev = ({"engagement_prev": ov.split(eng, prev_start, prev_end),
         "customers_prev": ov.split(cust, prev_start, prev_end),
         "activity_prev": ov.split(act, prev_start, prev_end, "hour")} if view.compare else {})

nothing = all(frame_ is None or frame_.empty for frame_ in (*cur.values(), users.get("totals"), ads))
if nothing:
    components.empty_state()
    st.stop()

sections = ov.kpis(start=start, end=end, lang=lang, compare=view.compare, **cur, **prev,
                   users_totals=users.get("totals"),
                   users_totals_prev=users_prev.get("totals") if users_prev else None,
                   users_hourly=users.get("hourly"), ads=ads, ads_prev=ads_prev)


def cards(items) -> None:
    components.kpi_cards([Kpi(k.field, k.value, k.previous, k.spark, k.currency,
                              k.label or metrics.label(k.field, lang, k.source), source=k.source) for k in items],
                         columns=4)


st.subheader(state.t("ov.section.engagement"))
cards(sections["engagement"])
st.subheader(state.t("ov.section.staff") + " · " + state.t("ov.section.customers"))
cards(sections["staff"] + sections["customers"])
st.subheader(state.t("ov.section.activity"))
cards(sections["activity"])
st.subheader(state.t("ov.section.ads"))
if ads is None or ads.empty:
    st.caption(state.t("ov.no_ads"))
else:
    cards(sections["ads"])
components.partial_today_note()

table = ov.per_page_table(page_ids, names, engagement=cur["engagement"], users_totals=users.get("totals"),
                          customers=cur["customers"], activity=cur["activity"], ads=ads)
st.subheader(state.t("ov.per_page"))
st.caption(state.t("ov.per_page_caption"))
components.table(table, "overview-pages", page_ids, key="dl_ov_pages",
                 display=ov.display_per_page(table, lang),
                 column_config={c: st.column_config.TextColumn(label, help=help_ or None)
                                for c, (label, help_) in ov.per_page_spec(table.columns, lang).items()})

components.download_everything({"pages": table}, "overview", page_ids)

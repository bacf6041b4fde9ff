"""Engagement: inbox vs comment by day (or by hour), new customers replied, orders, the
weekday × hour heatmap, the staff share and the per-page comparison."""
from __future__ import annotations

import streamlit as st

from pancake.data import cache
from pancake.views import engagement as ev
from ui import components, state
from ui.page import open_page

page = open_page("nav.engagement")
lang, start, end, tz = page.lang, page.start, page.end, cache.tz_name()
hourly_grain = page.view.grain == "hour"
grain = "hour" if hourly_grain else "day"

if hourly_grain:
    hourly, prev = page.load_pair("engagement", hourly=True)
    daily = page.load("engagement")
else:
    daily, prev = page.load_pair("engagement")
    hourly = page.load("engagement", hourly=True)
daily_frame, staff_frame = daily.get("daily"), daily.get("staff")
hourly_frame = hourly.get("hourly")

if ev.is_empty(daily_frame, ev.DAILY_FIELDS) and ev.is_empty(hourly_frame, ev.HOURLY_FIELDS):
    components.empty_state()
    st.stop()

if hourly_grain:
    st.caption(state.t("eng.hourly_note"))
    components.cards(ev.hourly_kpis(hourly_frame, prev.get("hourly") if prev else None, start, end,
                                    compare=page.compare))
    series = ev.series(hourly_frame, ev.HOURLY_FIELDS, start, end, grain="hour", tz=tz)
else:
    components.cards(ev.kpis(daily_frame, prev.get("daily") if prev else None, start, end,
                             compare=page.compare))
    series = ev.series(daily_frame, ev.daily_fields(daily_frame), start, end)
components.partial_today_note()

c1, c2 = st.columns(2)
with c1:
    st.plotly_chart(ev.trend_figure(series, lang, grain=grain), key="eng_trend")
with c2:
    st.plotly_chart(ev.customers_orders_figure(series, lang, grain=grain), key="eng_customers")

st.subheader(state.t("eng.heatmap"))
st.caption(state.t("eng.heatmap_caption", tz=tz))
st.plotly_chart(ev.heatmap_figure(ev.heatmap_grid(hourly_frame, "total"), lang,
                                  title="", value_label=state.t("common.value")), key="eng_heatmap")

tables: dict = {}
st.subheader(state.t("eng.staff"))
share = ev.staff_share(staff_frame)
if share.empty:
    st.caption(state.t("eng.staff_none"))
else:
    st.caption(state.t("eng.staff_caption"))
    s1, s2 = st.columns([3, 2])
    with s1:
        st.plotly_chart(ev.staff_figure(share, lang), key="eng_staff")
    with s2:
        components.table(ev.staff_table(share, lang), "engagement-staff", page.page_ids, key="dl_eng_staff")
    tables["staff"] = share

if len(page.page_ids) > 1:
    st.subheader(state.t("common.per_page"))
    by_page = ev.per_page_table(daily_frame, page.names)
    st.plotly_chart(ev.per_page_figure(by_page, lang), key="eng_per_page")
    components.table(ev.per_page_view(by_page, lang), "engagement-pages", page.page_ids, key="dl_eng_pages")
    tables["pages"] = by_page

st.subheader(state.t("eng.table_hourly" if hourly_grain else "eng.table_daily"))
components.table(ev.series_table(series, lang, grain=grain), f"engagement-{grain}", page.page_ids,
                 key="dl_eng_series")
tables[grain] = series

components.download_everything(tables, "engagement", page.page_ids)

"""Engagement: inbox vs comment by day (or by hour), new customers replied, orders, the
weekday × hour heatmap, the staff share and the per-page comparison."""
from __future__ import annotations

import streamlit as st

from pancake.numbers.views import engagement as ev
from ui import cache, components, state
from ui.page import open_page

page = open_page("nav.engagement")
lang, start, end, tz = page.lang, page.start, page.end, cache.tz_name()
hourly_grain = page.view.grain == "hour"
now = cache.now_local()   # charts: the future is blank, today partial
partial = end >= now.date()
grain = "hour" if hourly_grain else "day"

if hourly_grain:
    hourly, prev = page.load_pair("engagement", hourly=True)
    daily = page.load("engagement")
else:   # the hourly rows are the heatmap's only: asked now, waited for after the cards and trends
    cache.prefetch("engagement", page.page_ids, start, end, hourly=True)
    daily, prev = page.load_pair("engagement")
    hourly = None
daily_frame, staff_frame = daily.get("daily"), daily.get("staff")
hourly_frame = hourly.get("hourly") if hourly is not None else None

if ev.is_empty(daily_frame, ev.DAILY_FIELDS) and ev.is_empty(hourly_frame, ev.HOURLY_FIELDS):
    components.empty_state()
    st.stop()

if hourly_grain:
    st.caption(state.t("eng.hourly_note"))
    components.cards(ev.hourly_kpis(hourly_frame, prev.get("hourly") if prev else None, start, end,
                                    compare=page.compare))
    series = ev.series(hourly_frame, ev.HOURLY_FIELDS, start, end, grain="hour", tz=tz, now=now)
else:
    components.cards(ev.kpis(daily_frame, prev.get("daily") if prev else None, start, end,
                             compare=page.compare))
    series = ev.series(daily_frame, ev.daily_fields(daily_frame), start, end, now=now)
components.partial_today_note()

c1, c2 = st.columns(2)
with c1:
    st.plotly_chart(ev.trend_figure(series, lang, grain=grain, partial=partial), key="eng_trend")
with c2:
    st.plotly_chart(ev.customers_orders_figure(series, lang, grain=grain, partial=partial), key="eng_customers")

st.subheader(state.t("eng.heatmap"))
st.caption(state.t("eng.heatmap_caption", tz=tz))
if hourly is None:
    hourly_frame = page.load("engagement", hourly=True).get("hourly")
st.plotly_chart(ev.heatmap_figure(ev.heatmap_grid(hourly_frame, "total"), lang, field="total"), key="eng_heatmap")

tables: dict = {}
st.subheader(state.t("eng.staff"))
share = ev.staff_share(staff_frame, page.names)
if share.empty:
    st.caption(state.t("eng.staff_none"))
else:
    st.caption(state.t("eng.staff_caption"))
    # the chart, then the table across the page: in half a page its first numbers were cut off
    # at the right edge (its columns are sized to their labels), and on a phone they stack anyway
    st.plotly_chart(ev.staff_figure(share, lang, pages=ev.staff_pages(staff_frame, page.names)), key="eng_staff")
    staff_table = ev.staff_table(share, lang)
    components.table(staff_table, "engagement-staff", page.page_ids, key="dl_eng_staff")
    tables["staff"] = staff_table

if len(page.page_ids) > 1:
    st.subheader(state.t("common.per_page"))
    by_page = ev.per_page_table(daily_frame, page.names)
    st.plotly_chart(ev.per_page_figure(by_page, lang), key="eng_per_page")
    pages_table = ev.per_page_view(by_page, lang, prev.get("hourly" if hourly_grain else "daily") if prev else None)
    components.table(pages_table, "engagement-pages", page.page_ids, key="dl_eng_pages")
    tables["pages"] = pages_table

st.subheader(state.t("eng.table_hourly" if hourly_grain else "eng.table_daily"))
series_table = ev.series_table(series, lang, grain=grain)
components.table(series_table, f"engagement-{grain}", page.page_ids, key="dl_eng_series")
tables[grain] = series_table

components.download_everything(tables, "engagement", page.page_ids)

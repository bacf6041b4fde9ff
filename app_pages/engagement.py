"""Engagement: inbox vs comment by day (or by hour), new customers replied, orders, the
weekday × hour heatmap, the staff share and the per-page comparison."""
from __future__ import annotations

import streamlit as st

from pancake import metrics
from pancake.data import cache
from pancake.views import engagement as ev
from ui import components, state
from ui.components import Kpi

view = state.current()
lang = view.lang
frame, _ = cache.pages()
page_ids = state.selected_pages(list(frame["page_id"].astype(str)))
names = cache.page_names()
start, end = state.date_range()
prev_start, prev_end = state.previous_range()
hourly_grain = view.grain == "hour"

components.header("nav.engagement", page_ids)


def kpi(k: ev.KpiData) -> Kpi:
    return Kpi(k.field, k.value, k.previous, k.spark, k.currency,
               k.label or (metrics.label(k.field, lang, k.source) if k.source else None), source=k.source)


def text_config(columns, spec) -> dict:
    return {c: st.column_config.TextColumn(label, help=help_ or None) for c, (label, help_) in spec.items()
            if c in columns}


daily = components.load("engagement", page_ids, start, end)
hourly = components.load("engagement_hourly", page_ids, start, end)
prev = None
if view.compare:
    prev = components.load("engagement_hourly" if hourly_grain else "engagement", page_ids,
                           prev_start, prev_end)

daily_frame, staff_frame = daily.get("daily"), daily.get("staff")
hourly_frame = hourly.get("hourly")

if ev.is_empty(daily_frame, ev.DAILY_FIELDS) and ev.is_empty(hourly_frame, ev.HOURLY_FIELDS):
    components.empty_state()
    st.stop()

tables: dict = {}
if hourly_grain:
    st.caption(state.t("eng.hourly_note"))
    items = ev.hourly_kpis(hourly_frame, prev.get("hourly") if prev else None, start, end,
                           compare=view.compare)
else:
    items = ev.kpis(daily_frame, prev.get("daily") if prev else None, start, end, compare=view.compare)
components.kpi_cards([kpi(k) for k in items], columns=4)
components.partial_today_note()

grain = "hour" if hourly_grain else "day"
series = (ev.series(hourly_frame, ev.HOURLY_FIELDS, start, end, grain="hour") if hourly_grain
          else ev.series(daily_frame, [f for f in ev.DAILY_FIELDS if daily_frame is not None
                                       and f in daily_frame.columns], start, end, grain="day"))
if not hourly_grain and not ev.has_orders(daily_frame):
    series = series.drop(columns=[c for c in ev.ORDER_FIELDS if c in series.columns])

c1, c2 = st.columns(2)
with c1:
    st.plotly_chart(ev.trend_figure(series, lang, grain=grain), key="eng_trend")
with c2:
    st.plotly_chart(ev.customers_orders_figure(series, lang, grain=grain), key="eng_customers")

st.subheader(state.t("eng.heatmap"))
st.caption(state.t("eng.heatmap_caption", tz=cache.tz_name()))
st.plotly_chart(ev.heatmap_figure(ev.heatmap_grid(hourly_frame, "total"), lang,
                                  title="", value_label=state.t("common.value")), key="eng_heatmap")

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
        spec = ev.columns_spec(share.columns, lang, source="users_engagements")
        spec["share"] = (state.t("eng.share"), state.t("eng.staff_caption"))
        components.table(share, "engagement-staff", page_ids, key="dl_eng_staff",
                         display=ev.display_frame(share, lang, source="users_engagements"),
                         column_config=text_config(share.columns, spec))
    tables["staff"] = share

if len(page_ids) > 1:
    st.subheader(state.t("common.per_page"))
    by_page = ev.per_page_table(daily_frame, names)
    st.plotly_chart(ev.per_page_figure(by_page, lang), key="eng_per_page")
    components.table(by_page, "engagement-pages", page_ids, key="dl_eng_pages",
                     display=ev.display_frame(by_page, lang, source="engagement"),
                     column_config=text_config(by_page.columns,
                                               ev.columns_spec(by_page.columns, lang, "engagement")))
    tables["pages"] = by_page

st.subheader(state.t("eng.table_hourly" if hourly_grain else "eng.table_daily"))
src = "engagement_hourly" if hourly_grain else "engagement"
components.table(series, f"engagement-{grain}", page_ids, key="dl_eng_series",
                 display=ev.display_frame(series, lang, source=src),
                 column_config=text_config(series.columns, ev.columns_spec(series.columns, lang, src)))
tables[grain] = series

components.download_everything(tables, "engagement", page_ids)

"""Page activity: customer demand against the page's answers, hour by hour; the hour-of-day
profile with the reply ratio, the weekday × hour map of unanswered messages, the silent hours
and the per-page comparison."""
from __future__ import annotations

import streamlit as st

from pancake import fmt
from pancake import metrics
from pancake.data import cache
from pancake.views import activity as av
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

components.header("nav.activity", page_ids)


def text_config(columns, spec) -> dict:
    return {c: st.column_config.TextColumn(label, help=help_ or None) for c, (label, help_) in spec.items()
            if c in columns}


def spec_for(columns) -> dict:
    spec = ev.columns_spec(columns, lang, av.SRC)
    spec["silent_hours"] = (state.t("act.silent_hours"), state.t("act.silent_hours_help"))
    spec["unanswered_messages"] = (state.t("act.unanswered_messages"), state.t("act.unanswered_messages_help"))
    return spec


current = components.load("pages", page_ids, start, end)
hourly = current.get("hourly")
previous = components.load("pages", page_ids, prev_start, prev_end).get("hourly") if view.compare else None

if ev.is_empty(hourly, av.PROFILE_FIELDS):
    components.empty_state()
    st.stop()

components.kpi_cards([Kpi(k.field, k.value, k.previous, k.spark, k.currency,
               k.label or (metrics.label(k.field, lang, k.source) if k.source else None), source=k.source)
                      for k in av.kpis(hourly, previous, start, end, compare=view.compare)], columns=4)
components.partial_today_note()

tables: dict = {}

series = av.hourly_series(hourly, start, end)
st.plotly_chart(av.hourly_figure(series, lang), key="act_hourly")

st.subheader(state.t("act.profile"))
st.caption(state.t("act.profile_caption"))
profile = av.hour_profile(hourly)
st.plotly_chart(av.profile_figure(profile, lang), key="act_profile")
with st.expander(state.t("act.profile_table")):
    components.table(profile, "activity-hour-of-day", page_ids, key="dl_act_profile",
                     display=ev.display_frame(profile, lang, source=av.SRC),
                     column_config=text_config(profile.columns, spec_for(profile.columns)))
tables["hour_of_day"] = profile

st.subheader(state.t("act.unanswered"))
st.caption(state.t("act.unanswered_caption", tz=cache.tz_name()))
st.plotly_chart(av.unanswered_figure(av.unanswered_grid(hourly), lang), key="act_unanswered")

st.subheader(state.t("act.silent"))
n_hours, n_msgs, share = av.silent_summary(hourly)
silent = av.silent_hours(hourly, names)
if n_hours == 0:
    st.success(state.t("act.silent_none"), icon=":material/check_circle:")
else:
    st.caption(state.t("act.silent_summary", hours=fmt.number(n_hours, lang),
                       messages=fmt.number(n_msgs, lang), share=fmt.ratio_as_percent(share, lang)))
    components.table(silent, "activity-silent-hours", page_ids, key="dl_act_silent",
                     display=ev.display_frame(silent, lang, source=av.SRC),
                     column_config=text_config(silent.columns, spec_for(silent.columns)))
    tables["silent_hours"] = silent

if len(page_ids) > 1:
    st.subheader(state.t("act.per_page"))
    by_page = av.per_page_table(hourly, names)
    components.table(by_page, "activity-pages", page_ids, key="dl_act_pages",
                     display=ev.display_frame(by_page, lang, source=av.SRC),
                     column_config=text_config(by_page.columns, spec_for(by_page.columns)))
    tables["pages"] = by_page

tables["hourly"] = series
components.download_everything(tables, "activity", page_ids)

"""Page activity: customer demand against the page's answers, hour by hour; the hour-of-day
profile with the reply ratio, the weekday × hour map of unanswered messages, the silent hours
and the per-page comparison."""
from __future__ import annotations

import streamlit as st

from pancake import fmt
from pancake.numbers.views import activity as av
from pancake.numbers.views import engagement as ev
from ui import cache, components, state
from ui.page import open_page

page = open_page("nav.activity")
lang, start, end, tz = page.lang, page.start, page.end, cache.tz_name()

current, previous = page.load_pair("activity")
hourly = current.get("hourly")

if ev.is_empty(hourly, av.PROFILE_FIELDS):
    components.empty_state()
    st.stop()

components.cards(av.kpis(hourly, previous.get("hourly") if previous else None, start, end,
                         compare=page.compare))
components.partial_today_note()

tables: dict = {}

now = cache.now_local()   # hours after now are blank, not 0
series = av.hourly_series(hourly, start, end, tz, now=now)
st.plotly_chart(av.hourly_figure(series, lang, partial=end >= now.date()), key="act_hourly")

st.subheader(state.t("act.profile"))
st.caption(state.t("act.profile_caption"))
profile = av.hour_profile(hourly)
st.plotly_chart(av.profile_figure(profile, lang), key="act_profile")
with st.expander(state.t("act.profile_table")):
    profile_table = av.table(profile, lang)
    components.table(profile_table, "activity-hour-of-day", page.page_ids, key="dl_act_profile")
tables["hour_of_day"] = profile_table

st.subheader(state.t("act.unanswered"))
st.caption(state.t("act.unanswered_caption", tz=tz))
st.plotly_chart(av.unanswered_figure(av.unanswered_grid(hourly), lang), key="act_unanswered")

st.subheader(state.t("act.silent"))
n_hours, n_msgs, share = av.silent_summary(hourly)
if n_hours == 0:
    st.success(state.t("act.silent_none"), icon=":material/check_circle:")
else:
    silent = av.silent_hours(hourly, page.names)
    st.caption(state.t("act.silent_summary", hours=fmt.number(n_hours, lang),
                       messages=fmt.number(n_msgs, lang), share=fmt.ratio_as_percent(share, lang)))
    silent_table = av.table(silent, lang)
    components.table(silent_table, "activity-silent-hours", page.page_ids, key="dl_act_silent")
    tables["silent_hours"] = silent_table

if len(page.page_ids) > 1:
    st.subheader(state.t("act.per_page"))
    by_page = av.per_page_view(av.per_page_table(hourly, page.names), lang,
                               previous.get("hourly") if previous else None)
    components.table(by_page, "activity-pages", page.page_ids, key="dl_act_pages")
    tables["pages"] = by_page

tables["hourly"] = av.table(series, lang)
components.download_everything(tables, "activity", page.page_ids)

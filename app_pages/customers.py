"""New customers: KPI cards, trend by day or hour (sidebar grain), phone capture rate from
sums, per-page breakdown. Computations: pancake.views.customers."""
from __future__ import annotations

from datetime import datetime

import streamlit as st


from pancake.data import cache
from pancake.views import customers as v
from ui import components, state


def column_config(display) -> dict:
    cfg = {"date": st.column_config.TextColumn(state.t("common.date") if grain == "day" else state.t("common.hour")),
           "page_name": st.column_config.TextColumn(state.t("common.page"))}
    for f, (label, help_) in v.column_labels([*v.FIELDS, "phone_capture_rate"], lang).items():
        if f in display.columns:
            cfg[f] = st.column_config.TextColumn(label, help=help_)
    return cfg


lang = state.lang()
view = state.current()
grain = view.grain if view.grain in ("day", "hour") else "day"
frame, _ = cache.pages()
page_ids = state.selected_pages(list(frame["page_id"]))
names = cache.page_names()
components.header("nav.customers", page_ids)
start, end = state.date_range()

data = components.load("customers", page_ids, start, end, group_by=grain).get("data")
tables: dict = {}

if data is None or data.empty:
    components.empty_state()
else:
    previous = None
    if view.compare:
        previous = components.load("customers", page_ids, *state.previous_range(), group_by=grain).get("data")
        if previous is None:
            previous = data.iloc[0:0]
    components.metric_cards(v.kpi_cards(data, previous, lang, compare=view.compare, start=start, end=end))
    components.partial_today_note()

    now = datetime.now(cache.settings().tz).replace(tzinfo=None) if grain == "hour" else None
    s = v.series(data, start, end, grain, last=now)
    grain_word = state.t(f"customers.grain.{grain}")
    st.subheader(state.t(f"customers.trend_{grain}"))
    st.plotly_chart(v.trend_figure(s, lang, grain), key="customers_trend")
    st.subheader(state.t("customers.rate_chart"))
    st.caption(state.t("customers.rate_caption", grain=grain_word))
    st.plotly_chart(v.rate_figure(s, lang), key="customers_rate")
    with st.expander(state.t("customers.table", grain=grain_word)):
        display = v.display(s, lang, grain)
        components.table(s, f"customers-{grain}", page_ids, key="dl_customers_series", display=display,
                         column_config=column_config(display))
    tables["by_hour" if grain == "hour" else "by_day"] = s

    st.subheader(state.t("common.per_page"))
    pp = v.per_page(data, names)
    if len(pp) > 1:
        st.plotly_chart(v.per_page_figure(pp, lang), key="customers_pages")
    pp_display = v.display(pp.drop(columns=["page_id"]), lang)
    components.table(pp, "customers-pages", page_ids, key="dl_customers_pages", display=pp_display,
                     column_config=column_config(pp_display))
    tables["by_page"] = pp

components.download_everything(tables, "customers", page_ids)

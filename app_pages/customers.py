"""New customers: KPI cards, trend by day or hour (sidebar grain), phone capture rate from
sums, per-page breakdown. Computations: pancake.numbers.views.customers."""
from __future__ import annotations

import streamlit as st

from pancake.numbers.views import customers as v
from ui import cache, components, state
from ui.page import open_page

page = open_page("nav.customers")
lang = page.lang
grain = "hour" if page.view.grain == "hour" else "day"
result, previous = page.load_pair("customers", hourly=grain == "hour")
data = result.get("data")
tables: dict = {}

if data is None or data.empty:
    components.empty_state()
else:
    components.cards(v.kpis(data, previous.get("data") if previous is not None else None, page.start, page.end,
                            compare=page.compare, fields=v.FIELDS))
    components.partial_today_note()

    now = cache.now_local() if grain == "hour" else None
    s = v.series(data, page.start, page.end, grain, last=now, tz=cache.tz_name())
    grain_word = state.t(f"customers.grain.{grain}")
    drawn = v.chart_grain(s, grain)   # hours over a long range are drawn per day
    st.subheader(state.t(f"customers.trend_{drawn}"))
    partial = page.end >= cache.today()
    st.plotly_chart(v.trend_figure(s, lang, grain, partial=partial), key="customers_trend")
    st.subheader(state.t("customers.rate_chart"))
    st.caption(state.t("customers.rate_caption", grain=state.t(f"customers.grain.{drawn}")))
    st.plotly_chart(v.rate_figure(s, lang, grain, partial=partial), key="customers_rate")
    with st.expander(state.t("customers.table", grain=grain_word)):
        series_table = v.series_table(s, lang, grain)
        components.table(series_table, f"customers-{grain}", page.page_ids, key="dl_customers_series")
    tables["by_hour" if grain == "hour" else "by_day"] = series_table

    if len(page.page_ids) > 1:   # one page: no one-row comparison
        st.subheader(state.t("common.per_page"))
        pp = v.per_page(data, page.names)
        st.plotly_chart(v.per_page_figure(pp, lang), key="customers_pages")
        pp_table = v.per_page_table(pp, lang, previous.get("data") if previous is not None else None)
        components.table(pp_table, "customers-pages", page.page_ids, key="dl_customers_pages")
        tables["by_page"] = pp_table

components.download_everything(tables, "customers", page.page_ids)

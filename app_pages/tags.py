"""Tags: top tags against the previous period (combined by name), daily trend of the top
tags, tag × page matrix, detail CSV with ids. Computations: pancake.numbers.views.tags."""
from __future__ import annotations

import streamlit as st

from pancake.numbers.views import tags as v
from ui import cache, components, state
from ui.page import open_page

page = open_page("nav.tags")
lang = page.lang
result, previous = page.load_pair("tags")
daily = result.get("daily")
tables: dict = {}

if v.is_empty(daily):
    components.empty_state()
else:
    prev_daily = previous.get("daily") if previous is not None else None
    compared = prev_daily is not None
    top = v.top_tags(daily, prev_daily)
    components.cards(v.kpis(daily, prev_daily, page.start, page.end, lang))
    components.partial_today_note()

    n = st.slider(state.t("tags.top_n"), min_value=3, max_value=max(3, min(20, len(top))),
                  value=min(8, max(3, len(top))), key="tags_top_n") if len(top) > 3 else len(top)
    top_names = list(top[top["count"] > 0]["tag_name"].head(n))

    st.subheader(state.t("tags.top"))
    st.caption(state.t("tags.top_caption"))
    # the table under its chart, across the page: beside it, in two fifths of the page, its
    # previous-period and change columns were cut off at 1400 px
    with st.container(key="tags_top"):
        st.plotly_chart(v.top_figure(top.head(n), lang, compare=compared), key="tags_top_chart")
    top_table = v.top_table(top, lang, compare=compared)
    components.table(top_table, "tags-top", page.page_ids, key="dl_tags_top")
    tables["top_tags"] = top_table

    st.subheader(state.t("tags.trend", n=len(top_names)))
    wide = v.trend(daily, top_names, page.start, page.end)
    st.plotly_chart(v.trend_figure(wide, lang, partial=page.end >= cache.today()), key="tags_trend")
    tables["trend"] = v.trend_table(wide, lang)
    components.download_csv(tables["trend"], "tags-trend", page.page_ids, key="dl_tags_trend")

    if len(page.page_ids) > 1:
        st.subheader(state.t("tags.matrix"))
        st.caption(state.t("tags.matrix_caption", n=len(top_names)))
        matrix = v.page_matrix(daily, top_names, page.names)
        st.plotly_chart(v.matrix_figure(matrix, lang), key="tags_matrix")
        mcsv = v.matrix_csv(matrix, lang)
        components.download_csv(mcsv, "tags-pages", page.page_ids, key="dl_tags_matrix")
        tables["tag_by_page"] = mcsv

    with st.expander(state.t("tags.detail")):
        detail = v.detail_table(v.detail_csv(daily, page.names), lang)
        components.table(detail, "tags-detail", page.page_ids, key="dl_tags_detail")
        tables["detail"] = detail

components.download_everything(tables, "tags", page.page_ids)

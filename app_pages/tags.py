"""Tags: top tags against the previous period (combined by name), daily trend of the top
tags, tag × page matrix, detail CSV with ids. Computations: pancake.views.tags."""
from __future__ import annotations

import streamlit as st

from pancake import views
from pancake.data import cache
from pancake.views import tags as v
from ui import components, state


lang = state.lang()
view = state.current()
frame, _ = cache.pages()
page_ids = state.selected_pages(list(frame["page_id"]))
names = cache.page_names()
components.header("nav.tags", page_ids)
start, end = state.date_range()

daily = components.load("tags", page_ids, start, end).get("daily")
tables: dict = {}

if daily is None or daily.empty or int(daily["count"].fillna(0).sum()) == 0:
    components.empty_state()
else:
    previous = None
    if view.compare:
        previous = components.load("tags", page_ids, *state.previous_range()).get("daily")
    top = v.top_tags(daily, previous)
    top = top[top["count"] > 0] if not view.compare else top
    components.metric_cards(v.kpi_cards(top, lang, compare=view.compare,
                           spark=views.daily_series(daily, "count", start, end)))
    components.partial_today_note()

    n = st.slider(state.t("tags.top_n"), min_value=3, max_value=max(3, min(20, len(top))),
                  value=min(8, max(3, len(top))), key="tags_top_n") if len(top) > 3 else len(top)
    top_names = list(top[top["count"] > 0]["tag_name"].head(n))

    st.subheader(state.t("tags.top"))
    st.caption(state.t("tags.top_caption"))
    c1, c2 = st.columns([3, 2])
    with c1:
        st.plotly_chart(v.top_figure(top.head(n), lang, compare=view.compare), key="tags_top_chart")
    with c2:
        display = v.top_display(top, lang, compare=view.compare)
        cfg = {"tag_name": st.column_config.TextColumn(state.t("tags.tag")),
               "count": st.column_config.TextColumn(v.count_label(lang), help=v.count_help(lang)),
               "previous": st.column_config.TextColumn(state.t("tags.previous")),
               "change": st.column_config.TextColumn(state.t("tags.change")),
               "pages": st.column_config.TextColumn(state.t("tags.pages"))}
        top_csv = top if view.compare else top.drop(columns=["previous", "change", "change_pct"])
        components.table(top_csv, "tags-top", page_ids, key="dl_tags_top", display=display, column_config=cfg)
    tables["top_tags"] = top_csv

    st.subheader(state.t("tags.trend", n=len(top_names)))
    wide = v.trend(daily, top_names, start, end)
    st.plotly_chart(v.trend_figure(wide, lang), key="tags_trend")
    components.download_csv(wide, "tags-trend", page_ids, key="dl_tags_trend")
    tables["trend"] = wide

    if len(page_ids) > 1:
        st.subheader(state.t("tags.matrix"))
        st.caption(state.t("tags.matrix_caption", n=len(top_names)))
        matrix = v.page_matrix(daily, top_names, names)
        st.plotly_chart(v.matrix_figure(matrix, lang), key="tags_matrix")
        mcsv = v.matrix_csv(matrix, lang)
        components.download_csv(mcsv, "tags-pages", page_ids, key="dl_tags_matrix")
        tables["tag_by_page"] = mcsv

    with st.expander(state.t("tags.detail")):
        detail = v.detail_csv(daily, names)
        components.table(detail, "tags-detail", page_ids, key="dl_tags_detail",
                         display=v.detail_display(detail, lang),
                         column_config={
                             "page_name": st.column_config.TextColumn(state.t("common.page")),
                             "date": st.column_config.TextColumn(state.t("common.date")),
                             "tag_name": st.column_config.TextColumn(state.t("tags.tag")),
                             "count": st.column_config.TextColumn(v.count_label(lang), help=v.count_help(lang))})
        tables["detail"] = detail

components.download_everything(tables, "tags", page_ids)

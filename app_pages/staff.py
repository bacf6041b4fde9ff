"""Staff: KPI cards, leaderboard across pages, staff × hour heatmap, per-page breakdown and,
for several pages, the user API's own multi-page statistics. Computations: pancake.views.staff."""
from __future__ import annotations

import streamlit as st


from pancake.data import cache
from pancake.views import staff as v
from ui import components, state


def column_config(display, labels) -> dict:
    cfg = {"user_name": st.column_config.TextColumn(state.t("staff.name")),
           "page_id": st.column_config.TextColumn(state.t("staff.pages"))}
    for f, (label, help_) in labels.items():
        if f in display.columns:
            cfg[f] = st.column_config.TextColumn(label, help=help_)
    return cfg


lang = state.lang()
view = state.current()
frame, _ = cache.pages()
page_ids = state.selected_pages(list(frame["page_id"]))
names = cache.page_names()
components.header("nav.staff", page_ids)
start, end = state.date_range()

result = components.load("users", page_ids, start, end)
totals, hourly = result.get("totals"), result.get("hourly")
tables: dict = {}

if totals is None or totals.empty:
    components.empty_state()
else:
    previous = None
    if view.compare:
        previous = components.load("users", page_ids, *state.previous_range()).get("totals")
        if previous is None:
            previous = totals.iloc[0:0]
    components.metric_cards(v.kpi_cards(totals, previous, lang, compare=view.compare))
    components.partial_today_note()

    board = v.leaderboard(totals)
    st.subheader(state.t("staff.leaderboard"))
    st.caption(state.t("staff.leaderboard_caption"))
    st.plotly_chart(v.replies_figure(board, lang), key="staff_replies")
    display = v.leaderboard_display(board, lang, names)
    board_csv = v.leaderboard_csv(board)
    components.table(board_csv, "staff", page_ids, key="dl_staff_board", display=display,
                     column_config=column_config(display, v.column_labels(v.display_fields(board), lang)))
    tables["leaderboard"] = board_csv

    matrix = v.hour_matrix(hourly)
    if not matrix.empty:
        st.subheader(state.t("staff.heatmap"))
        st.caption(state.t("staff.heatmap_caption", n=len(matrix)))
        st.plotly_chart(v.heatmap_figure(matrix, lang), key="staff_heatmap")
        matrix_csv = v.hour_matrix_csv(matrix, lang)
        components.download_csv(matrix_csv, "staff-hours", page_ids, key="dl_staff_hours")
        tables["staff_by_hour"] = matrix_csv

    if len(page_ids) > 1:
        st.subheader(state.t("staff.by_page"))
        pp = v.per_page(totals, names)
        pp_display = v.per_page_display(pp, lang)
        cfg = column_config(pp_display, v.column_labels(v.PER_PAGE_FIELDS, lang))
        cfg["page_name"] = st.column_config.TextColumn(state.t("common.page"))
        components.table(pp, "staff-pages", page_ids, key="dl_staff_pages", display=pp_display,
                         column_config=cfg)
        tables["by_page"] = pp

        st.subheader(state.t("staff.multi"))
        st.caption(state.t("staff.multi_caption"))
        multi = cache.multi_page_users(page_ids, start, end)
        if multi.errors:
            st.warning(state.t("staff.multi_unavailable", msg="; ".join(e.message for e in multi.errors)),
                       icon=":material/warning:")
        mt = multi.get("totals")
        if mt is not None and not mt.empty:
            mboard = v.leaderboard(mt)
            mdisplay = v.leaderboard_display(mboard, lang, names)
            mcsv = v.leaderboard_csv(mboard)
            components.table(mcsv, "staff-multi", page_ids, key="dl_staff_multi", display=mdisplay,
                             column_config=column_config(mdisplay, v.column_labels(v.display_fields(mboard), lang)))
            tables["multi_page_api"] = mcsv

components.download_everything(tables, "staff", page_ids)

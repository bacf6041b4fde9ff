"""Staff: KPI cards, leaderboard across pages (with each member's orders closed when the user
token gives them), staff × hour heatmap and per-page breakdown. Computations: pancake.numbers.views.staff."""
from __future__ import annotations

from datetime import timedelta

import streamlit as st

from pancake.numbers.views import replies as vr
from pancake.numbers.views import staff as v
from ui import auth, cache, components, state
from ui import replies_data as rd
from ui.page import open_page

page = open_page("nav.staff")
lang = page.lang
result, previous = page.load_pair("staff")
totals, hourly = result.get("totals"), result.get("hourly")
tables: dict = {}

if totals is None or totals.empty:
    components.empty_state()
else:
    components.cards(v.kpis(totals, previous.get("totals") if previous is not None else None,
                            compare=page.compare))
    components.partial_today_note()

    orders = cache.multi_page_users(page.page_ids, page.start, page.end)   # orders closed: user API only
    board = v.with_orders(v.leaderboard(totals, page.names), orders.get("totals"))
    st.subheader(state.t("staff.leaderboard"))
    st.caption(state.t("staff.leaderboard_caption"))
    st.plotly_chart(v.replies_figure(board, lang), key="staff_replies")
    board_table = v.leaderboard_table(board, lang, previous.get("totals") if previous is not None else None)
    components.table(board_table, "staff", page.page_ids, key="dl_staff_board")
    if orders.errors:
        components.note(state.t("staff.orders_unavailable", reason=components.reason(orders.errors[0].kind, lang)))
    tables["leaderboard"] = board_table

    matrix = v.hour_matrix(hourly, page_names=page.names)
    if not matrix.empty:
        st.subheader(state.t("staff.heatmap"))
        st.caption(state.t("staff.heatmap_caption", n=len(matrix)))
        st.plotly_chart(v.heatmap_figure(matrix, lang), key="staff_heatmap")
        matrix_csv = v.hour_matrix_csv(matrix, lang)
        components.download_csv(matrix_csv, "staff-hours", page.page_ids, key="dl_staff_hours")
        tables["staff_by_hour"] = matrix_csv

    if len(page.page_ids) > 1:
        st.subheader(state.t("staff.by_page"))
        pp_table = v.per_page_table(v.per_page(totals, page.names), lang, totals=totals,
                                    previous=previous.get("totals") if previous is not None else None)
        components.table(pp_table, "staff-pages", page.page_ids, key="dl_staff_pages")
        tables["by_page"] = pp_table

    # last: the messages' median, P90 and % within target beside Pancake's average. Reading the
    # conversations and their messages takes a while: every figure above is drawn before it, and
    # the run does not wait for them (computed once for every session, in a thread of their own;
    # while they are, a fragment looks again and draws the page again once they are there).
    st.subheader(state.t("staff.reply_times"))
    hours = rd.hours()
    basis = rd.basis(hours)
    reply = rd.turns_soon(page.page_ids, page.start, page.end, hours)
    if reply is None or rd.computing(page.page_ids, page.start, page.end, hours):
        # nothing yet, or an older result while the next is computed: the page is drawn again
        # once the new one is there (once: then it is fresh)
        @st.fragment(run_every=timedelta(seconds=rd.POLL_SECONDS))
        def reply_times_follow() -> None:
            auth.recheck()
            if rd.turns_soon(page.page_ids, page.start, page.end, hours) is not reply:
                st.rerun(scope="app")
            if reply is None:
                st.caption(":material/hourglass_top: " + state.t("staff.reply_times_pending"))
        reply_times_follow()
    if reply is not None:
        st.caption(vr.staff_caption(reply, basis, lang))
        reply_table = v.reply_times_table(board, lang, *rd.staff_figures(reply, basis))
        components.table(reply_table, "staff-reply-times", page.page_ids, key="dl_staff_reply_times")
        tables["reply_times"] = reply_table

components.download_everything(tables, "staff", page.page_ids)

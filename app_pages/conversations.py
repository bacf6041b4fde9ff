"""Conversations: who is waiting now, what came in over the range and who handled it (by type,
tag, assignee, phone, day, weekday × hour, from ads), a drill-down filter kept in the URL
(``drill=``), the table with a read-only message reader, page customers, downloads, and the
write actions when PANCAKE_ALLOW_WRITES=1. Computations: pancake.numbers.views.conversations; loads:
ui.conversations_data."""
from __future__ import annotations

import streamlit as st

from pancake import fmt, i18n
from pancake.data import conversations as dc
from pancake.numbers import conversations as conv
from pancake.numbers.views import conversations as v
from pancake.numbers.views.cards import Kpi
from pancake.numbers.views.tables import weekday_hour_table
from ui import cache, components
from ui import conversations_data as cd
from ui.page import open_page

page = open_page("nav.conversations")
lang = page.lang


def t(key: str, **kw) -> str:
    """A string in this run's language (bound now: widgets call their format_func later)."""
    return i18n.t(key, lang, **kw)


tables: dict = {}

# --- waiting now ---------------------------------------------------------------------------------
st.subheader(t("conv.waiting"))
wait_min = cd.wait_minutes()
picked = st.number_input(t("conv.threshold"), min_value=1, max_value=24 * 60, value=wait_min, step=5,
                         key=f"conv_wait_{wait_min}", help=t("conv.threshold_help"), width=220)
if int(picked) != wait_min:
    cd.set_param("wait", None if int(picked) == cd.DEFAULT_WAIT_MINUTES else str(int(picked)))
    st.rerun()
with st.spinner(t("conv.loading_waiting")):
    waiting_loaded = cd.waiting(page.page_ids)
components.show_errors(waiting_loaded.errors, of=len(page.page_ids))
waiting = conv.waiting(waiting_loaded.frame, cache.now_local(), wait_min)
components.cards([Kpi("waiting", len(waiting), source=v.SOURCE),
                  Kpi("waiting", int(waiting["breach"].sum()), source=v.SOURCE,
                      label=t("conv.breaches", n=wait_min))], compare=False)
if waiting_loaded.looked_back is not None:
    st.caption(t("conv.looked_back", since=f"{fmt.clock(waiting_loaded.looked_back, lang)} "
                                           f"{fmt.date(waiting_loaded.looked_back, lang)}"))
if waiting.empty:
    st.caption(t("conv.nobody_waiting"))
else:
    wt = v.waiting_table(waiting, lang, page.names)
    components.table(wt, "conversations-waiting", page.page_ids, key="dl_conv_waiting")
    tables["waiting"] = wt

# --- in the range --------------------------------------------------------------------------------
st.subheader(t("conv.in_range"))
loaded = cd.conversations(page.page_ids, page.start, page.end)
components.show_errors(loaded.errors, of=len(page.page_ids))
first_day = page.start
if loaded.covers_from is not None:   # a cap shortens the period the figures cover, and says so
    first_day = max(page.start, loaded.covers_from.date())
    st.warning(t("conv.covers", range=v.covers_label(loaded.covers_from, page.end, lang),
                 n=fmt.number(loaded.cap, lang),
                 pages=v.pages_named([components.escape_markdown(page.name(p)) for p in loaded.capped],
                                   len(page.page_ids), lang)),
               icon=":material/content_cut:")
elif loaded.capped:
    st.warning(t("conv.capped", n=fmt.number(loaded.cap, lang),
                 pages=v.pages_named([components.escape_markdown(page.name(p)) for p in loaded.capped],
                                   len(page.page_ids), lang)),
               icon=":material/content_cut:")
frame = loaded.frame
drill = cd.drill()

if v.is_empty(frame):
    components.empty_state()
else:
    components.cards(v.kpis(frame, lang), compare=False)
    components.partial_today_note()
    settled, notice = v.settle_drill(drill, frame, lang)   # a link from before assignees were by id
    if notice:
        st.warning(components.escape_markdown(notice), icon=":material/filter_alt_off:")
    if settled != drill:
        drill = settled
        cd.set_param("drill", drill.encode() if drill else None)

    def chart(fig, key: str, dimension: str, breakdown=None) -> None:
        """A chart whose bar or cell, clicked, filters the table (the filter goes to the URL)."""
        event = st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points")
        points = list(getattr(getattr(event, "selection", None), "points", None) or [])
        seen_key = f"_seen_{key}"
        sig = repr(points)
        if points and st.session_state.get(seen_key) != sig:
            st.session_state[seen_key] = sig
            picked = v.drill_from_point(dimension, points[0], breakdown, lang)
            if picked is not None and picked != drill:
                cd.set_param("drill", picked.encode())
                st.rerun()
        elif not points:
            st.session_state.pop(seen_key, None)

    # the same load's breakdowns, day series and heatmap made once for every session
    breakdowns = cd.once(loaded, ("breakdowns", lang, tuple(sorted(page.names.items()))), lambda: {
        "type": v.by_type(frame, lang), "tag": v.by_tag(frame, lang),
        "assignee": v.by_assignee(frame, lang, page.names), "phone": v.by_flag(frame, "has_phone", lang),
        "ads": v.by_flag(frame, "from_ads", lang)})
    label_keys = {"type": "conv.col.type", "tag": "conv.col.tags", "assignee": "conv.col.assignees",
                  "phone": "conv.col.phone", "ads": "conv.col.from_ads"}
    st.caption(t("conv.drill_hint"))
    pairs = [("type", "phone"), ("tag", "assignee")]
    for left, right in pairs:
        cols = st.columns(2)
        for col, dim in zip(cols, (left, right)):
            with col:
                st.markdown(f"**{t(v.DIMENSION_LABEL[dim])}**")
                chart(v.breakdown_figure(breakdowns[dim].head(15), lang), f"conv_chart_{dim}", dim, breakdowns[dim])
                tables[f"by_{dim}"] = v.breakdown_table(breakdowns[dim], lang, label_keys[dim])
                if dim == "tag":   # the tags' table under the tags' chart, never beside another chart
                    components.table(tables["by_tag"], "conversations-by-tag", page.page_ids, key="dl_conv_by_tag")
    st.markdown(f"**{t(v.DIMENSION_LABEL['ads'])}**")
    if loaded.ads_known and len(loaded.ads_known) < len(loaded.pages_ok):
        st.caption(t("conv.ads_partial"))
    c1, _ = st.columns(2)
    with c1:
        chart(v.breakdown_figure(breakdowns["ads"], lang), "conv_chart_ads", "ads", breakdowns["ads"])
        tables["by_ads"] = v.breakdown_table(breakdowns["ads"], lang, label_keys["ads"])

    days = cd.once(loaded, ("by_day", first_day, page.end), lambda: v.by_day(frame, first_day, page.end))
    if page.start != page.end:   # one day would be one bar across the page: its hours are in the heatmap
        st.markdown(f"**{t('conv.by_day')}**")
        chart(v.day_figure(days, lang, partial=page.partial), "conv_chart_day", "day")
    tables["by_day"] = v.day_table(days, lang)
    st.markdown(f"**{t('conv.heatmap')}**")
    grid = cd.once(loaded, ("weekday_hour",), lambda: v.weekday_hour(frame))
    chart(v.heatmap_figure(grid, lang), "conv_chart_slot", "slot")
    tables["weekday_hour"] = weekday_hour_table(grid, lang)

    # --- drill-down filter and the table -------------------------------------------------------------
    st.subheader(t("conv.table"))
    dims = ["", *breakdowns]
    d1, d2, d3 = st.columns([2, 3, 1], vertical_alignment="bottom")
    with d1:
        dim = st.selectbox(t("conv.filter_by"), dims, index=dims.index(drill.dimension) if drill and
                           drill.dimension in dims else 0, key=f"conv_dim_{drill.encode() if drill else ''}_{lang}",
                           format_func=components.labels_of(
                               {d: t(v.DIMENSION_LABEL[d]) if d else t("conv.filter_none") for d in dims}))
    with d2:
        if dim:
            b = breakdowns[dim]
            keys = list(b["key"])
            current = drill.value if drill and drill.dimension == dim and drill.value in keys else None
            value = st.selectbox(t("conv.filter_value"), keys, index=keys.index(current) if current else None,
                                 key=f"conv_val_{dim}_{drill.encode() if drill else ''}_{lang}",
                                 format_func=dict(zip(b["key"], b["label"])).get, placeholder=t("conv.pick"))
            if value is not None and (drill is None or conv.Drill(dim, value) != drill):
                cd.set_param("drill", conv.Drill(dim, value).encode())
                st.rerun()
        elif drill is not None and drill.dimension in dims:
            cd.set_param("drill", None)
            st.rerun()
    with d3:
        if drill is not None and st.button(t("conv.filter_clear"), key="conv_clear", icon=":material/filter_alt_off:"):
            cd.set_param("drill", None)
            st.rerun()
    if drill is not None:
        st.info(t("conv.filtered", what=components.escape_markdown(v.drill_text(
            drill, lang, dict(zip(breakdowns[drill.dimension]["key"], breakdowns[drill.dimension]["label"]))
            if drill.dimension in breakdowns else None))), icon=":material/filter_alt:")
    shown = conv.apply_drill(frame, drill)
    query = st.text_input(t("conv.search"), key="conv_search", placeholder=t("conv.search_hint"))
    shown = conv.search(shown, query)
    st.caption(t("conv.rows", n=fmt.number(len(shown), lang), total=fmt.number(len(frame), lang)))
    ctable = v.conversation_table(shown, lang, page.names)
    tables["conversations"] = v.export_table(shown, lang, page.names)   # built once: the CSV and the ZIP
    components.table(ctable, "conversations", page.page_ids, key="dl_conv_table",
                     download=tables["conversations"])

    # --- the reader ---------------------------------------------------------------------------------
    st.subheader(t("conv.reader"))
    row = components.pick_conversation(shown, t("conv.pick_conversation"), "conv_pick", page.name, with_time=True)
    if row is not None:
        r = cd.reader(row.page_id, row.conversation_id, row.customer_id)
        if r["error"]:
            st.error(components.escape_markdown(r["error"]))
        st.caption(t("conv.messages_read", n=len(r["frame"]),
                     total=fmt.number(row.message_count, lang) if row.message_count is not None else "—"))
        if not r["done"]:
            st.button(t("conv.older"), key="conv_older", icon=":material/history:",
                      on_click=cd.older, args=(row.page_id, row.conversation_id))
        components.chat(v.chat_lines(r["frame"], lang, customer_name=row.customer_name or "",
                                     page_name=page.name(row.page_id)))
        with st.expander(t("conv.as_table"), icon=":material/table_rows:"):
            mt = v.messages_table(r["frame"], lang)
            components.table(mt, "conversation-messages", [row.page_id], key="dl_conv_messages")

        # --- write actions: only when switched on, each confirmed and sent once ---------------------
        if cd.writes_allowed():
            with st.container(border=True):
                st.markdown(f"**{t('conv.actions')}**")
                st.caption(t("conv.actions_note"))
                tag_names, user_names = cd.names(row.page_id)
                action = st.selectbox(t("conv.action"), dc.WRITE_ACTIONS, key="conv_w_action",
                                      format_func=components.labels_of(
                                          {a: t(f"conv.action.{a}") for a in dc.WRITE_ACTIONS}))
                value, value_label = None, ""
                if action in ("tag_add", "tag_remove"):
                    value = st.selectbox(t("conv.action_tag"), list(tag_names), key="conv_w_tag",
                                         format_func=tag_names.get)
                    value_label = tag_names.get(value, "")
                elif action == "assign":
                    value = st.selectbox(t("conv.action_staff"), list(user_names), key="conv_w_staff",
                                         format_func=user_names.get)
                    value_label = user_names.get(value, "")
                st.button(t("conv.action_prepare"), key="conv_w_prepare", on_click=cd.prepare,
                          args=(action, row.page_id, row.conversation_id, value,
                                f"{t(f'conv.action.{action}')} {value_label}".strip()))
                p = cd.pending()
                if p and p["conversation_id"] == row.conversation_id:
                    st.warning(t("conv.confirm_text", what=components.escape_markdown(p["label"]),
                                 who=components.escape_markdown(row.customer_name or row.conversation_id)),
                               icon=":material/help:")
                    b1, b2 = st.columns(2)
                    b1.button(t("conv.confirm"), key="conv_w_confirm", type="primary", on_click=cd.confirm)
                    b2.button(t("conv.cancel"), key="conv_w_cancel", on_click=cd.cancel)
                cd.show_answer(row, lang)

# --- page customers -----------------------------------------------------------------------------------
st.subheader(t("conv.customers"))
with st.spinner(t("conv.loading_customers")):
    cust = cd.customers(page.page_ids, page.start, page.end)
components.show_errors(cust.errors, of=len(page.page_ids))
if cust.frame.empty:
    st.caption(t("conv.no_customers"))
else:
    components.cards(v.customer_kpis(cust.frame, cust.reported_total(), complete=not cust.capped), compare=False)
    if cust.capped:
        st.warning(t("convperf.customers_capped", n=fmt.number(cust.cap, lang),
                     pages=v.pages_named([components.escape_markdown(page.name(p)) for p in cust.capped],
                                       len(page.page_ids), lang)),
                   icon=":material/content_cut:")
    st.plotly_chart(v.customers_day_figure(v.new_customers_by_day(cust.frame, page.start, page.end), lang,
                                           partial=page.partial), key="conv_customers_day")
    ct = v.customers_table(cust.frame, lang, page.names)
    components.table(ct, "page-customers", page.page_ids, key="dl_conv_customers")
    tables["customers"] = ct

components.download_everything(tables, "conversations", page.page_ids)

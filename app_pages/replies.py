"""Response times: every customer's wait (in opening hours or calendar time, kept in the URL),
against the targets, with the previous period's change; breakdowns by page, staff, tag, type and
weekday × hour; the groups chart; a drill-down to the conversations and on to their turns and
messages. Computations: pancake.numbers.replies (figures) and pancake.numbers.views.replies; loads: ui.replies_data."""
from __future__ import annotations

import streamlit as st

from pancake import fmt, i18n
from pancake.numbers import replies
from pancake.numbers.views import replies as v
from pancake.numbers.views.tables import weekday_hour_table
from ui import components
from ui import conversations_data as cd
from ui import replies_data as rd
from ui.page import open_page

page = open_page("nav.replies")
lang = page.lang


def t(key: str, **kw) -> str:
    return i18n.t(key, lang, **kw)


tables: dict = {}
hours = rd.hours()
tz = hours.default.timezone
if hours.error:
    st.warning(t("replies.hours_bad", path=hours.path, line=hours.error_line, detail=hours.error) if hours.error_line
               else t("replies.hours_bad_file", path=hours.path, detail=hours.error), icon=":material/schedule:")
elif not hours.configured:
    st.info(t("replies.no_hours"), icon=":material/schedule:")

basis = rd.basis(hours)
picked = st.segmented_control(t("replies.basis"), list(v.BASES), default=basis, key=f"replies_basis_{basis}",
                              format_func=components.labels_of({b: t(f"replies.basis.{b}") for b in v.BASES}))
if picked and picked != basis:
    rd.set_basis(picked, hours)
    st.rerun()
if basis == "business":
    def _target(m):
        return fmt.duration_ms(m * 60_000, lang) if m is not None else t("replies.no_target")
    st.caption(t("replies.business_note", tz=tz, first=_target(hours.default.first_minutes),
                 next=_target(hours.default.next_minutes)))
else:
    st.caption(t("replies.calendar_note"))

got, loaded = rd.turns(page.page_ids, page.start, page.end, hours)
components.show_errors(got.errors, of=len(page.page_ids))
previous = None
if page.compare:
    previous, _ = rd.turns(page.page_ids, page.prev_start, page.prev_end, hours)
partial_note = None
if not got.complete:
    partial_note = t("replies.partial_note", n=fmt.number(got.kept.complete, lang), m=fmt.number(got.kept.total, lang))
    c1, c2 = st.columns([5, 1], vertical_alignment="center")
    c1.info(t("replies.partial", n=fmt.number(got.kept.complete, lang), m=fmt.number(got.kept.total, lang)),
            icon=":material/hourglass_top:")
    c2.button(t("replies.refresh"), key="replies_refresh", icon=":material/refresh:")

turns = got.turns
if turns.empty:
    components.empty_state("replies.no_turns")
else:
    cur = replies.summary(turns, basis)
    prev = replies.summary(previous.turns, basis) if previous is not None and previous.complete else None
    first = replies.summary(turns[turns["first"]], basis)
    first_prev = replies.summary(previous.turns[previous.turns["first"]], basis) if prev is not None else None
    components.cards(v.kpis(cur, prev, first=first, first_previous=first_prev, has_targets=hours.has_targets,
                            note=partial_note), compare=page.compare and prev is not None)
    staff_totals = page.load("staff").get("totals")
    staff = v.staff_names(staff_totals, turns)
    pancake_avg = v.pancake_average(staff_totals)
    if pancake_avg is not None:       # Pancake's own figure beside ours, the difference explained
        st.caption(t("replies.vs_pancake", value=fmt.duration_ms(pancake_avg, lang)))
    drill = rd.drill()

    def chart(fig, key: str, dim: str) -> None:
        """A chart whose bar or cell, clicked, filters the conversations below (kept in the URL)."""
        event = st.plotly_chart(fig, key=key, on_select="rerun", selection_mode="points")
        points = list(getattr(getattr(event, "selection", None), "points", None) or [])
        seen = f"_seen_{key}"
        if points and st.session_state.get(seen) != repr(points):
            st.session_state[seen] = repr(points)
            picked = v.drill_from_point(dim, points[0], list(fig.data[0].meta or []), lang)
            if picked is not None:
                rd.set_drill(picked)
                st.rerun()
        elif not points:
            st.session_state.pop(seen, None)

    st.subheader(t("replies.groups"))
    st.caption(t("replies.drill_hint"))
    chart(v.groups_figure(cur, lang), "replies_groups", "group")

    names = {"page": {"page_names": page.names}, "staff": {"staff": staff, "page_names": page.names}, "tag": {}, "type": {}}
    breakdowns = {dim: v.breakdown(turns, dim, basis, lang, **names[dim]) for dim in ("page", "staff", "tag", "type")}
    for left, right in (("page", "staff"), ("tag", "type")):
        cols = st.columns(2)
        for col, dim in zip(cols, (left, right)):
            with col:
                st.markdown(f"**{t('replies.by', what=t(f'replies.dim.{dim}').lower())}**")
                b = breakdowns[dim]
                chart(v.median_bars(b.head(15), lang), f"replies_chart_{dim}", dim)
                tbl = v.breakdown_table(b, dim, lang, has_targets=hours.has_targets)
                components.table(tbl, f"replies-by-{dim}", page.page_ids, key=f"dl_replies_{dim}")
                tables[f"by_{dim}"] = tbl

    st.markdown(f"**{t('replies.by_slot')}**")
    grid = v.slot_grid(turns, tz, basis)
    chart(v.slot_figure(grid, lang), "replies_chart_slot", "slot")
    tables["weekday_hour"] = weekday_hour_table(grid, lang)

    # --- drill-down: conversations, then one conversation's turns and messages -----------------
    st.subheader(t("replies.drill"))
    d1, d2 = st.columns([4, 1], vertical_alignment="bottom")
    with d1:
        if drill is not None:
            st.info(t("replies.filtered", what=v.drill_text(drill, lang, page_names=page.names, staff=staff)),
                    icon=":material/filter_alt:")
    with d2:
        if drill is not None and st.button(t("replies.filter_clear"), key="replies_clear",
                                           icon=":material/filter_alt_off:"):
            rd.set_drill(None)
            st.rerun()
    shown = v.drill_turns(turns, drill, basis, tz)
    convs = v.conversations_of(shown, loaded.frame, basis)
    st.caption(t("replies.conversations", n=fmt.number(len(convs), lang)))
    ctable = v.conversations_table(convs, lang, page.names)
    tables["turns"] = v.export_rows(shown, hours)   # its download: the turns, as `export replies` writes them
    components.table(ctable, "replies", page.page_ids, key="dl_replies_turns", download=tables["turns"])

    row = components.pick_conversation(convs, t("replies.pick_conversation"), "replies_pick", page.name)
    if row is not None:
        mine = turns[(turns["page_id"] == row.page_id) & (turns["conversation_id"] == row.conversation_id)]
        components.table(v.turns_table(mine, lang, tz), "replies-turns", [row.page_id], key="dl_replies_one")
        r = cd.reader(row.page_id, row.conversation_id, row.customer_id)
        if r["error"]:
            st.error(components.escape_markdown(r["error"]))
        if not r["done"]:
            st.button(t("conv.older"), key="replies_older", icon=":material/history:",
                      on_click=cd.older, args=(row.page_id, row.conversation_id))
        components.chat(v.marked_chat(r["frame"], mine, lang, basis, customer_name=row.customer_name or "",
                                      page_name=page.name(row.page_id)))

components.download_everything(tables, "replies", page.page_ids)

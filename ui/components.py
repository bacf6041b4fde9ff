"""Page furniture shared by every page: header, banners, per-page errors, KPI cards,
empty states and downloads. Pure computations live in ``pancake.views``; this module
only draws."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import pandas as pd
import streamlit as st

from pancake import export, fmt, i18n, kinds, views
from pancake.data import cache
from pancake.data.core import PageError, Result
from pancake.views import cards as vcards
from pancake.views import tables as vtables
from pancake.views.cards import Kpi
from pancake.views.tables import Table

from . import state


def t(key: str, **kw) -> str:
    return state.t(key, **kw)


def page_scope(page_ids: Sequence[str]) -> str:
    names = cache.page_names()
    if len(page_ids) == 1:
        return names.get(page_ids[0], page_ids[0])
    return i18n.t("common.n_pages", state.lang(), n=len(page_ids))


def header(title_key: str, page_ids: Sequence[str]) -> None:
    """Title, the scope line (pages · range · zone), the demo banner and URL problems."""
    lang = state.lang()
    start, end = state.date_range()
    st.title(i18n.t(title_key, lang))
    scope = i18n.t("common.scope", lang, pages=page_scope(page_ids),
                   range=fmt.date_range(start, end, lang), tz=cache.tz_name())
    if state.current().compare:
        scope += " · " + i18n.t("common.vs_prev", lang, range=fmt.date_range(*state.previous_range(), lang))
    st.caption(scope)
    banner()


def banner() -> None:
    err = cache.settings_error()
    if err:
        st.error(t("common.config_error", msg=err))
    elif cache.is_demo():
        st.info(t("common.demo_banner"), icon=":material/science:")


def show_errors(errors: Iterable[PageError]) -> None:
    """One warning per failing page, naming it and the cause; the rest still renders.
    A page that fails for several loads in one run is named once per cause."""
    shown = st.session_state.setdefault("_shown_errors", set())
    for err in errors:
        if (err.page_id, err.message) in shown:
            continue
        shown.add((err.page_id, err.message))
        st.warning(t("common.page_failed", page=err.page_name or err.page_id, msg=err.message),
                   icon=":material/warning:")


def empty_state(message_key: str = "common.empty") -> None:
    st.info(f"{t(message_key)} {t('common.empty_hint')}", icon=":material/inbox:")


def partial_today_note() -> None:
    start, end = state.date_range()
    if start <= cache.today() <= end:
        st.caption(":material/schedule: " + t("common.partial_today"))


def cards(kpis: Iterable[Kpi], *, compare: bool | None = None, width: int | str = 240) -> None:
    """The one KPI card renderer (every page and the standup screen): the value, the change
    against the previous period (arrow by its sign, colour by the metric's better direction),
    a sparkline where given and the metric's definition in the tooltip. Cards sit side by side
    at a fixed width and wrap, so a value is never cut off."""
    lang = state.lang()
    compare = state.current().compare if compare is None else compare
    drawn = vcards.cards(list(kpis), lang, compare=compare)
    if not drawn:
        return
    with st.container(horizontal=True):
        for c in drawn:
            st.metric(c.label, c.value, delta=c.delta, delta_color=c.color, delta_arrow=c.arrow,
                      help=c.help or None, border=True, width=width,
                      chart_data=list(c.spark) if c.spark else None, chart_type="area",
                      delta_description=t("common.vs_prev_short") if c.delta is not None else None)


def _file_name(kind: str, page_ids: Sequence[str], ext: str) -> str:
    start, end = state.date_range()
    return export.safe_filename(kind, views.pages_label(page_ids), start.isoformat(), end.isoformat()) + ext


def download_csv(frame: pd.DataFrame, kind: str, page_ids: Sequence[str], *, key: str | None = None) -> None:
    """A CSV of exactly the table shown (same grain and columns)."""
    st.download_button(
        t("common.download_csv"), data=export.to_csv_bytes(frame),
        file_name=_file_name(kind, page_ids, ".csv"), mime="text/csv",
        key=key or f"dl_{kind}", icon=":material/download:", on_click="ignore",
        disabled=frame is None or frame.empty)


def download_everything(tables: dict[str, pd.DataFrame], kind: str, page_ids: Sequence[str]) -> None:
    """The whole view: a ZIP of the CSVs and an Excel workbook with a sheet per table."""
    tables = {k: v for k, v in tables.items() if v is not None and not v.empty}
    if not tables:
        return
    c1, c2 = st.columns(2)
    with c1:
        st.download_button(t("common.download_zip"), data=export.zip_bytes(tables),
                           file_name=_file_name(kind, page_ids, ".zip"), mime="application/zip",
                           key=f"dl_zip_{kind}", icon=":material/folder_zip:", on_click="ignore")
    with c2:
        st.download_button(
            t("common.download_xlsx"), data=export.xlsx_bytes(tables),
            file_name=_file_name(kind, page_ids, ".xlsx"),
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"dl_xlsx_{kind}", icon=":material/table_view:", on_click="ignore")


def table(tbl: Table, kind: str, page_ids: Sequence[str], *, key: str | None = None,
          download: pd.DataFrame | None = None, downloadable: bool = True) -> None:
    """The one table renderer: numbers stay numbers (a header click sorts them as numbers),
    each shown column is formatted by its unit in the viewer's language, labelled and given
    its definition as a tooltip; the CSV below is ``download`` or the whole frame (none when
    ``downloadable`` is False: help tables, for example)."""
    st.dataframe(styled(tbl, state.lang()), hide_index=True,
                 column_config={c.key: st.column_config.Column(c.label, help=c.help or None)
                                for c in tbl.columns if c.key in tbl.shown})
    if downloadable:
        download_csv(download if download is not None else tbl.frame, kind, page_ids, key=key)


def styled(tbl: Table, lang: str):
    """A pandas Styler of the shown columns whose display values are ``tables.formatter``'s
    text and whose data stays numeric. Money columns without a fixed currency follow each
    row's ``currency``."""
    data = tbl.frame[tbl.shown]
    styler = data.style
    row_cur = tbl.frame["currency"] if "currency" in tbl.frame.columns else None
    for c in tbl.columns:
        if c.key not in data.columns:
            continue
        if c.unit == "money" and c.currency is None and row_cur is not None:
            codes = row_cur.map(lambda k: "" if views.is_missing(k) else str(k))
            for code in codes.unique():
                rows = list(data.index[codes == code])
                styler = styler.format(vtables.formatter(c, lang, code or None),
                                       subset=pd.IndexSlice[rows, [c.key]])
        else:
            styler = styler.format(vtables.formatter(c, lang), subset=[c.key])
    return styler


def note(text: str) -> None:
    """A short caption on the page, shown once per run however many loads raise it."""
    shown = st.session_state.setdefault("_shown_errors", set())
    if ("note", text) in shown:
        return
    shown.add(("note", text))
    st.caption(":material/info: " + text)


def load(kind: str, page_ids: Sequence[str], start: date, end: date, *, progress: bool = True,
         warn: bool = True, **options) -> Result:
    """Load through the data layer with a spinner named after the kind, then name the failing
    pages (unless ``warn`` is False: the standup screen shows them as flags)."""
    with st.spinner(t("common.loading", what=kinds.get(kind).label(state.lang()))):
        result = cache.load(kind, page_ids, start, end, progress=progress, **options)
    if warn:
        show_errors(result.errors)
    return result

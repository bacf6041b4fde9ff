"""Page furniture shared by every page: header, banners, per-page errors, KPI cards,
empty states and downloads. Pure computations live in ``pancake.views``; this module
only draws."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Sequence

import pandas as pd
import streamlit as st

from pancake import export, fmt, i18n, metrics, views
from pancake.data import cache
from pancake.data.core import Result

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


def show_errors(result: Result) -> None:
    """One warning per failing page, naming it and the cause; the rest still renders.
    A page that fails for several loads in one run is named once per cause."""
    shown = st.session_state.setdefault("_shown_errors", set())
    for err in result.errors:
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


@dataclass(frozen=True)
class Kpi:
    field: str
    value: Any
    previous: Any = None
    spark: Sequence[float] | None = None
    currency: str | None = None
    label: str | None = None  # overrides the metric's own name
    source: str | None = None  # metrics source ("staff", "new_customers"...) for fields named alike


def format_value(field: str, value: Any, lang: str, currency: str | None = None) -> str:
    return views.format_metric(field, value, lang, currency)


def kpi_cards(items: Iterable[Kpi], *, columns: int = 4, compare: bool | None = None) -> None:
    """KPI cards with the change against the previous period; colours inverted where
    lower is better (response time); a sparkline where given; the metric's definition
    in the tooltip."""
    lang = state.lang()
    compare = state.current().compare if compare is None else compare
    items = list(items)
    if not items:
        return
    for row_start in range(0, len(items), columns):
        cols = st.columns(columns)
        for col, k in zip(cols, items[row_start:row_start + columns]):
            m = metrics.metric(k.field, k.source) if k.field in metrics.METRICS else None
            delta = None
            color = "normal"
            if compare and k.previous is not None:
                delta = views.delta_text(k.value, k.previous, lang)
                if m is not None and m.better == "down":
                    color = "inverse"
                elif m is None or m.better is None:
                    color = "off"
            with col:
                st.metric(
                    k.label or metrics.label(k.field, lang, k.source),
                    format_value(k.field, k.value, lang, k.currency),
                    delta=delta, delta_color=color,
                    help=metrics.help_text(k.field, lang, k.source) if m else None,
                    chart_data=[0 if (v is None or (isinstance(v, float) and math.isnan(v))) else v
                                for v in k.spark] if k.spark is not None and len(k.spark) > 1 else None,
                    chart_type="area", border=True,
                    delta_description=(i18n.t("common.vs_prev_short", lang) if delta is not None else None),
                )


def metric_cards(cards: Iterable[Any]) -> None:
    """Cards a view computed in full (``label, value, delta, color, arrow, help, spark``), side by
    side at a fixed width so they wrap instead of cutting their values off."""
    with st.container(horizontal=True):
        for c in cards:
            st.metric(c.label, c.value, delta=c.delta, delta_color=c.color, delta_arrow=c.arrow,
                      help=c.help, border=True, width=240,
                      chart_data=list(c.spark) if c.spark and len(c.spark) > 1 else None, chart_type="area",
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


def table(frame: pd.DataFrame, kind: str, page_ids: Sequence[str], *, key: str | None = None,
          column_config: dict | None = None, display: pd.DataFrame | None = None) -> None:
    """A table and its CSV download. ``display`` may be a formatted copy; the CSV is ``frame``."""
    st.dataframe(display if display is not None else frame, hide_index=True,
                 column_config=column_config)
    download_csv(frame, kind, page_ids, key=key)


def load(kind: str, page_ids: Sequence[str], start: date, end: date, **options) -> Result:
    """Load through the data layer with a spinner, then show per-page errors."""
    with st.spinner(t("common.loading", what=t(f"nav.{kind}") if i18n.has(f"nav.{kind}") else kind)):
        result = cache.load(kind, page_ids, start, end, **options)
    show_errors(result)
    return result

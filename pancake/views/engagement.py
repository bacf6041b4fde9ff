"""Engagement page computations (``statistics/customer_engagements``): KPIs with the previous
period, daily or hourly series summed over pages, the weekday × hour heatmap, the staff
share (``users_engagements``) and the per-page comparison. Pure pandas/plotly, no Streamlit.

Also home of the small display helpers the overview and activity views share
(``KpiData``, ``columns_spec``, ``display_frame``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from .. import charts, fmt, i18n, metrics
from . import daily_series, per_page, ratio, total, weekday_hour_matrix

DAILY_FIELDS = ("total", "inbox", "comment", "new_customer_replied",
                "customer_engagement_new_inbox", "order_count", "old_order_count")
HOURLY_FIELDS = ("total", "inbox", "comment", "new_customer", "new_customer_from_inbox")
STAFF_FIELDS = ("total_engagement", "inbox_count", "order_count", "old_order_count")
ORDER_FIELDS = ("order_count", "old_order_count")


# --- shared display helpers ----------------------------------------------------------------

@dataclass(frozen=True)
class KpiData:
    """What a KPI card shows; the page turns it into ``ui.components.Kpi``."""
    field: str
    value: Any
    previous: Any = None
    spark: Sequence[float] | None = None
    currency: str | None = None
    label: str | None = None
    source: str | None = None


def kpi_from(field: str, current: pd.DataFrame | None, previous: pd.DataFrame | None,
             start: date, end: date, *, date_col: str = "date", source: str | None = None,
             with_previous: bool = True) -> KpiData:
    """A summed metric: total now, total in the previous period, one value per day (spark)."""
    return KpiData(field=field, value=total(current, field),
                   previous=total(previous, field) if with_previous else None,
                   spark=daily_series(current, field, start, end, date_col=date_col), source=source)


_ID_COLS = ("page_name", "page_id", "user_name", "user_id", "date", "hour", "hour_of_day")


def columns_spec(columns: Sequence[str], lang: str, source: str | None = None,
                 sources: Mapping[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """{column: (label, help)} for a table: metric names and definitions from pancake.metrics
    (as ``sources[column]`` or ``source`` means them); id columns get a plain label."""
    out: dict[str, tuple[str, str]] = {}
    for c in columns:
        if c in _ID_COLS:
            out[c] = (i18n.t(f"col.{c}", lang), "")
            continue
        src = (sources or {}).get(c, source)
        if src is not None and metrics.metric(c, src) is None:
            src = None
        out[c] = (metrics.label(c, lang, src), metrics.help_text(c, lang, src))
    return out


def _unit(column: str, source: str | None) -> str:
    m = metrics.metric(column, source) if source else metrics.METRICS.get(column)
    return m.unit if m else "count"


def display_frame(frame: pd.DataFrame, lang: str, source: str | None = None,
                  sources: Mapping[str, str] | None = None,
                  currency_col: str | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with every value formatted by pancake.fmt for ``lang`` (text), for
    ``st.dataframe``; the CSV keeps ``frame`` itself (plain numbers, ISO dates)."""
    out = pd.DataFrame(index=frame.index)
    for c in frame.columns:
        s = frame[c]
        if c == "date":
            out[c] = [fmt.date(v, lang) for v in s]
        elif c == "hour":
            out[c] = [f"{fmt.date(v, lang)} {fmt.hour(v, lang)}" if not pd.isna(v) else "—" for v in s]
        elif c == "hour_of_day":
            out[c] = [fmt.hour(int(v), lang) for v in s]
        elif c in _ID_COLS or c == "currency":
            out[c] = s.astype("str")
        else:
            unit = _unit(c, (sources or {}).get(c, source))
            if unit == "ms":
                out[c] = [fmt.duration_ms(v, lang) for v in s]
            elif unit == "ratio":
                out[c] = [fmt.ratio_as_percent(v, lang) for v in s]
            elif unit == "percent":
                out[c] = [fmt.percent(v, lang) for v in s]
            elif unit == "money":
                cur = frame[currency_col] if currency_col and currency_col in frame else None
                out[c] = [fmt.money(v, (cur.iloc[i] if cur is not None else "VND"), lang)
                          for i, v in enumerate(s)]
            else:
                out[c] = [fmt.number(v, lang, decimals=0 if _is_whole(v) else 1) for v in s]
    return out.reset_index(drop=True)


def _is_whole(v: Any) -> bool:
    try:
        return float(v).is_integer()
    except (TypeError, ValueError):
        return True


# --- engagement -----------------------------------------------------------------------------

def has_orders(daily: pd.DataFrame | None) -> bool:
    """Whether the API sent order counts (order_count/old_order_count) for any row."""
    if daily is None or daily.empty:
        return False
    return any(c in daily.columns and daily[c].notna().any() for c in ORDER_FIELDS)


def is_empty(frame: pd.DataFrame | None, fields: Sequence[str]) -> bool:
    """No rows, or every count is 0/missing: nothing to chart."""
    if frame is None or frame.empty:
        return True
    present = [f for f in fields if f in frame.columns]
    return not present or all(total(frame, f) == 0 for f in present)


def kpis(daily: pd.DataFrame | None, previous: pd.DataFrame | None, start: date, end: date,
         *, compare: bool = True) -> list[KpiData]:
    """Daily grain KPIs: total, inbox, comment, new customers replied, new-customer inbox
    conversations, and orders (plus returning customers' orders) when the API sends them."""
    fields = ["total", "inbox", "comment", "new_customer_replied", "customer_engagement_new_inbox"]
    if has_orders(daily) or has_orders(previous):
        fields += [f for f in ORDER_FIELDS if daily is not None and f in daily.columns]
    return [kpi_from(f, daily, previous, start, end, source="engagement", with_previous=compare)
            for f in fields]


def hourly_kpis(hourly: pd.DataFrame | None, previous: pd.DataFrame | None, start: date, end: date,
                *, compare: bool = True) -> list[KpiData]:
    """Hourly grain KPIs (the by_hour payload has no orders)."""
    return [kpi_from(f, hourly, previous, start, end, date_col="hour", source="engagement_hourly",
                     with_previous=compare) for f in HOURLY_FIELDS]


def series(frame: pd.DataFrame | None, fields: Sequence[str], start: date, end: date,
           *, grain: str = "day") -> pd.DataFrame:
    """Sum of ``fields`` over pages per day (``date``) or per hour (``hour``), every day/hour
    of [start, end] present (0 where the API sent nothing)."""
    col = "date" if grain == "day" else "hour"
    if grain == "day":
        index = pd.date_range(start, end, freq="D")
    else:
        index = pd.date_range(pd.Timestamp(start), pd.Timestamp(end) + pd.Timedelta(hours=23), freq="h")
    out = pd.DataFrame({col: index})
    present = [f for f in fields if frame is not None and f in frame.columns]
    if frame is None or frame.empty or not present:
        for f in fields:
            out[f] = pd.Series([0] * len(out), dtype="Int64")
        return out
    work = frame[[col, *present]].copy()
    work[col] = pd.to_datetime(work[col]).dt.floor("D" if grain == "day" else "h")
    sums = work.groupby(col)[present].sum(min_count=0)
    out = out.set_index(col).join(sums).reset_index()
    for f in fields:
        if f not in out.columns:
            out[f] = pd.NA
        out[f] = out[f].fillna(0).astype("Int64")
    out[col] = out[col].astype("datetime64[ns]")
    return out[[col, *fields]]


def per_page_table(daily: pd.DataFrame | None, names: Mapping[str, str],
                   fields: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per page: the sums of the engagement fields, biggest total first."""
    fields = list(fields or [f for f in DAILY_FIELDS
                             if f not in ORDER_FIELDS or has_orders(daily)])
    return per_page(daily, fields, names)


def staff_share(staff: pd.DataFrame | None) -> pd.DataFrame:
    """Per staff member (summed over the pages shown): users_engagements counts and their
    share of the staff's total engagements (ratio of sums), biggest first."""
    cols = ["user_name", "user_id", *STAFF_FIELDS, "share"]
    if staff is None or staff.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in ("user_name", "user_id") else "float64")
                             for c in cols})
    present = [f for f in STAFF_FIELDS if f in staff.columns]
    g = staff.groupby("user_id", sort=False)
    out = g[present].sum(min_count=0)
    out["user_name"] = g["user_name"].last()
    out = out.reset_index()
    for f in STAFF_FIELDS:
        if f not in out.columns:
            out[f] = pd.NA
    out["user_name"] = out["user_name"].fillna(out["user_id"]).astype("str")
    out["user_id"] = out["user_id"].astype("str")
    grand = total(out, "total_engagement")
    out["share"] = [ratio(v, grand) for v in out["total_engagement"]]
    out = out.sort_values(["total_engagement", "user_name"], ascending=[False, True], kind="stable")
    return out[cols].reset_index(drop=True)


def heatmap_grid(hourly: pd.DataFrame | None, field: str = "total") -> pd.DataFrame:
    return weekday_hour_matrix(hourly, field)


# --- figures --------------------------------------------------------------------------------

def tidy(fig: go.Figure) -> go.Figure:
    """Legend under the plot, so a long title never runs into it."""
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.15, xanchor="left", x=0))
    return fig


def _labels(fields: Sequence[str], lang: str, source: str) -> dict[str, str]:
    return {f: metrics.label(f, lang, source) for f in fields}


def trend_figure(frame: pd.DataFrame, lang: str, *, grain: str = "day") -> go.Figure:
    """Inbox vs comment engagements stacked per day (bars) or per hour (areas)."""
    x = "date" if grain == "day" else "hour"
    src = "engagement" if grain == "day" else "engagement_hourly"
    title = i18n.t("eng.trend_daily" if grain == "day" else "eng.trend_hourly", lang)
    if grain == "day":
        fig = charts.time_series(frame, x, _labels(["inbox", "comment"], lang, src), title=title,
                                 kind="bar", stacked=True)
    else:
        fig = charts.time_series(frame, x, _labels(["inbox", "comment"], lang, src), title=title,
                                 kind="area", stacked=True)
    return tidy(fig)


def customers_orders_figure(frame: pd.DataFrame, lang: str, *, grain: str = "day") -> go.Figure:
    """New customers replied and orders per day (lines); per hour: new customers."""
    if grain == "day":
        fields = ["new_customer_replied", "customer_engagement_new_inbox"]
        fields += [f for f in ORDER_FIELDS if f in frame.columns and has_orders(frame)]
        return tidy(charts.time_series(frame, "date", _labels(fields, lang, "engagement"),
                                       title=i18n.t("eng.customers_orders", lang)))
    return tidy(charts.time_series(frame, "hour", _labels(["new_customer", "new_customer_from_inbox"], lang,
                                                     "engagement_hourly"),
                              title=i18n.t("eng.new_customers_hourly", lang)))


def weekday_labels(lang: str) -> list[str]:
    return [fmt.weekday_name(i, lang) for i in range(7)]


def hour_labels(lang: str) -> list[str]:
    return [fmt.hour(h, lang) for h in range(24)]


def heatmap_figure(grid: pd.DataFrame, lang: str, *, title: str, value_label: str,
                   colorscale: str = "Blues") -> go.Figure:
    return charts.heatmap(grid, x_labels=hour_labels(lang), y_labels=weekday_labels(lang),
                          title=title, value_label=value_label, colorscale=colorscale)


def staff_figure(share: pd.DataFrame, lang: str, *, top: int = 15) -> go.Figure:
    """Horizontal bars of each member's total engagements, labelled with their share."""
    head = share.head(top)
    return charts.bars(list(head["user_name"]), list(head["total_engagement"].fillna(0)),
                       title=i18n.t("eng.staff", lang),
                       value_label=metrics.label("total_engagement", lang, "users_engagements"),
                       text=[fmt.ratio_as_percent(v, lang) for v in head["share"]])


def per_page_figure(table: pd.DataFrame, lang: str, *, top: int = 20) -> go.Figure:
    """Inbox vs comment per page, stacked, biggest first."""
    head = table.head(top)
    return tidy(charts.grouped_bars(head, "page_name", _labels(["inbox", "comment"], lang, "engagement"),
                               title=i18n.t("eng.per_page_chart", lang), horizontal=True, stacked=True,
                               height=max(260, 30 * len(head) + 120)))

"""Engagement page computations (``statistics/customer_engagements``): the KPI cards with the
previous period, daily or hourly series summed over pages, the weekday × hour heatmap, the
staff share (``users_engagements``) and the per-page comparison, with their tables (numbers,
``tables.Table``). Pure pandas/plotly, no Streamlit; every sum and ratio is ``pancake.metrics``'.

Also home of what the overview and activity views share: ``hour_slots`` (the local clock
hours of a range in the configured zone), ``tidy`` and ``heatmap_figure``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go

from .. import charts, fmt, i18n, metrics
from . import tables
from .cards import Kpi, sum_kpi

SRC = "engagement"
HOURLY_SRC = "engagement_hourly"
STAFF_SRC = "users_engagements"
DAILY_FIELDS = ("total", "inbox", "comment", "new_customer_replied",
                "customer_engagement_new_inbox", "order_count", "old_order_count")
HOURLY_FIELDS = ("total", "inbox", "comment", "new_customer", "new_customer_from_inbox")
STAFF_FIELDS = ("total_engagement", "inbox_count", "order_count", "old_order_count")
ORDER_FIELDS = ("order_count", "old_order_count")


def has_orders(daily: pd.DataFrame | None) -> bool:
    """Whether the API sent order counts (order_count/old_order_count) for any row."""
    return any(metrics.total(daily, f) is not None for f in ORDER_FIELDS)


def daily_fields(daily: pd.DataFrame | None) -> list[str]:
    """The daily fields to show: the orders only when the API sent them (else absent, never 0)."""
    return [f for f in DAILY_FIELDS if f not in ORDER_FIELDS or has_orders(daily)]


def is_empty(frame: pd.DataFrame | None, fields: Sequence[str]) -> bool:
    """No rows, or every count is 0/unknown: nothing to chart."""
    return all(metrics.total(frame, f) in (None, 0) for f in fields)


def kpis(daily: pd.DataFrame | None, previous: pd.DataFrame | None, start: date, end: date,
         *, compare: bool = True) -> list[Kpi]:
    """Daily grain KPIs: total, inbox, comment, new customers replied, new-customer inbox
    conversations, and the orders (plus returning customers' orders) when the API sends them
    in either period ("—" in a period it did not). No change when ``previous`` is None."""
    fields = [f for f in DAILY_FIELDS if f not in ORDER_FIELDS]
    if has_orders(daily) or has_orders(previous):
        fields += ORDER_FIELDS
    return [sum_kpi(f, daily, previous, start, end, source=SRC, compare=compare) for f in fields]


def hourly_kpis(hourly: pd.DataFrame | None, previous: pd.DataFrame | None, start: date, end: date,
                *, compare: bool = True) -> list[Kpi]:
    """Hourly grain KPIs (the by_hour payload has no orders)."""
    return [sum_kpi(f, hourly, previous, start, end, source=HOURLY_SRC, date_col="hour", compare=compare)
            for f in HOURLY_FIELDS]


def hour_slots(start: date, end: date, tz: str | None = None) -> pd.DatetimeIndex:
    """Every local clock hour of [start, end] in zone ``tz`` (naive local labels): on the day the
    clock springs forward the skipped hour is absent, on the day it falls back the repeated hour
    appears twice. ``tz`` None: 24 hours a day."""
    first, stop = pd.Timestamp(start), pd.Timestamp(end + timedelta(days=1))
    if tz is not None:
        first, stop = (t.tz_localize(tz, nonexistent="shift_forward", ambiguous=True) for t in (first, stop))
    return pd.date_range(first, stop, freq="h", inclusive="left").tz_localize(None)


def series(frame: pd.DataFrame | None, fields: Sequence[str], start: date, end: date,
           *, grain: str = "day", tz: str | None = None) -> pd.DataFrame:
    """Sums of ``fields`` over pages per day (``date``) or per local hour of zone ``tz``
    (``hour``, see :func:`hour_slots`): every day/hour of [start, end] present, 0 where the API
    sent nothing, unknown (NA) for a series it never sent."""
    if grain == "hour":
        return metrics.hourly_sums(frame, fields, hour_slots(start, end, tz))
    out = pd.DataFrame({"date": pd.date_range(start, end, freq="D")})
    for f in fields:
        values = pd.array(metrics.daily_series(frame, f, start, end), dtype="Float64")
        out[f] = values.astype("Int64") if (values.dropna() % 1 == 0).all() else values
    return out


def per_page_table(daily: pd.DataFrame | None, names: Mapping[str, str],
                   fields: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per page: the sums of the engagement fields (unknown stays NA), biggest total
    first. The orders are left out when no page sent them."""
    fields = list(fields or daily_fields(daily))
    out = metrics.per_page_sums(daily, fields).reset_index()
    out.insert(0, "page_name", out["page_id"].map(lambda p: names.get(p, p)).astype("str"))
    out = out.sort_values(fields[0], ascending=False, kind="stable", na_position="last")
    return out[["page_name", "page_id", *fields]].reset_index(drop=True)


def staff_share(staff: pd.DataFrame | None) -> pd.DataFrame:
    """Per staff member (summed over the pages shown): users_engagements counts and their
    share of the staff's total engagements (ratio of sums), biggest first."""
    cols = ["user_name", "user_id", *STAFF_FIELDS, "share"]
    if staff is None or staff.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in ("user_name", "user_id") else "float64")
                             for c in cols})
    out = metrics.sums_by(staff, "user_id", STAFF_FIELDS).reset_index()
    names = staff.groupby("user_id", sort=False)["user_name"].last()
    out["user_name"] = out["user_id"].map(names).fillna(out["user_id"]).astype("str")
    out["user_id"] = out["user_id"].astype("str")
    grand = metrics.total(out, "total_engagement")
    out["share"] = metrics.safe_div(out["total_engagement"], grand) if grand is not None else float("nan")
    out = out.sort_values(["total_engagement", "user_name"], ascending=[False, True], kind="stable")
    return out[cols].reset_index(drop=True)


def heatmap_grid(hourly: pd.DataFrame | None, field: str = "total") -> pd.DataFrame:
    return metrics.weekday_hour_sums(hourly, field)


# --- tables -------------------------------------------------------------------------------

def staff_table(share: pd.DataFrame, lang: str) -> tables.Table:
    """The staff share as a table: users_engagements counts and the share (a ratio)."""
    return tables.table(share, list(share.columns), lang, STAFF_SRC,
                        share=tables.column("share", lang, label=i18n.t("eng.share", lang),
                                            help=i18n.t("eng.staff_caption", lang), unit="ratio"))


def per_page_view(by_page: pd.DataFrame, lang: str) -> tables.Table:
    return tables.table(by_page, list(by_page.columns), lang, SRC)


def series_table(frame: pd.DataFrame, lang: str, *, grain: str = "day") -> tables.Table:
    return tables.table(frame, list(frame.columns), lang, SRC if grain == "day" else HOURLY_SRC)


# --- figures --------------------------------------------------------------------------------

def tidy(fig: go.Figure) -> go.Figure:
    """Legend under the plot, so a long title never runs into it."""
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.15, xanchor="left", x=0))
    return fig


def _labels(fields: Sequence[str], lang: str, source: str) -> dict[str, str]:
    return {f: metrics.label(f, lang, source) for f in fields}


def trend_figure(frame: pd.DataFrame, lang: str, *, grain: str = "day") -> go.Figure:
    """Inbox vs comment engagements stacked per day (bars) or per hour (areas)."""
    x, src = ("date", SRC) if grain == "day" else ("hour", HOURLY_SRC)
    title = i18n.t("eng.trend_daily" if grain == "day" else "eng.trend_hourly", lang)
    return tidy(charts.time_series(frame, x, _labels(["inbox", "comment"], lang, src), title=title,
                                   kind="bar" if grain == "day" else "area", stacked=True))


def customers_orders_figure(frame: pd.DataFrame, lang: str, *, grain: str = "day") -> go.Figure:
    """New customers replied and orders per day (lines); per hour: new customers."""
    if grain == "day":
        fields = ["new_customer_replied", "customer_engagement_new_inbox"]
        fields += [f for f in ORDER_FIELDS if f in frame.columns and has_orders(frame)]
        return tidy(charts.time_series(frame, "date", _labels(fields, lang, SRC),
                                       title=i18n.t("eng.customers_orders", lang)))
    return tidy(charts.time_series(frame, "hour", _labels(["new_customer", "new_customer_from_inbox"], lang,
                                                          HOURLY_SRC),
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
                       value_label=metrics.label("total_engagement", lang, STAFF_SRC),
                       text=[fmt.ratio_as_percent(v, lang) for v in head["share"]])


def per_page_figure(table: pd.DataFrame, lang: str, *, top: int = 20) -> go.Figure:
    """Inbox vs comment per page, stacked, biggest first."""
    head = table.head(top)
    return tidy(charts.grouped_bars(head, "page_name", _labels(["inbox", "comment"], lang, SRC),
                                    title=i18n.t("eng.per_page_chart", lang), horizontal=True, stacked=True,
                                    height=max(260, 30 * len(head) + 120)))

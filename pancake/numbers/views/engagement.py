"""Engagement page computations (``statistics/customer_engagements``): the KPI cards with the
previous period, daily or hourly series summed over pages, the weekday × hour heatmap, the
staff share (``users_engagements``) and the per-page comparison, with their tables (numbers,
``tables.Table``). Pure pandas/plotly, no Streamlit; every sum and ratio is ``pancake.numbers.metrics``'.

Also home of what the overview and activity views share: ``hour_slots`` (the local clock
hours of a range in the configured zone), ``future_unknown`` and ``heatmap_figure``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

import pandas as pd
import plotly.graph_objects as go

from pancake import fmt, i18n
from pancake.numbers import charts, metrics
from pancake.numbers.views import tables
from pancake.numbers.views.cards import Kpi, sum_kpi
from pancake.numbers.views.staff import labels as staff_labels

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
           *, grain: str = "day", tz: str | None = None, now: datetime | None = None) -> pd.DataFrame:
    """Sums of ``fields`` over pages per day (``date``) or per local hour of zone ``tz``
    (``hour``, see :func:`hour_slots`): every day/hour of [start, end] present, 0 where the API
    sent nothing, unknown (NA) for a series it never sent and for the hours (days) after
    ``now`` (naive local time; the running hour is known): the future is not 0."""
    if grain == "hour":
        return future_unknown(metrics.hourly_sums(frame, fields, hour_slots(start, end, tz)), "hour", now)
    out = pd.DataFrame({"date": pd.date_range(start, end, freq="D")})
    for f in fields:
        values = pd.array(metrics.daily_series(frame, f, start, end), dtype="Float64")
        out[f] = values.astype("Int64") if (values.dropna() % 1 == 0).all() else values
    return future_unknown(out, "date", now)


def future_unknown(frame: pd.DataFrame, col: str, now: datetime | None) -> pd.DataFrame:
    """``frame`` with every value of the rows whose ``col`` (an hour or a day) starts after
    ``now`` made unknown (NA): a chart leaves them blank and a table shows "—", never 0."""
    if now is None:
        return frame
    step = "h" if col == "hour" else "D"
    later = pd.to_datetime(frame[col]) > pd.Timestamp(now).floor(step)
    out = frame.copy()
    nullable = {"f": "Float64", "i": "Int64", "u": "Int64"}
    for c in out.columns.drop(col):
        out[c] = out[c].astype(nullable.get(out[c].dtype.kind, out[c].dtype)).mask(later)
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


def staff_share(staff: pd.DataFrame | None, page_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per staff member (summed over the pages shown): users_engagements counts and their
    share of the staff's total engagements (ratio of sums), biggest first; ``page_id`` lists
    the member's pages (joined with ",") and ``page_name`` names them."""
    text = ("user_name", "user_id", "page_name", "page_id")
    cols = ["user_name", "user_id", "page_name", "page_id", *STAFF_FIELDS, "share"]
    if staff is None or staff.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in text else "float64") for c in cols})
    out = metrics.sums_by(staff, "user_id", STAFF_FIELDS).reset_index()
    names = staff.groupby("user_id", sort=False)["user_name"].last()
    out["user_name"] = out["user_id"].map(names).fillna(out["user_id"]).astype("str")
    pages = (staff.assign(user_id=staff["user_id"].astype("str")).groupby("user_id", sort=False)["page_id"]
             .agg(lambda p: ",".join(dict.fromkeys(p.astype("str")))))
    out["user_id"] = out["user_id"].astype("str")
    out["page_id"] = out["user_id"].map(pages).fillna("").astype("str")
    out["page_name"] = out["user_id"].map(staff_pages(staff, page_names or {})).fillna("").astype("str")
    grand = metrics.total(out, "total_engagement")
    out["share"] = metrics.safe_div(out["total_engagement"], grand) if grand is not None else float("nan")
    out = out.sort_values(["total_engagement", "user_name"], ascending=[False, True], kind="stable")
    return out[cols].reset_index(drop=True)


def heatmap_grid(hourly: pd.DataFrame | None, field: str = "total") -> pd.DataFrame:
    return metrics.weekday_hour_sums(hourly, field)


# --- tables -------------------------------------------------------------------------------

def staff_table(share: pd.DataFrame, lang: str) -> tables.Table:
    """The staff share as a table: name, engagements and share first (a ratio), then orders;
    ids hidden on screen and kept in the download (with the pages' names); a totals row
    (``metrics.total``; everyone's share is their engagements over their engagements)."""
    keys = ["user_name", "total_engagement", "share", *(f for f in STAFF_FIELDS if f != "total_engagement")]
    if "page_id" in share.columns and share["page_id"].str.split(",").explode().nunique() > 1:
        keys.insert(3, "page_name")     # several pages: which ones each member works on
    total = {f: metrics.total(share, f) for f in STAFF_FIELDS}
    total["share"] = metrics.safe_div(total["total_engagement"], total["total_engagement"]) \
        if total["total_engagement"] else float("nan")
    if "page_name" in share.columns:   # namesakes: "An · Shop A"
        share = share.assign(user_name=staff_labels(share["user_name"], share["page_name"]))
    return tables.table(share, keys, lang, STAFF_SRC, total=total,
                        share=tables.column("share", lang, label=i18n.t("eng.share", lang),
                                            help=i18n.t("eng.share_help", lang), unit="ratio"),
                        page_name=tables.Column("page_name", i18n.t("staff.pages", lang), unit="text"))


def per_page_view(by_page: pd.DataFrame, lang: str, previous: pd.DataFrame | None = None) -> tables.Table:
    """The per-page comparison: the page's name, its total engagements and (with ``previous``,
    the previous period's daily rows) their change, then the rest; the page id in the download
    only; a totals row of the sums (``metrics.total``)."""
    fields = [c for c in by_page.columns if c not in ("page_name", "page_id")]
    before = metrics.per_page_sums(previous, ["total"])["total"] if previous is not None else None
    frame = tables.with_change(by_page, "page_id", "total", before, SRC)
    keys = ["page_name", "total", tables.change_key("total"), *(f for f in fields if f != "total")]
    total = {f: metrics.total(by_page, f) for f in fields}
    if previous is not None:
        total = tables.total_change(total, "total", metrics.total(previous, "total"), SRC)
    return tables.table(frame, keys, lang, SRC, total=total,
                        **{tables.change_key("total"): tables.change_column("total", lang, SRC)})


def series_table(frame: pd.DataFrame, lang: str, *, grain: str = "day") -> tables.Table:
    return tables.table(frame, list(frame.columns), lang, SRC if grain == "day" else HOURLY_SRC)


# --- figures --------------------------------------------------------------------------------

def _labels(fields: Sequence[str], lang: str, source: str) -> dict[str, str]:
    return {f: metrics.label(f, lang, source) for f in fields}


def trend_figure(frame: pd.DataFrame, lang: str, *, grain: str = "day", partial: bool = False) -> go.Figure:
    """Inbox vs comment engagements stacked per day (bars) or per hour (areas); over more than
    ``charts.HOURLY_MAX_DAYS`` days the hours are summed per day (bars). ``partial``: the last
    day/hour is not over."""
    fields = ["inbox", "comment"]
    if grain == "day":
        return charts.time_series(frame, "date", _labels(fields, lang, SRC), lang=lang, kind="bar", stacked=True,
                                  title=i18n.t("eng.trend_daily", lang), partial=partial)
    frame, x, summed = charts.readable(frame, "hour", fields)
    return charts.time_series(frame, x, _labels(fields, lang, HOURLY_SRC), lang=lang,
                              title=i18n.t("eng.trend_daily" if summed else "eng.trend_hourly", lang),
                              subtitle=charts.summed_note(lang) if summed else None,
                              kind="bar" if summed else "area", stacked=True, partial=partial)


def customers_orders_figure(frame: pd.DataFrame, lang: str, *, grain: str = "day",
                            partial: bool = False) -> go.Figure:
    """New customers replied and orders per day (lines); per hour: new customers (per day
    when the hours would be too many)."""
    if grain == "day":
        fields = ["new_customer_replied", "customer_engagement_new_inbox"]
        fields += [f for f in ORDER_FIELDS if f in frame.columns and has_orders(frame)]
        return charts.time_series(frame, "date", _labels(fields, lang, SRC), lang=lang, partial=partial,
                                  title=i18n.t("eng.customers_orders", lang))
    fields = ["new_customer", "new_customer_from_inbox"]
    frame, x, summed = charts.readable(frame, "hour", fields)
    return charts.time_series(frame, x, _labels(fields, lang, HOURLY_SRC), lang=lang, partial=partial,
                              title=i18n.t("eng.new_customers_daily" if summed else "eng.new_customers_hourly", lang),
                              subtitle=charts.summed_note(lang) if summed else None)


def weekday_labels(lang: str) -> list[str]:
    return [fmt.weekday_name(i, lang) for i in range(7)]


def hour_labels(lang: str) -> list[str]:
    return [fmt.hour(h, lang) for h in range(24)]


def heatmap_figure(grid: pd.DataFrame, lang: str, *, field: str = "total", title: str | None = None,
                   value_label: str | None = None) -> go.Figure:
    """A weekday × hour grid of ``field``: its colour bar carries the metric's name (or
    ``value_label``), its colours are the metric's (``charts.COLORSCALES``)."""
    return charts.heatmap(grid, lang=lang, x_labels=hour_labels(lang), y_labels=weekday_labels(lang),
                          title=title, value_label=value_label or metrics.label(field, lang, HOURLY_SRC),
                          colorscale=charts.COLORSCALES.get(field, "Blues"))


def staff_pages(staff: pd.DataFrame | None, names: Mapping[str, str]) -> dict[str, str]:
    """{user_id: the names of the pages the member answered on}: tells namesakes apart."""
    if staff is None or staff.empty:
        return {}
    pages = staff.assign(user_id=staff["user_id"].astype("str")).groupby("user_id", sort=False)["page_id"]
    return {u: ", ".join(dict.fromkeys(names.get(str(p), str(p)) for p in ps)) for u, ps in pages}


def staff_figure(share: pd.DataFrame, lang: str, *, top: int = 15,
                 pages: Mapping[str, str] | None = None) -> go.Figure:
    """Horizontal bars of each member's total engagements, labelled with their share; a member
    is named, plus their pages (``pages``: {user_id: page names}) when two share a name."""
    head = share.head(top)
    names = staff_labels(head["user_name"], [(pages or {}).get(u) for u in head["user_id"]])
    return charts.bars(names, list(head["total_engagement"]), lang=lang,
                       title=i18n.t("eng.staff", lang), key="total_engagement",
                       value_label=metrics.label("total_engagement", lang, STAFF_SRC),
                       text=[fmt.ratio_as_percent(v, lang) for v in head["share"]])


def per_page_figure(table: pd.DataFrame, lang: str, *, top: int = 20) -> go.Figure:
    """Inbox vs comment per page, stacked, biggest first."""
    head = table.head(top)
    return charts.grouped_bars(head, "page_name", _labels(["inbox", "comment"], lang, SRC), lang=lang,
                               title=i18n.t("eng.per_page_chart", lang), horizontal=True, stacked=True,
                               height=max(260, 30 * len(head) + 120))

"""New-customers page computations: trend by day or hour, KPIs, phone capture rate
(``metrics.phone_capture_rate``: from sums, never averaged), per-page breakdown, tables.
Pure (no Streamlit), unit-tested. A series the API did not send stays unknown ("—"), never 0."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

import pandas as pd
import plotly.graph_objects as go

from .. import charts, i18n, metrics
from . import tables
from .cards import Kpi, sum_kpi

SOURCE = "customers"
FIELDS = ("new_customer_count", "new_page_inbox_count", "new_phone_number_count", "phone_number_count")
KPI_FIELDS = ("new_customer_count", "new_page_inbox_count", "new_phone_number_count")
TREND_FIELDS = KPI_FIELDS
RATE = "phone_capture_rate"


def _with_rate(sums: pd.DataFrame, key: str) -> pd.DataFrame:
    """``sums`` plus the capture rate of each row's sums (one row per ``key``)."""
    rate = metrics.phone_capture_rate(sums, by=[key]).set_index(key)[RATE]
    return sums.assign(**{RATE: sums[key].map(rate).astype("float64")})


def series(frame: pd.DataFrame | None, start: date, end: date, grain: str = "day",
           last: datetime | None = None) -> pd.DataFrame:
    """One row per day (or hour) over [start, end], summed over pages, 0 where a bucket has
    no row (``metrics.daily_series`` / ``metrics.hourly_sums``); ``phone_capture_rate`` from
    that bucket's sums. For hours, buckets after ``last`` (now: the hour in progress included)
    are left out, not shown as zeros."""
    if grain == "hour":
        slots = pd.date_range(datetime.combine(start, datetime.min.time()),
                              datetime.combine(end, datetime.min.time()) + timedelta(hours=23), freq="h")
        if last is not None:
            slots = slots[slots <= pd.Timestamp(last)]
        sums = metrics.hourly_sums(frame, FIELDS, slots, hour_col="date")
    else:
        sums = pd.DataFrame({"date": pd.date_range(start, end, freq="D"),
                             **{f: metrics.daily_series(frame, f, start, end) for f in FIELDS}})
    return _with_rate(sums, "date")


def _rate(frame: pd.DataFrame | None) -> float | None:
    return None if frame is None else metrics.phone_capture_rate(frame)


def kpis(data: pd.DataFrame | None, previous: pd.DataFrame | None, start: date, end: date, *,
         compare: bool = True, fields: Sequence[str] = KPI_FIELDS) -> list[Kpi]:
    """One summed card per field of ``fields`` (new customers, new inbox conversations, new
    phone numbers by default) with a daily sparkline, then the phone capture rate: a ratio,
    so its change is in percentage points. ``previous`` None (or ``compare`` False): no change."""
    prev = previous if compare else None
    out = [sum_kpi(f, data, prev, start, end, source=SOURCE, compare=prev is not None) for f in fields]
    spark = list(series(data, start, end)[RATE]) if data is not None else None
    out.append(Kpi(RATE, _rate(data), _rate(prev), spark=spark, source=SOURCE))
    return out


def trend_figure(s: pd.DataFrame, lang: str, grain: str = "day") -> go.Figure:
    fig = charts.time_series(s, "date", {f: metrics.label(f, lang, SOURCE) for f in TREND_FIELDS},
                             kind="bar" if grain == "day" and len(s) <= 45 else "line")
    if grain == "hour":
        fig.update_xaxes(tickformat="%d/%m %H:%M" if lang == "vi" else "%d %b %H:%M")
    else:
        fig.update_xaxes(tickformat="%d/%m" if lang == "vi" else "%d %b")
    return fig


def rate_figure(s: pd.DataFrame, lang: str) -> go.Figure:
    """The capture rate per bucket (a fraction, drawn as a percentage); gaps where a bucket has
    no new conversation."""
    fig = charts.time_series(s, "date", {RATE: metrics.label(RATE, lang, SOURCE)}, height=280)
    fig.update_yaxes(tickformat=".0%")
    fig.update_traces(connectgaps=False, hovertemplate="%{y:.1%}")
    return fig


def per_page(frame: pd.DataFrame | None, page_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``page_id, page_name`` + the four sums (``metrics.per_page_sums``: unknown stays
    ``<NA>``) + ``phone_capture_rate`` per page, most new customers first."""
    sums = metrics.per_page_sums(frame, FIELDS).reset_index()
    sums["page_id"] = sums["page_id"].astype("str")
    out = _with_rate(sums, "page_id")
    out.insert(1, "page_name", out["page_id"].map(lambda p: (page_names or {}).get(p, p)).astype("str"))
    return out.sort_values("new_customer_count", ascending=False, kind="stable",
                           na_position="last").reset_index(drop=True)


def series_table(s: pd.DataFrame, lang: str, grain: str = "day") -> tables.Table:
    """The trend's figures: one row per day or hour, numbers kept numeric."""
    hours = {"date": tables.Column("date", i18n.t("col.hour", lang), unit="hour")} if grain == "hour" else {}
    return tables.table(s, ["date", *FIELDS, RATE], lang, SOURCE, **hours)


def per_page_table(pp: pd.DataFrame, lang: str) -> tables.Table:
    return tables.table(pp, ["page_name", *FIELDS, RATE], lang, SOURCE)


def per_page_figure(pp: pd.DataFrame, lang: str) -> go.Figure:
    return charts.grouped_bars(pp, "page_name", {f: metrics.label(f, lang, SOURCE) for f in TREND_FIELDS},
                               horizontal=True, height=max(260, 40 * len(pp) + 110))

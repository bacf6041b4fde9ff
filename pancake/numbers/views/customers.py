"""New-customers page computations: trend by day or hour, KPIs, phone capture rate
(``metrics.phone_capture_rate``: from sums, never averaged), per-page breakdown, tables.
Pure (no Streamlit), unit-tested. A series the API did not send stays unknown ("—"), never 0."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

import pandas as pd
import plotly.graph_objects as go

from pancake import i18n
from pancake.numbers import charts, metrics
from pancake.numbers.views import tables
from pancake.numbers.views.cards import Kpi, sum_kpi
from pancake.numbers.views.engagement import hour_slots

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
           last: datetime | None = None, tz: str | None = None) -> pd.DataFrame:
    """One row per day (or hour) over [start, end], summed over pages, 0 where a bucket has
    no row (``metrics.daily_series`` / ``metrics.hourly_sums``); ``phone_capture_rate`` from
    that bucket's sums. For hours, buckets after ``last`` (now: the hour in progress included)
    are left out, not shown as zeros, and the hours are the local clock hours of zone ``tz``
    (``engagement.hour_slots``: no skipped spring hour, a repeated autumn hour twice)."""
    if grain == "hour":
        slots = hour_slots(start, end, tz)
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


def chart_grain(s: pd.DataFrame, grain: str) -> str:
    """The grain the charts draw: "day" for hours over more than ``charts.HOURLY_MAX_DAYS`` days."""
    return "day" if grain == "hour" and charts.too_many_hours(s, "date") else grain


def _readable(s: pd.DataFrame, grain: str) -> tuple[pd.DataFrame, bool]:
    """The series to draw: by hour, or summed per day (rate from the day's sums) when the hours
    would be too many to read."""
    if chart_grain(s, grain) == grain:
        return s, False
    return _with_rate(charts.by_day(s, "date", FIELDS), "date"), True


def trend_figure(s: pd.DataFrame, lang: str, grain: str = "day", *, partial: bool = False) -> go.Figure:
    """New customers, conversations and phone numbers per day (bars up to 45 days) or per hour
    (lines; per day over more than ``charts.HOURLY_MAX_DAYS`` days). ``partial``: the last
    day/hour is not over."""
    s, summed = _readable(s, grain)
    return charts.time_series(s, "date", {f: metrics.label(f, lang, SOURCE) for f in TREND_FIELDS}, lang=lang,
                              kind="bar" if (grain == "day" or summed) and len(s) <= 45 else "line",
                              subtitle=charts.summed_note(lang) if summed else None, partial=partial)


def rate_figure(s: pd.DataFrame, lang: str, grain: str = "day", *, partial: bool = False) -> go.Figure:
    """The capture rate per bucket (a fraction, on an axis from 0 to 100 %); gaps where a bucket
    has no new conversation."""
    s, _ = _readable(s, grain)
    return charts.time_series(s, "date", {RATE: metrics.label(RATE, lang, SOURCE)}, lang=lang, height=280,
                              unit="ratio", partial=partial)


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


def per_page_table(pp: pd.DataFrame, lang: str, previous: pd.DataFrame | None = None) -> tables.Table:
    """The per-page breakdown: the page's name, its new customers and (with ``previous``, the
    previous period's rows) their change, then the rest; the page id in the download only; a
    totals row of the sums with the capture rate from the summed parts (never a mean of rates)."""
    before = metrics.per_page_sums(previous, ["new_customer_count"])["new_customer_count"] \
        if previous is not None else None
    frame = tables.with_change(pp, "page_id", "new_customer_count", before, SOURCE)
    total = {f: metrics.total(pp, f) for f in FIELDS}
    total[RATE] = metrics.phone_capture_rate(pp) if not pp.empty else None
    if previous is not None:
        total = tables.total_change(total, "new_customer_count", metrics.total(previous, "new_customer_count"), SOURCE)
    keys = ["page_name", FIELDS[0], tables.change_key(FIELDS[0]), *FIELDS[1:], RATE]
    return tables.table(frame, keys, lang, SOURCE, total=total,
                        **{tables.change_key(FIELDS[0]): tables.change_column(FIELDS[0], lang, SOURCE)})


def per_page_figure(pp: pd.DataFrame, lang: str) -> go.Figure:
    return charts.grouped_bars(pp, "page_name", {f: metrics.label(f, lang, SOURCE) for f in TREND_FIELDS},
                               lang=lang, horizontal=True, height=max(260, 40 * len(pp) + 110))

"""New-customers page computations: trend by day or hour, KPI cards, phone capture rate
(recomputed from sums, never averaged), per-page breakdown. Pure (no Streamlit), unit-tested."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Mapping

import pandas as pd
import plotly.graph_objects as go

from .. import charts, fmt, i18n, metrics
from .staff import Card, card

SOURCE = "customers"
FIELDS = ("new_customer_count", "new_page_inbox_count", "new_phone_number_count", "phone_number_count")
TREND_FIELDS = ("new_customer_count", "new_page_inbox_count", "new_phone_number_count")


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _empty_series() -> pd.DataFrame:
    out = pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]")})
    for f in FIELDS:
        out[f] = pd.Series(dtype="int64")
    out["phone_capture_rate"] = pd.Series(dtype="float64")
    return out


def series(frame: pd.DataFrame | None, start: date, end: date, grain: str = "day",
           last: datetime | None = None) -> pd.DataFrame:
    """One row per day (or hour) over [start, end], summed over pages, 0 where a bucket has
    no row; ``phone_capture_rate`` recomputed from that bucket's sums. For hours, buckets
    after ``last`` (now: the hour in progress included) are left out, not shown as zeros."""
    if grain == "hour":
        idx = pd.date_range(datetime.combine(start, datetime.min.time()),
                            datetime.combine(end, datetime.min.time()) + timedelta(hours=23), freq="h")
        if last is not None:
            idx = idx[idx <= pd.Timestamp(last)]
    else:
        idx = pd.date_range(start, end, freq="D")
    if frame is None or frame.empty:
        sums = pd.DataFrame(0, index=idx, columns=list(FIELDS))
    else:
        work = frame[["date"]].copy()
        work["date"] = pd.to_datetime(work["date"])
        if grain != "hour":
            work["date"] = work["date"].dt.normalize()
        else:
            work["date"] = work["date"].dt.floor("h")
        for f in FIELDS:
            work[f] = _num(frame[f]).fillna(0) if f in frame.columns else 0.0
        sums = work.groupby("date")[list(FIELDS)].sum()
        sums = sums.reindex(idx, fill_value=0).fillna(0)
    out = sums.astype("int64").rename_axis("date").reset_index()
    out["phone_capture_rate"] = metrics.safe_div(out["new_phone_number_count"], out["new_page_inbox_count"])
    return out


def overall(frame: pd.DataFrame | None) -> dict[str, float | int]:
    """Sums of the counts and the capture rate from those sums."""
    out: dict[str, float | int] = {}
    for f in FIELDS:
        if frame is None or frame.empty or f not in frame.columns:
            out[f] = 0
        else:
            out[f] = int(_num(frame[f]).fillna(0).sum())
    out["phone_capture_rate"] = metrics.safe_div(out["new_phone_number_count"], out["new_page_inbox_count"])
    return out


def kpi_cards(current: pd.DataFrame | None, previous: pd.DataFrame | None, lang: str, *,
              compare: bool = True, start: date | None = None, end: date | None = None) -> list[Card]:
    cur = overall(current)
    prev = overall(previous) if previous is not None else {}
    daily = series(current, start, end, "day") if start is not None and end is not None else None
    cards = []
    for f in (*FIELDS, "phone_capture_rate"):
        spark = None
        if daily is not None and len(daily) > 1:
            spark = [0.0 if pd.isna(v) else float(v) for v in daily[f]]
        cards.append(card(f, cur[f], prev.get(f), lang, source=SOURCE,
                          compare=compare and previous is not None, spark=spark))
    return cards


def trend_figure(s: pd.DataFrame, lang: str, grain: str = "day") -> go.Figure:
    fig = charts.time_series(s, "date", {f: metrics.label(f, lang, SOURCE) for f in TREND_FIELDS},
                             kind="bar" if grain == "day" and len(s) <= 45 else "line")
    if grain == "hour":
        fig.update_xaxes(tickformat="%d/%m %H:%M" if lang == "vi" else "%d %b %H:%M")
    else:
        fig.update_xaxes(tickformat="%d/%m" if lang == "vi" else "%d %b")
    return fig


def rate_figure(s: pd.DataFrame, lang: str) -> go.Figure:
    wide = s[["date"]].copy()
    wide["rate"] = s["phone_capture_rate"] * 100.0
    fig = charts.time_series(wide, "date", {"rate": metrics.label("phone_capture_rate", lang, SOURCE)},
                             height=280, y_title="%")
    fig.update_traces(connectgaps=False, hovertemplate="%{y:.1f}%")
    return fig


def per_page(frame: pd.DataFrame | None, page_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """``page_id, page_name`` + the four sums + ``phone_capture_rate`` per page, most new
    customers first."""
    cols = ["page_id", "page_name", *FIELDS, "phone_capture_rate"]
    if frame is None or frame.empty:
        out = pd.DataFrame({c: pd.Series(dtype="str") for c in ("page_id", "page_name")})
        for f in FIELDS:
            out[f] = pd.Series(dtype="int64")
        out["phone_capture_rate"] = pd.Series(dtype="float64")
        return out
    work = frame[["page_id"]].astype("str").copy()
    for f in FIELDS:
        work[f] = _num(frame[f]).fillna(0) if f in frame.columns else 0.0
    out = work.groupby("page_id", sort=False)[list(FIELDS)].sum().astype("int64").reset_index()
    out.insert(1, "page_name", out["page_id"].map(lambda p: (page_names or {}).get(p, p)).astype("str"))
    out["phone_capture_rate"] = metrics.safe_div(out["new_phone_number_count"], out["new_page_inbox_count"])
    return out.sort_values("new_customer_count", ascending=False, kind="stable").reset_index(drop=True)[cols]


def per_page_figure(pp: pd.DataFrame, lang: str) -> go.Figure:
    return charts.grouped_bars(pp, "page_name", {f: metrics.label(f, lang, SOURCE) for f in TREND_FIELDS},
                               horizontal=True, height=max(260, 40 * len(pp) + 110))


def display(frame: pd.DataFrame, lang: str, grain: str = "day", first: str = "date") -> pd.DataFrame:
    """A series or per-page frame formatted for ``lang`` (columns keep their field names)."""
    out = pd.DataFrame(index=frame.index)
    for c in frame.columns:
        if c == "date":
            out[c] = [(fmt.date(v, lang) + (" " + fmt.hour(v, lang) if grain == "hour" else ""))
                      for v in frame[c]]
        elif c == "phone_capture_rate":
            out[c] = [fmt.ratio_as_percent(v, lang) for v in frame[c]]
        elif c in FIELDS:
            out[c] = [fmt.number(v, lang) for v in frame[c]]
        else:
            out[c] = frame[c].astype("str")
    return out


def column_labels(fields, lang: str) -> dict[str, tuple[str, str]]:
    return {f: (metrics.label(f, lang, SOURCE), metrics.help_text(f, lang, SOURCE)) for f in fields}

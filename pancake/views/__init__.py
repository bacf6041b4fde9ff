"""Pure computations behind what the pages show: totals, comparisons, breakdowns,
formatting of a metric for a KPI card. No Streamlit; unit-tested.

Domain modules (``pancake.views.engagement`` ...) build on these helpers.
"""
from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from .. import fmt, metrics


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_metric(field: str, value: Any, lang: str, currency: str | None = None) -> str:
    """A metric's value as a KPI card shows it, by the metric's unit."""
    if _is_missing(value):
        return "—"
    m = metrics.METRICS.get(field)
    unit = m.unit if m else "count"
    if unit == "ms":
        return fmt.duration_ms(value, lang)
    if unit == "money":
        return fmt.money(value, currency or "VND", lang)
    if unit == "percent":
        return fmt.percent(value, lang)
    if unit == "ratio":
        if field in ("roas", "purchase_roas"):   # "times the spend", not a share
            return fmt.number(value, lang, decimals=2)
        return fmt.ratio_as_percent(value, lang)
    decimals = 0 if float(value).is_integer() else 1
    return fmt.number(value, lang, decimals=decimals)


def delta_text(current: Any, previous: Any, lang: str) -> str | None:
    """The change shown under a KPI: a signed percentage, or the signed difference when the
    previous value is 0 (a percentage of nothing means nothing). None when either is missing.

    A fall starts with an ASCII "-": Streamlit's st.metric only reads that sign as a fall
    (the typographic minus would show a rise in the "good" colour)."""
    text = _delta_text(current, previous, lang)
    if text is not None and text.startswith("\u2212"):
        text = "-" + text[1:]
    return text


def _delta_text(current: Any, previous: Any, lang: str) -> str | None:
    if _is_missing(current) or _is_missing(previous):
        return None
    cur, prev = float(current), float(previous)
    if prev == 0:
        if cur == 0:
            return fmt.signed_percent(0.0, lang)
        diff = cur - prev
        sign = "+" if diff > 0 else "−"
        return sign + fmt.number(abs(diff), lang, decimals=0 if diff.is_integer() else 1)
    return fmt.signed_percent((cur - prev) / abs(prev) * 100.0, lang)


def pages_label(page_ids: Sequence[str]) -> str:
    """Page part of a download's file name: the id, a few ids, or "N-pages"."""
    ids = list(page_ids)
    if len(ids) == 1:
        return ids[0]
    if 1 < len(ids) <= 3:
        return "+".join(ids)
    return f"{len(ids)}-pages"


def total(frame: pd.DataFrame | None, field: str) -> float | int:
    """Sum of a count column (NA counts as nothing); 0 for an empty or missing frame/column."""
    if frame is None or frame.empty or field not in frame.columns:
        return 0
    value = frame[field].sum(min_count=0)
    if _is_missing(value):
        return 0
    return int(value) if float(value).is_integer() else float(value)


def totals(frame: pd.DataFrame | None, fields: Iterable[str]) -> dict[str, float | int]:
    return {f: total(frame, f) for f in fields}


def daily_series(frame: pd.DataFrame | None, field: str, start: date, end: date,
                 date_col: str = "date") -> list[float]:
    """One value per day over [start, end] (summed over pages/hours), 0 on days without rows:
    the data of a sparkline."""
    days = pd.date_range(start, end, freq="D")
    if frame is None or frame.empty or field not in frame.columns:
        return [0.0] * len(days)
    s = frame[[date_col, field]].copy()
    s["_day"] = pd.to_datetime(s[date_col]).dt.normalize()
    by_day = s.groupby("_day")[field].sum(min_count=0).astype("float64")
    return [float(by_day.get(d, 0.0)) for d in days]


def per_page(frame: pd.DataFrame | None, fields: Sequence[str],
             names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per page with the sums of ``fields`` and the page's name, biggest first."""
    cols = ["page_id", "page_name", *fields]
    if frame is None or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in ("page_id", "page_name") else "Int64")
                             for c in cols})
    present = [f for f in fields if f in frame.columns]
    out = frame.groupby("page_id", sort=False)[present].sum(min_count=0).reset_index()
    for f in fields:
        if f not in out.columns:
            out[f] = pd.NA
    out.insert(1, "page_name", out["page_id"].map(lambda p: (names or {}).get(p, p)).astype("str"))
    if fields:
        out = out.sort_values(fields[0], ascending=False, kind="stable")
    return out[cols].reset_index(drop=True)


def ratio(numerator: Any, denominator: Any) -> float:
    """numerator / denominator, NaN when the denominator is 0 or missing (shown "—")."""
    if _is_missing(numerator) or _is_missing(denominator) or float(denominator) == 0:
        return math.nan
    return float(numerator) / float(denominator)


def weekday_hour_matrix(frame: pd.DataFrame | None, field: str, hour_col: str = "hour") -> pd.DataFrame:
    """7 × 24 sums of ``field`` by local weekday (Mon=0) and hour of day: the heatmap data."""
    grid = pd.DataFrame(0.0, index=range(7), columns=range(24))
    if frame is None or frame.empty or field not in frame.columns:
        return grid
    h = pd.to_datetime(frame[hour_col])
    s = pd.DataFrame({"wd": h.dt.day_of_week, "hr": h.dt.hour,
                      "v": frame[field].astype("Float64").fillna(0).astype("float64")})
    pivot = s.pivot_table(index="wd", columns="hr", values="v", aggfunc="sum", fill_value=0.0)
    grid.loc[pivot.index, pivot.columns] = pivot.values
    return grid


def days_in(start: date, end: date) -> int:
    return (end - start).days + 1


def shift_days(d: date, n: int) -> date:
    return d + timedelta(days=n)

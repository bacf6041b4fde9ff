"""Overview computations: the key number of every source for the range, against the previous
period, and one comparison row per page. Pure pandas, no Streamlit.

To keep the number of API calls modest, the page fetches engagement, new customers and page
activity once over [previous start, end] and :func:`split` cuts the two periods apart; staff
totals and ads have no date column, so they come per period.
"""
from __future__ import annotations

import math
from datetime import date
from typing import Mapping

import pandas as pd

from .. import i18n, metrics
from . import ratio, total
from . import activity as av
from .engagement import KpiData, kpi_from

ENGAGEMENT_FIELDS = ("total", "inbox", "comment", "new_customer_replied", "order_count")
CUSTOMER_FIELDS = ("new_customer_count", "new_phone_number_count", "phone_number_count")
ACTIVITY_FIELDS = ("customer_inbox_count", "page_inbox_count")

# Sections of the overview, in order; each has a title key.
SECTIONS = ("engagement", "staff", "customers", "activity", "ads")

# Per-page comparison: column -> metrics source (for the label and the tooltip).
PER_PAGE_SOURCES = {
    "total": "engagement", "inbox": "engagement", "comment": "engagement",
    "new_customer_replied": "engagement", "order_count": "engagement",
    "average_response_time": "staff",
    "new_customer_count": "customers", "new_phone_number_count": "customers",
    "customer_inbox_count": "activity", "page_inbox_count": "activity",
    "reply_ratio": "activity", "purchases": "ads", "spend": "ads",
}


def split(frame: pd.DataFrame | None, start: date, end: date, col: str = "date") -> pd.DataFrame | None:
    """The rows of ``frame`` whose ``col`` (a day or an hour) falls on [start, end]."""
    if frame is None:
        return None
    if frame.empty or col not in frame.columns:
        return frame
    days = pd.to_datetime(frame[col]).dt.normalize()
    mask = (days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))
    return frame[mask].reset_index(drop=True)


def response_time(totals: pd.DataFrame | None) -> float:
    """Average response time (ms) over every staff row given (users totals of all pages),
    weighted by unique_inbox_count + unique_comment_count; NaN without any reply session."""
    if totals is None or totals.empty or "average_response_time" not in totals.columns:
        return math.nan
    value = metrics.weighted_response_time(totals, by=[])["average_response_time"].iloc[0]
    return math.nan if pd.isna(value) else float(value)


def response_time_spark(hourly: pd.DataFrame | None, start: date, end: date) -> list[float]:
    """Each day's weighted average response time (from the users' hourly rows); NaN on idle days."""
    days = pd.date_range(start, end, freq="D")
    if hourly is None or hourly.empty or "average_response_time" not in hourly.columns:
        return [math.nan] * len(days)
    work = hourly.copy()
    work["_day"] = pd.to_datetime(work["hour"]).dt.normalize()
    per_day = metrics.weighted_response_time(work.drop(columns=["hour"]), by=["_day"])
    by_day = dict(zip(per_day["_day"], per_day["average_response_time"].astype("float64")))
    return [float(by_day.get(d, math.nan)) for d in days]


def ads_by_currency(ads: pd.DataFrame | None) -> pd.DataFrame:
    """metrics.ads_totals: one row per currency (spend, purchases... never mixed)."""
    if ads is None or ads.empty:
        return metrics.ads_totals(pd.DataFrame({"currency": pd.Series([], dtype="str")}))
    return metrics.ads_totals(ads)


def ads_kpis(current: pd.DataFrame | None, previous: pd.DataFrame | None, lang: str,
             *, compare: bool = True) -> list[KpiData]:
    """Spend per currency (one card each, never added across currencies) and purchases."""
    cur, prev = ads_by_currency(current), ads_by_currency(previous)
    prev_spend = {str(c): s for c, s in zip(prev["currency"], prev["spend"])}
    out: list[KpiData] = []
    for cur_code, spend in zip(cur["currency"], cur["spend"]):
        code = str(cur_code) if not pd.isna(cur_code) else "VND"
        out.append(KpiData(field="spend", value=0.0 if pd.isna(spend) else float(spend),
                           previous=(float(prev_spend.get(str(cur_code), 0.0) or 0.0) if compare else None),
                           currency=code, label=i18n.t("ov.spend_in", lang, currency=code), source="ads"))
    out.append(KpiData(field="purchases", value=total(current, "purchases"),
                       previous=total(previous, "purchases") if compare else None, source="ads"))
    return out


def kpis(*, start: date, end: date, lang: str, compare: bool = True,
         engagement: pd.DataFrame | None = None, engagement_prev: pd.DataFrame | None = None,
         users_totals: pd.DataFrame | None = None, users_totals_prev: pd.DataFrame | None = None,
         users_hourly: pd.DataFrame | None = None,
         customers: pd.DataFrame | None = None, customers_prev: pd.DataFrame | None = None,
         activity: pd.DataFrame | None = None, activity_prev: pd.DataFrame | None = None,
         ads: pd.DataFrame | None = None, ads_prev: pd.DataFrame | None = None) -> dict[str, list[KpiData]]:
    """The overview's cards, by section (``SECTIONS``)."""
    eng = [kpi_from(f, engagement, engagement_prev, start, end, source="engagement", with_previous=compare)
           for f in ENGAGEMENT_FIELDS]
    staff = [KpiData(field="average_response_time", value=response_time(users_totals),
                     previous=response_time(users_totals_prev) if compare else None,
                     spark=response_time_spark(users_hourly, start, end), source="staff")]
    cust = [kpi_from(f, customers, customers_prev, start, end, source="customers", with_previous=compare)
            for f in CUSTOMER_FIELDS]
    act = [kpi_from(f, activity, activity_prev, start, end, date_col="hour", source="activity",
                    with_previous=compare) for f in ACTIVITY_FIELDS]
    act.append(KpiData(field="reply_ratio", value=av.reply_ratio(activity),
                       previous=av.reply_ratio(activity_prev) if compare else None,
                       spark=av.daily_ratio(activity, start, end), source="activity"))
    return {"engagement": eng, "staff": staff, "customers": cust, "activity": act,
            "ads": ads_kpis(ads, ads_prev, lang, compare=compare)}


def _sums(frame: pd.DataFrame | None, fields) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame(columns=list(fields), index=pd.Index([], name="page_id"))
    present = [f for f in fields if f in frame.columns]
    return frame.groupby("page_id", sort=False)[present].sum(min_count=0)


def per_page_table(page_ids, names: Mapping[str, str], *, engagement=None, users_totals=None,
                   customers=None, activity=None, ads=None) -> pd.DataFrame:
    """One row per page (every page asked, in that order, then sorted by total engagements):
    engagement sums, the weighted response time of its staff, new customers and phone numbers,
    customer vs page messages and the reply ratio from the page's sums, purchases, and the
    ad spend per currency (``spend_<CUR>`` columns, never added across currencies)."""
    ids = [str(p) for p in page_ids]
    out = pd.DataFrame({"page_name": [names.get(p, p) for p in ids], "page_id": ids})
    eng = _sums(engagement, ENGAGEMENT_FIELDS[:4] + ("order_count",))
    cust = _sums(customers, CUSTOMER_FIELDS[:2])
    act = _sums(activity, ACTIVITY_FIELDS)
    for f in ("total", "inbox", "comment", "new_customer_replied", "order_count"):
        out[f] = [eng[f].get(p, 0) if f in eng.columns else 0 for p in ids]
    if users_totals is not None and not users_totals.empty:
        rt = metrics.weighted_response_time(users_totals, by=["page_id"])
        rt_map = dict(zip(rt["page_id"].astype(str), rt["average_response_time"]))
    else:
        rt_map = {}
    out["average_response_time"] = [float(rt_map.get(p, math.nan)) for p in ids]
    for f in ("new_customer_count", "new_phone_number_count"):
        out[f] = [cust[f].get(p, 0) if f in cust.columns else 0 for p in ids]
    for f in ACTIVITY_FIELDS:
        out[f] = [act[f].get(p, 0) if f in act.columns else 0 for p in ids]
    out["reply_ratio"] = [ratio(c, d) for c, d in zip(out["page_inbox_count"], out["customer_inbox_count"])]
    out["purchases"] = [total(ads[ads["page_id"] == p], "purchases") if ads is not None and not ads.empty
                        else 0 for p in ids]
    if ads is not None and not ads.empty:
        per = metrics.ads_totals(ads, by=["page_id"])
        for code in sorted({str(c) for c in per["currency"].dropna()}):
            rows = per[per["currency"].astype(str) == code]
            spend = dict(zip(rows["page_id"].astype(str), rows["spend"]))
            out[f"spend_{code}"] = [float(spend.get(p, 0.0)) if not pd.isna(spend.get(p, 0.0)) else 0.0
                                    for p in ids]
    counts = [c for c in out.columns if c not in ("page_name", "page_id", "average_response_time", "reply_ratio")
              and not c.startswith("spend_")]
    for c in counts:
        out[c] = pd.to_numeric(out[c]).astype("Int64")
    out = out.sort_values("total", ascending=False, kind="stable")
    return out.reset_index(drop=True)


def per_page_sources(columns) -> dict[str, str]:
    """Source of each per-page column for labels/tooltips (``spend_<CUR>`` -> ads)."""
    return {c: ("ads" if c.startswith("spend_") else PER_PAGE_SOURCES.get(c, "")) for c in columns
            if c.startswith("spend_") or c in PER_PAGE_SOURCES}


def per_page_spec(columns, lang: str) -> dict[str, tuple[str, str]]:
    """Labels/tooltips of the per-page comparison columns."""
    from .engagement import columns_spec
    srcs = per_page_sources(columns)
    spec = columns_spec([c for c in columns if not c.startswith("spend_")], lang, sources=srcs)
    for c in columns:
        if c.startswith("spend_"):
            code = c.removeprefix("spend_")
            spec[c] = (i18n.t("ov.spend_in", lang, currency=code), metrics.help_text("spend", lang, "ads"))
    return spec


def display_per_page(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The comparison formatted for the language (spend in each column's own currency)."""
    from .. import fmt
    from .engagement import display_frame
    plain = table[[c for c in table.columns if not c.startswith("spend_")]]
    out = display_frame(plain, lang, sources=per_page_sources(plain.columns))
    for c in table.columns:
        if c.startswith("spend_"):
            code = c.removeprefix("spend_")
            out[c] = [fmt.money(v, code, lang) for v in table[c]]
    return out[list(table.columns)]

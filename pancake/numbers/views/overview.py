"""Overview computations: the key number of every source for the range, against the previous
period, and one comparison row per page. Pure pandas, no Streamlit; every sum and ratio is
``pancake.numbers.metrics``'.

The page loads each kind with ``page.load_pair`` (the previous result is None when the two
periods' answering pages differ, so a change never compares all pages now with some then) and
passes the frames by section; ``SECTIONS`` are the kind names.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd

from pancake import fmt, i18n
from pancake.numbers import metrics
from pancake.numbers.views import activity as av
from pancake.numbers.views import tables
from pancake.numbers.views.cards import Kpi, sum_kpi
from pancake.numbers.views.engagement import has_orders

ENGAGEMENT_FIELDS = ("total", "inbox", "comment", "new_customer_replied", "order_count")
CUSTOMER_FIELDS = ("new_customer_count", "new_phone_number_count", "phone_number_count")
ACTIVITY_FIELDS = ("customer_inbox_count", "page_inbox_count")

# Sections of the overview, in order: the kinds they read (each has a title key).
SECTIONS = ("engagement", "staff", "customers", "activity", "ads")
# The frame of each kind's result a section reads.
FRAMES = {"engagement": "daily", "staff": "totals", "customers": "data", "activity": "hourly", "ads": "ads"}

# Per-page comparison: column -> metrics source (for the label and the tooltip).
PER_PAGE_SOURCES = {
    "total": "engagement", "inbox": "engagement", "comment": "engagement",
    "new_customer_replied": "engagement", "order_count": "engagement",
    "average_response_time": "staff",
    "new_customer_count": "customers", "new_phone_number_count": "customers",
    "customer_inbox_count": "activity", "page_inbox_count": "activity",
    "reply_ratio": "activity", "purchases": "ads",
}


def frames(results: Mapping[str, Any]) -> dict[str, pd.DataFrame | None]:
    """{section: the frame it reads} from {kind: loaded result or None}."""
    return {k: None if r is None else r.get(FRAMES[k]) for k, r in results.items()}


def is_empty(current: Mapping[str, pd.DataFrame | None]) -> bool:
    return all(f is None or f.empty for f in current.values())


def response_time_spark(hourly: pd.DataFrame | None, start: date, end: date) -> list[float]:
    """Each day's weighted average response time (from the staff's hourly rows); NaN on idle days."""
    days = pd.date_range(start, end, freq="D")
    if hourly is None or hourly.empty or "average_response_time" not in hourly.columns:
        return [math.nan] * len(days)
    work = hourly.assign(day=pd.to_datetime(hourly["hour"]).dt.normalize()).drop(columns=["hour"])
    per_day = metrics.weighted_response_time(work, by=["day"])
    by_day = dict(zip(per_day["day"], per_day["average_response_time"].astype("float64")))
    return [float(by_day.get(d, math.nan)) for d in days]


def spend_label(code: str, lang: str) -> str:
    """"Spend (USD)"; a spend without a currency is "Spend (—)", never taken for VND."""
    return i18n.t("ov.spend_in", lang, currency=code or fmt.MISSING)


def ads_kpis(current: pd.DataFrame | None, previous: pd.DataFrame | None, lang: str,
             *, compare: bool = True) -> list[Kpi]:
    """Spend per currency (``metrics.ads_kpi_values``: one card each, never added across
    currencies, no currency its own "—" card) and purchases. A currency with no ad in the
    previous period spent 0 then."""
    cur = metrics.ads_kpi_values(current)
    prev = metrics.ads_kpi_values(previous) if compare and previous is not None else None
    out = [Kpi(field="spend", value=values["spend"],
               previous=None if prev is None else prev.get(code, {}).get("spend", 0.0),
               currency=code or None, label=spend_label(code, lang), source="ads")
           for code, values in cur.items()]
    out.append(Kpi(field="purchases", value=metrics.total(current, "purchases"),
                   previous=metrics.total(previous, "purchases") if prev is not None else None, source="ads"))
    return out


def kpis(current: Mapping[str, pd.DataFrame | None], previous: Mapping[str, pd.DataFrame | None],
         start: date, end: date, lang: str, *, compare: bool = True,
         staff_hourly: pd.DataFrame | None = None, only: Iterable[str] | None = None) -> dict[str, list[Kpi]]:
    """The overview's cards by section (``SECTIONS``) from the frames of each section now and in
    the previous period (None: no change shown). Orders only when the API sends them. ``only``:
    just those sections (a view draws each section as its data lands, and computes it once)."""
    def summed(kind: str, field: str, date_col: str = "date") -> Kpi:
        return sum_kpi(field, current.get(kind), previous.get(kind), start, end, source=kind,
                       date_col=date_col, compare=compare)

    def engagement() -> list[Kpi]:
        eng = [f for f in ENGAGEMENT_FIELDS if f != "order_count"
               or has_orders(current.get("engagement")) or has_orders(previous.get("engagement"))]
        return [summed("engagement", f) for f in eng]

    def staff() -> list[Kpi]:
        staff_prev = previous.get("staff")
        return [Kpi(field="average_response_time", value=metrics.response_time(current.get("staff")),
                    previous=metrics.response_time(staff_prev) if compare and staff_prev is not None else None,
                    spark=response_time_spark(staff_hourly, start, end), source="staff")]

    def activity() -> list[Kpi]:
        return [*(summed("activity", f, "hour") for f in ACTIVITY_FIELDS),
                av.reply_ratio_kpi(current.get("activity"), previous.get("activity"), start, end, compare=compare)]

    build = {"engagement": engagement, "staff": staff,
             "customers": lambda: [summed("customers", f) for f in CUSTOMER_FIELDS], "activity": activity,
             "ads": lambda: ads_kpis(current.get("ads"), previous.get("ads"), lang, compare=compare)}
    wanted = SECTIONS if only is None else [s for s in SECTIONS if s in set(only)]
    return {section: build[section]() for section in wanted}


# --- per-page comparison --------------------------------------------------------------------

def _by_page(sums: pd.DataFrame, ids: Sequence[str], answered: set[str]) -> pd.DataFrame:
    """Sums per page for ``ids``: 0 for a page that answered without rows, NA for one that
    failed (unknown, never 0)."""
    out = sums.reindex(ids)
    idle = [p for p in ids if p in answered and p not in sums.index]
    if idle and len(out.columns):
        out.loc[idle] = 0
    return out


def per_page_table(page_ids: Iterable[str], names: Mapping[str, str],
                   current: Mapping[str, pd.DataFrame | None],
                   answered: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """One row per page (every page asked, sorted by total engagements): engagement sums (the
    orders only when some page sent them), the weighted response time of its staff, new
    customers and phone numbers, customer vs page messages and the reply ratio from the page's
    sums, purchases, and the ad spend per currency (``spend_<CUR>`` columns, never added across
    currencies; ``spend_`` for ads without a currency).

    ``answered`` gives, per section, the pages that answered (default: all); a page that did
    not has NA ("—") in that section's columns."""
    ids = [str(p) for p in page_ids]
    ok = {k: set(map(str, answered[k])) if answered and k in answered else set(ids) for k in SECTIONS}
    eng, act, ads = current.get("engagement"), current.get("activity"), current.get("ads")
    out = pd.DataFrame({"page_name": [names.get(p, p) for p in ids], "page_id": ids}).set_index("page_id",
                                                                                             drop=False)
    fields = [f for f in ENGAGEMENT_FIELDS if f != "order_count" or has_orders(eng)]
    out[fields] = _by_page(metrics.per_page_sums(eng, fields), ids, ok["engagement"])
    staff = current.get("staff")
    rt = (metrics.weighted_response_time(staff, by=["page_id"]).set_index("page_id")["average_response_time"]
          if staff is not None and not staff.empty else pd.Series(dtype="float64"))
    out["average_response_time"] = rt.reindex(ids).astype("float64")
    out[list(CUSTOMER_FIELDS[:2])] = _by_page(metrics.per_page_sums(current.get("customers"), CUSTOMER_FIELDS[:2]),
                                              ids, ok["customers"])
    out[list(ACTIVITY_FIELDS)] = _by_page(metrics.per_page_sums(act, ACTIVITY_FIELDS), ids, ok["activity"])
    ratio = (metrics.reply_ratio(act, by=["page_id"]).set_index("page_id")["reply_ratio"]
             if act is not None and not act.empty else pd.Series(dtype="float64"))
    out["reply_ratio"] = ratio.reindex(ids).astype("float64")
    out["purchases"] = _by_page(metrics.per_page_sums(ads, ["purchases"]), ids, ok["ads"])["purchases"]
    for code, spend in _spend_by_currency(ads).items():
        out[f"spend_{code}"] = _by_page(spend.to_frame("spend"), ids, ok["ads"])["spend"].astype("float64")
    counts = [*fields, *CUSTOMER_FIELDS[:2], *ACTIVITY_FIELDS, "purchases"]
    out[counts] = out[counts].apply(lambda s: pd.to_numeric(s, errors="coerce").astype("Int64"))
    out = out.sort_values("total", ascending=False, kind="stable", na_position="last")
    return out.reset_index(drop=True)


def _spend_by_currency(ads: pd.DataFrame | None) -> dict[str, pd.Series]:
    """{currency: spend per page id} (``metrics.ads_totals`` by page; null currency keyed "")."""
    if ads is None or ads.empty:
        return {}
    per = metrics.ads_totals(ads.assign(currency=ads["currency"].map(metrics.currency_key)), by=["page_id"])
    return {code: rows.set_index("page_id")["spend"] for code, rows in per.groupby("currency", sort=True)}


# The comparison's columns, the telling ones first (spend columns go after the new customers).
KEY_COLUMNS = ("page_name", "total", tables.change_key("total"), "average_response_time", "reply_ratio",
               "new_customer_count")


def per_page_total(table: pd.DataFrame, staff: pd.DataFrame | None) -> dict[str, Any]:
    """The comparison's totals row: counts and each currency's spend summed over the pages
    (``metrics.total``), the reply ratio from the summed messages (``metrics.reply_ratio``) and
    the response time weighted by reply sessions over every staff row (``metrics.response_time``):
    never a sum or a mean of the pages' ratios."""
    out: dict[str, Any] = {c: metrics.total(table, c) for c in table.columns
                           if c not in ("page_name", "page_id", "reply_ratio", "average_response_time")}
    out["reply_ratio"] = metrics.reply_ratio(table) if {"page_inbox_count", "customer_inbox_count"} <= set(table) \
        else math.nan
    out["average_response_time"] = metrics.response_time(staff)
    return out


def per_page_view(table: pd.DataFrame, lang: str, current: Mapping[str, pd.DataFrame | None] | None = None,
                  previous: Mapping[str, pd.DataFrame | None] | None = None) -> tables.Table:
    """The comparison as a table: the page's name, its total engagements and their change
    against the previous period (from ``previous``' engagement rows), response time, reply
    ratio, new customers and spend first; each column labelled and explained by its source,
    each spend column in its own currency; the page id in the download only; the totals row
    (:func:`per_page_total`, with ``current``' staff rows)."""
    spend = {c: tables.column(c, lang, label=spend_label(c.removeprefix("spend_"), lang),
                              help=metrics.help_text("spend", lang, "ads"), unit="money",
                              currency=c.removeprefix("spend_") or None)
             for c in table.columns if c.startswith("spend_")}
    before = (previous or {}).get("engagement")
    frame = tables.with_change(table, "page_id", "total", metrics.per_page_sums(before, ["total"])["total"]
                               if before is not None else None, "engagement")
    rest = [c for c in table.columns if c not in KEY_COLUMNS and c != "page_id" and c not in spend]
    keys = [*KEY_COLUMNS, *spend, *rest]
    total = per_page_total(table, (current or {}).get("staff")) if current is not None else None
    if before is not None:
        total = tables.total_change(total, "total", metrics.total(before, "total"), "engagement")
    return tables.table(frame, keys, lang, sources=PER_PAGE_SOURCES, total=total, **spend,
                        **{tables.change_key("total"): tables.change_column("total", lang, "engagement")})


def per_page(page_ids: Iterable[str], names: Mapping[str, str], current: Mapping[str, pd.DataFrame | None],
             previous: Mapping[str, pd.DataFrame | None] | None, lang: str, *,
             answered: Mapping[str, Iterable[str]] | None = None) -> tables.Table:
    """The view's per-page comparison: :func:`per_page_table` drawn by :func:`per_page_view`."""
    return per_page_view(per_page_table(page_ids, names, current, answered=answered), lang, current, previous)

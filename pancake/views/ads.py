"""Ads page computations: one row per ad with derived ratios, totals per currency and per
page × currency (ratios recomputed from sums, reach never added), KPI values per currency,
the "spending without purchases" flag, display tables and the page's figures.

Pure: frames in, frames/figures out. No Streamlit. Amounts in different currencies are
never added: every total is keyed by ``currency``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .. import charts, fmt, i18n, metrics

# --- strings ---------------------------------------------------------------------------------

FLAG_NO_PURCHASES = "no_purchases"
FLAG_NO_PURCHASE_DATA = "no_purchase_data"
RED = "#dc2626"

STATUS_ORDER = ("ACTIVE", "PAUSED", "CAMPAIGN_PAUSED", "ADSET_PAUSED", "IN_PROCESS", "WITH_ISSUES",
                "PENDING_REVIEW", "DISAPPROVED", "ARCHIVED", "DELETED")

# Columns of the per-ad table (and its CSV), in order.
AD_COLUMNS = ["page_id", "page_name", "ad_id", "name", "status", "currency",
              "spend", "impressions", "reach", "link_click", "cpc", "cpm", "ctr",
              "purchases", "purchases_conversion_value", "cost_per_purchase", "roas",
              "messaging_conversation_started_7d", "cost_per_conversation",
              "daily_budget", "lifetime_budget", "budget_remaining", "flag"]
MONEY_COLUMNS = ("spend", "cpc", "cpm", "purchases_conversion_value", "cost_per_purchase",
                 "cost_per_conversation")
BUDGET_COLUMNS = ("daily_budget", "lifetime_budget", "budget_remaining")
COUNT_COLUMNS = ("impressions", "reach", "link_click", "purchases", "messaging_conversation_started_7d")

# Columns of the totals tables (per currency, per page × currency).
TOTAL_COLUMNS = ["currency", "ad_count", "spend", "impressions", "link_click", "cpc", "cpm", "ctr",
                 "purchases", "purchases_conversion_value", "cost_per_purchase", "roas",
                 "messaging_conversation_started_7d", "cost_per_conversation"]

# KPI cards per currency, in order.
KPI_FIELDS = ("spend", "purchases_conversion_value", "roas", "purchases",
              "cost_per_purchase", "messaging_conversation_started_7d", "cost_per_conversation", "ctr")


# --- helpers ---------------------------------------------------------------------------------

def _missing(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _currency_key(c: Any) -> str:
    return "" if _missing(c) else str(c).strip().upper()


def currencies(frame: pd.DataFrame | None) -> list[str]:
    """Currencies present: VND first (the shops' own currency), then by number of ads, then
    by code; "" stands for a missing currency and comes last. (Never ordered by amount: amounts
    in different currencies do not compare.)"""
    if frame is None or frame.empty or "currency" not in frame.columns:
        return []
    counts = frame["currency"].map(_currency_key).value_counts()
    return sorted(counts.index, key=lambda c: (c == "", c != "VND", -int(counts[c]), c))


def statuses(frame: pd.DataFrame | None) -> list[str]:
    """Statuses present in the frame, in a stable, meaningful order (ACTIVE first)."""
    if frame is None or frame.empty or "status" not in frame.columns:
        return []
    found = {str(s).strip().upper() for s in frame["status"] if not _missing(s) and str(s).strip()}
    known = [s for s in STATUS_ORDER if s in found]
    return known + sorted(found - set(known))


def status_label(status: Any, lang: str) -> str:
    if _missing(status) or not str(status).strip():
        return i18n.t("ads.status.unknown", lang)
    key = f"ads.status.{str(status).strip().upper()}"
    return i18n.t(key, lang) if i18n.has(key) else str(status)


def filter_status(frame: pd.DataFrame, chosen: Iterable[str] | None) -> pd.DataFrame:
    """Ads whose status is one of ``chosen``; all ads when nothing is chosen."""
    chosen = {str(s).strip().upper() for s in (chosen or []) if str(s).strip()}
    if not chosen or frame is None or frame.empty:
        return frame
    st = frame["status"].map(lambda s: "" if _missing(s) else str(s).strip().upper())
    return frame[st.isin(chosen)].reset_index(drop=True)


def parse_status_param(value: str | None, available: Sequence[str]) -> list[str]:
    """``"ACTIVE,PAUSED"`` from the URL -> the known statuses it names (order of ``available``)."""
    if not value:
        return []
    wanted = {v.strip().upper() for v in str(value).split(",") if v.strip()}
    return [s for s in available if s in wanted]


# --- per ad ----------------------------------------------------------------------------------

def _flag(spend: float, purchases: float) -> str:
    if math.isnan(spend) or spend <= 0:
        return ""
    if math.isnan(purchases):
        return FLAG_NO_PURCHASE_DATA
    return FLAG_NO_PURCHASES if purchases == 0 else ""


def ad_table(frame: pd.DataFrame | None, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per ad (``AD_COLUMNS``): sums as the API/the data layer gave them, CPC/CPM/CTR,
    cost per purchase, ROAS and cost per conversation filled by ``metrics.ads_derived``
    (the API's value when present, else computed; division by zero -> NaN), budgets converted
    from the currency's smallest unit to currency units, and ``flag`` = ``no_purchases`` when
    the ad spent with 0 purchases, ``no_purchase_data`` when it spent and purchases is null.
    Sorted by currency (most spend first), then spend, biggest first."""
    if frame is None or frame.empty:
        out = pd.DataFrame({c: pd.Series(dtype="str") for c in AD_COLUMNS})
        for c in (*MONEY_COLUMNS, *BUDGET_COLUMNS, *COUNT_COLUMNS, "ctr", "roas"):
            out[c] = pd.Series(dtype="float64")
        return out[AD_COLUMNS]
    df = metrics.ads_derived(frame).reset_index(drop=True)
    out = pd.DataFrame({
        "page_id": df["page_id"].astype("str"),
        "page_name": df["page_id"].astype("str").map(lambda p: (names or {}).get(p, p)).astype("str"),
    })
    for c in ("ad_id", "name", "status"):
        out[c] = df[c].astype("string") if c in df.columns else pd.Series(pd.NA, index=df.index, dtype="string")
    out["currency"] = df["currency"].map(_currency_key).astype("str") if "currency" in df.columns else ""
    for c in ("spend", "impressions", "reach", "link_click", "cpc", "cpm", "ctr", "purchases",
              "purchases_conversion_value", "cost_per_purchase", "roas",
              "messaging_conversation_started_7d", "cost_per_conversation"):
        out[c] = _num(df[c]) if c in df.columns else np.nan
    for c in BUDGET_COLUMNS:
        raw = _num(df[c]) if c in df.columns else pd.Series(np.nan, index=df.index)
        scale = out["currency"].map(lambda cur: 10 ** fmt.currency_decimals(cur)).astype("float64")
        out[c] = (raw / scale).astype("float64")
    out["flag"] = [_flag(s, p) for s, p in zip(out["spend"], out["purchases"])]
    order = {c: i for i, c in enumerate(currencies(out))}
    out["_c"] = out["currency"].map(order)
    out["_s"] = out["spend"].fillna(-1.0)
    out = out.sort_values(["_c", "_s", "name"], ascending=[True, False, True], kind="stable")
    return out[AD_COLUMNS].reset_index(drop=True)


def flagged(table: pd.DataFrame, flag: str | None = None) -> pd.DataFrame:
    """Rows of an ``ad_table`` that carry a flag (or exactly ``flag``)."""
    if table is None or table.empty:
        return table
    mask = table["flag"] != "" if flag is None else table["flag"] == flag
    return table[mask].reset_index(drop=True)


def spend_by_currency(table: pd.DataFrame) -> dict[str, float]:
    """Sum of spend per currency of an ``ad_table`` (or any frame with currency/spend)."""
    if table is None or table.empty:
        return {}
    work = pd.DataFrame({"currency": table["currency"].map(_currency_key), "spend": _num(table["spend"])})
    sums = work.groupby("currency", sort=False)["spend"].sum(min_count=0)
    return {c: float(sums[c]) for c in currencies(work)}


def amounts_text(amounts: Mapping[str, float], lang: str) -> str:
    """``{"VND": 1e6, "USD": 12.5}`` -> "1.000.000 ₫ · 12,50 US$" (never added together)."""
    return " · ".join(fmt.money(v, c or None, lang) for c, v in amounts.items())


# --- totals ----------------------------------------------------------------------------------

# derived field -> (numerator, denominator, scale): the same definitions as metrics.ads_derived
DERIVED = {
    "cpc": ("spend", "link_click", 1.0),
    "cpm": ("spend", "impressions", 1000.0),
    "ctr": ("link_click", "impressions", 100.0),
    "cost_per_purchase": ("spend", "purchases", 1.0),
    "roas": ("purchases_conversion_value", "spend", 1.0),
    "cost_per_conversation": ("spend", "messaging_conversation_started_7d", 1.0),
}


def _totals(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """``metrics.ads_totals`` for the sums and the ad count; each ratio then recomputed from
    sums over the ads that report **both** its parts. An ad whose purchases (or conversations,
    clicks...) the API left null has unknown results: its spend must not be divided by the
    other ads' purchases, or the cost per purchase would be inflated. With complete data this
    is exactly sum(numerator) / sum(denominator)."""
    t = metrics.ads_totals(frame, by=by)
    keys = list(by) + (["currency"] if "currency" not in by else [])
    for field, (num, den, scale) in DERIVED.items():
        n = _num(frame[num]) if num in frame.columns else pd.Series(np.nan, index=frame.index)
        d = _num(frame[den]) if den in frame.columns else pd.Series(np.nan, index=frame.index)
        both = n.notna() & d.notna()
        work = frame[keys].copy()
        work["_n"] = n.where(both)
        work["_d"] = d.where(both)
        sums = work.groupby(keys, dropna=False, sort=True)[["_n", "_d"]].sum(min_count=1).reset_index()
        sums[field] = metrics.safe_div(sums["_n"], sums["_d"], scale)
        t = t.drop(columns=[field]).merge(sums[keys + [field]], on=keys, how="left")
    return t


def currency_totals(frame: pd.DataFrame | None) -> pd.DataFrame:
    """One row per currency (``TOTAL_COLUMNS``): ad count, sums, ratios recomputed from the sums
    (see ``_totals``: over the ads that report both parts of the ratio). No reach: it does not add up across ads. Most spend first."""
    base = frame if frame is not None else pd.DataFrame()
    if base.empty:
        t = metrics.ads_totals(pd.DataFrame({"currency": pd.Series(dtype="str")}))
        return t[TOTAL_COLUMNS]
    work = base.copy()
    work["currency"] = work["currency"].map(_currency_key)
    t = _totals(work, [])
    order = {c: i for i, c in enumerate(currencies(work))}
    t = t.iloc[t["currency"].map(order).argsort(kind="stable")]
    return t[TOTAL_COLUMNS].reset_index(drop=True)


def page_totals(frame: pd.DataFrame | None, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per page × currency: ``page_id, page_name`` + ``TOTAL_COLUMNS``; per currency
    (most spend first), the page with the most spend first."""
    cols = ["page_id", "page_name", *TOTAL_COLUMNS]
    if frame is None or frame.empty:
        t = metrics.ads_totals(pd.DataFrame({"page_id": pd.Series(dtype="str"),
                                             "currency": pd.Series(dtype="str")}), by=["page_id"])
        t.insert(1, "page_name", pd.Series(dtype="str"))
        return t[cols]
    work = frame.copy()
    work["currency"] = work["currency"].map(_currency_key)
    work["page_id"] = work["page_id"].astype("str")
    t = _totals(work, ["page_id"])
    t.insert(1, "page_name", t["page_id"].map(lambda p: (names or {}).get(p, p)).astype("str"))
    order = {c: i for i, c in enumerate(currencies(work))}
    t["_c"] = t["currency"].map(order)
    t["_s"] = t["spend"].fillna(-1.0)
    t = t.sort_values(["_c", "_s", "page_name"], ascending=[True, False, True], kind="stable")
    return t[cols].reset_index(drop=True)


@dataclass(frozen=True)
class CurrencyKpis:
    currency: str
    ad_count: int
    values: dict[str, float]            # KPI_FIELDS -> value (NaN when not computable)
    previous: dict[str, float] | None   # same, for the previous period; None = no comparison


def kpis(current: pd.DataFrame | None, previous: pd.DataFrame | None = None, *,
         compare: bool = True) -> list[CurrencyKpis]:
    """KPI values per currency of ``current`` (most spend first). A currency absent from the
    previous period compares against 0 spend (the ratios: NaN, so no delta). ``previous=None``
    or ``compare=False``: no comparison."""
    cur = currency_totals(current)
    prev = currency_totals(previous) if (compare and previous is not None) else None
    out = []
    for _, row in cur.iterrows():
        c = row["currency"]
        values = {f: _as_float(row[f]) for f in KPI_FIELDS}
        p = None
        if prev is not None:
            match = prev[prev["currency"] == c]
            if match.empty:
                p = {f: (0.0 if metrics.METRICS[f].add == "sum" else math.nan) for f in KPI_FIELDS}
            else:
                p = {f: _as_float(match.iloc[0][f]) for f in KPI_FIELDS}
        out.append(CurrencyKpis(currency=c, ad_count=int(row["ad_count"]), values=values, previous=p))
    return out


def _as_float(v: Any) -> float:
    return math.nan if _missing(v) else float(v)


# --- display ---------------------------------------------------------------------------------

def format_cell(field: str, value: Any, lang: str, currency: str | None) -> str:
    """One table cell as shown: money in the row's currency, counts grouped, CTR in %, ROAS as ×."""
    if _missing(value):
        return fmt.MISSING
    if field in MONEY_COLUMNS or field in BUDGET_COLUMNS:
        return fmt.money(value, currency or None, lang)
    if field == "ctr":
        return fmt.percent(value, lang, decimals=2)
    if field == "roas":
        return fmt.number(value, lang, decimals=2) + "×"
    f = float(value)
    return fmt.number(f, lang, decimals=0 if f.is_integer() else 1)


def column_label(col: str, lang: str) -> str:
    special = {"page_id": "ads.page_id", "page_name": "common.page", "ad_id": "ads.ad_id",
               "name": "ads.ad", "status": "ads.status", "currency": "ads.currency",
               "ad_count": "ads.ad_count", "flag": "ads.flag"}
    if col in special:
        key = special[col]
        return i18n.t(key, lang)
    return metrics.label(col, lang)


def column_help(col: str, lang: str) -> str | None:
    if col == "ad_count":
        return i18n.t("ads.ad_count_help", lang)
    if col == "flag":
        return i18n.t("ads.flag_help", lang)
    h = metrics.help_text(col, lang)
    return h or None


def display(frame: pd.DataFrame, lang: str, *, hide: Sequence[str] = ()) -> tuple[pd.DataFrame, dict[str, str | None]]:
    """A formatted copy of an ads table (ad_table / currency_totals / page_totals) with the
    column names in ``lang``, and {shown column name: tooltip}. Every value is text formatted
    by ``pancake.fmt`` for the language and the row's currency."""
    cols = [c for c in frame.columns if c not in hide]
    out = pd.DataFrame(index=frame.index)
    helps: dict[str, str | None] = {}
    cur = frame["currency"] if "currency" in frame.columns else pd.Series("", index=frame.index)
    for c in cols:
        label = column_label(c, lang)
        if c in MONEY_COLUMNS or c in BUDGET_COLUMNS or c in COUNT_COLUMNS or c in ("ctr", "roas", "ad_count"):
            out[label] = [format_cell(c, v, lang, k) for v, k in zip(frame[c], cur)]
        elif c == "status":
            out[label] = [status_label(v, lang) for v in frame[c]]
        elif c == "flag":
            out[label] = ["⚠️ " + i18n.t(f"ads.flag.{v}", lang) if v else "" for v in frame[c]]
        elif c == "currency":
            out[label] = [v if v else "—" for v in frame[c]]
        else:
            out[label] = ["—" if _missing(v) else str(v) for v in frame[c]]
        helps[label] = column_help(c, lang)
    return out.reset_index(drop=True), helps


def csv_frame(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The CSV of an ``ad_table``: plain numbers (budgets in currency units), the flag in words."""
    out = table.copy()
    if "flag" in out.columns:
        out["flag"] = [i18n.t(f"ads.flag.{v}", lang) if v else "" for v in out["flag"]]
    return out


# --- figures ---------------------------------------------------------------------------------

TOP_ADS = 25


def spend_purchases_figure(table: pd.DataFrame, currency: str, lang: str, *, top: int = TOP_ADS) -> go.Figure:
    """Horizontal bars of spend per ad in one currency (the biggest spenders first, at most
    ``top``), labelled with each ad's purchases; red where the ad spends without purchases."""
    rows = table[(table["currency"] == currency) & table["spend"].notna() & (table["spend"] > 0)]
    rows = rows.sort_values("spend", ascending=False, kind="stable").head(top)
    labels = [_ad_label(r) for _, r in rows.iterrows()]
    texts = [i18n.t("ads.chart.no_data_text", lang) if _missing(p)
             else i18n.t("ads.chart.purchases_text", lang, n=fmt.number(p, lang))
             for p in rows["purchases"]]
    n = len(rows)
    many = (table["currency"] == currency).sum() > n and n == top
    title = (i18n.t("ads.chart.spend_purchases_top", lang, n=n, currency=currency or "—") if many
             else i18n.t("ads.chart.spend_purchases", lang, currency=currency or "—"))
    fig = charts.bars(labels, rows["spend"].tolist(), title=title, text=texts,
                      value_label=metrics.label("spend", lang))
    colors = [RED if f else charts.PALETTE[0] for f in rows["flag"]]
    hover = [f"{lab}<br>{metrics.label('spend', lang)}: {fmt.money(s, currency or None, lang)}"
             f"<br>{metrics.label('purchases', lang)}: {fmt.number(p, lang)}"
             f"<br>{metrics.label('cost_per_purchase', lang)}: {fmt.money(cpp, currency or None, lang)}"
             for lab, s, p, cpp in zip(labels, rows["spend"], rows["purchases"], rows["cost_per_purchase"])]
    fig.update_traces(marker_color=colors[::-1], hovertext=hover[::-1], hoverinfo="text",
                      hovertemplate=None)
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title=f"{metrics.label('spend', lang)} ({currency or '—'})")
    return fig


def _ad_label(row: pd.Series) -> str:
    name = row["name"] if not _missing(row["name"]) else row["ad_id"]
    name = str(name)
    return name if len(name) <= 40 else name[:39] + "…"


def spend_by_page_figure(page_tot: pd.DataFrame, currency: str, lang: str) -> go.Figure:
    """Horizontal bars of spend per page in one currency, biggest first."""
    rows = page_tot[(page_tot["currency"] == currency) & page_tot["spend"].notna()]
    rows = rows.sort_values("spend", ascending=False, kind="stable")
    texts = [fmt.money(v, currency or None, lang) for v in rows["spend"]]
    fig = charts.bars(rows["page_name"].tolist(), rows["spend"].tolist(),
                      title=i18n.t("ads.chart.spend_by_page", lang, currency=currency or "—"),
                      text=texts, value_label=metrics.label("spend", lang))
    fig.update_xaxes(title=f"{metrics.label('spend', lang)} ({currency or '—'})")
    return fig

"""Ads page: one row per ad with its ratios, totals per currency and per page × currency, the KPI
cards per currency, the "spending without purchases" flag, the tables and the figures.

Pure, with no arithmetic of its own: a per-ad ratio is ``metrics.ads_derived``'s, a total
``metrics.ads_totals``'. Amounts in different currencies are never added; a missing currency is
its own group, keyed "" and shown "—", never taken for VND. Budgets arrive in the main unit.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pancake import fmt, i18n
from pancake.numbers import charts, metrics
from pancake.numbers.views import format_metric, is_missing, tables
from pancake.numbers.views.cards import Kpi

FLAG_NO_PURCHASES = "no_purchases"
FLAG_NO_PURCHASE_DATA = "no_purchase_data"
RED = "#dc2626"
SOURCE = "ads"

STATUS_ORDER = ("ACTIVE", "PAUSED", "CAMPAIGN_PAUSED", "ADSET_PAUSED", "IN_PROCESS", "WITH_ISSUES",
                "PENDING_REVIEW", "DISAPPROVED", "ARCHIVED", "DELETED")

# Columns of the per-ad table (and its CSV), in order.
AD_COLUMNS = ["page_id", "page_name", "ad_id", "name", "status", "currency",
              "spend", "impressions", "reach", "link_click", "cpc", "cpm", "ctr",
              "purchases", "purchases_conversion_value", "cost_per_purchase", "roas",
              "messaging_conversation_started_7d", "cost_per_conversation",
              "daily_budget", "lifetime_budget", "budget_remaining", "flag"]
TEXT_COLUMNS = ("ad_id", "name", "status")
NUMBER_COLUMNS = [c for c in AD_COLUMNS if c not in ("page_id", "page_name", *TEXT_COLUMNS, "currency", "flag")]

# Columns of the totals tables (per currency, per page × currency).
TOTAL_COLUMNS = ["currency", "ad_count", "spend", "impressions", "link_click", "cpc", "cpm", "ctr",
                 "purchases", "purchases_conversion_value", "cost_per_purchase", "roas",
                 "messaging_conversation_started_7d", "cost_per_conversation"]

# KPI cards per currency, in order.
KPI_FIELDS = ("spend", "purchases_conversion_value", "roas", "purchases",
              "cost_per_purchase", "messaging_conversation_started_7d", "cost_per_conversation", "ctr")


# --- currencies and statuses -------------------------------------------------------------------

def currencies(frame: pd.DataFrame | None) -> list[str]:
    """Currencies present (``metrics.currency_key``): VND first (the shops' own currency), then
    by number of ads, then by code; "" stands for a missing currency and comes last. (Never
    ordered by amount: amounts in different currencies do not compare.)"""
    if frame is None or frame.empty or "currency" not in frame.columns:
        return []
    counts = frame["currency"].map(metrics.currency_key).value_counts()
    return sorted(counts.index, key=lambda c: (c == "", c != "VND", -int(counts[c]), c))


def currency_label(code: str | None) -> str:
    """A currency as a heading or a chart title shows it: "—" when the API sent none."""
    return code or fmt.MISSING


def _order_by_currency(frame: pd.DataFrame, codes: Sequence[str]) -> pd.Series:
    return frame["currency"].map({c: i for i, c in enumerate(codes)})


def _status_key(status: Any) -> str:
    return "" if is_missing(status) else str(status).strip().upper()


def statuses(frame: pd.DataFrame | None) -> list[str]:
    """Statuses present in the frame, in a stable, meaningful order (ACTIVE first)."""
    if frame is None or frame.empty or "status" not in frame.columns:
        return []
    found = {_status_key(s) for s in frame["status"]} - {""}
    known = [s for s in STATUS_ORDER if s in found]
    return known + sorted(found - set(known))


def status_label(status: Any, lang: str) -> str:
    if not _status_key(status):
        return i18n.t("ads.status.unknown", lang)
    key = f"ads.status.{_status_key(status)}"
    return i18n.t(key, lang) if i18n.has(key) else str(status)


def filter_status(frame: pd.DataFrame | None, chosen: Iterable[str] | None) -> pd.DataFrame | None:
    """Ads whose status is one of ``chosen``; all ads when nothing is chosen."""
    chosen = {str(s).strip().upper() for s in (chosen or []) if str(s).strip()}
    if not chosen or frame is None or frame.empty:
        return frame
    return frame[frame["status"].map(_status_key).isin(chosen)].reset_index(drop=True)


def parse_status_param(value: str | None, available: Sequence[str]) -> list[str]:
    """``"ACTIVE,PAUSED"`` from the URL -> the known statuses it names (order of ``available``)."""
    if not value:
        return []
    wanted = {v.strip().upper() for v in str(value).split(",") if v.strip()}
    return [s for s in available if s in wanted]


# --- per ad ------------------------------------------------------------------------------------

# statuses of an ad that is not running: never flagged (its owner has already stopped it)
STOPPED_STATUSES = frozenset({"PAUSED", "ARCHIVED", "DELETED"})


def _flag(spend: Any, purchases: Any, status: Any = None, currency: str | None = None) -> str:
    """The one "spent with no purchase" rule (this page and the standup flags):
    ``no_purchases`` for a running ad that spent with exactly 0 purchases, ``no_purchase_data``
    for one that spent while its purchases are unknown (null: never "no purchase"), "" otherwise
    (a paused, archived or deleted ad included, and a spend that rounds to 0 in its currency:
    "spent 0.00" is no news)."""
    if is_missing(spend) or round(float(spend), fmt.currency_decimals(currency or None)) <= 0 \
            or _status_key(status) in STOPPED_STATUSES:
        return ""
    if is_missing(purchases):
        return FLAG_NO_PURCHASE_DATA
    return FLAG_NO_PURCHASES if purchases == 0 else ""


def ad_table(frame: pd.DataFrame | None, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per ad (``AD_COLUMNS``), numbers as numbers: the sums and budgets as the data
    layer gave them, CPC/CPM/CTR, cost per purchase, ROAS and cost per conversation from
    ``metrics.ads_derived`` (the API's value when present, else the row's; division by zero ->
    NaN), ``currency`` as ``metrics.currency_key`` ("" = none) and ``flag`` (see ``_flag``).
    Sorted by currency (``currencies``), then spend, biggest first."""
    if frame is None or frame.empty:
        out = pd.DataFrame({c: pd.Series(dtype="str") for c in AD_COLUMNS})
        for c in NUMBER_COLUMNS:
            out[c] = pd.Series(dtype="float64")
        return out[AD_COLUMNS]
    df = metrics.ads_derived(frame).reset_index(drop=True)
    page = df["page_id"].astype("str")
    out = pd.DataFrame({"page_id": page, "page_name": page.map(lambda p: (names or {}).get(p, p)).astype("str")})
    for c in TEXT_COLUMNS:
        out[c] = df[c].astype("string") if c in df.columns else pd.Series(pd.NA, index=df.index, dtype="string")
    out["currency"] = df["currency"].map(metrics.currency_key).astype("str")
    for c in NUMBER_COLUMNS:
        out[c] = pd.to_numeric(df[c], errors="coerce").astype("float64") if c in df.columns else float("nan")
    out["flag"] = [_flag(s, p, st, c) for s, p, st, c in zip(out["spend"], out["purchases"], out["status"],
                                                          out["currency"])]
    out["_c"] = _order_by_currency(out, currencies(out))
    out["_s"] = out["spend"].fillna(-1.0)
    out = out.sort_values(["_c", "_s", "name"], ascending=[True, False, True], kind="stable")
    return out[AD_COLUMNS].reset_index(drop=True)


def flagged(table: pd.DataFrame, flag: str | None = None) -> pd.DataFrame:
    """Rows of an ``ad_table`` that carry a flag (or exactly ``flag``)."""
    if table is None or table.empty:
        return table
    mask = table["flag"] != "" if flag is None else table["flag"] == flag
    return table[mask].reset_index(drop=True)


def spent(table: pd.DataFrame) -> bool:
    """Whether any ad of an ``ad_table`` spent something."""
    return bool(table["spend"].gt(0).any())


def spend_by_currency(table: pd.DataFrame) -> dict[str, float]:
    """Spend per currency of an ``ad_table`` (``metrics.ads_totals``), in ``currencies`` order."""
    if table is None or table.empty:
        return {}
    spend = currency_totals(table).set_index("currency")["spend"]
    return {c: float(spend[c]) for c in spend.index}


def amounts_text(amounts: Mapping[str, float], lang: str) -> str:
    """``{"VND": 1e6, "USD": 12.5}`` -> "1.000.000 ₫ · 12,50 US$" (never added together)."""
    return " · ".join(fmt.money(v, c or None, lang) for c, v in amounts.items())


# --- totals ------------------------------------------------------------------------------------

def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(currency=frame["currency"].map(metrics.currency_key))


def currency_totals(frame: pd.DataFrame | None) -> pd.DataFrame:
    """One row per currency: ``TOTAL_COLUMNS`` of ``metrics.ads_totals`` (paired sums; no reach,
    it does not add up across ads), in ``currencies`` order."""
    if frame is None or frame.empty:
        return metrics.ads_totals(pd.DataFrame({"currency": pd.Series(dtype="str")}))[TOTAL_COLUMNS]
    t = metrics.ads_totals(_keyed(frame))
    t = t.iloc[_order_by_currency(t, currencies(frame)).argsort(kind="stable")]
    return t[TOTAL_COLUMNS].reset_index(drop=True)


def page_totals(frame: pd.DataFrame | None, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per page × currency (``metrics.ads_totals`` by page): ``page_id, page_name`` +
    ``TOTAL_COLUMNS``; per currency (``currencies`` order), the page with the most spend first."""
    cols = ["page_id", "page_name", *TOTAL_COLUMNS]
    if frame is None or frame.empty:
        t = metrics.ads_totals(pd.DataFrame({"page_id": pd.Series(dtype="str"),
                                             "currency": pd.Series(dtype="str")}), by=["page_id"])
        return t.assign(page_name=pd.Series(dtype="str"))[cols]
    t = metrics.ads_totals(_keyed(frame).assign(page_id=frame["page_id"].astype("str")), by=["page_id"])
    t["page_name"] = t["page_id"].map(lambda p: (names or {}).get(p, p)).astype("str")
    t["_c"] = _order_by_currency(t, currencies(frame))
    t["_s"] = t["spend"].fillna(-1.0)
    t = t.sort_values(["_c", "_s", "page_name"], ascending=[True, False, True], kind="stable")
    return t[cols].reset_index(drop=True)


# --- KPI cards ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CurrencyKpis:
    """The KPI cards of one currency: ``currency`` is the code, "" when the API sent none."""
    currency: str
    ad_count: int
    items: list[Kpi]

    @property
    def label(self) -> str:
        return currency_label(self.currency)


def _value(v: Any) -> Any:
    return None if is_missing(v) else v


def _coverage(field: str, values: Mapping[str, Any], lang: str | None) -> str | None:
    """How many of the currency's ads a ratio covers (those that report both its parts)."""
    if field not in metrics.AD_DERIVED_FIELDS:
        return None
    return i18n.t("ads.covers", lang, n=int(values[f"{field}_ads"]), total=int(values["ad_count"]))


def kpis(current: pd.DataFrame | None, previous: pd.DataFrame | None = None, *, compare: bool = True,
         lang: str | None = None) -> list[CurrencyKpis]:
    """The KPI cards per currency of ``current`` (``currencies`` order), from
    ``metrics.ads_kpi_values``. Compared with ``previous`` unless it is None or ``compare`` is
    False; a currency absent from the previous period compares with nothing spent (sums 0,
    ratios unknown). Each ratio's tooltip note says how many ads it covers, in ``lang``."""
    cur = metrics.ads_kpi_values(current)
    prev = metrics.ads_kpi_values(previous) if compare and previous is not None else None
    nothing = dict.fromkeys(metrics.AD_SUM_FIELDS, 0)
    out = []
    for code in currencies(current):
        values = cur[code]
        before = None if prev is None else prev.get(code, nothing)
        items = [Kpi(field=f, value=_value(values[f]), currency=code or None, source=SOURCE,
                     previous=None if before is None else _value(before.get(f)),
                     note=_coverage(f, values, lang))
                 for f in KPI_FIELDS]
        out.append(CurrencyKpis(currency=code, ad_count=int(values["ad_count"]), items=items))
    return out


# --- tables ------------------------------------------------------------------------------------

def _text_column(key: str, label_key: str, lang: str, help_key: str | None = None) -> tables.Column:
    return tables.Column(key, i18n.t(label_key, lang), i18n.t(help_key, lang) if help_key else "", "text")


def flag_text(flag: str, lang: str) -> str:
    """A flag in words ("" for none)."""
    return i18n.t(f"ads.flag.{flag}", lang) if flag else ""


# What a shop owner reads first: what was spent, what it brought, what it cost (the KPI cards' order).
KEY_FIELDS = ("spend", "purchases", "purchases_conversion_value", "roas", "cost_per_purchase",
              "messaging_conversation_started_7d", "cost_per_conversation", "ctr")


def _key_first(columns: Sequence[str]) -> list[str]:
    head = [c for c in columns if c not in KEY_FIELDS and columns.index(c) < columns.index("spend")]
    return [*head, *(f for f in KEY_FIELDS if f in columns), *(c for c in columns if c not in head
                                                                and c not in KEY_FIELDS)]


def ads_view(table: pd.DataFrame, lang: str) -> tables.Table:
    """An ``ad_table`` as shown and downloaded (page and ad ids in the file only): the ad, its
    status and warning, then spend and what it brought; numbers stay numbers, money in the
    row's currency, status and flag in words."""
    shown = table.assign(status=[status_label(s, lang) for s in table["status"]],
                         flag=[flag_text(f, lang) for f in table["flag"]])
    keys = _key_first(["page_name", "name", "status", "flag", "currency",
                       *(c for c in AD_COLUMNS if c not in ("page_id", "page_name", "ad_id", "name", "status",
                                                             "flag", "currency"))])
    return tables.table(shown, keys, lang, source=SOURCE,
                        name=_text_column("name", "ads.ad", lang), status=_text_column("status", "ads.status", lang),
                        flag=tables.Column("flag", i18n.t("ads.flag", lang), i18n.t("ads.flag_help", lang),
                                           "warning"))


def totals_view(totals: pd.DataFrame, lang: str) -> tables.Table:
    """``currency_totals`` or ``page_totals`` as shown (page id kept for the file only)."""
    ad_count = tables.Column("ad_count", i18n.t("ads.ad_count", lang), i18n.t("ads.ad_count_help", lang))
    return tables.table(totals, _key_first(["page_name", *TOTAL_COLUMNS]), lang, source=SOURCE, ad_count=ad_count)


# --- figures -----------------------------------------------------------------------------------

TOP_ADS = 25


def _money_text(field: str, value: Any, currency: str, lang: str) -> str:
    return format_metric(field, value, lang, currency or None, source=SOURCE)


def spend_purchases_figure(table: pd.DataFrame, currency: str, lang: str, *, top: int = TOP_ADS) -> go.Figure:
    """Horizontal bars of spend per ad in one currency (the biggest spenders first, at most
    ``top``), labelled with each ad's purchases; red where the ad spends without purchases."""
    rows = table[(table["currency"] == currency) & table["spend"].notna() & (table["spend"] > 0)]
    rows = rows.sort_values("spend", ascending=False, kind="stable").head(top)
    labels = ad_labels(rows)
    texts = [i18n.t("ads.chart.no_data_text", lang) if is_missing(p)
             else i18n.t("ads.chart.purchases_text", lang, n=fmt.number(p, lang))
             for p in rows["purchases"]]
    n = len(rows)
    many = (table["currency"] == currency).sum() > n and n == top
    title = (i18n.t("ads.chart.spend_purchases_top", lang, n=n, currency=currency_label(currency)) if many
             else i18n.t("ads.chart.spend_purchases", lang, currency=currency_label(currency)))
    fig = charts.bars(labels, rows["spend"].tolist(), lang=lang, title=title, text=texts, key="spend",
                      unit="money", currency=currency or None, value_label=metrics.label("spend", lang, SOURCE))
    colors = [RED if f else charts.color("spend") for f in rows["flag"]]
    hover = [f"{charts.plain(lab)}<br>{metrics.label('spend', lang, SOURCE)}: {_money_text('spend', s, currency, lang)}"
             f"<br>{metrics.label('purchases', lang, SOURCE)}: {format_metric('purchases', p, lang, source=SOURCE)}"
             f"<br>{metrics.label('cost_per_purchase', lang, SOURCE)}: "
             f"{_money_text('cost_per_purchase', cpp, currency, lang)}"
             for lab, s, p, cpp in zip(labels, rows["spend"], rows["purchases"], rows["cost_per_purchase"])]
    fig.update_traces(marker_color=colors[::-1], hovertext=hover[::-1], hoverinfo="text",
                      hovertemplate=None)
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title=f"{metrics.label('spend', lang, SOURCE)} ({currency_label(currency)})")
    return fig


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def ad_labels(rows: pd.DataFrame) -> list[str]:
    """One label per ad (an ad is its ``ad_id``: two ads never share a bar): its name; when
    names collide, with its page ("Sale · Shop A"); still alike (one page), with the end of its
    id ("Sale · Shop A · …4821")."""
    names = [_short(str(i if is_missing(n) else n)) for n, i in zip(rows["name"], rows["ad_id"])]
    pages = [str(p) for p in rows["page_name"]] if "page_name" in rows.columns else [""] * len(names)
    seen = Counter(names)
    out = [f"{n} · {_short(p, 30)}" if seen[n] > 1 and p else n for n, p in zip(names, pages)]
    seen = Counter(out)
    return [f"{o} · …{str(i)[-4:]}" if seen[o] > 1 else o for o, i in zip(out, rows["ad_id"])]


def spend_by_page_figure(page_tot: pd.DataFrame, currency: str, lang: str) -> go.Figure:
    """Horizontal bars of spend per page in one currency, biggest first."""
    rows = page_tot[(page_tot["currency"] == currency) & page_tot["spend"].notna()]
    rows = rows.sort_values("spend", ascending=False, kind="stable")
    fig = charts.bars(rows["page_name"].tolist(), rows["spend"].tolist(), lang=lang, key="spend",
                      title=i18n.t("ads.chart.spend_by_page", lang, currency=currency_label(currency)),
                      text=[_money_text("spend", v, currency, lang) for v in rows["spend"]],
                      unit="money", currency=currency or None, value_label=metrics.label("spend", lang, SOURCE))
    fig.update_xaxes(title=f"{metrics.label('spend', lang, SOURCE)} ({currency_label(currency)})")
    return fig


def figures(table: pd.DataFrame, page_tot: pd.DataFrame, lang: str) -> list[list[tuple[str, go.Figure]]]:
    """The page's charts, one row per currency that spent (amounts in different currencies
    never share an axis): spend per ad, and beside it spend by page when more than one page
    spent. Each chart comes with a key unique on the page."""
    rows = []
    for cur in currencies(table):
        if not (table["spend"].gt(0) & (table["currency"] == cur)).any():
            continue
        row = [(f"ads_spend_purchases_{cur}", spend_purchases_figure(table, cur, lang))]
        if (page_tot["spend"].gt(0) & (page_tot["currency"] == cur)).sum() > 1:
            row.append((f"ads_spend_page_{cur}", spend_by_page_figure(page_tot, cur, lang)))
        rows.append(row)
    return rows

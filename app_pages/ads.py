"""Ads: KPI cards per currency (spend, purchase value, ROAS, purchases, cost per purchase,
conversations, cost per conversation, CTR) against the previous period, spend and purchases
per ad, spend by page, totals per currency and per page × currency, every ad with its
derived ratios and budgets, a status filter and a warning for ads spending without purchases."""
from __future__ import annotations

import streamlit as st

from pancake.data import cache
from pancake.views import ads as va
from ui import components, state
from ui.components import Kpi

URL_PARAM = "ad_status"
WIDGET = "w_ad_status"

view = state.current()
lang = view.lang
frame, _ = cache.pages()
page_ids = state.selected_pages(list(frame["page_id"].astype(str)))
names = cache.page_names()
start, end = state.date_range()
prev_start, prev_end = state.previous_range()

components.header("nav.ads", page_ids)

result = components.load("ads", page_ids, start, end)
all_ads = result.get("ads")
prev_ads = None
if view.compare:
    prev = components.load("ads", page_ids, prev_start, prev_end)
    # Compare only like with like: a page missing from either period would skew the change.
    if not prev.errors and set(prev.pages_ok) >= set(result.pages_ok):
        prev_ads = prev.get("ads")
        if prev_ads is None:
            prev_ads = all_ads.iloc[0:0] if all_ads is not None else None

if all_ads is None or all_ads.empty:
    components.empty_state("ads.no_ads")
    st.stop()


# --- status filter (kept in the URL as ad_status=ACTIVE,PAUSED) -------------------------------
def _remember_status() -> None:
    chosen = st.session_state.get(WIDGET) or []
    extra = {k: v for k, v in state.current().extra if k != URL_PARAM}
    if chosen:
        extra[URL_PARAM] = ",".join(chosen)
        st.query_params[URL_PARAM] = extra[URL_PARAM]
    elif URL_PARAM in st.query_params:
        del st.query_params[URL_PARAM]
    state.update(extra=tuple(sorted(extra.items())))


available = va.statuses(all_ads)
if WIDGET not in st.session_state or any(s not in available for s in st.session_state[WIDGET] or []):
    st.session_state[WIDGET] = va.parse_status_param(view.param(URL_PARAM), available)
chosen = st.pills(state.t("ads.status_filter"), available, selection_mode="multi", key=WIDGET,
                  format_func=lambda s: va.status_label(s, lang), help=state.t("ads.status_filter_help"),
                  on_change=_remember_status)

ads = va.filter_status(all_ads, chosen)
if prev_ads is not None:
    prev_ads = va.filter_status(prev_ads, chosen)
if ads.empty:
    components.empty_state("ads.no_match")
    st.stop()

table = va.ad_table(ads, names)

# --- ads spending without purchases ----------------------------------------------------------
zero = va.flagged(table, va.FLAG_NO_PURCHASES)
if not zero.empty:
    st.warning(state.t("ads.flag_summary", n=len(zero),
                       amounts=va.amounts_text(va.spend_by_currency(zero), lang)),
               icon=":material/money_off:")
no_data = va.flagged(table, va.FLAG_NO_PURCHASE_DATA)
if not no_data.empty:
    st.caption(":material/help: " + state.t("ads.flag_summary_nodata", n=len(no_data),
                                           amounts=va.amounts_text(va.spend_by_currency(no_data), lang)))

# --- KPI cards, one block per currency -------------------------------------------------------
for k in va.kpis(ads, prev_ads, compare=view.compare):
    st.subheader(state.t("ads.kpi_currency", currency=k.currency or "—"))
    st.caption(state.t("ads.kpi_caption", n=k.ad_count))
    components.kpi_cards(
        [Kpi(f, k.values[f], k.previous[f] if k.previous is not None else None, currency=k.currency or None)
         for f in va.KPI_FIELDS],
        columns=3, compare=view.compare and k.previous is not None)
components.partial_today_note()

# --- charts, per currency (amounts in different currencies never share an axis) --------------
by_page = va.page_totals(ads, names)
for cur in va.currencies(ads):
    spent = table[(table["currency"] == cur) & (table["spend"] > 0)]
    if spent.empty:
        continue
    pages_here = by_page[(by_page["currency"] == cur) & (by_page["spend"] > 0)]
    if len(pages_here) > 1:
        c1, c2 = st.columns([3, 2])
        with c1:
            st.plotly_chart(va.spend_purchases_figure(table, cur, lang), key=f"ads_spend_purchases_{cur}")
        with c2:
            st.plotly_chart(va.spend_by_page_figure(by_page, cur, lang), key=f"ads_spend_page_{cur}")
    else:
        st.plotly_chart(va.spend_purchases_figure(table, cur, lang), key=f"ads_spend_purchases_{cur}")
if table["spend"].fillna(0).le(0).all():
    st.caption(state.t("ads.no_spend"))
else:
    st.caption(state.t("ads.chart.legend"))


def _show(frame_, kind: str, key: str, *, hide=(), csv=None) -> None:
    shown, helps = va.display(frame_, lang, hide=hide)
    config = {c: st.column_config.TextColumn(c, help=h) for c, h in helps.items()}
    components.table(csv if csv is not None else frame_, kind, page_ids, key=key, display=shown,
                     column_config=config)


tables = {}
currency_tot = va.currency_totals(ads)
st.subheader(state.t("ads.by_currency"))
_show(currency_tot, "ads-currency", "dl_ads_currency")
tables["currency"] = currency_tot

if len(page_ids) > 1:
    st.subheader(state.t("ads.by_page"))
    _show(by_page, "ads-pages", "dl_ads_pages", hide=("page_id",))
    tables["pages"] = by_page

st.subheader(state.t("ads.by_ad"))
st.caption(state.t("ads.reach_note") + " " + state.t("ads.budget_note"))
ad_csv = va.csv_frame(table, lang)
_show(table, "ads", "dl_ads", hide=("page_id",), csv=ad_csv)
tables["ads"] = ad_csv

components.download_everything(tables, "ads", page_ids)

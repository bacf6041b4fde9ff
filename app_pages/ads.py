"""Ads: KPI cards per currency (spend, purchase value, ROAS, purchases, cost per purchase,
conversations, cost per conversation, CTR) against the previous period over the same pages,
spend and purchases per ad, spend by page, totals per currency and per page × currency, every
ad with its ratios and budgets, a status filter and a warning for ads spending without purchases."""
from __future__ import annotations

import functools

import streamlit as st

from pancake.numbers.views import ads as va
from ui import components, state
from ui.page import open_page

URL_PARAM = "ad_status"
WIDGET = "w_ad_status"

page = open_page("nav.ads")
lang = page.lang
result, previous = page.load_pair("ads")
all_ads = result.get("ads")
prev_ads = previous.get("ads") if previous is not None else None

if all_ads is None or all_ads.empty:
    components.empty_state("ads.no_ads")
    st.stop()


# --- status filter (kept in the URL as ad_status=ACTIVE,PAUSED) -------------------------------
# (the labels and the callback are functions of modules: one made in this script would keep its
# frames alive with the session's widgets)
available = va.statuses(all_ads)
if WIDGET not in st.session_state or any(s not in available for s in st.session_state[WIDGET] or []):
    st.session_state[WIDGET] = va.parse_status_param(page.view.param(URL_PARAM), available)
chosen = st.pills(state.t("ads.status_filter"), available, selection_mode="multi", key=WIDGET,
                  format_func=functools.partial(va.status_label, lang=lang),
                  help=state.t("ads.status_filter_help"),
                  on_change=state.remember_choice, args=(WIDGET, URL_PARAM))

ads = va.filter_status(all_ads, chosen)
prev_ads = va.filter_status(prev_ads, chosen)
if ads.empty:
    components.empty_state("ads.no_match")
    st.stop()

table = va.ad_table(ads, page.names)

# --- ads spending without purchases ----------------------------------------------------------
zero = va.flagged(table, va.FLAG_NO_PURCHASES)
if not zero.empty:
    st.warning(state.t("ads.flag_summary", n=len(zero),
                       amounts=components.escape_markdown(va.amounts_text(va.spend_by_currency(zero), lang))),
               icon=":material/money_off:")
no_data = va.flagged(table, va.FLAG_NO_PURCHASE_DATA)
if not no_data.empty:
    st.caption(":material/help: " + state.t("ads.flag_summary_nodata", n=len(no_data),
                                           amounts=components.escape_markdown(
                                               va.amounts_text(va.spend_by_currency(no_data), lang))))

# --- KPI cards, one block per currency -------------------------------------------------------
for group in va.kpis(ads, prev_ads, compare=page.compare, lang=lang):
    st.subheader(state.t("ads.kpi_currency", currency=components.escape_markdown(group.label)))
    st.caption(state.t("ads.kpi_caption", n=group.ad_count))
    components.cards(group.items)
components.partial_today_note()

# --- charts, per currency (amounts in different currencies never share an axis) --------------
by_page = va.page_totals(ads, page.names)
for row in va.figures(table, by_page, lang):
    for col, (key, fig) in zip(st.columns([3, 2]) if len(row) > 1 else [st.container()], row):
        with col:
            st.plotly_chart(fig, key=key)
st.caption(state.t("ads.chart.legend" if va.spent(table) else "ads.no_spend"))

# --- tables ----------------------------------------------------------------------------------
currency_tot = va.currency_totals(ads)
st.subheader(state.t("ads.by_currency"))
currency_table = va.totals_view(currency_tot, lang)
components.table(currency_table, "ads-currency", page.page_ids, key="dl_ads_currency")
tables = {"currency": currency_table}

if len(page.page_ids) > 1:
    st.subheader(state.t("ads.by_page"))
    tables["pages"] = va.totals_view(by_page, lang)
    components.table(tables["pages"], "ads-pages", page.page_ids, key="dl_ads_pages")

st.subheader(state.t("ads.by_ad"))
st.caption(state.t("ads.reach_note") + " " + state.t("ads.budget_note"))
tables["ads"] = va.ads_view(table, lang)
components.table(tables["ads"], "ads", page.page_ids, key="dl_ads")

components.download_everything(tables, "ads", page.page_ids)

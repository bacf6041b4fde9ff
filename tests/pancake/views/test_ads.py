"""pancake.numbers.views.ads on hand-built frames that follow pancake.data.reshape.ads_frame (budgets
already in the currency's main unit, as reshaping leaves them), and on payloads shaped like the
API's through reshaping."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from pancake import i18n
from pancake.data import kinds, reshape
from pancake.numbers import charts, metrics
from pancake.numbers.views import ads as va
from pancake.numbers.views import cards, tables

NAN = float("nan")
COLUMNS = ["page_id", "ad_id", "adset_id", "account_id", "name", "status", "currency", "spend",
           "impressions", "reach", "link_click", "purchases", "purchases_conversion_value",
           "messaging_conversation_started_7d", "messaging_first_reply", "post_comments", "cpc", "cpm",
           "ctr", "purchase_roas", "daily_budget", "lifetime_budget", "budget_remaining"]


def ad(page="p1", ad_id="a1", name="Ad", status="ACTIVE", currency="VND", spend=NAN, impressions=NAN,
       reach=NAN, link_click=NAN, purchases=NAN, value=NAN, conv=NAN, cpc=NAN, cpm=NAN, ctr=NAN,
       roas=NAN, daily_budget=NAN, lifetime_budget=0.0, budget_remaining=NAN):
    return {"page_id": page, "ad_id": ad_id, "adset_id": "s", "account_id": "acc", "name": name,
            "status": status, "currency": currency, "spend": spend, "impressions": impressions,
            "reach": reach, "link_click": link_click, "purchases": purchases,
            "purchases_conversion_value": value, "messaging_conversation_started_7d": conv,
            "messaging_first_reply": NAN, "post_comments": NAN, "cpc": cpc, "cpm": cpm, "ctr": ctr,
            "purchase_roas": roas, "daily_budget": daily_budget, "lifetime_budget": lifetime_budget,
            "budget_remaining": budget_remaining}


def frame(*rows):
    df = pd.DataFrame(list(rows), columns=COLUMNS)
    for c in COLUMNS[7:]:
        df[c] = df[c].astype("float64")
    return df


@pytest.fixture
def mixed():
    return frame(
        ad("p1", "a1", "Váy hè", spend=1_000_000, impressions=50_000, reach=20_000, link_click=1000,
           purchases=20, value=5_000_000, conv=200, daily_budget=500_000, budget_remaining=100_000),
        ad("p1", "a2", "Áo sơ mi", spend=400_000, impressions=10_000, reach=8_000, link_click=100,
           purchases=0, value=0, conv=40),
        ad("p2", "a3", "Retarget", spend=600_000, impressions=20_000, reach=9_000, link_click=300),  # nulls
        ad("p2", "a4", "Paused", status="PAUSED"),
        ad("p2", "u1", "US audience", currency="USD", spend=100.5, impressions=20_000, reach=15_000,
           link_click=400, purchases=10, value=300.0, conv=50, cpc=0.3, daily_budget=30.0,
           budget_remaining=12.5),
    )


def test_currency_totals_never_mix_currencies_and_recompute_ratios(mixed):
    t = va.currency_totals(mixed)
    assert list(t["currency"]) == ["VND", "USD"]  # VND first; amounts never compared across currencies
    vnd = t.iloc[0]
    assert vnd["ad_count"] == 4
    assert vnd["spend"] == 2_000_000
    assert vnd["impressions"] == 80_000
    assert vnd["link_click"] == 1400
    assert vnd["purchases"] == 20
    assert vnd["cpc"] == pytest.approx(2_000_000 / 1400)
    assert vnd["cpm"] == pytest.approx(2_000_000 / 80_000 * 1000)
    assert vnd["ctr"] == pytest.approx(1400 / 80_000 * 100)
    # a3 has no purchase data: its spend is not divided by the others' purchases
    assert vnd["cost_per_purchase"] == pytest.approx(1_400_000 / 20)
    assert vnd["roas"] == pytest.approx(5_000_000 / 1_400_000)
    assert vnd["cost_per_conversation"] == pytest.approx(1_400_000 / 240)
    usd = t.iloc[1]
    assert usd["spend"] == pytest.approx(100.5)
    assert usd["cpc"] == pytest.approx(100.5 / 400)
    assert "reach" not in t.columns  # reach is not summable across ads


def test_ratio_of_sums_is_not_the_mean_of_ratios():
    f = frame(ad(ad_id="x", spend=100, link_click=1, impressions=10),
              ad(ad_id="y", spend=100, link_click=99, impressions=10))
    t = va.currency_totals(f)
    assert t.iloc[0]["cpc"] == pytest.approx(200 / 100)  # mean of ratios would be 50.5


def shown(t: tables.Table, lang: str, key: str, row: int) -> str:
    return tables.display_values(t, lang)[key].iloc[row]


def test_division_by_zero_is_nan_and_shows_dash():
    f = frame(ad(spend=50_000, impressions=0, link_click=0, purchases=0, value=0, conv=0))
    row = va.ad_table(f).iloc[0]
    for c in ("cpc", "cpm", "ctr", "cost_per_purchase", "cost_per_conversation"):
        assert math.isnan(row[c]), c
    assert row["roas"] == 0.0
    t = va.currency_totals(f).iloc[0]
    assert math.isnan(t["cost_per_purchase"]) and math.isnan(t["cpc"]) and math.isnan(t["cpm"])
    view = va.ads_view(va.ad_table(f), "vi")
    assert shown(view, "vi", "cpc", 0) == "—" and shown(view, "vi", "cost_per_purchase", 0) == "—"


def test_ad_table_derives_missing_ratios_keeps_api_values_and_budgets(mixed):
    tb = va.ad_table(mixed, names={"p1": "Linh Chi", "p2": "Hana"})
    assert list(tb.columns) == va.AD_COLUMNS
    a1 = tb[tb["ad_id"] == "a1"].iloc[0]
    assert a1["page_name"] == "Linh Chi"
    assert a1["cpc"] == pytest.approx(1000.0)
    assert a1["cpm"] == pytest.approx(20_000.0)
    assert a1["ctr"] == pytest.approx(2.0)
    assert a1["cost_per_purchase"] == pytest.approx(50_000.0)
    assert a1["roas"] == pytest.approx(5.0)
    assert a1["cost_per_conversation"] == pytest.approx(5000.0)
    assert a1["daily_budget"] == 500_000 and a1["budget_remaining"] == 100_000  # VND: đồng
    assert a1["reach"] == 20_000  # per ad
    u1 = tb[tb["ad_id"] == "u1"].iloc[0]
    assert u1["cpc"] == pytest.approx(0.3)  # the API's value wins when present
    assert u1["daily_budget"] == 30.0 and u1["budget_remaining"] == 12.5  # as reshaping gave them
    # sorted: VND first (more spend), spend descending; the paused ad (no spend) last in VND
    assert list(tb["ad_id"]) == ["a1", "a3", "a2", "a4", "u1"]


def test_flags_spending_without_purchases(mixed):
    tb = va.ad_table(mixed)
    flags = dict(zip(tb["ad_id"], tb["flag"]))
    assert flags == {"a1": "", "a2": va.FLAG_NO_PURCHASES, "a3": va.FLAG_NO_PURCHASE_DATA,
                     "a4": "", "u1": ""}
    assert list(va.flagged(tb)["ad_id"]) == ["a3", "a2"]
    assert list(va.flagged(tb, va.FLAG_NO_PURCHASES)["ad_id"]) == ["a2"]
    assert va.spend_by_currency(va.flagged(tb, va.FLAG_NO_PURCHASES)) == {"VND": 400_000}
    assert va.amounts_text({"VND": 400_000, "USD": 12.5}, "vi") == "400.000 ₫ · 12,50 US$"
    assert va.amounts_text({"VND": 400_000, "USD": 12.5}, "en") == "₫400,000 · $12.50"
    assert va.spent(tb) and not va.spent(va.ad_table(frame(ad(spend=0))))


def test_page_totals_per_page_and_currency(mixed):
    pt = va.page_totals(mixed, names={"p1": "Linh Chi", "p2": "Hana"})
    keys = list(zip(pt["page_id"], pt["currency"]))
    assert keys == [("p1", "VND"), ("p2", "VND"), ("p2", "USD")]
    p1 = pt.iloc[0]
    assert p1["page_name"] == "Linh Chi" and p1["ad_count"] == 2 and p1["spend"] == 1_400_000
    assert p1["cost_per_purchase"] == pytest.approx(70_000.0)
    p2v = pt.iloc[1]
    assert p2v["spend"] == 600_000 and math.isnan(p2v["purchases"]) and math.isnan(p2v["cost_per_purchase"])
    # per-page sums add up to the per-currency totals
    ct = va.currency_totals(mixed).set_index("currency")
    for cur, grp in pt.groupby("currency"):
        assert grp["spend"].sum() == pytest.approx(ct.loc[cur, "spend"])


def test_status_filter_and_url_param(mixed):
    assert va.statuses(mixed) == ["ACTIVE", "PAUSED"]
    assert list(va.filter_status(mixed, ["PAUSED"])["ad_id"]) == ["a4"]
    assert len(va.filter_status(mixed, [])) == 5
    assert len(va.filter_status(mixed, ["active"])) == 4
    assert va.filter_status(None, ["ACTIVE"]) is None
    assert va.parse_status_param("paused,BOGUS", ["ACTIVE", "PAUSED"]) == ["PAUSED"]
    assert va.parse_status_param(None, ["ACTIVE"]) == []
    assert va.status_label("PAUSED", "vi") == "Tạm dừng"
    assert va.status_label("PAUSED", "en") == "Paused"
    assert va.status_label("SOMETHING_NEW", "en") == "SOMETHING_NEW"
    assert va.status_label(None, "vi") == "Không rõ"


def values(group: va.CurrencyKpis) -> dict:
    return {k.field: k.value for k in group.items}


def previous(group: va.CurrencyKpis) -> dict:
    return {k.field: k.previous for k in group.items}


def test_kpis_per_currency_with_previous(mixed):
    prev = frame(ad("p1", "a1", spend=500_000, impressions=25_000, link_click=500, purchases=25,
                    value=2_500_000, conv=100))
    ks = va.kpis(mixed, prev, lang="en")
    assert [k.currency for k in ks] == ["VND", "USD"]
    vnd, usd = ks
    assert vnd.ad_count == 4 and vnd.label == "VND"
    assert [k.field for k in vnd.items] == list(va.KPI_FIELDS)
    assert {k.currency for k in vnd.items} == {"VND"} and {k.source for k in vnd.items} == {"ads"}
    assert values(vnd)["spend"] == 2_000_000 and previous(vnd)["spend"] == 500_000
    assert values(vnd)["cost_per_purchase"] == pytest.approx(70_000)
    assert previous(vnd)["cost_per_purchase"] == pytest.approx(20_000)
    # USD did not exist before: the sums compare with nothing spent, the ratios with nothing
    assert previous(usd)["spend"] == 0 and previous(usd)["roas"] is None
    assert all(k.previous is None for g in va.kpis(mixed, prev, compare=False) for k in g.items)
    assert all(k.previous is None for g in va.kpis(mixed, None) for k in g.items)


# The issue's payload (statistics/pages_campaigns): two VND ads, the second with null purchases.
ISSUE_PAYLOAD = {"data": [
    {"ad_id": "1", "name": "Ad one", "status": "ACTIVE", "currency": "VND", "spend": "100",
     "purchases": "2", "purchases_conversion_value": "400", "impressions": "1000", "link_click": "15"},
    {"ad_id": "2", "name": "Ad two", "status": "ACTIVE", "currency": "VND", "spend": "50",
     "purchases": None, "purchases_conversion_value": None, "impressions": "1000", "link_click": "15"},
]}


def test_cost_per_purchase_and_roas_follow_the_paired_rule_like_metrics():
    """Regression: an ad with null purchases is not in the cost-per-purchase ratio (nor its spend
    in ROAS): 100 ₫ / 2 purchases = 50 ₫ per purchase, covering 1 ad, the same as
    metrics.ads_totals (not 150 / 2 = 75 ₫), and the tooltip says how many ads it covers."""
    f = reshape.ads_frame(ISSUE_PAYLOAD, "P")
    (vnd,) = va.kpis(f, lang="en")
    kpi = {k.field: k for k in vnd.items}
    assert kpi["cost_per_purchase"].value == pytest.approx(50.0)
    assert kpi["roas"].value == pytest.approx(4.0)
    t = metrics.ads_totals(f).iloc[0]
    assert kpi["cost_per_purchase"].value == t["cost_per_purchase"] and t["cost_per_purchase_ads"] == 1
    assert va.currency_totals(f).iloc[0]["cost_per_purchase"] == pytest.approx(50.0)
    assert cards.card(kpi["cost_per_purchase"], "en").value == "₫50"
    assert cards.card(kpi["cost_per_purchase"], "en").help.endswith("This ratio covers 1 of 2 ads: those that "
                                                                    "report both of its parts.")
    assert "1 of 2 ads" in cards.card(kpi["roas"], "en").help
    assert "2 of 2 ads" in cards.card(kpi["ctr"], "en").help
    assert cards.card(kpi["spend"], "en").help == metrics.help_text("spend", "en", "ads")  # not a ratio
    (vi,) = va.kpis(f, lang="vi")
    card = cards.card(vi.items[va.KPI_FIELDS.index("cost_per_purchase")], "vi")
    assert card.value == "50 ₫" and card.help.endswith(i18n.t("ads.covers", "vi", n=1, total=2))


def test_budgets_in_the_main_unit_in_the_csv_as_the_cli_writes_them():
    """Regression: the dashboard's ads CSV had USD budgets divided by 100 a second time
    (3000 cents in the payload -> 30.0 from reshaping -> 0.30); it must say 30.0 like the CLI."""
    payload = [{"ad_id": "u", "name": "US", "status": "ACTIVE", "currency": "USD", "spend": "12.5",
                "daily_budget": "3000", "lifetime_budget": "0", "budget_remaining": "1250"},
               {"ad_id": "v", "name": "VN", "status": "ACTIVE", "currency": "VND", "spend": "10000",
                "daily_budget": "500000", "lifetime_budget": "0", "budget_remaining": "100000"}]
    ads = kinds.get("ads")
    frames = ads.merge([ads.reshape(type("C", (), {"payload": payload})(), "P", hourly=False)], hourly=False)
    csv = tables.for_download(va.ads_view(va.ad_table(frames["ads"]), "en"), "en").set_index("Ad ID")
    assert csv.loc["u", "Daily budget"] == 30.0 and csv.loc["u", "Remaining budget"] == 12.5
    assert csv.loc["v", "Daily budget"] == 500_000.0
    cli = ads.csv(frames).set_index("ad_id")
    for c, label in (("daily_budget", "Daily budget"), ("lifetime_budget", "Lifetime budget"),
                     ("budget_remaining", "Remaining budget")):
        assert csv[label].to_dict() == cli[c].to_dict()
    assert shown(va.ads_view(va.ad_table(frames["ads"]), "en"), "en", "daily_budget", 1) == "$30.00"


def test_no_currency_is_its_own_group_never_added_to_vnd():
    """Regression: an ad without a currency is neither added to VND nor shown in đồng."""
    f = frame(ad(ad_id="v", spend=100_000, purchases=2), ad(ad_id="n", currency=None, spend=7.5, purchases=1))
    groups = va.kpis(f, lang="vi")
    assert [g.currency for g in groups] == ["VND", ""] and [g.label for g in groups] == ["VND", "—"]
    assert values(groups[0])["spend"] == 100_000 and values(groups[1])["spend"] == 7.5
    assert cards.card(groups[1].items[0], "vi").value == "7,50"  # a bare amount, no ₫
    assert list(va.currency_totals(f)["spend"]) == [100_000, 7.5]
    tb = va.ad_table(f)
    assert shown(va.ads_view(tb, "vi"), "vi", "spend", 1) == "7,50"
    assert shown(va.ads_view(tb, "vi"), "vi", "currency", 1) == "—"
    assert va.spend_by_currency(tb) == {"VND": 100_000, "": 7.5}
    assert "—" in va.spend_purchases_figure(tb, "", "en").layout.title.text


def test_ctr_change_is_in_percentage_points():
    """Regression: CTR 1.0 % -> 1.5 % is "+0.5 pp", not "+50.0%"."""
    prev = frame(ad(spend=100, impressions=1000, link_click=10))
    cur = frame(ad(spend=100, impressions=1000, link_click=15))
    (vnd,) = va.kpis(cur, prev)
    ctr = next(k for k in vnd.items if k.field == "ctr")
    assert ctr.value == pytest.approx(1.5) and ctr.previous == pytest.approx(1.0)
    assert cards.card(ctr, "en").delta == "+0.5 pp"
    assert cards.card(ctr, "vi").delta == "+0,5 điểm %"
    assert cards.card(ctr, "en").color == "green"


def test_currency_order_does_not_compare_amounts():
    f = frame(ad(ad_id="u", currency="USD", spend=10), ad(ad_id="e1", currency="EUR", spend=1),
              ad(ad_id="e2", currency="EUR", spend=1), ad(ad_id="v", currency="VND", spend=5),
              ad(ad_id="n", currency=None, spend=3))
    assert va.currencies(f) == ["VND", "EUR", "USD", ""]
    assert list(va.currency_totals(f)["currency"]) == ["VND", "EUR", "USD", ""]


def test_empty_inputs():
    empty = frame()
    assert va.currency_totals(empty).empty and list(va.currency_totals(None).columns) == va.TOTAL_COLUMNS
    assert va.page_totals(empty).empty
    tb = va.ad_table(empty)
    assert tb.empty and list(tb.columns) == va.AD_COLUMNS
    assert va.kpis(empty) == []
    assert va.statuses(empty) == []
    assert va.currencies(None) == []
    assert va.spend_by_currency(tb) == {}


def test_tables_keep_numbers_and_format_per_row_currency_and_language(mixed):
    tb = va.ad_table(mixed)
    view = va.ads_view(tb, "vi")
    assert "page_id" not in view.shown and "page_id" in view.frame.columns  # kept for the file
    assert view.frame["spend"].dtype == "float64"  # sorts as numbers
    vi, en = tables.display_values(view, "vi"), tables.display_values(va.ads_view(tb, "en"), "en")
    row_a1 = tb.index[tb["ad_id"] == "a1"][0]
    row_u1 = tb.index[tb["ad_id"] == "u1"][0]
    assert vi["spend"].iloc[row_a1] == "1.000.000 ₫" and en["spend"].iloc[row_a1] == "₫1,000,000"
    assert vi["spend"].iloc[row_u1] == "100,50 US$" and en["spend"].iloc[row_u1] == "$100.50"
    assert en["daily_budget"].iloc[row_u1] == "$30.00"
    assert vi["ctr"].iloc[row_a1] == "2,00 %"
    assert en["roas"].iloc[row_a1] == "5.00×"
    assert vi["status"].iloc[tb.index[tb["ad_id"] == "a4"][0]] == "Tạm dừng"
    assert vi["flag"].iloc[tb.index[tb["ad_id"] == "a2"][0]] == "⚠️ Chi tiêu nhưng 0 lượt mua"
    labels = {c.key: c.label for c in view.columns}
    assert labels["spend"] == "Chi tiêu" and labels["status"] == "Trạng thái" and labels["flag"] == "Cảnh báo"
    # every metric column carries its definition
    helps = {c.key: c.help for c in va.ads_view(tb, "en").columns}
    assert helps["spend"] == metrics.help_text("spend", "en", "ads")
    assert all(helps[c] for c in va.AD_COLUMNS[1:] if c not in ("page_name", "ad_id", "name", "status", "currency"))


def test_totals_view(mixed):
    pt = va.totals_view(va.page_totals(mixed, names={"p1": "Linh Chi", "p2": "Hana"}), "en")
    assert sorted(pt.shown) == sorted(["page_name", *va.TOTAL_COLUMNS])
    assert pt.shown[:6] == ["page_name", "currency", "ad_count", "spend", "purchases", "purchases_conversion_value"]
    shown_en = tables.display_values(pt, "en")
    assert list(shown_en["page_name"]) == ["Linh Chi", "Hana", "Hana"]
    assert list(shown_en["spend"]) == ["₫1,400,000", "₫600,000", "$100.50"]
    assert list(shown_en["cost_per_purchase"]) == ["₫70,000", "—", "$10.05"]
    assert pt.column("ad_count").label == "Ads" and pt.column("ad_count").help
    ct = va.totals_view(va.currency_totals(mixed), "vi")
    assert sorted(ct.shown) == sorted(va.TOTAL_COLUMNS) and ct.shown[:3] == ["currency", "ad_count", "spend"]


def test_download_keeps_plain_numbers_ids_and_words(mixed):
    """The ads CSV: numbers (money to the currency's precision), the ids hidden on screen,
    status and flag in words (no sign), headers in the viewer's language."""
    view = va.ads_view(va.ad_table(mixed), "en")
    assert "ad_id" not in view.shown and "page_id" not in view.shown
    csv = tables.for_download(view, "en")
    assert csv["Spend"].dtype == "float64" and list(csv["Status"])[:1] == ["Active"]
    assert set(csv["Warning"]) == {"", "Spending, 0 purchases", "Spending, no purchase data"}
    assert list(csv.columns[:3]) == ["Page", "Page ID", "Ad"] and "Ad ID" in csv.columns
    assert tables.display_values(view, "en")["flag"].str.startswith("⚠️").sum() == (csv["Warning"] != "").sum()


def test_spend_purchases_figure(mixed):
    tb = va.ad_table(mixed)
    fig = va.spend_purchases_figure(tb, "VND", "vi")
    (bar,) = fig.data
    # horizontal bars: the biggest spender on top (plotly draws the last item on top)
    assert list(bar.y) == ["Áo sơ mi", "Retarget", "Váy hè"]
    assert list(bar.x) == [400_000, 600_000, 1_000_000]
    assert list(bar.text) == ["0 lượt mua", "không rõ lượt mua", "20 lượt mua"]
    assert list(bar.marker.color) == [va.RED, va.RED, charts.color("spend")]  # spend's colour on every page
    assert "VND" in fig.layout.title.text
    assert "Lượt mua: —" in bar.hovertext[1] and "50.000 ₫" in bar.hovertext[2]
    usd = va.spend_purchases_figure(tb, "USD", "en")
    assert list(usd.data[0].y) == ["US audience"] and list(usd.data[0].text) == ["10 purchases"]


def test_spend_purchases_figure_caps_to_top_n():
    rows = [ad(ad_id=f"a{i}", name=f"Ad {i}", spend=1000 * (i + 1), purchases=1) for i in range(30)]
    tb = va.ad_table(frame(*rows))
    fig = va.spend_purchases_figure(tb, "VND", "en", top=25)
    assert len(fig.data[0].y) == 25
    assert fig.data[0].y[-1] == "Ad 29"
    assert "top 25" in fig.layout.title.text


def test_spend_by_page_figure(mixed):
    pt = va.page_totals(mixed, names={"p1": "Linh Chi", "p2": "Hana"})
    fig = va.spend_by_page_figure(pt, "VND", "en")
    (bar,) = fig.data
    assert list(bar.y) == ["Hana", "Linh Chi"] and list(bar.x) == [600_000, 1_400_000]
    assert list(bar.text) == ["₫600,000", "₫1,400,000"]
    usd = va.spend_by_page_figure(pt, "USD", "vi")
    assert list(usd.data[0].y) == ["Hana"] and list(usd.data[0].x) == [100.5]


def test_figures_one_row_per_currency_that_spent(mixed):
    tb = va.ad_table(mixed)
    rows = va.figures(tb, va.page_totals(mixed), "en")
    assert [[key for key, _ in row] for row in rows] == [
        ["ads_spend_purchases_VND", "ads_spend_page_VND"],  # two pages spent in VND
        ["ads_spend_purchases_USD"]]
    assert va.figures(va.ad_table(frame(ad(spend=0))), va.page_totals(frame(ad(spend=0))), "en") == []


def test_an_ad_is_its_id_namesakes_labelled_with_their_page():
    rows = pd.DataFrame({"ad_id": ["a1", "a2", "a3", "a4", "x9994821"], "name": ["Sale", "Sale", "Solo", None, "Sale"],
                         "page_name": ["Shop A", "Shop B", "Shop A", "Shop C", "Shop A"]})
    assert va.ad_labels(rows) == ["Sale · Shop A · …a1", "Sale · Shop B", "Solo", "a4", "Sale · Shop A · …4821"]
    assert va.ad_labels(rows.iloc[0:0]) == []

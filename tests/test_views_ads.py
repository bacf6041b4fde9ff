"""pancake.views.ads on hand-built frames that follow ARCHITECTURE.md's ads_frame schema."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from pancake import metrics
from pancake.views import ads as va

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
           link_click=400, purchases=10, value=300.0, conv=50, cpc=0.3, daily_budget=3000,
           budget_remaining=1250),
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


def test_division_by_zero_is_nan_and_shows_dash():
    f = frame(ad(spend=50_000, impressions=0, link_click=0, purchases=0, value=0, conv=0))
    row = va.ad_table(f).iloc[0]
    for c in ("cpc", "cpm", "ctr", "cost_per_purchase", "cost_per_conversation"):
        assert math.isnan(row[c]), c
    assert row["roas"] == 0.0
    t = va.currency_totals(f).iloc[0]
    assert math.isnan(t["cost_per_purchase"]) and math.isnan(t["cpc"]) and math.isnan(t["cpm"])
    shown, _ = va.display(va.ad_table(f), "vi")
    assert shown[metrics.label("cpc", "vi")].iloc[0] == "—"
    assert shown[metrics.label("cost_per_purchase", "vi")].iloc[0] == "—"


def test_ad_table_derives_missing_ratios_keeps_api_values_and_converts_budgets(mixed):
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
    assert u1["daily_budget"] == pytest.approx(30.0)  # USD budgets arrive in cents
    assert u1["budget_remaining"] == pytest.approx(12.5)
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
    assert va.parse_status_param("paused,BOGUS", ["ACTIVE", "PAUSED"]) == ["PAUSED"]
    assert va.parse_status_param(None, ["ACTIVE"]) == []
    assert va.status_label("PAUSED", "vi") == "Tạm dừng"
    assert va.status_label("PAUSED", "en") == "Paused"
    assert va.status_label("SOMETHING_NEW", "en") == "SOMETHING_NEW"
    assert va.status_label(None, "vi") == "Không rõ"


def test_kpis_per_currency_with_previous(mixed):
    prev = frame(ad("p1", "a1", spend=500_000, impressions=25_000, link_click=500, purchases=25,
                    value=2_500_000, conv=100))
    ks = va.kpis(mixed, prev)
    assert [k.currency for k in ks] == ["VND", "USD"]
    vnd, usd = ks
    assert vnd.ad_count == 4
    assert vnd.values["spend"] == 2_000_000
    assert vnd.previous["spend"] == 500_000
    assert vnd.values["cost_per_purchase"] == pytest.approx(70_000)
    assert vnd.previous["cost_per_purchase"] == pytest.approx(20_000)
    # USD did not exist before: spend compares with 0, ratios have no previous value
    assert usd.previous["spend"] == 0.0
    assert math.isnan(usd.previous["roas"])
    assert all(k.previous is None for k in va.kpis(mixed, prev, compare=False))
    assert all(k.previous is None for k in va.kpis(mixed, None))


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


def test_display_formats_per_row_currency_and_language(mixed):
    tb = va.ad_table(mixed)
    vi, helps_vi = va.display(tb, "vi", hide=["page_id"])
    en, helps_en = va.display(tb, "en", hide=["page_id"])
    spend_vi, spend_en = metrics.label("spend", "vi"), metrics.label("spend", "en")
    assert spend_vi == "Chi tiêu" and spend_en == "Spend"
    row_a1 = tb.index[tb["ad_id"] == "a1"][0]
    row_u1 = tb.index[tb["ad_id"] == "u1"][0]
    assert vi[spend_vi].iloc[row_a1] == "1.000.000 ₫"
    assert en[spend_en].iloc[row_a1] == "₫1,000,000"
    assert vi[spend_vi].iloc[row_u1] == "100,50 US$"
    assert en[spend_en].iloc[row_u1] == "$100.50"
    assert en[metrics.label("daily_budget", "en")].iloc[row_u1] == "$30.00"
    assert vi[metrics.label("ctr", "vi")].iloc[row_a1] == "2,00 %"
    assert en[metrics.label("roas", "en")].iloc[row_a1] == "5.00×"
    assert vi["Trạng thái"].iloc[tb.index[tb["ad_id"] == "a4"][0]] == "Tạm dừng"
    assert vi["Cảnh báo"].iloc[tb.index[tb["ad_id"] == "a2"][0]] == "⚠️ Chi tiêu nhưng 0 lượt mua"
    assert "Mã trang" not in vi.columns and "Page ID" not in en.columns
    # every metric column carries its definition
    assert helps_vi[spend_vi] == metrics.help_text("spend", "vi")
    assert helps_en[metrics.label("cost_per_conversation", "en")] == metrics.help_text("cost_per_conversation", "en")
    assert all(helps_en[c] for c in en.columns if c not in ("Page", "Ad", "Ad ID", "Status", "Currency"))


def test_csv_frame_keeps_plain_numbers_and_words(mixed):
    tb = va.ad_table(mixed)
    csv = va.csv_frame(tb, "en")
    assert csv["spend"].dtype == np.float64
    assert set(csv["flag"]) == {"", "Spending, 0 purchases", "Spending, no purchase data"}


def test_spend_purchases_figure(mixed):
    tb = va.ad_table(mixed)
    fig = va.spend_purchases_figure(tb, "VND", "vi")
    (bar,) = fig.data
    # horizontal bars: the biggest spender on top (plotly draws the last item on top)
    assert list(bar.y) == ["Áo sơ mi", "Retarget", "Váy hè"]
    assert list(bar.x) == [400_000, 600_000, 1_000_000]
    assert list(bar.text) == ["0 lượt mua", "không rõ lượt mua", "20 lượt mua"]
    assert list(bar.marker.color) == [va.RED, va.RED, "#2563eb"]
    assert "VND" in fig.layout.title.text
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

"""pancake.numbers.metrics: catalogue, weighted response time, ads derived metrics, deltas."""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from pancake.data import reshape
from pancake.numbers import metrics
from pancake.numbers.metrics import METRICS, Metric

from .test_reshape import ADS_EXAMPLE, MULTI_PAGE_USERS_EXAMPLE, USERS_EXAMPLE

# --- catalogue ------------------------------------------------------------------------------

METRICS_MD_FIELDS = [
    # engagement
    "inbox", "comment", "total", "new_customer_replied", "customer_engagement_new_inbox",
    "order_count", "old_order_count",
    # by_hour, users_engagements
    "new_customer", "new_customer_from_inbox", "inbox_count", "total_engagement",
    # staff
    "comment_count", "unique_inbox_count", "unique_comment_count", "private_reply_count",
    "phone_number_count", "average_response_time", "share_of_replies",
    # ads
    "spend", "impressions", "reach", "link_click", "purchases", "purchases_conversion_value",
    "messaging_conversation_started_7d", "daily_budget", "lifetime_budget", "budget_remaining",
    "cpc", "cpm", "ctr", "cost_per_purchase", "roas", "cost_per_conversation",
    # new customers
    "new_customer_count", "new_page_inbox_count", "new_phone_number_count", "phone_capture_rate",
    # page activity
    "customer_inbox_count", "customer_comment_count", "page_inbox_count", "page_comment_count",
    "inbox_interactive_count", "new_inbox_count", "uniq_phone_number_count", "reply_ratio",
    # tags
    "count",
]


@pytest.mark.parametrize("field", METRICS_MD_FIELDS)
def test_every_metric_is_catalogued_in_both_languages(field):
    m = METRICS[field]
    assert isinstance(m, Metric) and m.field == field
    assert m.add in ("sum", "weighted", "none")
    assert m.better in ("up", "down", None)
    assert m.unit in ("count", "ms", "money", "ratio", "percent", "multiple")
    assert m.vi and m.en and m.vi != m.en or field in ("cpc", "cpm", "ctr", "roas")
    assert len(m.help_vi) > 40 and len(m.help_en) > 40
    # the tooltip names the API field, or gives the formula of a derived metric
    assert field in m.help_en or (" / " in m.help_en and " / " in m.help_vi)


def test_frame_columns_have_metrics():
    cols = (set(reshape.ENGAGEMENT_DAILY_COLUMNS) | set(reshape.ENGAGEMENT_HOURLY_COLUMNS)
            | set(reshape.USER_TOTALS_COLUMNS) | set(reshape.ADS_COLUMNS)
            | set(reshape.NEW_CUSTOMERS_COLUMNS) | set(reshape.PAGE_ACTIVITY_COLUMNS)
            | set(reshape.USERS_ENGAGEMENTS_COLUMNS) | {"count"})
    non_metrics = {"page_id", "date", "hour", "user_id", "user_name", "user_fb_id", "ad_id",
                   "adset_id", "account_id", "name", "status", "currency"}
    assert cols - non_metrics - set(METRICS) == set()


def test_metrics_md_names_directions_and_rules():
    assert metrics.label("inbox", "vi") == "Tương tác tin nhắn"
    assert metrics.label("inbox", "en") == "Inbox engagements"
    assert metrics.label("average_response_time", "vi") == "Thời gian phản hồi TB"
    assert METRICS["average_response_time"].add == "weighted"
    assert METRICS["average_response_time"].better == "down"
    assert METRICS["average_response_time"].unit == "ms"
    assert METRICS["reach"].add == "none"
    assert METRICS["spend"].better is None and METRICS["spend"].unit == "money"
    assert METRICS["cpc"].better == "down" and METRICS["roas"].better == "up"
    assert METRICS["ctr"].unit == "percent"
    assert metrics.label("messaging_conversation_started_7d", "vi") == "Cuộc trò chuyện bắt đầu từ QC"
    assert metrics.label("phone_number_count", "en", source="customers") == "Phone numbers"
    assert metrics.label("phone_number_count", "en", source="staff") == "Phone numbers collected"
    assert metrics.label("order_count", "vi", source="staff") == "Đơn đã chốt"
    assert metrics.label("order_count", "vi", source="engagement") == "Đơn hàng"


def test_tooltips_carry_the_caveats():
    vi = metrics.help_text("average_response_time", "vi")
    en = metrics.help_text("average_response_time", "en")
    # the weighting in words (the field names are in docs/METRICS.md, not in the tooltip)
    assert "số phiên trả lời" in vi and "reply sessions" in en
    assert "giờ làm việc" in vi and "working hours" in en
    assert "next opening" in en
    assert "not summable" in metrics.help_text("reach", "en").lower()
    assert "Không cộng" in metrics.help_text("reach", "vi")
    assert "spend / link clicks" in metrics.help_text("cpc", "en")
    # real Vietnamese: diacritics everywhere
    assert all(re.search(r"[ạảãàáâầấậẩẫăằắặẳẵđêềếệểễôồốộổỗơờớợởỡưừứựửữ]", m.help_vi)
               for m in METRICS.values())


def test_label_help_unknown_field_and_language():
    assert metrics.label("brand_new_metric", "vi") == "brand_new_metric"
    assert metrics.help_text("brand_new_metric", "en") == ""
    with pytest.raises(ValueError):
        metrics.label("inbox", "fr")
    with pytest.raises(ValueError):
        metrics.help_text("inbox", "de")


# --- weighted response time ------------------------------------------------------------------

def staff_frame():
    return pd.DataFrame({
        "page_id": pd.Series(["p1", "p1", "p2", "p1", "p2"], dtype="str"),
        "user_id": pd.Series(["a", "a", "a", "b", "b"], dtype="str"),
        "user_name": pd.Series(["An", "An", "An", "Bình", "Bình"], dtype="str"),
        "hour": pd.to_datetime(["2021-07-27 09:00", "2021-07-27 10:00", "2021-07-28 09:00",
                                "2021-07-27 09:00", "2021-07-27 10:00"]).astype("datetime64[ns]"),
        "inbox_count": pd.array([2, 6, 5, 1, None], dtype="Int64"),
        "comment_count": pd.array([0, 1, 0, 0, 0], dtype="Int64"),
        "unique_inbox_count": pd.array([1, 2, 0, 0, 0], dtype="Int64"),
        "unique_comment_count": pd.array([0, 1, 0, 0, 0], dtype="Int64"),
        # a's third row has zero weight and a huge average: it must add nothing
        "average_response_time": [1000.0, 100.0, 9_999_999.0, 500.0, 700.0],
    })


def test_weighted_response_time_hand_computed():
    out = metrics.weighted_response_time(staff_frame(), ["user_id"])
    assert list(out.columns) == ["user_id", "inbox_count", "comment_count", "unique_inbox_count",
                                 "unique_comment_count", "average_response_time"]
    art = out.set_index("user_id")["average_response_time"]
    a = out.set_index("user_id").loc["a"]
    # (1000*1 + 100*3 + 9999999*0) / (1 + 3) = 325; mean of means would be 3,333,699.67,
    # mean of the two weighted rows 550
    assert art["a"] == pytest.approx(325.0)
    assert a["inbox_count"] == 13 and a["comment_count"] == 1 and a["unique_inbox_count"] == 3
    b = out.set_index("user_id").loc["b"]
    assert math.isnan(art["b"])  # total weight 0 -> NaN
    assert b["inbox_count"] == 1
    assert str(out["inbox_count"].dtype) == "Int64"
    assert str(out["average_response_time"].dtype) == "float64"


def test_weighted_response_time_against_users_example_total():
    hourly = reshape.user_hourly(USERS_EXAMPLE, "P")
    out = metrics.weighted_response_time(hourly, ["user_id"])
    # (3376234*1 + 74276*2) / 3
    assert out["average_response_time"].iloc[0] == pytest.approx((3376234 + 2 * 74276) / 3)
    assert out["inbox_count"].iloc[0] == 8


def test_weighted_response_time_whole_frame_and_empty():
    all_rows = metrics.weighted_response_time(staff_frame(), [])
    assert len(all_rows) == 1
    assert all_rows["average_response_time"].iloc[0] == pytest.approx(325.0)
    assert all_rows["inbox_count"].iloc[0] == 14
    empty = metrics.weighted_response_time(staff_frame().iloc[0:0], ["user_id"])
    assert empty.empty and "average_response_time" in empty.columns


def test_combine_users_across_pages_keeps_names():
    out = metrics.combine_users(staff_frame())
    assert list(out["user_id"]) == ["a", "b"]
    assert list(out["user_name"]) == ["An", "Bình"]
    assert list(out["page_id"]) == ["p1,p2", "p1,p2"]
    assert "hour" not in out.columns
    per_page = metrics.combine_users(staff_frame(), by=["page_id", "user_id"])
    a1 = per_page[(per_page["page_id"] == "p1") & (per_page["user_id"] == "a")].iloc[0]
    assert a1["average_response_time"] == pytest.approx(325.0)
    a2 = per_page[(per_page["page_id"] == "p2") & (per_page["user_id"] == "a")].iloc[0]
    assert math.isnan(a2["average_response_time"])


def test_combine_users_multi_page_example():
    h = reshape.user_hourly(MULTI_PAGE_USERS_EXAMPLE, "p1,p2")
    out = metrics.combine_users(h).set_index("user_name")
    assert out.loc["Bùi Văn Long", "average_response_time"] == pytest.approx(34389.0)
    assert out.loc["Bùi Văn Long", "phone_number_count"] == 1
    assert out.loc["Bùi Văn Long", "inbox_count"] == 10
    assert math.isnan(out.loc["Duc Nguyen", "average_response_time"])
    assert out.loc["Khoa 12 12 tv1234567.1", "average_response_time"] == pytest.approx(10.0)


def test_share_of_replies():
    f = pd.DataFrame({"inbox_count": pd.array([3, 1, None], dtype="Int64"),
                      "comment_count": pd.array([1, 0, 0], dtype="Int64")})
    s = metrics.share_of_replies(f)
    assert s.tolist() == pytest.approx([0.8, 0.2, 0.0])
    zero = metrics.share_of_replies(pd.DataFrame({"inbox_count": [0, 0], "comment_count": [0, 0]}))
    assert zero.isna().all()


# --- ads ----------------------------------------------------------------------------------

def ads_rows():
    return reshape.ads_frame([
        {"ad_id": "1", "currency": "VND", "spend": "200000", "impressions": "10000", "reach": "8000",
         "link_click": "100", "purchases": "4", "purchases_conversion_value": "1000000",
         "messaging_conversation_started_7d": "20", "cpc": "1234"},
        {"ad_id": "2", "currency": "VND", "spend": "100000", "impressions": "0", "reach": "0",
         "link_click": "0", "purchases": "0", "purchases_conversion_value": "0",
         "messaging_conversation_started_7d": None},
        {"ad_id": "3", "currency": "USD", "spend": "10", "impressions": "2000", "reach": "1500",
         "link_click": "40", "purchases": "1", "purchases_conversion_value": "35",
         "messaging_conversation_started_7d": "5", "purchase_roas": "3"},
    ], "P")


def test_ads_derived_uses_api_value_then_computes():
    d = metrics.ads_derived(ads_rows())
    r1, r2, r3 = d.iloc[0], d.iloc[1], d.iloc[2]
    assert r1["cpc"] == 1234.0                     # API value kept
    assert r1["cpm"] == pytest.approx(200000 / 10000 * 1000)
    assert r1["ctr"] == pytest.approx(1.0)         # 100 / 10000 * 100
    assert r1["cost_per_purchase"] == pytest.approx(50000.0)
    assert r1["roas"] == pytest.approx(5.0)
    assert r1["cost_per_conversation"] == pytest.approx(10000.0)
    assert r3["roas"] == 3.0                       # API purchase_roas wins over 35/10
    assert r3["cpc"] == pytest.approx(0.25)
    # division by zero: NaN, never inf, never 0
    for c in ("cpc", "cpm", "ctr", "cost_per_purchase", "cost_per_conversation"):
        assert math.isnan(r2[c]), c
    assert r2["roas"] == 0.0                       # 0 value / 100000 spend is a real 0
    assert not np.isinf(d[list(metrics.AD_DERIVED_FIELDS)].to_numpy()).any()
    assert "cpc" in d.columns and len(d) == 3
    assert ads_rows()["cpc"].iloc[1] != ads_rows()["cpc"].iloc[1]  # input untouched (NaN)


def test_ads_derived_on_the_reference_example_is_all_nan():
    d = metrics.ads_derived(reshape.ads_frame(ADS_EXAMPLE, "P"))
    assert d[list(metrics.AD_DERIVED_FIELDS)].isna().all().all()


def test_ads_totals_per_currency_recomputed_from_sums():
    t = metrics.ads_totals(ads_rows()).set_index("currency")
    assert sorted(t.index) == ["USD", "VND"]
    assert "reach" not in t.columns
    vnd = t.loc["VND"]
    assert vnd["ad_count"] == 2
    assert vnd["spend"] == 300000.0 and vnd["impressions"] == 10000.0 and vnd["link_click"] == 100.0
    assert vnd["cpc"] == pytest.approx(3000.0)     # 300000 / 100, not the API's 1234, not an average
    assert vnd["cpm"] == pytest.approx(30000.0)
    assert vnd["ctr"] == pytest.approx(1.0)
    assert vnd["roas"] == pytest.approx(1000000 / 300000)
    # paired sums: ad 2 reports no conversations (null), so its spend stays out: 200000 / 20
    assert vnd["cost_per_conversation"] == pytest.approx(10000.0)
    assert vnd["cost_per_conversation_ads"] == 1 and vnd["cost_per_purchase_ads"] == 2
    usd = t.loc["USD"]
    assert usd["spend"] == 10.0 and usd["roas"] == pytest.approx(3.5)  # recomputed, not API's 3
    # never mixed: no total adds 10 USD to VND
    assert t["spend"].sum() == 300010.0 and len(t) == 2


def test_ads_totals_pair_numerator_and_denominator_over_the_same_ads():
    """Regression: an ad with unknown purchases (null) is not an ad with 0 purchases. Its spend
    must not be divided by the other ads' purchases (the standup showed 74.969 ₫ where the Ads
    page showed 62.340 ₫)."""
    frame = reshape.ads_frame([
        {"ad_id": "a", "currency": "VND", "spend": "100", "purchases": "2", "purchases_conversion_value": "500"},
        {"ad_id": "b", "currency": "VND", "spend": "50", "purchases": None, "purchases_conversion_value": None},
        {"ad_id": "c", "currency": None, "spend": "7", "purchases": "1", "purchases_conversion_value": "14"},
    ], "P")
    t = metrics.ads_totals(frame)
    vnd = t[t["currency"] == "VND"].iloc[0]
    assert vnd["spend"] == 150.0                      # spend itself still adds every ad
    assert vnd["cost_per_purchase"] == 50.0           # 100 / 2, not 150 / 2
    assert vnd["roas"] == 5.0                         # 500 / 100, not 500 / 150
    assert vnd["cost_per_purchase_ads"] == 1 and vnd["roas_ads"] == 1
    none = t[t["currency"].isna()].iloc[0]            # no currency: its own group, never VND
    assert none["spend"] == 7.0 and none["roas"] == 2.0
    values = metrics.ads_kpi_values(frame)
    assert set(values) == {"VND", ""} and values["VND"]["cost_per_purchase"] == 50.0


def test_change_of_a_ratio_is_in_points_and_of_a_count_relative():
    assert metrics.change("reply_ratio", 0.62, 0.50, "activity").kind == "pp"
    assert metrics.change("reply_ratio", 0.62, 0.50, "activity").value == pytest.approx(12.0)
    assert metrics.change("ctr", 1.5, 1.2, "ads").value == pytest.approx(0.3)     # percent unit
    c = metrics.change("inbox", 150, 100, "engagement")
    assert (c.kind, c.value, c.good) == ("pct", 50.0, True)
    assert metrics.change("average_response_time", 90_000, 60_000, "staff").good is False
    assert metrics.change("inbox", 5, 0, "engagement").kind == "abs"
    assert metrics.change("inbox", None, 3) is None and metrics.change("inbox", 3, float("nan")) is None


def test_total_is_unknown_when_the_api_did_not_send_the_series():
    import pandas as pd
    frame = pd.DataFrame({"page_id": ["1", "1"], "inbox": [3, 4],
                          "order_count": pd.array([None, None], dtype="Int64")})
    assert metrics.total(frame, "inbox") == 7
    assert metrics.total(frame, "order_count") is None         # all null: unknown, not 0
    assert metrics.total(frame, "old_order_count") is None     # absent: unknown, not 0
    assert metrics.total(frame.iloc[0:0], "inbox") == 0        # no rows: nothing happened
    assert all(math.isnan(v) for v in metrics.daily_series(frame.assign(date=pd.Timestamp("2026-11-01")),
                                                            "order_count", "2026-11-01", "2026-11-02"))
    sums = metrics.per_page_sums(frame, ["inbox", "order_count"])
    assert sums.loc["1", "inbox"] == 7 and pd.isna(sums.loc["1", "order_count"])


def test_comparable_only_when_the_same_pages_answered():
    assert metrics.comparable(["1", "2"], ["2", "1"])
    assert not metrics.comparable(["1", "2"], ["1"])


def test_ads_totals_all_null_and_empty():
    t = metrics.ads_totals(reshape.ads_frame(ADS_EXAMPLE, "P"))
    assert len(t) == 1 and t["currency"].iloc[0] == "USD"
    assert math.isnan(t["spend"].iloc[0])          # all null -> NaN, not 0
    assert math.isnan(t["cpc"].iloc[0])
    e = metrics.ads_totals(reshape.ads_frame([], "P"))
    assert e.empty and "cpc" in e.columns and "currency" in e.columns


def test_safe_div_scalars():
    assert math.isnan(metrics.safe_div(1, 0))
    assert math.isnan(metrics.safe_div(None, 2))
    assert metrics.safe_div(1, 4, 100) == 25.0


# --- other ratios, deltas ------------------------------------------------------------------

def test_phone_capture_rate_and_reply_ratio_from_sums():
    nc = pd.DataFrame({"new_phone_number_count": pd.array([1, 0, 2], dtype="Int64"),
                       "new_page_inbox_count": pd.array([2, 0, 8], dtype="Int64")})
    assert metrics.phone_capture_rate(nc) == pytest.approx(0.3)   # 3/10, not mean(0.5, 0.25)
    per = metrics.phone_capture_rate(nc.assign(d=["x", "y", "x"]), by=["d"]).set_index("d")
    assert per.loc["x", "phone_capture_rate"] == pytest.approx(0.3)
    assert math.isnan(per.loc["y", "phone_capture_rate"])
    pa = pd.DataFrame({"hour": [9, 9, 22], "page_inbox_count": [3, 1, 0],
                       "customer_inbox_count": [4, 4, 5]})
    assert metrics.reply_ratio(pa) == pytest.approx(4 / 13)
    r = metrics.reply_ratio(pa, by=["hour"]).set_index("hour")["reply_ratio"]
    assert r[9] == pytest.approx(0.5) and r[22] == 0.0
    assert math.isnan(metrics.reply_ratio(pa.iloc[0:0]))


def test_change_and_improvement():
    assert metrics.change("inbox", 120, 100) == metrics.Change("pct", pytest.approx(20.0), 20, True)
    assert metrics.change("inbox", 5, 0).kind == "abs"
    assert metrics.change("inbox", None, 3) is None
    assert metrics.change("inbox", float("nan"), 3) is None
    ch = metrics.change("inbox", 80, 100)
    assert ch.difference == -20 and ch.value == pytest.approx(-20.0) and ch.good is False
    assert metrics.is_improvement("inbox", 3) is True
    assert metrics.is_improvement("inbox", -3) is False
    assert metrics.is_improvement("average_response_time", -1000) is True
    assert metrics.is_improvement("average_response_time", 1000) is False
    assert metrics.is_improvement("cpc", -0.1) is True
    assert metrics.is_improvement("spend", 100) is None
    assert metrics.is_improvement("inbox", 0) is None
    assert metrics.is_improvement("unknown", 1) is None


def test_tooltips_say_the_formula_in_words_without_api_field_names():
    import re
    snake = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
    for source, fields in metrics.METRICS_BY_SOURCE.items():
        for field, m in fields.items():
            for lang in ("vi", "en"):
                text = m.help(lang)
                assert text and "API field" not in text and "Trường API" not in text, (source, field, lang)
                assert not snake.search(text), (source, field, lang, text)
    assert metrics.help_text("average_response_time", "en", "staff").startswith(
        "Average time from a customer's message to the staff member's reply. When hours, days or pages")
    assert metrics.without_api_fields("CPC = spend / link clicks (spend / link_click). Never averaged.") == \
        "CPC = spend / link clicks. Never averaged."
    assert metrics.without_api_fields("New customers. API field: new_customer (statistics/x). Adds up.") == \
        "New customers. Adds up."

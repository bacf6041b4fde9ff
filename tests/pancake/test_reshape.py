"""pancake.data.reshape against the reference's exact example payloads and real-account variants."""
from __future__ import annotations

import copy
from datetime import date

import numpy as np
import pandas as pd
import pytest

from pancake.data import reshape
from pancake.data.reshape import ReshapeError

# --- exact payloads from ../shared/reference/pancake-api-docs-vi.txt -----------------------

ENGAGEMENT_EXAMPLE = {
    "data": {
        "categories": ["26/8", "25/8", "24/8", "23/8", "22/8", "21/8", "20/8", "19/8", "18/8", "17/8", "16/8", "15/8", "14/8", "13/8", "12/8", "11/8", "10/8", "9/8", "8/8", "7/8", "6/8", "5/8", "4/8", "3/8", "2/8", "1/8", "31/7", "30/7", "29/7", "28/7", "27/7"],
        "series": [{
            "data": [0, 0, 2, 1, 0, 0, 1, 2, 2, 0, 3, 0, 3, 2, 0, 0, 6, 2, 0, 0, 0, 2, 1, 0, 0, 0, 0, 6, 1, 3, 1],
            "name": "inbox"
        }, {
            "data": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            "name": "comment"
        }, {
            "data": [0, 0, 2, 1, 0, 0, 1, 2, 2, 0, 3, 0, 3, 2, 0, 0, 6, 2, 0, 0, 0, 2, 1, 0, 0, 0, 0, 6, 1, 3, 1],
            "name": "total"
        }, {
            "data": [0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 1],
            "name": "new_customer_replied"
        }, {
            "data": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            "name": "customer_engagement_new_inbox"
        }]
    },
    "success": True
}

ENGAGEMENT_BY_HOUR_EXAMPLE = {
    "statistics": [{
        "comment": 0,
        "hour": "2021-08-26T13:00:00",
        "inbox": 1,
        "new_customer": 0,
        "new_customer_from_inbox": 0,
        "total": 1
    }, {
        "comment": 0,
        "hour": "2021-08-26T10:00:00",
        "inbox": 1,
        "new_customer": 0,
        "new_customer_from_inbox": 0,
        "total": 1
    }],
    "success": True
}

USERS_EXAMPLE = {
    "data": {
        "statistics": {
            "c5a50cce-fb0a-4eb3-892a-74ad182f7c03": [{
                "average_response_time": 3376234,
                "comment_count": 0,
                "hour": "2021-07-27T09:00:00",
                "inbox_count": 2,
                "phone_number_count": 0,
                "private_reply_count": 0,
                "unique_comment_count": 0,
                "unique_inbox_count": 1
            }, {
                "average_response_time": 74276,
                "comment_count": 0,
                "hour": "2021-07-28T10:00:00",
                "inbox_count": 6,
                "phone_number_count": 0,
                "private_reply_count": 0,
                "unique_comment_count": 0,
                "unique_inbox_count": 2
            }]
        },
        "users": {
            "c5a50cce-fb0a-4eb3-892a-74ad182f7c03": {
                "average_response_time": 588569,
                "comment_count": 0,
                "hour": "2021-08-26T13:00:00",
                "inbox_count": 637,
                "phone_number_count": 0,
                "private_reply_count": 0,
                "unique_comment_count": 0,
                "unique_inbox_count": 30,
                "user_fb_id": "570423649807405",
                "user_name": "Quyết Nguyễn"
            }
        }
    },
    "success": True
}

MULTI_PAGE_USERS_EXAMPLE = {
    "statistics": {
        "2138b20a-6745-4fe2-91b2-f75e6c43b7b0": [
            {"average_response_time": 10, "comment_count": 0, "hour": "2022-07-05T01:00:00",
             "inbox_count": 1, "order_count": 0, "phone_number_count": 0, "private_reply_count": 0,
             "unique_comment_count": 0, "unique_inbox_count": 1}
        ],
        "3fadfd70-1ead-4a16-a456-1fa007e38e5c": [
            {"average_response_time": 0, "comment_count": 0, "hour": "2022-07-05T12:00:00",
             "inbox_count": 0, "order_count": 0, "phone_number_count": 1, "private_reply_count": 0,
             "unique_comment_count": 0, "unique_inbox_count": 0}
        ],
        "6350389d-7bd6-4e3f-8a0b-a370d76f63fd": [
            {"average_response_time": 34389, "comment_count": 0, "hour": "2022-07-05T12:00:00",
             "inbox_count": 10, "order_count": 0, "phone_number_count": 0, "private_reply_count": 0,
             "unique_comment_count": 0, "unique_inbox_count": 1},
            {"average_response_time": 0, "comment_count": 0, "hour": "2022-07-07T09:00:00",
             "inbox_count": 0, "order_count": 0, "phone_number_count": 1, "private_reply_count": 0,
             "unique_comment_count": 0, "unique_inbox_count": 0}
        ]
    },
    "users": {
        "2138b20a-6745-4fe2-91b2-f75e6c43b7b0": {
            "average_response_time": 10, "comment_count": 0, "hour": "2022-07-05T01:00:00",
            "inbox_count": 1, "order_count": 0, "phone_number_count": 0, "private_reply_count": 0,
            "unique_comment_count": 0, "unique_inbox_count": 1,
            "user_fb_id": "1079158022137261", "user_name": "Khoa 12 12 tv1234567.1"
        },
        "3fadfd70-1ead-4a16-a456-1fa007e38e5c": {
            "average_response_time": 0, "comment_count": 0, "hour": "2022-07-05T12:00:00",
            "inbox_count": 0, "order_count": 0, "phone_number_count": 1, "private_reply_count": 0,
            "unique_comment_count": 0, "unique_inbox_count": 0,
            "user_fb_id": "2378637269074943", "user_name": "Duc Nguyen"
        },
        "6350389d-7bd6-4e3f-8a0b-a370d76f63fd": {
            "average_response_time": 34389, "comment_count": 0, "hour": "2022-07-07T09:00:00",
            "inbox_count": 10, "order_count": 0, "phone_number_count": 1, "private_reply_count": 0,
            "unique_comment_count": 0, "unique_inbox_count": 1,
            "user_fb_id": "1751542581753690", "user_name": "Bùi Văn Long"
        }
    }
}

ADS_EXAMPLE = [
    {
        "account_id": "11112430409201147",
        "ad_id": "2384887411112310288",
        "adset_id": "2312324572270288",
        "budget_remaining": "3000",
        "cpc": None,
        "cpm": None,
        "ctr": None,
        "currency": "USD",
        "daily_budget": "3000",
        "impressions": None,
        "lifetime_budget": "0",
        "link_click": None,
        "messaging_conversation_started_7d": None,
        "messaging_first_reply": None,
        "name": "QC FB thúc đẩy doanh thu",
        "post_comments": None,
        "purchase_roas": None,
        "purchases": None,
        "purchases_conversion_value": None,
        "reach": None,
        "spend": None,
        "status": "PAUSED"
    }
]

NEW_CUSTOMERS_DAY = {
    "data": [
        {"date": "2020-08-27", "new_customer_count": 0, "new_page_inbox_count": 1, "new_phone_number_count": 0, "phone_number_count": 0},
        {"date": "2020-08-24", "new_customer_count": 0, "new_page_inbox_count": 2, "new_phone_number_count": 0, "phone_number_count": 0},
        {"date": "2020-08-12", "new_customer_count": 4, "new_page_inbox_count": 3, "new_phone_number_count": 0, "phone_number_count": 0}
    ],
    "success": True
}

NEW_CUSTOMERS_PAGE_ID = {
    "data": {
        "103205717747769": [
            {"date": "2020-08-12", "new_customer_count": 0, "new_page_inbox_count": 1, "new_phone_number_count": 0, "phone_number_count": 0}
        ],
        "110699180573884": [
            {"date": "2020-08-27", "new_customer_count": 0, "new_page_inbox_count": 2, "new_phone_number_count": 0, "phone_number_count": 0}
        ]
    },
    "success": True
}

NEW_CUSTOMERS_HOUR = {
    "data": [
        {"date": "2020-08-12T16:00:00", "new_customer_count": 0, "new_page_inbox_count": 1, "new_phone_number_count": 0, "phone_number_count": 0},
        {"date": "2020-08-12T17:00:00", "new_customer_count": 0, "new_page_inbox_count": 2, "new_phone_number_count": 0, "phone_number_count": 0},
        {"date": "2020-08-12T18:00:00", "new_customer_count": 4, "new_page_inbox_count": 3, "new_phone_number_count": 0, "phone_number_count": 0}
    ],
    "success": True
}

START_2021, END_2021 = date(2021, 7, 27), date(2021, 8, 26)
NC_START, NC_END = date(2020, 7, 20), date(2020, 8, 20 + 10)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def assert_schema(frame: pd.DataFrame, columns, dtypes: dict[str, str]):
    assert list(frame.columns[:len(columns)]) == list(columns)
    for col, dt in dtypes.items():
        assert str(frame[col].dtype) == dt, (col, frame[col].dtype)


# --- engagement daily ----------------------------------------------------------------------

def test_engagement_example_values_and_dates():
    f = reshape.engagement_daily(ENGAGEMENT_EXAMPLE, "PAGE", START_2021, END_2021)
    assert list(f.columns) == list(reshape.ENGAGEMENT_DAILY_COLUMNS)
    assert len(f) == 31
    assert f["inbox"].sum() == 38
    assert f["total"].sum() == 38
    assert f["new_customer_replied"].sum() == 8
    assert f["comment"].sum() == 0
    # oldest first; the payload was newest first
    assert f["date"].iloc[0] == ts("2021-07-27") and f["date"].iloc[-1] == ts("2021-08-26")
    assert f["date"].is_monotonic_increasing
    row = f.set_index("date").loc[ts("2021-07-31")]
    assert row["inbox"] == 0
    assert f.set_index("date").loc[ts("2021-07-30"), "inbox"] == 6
    assert f.set_index("date").loc[ts("2021-08-10"), "inbox"] == 6
    assert f.set_index("date").loc[ts("2021-07-27"), "new_customer_replied"] == 1
    # series the example lacks are all <NA>, not 0
    assert f["order_count"].isna().all() and f["old_order_count"].isna().all()
    assert_schema(f, reshape.ENGAGEMENT_DAILY_COLUMNS,
                  {"page_id": "str", "date": "datetime64[ns]", "inbox": "Int64", "order_count": "Int64"})
    assert (f["page_id"] == "PAGE").all()


def test_engagement_does_not_mutate_payload():
    payload = copy.deepcopy(ENGAGEMENT_EXAMPLE)
    reshape.engagement_daily(payload, "P", START_2021, END_2021)
    assert payload == ENGAGEMENT_EXAMPLE


def test_engagement_day_month_across_new_year():
    payload = {"success": True, "data": {
        "categories": ["2/1", "1/1", "31/12", "30/12"],
        "series": [{"name": "inbox", "data": [4, 3, 2, 1]}]}}
    f = reshape.engagement_daily(payload, "P", date(2025, 12, 20), date(2026, 1, 10))
    assert list(f["date"]) == [ts("2025-12-30"), ts("2025-12-31"), ts("2026-01-01"), ts("2026-01-02")]
    assert list(f["inbox"]) == [1, 2, 3, 4]


def test_engagement_full_date_form_strings_nulls_and_extra_series():
    payload = {"success": True, "data": {
        "categories": ["6/7/2026", "5/7/2026", "4/7/2026"],
        "series": [
            {"name": "inbox", "data": ["3", None, 1]},
            {"name": "order_count", "data": [2, 0, None]},
            {"name": "old_order_count", "data": [1, 0, 0]},
            {"name": "brand_new_metric", "data": [7, 8, 9]},
        ]}}
    # the asked range does not matter for full dates
    f = reshape.engagement_daily(payload, "P", date(2026, 7, 1), date(2026, 7, 31))
    assert list(f["date"]) == [ts("2026-07-04"), ts("2026-07-05"), ts("2026-07-06")]
    assert f["inbox"].tolist()[0] == 1
    assert pd.isna(f["inbox"].iloc[1])
    assert f["inbox"].iloc[2] == 3
    assert pd.isna(f["order_count"].iloc[0]) and f["order_count"].iloc[2] == 2
    assert f["comment"].isna().all()
    assert list(f.columns) == list(reshape.ENGAGEMENT_DAILY_COLUMNS) + ["brand_new_metric"]
    assert f["brand_new_metric"].tolist() == [9, 8, 7]
    assert str(f["inbox"].dtype) == "Int64"


def test_engagement_length_mismatch_raises_value_error():
    payload = {"data": {"categories": ["2/8", "1/8"], "series": [{"name": "inbox", "data": [1]}]}}
    with pytest.raises(ValueError, match="inbox.*1 values for 2 categories"):
        reshape.engagement_daily(payload, "P", START_2021, END_2021)


@pytest.mark.parametrize("payload", [{}, {"success": True, "data": {"categories": [], "series": []}},
                                     {"success": True, "data": None}, None])
def test_engagement_empty(payload):
    f = reshape.engagement_daily(payload, "P", START_2021, END_2021)
    assert f.empty
    assert list(f.columns) == list(reshape.ENGAGEMENT_DAILY_COLUMNS)
    assert str(f["date"].dtype) == "datetime64[ns]" and str(f["inbox"].dtype) == "Int64"
    assert str(f["page_id"].dtype) == "str"


@pytest.mark.parametrize("payload, match", [
    ("oops", "payload is a str"),
    ([1, 2], "payload is a list"),
    ({"data": []}, "'data' is a list"),
    ({"data": {"categories": "26/8", "series": []}}, "'categories' is a str"),
    ({"data": {"categories": ["26/8"], "series": [{"data": [1]}]}}, "series item 0"),
    ({"data": {"categories": ["hello"], "series": [{"name": "inbox", "data": [1]}]}}, "not a date"),
    ({"data": {"categories": ["1/8"], "series": [{"name": "inbox", "data": ["many"]}]}}, "not a number"),
    ({"statistics": []}, "by_hour"),
    ({"success": False, "message": "x"}, "success=false"),
])
def test_engagement_wrong_shapes(payload, match):
    with pytest.raises(ReshapeError, match=match):
        reshape.engagement_daily(payload, "P", START_2021, END_2021)


def test_reshape_error_is_value_error():
    assert issubclass(ReshapeError, ValueError)


# --- engagement hourly, users_engagements --------------------------------------------------

def test_engagement_hourly_example():
    f = reshape.engagement_hourly(ENGAGEMENT_BY_HOUR_EXAMPLE, "P")
    assert list(f.columns) == list(reshape.ENGAGEMENT_HOURLY_COLUMNS)
    assert list(f["hour"]) == [ts("2021-08-26 10:00"), ts("2021-08-26 13:00")]
    assert f["inbox"].sum() == 2 and f["total"].sum() == 2
    assert str(f["hour"].dtype) == "datetime64[ns]" and str(f["new_customer"].dtype) == "Int64"


def test_engagement_hourly_empty_and_bad():
    f = reshape.engagement_hourly({"statistics": [], "success": True}, "P")
    assert f.empty and list(f.columns) == list(reshape.ENGAGEMENT_HOURLY_COLUMNS)
    with pytest.raises(ReshapeError, match="'statistics' is a dict"):
        reshape.engagement_hourly({"statistics": {"a": 1}}, "P")
    with pytest.raises(ReshapeError, match="no 'hour'"):
        reshape.engagement_hourly({"statistics": [{"inbox": 1}]}, "P")


def test_users_engagements():
    payload = copy.deepcopy(ENGAGEMENT_EXAMPLE)
    payload["users_engagements"] = [
        {"user_id": "u1", "name": "Neto Fullo", "inbox_count": 5, "order_count": "2",
         "old_order_count": None, "total_engagement": 7},
        {"user_id": "u2", "name": "Lan", "inbox_count": 1, "order_count": 0,
         "old_order_count": 0, "total_engagement": 1},
    ]
    f = reshape.users_engagements(payload, "P")
    assert list(f.columns) == list(reshape.USERS_ENGAGEMENTS_COLUMNS)
    assert f["user_name"].tolist() == ["Neto Fullo", "Lan"]
    assert f["order_count"].tolist() == [2, 0]
    assert pd.isna(f["old_order_count"].iloc[0])
    assert f["total_engagement"].sum() == 8
    absent = reshape.users_engagements(ENGAGEMENT_EXAMPLE, "P")
    assert absent.empty and list(absent.columns) == list(reshape.USERS_ENGAGEMENTS_COLUMNS)
    assert str(absent["inbox_count"].dtype) == "Int64"


# --- staff ---------------------------------------------------------------------------------

def test_user_hourly_example_joins_names():
    f = reshape.user_hourly(USERS_EXAMPLE, "P")
    assert list(f.columns) == list(reshape.USER_HOURLY_COLUMNS)
    assert len(f) == 2
    assert (f["user_name"] == "Quyết Nguyễn").all()
    assert (f["user_id"] == "c5a50cce-fb0a-4eb3-892a-74ad182f7c03").all()
    assert list(f["hour"]) == [ts("2021-07-27 09:00"), ts("2021-07-28 10:00")]
    assert f["inbox_count"].sum() == 8
    assert f["average_response_time"].tolist() == [3376234.0, 74276.0]
    assert str(f["average_response_time"].dtype) == "float64"
    assert f["order_count"].isna().all()  # statistics/users does not send it


def test_user_totals_example():
    f = reshape.user_totals(USERS_EXAMPLE, "P")
    assert list(f.columns) == list(reshape.USER_TOTALS_COLUMNS)
    assert len(f) == 1
    r = f.iloc[0]
    assert r["user_name"] == "Quyết Nguyễn" and r["user_fb_id"] == "570423649807405"
    assert r["inbox_count"] == 637 and r["unique_inbox_count"] == 30
    assert r["average_response_time"] == 588569.0
    assert "hour" not in f.columns


def test_multi_page_user_stats_top_level():
    pid = "103205717747769,110699180573884"
    h = reshape.user_hourly(MULTI_PAGE_USERS_EXAMPLE, pid)
    assert len(h) == 4
    assert (h["page_id"] == pid).all()
    assert h["hour"].is_monotonic_increasing
    per_user = h.groupby("user_name")["inbox_count"].sum().to_dict()
    assert per_user == {"Khoa 12 12 tv1234567.1": 1, "Duc Nguyen": 0, "Bùi Văn Long": 10}
    assert h.groupby("user_name")["phone_number_count"].sum()["Bùi Văn Long"] == 1
    assert h["order_count"].tolist() == [0, 0, 0, 0]
    t = reshape.user_totals(MULTI_PAGE_USERS_EXAMPLE, pid)
    assert t.set_index("user_name")["inbox_count"].to_dict() == {
        "Khoa 12 12 tv1234567.1": 1, "Duc Nguyen": 0, "Bùi Văn Long": 10}
    assert t["order_count"].tolist() == [0, 0, 0]


def test_users_empty_and_bad():
    for payload in ({"data": {"statistics": {}, "users": {}}, "success": True}, {}):
        assert reshape.user_hourly(payload, "P").empty
        t = reshape.user_totals(payload, "P")
        assert t.empty and list(t.columns) == list(reshape.USER_TOTALS_COLUMNS)
    with pytest.raises(ReshapeError, match="expected a list"):
        reshape.user_hourly({"data": {"statistics": {"u": {"hour": "x"}}}}, "P")
    with pytest.raises(ReshapeError, match="'data' is a list"):
        reshape.user_totals({"data": []}, "P")


def test_user_hourly_unknown_user_name_is_missing():
    payload = {"statistics": {"u9": [{"hour": "2022-07-05T01:00:00", "inbox_count": 3,
                                      "average_response_time": None}]}, "users": {}}
    f = reshape.user_hourly(payload, "P")
    assert pd.isna(f["user_name"].iloc[0])
    assert pd.isna(f["average_response_time"].iloc[0])


# --- ads -----------------------------------------------------------------------------------

def test_ads_example_bare_array():
    f = reshape.ads_frame(ADS_EXAMPLE, "P")
    assert list(f.columns) == list(reshape.ADS_COLUMNS)
    r = f.iloc[0]
    # budgets leave reshaping in the currency's main unit (the payload's 3000 is in cents)
    assert r["daily_budget"] == 30.0 and r["budget_remaining"] == 30.0 and r["lifetime_budget"] == 0.0
    assert pd.isna(r["spend"]) and pd.isna(r["impressions"]) and pd.isna(r["reach"])
    assert r["currency"] == "USD" and r["status"] == "PAUSED"
    assert r["ad_id"] == "2384887411112310288"
    assert r["name"] == "QC FB thúc đẩy doanh thu"
    for c in ("spend", "impressions", "cpc", "daily_budget"):
        assert str(f[c].dtype) == "float64"
    assert str(f["ad_id"].dtype) == "str"


@pytest.mark.parametrize("currency", [None, "", "  "])
def test_an_ad_without_a_currency_has_no_budget(currency):
    """Regression (issue 17, 12a): an ad with no currency had its budget divided by 100 (USD's
    cents assumed). Its unit is unknown: no budget. The same payload's VND ad keeps its whole
    đồng and its USD ad is in dollars (by hand: 150000 đồng, 3000 cents = 30.00)."""
    rows = [{**ADS_EXAMPLE[0], "ad_id": "1", "currency": currency, "daily_budget": "3000",
             "budget_remaining": 2500, "lifetime_budget": None},
            {**ADS_EXAMPLE[0], "ad_id": "2", "currency": "VND", "daily_budget": "150000",
             "budget_remaining": "150000", "lifetime_budget": "0"},
            {**ADS_EXAMPLE[0], "ad_id": "3", "currency": "usd", "daily_budget": 3000,
             "budget_remaining": "1234", "lifetime_budget": "0"}]
    f = reshape.ads_frame({"data": rows}, "P").set_index("ad_id")
    for c in ("daily_budget", "budget_remaining", "lifetime_budget"):
        assert pd.isna(f.loc["1", c]), c
    assert (f.loc["2", "daily_budget"], f.loc["2", "budget_remaining"], f.loc["2", "lifetime_budget"]) == (
        150000.0, 150000.0, 0.0)
    assert (f.loc["3", "daily_budget"], f.loc["3", "budget_remaining"]) == (30.0, 12.34)


def test_ads_wrapped_numbers_mixed_currencies():
    payload = {"success": True, "data": [
        {"ad_id": 1, "currency": "VND", "spend": "150000", "impressions": 1000, "link_click": "12"},
        {"ad_id": "2", "currency": "USD", "spend": 3.5, "impressions": "0", "link_click": None},
    ]}
    f = reshape.ads_frame(payload, "P")
    assert f["ad_id"].tolist() == ["1", "2"]
    assert f["currency"].tolist() == ["VND", "USD"]
    assert f["spend"].tolist() == [150000.0, 3.5]
    assert f["impressions"].tolist() == [1000.0, 0.0]
    assert f["link_click"].iloc[0] == 12.0 and pd.isna(f["link_click"].iloc[1])


def test_ads_empty_and_bad():
    for payload in ([], {"data": []}, {"success": True}):
        f = reshape.ads_frame(payload, "P")
        assert f.empty and list(f.columns) == list(reshape.ADS_COLUMNS)
    with pytest.raises(ReshapeError):
        reshape.ads_frame("nope", "P")
    with pytest.raises(ReshapeError, match="row 0"):
        reshape.ads_frame(["x"], "P")
    with pytest.raises(ReshapeError, match="not a number"):
        reshape.ads_frame([{"spend": "lots"}], "P")


# --- tags ----------------------------------------------------------------------------------

TAGS_PAYLOAD = {
    "success": True,
    "data": {
        "categories": ["26/8", "25/8"],
        "series": {"tag_12": [3, {"pin": 1, "total": 5}], "7": [None, "2"], "99": [0, 1]},
    },
    "data_today": {"categories": ["26/8"], "series": {"tag_12": [4], "7": [{"pin": 0, "total": 2}]}},
    "tags": [{"id": 12, "text": "Đã chốt", "color": "#f00", "lighten_color": "#fcc"},
             {"id": "7", "text": "Hỏi giá", "color": "#0f0", "description": None}],
}


def test_tags_long_form_keys_pin_total_and_names():
    f = reshape.tags_frame(TAGS_PAYLOAD, "P", START_2021, END_2021)
    assert list(f.columns) == list(reshape.TAGS_COLUMNS)
    assert len(f) == 6
    assert f["date"].iloc[0] == ts("2021-08-25") and f["date"].iloc[-1] == ts("2021-08-26")
    idx = f.set_index(["date", "tag_id"])
    assert idx.loc[(ts("2021-08-25"), "12"), "count"] == 5      # {pin, total} -> total
    assert idx.loc[(ts("2021-08-26"), "12"), "count"] == 3      # "tag_12" -> "12"
    assert pd.isna(idx.loc[(ts("2021-08-26"), "7"), "count"])   # null stays <NA>
    assert idx.loc[(ts("2021-08-25"), "7"), "count"] == 2       # "2" -> 2
    names = dict(zip(f["tag_id"], f["tag_name"]))
    assert names == {"12": "Đã chốt", "7": "Hỏi giá", "99": "#99"}
    assert str(f["count"].dtype) == "Int64"
    # data_today is not added to the range
    assert f.groupby("tag_id")["count"].sum()["12"] == 8


def test_tags_name_mapping_argument_and_iso_categories():
    payload = {"data": {"categories": ["2026-01-01", "2025-12-31"], "series": {"99": [1, 2]}}}
    f = reshape.tags_frame(payload, "P", date(2025, 12, 20), date(2026, 1, 10),
                           tag_names={99: "VIP"})
    assert f["tag_name"].tolist() == ["VIP", "VIP"]
    assert list(f["date"]) == [ts("2025-12-31"), ts("2026-01-01")]
    g = reshape.tags_frame({"data": {"categories": ["31/12", "1/1"], "series": {"tag_5": [1, 2]}}},
                           "P", date(2025, 12, 20), date(2026, 1, 10))
    assert list(g["date"]) == [ts("2025-12-31"), ts("2026-01-01")]
    h = reshape.tags_frame({"data": {"categories": ["6/7/2026"], "series": {"5": [1]}}},
                           "P", date(2026, 7, 1), date(2026, 7, 31))
    assert h["date"].iloc[0] == ts("2026-07-06")


def test_tags_empty_and_bad():
    f = reshape.tags_frame({"success": True, "data": {"categories": [], "series": {}}}, "P",
                           START_2021, END_2021)
    assert f.empty and list(f.columns) == list(reshape.TAGS_COLUMNS)
    assert str(f["date"].dtype) == "datetime64[ns]"
    with pytest.raises(ReshapeError, match="2 values for 1 categories"):
        reshape.tags_frame({"data": {"categories": ["1/8"], "series": {"1": [1, 2]}}}, "P",
                           START_2021, END_2021)
    with pytest.raises(ReshapeError, match="'tags' is a str"):
        reshape.tags_frame({"tags": "x"}, "P", START_2021, END_2021)
    with pytest.raises(ReshapeError):
        reshape.tags_frame(["a"], "P", START_2021, END_2021)


# --- new customers -------------------------------------------------------------------------

def test_new_customers_by_day():
    f = reshape.new_customers_frame(NEW_CUSTOMERS_DAY, "P", NC_START, NC_END)
    assert list(f.columns) == list(reshape.NEW_CUSTOMERS_COLUMNS)
    assert list(f["date"]) == [ts("2020-08-12"), ts("2020-08-24"), ts("2020-08-27")]
    assert f["new_customer_count"].sum() == 4
    assert f["new_page_inbox_count"].sum() == 6
    assert (f["page_id"] == "P").all()


def test_new_customers_by_hour():
    f = reshape.new_customers_frame(NEW_CUSTOMERS_HOUR, "P", NC_START, NC_END)
    assert list(f["date"]) == [ts("2020-08-12 16:00"), ts("2020-08-12 17:00"), ts("2020-08-12 18:00")]
    assert f["new_page_inbox_count"].tolist() == [1, 2, 3]


def test_new_customers_group_by_page_id_takes_ids_from_keys():
    f = reshape.new_customers_frame(NEW_CUSTOMERS_PAGE_ID, "IGNORED", NC_START, NC_END)
    assert f["page_id"].tolist() == ["103205717747769", "110699180573884"]
    assert dict(zip(f["page_id"], f["new_page_inbox_count"])) == {"103205717747769": 1, "110699180573884": 2}
    assert "IGNORED" not in set(f["page_id"])


def test_new_customers_empty_strings_extras_and_bad():
    f = reshape.new_customers_frame({"data": [], "success": True}, "P", NC_START, NC_END)
    assert f.empty and list(f.columns) == list(reshape.NEW_CUSTOMERS_COLUMNS)
    g = reshape.new_customers_frame({"data": [{"date": "2020-08-01", "new_customer_count": "5",
                                               "phone_number_count": None, "returning": 2}]},
                                    "P", NC_START, NC_END)
    assert g["new_customer_count"].iloc[0] == 5 and pd.isna(g["phone_number_count"].iloc[0])
    assert list(g.columns) == list(reshape.NEW_CUSTOMERS_COLUMNS) + ["returning"]
    with pytest.raises(ReshapeError, match="'data' is a str"):
        reshape.new_customers_frame({"data": "x"}, "P", NC_START, NC_END)
    with pytest.raises(ReshapeError, match="expected a list"):
        reshape.new_customers_frame({"data": {"1": {"date": "2020-08-01"}}}, "P", NC_START, NC_END)


# --- page activity, pages -------------------------------------------------------------------

def test_page_activity():
    payload = {"success": True, "data": [
        {"hour": "2021-08-26T13:00:00", "customer_inbox_count": 5, "page_inbox_count": 4,
         "new_customer_count": 1, "uniq_phone_number_count": "1"},
        {"hour": "2021-08-26T12:00:00", "customer_inbox_count": 2, "page_inbox_count": 0},
    ]}
    f = reshape.page_activity_frame(payload, "P")
    assert list(f.columns) == list(reshape.PAGE_ACTIVITY_COLUMNS)
    assert list(f["hour"]) == [ts("2021-08-26 12:00"), ts("2021-08-26 13:00")]
    assert f["customer_inbox_count"].tolist() == [2, 5]
    assert pd.isna(f["new_customer_count"].iloc[0])
    assert f["uniq_phone_number_count"].iloc[1] == 1
    e = reshape.page_activity_frame({"data": []}, "P")
    assert e.empty and list(e.columns) == list(reshape.PAGE_ACTIVITY_COLUMNS)
    with pytest.raises(ReshapeError, match="'data' is a dict"):
        reshape.page_activity_frame({"data": {}}, "P")


def test_pages_frame():
    f = reshape.pages_frame([{"id": 110699180573884, "name": "MemeViet", "platform": "facebook",
                              "avatar_url": None, "extra": 1}, {"id": "x", "name": "Shop"}])
    assert list(f.columns) == list(reshape.PAGES_COLUMNS)
    assert f["page_id"].tolist() == ["110699180573884", "x"]
    assert pd.isna(f["platform"].iloc[1])
    assert reshape.pages_frame([]).empty
    with pytest.raises(ReshapeError):
        reshape.pages_frame({"pages": []})


# --- merging ------------------------------------------------------------------------------

def test_concat_and_merge_windows():
    w1 = {"data": {"categories": ["2/8", "1/8"], "series": [{"name": "inbox", "data": [2, 1]}]}}
    w2 = {"data": {"categories": ["3/8", "2/8"], "series": [{"name": "inbox", "data": [3, 99]}]}}
    f1 = reshape.engagement_daily(w1, "P", date(2021, 8, 1), date(2021, 8, 2))
    f2 = reshape.engagement_daily(w2, "P", date(2021, 8, 2), date(2021, 8, 3))
    both = reshape.concat([f1, f2])
    assert len(both) == 4 and both.dtypes.equals(f1.dtypes)
    d = reshape.drop_repeated(both, np.array([0, 0, 1, 1]), ["page_id", "date"])   # two windows of two rows
    assert list(d["date"]) == [ts("2021-08-01"), ts("2021-08-02"), ts("2021-08-03")]
    assert d["inbox"].tolist() == [1, 2, 3]  # the first 2/8 kept
    assert list(d.index) == [0, 1, 2]


def test_concat_all_empty_keeps_schema_and_mixed_extras():
    e = reshape.engagement_daily({}, "P", START_2021, END_2021)
    out = reshape.concat([e, e.copy()])
    assert out.empty and list(out.columns) == list(reshape.ENGAGEMENT_DAILY_COLUMNS)
    assert out.dtypes.equals(e.dtypes)
    extra = reshape.engagement_daily({"data": {"categories": ["1/8"], "series": [
        {"name": "inbox", "data": [1]}, {"name": "zz", "data": [5]}]}}, "P", START_2021, END_2021)
    plain = reshape.engagement_daily({"data": {"categories": ["2/8"], "series": [
        {"name": "inbox", "data": [2]}]}}, "P", START_2021, END_2021)
    m = reshape.concat([e, plain, extra])
    assert list(m.columns) == list(reshape.ENGAGEMENT_DAILY_COLUMNS) + ["zz"]
    assert str(m["zz"].dtype) == "Int64" and str(m["inbox"].dtype) == "Int64"
    assert pd.isna(m["zz"].iloc[0]) and m["zz"].iloc[1] == 5
    assert reshape.concat([]).empty


def test_merge_unknown_key():
    with pytest.raises(ReshapeError, match="nope"):
        reshape.drop_repeated(reshape.empty_frame("tags"), np.zeros(0, dtype=np.int64), ["nope"])


def test_drop_repeated_merges_each_page_in_one_frame():
    """Several pages' windows in one frame (a load's one frame): a day a page's later window
    repeats is dropped for that page only; another page's same day stays; one window's rows all stay."""
    frame = pd.DataFrame({"page_id": pd.array(["A", "A", "A", "B", "B", "B"], dtype="str"),
                          "date": pd.to_datetime(["2021-08-01", "2021-08-02", "2021-08-02",
                                                  "2021-08-02", "2021-08-02", "2021-08-03"]),
                          "inbox": pd.array([1, 2, 99, 5, 6, 7], dtype="Int64")})
    window = np.array([0, 0, 1, 0, 0, 1])
    out = reshape.drop_repeated(frame, window, ["page_id", "date"])
    assert out["page_id"].tolist() == ["A", "A", "B", "B", "B"]
    assert out["inbox"].tolist() == [1, 2, 5, 6, 7]      # A's repeated 2/8 (99) dropped; B's two kept
    assert list(out.index) == [0, 1, 2, 3, 4]
    assert reshape.drop_repeated(frame.iloc[0:0], window[:0], ["page_id", "date"]).empty
    with pytest.raises(ReshapeError, match="nope"):
        reshape.drop_repeated(frame, window, ["nope"])


def test_a_reshaper_gives_its_arrow_table_and_the_same_frame():
    payload = {"data": {"categories": ["2/8", "1/8"], "series": [{"name": "inbox", "data": [2, None]}]}}
    table = reshape.engagement_daily.table(payload, "P", date(2021, 8, 1), date(2021, 8, 2))
    assert table.num_rows == 2 and str(table.schema.field("inbox").type) == "int64"
    assert table.column("inbox").to_pylist() == [None, 2]        # sorted by date: 1/8 first
    frame = reshape.engagement_daily(payload, "P", date(2021, 8, 1), date(2021, 8, 2))
    pd.testing.assert_frame_equal(reshape.to_frame(table), frame, check_exact=True)
    assert str(frame["inbox"].dtype) == "Int64" and frame["inbox"].isna().tolist() == [True, False]

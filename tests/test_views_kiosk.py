"""Pure kiosk computations on hand-built frames (ARCHITECTURE.md schemas)."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from pancake.data.core import PageError
from pancake.views import kiosk as kv

D = date(2026, 7, 7)  # a Tuesday


# --- options and playlist -----------------------------------------------------------------

def test_parse_options_defaults_and_values():
    opts, problems = kv.parse_options({})
    assert opts == kv.KioskOptions() and problems == []
    assert opts.tick_seconds == 300
    opts, problems = kv.parse_options({"refresh": "0,2", "rotate": "overview, staff,ads,staff,engagement",
                                       "every": "30", "theme": "dark", "silent": "4"})
    assert problems == []
    assert opts.refresh_minutes == pytest.approx(0.2) and opts.refresh_seconds == pytest.approx(12)
    assert opts.rotate == ("overview", "staff", "ads")  # duplicates and aliases folded
    assert opts.every_seconds == 30 and opts.theme == "dark" and opts.silent_hours == 4
    assert opts.tick_seconds == pytest.approx(12)  # refresh shorter than the rotation step


def test_parse_options_bad_values_are_reported_not_fatal():
    opts, problems = kv.parse_options({"refresh": "soon", "rotate": "overview,nope", "theme": "pink",
                                       "every": "inf", "section": "zzz"}, default_section="ads")
    assert opts.refresh_minutes == kv.DEFAULT_REFRESH_MINUTES and opts.theme == "light"
    assert opts.rotate == ("overview",) and opts.section == "ads" and opts.every_seconds == 60
    assert len(problems) == 5
    # clamped, not refused: a 0 refresh would be a busy loop
    assert kv.parse_options({"refresh": "0"})[0].refresh_minutes == kv.MIN_REFRESH_MINUTES


def test_section_at_rotates_like_a_playlist():
    opts = kv.parse_options({"rotate": "overview,staff,ads", "every": "60"})[0]
    assert [kv.section_at(opts, s) for s in (0, 59, 60, 125, 180, 241)] == \
        ["overview", "overview", "staff", "ads", "overview", "staff"]
    assert kv.section_at(kv.parse_options({}, default_section="staff")[0], 1000) == "staff"
    assert kv.section_at(kv.parse_options({"rotate": "tags"})[0], 1000) == "tags"


# --- five lines ---------------------------------------------------------------------------

def test_five_lines_ranks_changes_and_words_them():
    cur = {("inbox", None): 412.0, ("comment", None): 100.0, ("order_count", None): 5.0,
           ("average_response_time", None): 600_000.0, ("spend", "VND"): 0.0,
           ("customer_inbox_count", None): 50.0}
    prev = {("inbox", None): 305.0, ("comment", None): 200.0, ("order_count", None): 1.0,
            ("average_response_time", None): 300_000.0, ("spend", "VND"): 0.0,
            ("customer_inbox_count", None): 0.0}
    lines = kv.five_lines(cur, prev, D - timedelta(days=7), "vi")
    # appeared from 0 first, then +100 % response time, then -50 % comments, then +35 % inbox;
    # orders (5 vs 1) are below the noise floor, 0 vs 0 spend is no news
    assert [(l.field, l.currency) for l in lines] == [("customer_inbox_count", None), ("average_response_time", None),
                                                      ("comment", None), ("inbox", None)]
    assert lines[3].text == "Tương tác tin nhắn tăng 35 % so với thứ Ba tuần trước (412 so với 305)"
    assert lines[2].text.startswith("Tương tác bình luận giảm 50 %")
    assert lines[1].good is False  # slower replies are bad news
    assert lines[3].good is True
    en = kv.five_lines(cur, prev, D - timedelta(days=7), "en")
    assert en[3].text == "Inbox engagements up 35% on last Tuesday (412 vs 305)"
    assert "10 min" in en[1].text and "5 min" in en[1].text


def test_five_lines_keeps_five_and_skips_missing():
    cur = {(f, None): 100.0 + i * 10 for i, f in enumerate(["inbox", "comment", "order_count",
                                                          "customer_inbox_count", "page_inbox_count",
                                                          "new_customer_count"])}
    prev = {k: 100.0 for k in cur}
    cur[("average_response_time", None)] = math.nan
    prev[("average_response_time", None)] = 1000.0
    lines = kv.five_lines(cur, prev, D, "en")
    assert len(lines) == 5 and lines[0].field == "new_customer_count"
    assert all(l.field != "average_response_time" for l in lines)
    assert kv.five_lines({}, {}, D, "vi") == []


def test_day_values_picks_one_day_and_weights_response_time():
    eng = pd.DataFrame({"page_id": ["a", "a", "b"], "date": pd.to_datetime([D, D - timedelta(days=1), D]),
                        "inbox": pd.array([10, 99, 5], "Int64"), "comment": pd.array([1, 99, pd.NA], "Int64"),
                        "order_count": pd.array([2, 9, 3], "Int64")})
    staff = pd.DataFrame({"page_id": ["a", "a", "b"], "user_id": ["u1", "u2", "u3"], "user_name": ["x", "y", "z"],
                          "hour": pd.to_datetime([datetime(2026, 7, 7, 9), datetime(2026, 7, 7, 10),
                                                  datetime(2026, 7, 6, 10)]),
                          "unique_inbox_count": pd.array([1, 3, 50], "Int64"),
                          "unique_comment_count": pd.array([0, 0, 0], "Int64"),
                          "average_response_time": [100_000.0, 200_000.0, 9_000_000.0]})
    ads = pd.DataFrame({"page_id": ["a", "b", "b"], "currency": ["VND", "VND", "USD"],
                        "spend": [1000.0, math.nan, 2.5]})
    v = kv.day_values(D, engagement=eng, staff_hourly=staff, ads=ads)
    assert v[("inbox", None)] == 15 and v[("comment", None)] == 1 and v[("order_count", None)] == 5
    assert v[("average_response_time", None)] == pytest.approx((100_000 + 3 * 200_000) / 4)  # not a mean of means
    assert v[("spend", "VND")] == 1000 and v[("spend", "USD")] == 2.5


# --- flags --------------------------------------------------------------------------------

def _staff_days(values_by_day: dict[date, tuple[float, int]], user="u1", name="Lan", page="p1") -> pd.DataFrame:
    rows = []
    for d, (ms, sessions) in values_by_day.items():
        rows.append({"page_id": page, "user_id": user, "user_name": name, "hour": datetime(d.year, d.month, d.day, 10),
                     "unique_inbox_count": sessions, "unique_comment_count": 0, "average_response_time": ms})
    f = pd.DataFrame(rows)
    f["unique_inbox_count"] = f["unique_inbox_count"].astype("Int64")
    f["unique_comment_count"] = f["unique_comment_count"].astype("Int64")
    return f


def test_response_time_flag_fires_on_a_jump_against_the_7_day_median():
    base = {D - timedelta(days=i): (240_000.0 + i * 1000, 10) for i in range(1, 8)}
    jump = _staff_days({**base, D: (600_000.0, 8)})
    flags = kv.response_time_flags(jump, D, "vi", {"p1": "Shop A"})
    assert len(flags) == 1 and flags[0].kind == "response_time" and flags[0].subject == "Lan"
    median = 244_000.0
    assert flags[0].value == pytest.approx(600_000 / median)
    assert flags[0].text == "Lan (Shop A): thời gian phản hồi hôm qua 10 phút, gấp 2,5 lần trung vị 7 ngày (4 phút 4 giây)"
    # not enough of a jump (ratio), too small in absolute terms, too few sessions, no baseline
    assert kv.response_time_flags(_staff_days({**base, D: (300_000.0, 8)}), D, "vi") == []
    small = {d: (20_000.0, 10) for d in base}
    assert kv.response_time_flags(_staff_days({**small, D: (100_000.0, 8)}), D, "vi") == []
    assert kv.response_time_flags(_staff_days({**base, D: (600_000.0, 2)}), D, "vi") == []
    two_days = {D - timedelta(days=1): (200_000.0, 10), D - timedelta(days=2): (200_000.0, 10)}
    assert kv.response_time_flags(_staff_days({**two_days, D: (900_000.0, 10)}), D, "vi") == []


def test_ads_no_purchase_flag():
    ads = pd.DataFrame({"page_id": ["p1", "p1", "p2", "p2"], "ad_id": ["1", "2", "3", "4"],
                        "name": ["Sale", "Retarget", "Free", "Idle"], "currency": ["VND", "VND", "USD", "VND"],
                        "spend": [150_000.0, 90_000.0, 6.5, 0.0], "purchases": [0.0, 3.0, math.nan, 0.0]})
    flags = kv.ads_no_purchase_flags(ads, "en", {"p1": "Shop A"})
    assert [f.subject for f in flags] == ["Sale", "Free"]
    assert flags[0].text == "Ad “Sale” (Shop A) spent ₫150,000 yesterday with no purchase"
    assert "$6.50" in flags[1].text and "(p2)" in flags[1].text


def test_no_reply_flag_counts_silent_hours_up_to_now():
    hours = pd.date_range("2026-07-07 08:00", periods=6, freq="h")  # 08..13
    f = pd.DataFrame({"page_id": ["p1"] * 6, "hour": hours,
                      "customer_inbox_count": pd.array([5, 4, 3, 2, 6, 9], "Int64"),
                      "page_inbox_count": pd.array([4, 3, 0, 0, 0, 0], "Int64")})
    other = f.assign(page_id="p2", page_inbox_count=pd.array([1, 1, 1, 1, 1, 0], "Int64"))
    frame = pd.concat([f, other], ignore_index=True)
    now = datetime(2026, 7, 7, 12, 40)  # 13:00 is in the future: ignored
    flags = kv.no_reply_flags(frame, now, "vi", {"p1": "Shop A"}, hours=3)
    assert len(flags) == 1 and flags[0].page_id == "p1" and flags[0].value == 3  # 10, 11, 12
    assert flags[0].text == "Trang Shop A: 11 tin nhắn của khách, chưa có trả lời trong 3 giờ (từ 10:00)"
    assert kv.no_reply_flags(frame, now, "vi", hours=4) == []
    # customers silent too: nothing to raise
    quiet = f.assign(customer_inbox_count=pd.array([5, 4, 0, 0, 0, 0], "Int64"))
    assert kv.no_reply_flags(quiet, now, "vi", hours=2) == []


def test_token_flag_only_for_auth_errors_once_per_page():
    errs = [PageError("p1", "Shop A", "auth", "statistics/pages: page token was renewed (105)"),
            PageError("p1", "Shop A", "auth", "statistics/users: page token was renewed (105)"),
            PageError("p2", "Shop B", "server", "HTTP 502")]
    flags = kv.token_flags(errs, "en")
    assert [f.page_id for f in flags] == ["p1"]
    assert flags[0].text.startswith("Page Shop A: its token stopped working (statistics/pages")


# --- numbers and figures ------------------------------------------------------------------

def test_overview_kpis_sum_and_weight():
    days = pd.to_datetime([D - timedelta(days=1), D])
    cur = pd.DataFrame({"page_id": ["a", "a"], "date": days, "inbox": pd.array([3, 4], "Int64"),
                        "comment": pd.array([1, pd.NA], "Int64"), "total": pd.array([4, 4], "Int64"),
                        "order_count": pd.array([0, 2], "Int64")})
    totals = pd.DataFrame({"page_id": ["a", "b"], "user_id": ["u1", "u2"], "user_name": ["x", "y"],
                           "unique_inbox_count": pd.array([9, 1], "Int64"),
                           "unique_comment_count": pd.array([0, 0], "Int64"),
                           "average_response_time": [60_000.0, 600_000.0]})
    k = {s.field: s for s in kv.overview_kpis(cur, None, totals, None, D - timedelta(days=1), D)}
    assert k["inbox"].value == 7 and k["comment"].value == 1 and k["order_count"].value == 2
    assert k["inbox"].spark == [3.0, 4.0] and k["inbox"].previous is None
    assert k["average_response_time"].value == pytest.approx((9 * 60_000 + 600_000) / 10)


def test_staff_board_ranks_by_replies():
    totals = pd.DataFrame({"page_id": ["a", "a", "b"], "user_id": ["u1", "u2", "u1"],
                           "user_name": ["Lan", "Nam", "Lan"],
                           "inbox_count": pd.array([5, 20, 1], "Int64"), "comment_count": pd.array([1, 0, 1], "Int64"),
                           "unique_inbox_count": pd.array([5, 10, 1], "Int64"),
                           "unique_comment_count": pd.array([1, 0, 1], "Int64"),
                           "average_response_time": [1000.0, 2000.0, 3000.0]})
    board = kv.staff_board(totals, {"a": "Shop A"})
    assert list(board["user_name"]) == ["Nam", "Lan", "Lan"]
    assert list(board["replies"]) == [20, 6, 2] and list(board["page_name"]) == ["Shop A", "Shop A", "b"]


def test_ads_kpis_per_currency_recomputed_from_sums():
    ads = pd.DataFrame({"page_id": ["a", "a", "b"], "ad_id": ["1", "2", "3"], "name": ["x", "y", "z"],
                        "currency": ["VND", "VND", "USD"],
                        "spend": [100_000.0, 300_000.0, 50.0], "purchases": [2.0, 0.0, 1.0],
                        "purchases_conversion_value": [1_000_000.0, 0.0, 10.0], "purchase_roas": [10.0, 0.0, 0.2]})
    assert kv.main_currency(ads) == "VND"
    k = {s.field: s for s in kv.ads_kpis(ads, None, "VND")}
    assert k["spend"].value == 400_000 and k["purchases"].value == 2
    assert k["cost_per_purchase"].value == 200_000 and k["roas"].value == pytest.approx(2.5)
    assert k["spend"].currency == "VND"
    top = kv.top_ads(ads, "VND")
    assert list(top["ad_id"]) == ["2", "1"]


def test_figures_carry_the_numbers():
    hourly = pd.DataFrame({"page_id": ["a", "b"], "hour": pd.to_datetime(["2026-07-07 09:00", "2026-07-07 09:00"]),
                           "customer_inbox_count": pd.array([3, 4], "Int64"),
                           "page_inbox_count": pd.array([1, 1], "Int64")})
    frame = kv.hourly_today(hourly, D)
    assert len(frame) == 24 and frame.loc[9, "customer_inbox_count"] == 7 and frame["page_inbox_count"].sum() == 2
    fig = kv.hourly_figure(frame, {"customer_inbox_count": "Khách", "page_inbox_count": "Trang"}, "dark")
    assert [t.name for t in fig.data] == ["Khách", "Trang"] and list(fig.data[0].y)[9] == 7
    assert fig.layout.template.layout.paper_bgcolor is not None and fig.layout.font.size == 18
    bars = kv.bars_figure(["x", "y"], [5, 3], ["5", "3"], "light")
    assert list(bars.data[0].x) == [3.0, 5.0]  # first item on top
    tags = pd.DataFrame({"page_id": ["a", "b", "a"], "date": pd.to_datetime([D, D, D]), "tag_id": ["1", "1", "2"],
                         "tag_name": ["Hỏi giá", "Hỏi giá", "Spam"], "count": pd.array([2, 3, 9], "Int64")})
    assert kv.top_tags(tags).values.tolist() == [["Spam", 9], ["Hỏi giá", 5]]

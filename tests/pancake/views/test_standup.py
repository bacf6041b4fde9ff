"""Pure standup-screen computations on hand-built frames (the frames of pancake.data.reshape): options,
the cards picked from the pages' KPIs, the five lines, the flags, the figures."""
from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from pancake.data.core import PageError, Result
from pancake.numbers import metrics
from pancake.numbers.views import ads as va
from pancake.numbers.views import briefing as bf
from pancake.numbers.views import engagement as ve
from pancake.numbers.views import staff as vs
from pancake.numbers.views import standup as sv
from pancake.numbers.views.cards import Kpi

D = date(2026, 7, 7)  # a Tuesday


# --- options and playlist -----------------------------------------------------------------

def test_parse_options_defaults_and_values():
    opts, problems = sv.parse_options({})
    assert opts == sv.Options() and problems == []
    assert opts.tick_seconds == 300
    opts, problems = sv.parse_options({"refresh": "0,2", "rotate": "overview, staff,ads,staff,engagement",
                                       "every": "30", "theme": "dark", "silent": "4"})
    assert problems == []
    assert opts.refresh_minutes == pytest.approx(0.2) and opts.refresh_seconds == pytest.approx(12)
    assert opts.rotate == ("overview", "staff", "ads")  # duplicates and aliases folded
    assert opts.every_seconds == 30 and opts.theme == "dark" and opts.silent_hours == 4
    assert opts.tick_seconds == pytest.approx(12)  # refresh shorter than the rotation step


def test_parse_options_bad_values_are_reported_not_fatal():
    opts, problems = sv.parse_options({"refresh": "soon", "rotate": "overview,nope", "theme": "pink",
                                       "every": "inf", "section": "zzz"}, default_section="ads")
    assert opts.refresh_minutes == sv.DEFAULT_REFRESH_MINUTES and opts.theme == "light"
    assert opts.rotate == ("overview",) and opts.section == "ads" and opts.every_seconds == 60
    assert len(problems) == 5
    # clamped, not refused: a 0 refresh would be a busy loop
    assert sv.parse_options({"refresh": "0"})[0].refresh_minutes == sv.MIN_REFRESH_MINUTES


def test_section_at_rotates_like_a_playlist():
    opts = sv.parse_options({"rotate": "overview,staff,ads", "every": "60"})[0]
    assert [sv.section_at(opts, s) for s in (0, 59, 60, 125, 180, 241)] == \
        ["overview", "overview", "staff", "ads", "overview", "staff"]
    assert sv.section_at(sv.parse_options({}, default_section="staff")[0], 1000) == "staff"
    assert sv.section_at(sv.parse_options({"rotate": "tags"})[0], 1000) == "tags"


def test_status_texts():
    assert sv.interval_text(300, "vi") == "5 phút" and sv.interval_text(12, "en") == "12 s"
    assert sv.interval_text(90, "vi") == "1,5 phút"
    now = datetime(2026, 7, 7, 3, 0, tzinfo=UTC)
    assert bf.age_text(now - timedelta(seconds=30), now, "vi") == "vừa xong"
    assert bf.age_text(now - timedelta(minutes=7, seconds=5), now, "en") == "7 min ago"
    # issue 17 item 8: hours as hours, never "125 minutes"
    assert bf.age_text(now - timedelta(minutes=125, seconds=40), now, "en") == "2 h 5 min ago"
    assert bf.age_text(now - timedelta(minutes=125), now, "vi") == "2 giờ 5 phút trước"
    assert sv.clock(now, "Asia/Ho_Chi_Minh") == "10:00:00"
    opts = sv.parse_options({"rotate": "ads,customers", "every": "45"})[0]
    assert sv.schedule_text(opts, "customers", "vi") == "Tự làm mới mỗi 5 phút · Mục 2/2 · chuyển mục mỗi 45 giây"


def test_loads_errors_once_and_the_last_successful_refresh():
    """Issue 17 item 8: the data-age line gives the last successful refresh, not the oldest
    stored fetch (a closed day kept in the store since 11:09), and warns only past twice the
    refresh interval."""
    t0, t1, t2 = (datetime(2026, 7, 7, h, tzinfo=UTC) for h in (1, 2, 3))
    err = PageError("p1", "Shop A", "auth", "token renewed")
    results = [Result({}, [err], fetched_at=t1, pages_ok=["p2"]),
               Result({}, [err, PageError("p2", "B", "server", "502")], fetched_at=t0, pages_ok=["p3"]),
               Result({}, [err], fetched_at=t2, pages_ok=[])]      # failed everywhere: refreshed nothing
    assert [e.page_id for e in bf.errors_of(results)] == ["p1", "p2"]
    assert bf.last_refresh(results) == t1 and bf.last_refresh([]) is None
    now = datetime(2026, 7, 7, 2, 9, tzinfo=UTC)
    assert not bf.is_stale(t1, now, 300)                       # 9 min, refresh every 5: fine
    assert bf.is_stale(t1, now + timedelta(minutes=2), 300)    # 11 min > 2 × 5
    assert bf.is_stale(None, now, 300)


# --- the pages' cards ---------------------------------------------------------------------

def _daily(orders) -> pd.DataFrame:
    days = pd.to_datetime([D - timedelta(days=1), D])
    return pd.DataFrame({"page_id": ["a", "a"], "date": days, "inbox": pd.array([3, 4], "Int64"),
                         "comment": pd.array([1, pd.NA], "Int64"), "total": pd.array([4, 4], "Int64"),
                         "new_customer_replied": pd.array([1, 1], "Int64"),
                         "customer_engagement_new_inbox": pd.array([1, 0], "Int64"),
                         "order_count": pd.array(orders, "Int64"), "old_order_count": pd.array(orders, "Int64")})


TOTALS = pd.DataFrame({"page_id": ["a", "b"], "user_id": ["u1", "u2"], "user_name": ["x", "y"],
                       "inbox_count": pd.array([5, 20], "Int64"), "comment_count": pd.array([1, 0], "Int64"),
                       "phone_number_count": pd.array([1, 2], "Int64"),
                       "unique_inbox_count": pd.array([9, 1], "Int64"),
                       "unique_comment_count": pd.array([0, 0], "Int64"),
                       "average_response_time": [60_000.0, 600_000.0]})


def test_overview_cards_are_the_engagement_and_staff_pages_kpis():
    start = D - timedelta(days=1)
    eng = ve.kpis(_daily([0, 2]), None, start, D)
    staff = vs.kpis(TOTALS, None)
    cards = sv.pick("overview", eng + staff)
    assert [k.field for k in cards] == ["total", "inbox", "comment", "order_count", "average_response_time"]
    assert cards[:4] == [k for f in ("total", "inbox", "comment", "order_count") for k in eng if k.field == f]
    assert cards[4] == next(k for k in staff if k.field == "average_response_time")
    assert cards[1].value == 7 and cards[1].spark == [3.0, 4.0] and cards[1].previous is None
    assert cards[4].value == pytest.approx((9 * 60_000 + 600_000) / 10)  # weighted, not a mean of means


def test_orders_the_api_did_not_send_are_no_card_and_no_line():
    """Regression: an engagement payload without ``order_count`` showed 0 orders on the
    standup (card and five lines); unknown is no card, no line."""
    daily = _daily([pd.NA, pd.NA])
    cards = sv.pick("overview", ve.kpis(daily, None, D - timedelta(days=1), D))
    assert "order_count" not in [k.field for k in cards]
    assert ("order_count", None) not in bf.day_values(D, engagement=daily)
    assert ("order_count", None) not in bf.day_values(D, engagement=daily.drop(columns="order_count"))
    assert bf.day_values(D, engagement=_daily([0, 2]))[("order_count", None)] == 2


def test_cards_keep_their_sparklines_on_either_theme():
    """Regression: the dark screen dropped every sparkline; the cards are the pages' own, with
    their sparklines, whatever the theme (the dark screen restyles the chart's background)."""
    kpis = [Kpi("inbox", 7, 5, spark=[3.0, 4.0], source="engagement")]
    assert sv.pick("overview", kpis) == kpis and not hasattr(sv, "for_theme")


ADS = pd.DataFrame({"page_id": ["a", "a", "a", "b"], "ad_id": ["1", "2", "3", "4"],
                    "name": ["Sale", "Retarget", "Unknown", "Nocur"],
                    "currency": ["VND", "VND", "VND", None],
                    "spend": [100_000.0, 300_000.0, 500_000.0, 70_000.0],
                    "purchases": [2.0, 3.0, math.nan, 0.0],
                    "purchases_conversion_value": [1_000_000.0, 500_000.0, math.nan, 0.0]})


def test_standup_ads_cards_are_the_ads_page_kpis_with_paired_sums():
    """Regression: the standup divided all spend by the purchases of the ads that reported them
    (900.000 / 5 = 180.000 ₫) while the Ads page pairs them (400.000 / 5 = 80.000 ₫)."""
    groups = va.kpis(ADS, None, lang="vi")
    cards = sv.pick("ads", groups[0].items)
    assert groups[0].currency == "VND"
    assert [k.field for k in cards] == ["spend", "purchases", "cost_per_purchase", "roas"]
    assert cards == [k for f in sv.CARDS["ads"] for k in groups[0].items if k.field == f]
    totals = metrics.ads_totals(ADS[ADS["currency"] == "VND"]).iloc[0]
    by_field = {k.field: k.value for k in cards}
    assert by_field["spend"] == 900_000 and by_field["purchases"] == 5
    assert by_field["cost_per_purchase"] == pytest.approx(totals["cost_per_purchase"]) == pytest.approx(80_000)
    assert by_field["roas"] == pytest.approx(totals["roas"]) == pytest.approx(1_500_000 / 400_000)
    assert all(k.currency in ("VND", None) for k in cards)


def test_an_ad_without_currency_is_never_added_to_vnd():
    """Regression: ``fillna("VND")`` put an ad with no currency into the đồng totals."""
    vnd = sv.pick("ads", va.kpis(ADS, None, lang="vi")[0].items)
    assert vnd[0].value == 900_000  # not 970.000
    assert list(sv.top_ads(ADS, "VND")["ad_id"]) == ["3", "2", "1"]
    assert list(sv.top_ads(ADS, "")["ad_id"]) == ["4"]
    values = bf.day_values(D, ads=ADS)
    assert values[("spend", "VND")] == 900_000 and values[("spend", "")] == 70_000
    line = bf.five_lines({("spend", ""): 70_000.0}, {("spend", ""): 35_000.0}, "vi")[0]
    assert line.text == "Chi tiêu (—): 70.000,00, tăng 100 % (tuần trước 35.000,00)"


# --- five lines ---------------------------------------------------------------------------

def test_five_lines_ranks_changes_and_words_them():
    cur = {("inbox", None): 412.0, ("comment", None): 100.0, ("order_count", None): 5.0,
           ("average_response_time", None): 600_000.0, ("spend", "VND"): 0.0,
           ("customer_inbox_count", None): 50.0}
    prev = {("inbox", None): 305.0, ("comment", None): 200.0, ("order_count", None): 1.0,
            ("average_response_time", None): 300_000.0, ("spend", "VND"): 0.0,
            ("customer_inbox_count", None): 0.0}
    lines = bf.five_lines(cur, prev, "vi")
    # appeared from 0 first, then +100 % response time, then -50 % comments, then +35 % inbox;
    # orders (5 vs 1) are below the noise floor, 0 vs 0 spend is no news
    assert [(li.field, li.currency) for li in lines] == [("customer_inbox_count", None),
                                                        ("average_response_time", None),
                                                        ("comment", None), ("inbox", None)]
    assert lines[3].text == "Tương tác tin nhắn: 412, tăng 35 % (tuần trước 305)"
    assert lines[2].text.startswith("Tương tác bình luận: 100, giảm 50 %")
    assert lines[0].text == "Tin nhắn của khách: 50 (tuần trước 0)"
    assert lines[1].good is False  # slower replies are bad news
    assert lines[3].good is True
    en = bf.five_lines(cur, prev, "en")
    assert en[3].text == "Inbox engagements: 412, up 35% (last week 305)"
    assert "10 min" in en[1].text and "5 min" in en[1].text


def test_five_lines_keeps_five_and_skips_missing():
    cur = {(f, None): 100.0 + i * 10 for i, f in enumerate(["inbox", "comment", "order_count",
                                                          "customer_inbox_count", "page_inbox_count",
                                                          "new_customer_count"])}
    prev = {k: 100.0 for k in cur}
    cur[("average_response_time", None)] = math.nan
    prev[("average_response_time", None)] = 1000.0
    lines = bf.five_lines(cur, prev, "en")
    assert len(lines) == 5 and lines[0].field == "new_customer_count"
    assert all(li.field != "average_response_time" for li in lines)
    assert bf.five_lines({}, {}, "vi") == []


def test_lines_title_names_the_day_and_the_weekday_it_is_set_against():
    assert bf.lines_title(D, D + timedelta(days=1), "vi") == "Hôm qua (07/07/2026) so với thứ Ba tuần trước"
    assert bf.lines_title(D, D + timedelta(days=1), "en") == "Yesterday (7 Jul 2026) against last Tuesday"
    same = bf.five_lines({("inbox", None): 40.0}, {("inbox", None): 40.0}, "en")
    assert [li.text for li in same] == ["Inbox engagements: 40, unchanged on last week"]


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
    v = bf.day_values(D, engagement=eng, staff_hourly=staff, ads=ads)
    assert v[("inbox", None)] == 15 and v[("comment", None)] == 1 and v[("order_count", None)] == 5
    assert v[("average_response_time", None)] == pytest.approx((100_000 + 3 * 200_000) / 4)  # not a mean of means
    assert v[("spend", "VND")] == 1000 and v[("spend", "USD")] == 2.5
    assert ("new_customer_count", None) not in v  # not loaded: unknown, not 0


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
    flags = bf.response_time_flags(jump, D)
    assert len(flags) == 1 and flags[0].kind == "response_time" and flags[0].subject == "Lan"
    median = 244_000.0
    assert flags[0].figures["x"] == pytest.approx(600_000 / median) and flags[0].day == D
    assert bf.flag_text(flags[0], "vi", {"p1": "Shop A"}, today=D + timedelta(days=1)) == \
        "Lan (Shop A): thời gian phản hồi hôm qua 10 phút, gấp 2,5 lần trung vị 7 ngày (4 phút 4 giây)"
    assert bf.flag_text(flags[0], "en", {"p1": "Shop A"}, today=D) == \
        "Lan (Shop A): response time today 10 min, 2.5× the 7-day median (4 min 4 s)"
    # not enough of a jump (ratio), too small in absolute terms, too few sessions, no baseline
    assert bf.response_time_flags(_staff_days({**base, D: (300_000.0, 8)}), D) == []
    small = {d: (20_000.0, 10) for d in base}
    assert bf.response_time_flags(_staff_days({**small, D: (100_000.0, 8)}), D) == []
    assert bf.response_time_flags(_staff_days({**base, D: (600_000.0, 2)}), D) == []
    two_days = {D - timedelta(days=1): (200_000.0, 10), D - timedelta(days=2): (200_000.0, 10)}
    assert bf.response_time_flags(_staff_days({**two_days, D: (900_000.0, 10)}), D) == []


def test_ads_no_purchase_flag_only_on_a_reported_zero():
    """Regression: null purchases (unknown: the API sent no result) were flagged as "no
    purchase", and an ad with no currency had its spend shown in đồng."""
    ads = pd.DataFrame({"page_id": ["p1", "p1", "p2", "p2", "p2"], "ad_id": ["1", "2", "3", "4", "5"],
                        "name": ["Sale", "Retarget", "Free", "Idle", "Nocur"],
                        "currency": ["VND", "VND", "USD", "VND", None],
                        "spend": [150_000.0, 90_000.0, 6.5, 0.0, 80_000.0],
                        "purchases": [0.0, 3.0, math.nan, 0.0, 0.0]})
    flags = bf.ads_no_purchase_flags(ads, D)
    assert [f.subject for f in flags] == ["Sale", "Nocur"]  # "Free" (null purchases) is unknown
    texts = [bf.flag_text(f, "en", {"p1": "Shop A"}, today=D + timedelta(days=1)) for f in flags]
    assert texts[0] == "Ad “Sale” (Shop A) spent ₫150,000 yesterday with no purchase"
    assert texts[1] == "Ad “Nocur” (p2) spent 80,000.00 yesterday with no purchase"  # no ₫


def test_a_day_not_over_flags_an_ad_only_once_it_spent_what_a_purchase_costs_it():
    """Just after midnight every ad that spends has no purchase yet: on a day not over, "spent
    with no purchase" needs today's spend to reach what a purchase cost the ad over the days
    before (three times their spend / their purchases), or no purchase then either. Numbers by hand."""
    today = pd.DataFrame({"page_id": ["p1"] * 5, "ad_id": ["1", "2", "3", "4", "5"],
                          "name": ["Early", "Costly", "Never", "New", "Bought"],
                          "currency": ["VND"] * 5,
                          "spend": [74_917.0, 320_000.0, 5_000.0, 8_000.0, 60_000.0],
                          "purchases": [0.0, 0.0, 0.0, 0.0, 2.0]})
    week = pd.DataFrame({"page_id": ["p1"] * 4, "ad_id": ["1", "2", "3", "5"],
                         "name": ["Early", "Costly", "Never", "Bought"], "currency": ["VND"] * 4,
                         # cost per purchase: 1,400,000 / 19 = 73,684 ₫; 2,000,000 / 20 = 100,000 ₫;
                         # "Never" spent all week and bought nothing (no such cost)
                         "spend": [1_400_000.0, 2_000_000.0, 300_000.0, 500_000.0],
                         "purchases": [19.0, 20.0, 0.0, 10.0]})
    flagged = [f.subject for f in bf.ads_no_purchase_flags(today, D, before=week)]
    # Early: 74,917 < 3 × 73,684 = 221,053 (not yet); Costly: 320,000 >= 3 × 100,000; Never: nothing bought then
    # either; New: no days before; Bought: has purchases today
    assert flagged == ["Costly", "New", "Never"]                 # most spend first
    # a closed day (no ``before``): the plain rule, every reported zero with spend
    assert [f.subject for f in bf.ads_no_purchase_flags(today, D)] == ["Costly", "Early", "New", "Never"]
    # an ordinary early morning: every ad below its usual cost per purchase -> no flag at all
    calm = today[today["ad_id"].isin(["1", "5"])]
    assert bf.ads_no_purchase_flags(calm, D, before=week) == []
    assert bf.ads_no_purchase_flags(today.iloc[0:0], D, before=week) == []


def test_no_reply_flag_counts_from_the_first_unanswered_hour_up_to_now():
    hours = pd.date_range("2026-07-07 08:00", periods=6, freq="h")  # 08..13
    f = pd.DataFrame({"page_id": ["p1"] * 6, "hour": hours,
                      "customer_inbox_count": pd.array([5, 4, 3, 2, 6, 9], "Int64"),
                      "page_inbox_count": pd.array([4, 3, 0, 0, 0, 0], "Int64")})
    other = f.assign(page_id="p2", page_inbox_count=pd.array([1, 1, 1, 1, 1, 0], "Int64"))
    frame = pd.concat([f, other], ignore_index=True)
    now = datetime(2026, 7, 7, 13, 10)  # 10:00 .. 13:10: 3 h 10 min at most
    flags = bf.no_reply_flags(frame, now, hours=3)
    assert len(flags) == 1 and flags[0].page_id == "p1"
    assert flags[0].figures["wait_ms"] == (3 * 60 + 10) * 60_000
    assert flags[0].figures["messages"] == 3 + 2 + 6 + 9
    assert bf.flag_text(flags[0], "vi", {"p1": "Shop A"}, today=D) == \
        "Trang Shop A: 20 tin nhắn của khách từ 10:00 chưa được trả lời (chờ tối đa 3 giờ 10 phút)"
    assert bf.no_reply_flags(frame, now, hours=4) == []
    # customers silent too: nothing to raise
    quiet = f.assign(customer_inbox_count=pd.array([5, 4, 0, 0, 0, 0], "Int64"))
    assert bf.no_reply_flags(quiet, now, hours=2) == []


def test_token_flag_only_for_auth_errors_once_per_page():
    errs = [PageError("p1", "Shop A", "auth", "statistics/pages: page token was renewed (105)"),
            PageError("p1", "Shop A", "auth", "statistics/users: page token was renewed (105)"),
            PageError("p2", "Shop B", "server", "HTTP 502")]
    flags = bf.token_flags(errs)
    assert [f.page_id for f in flags] == ["p1"]
    assert bf.flag_text(flags[0], "en", today=D).startswith("Page Shop A: its token stopped working (statistics/pages")


# --- boards and figures -------------------------------------------------------------------

def test_staff_board_is_the_staff_pages_ranking_across_pages():
    """One member on two pages is one bar, as on the Staff page: replies summed, response time
    weighted by reply sessions (Lan: 6 sessions at 1 s on Shop A, 2 at 9 s on b -> 3 s)."""
    from pancake.numbers.views import staff as staff_views
    totals = pd.DataFrame({"page_id": ["a", "a", "b"], "user_id": ["u1", "u2", "u1"],
                           "user_name": ["Lan", "Nam", "Lan"],
                           "inbox_count": pd.array([5, 20, 1], "Int64"), "comment_count": pd.array([1, 0, 1], "Int64"),
                           "unique_inbox_count": pd.array([5, 10, 1], "Int64"),
                           "unique_comment_count": pd.array([1, 0, 1], "Int64"),
                           "average_response_time": [1000.0, 2000.0, 9000.0]})
    board = sv.staff_board(totals, {"a": "Shop A"})
    assert list(board["user_name"]) == ["Nam", "Lan"]
    assert list(board["replies"]) == [20, 8] and list(board["page_name"]) == ["Shop A", "Shop A, b"]
    assert list(board["average_response_time"]) == [2000.0, 3000.0]
    # the same people, order and response times as the Staff page's leaderboard
    page = staff_views.leaderboard(totals, {"a": "Shop A"})
    assert list(page["user_id"]) == list(board["user_id"])
    assert list(page["average_response_time"]) == list(board["average_response_time"])
    fig = sv.staff_figure(totals, {"a": "Shop A"}, "en", "light")
    assert list(fig.data[0].y) == ["Lan", "Nam"]               # first on top; no namesakes: no page
    assert "20 · 2 s" in list(fig.data[0].text) and "8 · 3 s" in list(fig.data[0].text)


def test_figures_carry_the_numbers():
    hourly = pd.DataFrame({"page_id": ["a", "b"], "hour": pd.to_datetime(["2026-07-07 09:00", "2026-07-07 09:00"]),
                           "customer_inbox_count": pd.array([3, 4], "Int64"),
                           "page_inbox_count": pd.array([1, 1], "Int64")})
    frame = sv.hourly_today(hourly, D)
    assert len(frame) == 24 and frame.loc[9, "customer_inbox_count"] == 7 and frame["page_inbox_count"].sum() == 2
    fig = sv.hourly_figure(frame, {"customer_inbox_count": "Khách", "page_inbox_count": "Trang"}, "dark", lang="vi")
    assert [t.name for t in fig.data] == ["Khách", "Trang"] and list(fig.data[0].y)[9] == 7
    assert fig.layout.template.layout.paper_bgcolor is not None and fig.layout.font.size == 18
    bars = sv.bars_figure(["x", "y"], [5, 3], ["5", "3"], "light", lang="en")
    assert list(bars.data[0].x) == [3.0, 5.0]  # first item on top
    top = pd.DataFrame({"tag_name": ["Spam", "Hỏi giá"], "count": [9, 5]})
    assert list(sv.tags_figure(top, "vi", "light").data[0].text) == ["5", "9"]
    ads_fig = sv.top_ads_figure(ADS, "VND", "vi", "light")
    assert list(ads_fig.data[0].text)[-1] == "500.000 ₫"
    assert sv.top_ads_figure(ADS, "USD", "vi", "light") is None


def test_trend_labels_leave_out_an_unsent_series():
    daily = _daily([pd.NA, pd.NA])
    assert list(sv.trend_labels(daily, ("inbox", "comment", "order_count"), "en", "engagement")) == \
        ["inbox", "comment"]


# --- failing pages, the order of flags, the pages needing attention ---------------------------

ERRS = [PageError("p1", "Shop A", "auth", "page token was renewed (105)"),
        PageError("p2", "Shop B", "timeout", "no answer in 30 s"),
        PageError("p2", "Shop B", "server", "HTTP 502"),
        PageError("p3", "Shop C", "server", "HTTP 502")]


def test_a_page_whose_data_did_not_load_is_a_flag_once():
    """Regression: a page failing for another reason than its token stacked one warning box
    per load above the screen (and pushed the flags off it); it is one flag per page now."""
    flags = bf.failure_flags(ERRS)
    assert [(f.kind, f.page_id) for f in flags] == [("failed", "p2"), ("failed", "p3")]
    assert bf.flag_text(flags[0], "en", today=D) == "Page Shop B: its data did not load; the numbers on screen leave it out."
    assert [f.page_id for f in bf.token_flags(ERRS)] == ["p1"]


def _flag(kind: str, page: str, subject: str = "", wait_h: float = 1.0) -> bf.Flag:
    figures = {"wait_ms": wait_h * 3_600_000, "x": 2.0, "spend": 1.0}
    return bf.Flag(kind, page, subject or page, figures)


def test_flags_most_serious_first():
    flags = [_flag("ads_no_purchase", "a"), _flag("response_time", "b"), _flag("token", "c"),
             _flag("no_reply", "d"), _flag("failed", "e"), _flag("ads_no_purchase", "f")]
    assert [f.kind for f in bf.by_severity(flags)] == ["token", "failed", "no_reply", "response_time",
                                                      "ads_no_purchase", "ads_no_purchase"]
    assert [f.page_id for f in bf.by_severity(flags)][-2:] == ["a", "f"]  # a kind keeps its own order


def test_pages_needing_attention_worst_first_one_line_each():
    names = {"a": "Shop A", "b": "Shop B", "c": "Shop C", "d": "Shop D"}
    flags = [_flag("ads_no_purchase", "a", "Sale"), _flag("ads_no_purchase", "a", "Retarget"),
             _flag("response_time", "a", "Lan"),
             _flag("ads_no_purchase", "b", "Sale"),
             _flag("no_reply", "c", "Shop C", 4.0), _flag("ads_no_purchase", "c", "Tết"),
             _flag("token", "d", "Shop D"),
             _flag("failed", "x", "Gone shop")]
    items = bf.attention(flags, "vi", names)
    # the token first, then data missing, then customers waiting; then by how many flags
    assert [i.page_id for i in items] == ["d", "x", "c", "a", "b"]
    assert [i.worst for i in items] == ["token", "failed", "no_reply", "response_time", "ads_no_purchase"]
    assert items[0].text == "Shop D: token hỏng, vào Cài đặt"
    assert items[1].text == "Gone shop: không tải được số liệu"   # a page without a name: its error's
    assert items[2].text == "Shop C: khách chờ trả lời tới 4 giờ · quảng cáo “Tết” chi tiền, chưa có lượt mua"
    assert items[3].text == "Shop A: Lan trả lời chậm · 2 quảng cáo chi tiền, chưa có lượt mua"
    assert items[3].count == 3
    en = bf.attention(flags, "en", names)
    assert en[3].text == "Shop A: Lan slow to reply · 2 ads spent with no purchase"
    assert bf.attention([], "en") == []


def test_figures_are_sized_and_lettered_for_the_tv():
    """Every standup figure fits the screen's chart slot, and every text on it (ticks, legend,
    text on bars, hover) is at least 18 px; bar text is never shrunk to fit its bar."""
    hourly = pd.DataFrame({"page_id": ["a"], "hour": pd.to_datetime(["2026-07-07 09:00"]),
                           "customer_inbox_count": pd.array([3], "Int64"), "page_inbox_count": pd.array([1], "Int64")})
    figs = [sv.hourly_figure(sv.hourly_today(hourly, D), {"customer_inbox_count": "K"}, "light", lang="vi"),
            sv.trend_figure(_daily([0, 2]), D - timedelta(days=1), D, {"inbox": "Inbox"}, "dark", lang="en"),
            sv.staff_figure(TOTALS, {}, "vi", "dark"),
            sv.top_ads_figure(ADS, "VND", "vi", "light"),
            sv.tags_figure(pd.DataFrame({"tag_name": ["Spam"], "count": [9]}), "vi", "light")]
    for fig in figs:
        layout = fig.layout
        assert layout.height == sv.CHART_HEIGHT
        assert layout.font.size == layout.legend.font.size == layout.hoverlabel.font.size == sv.CHART_FONT_SIZE >= 18
        assert layout.uniformtext.minsize == sv.CHART_FONT_SIZE and layout.uniformtext.mode == "show"
        assert all(t.textfont.size == sv.CHART_FONT_SIZE for t in fig.data if t.type == "bar")
        assert "Source Sans" in layout.font.family
    assert figs[1].layout.template.layout.paper_bgcolor is not None   # plotly_dark on the dark screen


def test_pages_of_equal_need_are_in_natural_name_order():
    flags = [_flag("ads_no_purchase", p, "Sale") for p in ("s12", "s2", "s1")]
    names = {"s12": "Shop #12", "s2": "Shop #2", "s1": "shop #1"}
    assert [i.page for i in bf.attention(flags, "en", names)] == ["shop #1", "Shop #2", "Shop #12"]


def test_a_one_day_range_charts_its_hours_summed_over_pages_and_the_future_blank():
    hours = pd.date_range(datetime(D.year, D.month, D.day), periods=24, freq="h")
    frame = pd.concat([pd.DataFrame({"page_id": pid, "hour": hours,
                                     "inbox": pd.array(range(24), dtype="Int64"),
                                     "comment": pd.array([k] * 24, dtype="Int64")}) for k, pid in ((1, "a"), (2, "b"))])
    got = sv.hours_of_day(frame, ("inbox", "comment"), D, "Asia/Ho_Chi_Minh",
                          now=datetime(D.year, D.month, D.day, 10, 30))
    assert len(got) == 24
    assert list(got["inbox"][:11]) == [2 * h for h in range(11)]          # two pages, 00:00 .. 10:00
    assert list(got["comment"][:11]) == [3] * 11
    assert got.loc[11:, ["inbox", "comment"]].isna().all().all()           # after now: unknown, not 0
    fig = sv.hourly_figure(got, {"inbox": "Inbox", "comment": "Comment"}, "dark", lang="vi", partial=True)
    assert [len([y for y in t.y if y is not None]) for t in fig.data if t.name in ("Inbox", "Comment")] == [11, 11]


def test_tv_top_ads_name_the_page_when_two_ads_share_a_name():
    """Regression (issue 19): the TV labelled its top ads by name only, so "Sale" on shop A and
    "Sale" on shop B read as one ad. As on the Ads page: a shared name gets its page, a name
    shared on one page also the end of its ad id; a lone name stays bare."""
    ads = pd.DataFrame({"page_id": ["p1", "p2", "p2", "p2", "p3"],
                        "ad_id": ["11", "22", "9001", "9002", "33"],
                        "name": ["Sale", "Sale", "Flash", "Flash", "Retarget"],
                        "currency": ["VND"] * 5,
                        "spend": [500.0, 400.0, 300.0, 200.0, 100.0],
                        "purchases": [1.0, 1.0, None, 0.0, 2.0],
                        "purchases_conversion_value": [1.0, 1.0, None, 0.0, 2.0]})
    names = {"p1": "Shop A", "p2": "Shop B"}
    fig = sv.top_ads_figure(ads, "VND", "en", "light", names)
    assert list(fig.data[0].y)[::-1] == ["Sale · Shop A", "Sale · Shop B", "Flash · Shop B · …9001",
                                         "Flash · Shop B · …9002", "Retarget"]
    # a page without a known name is named by its id (never "nan"), and no names given still works
    ads.loc[4, "name"] = "Sale"
    labels = list(sv.top_ads_figure(ads, "VND", "vi", "dark").data[0].y)[::-1]
    assert labels == ["Sale · p1", "Sale · p2", "Flash · p2 · …9001", "Flash · p2 · …9002", "Sale · p3"]
    empty = ads.assign(currency="USD")
    assert sv.top_ads_figure(empty, "VND", "vi", "light", names) is None

"""The simulator answers the way the reference says Pancake answers, and its numbers add up."""
from __future__ import annotations

import signal
import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from pancake.api.simulator import (
    DEMO_PAGE_IDS,
    DEMO_PAGE_TOKENS,
    DEMO_PAGES,
    DEMO_USER_TOKEN,
    FaultRule,
    Faults,
    PageSpec,
    Simulator,
    serve,
)
from pancake.timeutil import day_bounds_unix, format_date_range, parse_category
from tests.conftest import ROOT

NOW = datetime(2026, 7, 6, 14, 30)  # a Monday, local time
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
P1, P2, P3, P4, P5 = DEMO_PAGE_IDS  # dm/id/int, dmy/prefixed/pin_total, dmy/id/pin_total, zalo, whatsapp


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sim(clock):
    return Simulator(now=NOW, clock=clock)


def client(s: Simulator) -> httpx.Client:
    return httpx.Client(transport=s.transport(), base_url="https://pages.fm/api")


def page_get(s, clock, page_id, endpoint, token=None, **params):
    clock.t += 1.0  # stay under the rate limit
    tok = token if token is not None else s.page_token(page_id)
    with client(s) as c:
        return c.get(f"/public_api/v1/pages/{page_id}/{endpoint}", params={"page_access_token": tok, **params})


def eng(s, clock, page_id, start, end, **kw):
    return page_get(s, clock, page_id, "statistics/customer_engagements",
                    date_range=format_date_range(start, end), **kw)


def series(payload) -> dict:
    return {x["name"]: x["data"] for x in payload["data"]["series"]}


# --- pages list and tokens -------------------------------------------------------------------

def test_pages_categorized_by_default_and_documented_shape(sim, clock):
    with client(sim) as c:
        r = c.get("/v1/pages", params={"access_token": DEMO_USER_TOKEN})
        body = r.json()
        assert r.status_code == 200 and body["success"] is True
        cat = body["categorized"]
        assert cat["activated_page_ids"] == DEMO_PAGE_IDS
        assert [p["id"] for p in cat["activated"]] == DEMO_PAGE_IDS
        assert {p["platform"] for p in cat["activated"]} == {"facebook", "instagram", "zalo", "whatsapp"}
        assert all({"id", "name", "platform", "avatar_url"} <= set(p) for p in cat["activated"])
        assert all(p["id"] not in DEMO_PAGE_IDS for p in cat["inactivated"])
        sim.pages_shape = "documented"
        clock.t += 1
        body = c.get("/v1/pages", params={"access_token": DEMO_USER_TOKEN}).json()
        assert set(body) == {"pages"}
        assert [p["name"] for p in body["pages"]][0] == "Thời Trang Linh Chi"


def test_demo_constants():
    assert len(DEMO_PAGES) == 5 and set(DEMO_PAGE_TOKENS) == set(DEMO_PAGE_IDS)
    assert len(set(DEMO_PAGE_TOKENS.values())) == 5 and DEMO_USER_TOKEN not in DEMO_PAGE_TOKENS.values()
    assert any(p.id.startswith("zl_") for p in DEMO_PAGES) and any(p.id.startswith("wa_") for p in DEMO_PAGES)
    # the default demo exercises every variant
    assert {p.category_style for p in DEMO_PAGES} == {"dm", "dmy"}
    assert {p.tag_key_style for p in DEMO_PAGES} == {"id", "prefixed"}
    assert {p.tag_value_style for p in DEMO_PAGES} == {"int", "pin_total"}
    assert {p.ads_wrapped for p in DEMO_PAGES} == {True, False}
    assert {p.ads_numbers for p in DEMO_PAGES} == {"string", "number"}
    assert {p.new_customers_endpoints for p in DEMO_PAGES} >= {("customers",), ("page_customers",)}
    assert {a.currency for p in DEMO_PAGES for a in p.ads} == {"VND", "USD"}


def test_generate_page_token_kills_the_old_one(sim, clock):
    old = sim.page_token(P1)
    with client(sim) as c:
        r = c.post(f"/v1/pages/{P1}/generate_page_access_token",
                   params={"access_token": DEMO_USER_TOKEN, "page_id": P1}, json={"ignored": True})
    body = r.json()
    assert r.status_code == 200 and body["success"] is True
    new = body["page_access_token"]
    assert new and new != old and sim.page_token(P1) == new
    r = eng(sim, clock, P1, date(2026, 7, 1), date(2026, 7, 6), token=old)
    assert r.status_code == 200
    assert r.json() == {"success": False, "error_code": 105, "message": r.json()["message"]}
    assert eng(sim, clock, P1, date(2026, 7, 1), date(2026, 7, 6), token=new).json()["success"] is True
    # direct API too
    newer = sim.regenerate_page_token(P1)
    assert eng(sim, clock, P1, date(2026, 7, 1), date(2026, 7, 6), token=new).json()["error_code"] == 105
    assert eng(sim, clock, P1, date(2026, 7, 1), date(2026, 7, 6), token=newer).json()["success"] is True


@pytest.mark.parametrize("token", ["", "nope", None])
def test_bad_page_token_is_102_on_http_200(sim, clock, token):
    tok = DEMO_USER_TOKEN if token is None else token  # the user token is not a page token
    r = eng(sim, clock, P1, date(2026, 7, 1), date(2026, 7, 6), token=tok)
    assert r.status_code == 200
    assert r.json() == {"success": False, "error_code": 102, "message": "Invalid access token"}


def test_page_token_of_another_page_and_revoked_token(sim, clock):
    r = eng(sim, clock, P2, date(2026, 7, 1), date(2026, 7, 6), token=sim.page_token(P1))
    assert r.json()["error_code"] == 102
    sim.revoke(sim.page_token(P3))
    assert eng(sim, clock, P3, date(2026, 7, 1), date(2026, 7, 6)).json()["error_code"] == 102
    with client(sim) as c:
        sim.revoke(DEMO_USER_TOKEN)
        assert c.get("/v1/pages", params={"access_token": DEMO_USER_TOKEN}).json()["error_code"] == 102


def test_expired_user_token_both_modes(sim, clock):
    with client(sim) as c:
        sim.expire_user_token("103")
        r = c.get("/v1/pages", params={"access_token": DEMO_USER_TOKEN})
        assert r.status_code == 200 and r.json()["error_code"] == 103 and r.json()["success"] is False
        clock.t += 1
        sim.expire_user_token("401")
        assert c.get("/v1/pages", params={"access_token": DEMO_USER_TOKEN}).status_code == 401
        clock.t += 1
        sim.expire_user_token(None)
        assert c.get("/v1/pages", params={"access_token": DEMO_USER_TOKEN}).json()["success"] is True
        clock.t += 1
        assert c.get("/v1/pages").json()["error_code"] == 102


def test_unknown_routes(sim, clock):
    with client(sim) as c:
        assert c.get("/v1/nope", params={"access_token": DEMO_USER_TOKEN}).status_code == 406
        assert c.get("/v1/pages/x/whatever", params={"access_token": DEMO_USER_TOKEN}).status_code == 406
    assert page_get(sim, clock, P1, "statistics/nope").status_code == 404
    # new customers: P2 only has page_customers, P3 only customers
    assert page_get(sim, clock, P2, "statistics/customers", date_range="01/07/2026 - 06/07/2026").status_code == 404
    assert page_get(sim, clock, P2, "statistics/page_customers", date_range="01/07/2026 - 06/07/2026").status_code == 200
    assert page_get(sim, clock, P3, "statistics/page_customers", date_range="01/07/2026 - 06/07/2026").status_code == 404
    assert page_get(sim, clock, P3, "statistics/customers", date_range="01/07/2026 - 06/07/2026").status_code == 200


# --- rate limit ---------------------------------------------------------------------------------

def test_rate_limit_sliding_window_per_page(sim, clock):
    with client(sim) as c:
        def call(pid):
            return c.get(f"/public_api/v1/pages/{pid}/tags", params={"page_access_token": sim.page_token(pid)})
        codes = [call(P1).status_code for _ in range(5)]
        assert codes == [200] * 5
        r = call(P1)
        assert r.status_code == 429
        assert r.json() == {"success": False, "error_code": 429, "message": "Too many requests"}
        assert call(P2).status_code == 200  # other pages count separately
        clock.t += 0.999
        assert call(P1).status_code == 429  # still inside the window of the first call
        clock.t += 0.002
        assert call(P1).status_code == 200
        # user API counts under "user"
        codes = [c.get("/v1/pages", params={"access_token": DEMO_USER_TOKEN}).status_code for _ in range(6)]
        assert codes == [200] * 5 + [429]
    calls = sim.calls
    assert [x.status for x in calls if x.page_id == P1].count(429) == 2
    assert {x.page_id for x in calls} == {P1, P2, "user"}


def test_call_log_never_keeps_tokens(sim, clock):
    eng(sim, clock, P1, date(2026, 7, 1), date(2026, 7, 6))
    rec = sim.calls[-1]
    t, method, path, page_id, status = rec
    assert (method, page_id, status) == ("GET", P1, 200) and path.endswith("customer_engagements")
    assert rec.params == {"date_range": "01/07/2026 00:00:00 - 06/07/2026 23:59:59"}
    assert sim.page_token(P1) not in repr(sim.calls)


# --- engagement -----------------------------------------------------------------------------------

def test_engagement_shape_newest_first_and_daily_equals_hourly(sim, clock):
    start, end = date(2026, 6, 20), date(2026, 7, 6)
    r = eng(sim, clock, P1, start, end)
    body = r.json()
    cats = body["data"]["categories"]
    assert cats[0] == "6/7" and cats[-1] == "20/6" and len(cats) == 17
    s = series(body)
    assert list(s) == ["inbox", "comment", "total", "new_customer_replied", "customer_engagement_new_inbox",
                       "order_count", "old_order_count"]
    assert all(len(v) == 17 for v in s.values())
    assert all(t == i + c for t, i, c in zip(s["total"], s["inbox"], s["comment"]))
    assert sum(s["total"]) > 500
    hourly = eng(sim, clock, P1, start, end, by_hour="true").json()["statistics"]
    hours = [datetime.fromisoformat(x["hour"]) for x in hourly]
    assert hours == sorted(hours, reverse=True)
    for row in hourly:
        assert row["total"] == row["inbox"] + row["comment"]
        assert row["new_customer_from_inbox"] <= min(row["new_customer"], row["inbox"])
    by_day: dict = {}
    for row, h in zip(hourly, hours):
        acc = by_day.setdefault(h.date(), [0, 0, 0, 0])
        for i, k in enumerate(("inbox", "comment", "new_customer", "new_customer_from_inbox")):
            acc[i] += row[k]
    for i, label in enumerate(cats):
        d = parse_category(label, start, end)
        assert by_day.get(d, [0, 0, 0, 0]) == [s["inbox"][i], s["comment"][i], s["new_customer_replied"][i],
                                                 s["customer_engagement_new_inbox"][i]], d
        assert sim.truth.engagement_day(P1, d)["total"] == s["total"][i]
    ue = body["users_engagements"]
    assert ue and {"user_id", "name", "inbox_count", "order_count", "old_order_count", "total_engagement"} <= set(ue[0])
    assert sum(u["order_count"] for u in ue) == sum(s["order_count"])


def test_year_style_categories(sim, clock):
    cats = eng(sim, clock, P2, date(2026, 7, 4), date(2026, 7, 6)).json()["data"]["categories"]
    assert cats == ["6/7/2026", "5/7/2026", "4/7/2026"]


def test_new_year_crossing_with_day_month_categories(clock):
    s = Simulator(now=datetime(2026, 1, 3, 12, 0), clock=clock)
    start, end = date(2025, 12, 28), date(2026, 1, 3)
    body = eng(s, clock, P1, start, end).json()
    cats = body["data"]["categories"]
    assert cats == ["3/1", "2/1", "1/1", "31/12", "30/12", "29/12", "28/12"]
    dates = [parse_category(c, start, end) for c in cats]
    assert dates[0] == date(2026, 1, 3) and dates[-1] == date(2025, 12, 28)
    for d, v in zip(dates, series(body)["inbox"]):
        assert v == s.truth.engagement_day(P1, d)["inbox"]
    assert len(set(series(body)["inbox"])) > 1  # different days, different numbers


def test_partial_today_and_empty_future(sim, clock):
    hourly = eng(sim, clock, P3, date(2026, 7, 6), date(2026, 7, 8), by_hour="true").json()["statistics"]
    hours = [datetime.fromisoformat(x["hour"]) for x in hourly]
    assert max(hours) == datetime(2026, 7, 6, 14)  # current hour included, nothing later
    body = eng(sim, clock, P3, date(2026, 7, 5), date(2026, 7, 8)).json()
    assert body["data"]["categories"] == ["8/7/2026", "7/7/2026", "6/7/2026", "5/7/2026"]
    tot = series(body)["total"]
    assert tot[0] == tot[1] == 0 and 0 < tot[2] < tot[3]  # today partial, yesterday full
    full_today = sum(sim.truth.engagement_hour(P3, datetime(2026, 7, 6, h))["total"] for h in range(24))
    later = Simulator(now=datetime(2026, 7, 7, 1), clock=clock)
    assert later.truth.engagement_day(P3, date(2026, 7, 6))["total"] > tot[2] == full_today
    since, until = day_bounds_unix(date(2026, 7, 6), date(2026, 7, 6), TZ)
    rows = page_get(sim, clock, P3, "statistics/pages", since=since, until=until).json()["data"]
    assert [r["hour"] for r in rows] == [f"2026-07-06T{h:02d}:00:00" for h in range(15)]


def test_user_ids_filter(sim, clock):
    staff = sim.truth.staff(P1)
    uid = staff[1].id
    body = eng(sim, clock, P1, date(2026, 7, 1), date(2026, 7, 5), user_ids=uid).json()
    ue = body["users_engagements"]
    assert [u["user_id"] for u in ue] == [uid]
    s = series(body)
    assert sum(s["inbox"]) == ue[0]["inbox_count"] and sum(s["total"]) == ue[0]["total_engagement"]
    full = series(eng(sim, clock, P1, date(2026, 7, 1), date(2026, 7, 5)).json())
    assert sum(s["total"]) < sum(full["total"])


# --- staff ------------------------------------------------------------------------------------------

def test_user_stats_totals_are_sums_and_weighted_mean(sim, clock):
    r = page_get(sim, clock, P1, "statistics/users", date_range="01/07/2026 00:00:00 - 06/07/2026 23:59:59")
    data = r.json()["data"]
    assert r.json()["success"] is True and set(data) == {"statistics", "users"}
    assert set(data["statistics"]) == set(data["users"]) and len(data["users"]) >= 3
    names = {s.id: s.name for s in sim.truth.staff(P1)}
    for uid, rows in data["statistics"].items():
        tot = data["users"][uid]
        assert tot["user_name"] == names[uid] and tot["user_fb_id"]
        hours = [r["hour"] for r in rows]
        assert hours == sorted(hours)
        for k in ("inbox_count", "comment_count", "unique_inbox_count", "unique_comment_count",
                  "phone_number_count", "private_reply_count"):
            assert tot[k] == sum(x[k] for x in rows), k
        w = [x["unique_inbox_count"] + x["unique_comment_count"] for x in rows]
        expect = sum(x["average_response_time"] * wi for x, wi in zip(rows, w)) / sum(w)
        assert abs(tot["average_response_time"] - expect) <= 0.5
        plain = sum(x["average_response_time"] for x in rows) / len(rows)
        assert abs(plain - expect) > 1  # a mean of means would be wrong here
        for x in rows:
            assert x["unique_inbox_count"] <= x["inbox_count"] and "order_count" not in x
            h = datetime.fromisoformat(x["hour"])
            assert sim.truth.user_hour(P1, uid, h)["inbox_count"] == x["inbox_count"]
    # staff sessions never exceed the hour's engagements
    for h in range(24):
        hdt = datetime(2026, 7, 5, h)
        e = sim.truth.engagement_hour(P1, hdt)
        rows = [sim.truth.user_hour(P1, s.id, hdt) for s in sim.truth.staff(P1)]
        assert sum(r["unique_inbox_count"] for r in rows if r) <= e["inbox"]


def test_multi_page_user_stats(sim, clock):
    with client(sim) as c:
        r = c.get("/v1/statistics/user", params={"access_token": DEMO_USER_TOKEN, "page_ids": f"{P1},{P3}",
                                                 "date_range": "05/07/2026 00:00:00 - 05/07/2026 23:59:59"})
    body = r.json()
    assert r.status_code == 200 and set(body) == {"statistics", "users"}
    owner = sim.truth.staff(P1)[0].id
    assert owner == sim.truth.staff(P3)[0].id  # shared between the two pages
    rows = body["statistics"][owner]
    assert all("order_count" in x for x in rows)
    s, e = datetime(2026, 7, 5), datetime(2026, 7, 5, 23, 59, 59)
    both = sum(t["inbox_count"] for p in (P1, P3) for u, t in sim.truth.user_totals(p, s, e).items() if u == owner)
    assert body["users"][owner]["inbox_count"] == both == sum(x["inbox_count"] for x in rows)
    with client(sim) as c:
        clock.t += 1
        r = c.get("/v1/statistics/user", params={"access_token": DEMO_USER_TOKEN, "page_ids": P1})
        assert r.status_code == 400 and r.json()["success"] is False and "date_range" in r.json()["message"]


# --- page activity, new customers, tags ------------------------------------------------------------

def test_page_activity_consistent_with_engagement_and_staff(sim, clock):
    since, until = day_bounds_unix(date(2026, 7, 4), date(2026, 7, 5), TZ)
    body = page_get(sim, clock, P2, "statistics/pages", since=since, until=until).json()
    assert body["success"] is True and len(body["data"]) == 48
    for row in body["data"]:
        h = datetime.fromisoformat(row["hour"])
        e = sim.truth.engagement_hour(P2, h)
        assert row["customer_comment_count"] == e["comment"] and row["inbox_interactive_count"] == e["inbox"]
        assert row["new_customer_count"] == e["new_customer"] and row["customer_inbox_count"] >= e["inbox"]
        assert row["uniq_phone_number_count"] <= row["phone_number_count"]
        staff_rows = [sim.truth.user_hour(P2, s.id, h) for s in sim.truth.staff(P2)]
        assert row["page_inbox_count"] == sum(r["inbox_count"] for r in staff_rows if r)


def test_new_customers_day_is_sum_of_hours_and_group_by(sim, clock):
    dr = "01/07/2026 - 06/07/2026"
    days = page_get(sim, clock, P1, "statistics/customers", date_range=dr).json()["data"]
    hours = page_get(sim, clock, P1, "statistics/customers", date_range=dr, group_by="hour").json()["data"]
    assert [d["date"] for d in days] == sorted((d["date"] for d in days), reverse=True)
    assert days[0]["date"] == "2026-07-06"
    assert set(days[0]) == {"date", "new_customer_count", "new_page_inbox_count", "new_phone_number_count",
                            "phone_number_count"}
    for d in days:
        hs = [h for h in hours if h["date"].startswith(d["date"] + "T")]
        for k in ("new_customer_count", "new_page_inbox_count", "new_phone_number_count", "phone_number_count"):
            assert d[k] == sum(h[k] for h in hs), (d["date"], k)
        assert d["new_customer_count"] == sim.truth.new_customers_day(P1, date.fromisoformat(d["date"]))["new_customer_count"]
    by_page = page_get(sim, clock, P1, "statistics/page_customers", date_range=dr + "", group_by="page_id").json()
    assert by_page["data"] == {P1: days}
    with_time = page_get(sim, clock, P1, "statistics/customers",
                         date_range="01/07/2026 00:00:00 - 06/07/2026 23:59:59").json()["data"]
    assert with_time == days
    bad = page_get(sim, clock, P1, "statistics/customers", date_range=dr, group_by="week")
    assert bad.status_code == 400 and "group_by" in bad.json()["message"]


@pytest.mark.parametrize("page_id,key,val", [(P1, "3", int), (P2, "tag_3", dict), (P3, "3", dict), (P4, "tag_3", int)])
def test_tag_statistics_variants(sim, clock, page_id, key, val):
    since, until = day_bounds_unix(date(2026, 7, 3), date(2026, 7, 6), TZ)
    body = page_get(sim, clock, page_id, "statistics/tags", since=since, until=until).json()
    assert set(body) >= {"data", "data_today", "tags"}
    cats = body["data"]["categories"]
    assert len(cats) == 4 and parse_category(cats[0], date(2026, 7, 3), date(2026, 7, 6)) == date(2026, 7, 6)
    values = body["data"]["series"][key]
    assert all(isinstance(v, val) for v in values) and len(values) == 4
    totals = [v["total"] if isinstance(v, dict) else v for v in values]
    expect = [sim.truth.tag_day(page_id, 3, date(2026, 7, 6) - timedelta(days=i)) for i in range(4)]
    assert totals == expect and sum(totals) > 0
    if val is dict:
        assert all(v["pin"] <= v["total"] for v in values)
    assert {t["text"] for t in body["tags"]} >= {"Đã chốt đơn", "Hỏi giá", "Spam"}
    assert set(body["tags"][0]) == {"id", "text", "color", "lighten_color", "description"}


# --- ads -------------------------------------------------------------------------------------------

def test_ads_strings_nulls_bare_array(sim, clock):
    since, until = day_bounds_unix(date(2026, 6, 1), date(2026, 6, 30), TZ)
    body = page_get(sim, clock, P1, "statistics/pages_campaigns", since=since, until=until).json()
    assert isinstance(body, list) and len(body) == 4
    truth = sim.truth.ads(P1, date(2026, 6, 1), date(2026, 6, 30))
    for row, t in zip(body, truth):
        assert row["ad_id"] == t["ad_id"] and row["currency"] == "VND"
        for k in ("spend", "impressions", "purchases", "daily_budget"):
            assert row[k] is None or isinstance(row[k], str)
            assert (row[k] is None) == (t[k] is None)
            if t[k] is not None:
                assert float(row[k]) == pytest.approx(t[k])
    paused = [r for r in body if r["status"] == "PAUSED"]
    assert paused and paused[0]["spend"] is None and paused[0]["daily_budget"] is not None
    no_purchase = [r for r in body if r["spend"] and r["purchases"] == "0"]
    assert no_purchase and float(no_purchase[0]["spend"]) > 0
    assert any(r["spend"] and r["cpc"] is None for r in body)  # derived metrics must be computed


def test_ads_wrapped_with_usd_and_numbers_variant(sim, clock):
    since, until = day_bounds_unix(date(2026, 7, 1), date(2026, 7, 5), TZ)
    body = page_get(sim, clock, P2, "statistics/pages_campaigns", since=since, until=until).json()
    assert body["success"] is True and {r["currency"] for r in body["data"]} == {"VND", "USD"}
    usd = [r for r in body["data"] if r["currency"] == "USD"]
    assert all(r["daily_budget"] in ("3000", "1000") for r in usd)  # cents
    nums = page_get(sim, clock, P3, "statistics/pages_campaigns", since=since, until=until).json()
    assert isinstance(nums, list) and isinstance(nums[0]["spend"], (int, float))
    assert page_get(sim, clock, P4, "statistics/pages_campaigns", since=since, until=until).json() == []
    by_id = page_get(sim, clock, P2, "statistics/ads", since=since, until=until, type="by_id").json()
    assert by_id == body
    by_time = page_get(sim, clock, P2, "statistics/ads", since=since, until=until, type="by_time").json()["data"]
    assert {(r["date"], r["currency"]) for r in by_time} == {(f"2026-07-0{d}", c) for d in range(1, 6) for c in ("VND", "USD")}
    vnd = sum(float(r["spend"]) for r in by_time if r["currency"] == "VND")
    assert vnd == pytest.approx(sum(float(r["spend"]) for r in body["data"] if r["currency"] == "VND" and r["spend"]))
    r = page_get(sim, clock, P2, "statistics/ads", since=since, until=until)
    assert r.status_code == 400 and "type" in r.json()["message"]


# --- validation ----------------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint,params,word", [
    ("statistics/customer_engagements", {}, "date_range"),
    ("statistics/customer_engagements", {"date_range": "2026-07-01 - 2026-07-06"}, "date_range"),
    ("statistics/users", {"date_range": "06/07/2026 - 01/07/2026"}, "date_range"),
    ("statistics/pages", {"since": "1783270800"}, "until"),
    ("statistics/tags", {"since": "abc", "until": "1783357199"}, "since"),
    ("statistics/pages_campaigns", {"since": "1783357199", "until": "1783270800"}, "until"),
    ("conversations", {"since": "1783270800", "until": "1783357199"}, "page_number"),
    ("conversations", {"since": "1783270800", "until": "1783357199", "page_number": "0"}, "page_number"),
    ("conversations", {"since": "1780000000", "until": "1783357199", "page_number": "1"}, "month"),
    ("page_customers", {"since": "1783270800", "until": "1783357199", "page_number": "1", "page_size": "101"}, "page_size"),
    ("posts", {"since": "1783270800", "until": "1783357199", "page_number": "1", "page_size": "31"}, "page_size"),
    ("export_data", {"since": "1783270800", "until": "1783357199"}, "action"),
])
def test_validation_errors_are_http_400(sim, clock, endpoint, params, word):
    r = page_get(sim, clock, P1, endpoint, **params)
    assert r.status_code == 400
    body = r.json()
    assert body["success"] is False and word in body["message"]


# --- conversations, messages ---------------------------------------------------------------------

def test_conversations_v1_v2_messages_and_actions(sim, clock):
    since, until = day_bounds_unix(date(2026, 7, 5), date(2026, 7, 5), TZ)
    p1 = page_get(sim, clock, P1, "conversations", since=since, until=until, page_number=1).json()
    total = p1["total"]
    assert total == sim.truth.engagement_day(P1, date(2026, 7, 5))["total"]
    assert len(p1["conversations"]) == 60
    p_last = page_get(sim, clock, P1, "conversations", since=since, until=until, page_number=(total - 1) // 60 + 1).json()
    assert len(p_last["conversations"]) == total - 60 * ((total - 1) // 60)
    conv = p1["conversations"][0]
    assert {"id", "page_id", "customer_id", "type", "inserted_at", "tags", "customers", "last_sent_by"} <= set(conv)
    tagged = page_get(sim, clock, P1, "conversations", since=since, until=until, page_number=1, tags="4").json()
    assert 0 < tagged["total"] < total and all(4 in c["tags"] for c in tagged["conversations"])
    # v2 cursor: 60 a call, no repeats
    seen, last = [], None
    with client(sim) as c:
        for _ in range(3):
            clock.t += 1
            params = {"page_access_token": sim.page_token(P5)}
            if last:
                params["last_conversation_id"] = last
            got = c.get(f"/public_api/v2/pages/{P5}/conversations", params=params).json()["conversations"]
            assert len(got) == 60
            seen += [x["id"] for x in got]
            last = got[-1]["id"]
        assert len(set(seen)) == 180 and all(x.startswith("wa_84901234567@c.us_") for x in seen)
        # messages: 30 a call, backwards with current_count
        cid = conv["id"]
        mpath = f"/public_api/v1/pages/{P1}/conversations/{cid}/messages"
        tok = {"page_access_token": sim.page_token(P1), "customer_id": conv["customer_id"]}
        clock.t += 1
        first = c.get(mpath, params=tok).json()
        n = conv["message_count"]
        assert first["success"] is True and len(first["messages"]) == min(30, n)
        clock.t += 1
        second = c.get(mpath, params={**tok, "current_count": 30}).json()["messages"]
        assert len(second) == max(0, min(30, n - 30))
        assert not {m["id"] for m in second} & {m["id"] for m in first["messages"]}
        # tags add/remove, read
        base = f"/public_api/v1/pages/{P1}/conversations/{cid}"
        clock.t += 1
        r = c.post(base + "/tags", params={"page_access_token": sim.page_token(P1)}, json={"action": "add", "tag_id": "5"})
        assert r.json()["success"] is True and 5 in r.json()["data"] and isinstance(r.json()["timestamp"], int)
        clock.t += 1
        r = c.post(base + "/tags", params={"page_access_token": sim.page_token(P1)}, json={"action": "remove", "tag_id": 5})
        assert 5 not in r.json()["data"]
        clock.t += 1
        staff_id = sim.truth.staff(P1)[2].id
        r = c.post(base + "/assign", params={"page_access_token": sim.page_token(P1)}, json={"assignee_ids": [staff_id]})
        assert r.json()["assignee_ids"] == [staff_id]
        clock.t += 1
        assert c.post(base + "/unread", params={"page_access_token": sim.page_token(P1)}).json() == {"success": True}
        clock.t += 1
        r = c.post(base + "/tags", params={"page_access_token": sim.page_token(P1)}, json={"action": "zap"})
        assert r.status_code == 400


# --- faults -------------------------------------------------------------------------------------

def test_faults_schedule(clock):
    slept = []
    faults = Faults(rules=[FaultRule("429", first_n=2, retry_after=1.5, page_id=P1),
                           FaultRule("502", every=3, page_id=P2),
                           FaultRule("non_json", first_n=1, page_id=P3),
                           FaultRule("slow", first_n=1, latency=7.0, page_id=P4)],
                    sleep=slept.append, dead_token_pages={P5})
    s = Simulator(now=NOW, clock=clock, faults=faults)
    r = page_get(s, clock, P1, "tags")
    assert r.status_code == 429 and r.headers["retry-after"] == "1.5" and r.json()["error_code"] == 429
    assert page_get(s, clock, P1, "tags").status_code == 429
    assert page_get(s, clock, P1, "tags").status_code == 200
    codes = [page_get(s, clock, P2, "tags").status_code for _ in range(6)]
    assert codes == [200, 200, 502, 200, 200, 502]
    r = page_get(s, clock, P2, "tags")
    r = page_get(s, clock, P2, "tags")
    r = page_get(s, clock, P2, "tags")
    assert r.status_code == 502 and "text/html" in r.headers["content-type"] and "Bad Gateway" in r.text
    r = page_get(s, clock, P3, "tags")
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    assert page_get(s, clock, P4, "tags").status_code == 200 and slept == [7.0]
    assert page_get(s, clock, P5, "tags").json()["error_code"] == 105


def test_probability_faults_are_deterministic(clock):
    def run():
        s = Simulator(now=NOW, clock=clock, rate_limit_per_second=0,
                      faults=Faults(rules=[FaultRule("500", probability=0.3)], seed=7))
        return [page_get(s, clock, P1, "tags").status_code for _ in range(40)]
    a, b = run(), run()
    assert a == b and 5 <= a.count(500) <= 20 and set(a) == {200, 500}


def test_latency_uses_injected_sleep(clock):
    slept = []
    s = Simulator(now=NOW, clock=clock, latency=0.25, sleep=slept.append)
    page_get(s, clock, P1, "tags")
    assert slept == [0.25]


def test_fault_parse():
    r = Faults.parse("429:every=7,retry_after=1,page=abc")
    assert (r.kind, r.every, r.retry_after, r.page_id) == ("429", 7, 1.0, "abc")
    with pytest.raises(ValueError):
        Faults.parse("teapot")


# --- determinism and custom pages --------------------------------------------------------------------

def test_deterministic_by_seed_and_custom_page_spec(clock):
    a = Simulator(now=NOW, seed=1).truth.engagement_day(P1, date(2026, 7, 1))
    b = Simulator(now=NOW, seed=1).truth.engagement_day(P1, date(2026, 7, 1))
    c = Simulator(now=NOW, seed=2).truth.engagement_day(P1, date(2026, 7, 1))
    assert a == b != c
    spec = PageSpec(id="999", name="Shop Thử", category_style="dmy", tag_key_style="prefixed")
    s = Simulator(now=NOW, clock=clock, pages=[spec])
    body = eng(s, clock, "999", date(2026, 7, 5), date(2026, 7, 6)).json()
    assert body["data"]["categories"] == ["6/7/2026", "5/7/2026"]
    assert len(s.truth.staff("999")) == 4 and eng(s, clock, P1, date(2026, 7, 5), date(2026, 7, 6), token=DEMO_PAGE_TOKENS[P1]).json()["error_code"] == 102


def test_90_days_five_pages_in_one_answer_each(clock):
    # how fast the simulator answers is a figure for bench/, not a test's wall clock
    s = Simulator(now=NOW, clock=clock)
    for pid in DEMO_PAGE_IDS:
        body = eng(s, clock, pid, date(2026, 4, 8), date(2026, 7, 6)).json()
        assert body["success"] is True and len(body["data"]["categories"]) == 90


# --- HTTP server ---------------------------------------------------------------------------------------

def test_http_server_round_trip(clock):
    s = Simulator(now=NOW)
    server, thread = serve(s, "127.0.0.1", 0)
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1" and port > 0
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/api", timeout=5) as c:
            r = c.get(f"/public_api/v1/pages/{P5}/statistics/customer_engagements",
                      params={"page_access_token": s.page_token(P5),
                              "date_range": "05/07/2026 00:00:00 - 06/07/2026 23:59:59"})
            assert r.status_code == 200 and r.json()["data"]["categories"] == ["6/7", "5/7"]
            r = c.post(f"/v1/pages/{P1}/generate_page_access_token", params={"access_token": DEMO_USER_TOKEN})
            assert r.json()["page_access_token"] == s.page_token(P1)
            assert c.get("/v1/unknown", params={"access_token": DEMO_USER_TOKEN}).status_code == 406
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert [x.page_id for x in s.calls] == [P5, "user", "user"]


def test_cli_prints_port_and_stops_on_sigterm():
    proc = subprocess.Popen([sys.executable, "-m", "pancake.api.simulator", "--port", "0", "--seed", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=str(ROOT))
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("Pancake simulator listening on http://127.0.0.1:") and line.endswith("/api")
        base = line.rsplit(" ", 1)[-1]
        r = httpx.get(base + "/v1/pages", params={"access_token": DEMO_USER_TOKEN}, timeout=5)
        assert r.json()["success"] is True
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0
        for tok in [DEMO_USER_TOKEN, *DEMO_PAGE_TOKENS.values()]:
            assert tok not in line + out + err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- a holiday (issue 21): a whole day closed --------------------------------------------------

def test_a_holiday_is_a_quiet_closed_day_answered_the_next_morning():
    page = DEMO_PAGE_IDS[0]
    sim = Simulator(now=datetime(2026, 12, 7, 15, 0))
    off = date(2026, 11, 27)                       # ten days before 7 Dec 2026 (a Friday)
    assert sim.truth.closed(off) and not sim.truth.closed(date(2026, 11, 26))
    assert date(2026, 9, 2) in sim.holidays and date(2027, 2, 6) in sim.holidays   # National Day, Tết
    # nobody answers: no staff row in any hour, and no page message
    assert sim.truth.user_rows(page, datetime(2026, 11, 27), datetime(2026, 11, 27, 23, 59)) == {}
    assert sum((sim.truth.page_hour(page, datetime(2026, 11, 27, h)) or {}).get("page_inbox_count", 0)
               for h in range(24)) == 0
    # quiet: far fewer engagements than the same weekday a week before
    closed = sim.truth.engagement_day(page, off)["total"]
    open_day = sim.truth.engagement_day(page, date(2026, 11, 20))["total"]
    assert 0 < closed < open_day / 2
    # every conversation begun that day is first answered between 08:00 and 08:30 the next day (a Saturday)
    convs = sim.truth.conversations(page, datetime(2026, 11, 27), datetime(2026, 11, 27, 23, 59, 59))
    assert convs
    for t, c in convs:
        first = sim.truth.turns(page, t, c, bots_count=True)[0]
        assert first["start"] == t and first["end"] is not None, (t, first)
        assert datetime(2026, 11, 28, 8, 0) <= first["end"] < datetime(2026, 11, 28, 8, 30), (t, first)
    # no holiday when asked for none: the same day is an ordinary one
    assert not Simulator(now=datetime(2026, 12, 7, 15, 0), holidays=()).truth.closed(off)

"""The data layer without Streamlit, against the simulator: windows merged with every day once,
the per-page pace, numbers equal to the simulator's ground truth, one failing page never
blanks the others, and no token in any error."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from pancake.api.client import PancakeClient
from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, DEMO_USER_TOKEN, Faults, Simulator
from pancake.data import core
from tests.clock import FakeClock

NOW = datetime(2026, 11, 24, 15, 30)       # local time of the simulated shops
LINH_CHI, HANA, SNEAKER, MINH_ANH, CO_BA = DEMO_PAGE_IDS


def make(now=NOW, *, page_tokens=None, access_token=DEMO_USER_TOKEN, faults=None):
    clock = FakeClock()
    sim = Simulator(now=now, clock=clock, faults=faults)
    client = PancakeClient(access_token=access_token,
                           page_tokens=dict(DEMO_PAGE_TOKENS) if page_tokens is None else page_tokens,
                           transport=sim.transport(), clock=clock, sleep=clock.sleep,
                           jitter=lambda: 0.5)
    return sim, client


def test_eight_month_range_is_split_and_merged_with_every_day_once_within_the_rate_limit():
    sim, client = make()
    start, end = date(2026, 3, 1), date(2026, 10, 31)
    result = core.fetch(client, "engagement", [LINH_CHI, HANA], start, end)
    assert result.errors == []
    daily = result["daily"]
    n_days = (end - start).days + 1
    for pid in (LINH_CHI, HANA):
        days = daily.loc[daily["page_id"] == pid, "date"]
        assert len(days) == n_days
        assert days.is_unique
        assert days.min() == datetime(2026, 3, 1) and days.max() == datetime(2026, 10, 31)
        # each window's date_range asked once, and windows are at most 31 days
        calls = [c for c in sim.calls if c.page_id == pid and c.path.endswith("customer_engagements")]
        assert len(calls) == math.ceil(n_days / 31)
        times = sorted(c.t for c in sim.calls if c.page_id == pid)
        for i, t0 in enumerate(times):
            assert sum(1 for t in times[i:] if t - t0 < 1.0) <= 5
    assert all(c.status == 200 for c in sim.calls)


def test_engagement_numbers_equal_the_simulators_truth_across_new_year():
    sim, client = make(now=datetime(2027, 1, 3, 12, 0))
    start, end = date(2026, 12, 20), date(2027, 1, 3)
    result = core.fetch(client, "engagement", [LINH_CHI, SNEAKER], start, end)  # "26/8" and "6/7/2026" styles
    daily = result["daily"]
    for pid in (LINH_CHI, SNEAKER):
        for d in (date(2026, 12, 31), date(2027, 1, 1), date(2027, 1, 3)):
            row = daily[(daily["page_id"] == pid) & (daily["date"] == datetime(d.year, d.month, d.day))]
            truth = sim.truth.engagement_day(pid, d)
            assert int(row["inbox"].iloc[0]) == truth["inbox"]
            assert int(row["total"].iloc[0]) == truth["total"]
        total = sum(sim.truth.engagement_day(pid, start + timedelta(days=i))["inbox"] for i in range(15))
        assert int(daily.loc[daily["page_id"] == pid, "inbox"].sum()) == total


def test_user_totals_across_windows_are_weighted_like_the_api():
    sim, client = make()
    start, end = date(2026, 8, 1), date(2026, 10, 15)   # three windows
    result = core.fetch(client, "staff", [LINH_CHI], start, end)
    totals = result["totals"].set_index("user_id")
    truth = sim.truth.user_totals(LINH_CHI, datetime(2026, 8, 1), datetime(2026, 10, 15, 23, 59, 59))
    assert set(totals.index) == set(truth)
    for uid, t in truth.items():
        assert int(totals.loc[uid, "inbox_count"]) == t["inbox_count"]
        assert int(totals.loc[uid, "unique_inbox_count"]) == t["unique_inbox_count"]
        if t["average_response_time"]:
            assert totals.loc[uid, "average_response_time"] == pytest.approx(t["average_response_time"], rel=1e-6, abs=1)


def test_ads_over_several_windows_add_spend_and_keep_currencies_apart():
    sim, client = make()
    start, end = date(2026, 8, 1), date(2026, 10, 31)
    ads = core.fetch(client, "ads", [HANA], start, end)["ads"]
    truth = sim.truth.ads(HANA, start, end)
    assert len(ads) == len(truth)
    by_id = ads.set_index("ad_id")
    for t in truth:
        assert by_id.loc[str(t["ad_id"]), "currency"] == t["currency"]
        assert by_id.loc[str(t["ad_id"]), "spend"] == pytest.approx(float(t["spend"] or 0))
    assert set(ads["currency"]) == {"VND", "USD"}


def test_a_page_with_a_dead_token_fails_clearly_while_the_others_load():
    canary = "CANARY-DEAD-PAGE-TOKEN-5c1d"
    tokens = dict(DEMO_PAGE_TOKENS)
    tokens[HANA] = canary
    sim, client = make(page_tokens=tokens, access_token=None)
    result = core.fetch(client, "engagement", DEMO_PAGE_IDS, date(2026, 11, 18), date(2026, 11, 24),
                        page_names={HANA: "Mỹ Phẩm Hana Beauty"})
    assert [e.page_id for e in result.errors] == [HANA]
    err = result.errors[0]
    assert err.kind == "auth" and err.page_name == "Mỹ Phẩm Hana Beauty"
    assert "102" in err.message and canary not in err.message and canary not in str(err)
    assert set(result["daily"]["page_id"]) == set(DEMO_PAGE_IDS) - {HANA}
    assert result.pages_ok == [p for p in DEMO_PAGE_IDS if p != HANA]


def test_server_errors_are_retried_and_an_unexpected_error_is_a_page_error():
    from pancake.api.simulator import FaultRule
    sim, client = make(faults=Faults(rules=[FaultRule("502", first_n=2, page_id=LINH_CHI)]))
    result = core.fetch(client, "activity", [LINH_CHI, SNEAKER], date(2026, 11, 23), date(2026, 11, 24))
    assert result.errors == []
    assert set(result["hourly"]["page_id"]) == {LINH_CHI, SNEAKER}

    def boom(pid):
        if pid == SNEAKER:
            raise RuntimeError("unexpected")
        return {"x": core.reshape.pages_frame([{"id": pid, "name": pid}])}
    res = core.fan_out(boom, [LINH_CHI, SNEAKER])
    assert [e.page_id for e in res.errors] == [SNEAKER] and res.errors[0].kind == "error"
    assert list(res["x"]["page_id"]) == [LINH_CHI]


def test_new_customers_hourly_and_daily_match_truth_on_both_routes():
    sim, client = make()
    start, end = date(2026, 11, 20), date(2026, 11, 24)
    daily = core.fetch(client, "customers", [HANA, SNEAKER], start, end)["data"]
    for pid in (HANA, SNEAKER):   # page_customers only / customers only
        expect = sum(sim.truth.new_customers_day(pid, start + timedelta(days=i))["new_customer_count"]
                     for i in range(5))
        assert int(daily.loc[daily["page_id"] == pid, "new_customer_count"].sum()) == expect
    hourly = core.fetch(client, "customers", [HANA], start, end, hourly=True)["data"]
    assert (hourly["date"].dt.minute == 0).all() and hourly["date"].dt.hour.nunique() > 1
    assert int(hourly["new_customer_count"].sum()) == int(daily.loc[daily["page_id"] == HANA,
                                                                     "new_customer_count"].sum())


def test_tags_are_named_and_counted_per_day():
    sim, client = make()
    start, end = date(2026, 11, 18), date(2026, 11, 24)
    tags = core.fetch(client, "tags", [HANA], start, end)["daily"]   # "tag_<id>" keys, {pin,total} values
    assert not tags["tag_name"].str.startswith("#").any()
    names = {str(t["id"]): t["text"] for t in client.tags(HANA)["tags"]}
    assert set(tags["tag_id"]) <= set(names)
    for tid in sorted(set(tags["tag_id"])):
        got = tags[tags["tag_id"] == tid]
        assert set(got["tag_name"]) == {names[tid]}
        expect = sum(sim.truth.tag_day(HANA, int(tid), start + timedelta(days=i)) for i in range(7))
        assert int(got["count"].sum()) == expect


def test_list_pages_without_user_token_uses_configured_page_ids():
    _, client = make(access_token=None, page_tokens={LINH_CHI: DEMO_PAGE_TOKENS[LINH_CHI]})
    frame = core.list_pages(client, {LINH_CHI: "x"})
    assert list(frame["page_id"]) == [LINH_CHI]


def test_multi_page_users_and_token_status():
    sim, client = make()
    res = core.multi_page_users(client, [LINH_CHI, SNEAKER], date(2026, 11, 18), date(2026, 11, 24))
    assert res.errors == [] and not res["totals"].empty
    assert "order_count" in res["totals"].columns
    status = core.token_status(client, [LINH_CHI, SNEAKER])
    assert status["ok"].all()
    for token in DEMO_PAGE_TOKENS.values():
        assert not status["message"].str.contains(token, regex=False).any()


def test_fetch_rejects_unknown_kind_and_reversed_range():
    _, client = make()
    with pytest.raises(ValueError, match="unknown kind"):
        core.fetch(client, "nope", [LINH_CHI], date(2026, 1, 1), date(2026, 1, 2))
    with pytest.raises(ValueError, match="before it starts"):
        core.fetch(client, "engagement", [LINH_CHI], date(2026, 1, 2), date(2026, 1, 1))


def test_one_frame_per_load_keeps_the_pages_in_the_order_asked():
    """Staff totals are combined per (page, user) in the load's one frame; the pages still come in
    the order asked (as the pages' own frames one after another), each page equal to its own fetch."""
    sim, client = make()
    start, end = date(2026, 9, 1), date(2026, 11, 20)          # three windows
    asked = [SNEAKER, LINH_CHI]                                 # not in id order
    result = core.fetch(client, "staff", asked, start, end)
    assert result.errors == [] and result.pages_ok == asked
    totals = result["totals"]
    firsts = list(dict.fromkeys(totals["page_id"]))
    assert firsts == asked
    for pid in asked:
        own = core.fetch_page(client, "staff", pid, start, end)["totals"]
        got = totals[totals["page_id"] == pid].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, own, check_exact=True)

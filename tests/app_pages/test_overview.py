"""Overview page in demo mode: every source's key number against the simulator's ground truth."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import pandas as pd

from pancake import fmt, timeutil
from pancake.api import errors
from pancake.api.simulator import DEMO_PAGES, Simulator
from pancake.data import core
from pancake.numbers.views import cards
from tests.conftest import app_test

PAGE = "app_pages/overview.py"
TZ = "Asia/Ho_Chi_Minh"
ALL = [p.id for p in DEMO_PAGES]
ONE = DEMO_PAGES[1].id


def _expected(page_ids, start, end):
    sim = Simulator(seed=0, timezone=TZ)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    out = defaultdict(float)
    for p in page_ids:
        for d in days:
            e = sim.truth.engagement_day(p, d)
            out["total"] += e["total"]
            out["order_count"] += e["order_count"]
            out["new_customer_count"] += sim.truth.new_customers_day(p, d)["new_customer_count"]
            for h in range(24):
                row = sim.truth.page_hour(p, datetime(d.year, d.month, d.day, h))
                if row:
                    out["customer_inbox_count"] += row["customer_inbox_count"]
        wsum = wx = 0.0
        for u in sim.truth.user_totals(p, datetime(start.year, start.month, start.day),
                                       datetime(end.year, end.month, end.day, 23, 59, 59)).values():
            w = u["unique_inbox_count"] + u["unique_comment_count"]
            wsum += w
            wx += w * u["average_response_time"]
        out["_w"] += wsum
        out["_wx"] += wx
        for ad in sim.truth.ads(p, start, end):
            if ad.get("spend") is not None:
                out["spend_" + ad["currency"]] += ad["spend"]
            out["purchases"] += ad.get("purchases") or 0
    out["average_response_time"] = out["_wx"] / out["_w"]
    return out


def _check(at, page_ids, lang):
    today = timeutil.local_today(TZ)
    start, end = timeutil.preset_range("last_7", today)
    ps, pe = timeutil.previous_period(start, end)
    cur, prev = _expected(page_ids, start, end), _expected(page_ids, ps, pe)
    shown = {m.label: m for m in at.metric}
    L = {"vi": {"total": "Tổng tương tác", "order_count": "Đơn hàng", "average_response_time": "Thời gian phản hồi TB",
                "new_customer_count": "Khách hàng mới", "customer_inbox_count": "Tin nhắn của khách",
                "purchases": "Lượt mua", "spend": "Chi tiêu ({})"},
         "en": {"total": "Total engagements (inbox + comment)", "order_count": "Orders",
                "average_response_time": "Average response time", "new_customer_count": "New customers",
                "customer_inbox_count": "Customer messages", "purchases": "Purchases", "spend": "Spend ({})"}}[lang]
    sources = {"total": "engagement", "order_count": "engagement", "new_customer_count": "customers",
               "customer_inbox_count": "activity", "purchases": "ads"}
    for f, source in sources.items():
        assert shown[L[f]].value == fmt.number(cur[f], lang), f
        assert shown[L[f]].delta == cards.change_text(f, cur[f], prev[f], lang, source=source), f
    rt = shown[L["average_response_time"]]
    assert rt.value == fmt.duration_ms(cur["average_response_time"], lang)
    assert "unique_inbox_count" not in rt.help and any(w in rt.help for w in ("reply sessions", "số phiên trả lời"))
    for key in [k for k in cur if k.startswith("spend_")]:
        code = key.removeprefix("spend_")
        assert shown[L["spend"].format(code)].value == fmt.money(cur[key], code, lang)
    return shown


def test_all_pages_vietnamese():
    at = app_test(PAGE, params={"pages": "all"})
    assert not at.exception
    shown = _check(at, ALL, "vi")
    assert "Chi tiêu (USD)" in shown and "Chi tiêu (VND)" in shown  # never added across currencies
    table = at.dataframe[0].value
    assert set(table["page_id"].dropna()) == set(ALL) and list(at.dataframe[1].value["page_name"]) == ["Tổng"]
    assert at.query_params["pages"] == "all" and at.query_params["lang"] == "vi"


def test_one_page_english():
    at = app_test(PAGE, params={"pages": ONE, "lang": "en"})
    assert not at.exception
    _check(at, [ONE], "en")
    assert not at.dataframe   # one page: no one-row comparison table
    assert at.query_params["pages"] == ONE and at.query_params["lang"] == "en"


def test_a_page_failing_in_one_period_is_not_compared(monkeypatch):
    """Regression: the overview compared all pages now with only the pages that answered then.
    One page fails the engagement call for the previous period only and the activity call for
    the current one: those sections show no change (and say why), the others still do, and the
    page's activity cells are unknown ("—"), never 0."""
    today = timeutil.local_today(TZ)
    start, end = timeutil.preset_range("last_7", today)
    prev_start, _ = timeutil.previous_period(start, end)
    bad = DEMO_PAGES[0].id
    real = core.fetch_page

    def flaky(client, kind, page_id, first, last, **options):
        if page_id == bad and ((kind == "engagement" and first == prev_start)
                               or (kind == "activity" and first == start)):
            raise errors.ServerError(f"statistics for {page_id}: HTTP 500")
        return real(client, kind, page_id, first, last, **options)

    monkeypatch.setattr(core, "fetch_page", flaky)
    at = app_test(PAGE, params={"pages": "all", "lang": "en"})
    assert not at.exception
    shown = {m.label: m for m in at.metric}
    for label in ("Total engagements (inbox + comment)", "Orders", "Customer messages", "Reply ratio"):
        assert not shown[label].delta, label  # was a change against fewer pages
    assert shown["New customers"].delta and shown["Average response time"].delta
    assert shown["Total engagements (inbox + comment)"].value == fmt.number(_expected(ALL, start, end)["total"], "en")
    assert sum(c.value.count("No comparison") for c in at.caption) == 1   # said once, not per kind
    table = at.dataframe[0].value.dropna(subset=["page_id"]).set_index("page_id")
    assert pd.isna(table.loc[bad, "customer_inbox_count"]) and pd.isna(table.loc[bad, "reply_ratio"])
    assert table.loc[bad, "total"] == _expected([bad], start, end)["total"]

"""Overview page in demo mode: every source's key number against the simulator's ground truth."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from pancake import fmt, timeutil, views
from pancake.simulator import DEMO_PAGES, Simulator
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
    for f in ("total", "order_count", "new_customer_count", "customer_inbox_count", "purchases"):
        assert shown[L[f]].value == fmt.number(cur[f], lang), f
        assert shown[L[f]].delta == views.delta_text(cur[f], prev[f], lang), f
    rt = shown[L["average_response_time"]]
    assert rt.value == fmt.duration_ms(cur["average_response_time"], lang)
    assert "unique_inbox_count + unique_comment_count" in rt.help
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
    assert list(table["page_id"]) and set(table["page_id"]) == set(ALL)
    assert at.query_params["pages"] == "all" and at.query_params["lang"] == "vi"


def test_one_page_english():
    at = app_test(PAGE, params={"pages": ONE, "lang": "en"})
    assert not at.exception
    _check(at, [ONE], "en")
    assert list(at.dataframe[0].value["page_id"]) == [ONE]
    assert at.query_params["pages"] == ONE and at.query_params["lang"] == "en"

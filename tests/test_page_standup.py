"""The standup screen (``?kiosk=1``, app_pages/standup.py) in AppTest (demo data): numbers
against the simulator's ground truth, both languages, one page and all pages, URL round trip,
the five lines, flags, empty ranges, the same ad ratios as the Ads page, orders the API did not
send, and no change when a page failed in one of the two periods."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pandas as pd

from pancake import fmt, metrics, timeutil
from pancake.data import cache
from pancake.data.core import PageError
from pancake.views import format_metric
from pancake.views import standup as sv
from pancake.views.cards import change_text
from tests.browser import truth
from tests.conftest import app_test

ONE = "104857392015873"   # VND ads, one of them with null purchases (unknown results)
ACTIVE = list(truth.DEMO_PAGE_IDS)


def metric_map(at) -> dict[str, tuple[str, str | None]]:
    return {m.label: (m.value, m.delta) for m in at.metric}


def markdowns(at) -> list[str]:
    return [m.value for m in at.markdown]


def shown_lines(at) -> list[str]:
    return [re.sub(r"^:\w+\[[▲▼■]\] ", "", t) for t in markdowns(at) if re.match(r"^:\w+\[[▲▼■]\] ", t)]


def expected_lines(s, ids, lang) -> list[str]:
    today = s.today()
    y, lw = today - timedelta(days=1), today - timedelta(days=8)
    cur, prev = truth.standup_day_values(s, ids, y), truth.standup_day_values(s, ids, lw)
    return [line.text for line in sv.five_lines(cur, prev, lw, lang)]


def paired(rows, currency) -> dict[str, float]:
    """Cost per purchase and ROAS by hand from the truth, over the ads that report both parts."""
    def ratio(num, den):
        both = [r for r in rows if r["currency"] == currency and r[num] is not None and r[den] is not None]
        return sum(r[num] for r in both) / sum(r[den] for r in both)
    return {"cost_per_purchase": ratio("spend", "purchases"), "roas": ratio("purchases_conversion_value", "spend")}


def test_standup_overview_all_pages_vi_matches_truth():
    at = app_test(params={"kiosk": "1"}, timeout=90)
    assert not at.exception
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    prev_start, prev_end = timeutil.previous_period(start, end)
    cur, prev = truth.engagement(s, ACTIVE, start, end), truth.engagement(s, ACTIVE, prev_start, prev_end)
    shown = metric_map(at)
    for f in ("total", "inbox", "comment", "order_count"):
        value, delta = shown[metrics.label(f, "vi", "engagement")]
        assert value == format_metric(f, cur[f], "vi"), f
        assert delta == change_text(f, cur[f], prev[f], "vi", source="engagement"), f
    rt = truth.weighted_ms(truth.staff_totals(s, ACTIVE, start, end))
    assert shown[metrics.label("average_response_time", "vi", "staff")][0] == fmt.duration_ms(rt, "vi")
    assert all(m.help for m in at.metric)  # every card has its definition as help
    # no sidebar, the markers, the five lines as the truth says
    assert len(at.sidebar) == 0
    text = "\n".join(markdowns(at) + [c.value for c in at.caption])
    assert "Cập nhật lúc" in text and "Dữ liệu lấy lúc" in text and "Tự làm mới mỗi 5 phút" in text
    assert shown_lines(at) == expected_lines(s, ACTIVE, "vi")
    assert len(shown_lines(at)) == 5
    assert "Hôm qua trong năm dòng" in " ".join(h.value for h in at.subheader)
    assert "Cần chú ý" in " ".join(h.value for h in at.subheader)
    q = dict(at.query_params)
    assert q["kiosk"] == "1" and q["pages"] == "all" and q["lang"] == "vi"
    assert (q["from"], q["to"]) == (start.isoformat(), end.isoformat())


def test_standup_staff_one_page_en_with_refresh_and_url_params():
    at = app_test(params={"kiosk": "1", "lang": "en", "pages": ONE, "section": "staff", "refresh": "0.2",
                          "theme": "dark", "range": "last_30"}, timeout=90)
    assert not at.exception
    s = truth.sim()
    start, end = timeutil.preset_range("last_30", s.today())
    rows = truth.staff_totals(s, [ONE], start, end)
    shown = metric_map(at)
    for f in ("inbox_count", "comment_count", "phone_number_count"):
        assert shown[metrics.label(f, "en", "staff")][0] == format_metric(f, sum(r[f] for r in rows), "en"), f
    assert shown["Average response time"][0] == fmt.duration_ms(truth.weighted_ms(rows), "en")
    assert any(t.value.startswith("Refreshes every 12 s") for t in at.caption)
    assert "Updated at" in "\n".join(markdowns(at))
    assert shown_lines(at) == expected_lines(s, [ONE], "en")
    q = dict(at.query_params)
    assert q["pages"] == ONE and q["lang"] == "en" and q["range"] == "last_30" and q["kiosk"] == "1"
    assert q["section"] == "staff" and q["refresh"] == "0.2" and q["theme"] == "dark"


def test_standup_ads_rotation_several_pages():
    pages = ",".join(ACTIVE[:3])
    at = app_test(params={"kiosk": "1", "pages": pages, "rotate": "ads,customers", "every": "45",
                          "silent": "48"}, timeout=90)
    assert not at.exception
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    rows = truth.ads(s, ACTIVE[:3], start, end)
    sums = truth.ads_sums(rows, "VND")
    shown = metric_map(at)
    assert shown[metrics.label("spend", "vi", "ads")][0] == fmt.money(sums["spend"], "VND", "vi")
    assert shown[metrics.label("purchases", "vi", "ads")][0] == format_metric("purchases", sums["purchases"], "vi")
    assert shown[metrics.label("roas", "vi", "ads")][0] == format_metric("roas", paired(rows, "VND")["roas"], "vi",
                                                                         source="ads")
    assert any("Mục 1/2" in c.value and "45 giây" in c.value for c in at.caption)
    # flags for ads that spent yesterday and reported 0 purchases (null = unknown: no flag)
    y = s.today() - timedelta(days=1)
    wasted = [r for r in truth.ads(s, ACTIVE[:3], y, y) if (r["spend"] or 0) > 0 and r["purchases"] == 0]
    flags = [t for t in markdowns(at) if "money_off" in t]
    assert len(flags) == min(len(wasted), sv.MAX_FLAGS_SHOWN)
    for r in sorted(wasted, key=lambda r: -r["spend"])[:3]:
        assert any(f"“{r['name']}”" in t for t in flags), r["name"]
    unknown = [r["name"] for r in truth.ads(s, ACTIVE[:3], y, y) if (r["spend"] or 0) > 0 and r["purchases"] is None]
    assert unknown and not any(f"“{n}”" in t for n in unknown for t in flags)


def test_standup_and_ads_page_give_the_same_cost_per_purchase_and_roas():
    """Regression: with an ad whose purchases are null, the standup divided all spend by the
    purchases reported (74.969 ₫ against the Ads page's 62.340 ₫ in a review)."""
    params = {"pages": ONE, "lang": "vi"}
    standup = metric_map(app_test(params={**params, "kiosk": "1", "section": "ads"}, timeout=90))
    ads_page = app_test("app_pages/ads.py", params=params, timeout=90)
    assert not ads_page.exception
    page_cards = {m.label: m.value for m in ads_page.metric[:8]}  # VND, the first currency
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    rows = truth.ads(s, [ONE], start, end)
    assert any(r["purchases"] is None and r["spend"] for r in rows)  # the case of the review
    for f in ("cost_per_purchase", "roas"):
        label = metrics.label(f, "vi", "ads")
        assert standup[label][0] == page_cards[label] == format_metric(f, paired(rows, "VND")[f], "vi", "VND",
                                                                       source="ads"), f


def _wrap_load(monkeypatch, change):
    """cache.load as before, its result passed through ``change(kind, start, end, result)``."""
    real = cache.load

    def load(kind, page_ids, start, end, **options):
        return change(kind, start, end, real(kind, page_ids, start, end, **options))
    monkeypatch.setattr(cache, "load", load)


def test_orders_the_api_did_not_send_are_not_shown_as_zero(monkeypatch):
    """Regression: without ``order_count`` in the engagement payload the standup showed 0
    orders; unknown is no card and no line."""
    def no_orders(kind, start, end, result):
        if kind != "engagement" or "daily" not in result.frames:
            return result
        unsent = pd.array([pd.NA] * len(result.frames["daily"]), "Int64")
        daily = result.frames["daily"].assign(order_count=unsent, old_order_count=unsent)
        return replace(result, frames={**result.frames, "daily": daily})
    _wrap_load(monkeypatch, no_orders)
    at = app_test(params={"kiosk": "1", "lang": "en"}, timeout=90)
    assert not at.exception
    assert "Orders" not in metric_map(at) and "Inbox engagements" in metric_map(at)
    assert shown_lines(at) and not any(t.startswith("Orders") for t in shown_lines(at))


def test_a_page_failing_in_one_period_shows_no_change(monkeypatch):
    """Regression: a page that failed in the previous period only was compared anyway (all
    pages now against some then); load_pair drops the change and says why."""
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    prev_start, _ = timeutil.previous_period(start, end)
    lost = ACTIVE[1]

    def previous_fails(kind, start, end, result):
        if kind != "engagement" or start != prev_start:
            return result
        frames = {k: v[v["page_id"] != lost] for k, v in result.frames.items()}
        return replace(result, frames=frames, pages_ok=[p for p in result.pages_ok if p != lost],
                       errors=[*result.errors, PageError(lost, "Shop", "server", "HTTP 502")])
    _wrap_load(monkeypatch, previous_fails)
    at = app_test(params={"kiosk": "1", "lang": "en"}, timeout=90)
    assert not at.exception
    shown = metric_map(at)
    cur = truth.engagement(s, ACTIVE, start, end)
    for f in ("total", "inbox", "comment", "order_count"):
        assert shown[metrics.label(f, "en", "engagement")] == (format_metric(f, cur[f], "en"), ""), f  # no change
    assert shown["Average response time"][1]  # the staff figures came from every page both times
    assert any(c.value.startswith(":material/info: No comparison") for c in at.caption)


def test_spend_line_needs_the_same_pages_on_both_days(monkeypatch):
    """A page whose ads failed on last week's day: yesterday's spend (all pages) is not set
    against last week's (some pages) in the five lines."""
    s = truth.sim()
    lw = s.today() - timedelta(days=8)

    def last_week_fails(kind, start, end, result):
        if kind != "ads" or (start, end) != (lw, lw):
            return result
        lost, ads = result.pages_ok[0], result.frames["ads"]
        return replace(result, frames={"ads": ads[ads["page_id"] != lost]}, pages_ok=result.pages_ok[1:],
                       errors=[*result.errors, PageError(lost, "Shop", "server", "HTTP 502")])
    _wrap_load(monkeypatch, last_week_fails)
    at = app_test(params={"kiosk": "1", "lang": "en"}, timeout=90)
    assert not at.exception and shown_lines(at)
    assert not any(t.startswith("Spend") for t in shown_lines(at))
    cur = truth.standup_day_values(s, ACTIVE, s.today() - timedelta(days=1))
    prev = {k: v for k, v in truth.standup_day_values(s, ACTIVE, lw).items() if k[0] != "spend"}
    assert shown_lines(at) == [li.text for li in sv.five_lines(cur, prev, lw, "en")]


def test_standup_token_flag_when_a_page_token_dies(monkeypatch):
    import pancake.simulator as simulator
    from pancake.simulator import Faults

    dead = ACTIVE[1]

    class DeadTokenSimulator(simulator.Simulator):
        def __init__(self, **kw):
            super().__init__(faults=Faults(dead_token_pages=frozenset({dead})), **kw)

    monkeypatch.setattr(simulator, "Simulator", DeadTokenSimulator)
    at = app_test(params={"kiosk": "1", "lang": "en"}, timeout=90)
    assert not at.exception
    flags = [t for t in markdowns(at) if "key_off" in t]
    assert len(flags) == 1 and "its token stopped working" in flags[0]
    # the other pages still render their numbers
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    others = [p for p in ACTIVE if p != dead]
    assert metric_map(at)["Inbox engagements"][0] == format_metric(
        "inbox", truth.engagement(s, others, start, end)["inbox"], "en")


def test_standup_future_range_shows_no_exception():
    at = app_test(params={"kiosk": "1", "from": "2031-01-01", "to": "2031-01-03", "lang": "en"}, timeout=90)
    assert not at.exception
    shown = metric_map(at)
    assert (not shown and any("No data" in i.value for i in at.info)) \
        or shown["Total engagements (inbox + comment)"][0] == "0"

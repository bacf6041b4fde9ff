"""The standup screen in AppTest (demo data): numbers against the simulator's ground truth,
both languages, one page and all pages, URL round trip, the five lines, flags, empty ranges."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from pancake import fmt, metrics, timeutil
from pancake import views
from pancake.views import format_metric
from pancake.views import kiosk as kv
from tests.browser import truth
from tests.conftest import app_test

ONE = "104857392015873"
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
    return [line.text for line in kv.five_lines(cur, prev, lw, lang)]


def test_kiosk_overview_all_pages_vi_matches_truth():
    at = app_test(params={"kiosk": "1"}, timeout=90)
    assert not at.exception
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    prev_start, prev_end = timeutil.previous_period(start, end)
    cur, prev = truth.engagement(s, ACTIVE, start, end), truth.engagement(s, ACTIVE, prev_start, prev_end)
    shown = metric_map(at)
    for f in ("total", "inbox", "comment", "order_count"):
        value, delta = shown[metrics.label(f, "vi")]
        assert value == format_metric(f, cur[f], "vi"), f
        assert delta == views.delta_text(cur[f], prev[f], "vi"), f
    rt = truth.weighted_ms(truth.staff_totals(s, ACTIVE, start, end))
    assert shown[metrics.label("average_response_time", "vi")][0] == fmt.duration_ms(rt, "vi")
    # every card has its definition as help
    assert all(m.help for m in at.metric)
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


def test_kiosk_staff_one_page_en_with_refresh_and_url_params():
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


def test_kiosk_ads_rotation_several_pages():
    pages = ",".join(ACTIVE[:3])
    at = app_test(params={"kiosk": "1", "pages": pages, "rotate": "ads,customers", "every": "45",
                          "silent": "48"}, timeout=90)
    assert not at.exception
    s = truth.sim()
    start, end = timeutil.preset_range("last_7", s.today())
    sums = truth.ads_sums(truth.ads(s, ACTIVE[:3], start, end), "VND")
    shown = metric_map(at)
    assert shown[metrics.label("spend", "vi")][0] == fmt.money(sums["spend"], "VND", "vi")
    assert shown[metrics.label("purchases", "vi")][0] == format_metric("purchases", sums["purchases"], "vi")
    assert shown[metrics.label("roas", "vi")][0] == format_metric("roas", sums["roas"], "vi")
    assert any("Mục 1/2" in c.value and "45 giây" in c.value for c in at.caption)
    # flags for ads that spent yesterday without a purchase, as the truth says
    y = s.today() - timedelta(days=1)
    wasted = [r for r in truth.ads(s, ACTIVE[:3], y, y) if (r["spend"] or 0) > 0 and not r["purchases"]]
    flags = [t for t in markdowns(at) if "money_off" in t]
    assert len(flags) == min(len(wasted), kv.MAX_FLAGS_SHOWN)
    for r in sorted(wasted, key=lambda r: -r["spend"])[:3]:
        assert any(f"“{r['name']}”" in t for t in flags), r["name"]


def test_kiosk_token_flag_when_a_page_token_dies(monkeypatch):
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


def test_kiosk_future_range_shows_no_exception():
    at = app_test(params={"kiosk": "1", "from": "2031-01-01", "to": "2031-01-03", "lang": "en"}, timeout=90)
    assert not at.exception
    shown = metric_map(at)
    assert (not shown and any("No data" in i.value for i in at.info)) or shown["Total engagements (inbox + comment)"][0] == "0"

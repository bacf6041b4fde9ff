"""Page-activity page in demo mode: KPIs and silent hours against the simulator's ground truth."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest

from pancake import fmt, timeutil
from pancake.api.simulator import DEMO_PAGES, Simulator
from pancake.numbers import views
from pancake.numbers.views import cards
from tests.conftest import app_test

PAGE = "app_pages/activity.py"
TZ = "Asia/Ho_Chi_Minh"
ALL = [p.id for p in DEMO_PAGES]
ONE = DEMO_PAGES[2].id


def _rows(page_ids, start, end):
    sim = Simulator(seed=0, timezone=TZ)
    out = []
    for p in page_ids:
        for i in range((end - start).days + 1):
            d = start + timedelta(days=i)
            for h in range(24):
                row = sim.truth.page_hour(p, datetime(d.year, d.month, d.day, h))
                if row is not None:
                    out.append(row)
    return out


def _check(at, page_ids, lang):
    today = timeutil.local_today(TZ)
    start, end = timeutil.preset_range("last_7", today)
    ps, pe = timeutil.previous_period(start, end)
    rows, prev = _rows(page_ids, start, end), _rows(page_ids, ps, pe)
    cust = sum(r["customer_inbox_count"] for r in rows)
    page = sum(r["page_inbox_count"] for r in rows)
    shown = {m.label: m for m in at.metric}
    labels = {"vi": ("Tin nhắn của khách", "Tin nhắn trang gửi", "Tỷ lệ trả lời", "Hội thoại mới"),
              "en": ("Customer messages", "Page messages sent", "Reply ratio", "New conversations")}[lang]
    assert shown[labels[0]].value == fmt.number(cust, lang)
    assert shown[labels[0]].delta == cards.change_text("customer_inbox_count", cust,
                                                       sum(r["customer_inbox_count"] for r in prev), lang)
    prev_ratio = sum(r["page_inbox_count"] for r in prev) / sum(r["customer_inbox_count"] for r in prev)
    assert shown[labels[2]].delta == cards.change_text("reply_ratio", page / cust, prev_ratio, lang,
                                                       source="activity")
    assert shown[labels[2]].delta.endswith("điểm %" if lang == "vi" else "pp")
    assert shown[labels[1]].value == fmt.number(page, lang)
    assert shown[labels[2]].value == views.format_metric("reply_ratio", page / cust, lang)
    assert "page_inbox_count" not in shown[labels[2]].help   # the formula in words
    assert shown[labels[3]].value == fmt.number(sum(r["new_inbox_count"] for r in rows), lang)
    silent = [r for r in rows if r["customer_inbox_count"] > 0 and r["page_inbox_count"] == 0]
    if silent:
        want = fmt.number(sum(r["customer_inbox_count"] for r in silent), lang)
        assert any(fmt.number(len(silent), lang) in c.value and want in c.value for c in at.caption)
    return rows, silent


def test_all_pages_vietnamese():
    at = app_test(PAGE, params={"pages": "all"})
    assert not at.exception
    rows, silent = _check(at, ALL, "vi")
    per_page = next(df.value for df in at.dataframe if "reply_ratio" in df.value.columns
                    and "silent_hours" in df.value.columns and "page_name" in df.value.columns)
    assert len(per_page) == len(ALL) and "Tổng" not in set(per_page["page_name"])   # the totals row:
    assert any(list(df.value["page_name"]) == ["Tổng"] for df in at.dataframe if "page_name" in df.value.columns)
    assert at.query_params["pages"] == "all" and at.query_params["lang"] == "vi"


def test_one_page_english():
    at = app_test(PAGE, params={"pages": ONE, "lang": "en"})
    assert not at.exception
    rows, silent = _check(at, [ONE], "en")
    assert silent, "the demo page has unstaffed night hours"
    listed = next(df.value for df in at.dataframe if "hour" in df.value.columns)
    assert len(listed) == len(silent)
    assert at.query_params["pages"] == ONE and at.query_params["lang"] == "en"


def test_future_range_is_refused_and_named():
    """Days after tomorrow are refused (issue 10): the link's dates are named in a notice and the
    default range is shown instead, never rows of 0 for days that have not come."""
    today = timeutil.local_today(TZ)
    at = app_test(PAGE, params={"from": (today + timedelta(days=20)).isoformat(),
                                "to": (today + timedelta(days=21)).isoformat()})
    assert not at.exception
    notice = " ".join(w.value for w in at.warning)
    assert str(timeutil.EARLIEST_DATE) in notice            # the valid range is named
    assert at.metric                                         # the default range, with its numbers


def _headings(at) -> list[str]:
    """Every heading the page shows: title, headers, subheaders, bold markdown lines and the
    charts' own titles (their line breaks read as spaces)."""
    out = [e.value for kind in ("title", "header", "subheader") for e in getattr(at, kind)]
    out += [e.value.strip("*") for e in at.markdown if e.value.startswith("**")]
    for chart in at.get("plotly_chart"):
        title = (json.loads(chart.proto.spec).get("layout", {}).get("title") or {}).get("text") or ""
        title = re.sub(r"<sup>.*?</sup>", "", title).replace("<br>", " ")
        if title.strip():
            out.append(title)
    return [" ".join(h.split()) for h in out]


@pytest.mark.parametrize("lang, profile, unanswered", [
    ("vi", "Nhu cầu và trả lời theo giờ trong ngày (cộng dồn cả khoảng)", "Tin nhắn không được trả lời theo thứ và giờ"),
    ("en", "Demand and replies by hour of day (summed over the range)", "Unanswered customer messages by weekday and hour"),
])
def test_each_heading_shows_once(lang, profile, unanswered):
    """The hour-of-day profile and the unanswered map were named twice: the section's heading,
    then the same words as the chart's title right under it."""
    at = app_test(PAGE, params={"pages": "all", "lang": lang})
    assert not at.exception
    shown = _headings(at)
    assert shown.count(profile) == 1 and shown.count(unanswered) == 1
    assert len(shown) == len(set(shown)), [h for h in shown if shown.count(h) > 1]

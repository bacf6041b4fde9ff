"""AppTest of /tags in demo mode: KPI values against the simulator, both languages, one and
several pages, URL round trip, empty range."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from pancake import fmt, timeutil
from pancake.api.simulator import DEMO_PAGE_IDS
from pancake.numbers.views import cards
from pancake.timeutil import previous_period
from tests.app_pages.test_staff import simulated
from tests.conftest import app_test

PAGE = "app_pages/tags.py"
ONE = DEMO_PAGE_IDS[0]
START = date.today() - timedelta(days=10)
END = date.today() - timedelta(days=4)


def truth(page_ids, start, end) -> pd.DataFrame:
    return simulated("tags", "daily", page_ids, start, end)


def check(at, page_ids, lang):
    cur, prev = truth(page_ids, START, END), truth(page_ids, *previous_period(START, END))
    total, before = int(cur["count"].sum()), int(prev["count"].sum())
    by_name = cur.groupby("tag_name")["count"].sum().sort_values(ascending=False)
    label = "Số hội thoại gắn thẻ" if lang == "vi" else "Tagged conversations"
    m = {x.label: x for x in at.metric}
    assert m[label].value == fmt.number(total, lang)
    assert m[label].proto.delta == cards.change_text("count", total, before, lang, source="tags")
    top_label = ("Thẻ nhiều nhất: " if lang == "vi" else "Most used tag: ") + by_name.index[0]
    assert m[top_label].value == fmt.number(int(by_name.iloc[0]), lang)
    top = at.dataframe[0].value   # the totals row is a grid of its own, under it
    assert list(top["tag_name"]) == list(by_name.index)  # combined by name, biggest first
    assert list(top["count"]) == [int(x) for x in by_name]  # numbers: a header click sorts them


def test_one_page_vietnamese():
    at = app_test(PAGE, params={"pages": ONE, "from": START.isoformat(), "to": END.isoformat()})
    assert not at.exception
    check(at, [ONE], "vi")
    qp = dict(at.query_params)
    assert (qp["pages"], qp["from"], qp["to"], qp["lang"]) == (ONE, START.isoformat(), END.isoformat(), "vi")
    assert "Thẻ × trang" not in [s.value for s in at.subheader]  # one page: no matrix


def test_all_pages_english_has_matrix():
    at = app_test(PAGE, params={"pages": "all", "from": START.isoformat(), "to": END.isoformat(), "lang": "en"})
    assert not at.exception
    check(at, list(DEMO_PAGE_IDS), "en")
    assert "Tag × page" in [s.value for s in at.subheader]
    assert dict(at.query_params)["lang"] == "en"
    labels = [b.label for b in at.get("download_button")]
    assert "Download Excel (.xlsx)" in labels


def test_future_range_is_refused_and_named():
    """Days after tomorrow are refused (issue 10): the link's dates are named in a notice and the
    default range is shown instead, never rows of 0 for days that have not come."""
    future = date.today() + timedelta(days=40)
    at = app_test(PAGE, params={"pages": ONE, "from": future.isoformat(), "to": future.isoformat(), "lang": "en"})
    assert not at.exception
    notice = " ".join(w.value for w in at.warning)
    assert str(timeutil.EARLIEST_DATE) in notice            # the valid range is named
    assert at.metric                                         # the default range, with its numbers

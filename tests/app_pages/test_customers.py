"""AppTest of /customers in demo mode: KPI values against the simulator (day and hour grain),
both languages, one and several pages, URL round trip, empty range."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from pancake import fmt, timeutil
from pancake.api.simulator import DEMO_PAGE_IDS
from tests.app_pages.test_staff import simulated
from tests.conftest import app_test

PAGE = "app_pages/customers.py"
ONE = DEMO_PAGE_IDS[0]
START = date.today() - timedelta(days=8)
END = date.today() - timedelta(days=2)


def truth(page_ids, start, end, group_by="day") -> pd.DataFrame:
    return simulated("customers", "data", page_ids, start, end, hourly=group_by == "hour")


def failed_pages(at) -> set[str]:
    out = set()
    for w in at.warning:
        for pid in DEMO_PAGE_IDS:
            if pid in w.value:
                out.add(pid)
    return out


def check(at, page_ids, lang, group_by="day"):
    d = truth(page_ids, START, END, group_by)
    m = {x.label: x.value for x in at.metric}
    labels = {"vi": ["Khách hàng mới", "Hội thoại inbox mới", "Số điện thoại mới", "Tổng số điện thoại",
                     "Tỷ lệ thu số điện thoại"],
              "en": ["New customers", "New inbox conversations", "New phone numbers", "Phone numbers",
                     "Phone capture rate"]}[lang]
    fields = ["new_customer_count", "new_page_inbox_count", "new_phone_number_count", "phone_number_count"]
    for label, f in zip(labels, fields):
        assert m[label] == fmt.number(int(d[f].sum()), lang), label
    rate = d["new_phone_number_count"].sum() / d["new_page_inbox_count"].sum()
    assert m[labels[4]] == fmt.ratio_as_percent(rate, lang)
    delta = {x.label: x.proto.delta for x in at.metric}[labels[4]]
    assert delta.endswith(" điểm %" if lang == "vi" else " pp"), delta  # a ratio changes in points


def test_one_page_vietnamese_by_day():
    at = app_test(PAGE, params={"pages": ONE, "from": START.isoformat(), "to": END.isoformat()})
    assert not at.exception
    check(at, [ONE], "vi")
    qp = dict(at.query_params)
    assert (qp["pages"], qp["from"], qp["to"], qp["lang"]) == (ONE, START.isoformat(), END.isoformat(), "vi")
    assert "grain" not in qp


def test_one_page_english_by_hour():
    at = app_test(PAGE, params={"pages": ONE, "from": START.isoformat(), "to": END.isoformat(),
                                "lang": "en", "grain": "hour"})
    assert not at.exception
    check(at, [ONE], "en", "hour")
    assert dict(at.query_params)["grain"] == "hour"
    series = at.dataframe[0].value
    assert len(series) == 24 * 7  # one row an hour over the 7 days


def test_all_pages_english():
    at = app_test(PAGE, params={"pages": "all", "from": START.isoformat(), "to": END.isoformat(), "lang": "en"})
    assert not at.exception
    ok = [p for p in DEMO_PAGE_IDS if p not in failed_pages(at)]
    assert ok
    check(at, ok, "en")
    per_page = at.dataframe[1].value
    assert len(per_page) == len(ok) and list(at.dataframe[2].value["page_name"]) == ["Total"]   # pinned under
    assert dict(at.query_params)["pages"] == "all"


def test_future_range_is_refused_and_named():
    """Days after tomorrow are refused (issue 10): the link's dates are named in a notice and the
    default range is shown instead, never rows of 0 for days that have not come."""
    future = date.today() + timedelta(days=40)
    at = app_test(PAGE, params={"pages": ONE, "from": future.isoformat(), "to": future.isoformat()})
    assert not at.exception
    notice = " ".join(w.value for w in at.warning)
    assert str(timeutil.EARLIEST_DATE) in notice            # the valid range is named
    assert at.metric                                         # the default range, with its numbers

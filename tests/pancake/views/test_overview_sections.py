"""The overview computes only the sections it is about to draw (``kpis(only=...)``): each section
is drawn as its data lands, and computed once (issue 18). Expectations are summed by hand."""
from __future__ import annotations

from datetime import date

import pandas as pd

from pancake.numbers.views import overview as ov

START, END = date(2026, 11, 1), date(2026, 11, 2)


def _daily(rows):
    return pd.DataFrame(rows, columns=["date", "page_id", "total", "inbox", "comment", "new_customer_replied"])


CURRENT = {"engagement": _daily([(START, "1", 10, 7, 3, 2), (END, "1", 5, 4, 1, None), (END, "2", "6", 6, 0, 1)])}
PREVIOUS = {"engagement": _daily([(date(2026, 10, 30), "1", 3, 2, 1, 0), (date(2026, 10, 31), "2", 4, 4, 0, 0)])}


def test_only_the_engagement_section_is_computed_and_its_total_is_the_hand_sum():
    got = ov.kpis(CURRENT, PREVIOUS, START, END, "en", only=("engagement",))
    assert list(got) == ["engagement"]
    by_field = {k.field: k for k in got["engagement"]}
    assert list(by_field) == ["total", "inbox", "comment", "new_customer_replied"]   # no orders sent
    assert by_field["total"].value == 21          # 10 + 5 + "6"
    assert by_field["total"].previous == 7        # 3 + 4
    assert by_field["inbox"].value == 17          # 7 + 4 + 6
    assert by_field["new_customer_replied"].value == 3   # 2 + (unknown) + 1: the null is not a 0 row


def test_the_customers_box_asks_staff_and_customers_only_in_the_sections_order():
    got = ov.kpis({"staff": None, "customers": None}, {}, START, END, "vi", only=("customers", "staff"))
    assert list(got) == ["staff", "customers"]
    assert [k.field for k in got["customers"]] == ["new_customer_count", "new_phone_number_count",
                                                   "phone_number_count"]


def test_an_empty_selection_computes_nothing_and_none_computes_every_section():
    assert ov.kpis(CURRENT, PREVIOUS, START, END, "en", only=()) == {}
    assert list(ov.kpis(CURRENT, PREVIOUS, START, END, "en")) == ["engagement", "staff", "customers",
                                                                  "activity", "ads"]

"""pancake.numbers.views.customers on hand-built frames (new_customers_frame schema)."""
from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest

from pancake.numbers.views import cards, tables
from pancake.numbers.views import customers as v


def frame(rows):
    df = pd.DataFrame(rows, columns=["page_id", "date", "new_customer_count", "new_page_inbox_count",
                                     "new_phone_number_count", "phone_number_count"])
    df["date"] = pd.to_datetime(df["date"])
    for c in df.columns[2:]:
        df[c] = df[c].astype("Int64")
    return df


DAYS = frame([
    ("p1", datetime(2026, 1, 1), 10, 8, 2, 3),
    ("p2", datetime(2026, 1, 1), 5, 2, 2, 2),
    ("p1", datetime(2026, 1, 3), 4, 0, 0, 1),
    ("p2", datetime(2026, 1, 3), 1, pd.NA, pd.NA, 0),
])


def test_series_sums_pages_fills_days_and_recomputes_rate():
    s = v.series(DAYS, date(2026, 1, 1), date(2026, 1, 3))
    assert list(s["new_customer_count"]) == [15, 0, 5]
    assert list(s["new_page_inbox_count"]) == [10, 0, 0]
    assert s["phone_capture_rate"].iloc[0] == pytest.approx(4 / 10)  # not mean(2/8, 2/2)
    assert math.isnan(s["phone_capture_rate"].iloc[1]) and math.isnan(s["phone_capture_rate"].iloc[2])


def test_series_by_hour_cut_at_now():
    h = frame([("p1", datetime(2026, 1, 1, 9), 3, 2, 1, 1), ("p2", datetime(2026, 1, 1, 9), 1, 2, 0, 0)])
    s = v.series(h, date(2026, 1, 1), date(2026, 1, 1), "hour", last=datetime(2026, 1, 1, 10, 30))
    assert len(s) == 11 and s["date"].iloc[-1] == pd.Timestamp(2026, 1, 1, 10)
    assert s.set_index("date").loc[pd.Timestamp(2026, 1, 1, 9), "new_customer_count"] == 4
    assert v.series(h, date(2026, 1, 1), date(2026, 1, 1), "hour").shape[0] == 24


def kpi_cards(data, prev, lang, *, start=date(2026, 1, 1), end=date(2026, 1, 3), compare=True):
    kp = v.kpis(data, prev, start, end, compare=compare, fields=v.FIELDS)
    return {c.field: c for c in cards.cards(kp, lang, compare=compare)}


def test_kpis():
    prev = frame([("p1", datetime(2025, 12, 30), 20, 10, 1, 1)])
    c = kpi_cards(DAYS, prev, "vi")
    assert c["new_customer_count"].raw == 20 and c["new_customer_count"].value == "20"
    assert c["new_customer_count"].delta == "0,0 %" and c["new_customer_count"].color == "gray"
    assert c["phone_capture_rate"].raw == pytest.approx(0.4)
    assert c["phone_capture_rate"].value == "40,0 %"
    assert c["phone_capture_rate"].color == "green" and c["phone_capture_rate"].arrow == "up"
    # source-aware: the customers meaning of phone_number_count, not the staff one
    assert c["phone_number_count"].label == "Tổng số điện thoại"
    assert "statistics/customers" not in c["phone_number_count"].help   # words only: endpoints are in the docs
    assert c["new_customer_count"].spark == (15.0, 0.0, 5.0)
    assert c["phone_capture_rate"].spark == (0.4, 0.0, 0.0)  # no conversation on days 2-3: a gap drawn at 0
    en = kpi_cards(DAYS, None, "en")
    assert en["phone_capture_rate"].value == "40.0%" and en["phone_capture_rate"].delta is None
    assert all(k.previous is None for k in v.kpis(DAYS, prev, date(2026, 1, 1), date(2026, 1, 3), compare=False))


def test_default_kpis_for_the_standup_screen():
    kp = v.kpis(DAYS, None, date(2026, 1, 1), date(2026, 1, 3))
    assert [k.field for k in kp] == ["new_customer_count", "new_page_inbox_count", "new_phone_number_count",
                                     "phone_capture_rate"]
    rate = kp[-1]
    assert rate.source == "customers" and cards.card(rate, "en").value == "40.0%"


def test_capture_rate_change_in_percentage_points():
    """Regression: the rate moved from 10 % to 40 %; the card said "+300,0 %" (a relative
    change of a ratio). A ratio changes in percentage points: "+30,0 điểm %"."""
    prev = frame([("p1", datetime(2025, 12, 30), 20, 10, 1, 1)])
    c = kpi_cards(DAYS, prev, "vi")["phone_capture_rate"]
    assert c.previous == pytest.approx(0.1)
    assert c.delta == "+30,0 điểm %" and c.color == "green" and c.arrow == "up"
    assert kpi_cards(DAYS, prev, "en")["phone_capture_rate"].delta == "+30.0 pp"
    worse = cards.card(v.kpis(prev, DAYS, date(2025, 12, 30), date(2025, 12, 30))[-1], "en")
    assert worse.delta == "-30.0 pp" and worse.color == "red"


def test_unsent_series_is_unknown_not_zero():
    no_phones = DAYS.drop(columns=["new_phone_number_count"])
    c = kpi_cards(no_phones, None, "en")
    assert c["new_phone_number_count"].value == "—" and c["phone_capture_rate"].value == "—"
    s = v.series(no_phones, date(2026, 1, 1), date(2026, 1, 3))
    assert s["new_phone_number_count"].isna().all()
    pp = v.per_page(no_phones)
    assert pp["new_phone_number_count"].isna().all() and pp["phone_capture_rate"].isna().all()


def test_rate_dash_when_no_conversations():
    z = frame([("p1", datetime(2026, 1, 1), 1, 0, 0, 0)])
    c = kpi_cards(z, z, "en")
    assert c["phone_capture_rate"].value == "—" and c["phone_capture_rate"].delta is None


def test_per_page():
    pp = v.per_page(DAYS, {"p1": "Shop A"})
    assert list(pp["page_id"]) == ["p1", "p2"]
    p1 = pp.iloc[0]
    assert p1["page_name"] == "Shop A" and p1["new_customer_count"] == 14
    assert p1["phone_capture_rate"] == pytest.approx(2 / 8)
    assert pp.iloc[1]["phone_capture_rate"] == pytest.approx(1.0)
    fig = v.per_page_figure(pp, "en")
    assert [t.name for t in fig.data] == ["New customers", "New inbox conversations", "New phone numbers"]
    assert list(fig.data[0].x) == [14, 6]


def test_figures_and_tables():
    s = v.series(DAYS, date(2026, 1, 1), date(2026, 1, 3))
    fig = v.trend_figure(s, "vi")
    assert [t.name for t in fig.data] == ["Khách hàng mới", "Hội thoại inbox mới", "Số điện thoại mới"]
    assert list(fig.data[0].y) == [15, 0, 5]
    r = v.rate_figure(s, "en")
    assert r.data[0].y[0] == pytest.approx(0.4) and math.isnan(r.data[0].y[1])
    t = v.series_table(s, "vi")
    assert all(pd.api.types.is_numeric_dtype(t.frame[c]) for c in t.shown[1:])
    d = tables.display_values(t, "vi")
    assert d.iloc[0]["date"] == "01/01/2026" and d.iloc[0]["phone_capture_rate"] == "40,0 %"
    assert d.iloc[1]["phone_capture_rate"] == "—"
    assert t.column("phone_capture_rate").label == "Tỷ lệ thu số điện thoại"
    th = v.series_table(v.series(DAYS, date(2026, 1, 1), date(2026, 1, 1), "hour"), "en", "hour")
    assert tables.display_values(th, "en").iloc[0]["date"] == "1 Jan 2026 00:00"
    assert th.column("date").label == "Hour"
    pt = tables.display_values(v.per_page_table(v.per_page(DAYS, {"p1": "Shop A"}), "en"), "en")
    assert list(pt.columns) == ["page_name", *v.FIELDS, "phone_capture_rate"]
    assert pt.iloc[0]["page_name"] == "Shop A" and pt.iloc[0]["phone_capture_rate"] == "25.0%"


def test_empty():
    assert v.per_page(None).empty
    s = v.series(DAYS.iloc[0:0], date(2026, 1, 1), date(2026, 1, 2))
    assert list(s["new_customer_count"]) == [0, 0]  # nothing happened
    assert s["phone_capture_rate"].isna().all()
    assert v.series(None, date(2026, 1, 1), date(2026, 1, 2))["new_customer_count"].isna().all()  # not loaded
    h = v.series(DAYS.iloc[0:0], date(2026, 1, 1), date(2026, 1, 1), "hour")
    assert len(h) == 24 and (h["new_customer_count"] == 0).all()


# --- issue 17, item 12c: no hour that did not exist ---------------------------------------------

SPRING = date(2026, 3, 8)      # America/New_York: 02:00 -> 03:00
AUTUMN = date(2026, 11, 1)     # America/New_York: 01:00 twice


def _hour_labels(fig) -> list[pd.Timestamp]:
    return sorted({pd.Timestamp(x) for tr in fig.data for x in (tr.x if tr.x is not None else [])})


def test_no_phantom_two_oclock_on_a_spring_forward_day():
    """Regression (issue 17, 12c): the hourly new-customers chart drew 02:00 on 8 March 2026 in
    New York, an hour that did not exist there. By hand: 23 hours; 01:00 has 2 + 1 = 3 new
    customers, 03:00 has 5; the phone capture rate of 03:00 is 1 / 4."""
    h = frame([("p1", datetime(2026, 3, 8, 1), 2, 2, 1, 1), ("p2", datetime(2026, 3, 8, 1), 1, 1, 0, 0),
               ("p1", datetime(2026, 3, 8, 3), 5, 4, 1, 1)])
    s = v.series(h, SPRING, SPRING, "hour", tz="America/New_York")
    assert len(s) == 23
    assert pd.Timestamp(2026, 3, 8, 2) not in set(s["date"])
    by = s.set_index("date")
    assert by.loc[pd.Timestamp(2026, 3, 8, 1), "new_customer_count"] == 3
    assert by.loc[pd.Timestamp(2026, 3, 8, 3), "new_customer_count"] == 5
    assert by.loc[pd.Timestamp(2026, 3, 8, 3), "phone_capture_rate"] == 0.25
    for fig in (v.trend_figure(s, "en", "hour"), v.rate_figure(s, "vi", "hour")):
        assert pd.Timestamp(2026, 3, 8, 2) not in _hour_labels(fig)
    assert len(v.series_table(s, "en", "hour").frame) == 23


def test_an_ordinary_day_and_a_zone_without_daylight_saving_have_24_hours():
    empty = frame([])
    assert len(v.series(empty, SPRING, SPRING, "hour", tz="Asia/Ho_Chi_Minh")) == 24
    assert len(v.series(empty, SPRING + pd.Timedelta(days=1), SPRING + pd.Timedelta(days=1), "hour",
                        tz="America/New_York")) == 24
    assert len(v.series(empty, AUTUMN, AUTUMN, "hour", tz="America/New_York")) == 25   # 01:00 twice
    assert len(v.series(None, SPRING, SPRING, "hour", tz="America/New_York")) == 23

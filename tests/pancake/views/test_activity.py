"""Page-activity views on hand-built statistics/pages frames."""
from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from pancake.numbers import metrics
from pancake.numbers.views import activity as av
from pancake.numbers.views import cards, tables


def frame(rows):
    cols = ["page_id", "hour", "customer_inbox_count", "page_inbox_count", "customer_comment_count",
            "page_comment_count", "new_inbox_count", "phone_number_count"]
    df = pd.DataFrame(rows, columns=cols)
    df["hour"] = pd.to_datetime(df["hour"])
    for c in cols[2:]:
        df[c] = df[c].astype("Int64")
    return df


# 2026-03-02 is a Monday.
F = frame([
    ("p1", "2026-03-02 09:00", 10, 10, 2, 2, 3, 1),
    ("p1", "2026-03-02 22:00", 6, 0, 1, 0, 1, 0),     # silent: 6 unanswered
    ("p2", "2026-03-02 09:00", 4, 0, 0, 0, 1, 0),      # silent at 09:00 on another page
    ("p2", "2026-03-03 09:00", 20, 5, 0, 1, 2, 2),
    ("p2", "2026-03-03 03:00", 0, 0, 0, 0, 0, 0),      # nobody wrote: not silent
])
NAMES = {"p1": "Shop A", "p2": "Shop B"}


def test_reply_ratio_from_sums_never_a_mean_of_ratios():
    assert av.reply_ratio(F) == pytest.approx(15 / 40) == metrics.reply_ratio(F)
    assert math.isnan(av.reply_ratio(F.iloc[0:0])) and math.isnan(av.reply_ratio(None))
    assert av.daily_ratio(F, date(2026, 3, 2), date(2026, 3, 4))[:2] == pytest.approx([10 / 20, 5 / 20])
    assert math.isnan(av.daily_ratio(F, date(2026, 3, 2), date(2026, 3, 4))[2])


def test_kpis():
    prev = frame([("p1", "2026-02-23 09:00", 20, 10, 0, 0, 4, 1)])
    ks = {k.field: k for k in av.kpis(F, prev, date(2026, 3, 2), date(2026, 3, 3))}
    assert list(ks)[:5] == ["customer_inbox_count", "page_inbox_count", "reply_ratio", "new_inbox_count",
                            "phone_number_count"]
    assert ks["customer_inbox_count"].value == 40 and ks["customer_inbox_count"].previous == 20
    assert ks["reply_ratio"].previous == pytest.approx(0.5)
    assert ks["phone_number_count"].spark == [1.0, 2.0]
    assert all(isinstance(k, cards.Kpi) and k.source == "activity" for k in ks.values())
    assert all(k.previous is None for k in av.kpis(F, None, date(2026, 3, 2), date(2026, 3, 3)))
    assert all(k.previous is None for k in av.kpis(F, prev, date(2026, 3, 2), date(2026, 3, 3), compare=False))


def test_reply_ratio_card_changes_in_percentage_points():
    prev = frame([("p1", "2026-02-23 09:00", 20, 10, 0, 0, 4, 1)])
    k = next(k for k in av.kpis(F, prev, date(2026, 3, 2), date(2026, 3, 3)) if k.field == "reply_ratio")
    shown = cards.card(k, "en")  # 37.5 % now, 50 % then: 12.5 points down, not -25 %
    assert shown.value == "37.5%" and shown.delta == "-12.5 pp" and shown.color == "red"
    assert cards.card(k, "vi").delta == "-12,5 điểm %"


def test_silent_hours_and_unanswered_grid():
    s = av.silent_hours(F, NAMES)
    assert list(zip(s["page_name"], s["hour"].dt.hour, s["customer_inbox_count"])) == [
        ("Shop A", 22, 6), ("Shop B", 9, 4)]
    assert av.silent_summary(F) == (2, 10, pytest.approx(10 / 40))
    grid = av.unanswered_grid(F)
    assert grid.loc[0, 22] == 6 and grid.loc[0, 9] == 4 and grid.loc[1, 9] == 0
    assert grid.to_numpy().sum() == 10
    assert av.silent_hours(None, NAMES).empty and av.silent_summary(None)[0] == 0


def test_hour_profile_sums_over_days_and_pages():
    p = av.hour_profile(F).set_index("hour_of_day")
    assert len(p) == 24
    assert p.loc[9, "customer_inbox_count"] == 34 and p.loc[9, "page_inbox_count"] == 15
    assert p.loc[9, "reply_ratio"] == pytest.approx(15 / 34)
    assert p.loc[9, "silent_hours"] == 1 and p.loc[9, "unanswered_messages"] == 4
    assert p.loc[22, "reply_ratio"] == 0.0 and math.isnan(p.loc[3, "reply_ratio"])
    fig = av.profile_figure(av.hour_profile(F), "en")
    assert [t.name for t in fig.data] == ["Customer messages", "Page messages sent", "Reply ratio (%)"]
    assert fig.data[0].y[9] == 34 and fig.data[2].y[9] == pytest.approx(44.1)
    assert fig.data[0].x[0] == "00:00"


def test_per_page_table():
    t = av.per_page_table(F, NAMES).set_index("page_id")
    assert list(t.index) == ["p2", "p1"]  # most customer messages first
    assert t.loc["p2", "customer_inbox_count"] == 24 and t.loc["p2", "reply_ratio"] == pytest.approx(5 / 24)
    assert t.loc["p1", "silent_hours"] == 1 and t.loc["p1", "unanswered_messages"] == 6
    assert t.loc["p2", "page_comment_count"] == 1 and t.loc["p1", "page_name"] == "Shop A"


def test_hourly_series_and_figure():
    s = av.hourly_series(F, date(2026, 3, 2), date(2026, 3, 3))
    assert len(s) == 48 and int(s["customer_inbox_count"].sum()) == 40
    fig = av.hourly_figure(s, "vi")
    assert [t.name for t in fig.data] == ["Tin nhắn của khách", "Tin nhắn trang gửi"]
    assert sum(fig.data[0].y) == 40 and sum(fig.data[1].y) == 15


def test_hourly_series_follows_the_zone_clock_changes():
    """Regression: 24 naive slots a day drew a phantom 02:00 on 2026-03-29 in Berlin and put
    both 02:00 hours of 2026-10-25 in one slot."""
    spring = frame([("p1", "2026-03-29 01:00", 2, 1, 0, 0, 0, 0), ("p1", "2026-03-29 03:00", 4, 4, 0, 0, 0, 0)])
    s = av.hourly_series(spring, date(2026, 3, 29), date(2026, 3, 29), "Europe/Berlin")
    assert len(s) == 23 and pd.Timestamp("2026-03-29 02:00") not in set(s["hour"])
    autumn = frame([("p1", "2026-10-25 02:00", 5, 1, 0, 0, 0, 0), ("p1", "2026-10-25 02:00", 7, 7, 0, 0, 0, 0)])
    s = av.hourly_series(autumn, date(2026, 10, 25), date(2026, 10, 25), "Europe/Berlin")
    assert len(s) == 25
    assert s.loc[s["hour"] == pd.Timestamp("2026-10-25 02:00"), "customer_inbox_count"].tolist() == [5, 7]
    assert av.hour_profile(autumn).set_index("hour_of_day").loc[2, "customer_inbox_count"] == 12


def test_tables_hold_numbers_with_labels_for_silent_columns():
    t = av.table(av.per_page_table(F, NAMES), "en")
    assert t.frame["customer_inbox_count"].tolist() == [24, 16]
    assert t.column("silent_hours").label == "Silent hours" and "per page" in t.column("silent_hours").help
    assert t.column("reply_ratio").unit == "ratio"
    shown = tables.display_values(t, "vi")
    assert shown["reply_ratio"].tolist() == ["20,8 %", "62,5 %"]
    assert shown["unanswered_messages"].tolist() == ["4", "6"]

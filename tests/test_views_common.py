"""Shared view pieces: value formatting by unit, the KPI card model (change text, colour,
arrow, points for ratios), the table model (numbers kept, display text by unit), sums and the
heatmap grid from pancake.metrics."""
from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

from pancake import metrics, views
from pancake.views import cards, tables


def test_format_metric_by_unit():
    assert views.format_metric("average_response_time", 588569, "vi") == "9 phút 49 giây"
    assert views.format_metric("average_response_time", 588569, "en") == "9 min 49 s"
    assert views.format_metric("inbox", 1234567, "vi") == "1.234.567"
    assert views.format_metric("spend", 1250000, "vi", "VND") == "1.250.000 ₫"
    assert views.format_metric("spend", 12.5, "en", None) == "12.50"          # no currency: never ₫
    assert views.format_metric("phone_capture_rate", 0.298, "vi", source="customers") == "29,8 %"
    assert views.format_metric("roas", 2.5, "en") == "2.50×"
    assert views.format_metric("inbox", float("nan"), "en") == "—"
    assert views.format_metric("order_count", None, "vi") == "—"


def test_card_change_text_colour_and_arrow():
    c = cards.card(cards.Kpi("inbox", 80, 100, source="engagement"), "en")
    assert (c.value, c.delta, c.arrow, c.color) == ("80", "-20.0%", "down", "red")
    assert cards.card(cards.Kpi("inbox", 125, 100, source="engagement"), "vi").delta == "+25,0 %"
    assert cards.card(cards.Kpi("inbox", 5, 0, source="engagement"), "en").delta == "+5"   # no % of nothing
    slower = cards.card(cards.Kpi("average_response_time", 90_000, 60_000, source="staff"), "en")
    assert (slower.arrow, slower.color) == ("up", "red")                    # lower is better
    assert cards.card(cards.Kpi("inbox", None, 3), "en").delta is None
    assert cards.card(cards.Kpi("inbox", 3, 2), "en", compare=False).delta is None


def test_a_ratio_changes_in_percentage_points():
    """Regression: the reply ratio, CTR and capture rate showed a relative change."""
    rr = cards.card(cards.Kpi("reply_ratio", 0.62, 0.50, source="activity"), "vi")
    assert rr.value == "62,0 %" and rr.delta == "+12,0 điểm %"
    ctr = cards.card(cards.Kpi("ctr", 1.2, 1.5, source="ads"), "en")
    assert ctr.delta == "-0.3 pp" and ctr.color == "red"
    cap = cards.card(cards.Kpi("phone_capture_rate", 0.25, 0.30, source="customers"), "en")
    assert cap.delta == "-5.0 pp"


def test_card_note_goes_into_the_tooltip_and_sparks_skip_unknowns():
    c = cards.card(cards.Kpi("spend", 10.0, note="covers 3 of 4 ads", spark=[1, float("nan"), 2]), "en")
    assert c.help.endswith("covers 3 of 4 ads") and c.spark == (1.0, 0.0, 2.0)
    assert cards.card(cards.Kpi("inbox", 1, spark=[float("nan")] * 3), "en").spark is None


def test_table_keeps_numbers_and_formats_by_unit():
    frame = pd.DataFrame({"user_name": ["A", "B", "C"], "inbox_count": [1178, 316, 2313],
                          "average_response_time": [61_000.0, float("nan"), 5_000.0],
                          "currency": ["VND", "USD", None], "spend": [1500000.0, 12.5, 3.0]})
    t = tables.table(frame, ["user_name", "inbox_count", "average_response_time", "spend"], "vi",
                     sources={"inbox_count": "staff", "average_response_time": "staff", "spend": "ads"})
    assert pd.api.types.is_numeric_dtype(t.frame["inbox_count"])        # sorts as numbers
    assert list(t.frame.sort_values("inbox_count")["inbox_count"]) == [316, 1178, 2313]
    shown = tables.display_values(t, "vi")
    assert list(shown["inbox_count"]) == ["1.178", "316", "2.313"]
    assert list(shown["average_response_time"]) == ["1 phút 1 giây", "—", "5 giây"]
    assert list(shown["spend"]) == ["1.500.000 ₫", "12,50 US$", "3,00"]    # per-row currency, none = bare
    assert [c.label for c in t.columns][:2] == ["Nhân viên", "Tin nhắn đã gửi"]


def test_sums_series_and_grid_from_metrics():
    df = pd.DataFrame({"page_id": ["a", "a", "b"],
                       "date": pd.to_datetime(["2026-11-01", "2026-11-03", "2026-11-01"]),
                       "inbox": pd.array([1, 2, pd.NA], dtype="Int64")})
    assert metrics.total(df, "inbox") == 3
    assert metrics.total(None, "inbox") is None
    assert metrics.daily_series(df, "inbox", date(2026, 11, 1), date(2026, 11, 3)) == [1.0, 0.0, 2.0]
    assert views.pages_label(["1"]) == "1" and views.pages_label(list("abcd")) == "4-pages"
    assert math.isnan(metrics.safe_div(1, 0)) and metrics.safe_div(1, 4) == 0.25
    hours = pd.DataFrame({"hour": [datetime(2026, 11, 23, 9), datetime(2026, 11, 23, 9), datetime(2026, 11, 24, 20)],
                          "inbox": [2, 3, 4]})
    grid = metrics.weekday_hour_sums(hours, "inbox")
    assert grid.shape == (7, 24) and grid.loc[0, 9] == 5 and grid.loc[1, 20] == 4 and grid.values.sum() == 9

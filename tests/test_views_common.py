"""Shared view helpers: KPI text, sums, sparkline series, per-page breakdown, heatmap grid."""
from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd

from pancake import views


def test_delta_text_falls_start_with_an_ascii_minus_for_streamlit():
    assert views.delta_text(80, 100, "en") == "-20.0%"
    assert views.delta_text(80, 100, "vi") == "-20,0 %"
    assert views.delta_text(125, 100, "vi") == "+25,0 %"
    assert views.delta_text(5, 0, "en") == "+5"          # no percentage of nothing
    assert views.delta_text(0, 3, "en") == "-100.0%"
    assert views.delta_text(None, 3, "en") is None and views.delta_text(3, float("nan"), "en") is None


def test_format_metric_by_unit():
    assert views.format_metric("average_response_time", 588569, "vi") == "9 phút 49 giây"
    assert views.format_metric("average_response_time", 588569, "en") == "9 min 49 s"
    assert views.format_metric("inbox", 1234567, "vi") == "1.234.567"
    assert views.format_metric("spend", 1250000, "vi", "VND") == "1.250.000 ₫"
    assert views.format_metric("phone_capture_rate", 0.298, "vi") == "29,8 %"
    assert views.format_metric("roas", 2.5, "en") == "2.50"
    assert views.format_metric("inbox", float("nan"), "en") == "—"


def test_totals_series_per_page_and_grid():
    df = pd.DataFrame({"page_id": ["a", "a", "b"],
                       "date": pd.to_datetime(["2026-11-01", "2026-11-03", "2026-11-01"]),
                       "inbox": pd.array([1, 2, pd.NA], dtype="Int64")})
    assert views.total(df, "inbox") == 3
    assert views.total(None, "inbox") == 0
    assert views.daily_series(df, "inbox", date(2026, 11, 1), date(2026, 11, 3)) == [1.0, 0.0, 2.0]
    pp = views.per_page(df, ["inbox"], {"a": "Shop A"})
    assert list(pp["page_name"]) == ["Shop A", "b"] and int(pp["inbox"].iloc[0]) == 3
    assert views.pages_label(["1"]) == "1" and views.pages_label(list("abcd")) == "4-pages"
    assert math.isnan(views.ratio(1, 0)) and views.ratio(1, 4) == 0.25
    hours = pd.DataFrame({"hour": [datetime(2026, 11, 23, 9), datetime(2026, 11, 23, 9), datetime(2026, 11, 24, 20)],
                          "inbox": [2, 3, 4]})
    grid = views.weekday_hour_matrix(hours, "inbox")
    assert grid.shape == (7, 24) and grid.loc[0, 9] == 5 and grid.loc[1, 20] == 4 and grid.values.sum() == 9

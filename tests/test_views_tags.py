"""pancake.views.tags on hand-built frames (tags_frame schema: page_id, date, tag_id, tag_name, count)."""
from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest

from pancake.views import tags as v


def frame(rows):
    df = pd.DataFrame(rows, columns=["page_id", "date", "tag_id", "tag_name", "count"])
    df["date"] = pd.to_datetime(df["date"])
    df["count"] = df["count"].astype("Int64")
    return df


D1, D2, D3 = datetime(2026, 1, 1), datetime(2026, 1, 2), datetime(2026, 1, 3)
CUR = frame([
    ("p1", D1, "1", "Hỏi giá", 5), ("p1", D2, "1", "Hỏi giá", 3),
    ("p2", D1, "9", "Hỏi giá", 4),                     # same name, other page, other id
    ("p1", D1, "2", "Đã chốt", 2), ("p2", D2, "7", "#7", pd.NA),
    ("p2", D3, "8", "#8", 1),
])
PREV = frame([("p1", D1, "1", "Hỏi giá", 6), ("p1", D1, "3", "Spam", 4)])


def test_top_tags_combined_by_name_with_ids_kept():
    top = v.top_tags(CUR, PREV)
    assert list(top["tag_name"]) == ["Hỏi giá", "Đã chốt", "#8", "Spam"]
    hg = top.iloc[0]
    assert hg["count"] == 12 and hg["previous"] == 6 and hg["change"] == 6
    assert hg["change_pct"] == pytest.approx(100.0)
    assert hg["tag_ids"] == "p1:1,p2:9" and hg["pages"] == 2
    spam = top.set_index("tag_name").loc["Spam"]
    assert spam["count"] == 0 and spam["change_pct"] == pytest.approx(-100.0)
    new = top.set_index("tag_name").loc["Đã chốt"]
    assert new["previous"] == 0 and math.isnan(new["change_pct"])
    assert "#7" not in set(top["tag_name"])  # only a null count: nothing to show


def test_top_display_both_languages():
    top = v.top_tags(CUR, PREV)
    vi = v.top_display(top, "vi")
    en = v.top_display(top, "en")
    assert vi.iloc[0]["change"] == "+100,0 %" and en.iloc[0]["change"] == "+100.0%"
    assert vi.set_index("tag_name").loc["Đã chốt"]["change"] == "+2"
    assert "previous" not in v.top_display(top, "en", compare=False).columns


def test_trend_fills_days_and_figure():
    wide = v.trend(CUR, ["Hỏi giá", "#8"], date(2026, 1, 1), date(2026, 1, 4))
    assert list(wide.columns) == ["date", "Hỏi giá", "#8"]
    assert list(wide["Hỏi giá"]) == [9, 3, 0, 0] and list(wide["#8"]) == [0, 0, 1, 0]
    fig = v.trend_figure(wide, "en")
    assert [t.name for t in fig.data] == ["Hỏi giá", "#8"]
    assert list(fig.data[0].y) == [9, 3, 0, 0]


def test_page_matrix():
    m = v.page_matrix(CUR, ["Hỏi giá", "Đã chốt"], {"p1": "Shop A", "p2": "Shop B"})
    assert list(m.columns) == ["Shop A", "Shop B"]
    assert m.loc["Hỏi giá", "Shop A"] == 8 and m.loc["Hỏi giá", "Shop B"] == 4
    assert m.loc["Đã chốt", "Shop B"] == 0
    fig = v.matrix_figure(m, "vi")
    assert list(fig.data[0].y) == ["Hỏi giá", "Đã chốt"] and fig.data[0].z[0][1] == 4
    assert v.matrix_csv(m, "vi").columns[0] == "Thẻ"
    same = v.page_matrix(CUR, ["Hỏi giá"], {"p1": "Shop", "p2": "Shop"})
    assert list(same.columns) == ["Shop (p1)", "Shop (p2)"]


def test_detail_csv_keeps_ids():
    d = v.detail_csv(CUR, {"p1": "Shop A"})
    assert list(d.columns) == ["page_id", "page_name", "date", "tag_id", "tag_name", "count"]
    assert set(d[d["tag_name"] == "Hỏi giá"]["tag_id"]) == {"1", "9"}
    assert d.iloc[0]["page_name"] == "Shop A"


def test_kpis():
    top = v.top_tags(CUR, PREV)
    cards = {c.field: c for c in v.kpi_cards(top, "vi")}
    assert cards["count"].raw == 15 and cards["count"].previous == 10
    assert cards["count"].value == "15" and cards["count"].delta == "+50,0 %"
    assert cards["count"].label == "Số hội thoại gắn thẻ" and "statistics/tags" in cards["count"].help
    assert cards["tags_used"].raw == 3
    assert cards["top_tag"].value == "Hỏi giá" and cards["top_tag"].delta == "12 · 80,0 %"


def test_empty():
    top = v.top_tags(None, None)
    assert top.empty
    assert [c.field for c in v.kpi_cards(top, "en")] == ["count", "tags_used"]
    assert v.page_matrix(None, []).empty

"""pancake.numbers.views.tags on hand-built frames (tags_frame schema: page_id, date, tag_id, tag_name, count)."""
from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest

from pancake.numbers.views import cards, tables
from pancake.numbers.views import tags as v


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


def test_top_table_holds_numbers_both_languages():
    top = v.top_tags(CUR, PREV)
    t = v.top_table(top, "vi")
    assert t.shown == ["tag_name", "count", "previous", "change", "change_pct", "pages"]
    assert all(pd.api.types.is_numeric_dtype(t.frame[c]) for c in t.shown[1:])
    vi = tables.display_values(t, "vi").set_index("tag_name")
    en = tables.display_values(v.top_table(top, "en"), "en").set_index("tag_name")
    assert vi.loc["Hỏi giá", "change_pct"] == "+100,0 %" and en.loc["Hỏi giá", "change_pct"] == "+100.0%"
    assert vi.loc["Đã chốt", "change"] == "2" and vi.loc["Đã chốt", "change_pct"] == "—"
    assert vi.loc["Spam", "change"] == "-4"
    assert t.column("count").label == "Số hội thoại gắn thẻ" and t.column("tag_name").label == "Thẻ"
    plain = v.top_table(top, "en", compare=False)
    assert "previous" not in plain.shown and "previous" not in plain.frame.columns
    assert "tag_ids" in plain.frame.columns  # ids stay in the CSV


def test_top_for_the_standup_screen():
    top = v.top(CUR, n=2)
    assert list(top.columns) == ["tag_name", "count"]
    assert list(top["tag_name"]) == ["Hỏi giá", "Đã chốt"] and list(top["count"]) == [12, 2]
    assert v.top(None).empty


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
    c = cards.cards(v.kpis(CUR, PREV, date(2026, 1, 1), date(2026, 1, 3), "vi"), "vi")
    total, used, best = c
    assert total.raw == 15 and total.previous == 10
    assert total.value == "15" and total.delta == "+50,0 %"
    assert total.label == "Số hội thoại gắn thẻ" and "statistics/tags" not in total.help
    assert total.spark == (11.0, 3.0, 1.0)
    assert used.raw == 3 and used.previous == 2 and used.label == "Số thẻ đã dùng" and used.color == "gray"
    assert best.label == "Thẻ nhiều nhất: Hỏi giá" and best.value == "12" and best.delta == "+100,0 %"
    assert [k.previous for k in v.kpis(CUR, None, date(2026, 1, 1), date(2026, 1, 3), "en")] == [None] * 3


def test_empty_state():
    assert v.is_empty(None) and v.is_empty(frame([("p1", D1, "7", "#7", pd.NA)]))
    assert not v.is_empty(CUR)


def test_empty():
    top = v.top_tags(None, None)
    assert top.empty
    assert [k.field for k in v.kpis(CUR.iloc[0:0], None, D1.date(), D3.date(), "en")] == ["count", "tags_used"]
    assert v.page_matrix(None, []).empty


def test_tags_by_page_puts_many_pages_down_the_side():
    """Regression (issue 19, 24 pages): 24 page names across the chart's bottom were slanted and
    the counts in the cells tiny; more pages than tags (over 6) go down the side, a row each."""
    pages = [f"Shop #{i}" for i in range(1, 25)]
    matrix = pd.DataFrame([[i * 10 + j for i in range(24)] for j in range(3)], index=["Hỏi giá", "Spam", "Đổi trả"],
                          columns=pages)
    fig = v.matrix_figure(matrix, "vi")
    assert list(fig.data[0].y) == pages and list(fig.data[0].x) == ["Hỏi giá", "Spam", "Đổi trả"]
    assert fig.data[0].z[23][1] == 231.0          # Shop #24's Spam: its row, the tag's column
    assert fig.layout.height == 26 * 24 + 100
    few = v.matrix_figure(matrix.iloc[:, :5], "vi")   # a shop with a few pages: as before
    assert list(few.data[0].y) == ["Hỏi giá", "Spam", "Đổi trả"] and list(few.data[0].x) == pages[:5]
    square = v.matrix_figure(pd.DataFrame([[1] * 7] * 8, index=list("abcdefgh"), columns=pages[:7]), "en")
    assert list(square.data[0].y) == list("abcdefgh")  # fewer pages than tags: tags down the side
    empty = v.matrix_figure(pd.DataFrame(index=["Hỏi giá"], dtype="int64"), "en")
    assert list(empty.data[0].y) == ["Hỏi giá"]

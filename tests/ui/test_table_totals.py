"""The table renderer's totals row: never among the sortable rows, pinned under them in its own
grid with the same column widths."""
from __future__ import annotations

import pandas as pd

from pancake.numbers.views import tables as vt
from ui import components


def staff_table(total=True) -> vt.Table:
    frame = pd.DataFrame({"user_name": ["An", "Bình", None], "inbox_count": pd.array([3, None, 12], dtype="Int64"),
                          "user_id": ["u1", "u2", "u3"]})
    return vt.Table(frame=frame, columns=[vt.Column("user_name", "Nhân viên", unit="text"),
                                          vt.Column("inbox_count", "Tin nhắn đã gửi")],
                    total={"inbox_count": 15} if total else None)


def test_the_rows_grid_has_no_totals_row_and_stays_numeric():
    s = components.styled(staff_table(), "vi")
    assert list(s.data["user_name"].astype(object).where(s.data["user_name"].notna(), None)) == ["An", "Bình", None]
    assert len(s.data) == 3 and s.data["inbox_count"].dtype == "Int64"   # a header click sorts numbers


def test_the_totals_grid_is_the_totals_row_alone_labelled_total():
    tbl = staff_table()
    total = vt.total_only(tbl, "vi")
    assert list(total["user_name"]) == ["Tổng"] and list(total["inbox_count"]) == [15]
    html = components.styled_total(tbl, total, "vi").to_html()
    assert "font-weight: 600" in html and ">15<" in html
    assert vt.total_only(tbl, "en")["user_name"].tolist() == ["Total"]


def test_no_totals_grid_without_a_total_or_without_rows():
    assert vt.total_only(staff_table(total=False), "vi").empty
    empty = vt.Table(frame=staff_table().frame.iloc[0:0], columns=staff_table().columns, total={"inbox_count": 0})
    assert vt.total_only(empty, "vi").empty


def test_both_grids_get_the_same_widths_from_the_longest_text():
    widths = vt.column_widths(staff_table(), "vi")
    # "Tin nhắn đã gửi" is 15 characters: 15 * 8 + 28 = 148; "Nhân viên" 9 -> 100
    assert widths == {"inbox_count": 148, "user_name": 100}
    long = staff_table()
    long.frame.loc[0, "user_name"] = "x" * 100     # capped
    assert vt.column_widths(long, "vi")["user_name"] == 240   # a text column: its numbers stay in view
    wide = vt.Table(frame=pd.DataFrame({"n": [1]}), columns=[vt.Column("n", "N" * 60)])
    assert vt.column_widths(wide, "vi")["n"] == 360

import csv
import io
import zipfile
from datetime import date, datetime

import numpy as np
import openpyxl
import pandas as pd
import pytest

from pancake.delivery import export
from pancake.delivery.export import (
    BOM,
    CsvWriter,
    safe_filename,
    sanitize_cell,
    sheet_names,
    to_csv_bytes,
    with_extension,
    write_csv,
    xlsx_bytes,
    zip_bytes,
)


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "page_id": ["101", "102"],
        "name": ["Thời Trang Đẹp", "=1+1"],
        "inbox": pd.array([1234567, None], dtype="Int64"),
        "spend": [1250000.0, -2.5],
        "date": pd.to_datetime(["2026-11-01", "2026-11-24"]),
    })


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


# ------------------------------------------------------------------ sanitize_cell

@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"),
    ("+SUM(A1)", "'+SUM(A1)"),
    ("-2+3", "'-2+3"),
    ("@cmd", "'@cmd"),
    ("\t=x", "'\t=x"),
    ("\r=x", "'\r=x"),
    ("  =x", "'  =x"),
    (" \u00a0@x", "' \u00a0@x"),
    ("-5", "'-5"),            # a *string* that looks like a number is still text
    ("Thời Trang", "Thời Trang"),
    ("a=b", "a=b"),
    ("", ""),
    ("'=x", "'=x"),           # idempotent
])
def test_sanitize_strings(value, expected):
    assert sanitize_cell(value) == expected


@pytest.mark.parametrize("value", [-5, -2.5, 0, np.int64(-7), np.float64(-1.5), None])
def test_sanitize_leaves_numbers_alone(value):
    assert sanitize_cell(value) is value


# ------------------------------------------------------------------ to_csv_bytes

def test_csv_exact_bytes():
    data = to_csv_bytes(_frame())
    assert data[:3] == b"\xef\xbb\xbf"
    assert data == (
        "\ufeffpage_id,name,inbox,spend,date\r\n"
        "101,Thời Trang Đẹp,1234567,1250000,2026-11-01\r\n"
        "102,'=1+1,,-2.5,2026-11-24\r\n"
    ).encode("utf-8")
    assert data.count(BOM) == 1


def test_csv_round_trip_with_pandas_keeps_vietnamese():
    back = pd.read_csv(io.BytesIO(to_csv_bytes(_frame())), encoding="utf-8-sig",
                       dtype={"page_id": str})
    assert list(back.columns) == ["page_id", "name", "inbox", "spend", "date"]
    assert back.loc[0, "name"] == "Thời Trang Đẹp"
    assert back.loc[0, "page_id"] == "101"
    assert back["inbox"].tolist()[0] == 1234567
    assert pd.isna(back["inbox"].tolist()[1])
    assert back["spend"].tolist() == [1250000.0, -2.5]


def test_csv_formula_injection_strings_vs_numbers():
    frame = pd.DataFrame({
        "text": ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "  =x", "ok"],
        "number": [-5, 3, -1, 0, 2, 1, 7],
        "mixed": [-5, "-5", -2.5, "=HYPERLINK(\"http://x\")", None, np.nan, "a,b"],
    })
    rows = _rows(to_csv_bytes(frame))
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\t=x",
                                        "'  =x", "ok"]
    assert [r[1] for r in rows[1:]] == ["-5", "3", "-1", "0", "2", "1", "7"]
    assert [r[2] for r in rows[1:]] == ["-5", "'-5", "-2.5", "'=HYPERLINK(\"http://x\")", "",
                                        "", "a,b"]


def test_csv_headers_are_sanitised():
    rows = _rows(to_csv_bytes(pd.DataFrame({"=cmd|' /C calc'!A0": [1], "-x": [2], "ok": [3]})))
    assert rows[0] == ["'=cmd|' /C calc'!A0", "'-x", "ok"]
    assert rows[1] == ["1", "2", "3"]


def test_csv_numbers_plain():
    frame = pd.DataFrame({
        "i64": np.array([1, -2, 3000000], dtype="int64"),
        "Int64": pd.array([None, 5, -6], dtype="Int64"),
        "f": [1234567.0, 0.1, 1e-7],
        "big": [1e20, -0.0, float("inf")],
        "nan": [np.nan, 2.5, -3.25],
    })
    rows = _rows(to_csv_bytes(frame))
    assert rows[1:] == [
        ["1", "", "1234567", "100000000000000000000", ""],
        ["-2", "5", "0.1", "0", "2.5"],
        ["3000000", "-6", "0.0000001", "", "-3.25"],
    ]


def test_csv_datetimes_iso():
    frame = pd.DataFrame({
        "date": pd.to_datetime(["2026-11-01", None, "2026-11-24"]),
        "hour": pd.to_datetime(["2026-11-01 00:00", "2026-11-01 14:00", None]),
        "secs": pd.to_datetime(["2026-11-01 14:05:09.75", None, None], format="ISO8601"),
        "aware": pd.to_datetime(["2026-11-01 14:00", "2026-11-02 00:00", "2026-11-03 00:00"]).tz_localize(
            "Asia/Ho_Chi_Minh"),
        "pydate": [date(2026, 11, 1), None, date(2026, 11, 3)],
    })
    rows = _rows(to_csv_bytes(frame))
    assert rows[1] == ["2026-11-01", "2026-11-01T00:00:00", "2026-11-01T14:05:09",
                       "2026-11-01T14:00:00", "2026-11-01"]
    assert rows[2] == ["", "2026-11-01T14:00:00", "", "2026-11-02T00:00:00", ""]
    assert rows[3] == ["2026-11-24", "", "", "2026-11-03T00:00:00", "2026-11-03"]


def test_csv_quoting_and_line_endings():
    frame = pd.DataFrame({"a": ['he said "hi"', "x,y", "two\nlines"]})
    data = to_csv_bytes(frame)
    assert data == ('\ufeffa\r\n"he said ""hi"""\r\n"x,y"\r\n"two\nlines"\r\n').encode()
    assert _rows(data)[1:] == [['he said "hi"'], ["x,y"], ["two\nlines"]]


def test_csv_index_not_written_and_empty_frames():
    frame = pd.DataFrame({"a": [1]}, index=pd.Index(["idx"], name="ix"))
    assert to_csv_bytes(frame) == BOM + b"a\r\n1\r\n"
    assert to_csv_bytes(pd.DataFrame()) == BOM
    assert to_csv_bytes(pd.DataFrame(columns=["page_id", "date"])) == BOM + b"page_id,date\r\n"


# ------------------------------------------------------------------ write_csv / CsvWriter

def test_write_csv_to_path_and_streams(tmp_path):
    frame = _frame()
    path = tmp_path / "out.csv"
    assert write_csv(frame, path) == 2
    assert path.read_bytes() == to_csv_bytes(frame)

    binary = io.BytesIO()
    write_csv(frame, binary, bom=False)
    assert binary.getvalue() == to_csv_bytes(frame)[3:]

    text = io.StringIO()
    write_csv(frame, text)
    assert text.getvalue().encode("utf-8") == to_csv_bytes(frame)


def test_write_csv_to_text_stream_with_buffer_writes_utf8_bytes():
    raw = io.BytesIO()
    # a console that cannot encode Vietnamese and would translate newlines
    stdout = io.TextIOWrapper(raw, encoding="ascii", newline=None)
    write_csv(_frame(), stdout)
    assert raw.getvalue() == to_csv_bytes(_frame())


def test_csv_writer_one_bom_one_header_across_chunks(tmp_path):
    a = _frame()
    b = pd.DataFrame({"page_id": ["103"], "name": ["Mỹ phẩm"], "inbox": pd.array([7], "Int64"),
                      "spend": [1.5], "date": pd.to_datetime(["2026-11-03"])})
    path = tmp_path / "chunks.csv"
    with CsvWriter(path) as w:
        w.write(a)
        w.write(b[["date", "page_id", "name", "inbox", "spend"]])  # other order: realigned
        w.write(b.iloc[0:0])                                         # empty chunk: nothing
        assert w.rows_written == 3
    data = path.read_bytes()
    assert data.count(BOM) == 1 and data.startswith(BOM)
    assert data.count(b"page_id,name") == 1
    assert data == to_csv_bytes(pd.concat([a, b], ignore_index=True))


def test_csv_writer_missing_and_extra_columns():
    out = io.BytesIO()
    w = CsvWriter(out)
    w.write(pd.DataFrame({"a": [1], "b": [2]}))
    w.write(pd.DataFrame({"a": [3]}))
    with pytest.raises(ValueError, match="c"):
        w.write(pd.DataFrame({"a": [4], "c": [5]}))
    w.close()
    assert out.getvalue() == BOM + b"a,b\r\n1,2\r\n3,\r\n"


def test_csv_writer_header_without_rows():
    out = io.BytesIO()
    CsvWriter(out, columns=["page_id", "date"]).close()
    assert out.getvalue() == BOM + b"page_id,date\r\n"


# ------------------------------------------------------------------ names

@pytest.mark.parametrize("parts, kw, expected", [
    (("engagement", ["1", "2", "3", "4"], "2026-11-01", "2026-11-24"), {"ext": "csv"},
     "engagement_4-pages_2026-11-01_2026-11-24.csv"),
    (("engagement", "3-pages", date(2026, 11, 1), date(2026, 11, 24)), {},
     "engagement_3-pages_2026-11-01_2026-11-24"),
    (("users", ["111", "222"], date(2026, 11, 1)), {"ext": ".xlsx"},
     "users_111-222_2026-11-01.xlsx"),
    (("Thời Trang",), {}, "thoi-trang"),
    (("Đồ ăn Đà Nẵng",), {}, "do-an-da-nang"),
    (("../../etc/passwd",), {}, "etc-passwd"),
    (("a\\b:c*?",), {}, "a-b-c"),
    (("", None, "???"), {"ext": "csv"}, "export.csv"),
    (("con",), {}, "_con"),
    (("hour", datetime(2026, 11, 1, 14, 30)), {}, "hour_2026-11-01T14-30"),
])
def test_safe_filename(parts, kw, expected):
    assert safe_filename(*parts, **kw) == expected


def test_safe_filename_is_bounded_and_ascii():
    name = safe_filename("engagement", "Cửa hàng " * 50, ext="csv", max_len=60)
    assert len(name) <= 60 and name.endswith(".csv")
    assert name.isascii() and "/" not in name and "\\" not in name
    many = safe_filename("tags", [str(10 ** 20 + i) for i in range(2)])  # 2 ids, 43 chars
    assert many == "tags_2-pages"


def test_with_extension():
    assert with_extension("engagement_2026-11-01", "csv") == "engagement_2026-11-01.csv"
    assert with_extension("a.csv", ".xlsx") == "a.xlsx"


# ------------------------------------------------------------------ zip

def test_zip_contents_listed_and_readable():
    tables = {"Tương tác": _frame(), "tuong tac": _frame().head(1), "ads.csv": pd.DataFrame(
        {"spend": [1.5]})}
    data = zip_bytes(tables)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["tuong-tac.csv", "tuong-tac-2.csv", "ads.csv"]
        assert zf.testzip() is None
        assert zf.read("tuong-tac.csv") == to_csv_bytes(_frame())
        back = pd.read_csv(io.BytesIO(zf.read("tuong-tac-2.csv")), encoding="utf-8-sig")
    assert back["name"].tolist() == ["Thời Trang Đẹp"]


# ------------------------------------------------------------------ xlsx

def test_sheet_names_rules():
    names = sheet_names(["a/b[c]:d*e?f\\g", "x" * 40, "x" * 40, "'quoted'", "", "History",
                         "Tương tác"])
    assert names == ["a-b-c--d-e-f-g", "x" * 31, "x" * 29 + "-2", "quoted", "Sheet",
                     "History_", "Tương tác"]
    assert all(len(n) <= 31 for n in names)


def test_xlsx_round_trip():
    hourly = pd.DataFrame({
        "page_id": ["101"],
        "hour": pd.to_datetime(["2026-11-01 14:00"]),
        "note": ["@SUM(1)"],
        "f": [float("nan")],
    })
    data = xlsx_bytes({"Engagement / daily": _frame(), "hourly": hourly})
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Engagement - daily", "hourly"]

    ws = wb["Engagement - daily"]
    assert [c.value for c in ws[1]] == ["page_id", "name", "inbox", "spend", "date"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws["A2"].value == "101" and ws["A2"].data_type == "s"   # id stays text
    assert ws["B2"].value == "Thời Trang Đẹp"
    assert ws["B3"].value == "'=1+1" and ws["B3"].data_type == "s"  # not a formula
    assert ws["C2"].value == 1234567 and ws["C2"].data_type == "n"
    assert ws["C3"].value is None                                    # <NA>
    assert ws["D3"].value == -2.5 and ws["D3"].data_type == "n"
    assert ws["E2"].is_date and ws["E2"].value == datetime(2026, 11, 1)
    assert ws["E2"].number_format == "yyyy-mm-dd"
    assert ws.column_dimensions["B"].width >= len("Thời Trang Đẹp")

    ws2 = wb["hourly"]
    assert ws2["B2"].is_date and ws2["B2"].value == datetime(2026, 11, 1, 14, 0)
    assert ws2["B2"].number_format == "yyyy-mm-dd hh:mm"
    assert ws2["C2"].value == "'@SUM(1)"
    assert ws2["D2"].value is None


def test_xlsx_injected_header_and_control_chars():
    frame = pd.DataFrame({"=HYPERLINK(1)": ["bad\x01char", "+1"]})
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"t": frame})))["t"]
    assert ws["A1"].value == "'=HYPERLINK(1)"
    assert ws["A2"].value == "badchar"
    assert ws["A3"].value == "'+1"


def test_xlsx_empty_mapping_is_valid():
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({})))
    assert wb.sheetnames == ["Sheet"]


def test_module_exports():
    for name in ("to_csv_bytes", "write_csv", "CsvWriter", "safe_filename", "zip_bytes",
                 "xlsx_bytes", "sanitize_cell"):
        assert name in export.__all__


# ------------------------------------------------------------------ XLSX presentation (issue 8)

def test_money_formats_follow_the_currency_never_vnd_by_default():
    assert export.money_format("VND", 0) == '#,##0 "₫"'
    assert export.money_format("usd", 2) == '"US$"#,##0.00'
    assert export.money_format("THB", 2) == '#,##0.00 "THB"'
    assert export.money_format(None, 2) == export.money_format("", 2) == "#,##0.00"


def test_sheet_number_formats_autofilter_frozen_header_totals_and_widths():
    frame = pd.DataFrame({"Trang": ["Shop A", "Shop B", "Tổng"], "Chi tiêu": [1500000.0, 12.35, None],
                          "Thời gian phản hồi TB (giờ:phút:giây)": [61 / 86400, 1 / 86400, 30 / 86400],
                          "Tỷ lệ (%)": [0.1235, 0.5, 0.3], "Ngày": pd.to_datetime(["2026-11-01"] * 3)})
    sheet = export.Sheet(frame, formats={"Chi tiêu": ['#,##0 "₫"', '"US$"#,##0.00', None],
                                         "Thời gian phản hồi TB (giờ:phút:giây)": "[h]:mm:ss",
                                         "Tỷ lệ (%)": "0.00%", "Ngày": "dd/mm/yyyy"}, total_rows=1)
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"Theo trang": sheet}))).active
    assert ws.title == "Theo trang" and ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E3"                       # the data rows, not the totals row
    assert ws["B2"].number_format == '#,##0 "₫"' and ws["B3"].number_format == '"US$"#,##0.00'
    assert ws["C2"].number_format == "[h]:mm:ss" and ws["D2"].number_format == "0.00%"
    assert ws["E2"].number_format == "dd/mm/yyyy" and ws["B2"].value == 1500000
    assert ws["A1"].font.bold and ws["A1"].alignment.wrap_text
    assert ws["A4"].value == "Tổng" and ws["A4"].font.bold and ws["C4"].font.bold and not ws["A3"].font.bold
    widths = {c: ws.column_dimensions[c].width for c in "ABCDE"}
    assert all(8 <= w <= 60 for w in widths.values())
    assert widths["C"] <= 30                                     # a long header wraps, it does not widen
    assert widths["B"] >= len("1,500,000 ₫")                     # the formatted amount fits


def test_plain_frames_still_get_a_filter_and_a_frozen_header():
    ws = openpyxl.load_workbook(io.BytesIO(xlsx_bytes({"t": _frame()}))).active
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:E3"

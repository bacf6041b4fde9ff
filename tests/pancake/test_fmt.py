from datetime import date, datetime, time

import numpy as np
import pandas as pd
import pytest

from pancake import fmt

MISSING_VALUES = [None, float("nan"), np.nan, pd.NA, float("inf"), "not a number"]


@pytest.mark.parametrize("x, lang, decimals, expected", [
    (1234567, "vi", 0, "1.234.567"),
    (1234567, "en", 0, "1,234,567"),
    (12.5, "vi", 1, "12,5"),
    (12.5, "en", 1, "12.5"),
    (1234.5, "vi", 2, "1.234,50"),
    (1234.5, "en", 2, "1,234.50"),
    (12.25, "en", 1, "12.3"),        # half up, not banker's
    (2.675, "en", 2, "2.68"),        # on the decimal repr, not the binary value
    (-1234.5, "vi", 1, "-1.234,5"),
    (-0.4, "en", 0, "0"),            # no "-0"
    (np.int64(5), "en", 0, "5"),
    (pd.array([7], dtype="Int64")[0], "vi", 0, "7"),
    ("12.5", "vi", 1, "12,5"),       # the API sends numbers as strings
    (999, "vi", 0, "999"),
    (1000, "vi", 0, "1.000"),        # grouped from four digits (CLDR's "#,##0" in both languages)
    (999.995, "vi", 2, "1.000,00"),  # rounding carries into a new group
    (1234567.125, "en", 2, "1,234,567.13"),
    (0.5, "vi", 0, "1"),
    (1e15, "vi", 0, "1.000.000.000.000.000"),
    (5e-7, "en", 4, "0.0000"),
])
def test_number(x, lang, decimals, expected):
    assert fmt.number(x, lang, decimals) == expected


@pytest.mark.parametrize("x", MISSING_VALUES)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_missing_is_dash_everywhere(x, lang):
    assert fmt.number(x, lang) == "—"
    assert fmt.money(x, "VND", lang) == "—"
    assert fmt.budget(x, "USD", lang) == "—"
    assert fmt.duration_ms(x, lang) == "—"
    assert fmt.percent(x, lang) == "—"
    assert fmt.ratio_as_percent(x, lang) == "—"
    assert fmt.signed_percent(x, lang) == "—"


def test_unknown_lang_raises():
    with pytest.raises(ValueError):
        fmt.number(1, "fr")


@pytest.mark.parametrize("x, cur, lang, expected", [
    (1250000, "VND", "vi", "1.250.000 ₫"),
    (1250000, "VND", "en", "₫1,250,000"),
    (1250000.6, "VND", "vi", "1.250.001 ₫"),   # no decimals for VND
    (1234.5, "USD", "en", "$1,234.50"),
    (1234.5, "USD", "vi", "1.234,50 US$"),
    (1234.5, "usd", "en", "$1,234.50"),         # code case-insensitive
    (-5, "USD", "en", "-$5.00"),
    (-5, "VND", "vi", "-5 ₫"),
    (1234.5, "THB", "en", "1,234.50 THB"),      # unknown currency: number + code
    (1234.5, "THB", "vi", "1.234,50 THB"),
    (1000, "JPY", "en", "¥1,000"),
    (1234.5, None, "en", "1,234.50"),
])
def test_money(x, cur, lang, expected):
    assert fmt.money(x, cur, lang) == expected


@pytest.mark.parametrize("x, cur, lang, expected", [
    (150000, "USD", "en", "$1,500.00"),   # cents
    (150000, "USD", "vi", "1.500,00 US$"),
    (150000, "VND", "vi", "150.000 ₫"),   # whole đồng
    (150000, "VND", "en", "₫150,000"),
    (5000, "JPY", "en", "¥5,000"),
    ("999", "EUR", "en", "€9.99"),
])
def test_budget_from_smallest_unit(x, cur, lang, expected):
    assert fmt.budget(x, cur, lang) == expected


@pytest.mark.parametrize("ms, vi, en", [
    (588569, "9 phút 49 giây", "9 min 49 s"),
    (588000, "9 phút 48 giây", "9 min 48 s"),
    (588499, "9 phút 48 giây", "9 min 48 s"),
    (3900000, "1 giờ 5 phút", "1 h 5 min"),
    (3929999, "1 giờ 5 phút", "1 h 5 min"),
    (3930000, "1 giờ 6 phút", "1 h 6 min"),   # minutes round half up from one hour on
    (7200000, "2 giờ", "2 h"),
    (3599600, "1 giờ", "1 h"),                # 59:59.6 rounds to 1 h
    (45000, "45 giây", "45 s"),
    (60000, "1 phút", "1 min"),
    (500, "< 1 giây", "< 1 s"),
    (1, "< 1 giây", "< 1 s"),
    (0, "0 giây", "0 s"),
    (-5, "—", "—"),
])
def test_duration_ms(ms, vi, en):
    assert fmt.duration_ms(ms, "vi") == vi
    assert fmt.duration_ms(ms, "en") == en


def test_percent_family():
    assert fmt.percent(12.5, "vi") == "12,5 %"
    assert fmt.percent(12.5, "en") == "12.5%"
    assert fmt.percent(3, "en", decimals=0) == "3%"
    assert fmt.ratio_as_percent(0.125, "vi") == "12,5 %"
    assert fmt.ratio_as_percent(0.125, "en") == "12.5%"
    assert fmt.signed_percent(12.5, "vi") == "+12,5 %"
    assert fmt.signed_percent(-3, "vi") == "\u22123,0 %"
    assert fmt.signed_percent(-3, "en") == "−3.0%"
    assert fmt.signed_percent(1234.56, "en") == "+1,234.6%"
    assert fmt.signed_percent(0, "en") == "0.0%"
    assert fmt.signed_percent(-0.01, "vi") == "0,0 %"  # rounds to zero: no sign


def test_dates():
    d = date(2026, 11, 24)
    assert fmt.date(d, "vi") == "24/11/2026"
    assert fmt.date(d, "en") == "24 Nov 2026"
    assert fmt.date(date(2026, 11, 1), "vi") == "01/11/2026"
    assert fmt.date(date(2026, 11, 1), "en") == "1 Nov 2026"
    assert fmt.date(pd.Timestamp("2026-11-24 14:00"), "vi") == "24/11/2026"
    assert fmt.date(datetime(2026, 1, 2, 3), "en") == "2 Jan 2026"
    assert fmt.date("2026-11-24", "en") == "24 Nov 2026"
    assert fmt.date(pd.NaT, "vi") == "—"
    assert fmt.date(None, "en") == "—"


@pytest.mark.parametrize("a, b, vi, en", [
    (date(2026, 11, 1), date(2026, 11, 24), "01/11 – 24/11/2026", "1 – 24 Nov 2026"),
    (date(2026, 10, 28), date(2026, 11, 24), "28/10 – 24/11/2026", "28 Oct – 24 Nov 2026"),
    (date(2025, 12, 28), date(2026, 1, 3), "28/12/2025 – 03/01/2026", "28 Dec 2025 – 3 Jan 2026"),
    (date(2026, 11, 24), date(2026, 11, 24), "24/11/2026", "24 Nov 2026"),
])
def test_date_range(a, b, vi, en):
    assert fmt.date_range(a, b, "vi") == vi
    assert fmt.date_range(a, b, "en") == en


def test_hour_and_weekday():
    assert fmt.hour(pd.Timestamp("2026-11-24 14:00"), "vi") == "14:00"
    assert fmt.hour(datetime(2026, 11, 24, 9, 30), "en") == "09:00"
    assert fmt.hour(time(7), "en") == "07:00"
    assert fmt.hour(23, "vi") == "23:00"
    assert fmt.hour(pd.NaT, "vi") == "—"
    assert fmt.hour(24, "vi") == "—"
    assert [fmt.weekday_name(i, "vi") for i in range(7)] == [
        "Thứ 2", "Thứ 3", "Thứ 4", "Thứ 5", "Thứ 6", "Thứ 7", "Chủ nhật"]
    assert [fmt.weekday_name(i, "en") for i in range(7)] == [
        "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert fmt.weekday_name(np.int64(6), "vi") == "Chủ nhật"
    assert fmt.weekday_name(date(2026, 11, 24), "en") == "Tue"  # a Tuesday
    with pytest.raises(ValueError):
        fmt.weekday_name(7, "en")


@pytest.mark.parametrize("x, vi, en", [
    (1_500_000, "1,5 tr", "1.5M"),
    (2_000_000_000, "2 tỷ", "2B"),
    (15_000, "15 nghìn", "15K"),
    (1_250_000, "1,3 tr", "1.3M"),       # half up, like every other rounding here
    (999, "999", "999"),                 # below 1,000: the plain number
    (0, "0", "0"),
    (2.5, "2,5", "2.5"),
    (-1_500_000, "-1,5 tr", "-1.5M"),
    (12_345_678, "12,3 tr", "12.3M"),
])
def test_compact(x, vi, en):
    assert fmt.compact(x, "vi") == vi
    assert fmt.compact(x, "en") == en
    assert "\u00a0" not in fmt.compact(x, "vi")   # ordinary spaces, never NBSP


@pytest.mark.parametrize("x, cur, lang, expected", [
    (1_500_000, "VND", "vi", "1,5 tr ₫"),
    (1_500_000, "VND", "en", "₫1.5M"),
    (2_000_000_000, "VND", "vi", "2 tỷ ₫"),
    (1500, "USD", "en", "$1.5K"),
    (1500, "USD", "vi", "1,5 nghìn US$"),
    (2_000_000, "THB", "en", "2M THB"),
    (2_000_000, None, "en", "2M"),
    (-1500, "USD", "en", "-$1.5K"),
])
def test_compact_money(x, cur, lang, expected):
    assert fmt.compact_money(x, cur, lang) == expected


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_compact_never_says_m_in_vietnamese(lang):
    text = " ".join(fmt.compact(10 ** k * 1.5, lang) for k in range(3, 13))
    assert ("M" in text) == (lang == "en") and ("B" in text) == (lang == "en")


@pytest.mark.parametrize("unit, x, vi, en", [
    ("count", 1234, "1.234", "1,234"),
    ("count", 12.5, "12,5", "12.5"),
    ("ms", 588569, "9 phút 49 giây", "9 min 49 s"),
    ("money", 1_250_000, "1.250.000,00", "1,250,000.00"),   # no currency: 2 decimals
    ("ratio", 0.125, "12,5 %", "12.5%"),
    ("percent", 3.456, "3,46 %", "3.46%"),
    ("multiple", 2.5, "2,50×", "2.50×"),
    ("count", None, "—", "—"),
    ("count", pd.NA, "—", "—"),
])
def test_by_unit(unit, x, vi, en):
    assert fmt.by_unit(unit, x, "vi") == vi
    assert fmt.by_unit(unit, x, "en") == en
    assert fmt.by_unit("money", 1_250_000, "vi", "VND") == "1.250.000 ₫"


def test_fmt_uses_no_streamlit_nor_system_locale():
    import ast
    import pathlib
    tree = ast.parse(pathlib.Path(fmt.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"streamlit", "locale", "pandas", "numpy"}
    assert "babel" in imported   # CLDR data, not hand-written tables


@pytest.mark.parametrize("currency", ["nan", "NaN", " nan ", "None", "null", "<NA>"])
def test_a_null_currency_written_as_text_is_no_currency(currency):
    # an ads row whose currency came as the text "nan" once read "1,00 NAN" in a flag
    assert fmt.money(1, currency, "vi") == "1,00"
    assert fmt.money(1250000, currency, "en") == "1,250,000.00"
    assert fmt.money(1250000, "vnd", "vi") == "1.250.000 ₫"

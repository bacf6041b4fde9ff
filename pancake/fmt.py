"""Number, money, duration and date formatting for the two UI languages ("vi", "en").

Pure functions: no Streamlit, no ``locale`` (system locales differ between machines); the locale
data (grouping, month and weekday names, compact number words) is babel's CLDR. Every function
returns a display string; missing input (None, NaN, ``pd.NA``, ``pd.NaT``, infinity, an
unparsable string) gives ``MISSING`` ("—").

Conventions callers rely on:

- vi ``1.234.567`` and ``12,5``; en ``1,234,567`` and ``12.5``. Rounding is half up everywhere,
  on the value's shortest decimal form.
- Negative numbers and money use the ASCII hyphen-minus (a copied value still parses); only
  ``signed_percent`` (deltas) uses "−". A number and its unit are separated by a plain space.
- Money: vi puts the symbol after the amount ("1.250.000 ₫"), en before ("₫1,250,000");
  zero-decimal currencies show no decimals, the others two; an unknown currency shows its code.
  Budgets arrive in the currency's smallest unit.
- Compact numbers (chart axes): vi "15 nghìn", "1,5 tr", "2 tỷ"; en "15K", "1.5M", "2B".
- Durations: whole seconds below an hour, whole minutes from one; under a second "< 1 s".
- Dates: vi "24/11/2026", en "24 Nov 2026"; hours "14:00" in both.
"""
from __future__ import annotations

import decimal
import math
import re
from datetime import date as _date
from datetime import datetime as _datetime
from datetime import time as _time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.numbers import format_compact_decimal, get_decimal_symbol, get_group_symbol

__all__ = [
    "MISSING", "LANGS", "ZERO_DECIMAL_CURRENCIES",
    "number", "compact", "money", "compact_money", "budget", "currency_decimals", "duration_ms",
    "percent", "ratio_as_percent", "signed_percent",
    "date", "date_range", "hour", "weekday_name", "weekday_long", "day_month", "by_unit",
]

MISSING = "—"
LANGS = ("vi", "en")
MINUS = "\u2212"
DASH_RANGE = " – "

# Currencies whose Facebook "offset" is 1 (budgets in whole units) and that are shown
# without decimals. Every other currency is treated as having 2 decimals (offset 100).
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"VND", "JPY", "KRW", "IDR", "TWD", "CLP", "COP", "CRC", "HUF", "ISK", "PYG"})

# symbol, and whether en puts it before the amount. vi always puts it after.
_SYMBOLS_EN = {"USD": "$", "VND": "₫", "EUR": "€", "GBP": "£", "JPY": "¥"}
_SYMBOLS_VI = {"USD": "US$", "VND": "₫", "EUR": "€", "GBP": "£", "JPY": "¥"}

_LOCALES = {"vi": Locale.parse("vi"), "en": Locale.parse("en")}


def _weekdays(lang: str) -> tuple[str, ...]:
    days = _LOCALES[lang].days["format"]
    names = [days["abbreviated"][i] for i in range(7)]
    if lang == "vi":  # CLDR shortens Sunday to "CN": write it out, in sentence case
        names[6] = days["wide"][6].capitalize()
    return tuple(names)


_WEEKDAYS = {lang: _weekdays(lang) for lang in LANGS}
# CLDR date patterns: vi "24/11/2026", "24/11"; en "24 Nov 2026", "24 Nov", "24"
_DATE = {"vi": "dd/MM/y", "en": "d MMM y"}
_DAY_MONTH = {"vi": "dd/MM", "en": "d MMM"}
# compact words: vi uses CLDR's long forms ("nghìn", "triệu", "tỷ") with "triệu" shortened
_COMPACT_TYPE = {"vi": "long", "en": "short"}
_COMPACT_WORDS = {"vi": (("triệu", "tr"),), "en": ()}


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return lang


def _to_float(x: Any) -> float | None:
    """A finite float, or None for anything missing / not a number."""
    if x is None or isinstance(x, bool):
        return None
    try:
        f = float(x)  # float(pd.NA) raises TypeError; "12.5" (API strings) parses
    except (TypeError, ValueError):
        return None
    if math.isnan(f) or math.isinf(f):
        return None
    return f


def _is_missing_dt(d: Any) -> bool:
    if d is None:
        return True
    if type(d).__name__ in ("NaTType", "NAType"):
        return True
    return isinstance(d, float) and math.isnan(d)


# CLDR's group and decimal symbols per language, put in place of Python's "," and "." in one
# pass (babel's pattern looked them up again for every number: most of a big table's drawing)
_SEPARATORS = {lang: str.maketrans({",": get_group_symbol(loc), ".": get_decimal_symbol(loc)})
               for lang, loc in _LOCALES.items()}


def _group(f: float, lang: str, decimals: int) -> str:
    """abs(f) rounded half up (on its shortest decimal repr: 12.25 → 12.3, 2.675 → 2.68),
    grouped by thousands (CLDR's "#,##0" for both languages), with the language's separators."""
    decimals = max(decimals, 0)
    q = Decimal(1).scaleb(-decimals) if decimals > 0 else Decimal(1)
    d = Decimal(repr(abs(f))).quantize(q, rounding=ROUND_HALF_UP)
    return format(d, ",f").translate(_SEPARATORS[lang])


def _is_zero(text: str) -> bool:
    return not any(c in "123456789" for c in text)


def number(x: Any, lang: str, decimals: int = 0) -> str:
    """``number(1234567, "vi") == "1.234.567"``; ``number(12.5, "en", 1) == "12.5"``."""
    _check_lang(lang)
    f = _to_float(x)
    if f is None:
        return MISSING
    body = _group(f, lang, decimals)
    return ("-" + body) if f < 0 and not _is_zero(body) else body


def compact(x: Any, lang: str, decimals: int = 1) -> str:
    """Large numbers in words, for chart axes: ``compact(1_500_000, "vi") == "1,5 tr"``,
    ``compact(2e9, "vi") == "2 tỷ"``, ``compact(15000, "vi") == "15 nghìn"``; en "1.5M", "2B",
    "15K". At most ``decimals`` decimals, trailing zeros dropped; below 1,000 the plain number."""
    _check_lang(lang)
    f = _to_float(x)
    if f is None:
        return MISSING
    if abs(f) < 1000:
        return number(f, lang, 0 if float(f).is_integer() else decimals)
    with decimal.localcontext() as ctx:
        ctx.rounding = ROUND_HALF_UP
        body = format_compact_decimal(Decimal(repr(abs(f))), format_type=_COMPACT_TYPE[lang],
                                      fraction_digits=decimals, locale=_LOCALES[lang])
    body = body.replace("\u00a0", " ")
    for word, short in _COMPACT_WORDS[lang]:
        body = body.replace(word, short)
    return ("-" if f < 0 else "") + body


def currency_decimals(currency: str | None) -> int:
    """0 for zero-decimal currencies (VND, JPY, KRW, ...), else 2."""
    return 0 if (currency or "").upper() in ZERO_DECIMAL_CURRENCIES else 2


def _norm_currency(currency: Any) -> str:
    if currency is None or _to_float(currency) is not None or _is_missing_dt(currency):
        return ""
    try:
        code = str(currency).strip().upper()
    except Exception:  # pragma: no cover - exotic objects
        return ""
    return "" if code in _PLACEHOLDERS else code   # a null written out as text is no currency


_PLACEHOLDERS = frozenset({"NAN", "NONE", "NULL", "<NA>", "NAT"})


def _with_currency(body: str, negative: bool, code: str, lang: str) -> str:
    sign = "-" if negative else ""
    if not code:
        return sign + body
    if lang == "en":
        sym = _SYMBOLS_EN.get(code)
        return f"{sign}{sym}{body}" if sym else f"{sign}{body} {code}"
    return f"{sign}{body} {_SYMBOLS_VI.get(code, code)}"


def money(x: Any, currency: str | None, lang: str) -> str:
    """``money(1250000, "VND", "vi") == "1.250.000 ₫"``; ``money(1234.5, "USD", "en") == "$1,234.50"``."""
    _check_lang(lang)
    f = _to_float(x)
    if f is None:
        return MISSING
    code = _norm_currency(currency)
    body = _group(f, lang, currency_decimals(code))
    return _with_currency(body, f < 0 and not _is_zero(body), code, lang)


def compact_money(x: Any, currency: str | None, lang: str) -> str:
    """An amount in compact words, for chart axes: ``compact_money(1.5e6, "VND", "vi") ==
    "1,5 tr ₫"``, ``compact_money(1.5e6, "VND", "en") == "₫1.5M"``, ``"$1.5K"``."""
    _check_lang(lang)
    f = _to_float(x)
    if f is None:
        return MISSING
    body = compact(abs(f), lang)
    return _with_currency(body, f < 0 and not _is_zero(body), _norm_currency(currency), lang)


def budget(x: Any, currency: str | None, lang: str) -> str:
    """A budget in the currency's smallest unit: ``budget(150000, "USD", "en") == "$1,500.00"``,
    ``budget(150000, "VND", "vi") == "150.000 ₫"``."""
    _check_lang(lang)
    f = _to_float(x)
    if f is None:
        return MISSING
    code = _norm_currency(currency)
    return money(f / (10 ** currency_decimals(code)), code, lang)


def duration_ms(ms: Any, lang: str) -> str:
    """``duration_ms(588569, "vi") == "9 phút 49 giây"``; ``"1 h 5 min"`` from one hour on."""
    _check_lang(lang)
    f = _to_float(ms)
    if f is None or f < 0:
        return MISSING
    u = {"vi": ("giờ", "phút", "giây"), "en": ("h", "min", "s")}[lang]
    if f == 0:
        return f"0 {u[2]}"
    if f < 1000:
        return f"< 1 {u[2]}"
    seconds = math.floor(f / 1000 + 0.5)
    if seconds < 3600:
        m, s = divmod(seconds, 60)
        if m == 0:
            return f"{s} {u[2]}"
        return f"{m} {u[1]}" if s == 0 else f"{m} {u[1]} {s} {u[2]}"
    minutes = math.floor(f / 60000 + 0.5)  # from ms, not from rounded seconds
    h, m = divmod(minutes, 60)
    return f"{h} {u[0]}" if m == 0 else f"{h} {u[0]} {m} {u[1]}"


def percent(x: Any, lang: str, decimals: int = 1) -> str:
    """x already in percent: ``percent(12.5, "vi") == "12,5 %"``, ``percent(12.5, "en") == "12.5%"``."""
    _check_lang(lang)
    f = _to_float(x)
    if f is None:
        return MISSING
    return number(f, lang, decimals) + (" %" if lang == "vi" else "%")


def ratio_as_percent(x: Any, lang: str, decimals: int = 1) -> str:
    """A ratio: ``ratio_as_percent(0.125, "en") == "12.5%"``."""
    f = _to_float(x)
    return percent(None if f is None else f * 100, lang, decimals)


def signed_percent(x: Any, lang: str, decimals: int = 1) -> str:
    """A delta in percent with an explicit sign: "+12,5 %", "−3,0 %" (U+2212); zero has no sign."""
    _check_lang(lang)
    f = _to_float(x)
    if f is None:
        return MISSING
    body = _group(f, lang, decimals)
    sign = "" if _is_zero(body) else ("+" if f > 0 else MINUS)
    return sign + body + (" %" if lang == "vi" else "%")


def _as_date(d: Any) -> _date | None:
    if _is_missing_dt(d):
        return None
    if isinstance(d, _datetime):  # includes pd.Timestamp
        return d.date()
    if isinstance(d, _date):
        return d
    if isinstance(d, str):
        try:
            return _datetime.fromisoformat(d.strip()).date()
        except ValueError:
            return None
    return None


def date(d: Any, lang: str) -> str:
    """``date(date(2026, 11, 24), "vi") == "24/11/2026"``; en ``"24 Nov 2026"``.

    Accepts date, datetime, pd.Timestamp or an ISO string; missing → "—"."""
    _check_lang(lang)
    x = _as_date(d)
    if x is None:
        return MISSING
    return _babel_date(x, _DATE[lang], locale=_LOCALES[lang])


def date_range(start: Any, end: Any, lang: str) -> str:
    """A compact inclusive range with an en dash:
    vi "01/11 – 24/11/2026" (same year) / "28/12/2025 – 03/01/2026";
    en "1 – 24 Nov 2026" (same month), "28 Oct – 24 Nov 2026" (same year), else full dates.
    The same day twice gives one date; a missing end gives "01/11/2026 – —"."""
    _check_lang(lang)
    a, b = _as_date(start), _as_date(end)
    if a is None or b is None:
        return f"{date(start, lang)}{DASH_RANGE}{date(end, lang)}"
    if a == b:
        return date(a, lang)
    if a.year != b.year:
        return f"{date(a, lang)}{DASH_RANGE}{date(b, lang)}"
    if lang == "en" and a.month == b.month:
        return f"{a.day}{DASH_RANGE}{date(b, lang)}"
    return f"{_babel_date(a, _DAY_MONTH[lang], locale=_LOCALES[lang])}{DASH_RANGE}{date(b, lang)}"


def hour(dt: Any, lang: str) -> str:
    """``"14:00"`` (24-hour, both languages) from a datetime/Timestamp, a time or an int 0–23."""
    _check_lang(lang)
    if _is_missing_dt(dt) or isinstance(dt, bool):
        return MISSING
    if isinstance(dt, (_datetime, _time)):
        return f"{dt.hour:02d}:00"
    f = _to_float(dt)
    if f is None or not f.is_integer() or not 0 <= f <= 23:
        return MISSING
    return f"{int(f):02d}:00"


def clock(t: Any, lang: str) -> str:
    """``"14:35"`` (24-hour, both languages) from a time or a datetime/Timestamp."""
    _check_lang(lang)
    if _is_missing_dt(t) or not isinstance(t, (_datetime, _time)):
        return MISSING
    return f"{t.hour:02d}:{t.minute:02d}"


def weekday_name(i: Any, lang: str) -> str:
    """Monday = 0: vi "Thứ 2" … "Thứ 7", "Chủ nhật"; en "Mon" … "Sun". A date is accepted too."""
    _check_lang(lang)
    if isinstance(i, _date):
        i = i.weekday()
    if isinstance(i, bool) or not isinstance(i, int) and not hasattr(i, "__index__"):
        raise ValueError(f"weekday must be an int 0–6, got {i!r}")
    i = int(i)
    if not 0 <= i <= 6:
        raise ValueError(f"weekday must be 0–6 (Monday = 0), got {i}")
    return _WEEKDAYS[lang][i]


_WEEKDAYS_LONG = {"vi": ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"),
                  "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}


def weekday_long(d: Any, lang: str) -> str:
    """A date's weekday written out, as inside a sentence: vi "thứ Hai" … "Chủ nhật", en
    "Monday" … "Sunday"; missing → "—"."""
    _check_lang(lang)
    x = _as_date(d)
    return MISSING if x is None else _WEEKDAYS_LONG[lang][x.weekday()]


def day_month(d: Any, lang: str) -> str:
    """A date without its year: vi "29/11", en "29 Nov"; missing → "—"."""
    _check_lang(lang)
    x = _as_date(d)
    return MISSING if x is None else _babel_date(x, _DAY_MONTH[lang], locale=_LOCALES[lang])


def by_unit(unit: str, x: Any, lang: str, currency: str | None = None) -> str:
    """One value of a metric unit (``metrics.Unit``: count, ms, money, percent, ratio,
    multiple) as cards, tables and chart hovers show it."""
    if _to_float(x) is None:
        return MISSING
    if unit == "ms":
        return duration_ms(x, lang)
    if unit == "money":
        return money(x, currency or None, lang)
    if unit == "percent":
        return percent(x, lang, decimals=2)
    if unit == "ratio":
        return ratio_as_percent(x, lang)
    if unit == "multiple":
        return number(x, lang, decimals=2) + "×"
    f = float(x)
    return number(f, lang, decimals=0 if f.is_integer() else 1)


# --- text from Pancake or a link, shown in markdown ------------------------------------------------

_MD_PUNCTUATION = frozenset("\\`*_{}[]()<>#+-.!|~$:=\"'&%@^,;/?")
_MD_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
WORD_JOINER = "\u2060"
# GFM turns bare "http://…", "www.…" and "a@b.c" in text into links even when every mark is
# escaped (the autolink pass works on the text after escapes): an invisible word joiner breaks them
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)")


def literal(text: Any) -> str:
    """THE escaping rule for any text from the API (page, tag, staff, customer, ad names,
    messages) or from the URL, wherever Streamlit renders markdown (markdown, captions,
    labels, warnings, card labels, the TV): shown exactly as it reads, never as bold, a
    link, an image, HTML, a formula, a colour directive or an autolinked URL or address.
    Every ASCII punctuation mark is backslash-escaped, line breaks and control characters
    become spaces, and a word joiner (invisible) breaks ``://``, ``www.`` and ``@``. None
    is the empty text."""
    if text is None:
        return ""
    text = _AUTOLINK.sub(WORD_JOINER, _MD_CONTROL.sub(" ", str(text)))
    return "".join("\\" + ch if ch in _MD_PUNCTUATION else ch for ch in text)

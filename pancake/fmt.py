"""Number, money, duration and date formatting for the two UI languages ("vi", "en").

Pure functions, stdlib only: no Streamlit, no ``locale`` (system locales differ between
machines), no babel. Every function returns a display string; missing input (None, NaN,
``pd.NA``, ``pd.NaT``, infinity, an unparsable string) gives ``MISSING`` ("—").

Conventions (decided here, callers rely on them):

- vi: "." groups thousands, "," is the decimal mark: ``1.234.567``, ``12,5``.
  en: ``1,234,567``, ``12.5``.
- Plain negative numbers and money use the ASCII hyphen-minus ("-1.234") so that a copied
  value still parses; only ``signed_percent`` (deltas) uses the real minus sign "−" (U+2212).
- Separators between a number and a unit are ordinary spaces (U+0020), never NBSP.
- Money: vi puts the symbol after the amount ("1.250.000 ₫", "1.234,50 US$"), en before
  it ("₫1,250,000", "$1,234.50"). Zero-decimal currencies (VND, JPY, KRW, ...) show no
  decimals, the others two. An unknown currency shows the number and its code
  ("1,234.50 THB" / "1.234,50 THB"); no currency shows just the number.
- Budgets are in the currency's smallest unit (Facebook's offset): cents for 2-decimal
  currencies, whole units for the zero-decimal ones.
- Durations round half up to whole seconds (below one hour) or whole minutes (from one
  hour); a positive value under one second is "< 1 giây" / "< 1 s"; a negative one is "—".
- Dates: vi "24/11/2026", en "24 Nov 2026" (day without leading zero: "1 Nov 2026").
  Hours are 24-hour "14:00" in both languages.
"""
from __future__ import annotations

import math
from datetime import date as _date
from datetime import datetime as _datetime
from datetime import time as _time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = [
    "MISSING", "LANGS", "ZERO_DECIMAL_CURRENCIES",
    "number", "money", "budget", "currency_decimals", "duration_ms",
    "percent", "ratio_as_percent", "signed_percent",
    "date", "date_range", "hour", "weekday_name",
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

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = {
    "vi": ("Thứ 2", "Thứ 3", "Thứ 4", "Thứ 5", "Thứ 6", "Thứ 7", "Chủ nhật"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


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


def _group(f: float, lang: str, decimals: int) -> str:
    """abs(f) rounded half up (on its shortest decimal repr: 12.25 → 12.3, 2.675 → 2.68),
    grouped, with the language's separators."""
    q = Decimal(1).scaleb(-decimals) if decimals > 0 else Decimal(1)
    d = Decimal(repr(abs(f))).quantize(q, rounding=ROUND_HALF_UP)
    s = format(d, f",.{max(decimals, 0)}f")
    if lang == "vi":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return s


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


def currency_decimals(currency: str | None) -> int:
    """0 for zero-decimal currencies (VND, JPY, KRW, ...), else 2."""
    return 0 if (currency or "").upper() in ZERO_DECIMAL_CURRENCIES else 2


def _norm_currency(currency: Any) -> str:
    if currency is None or _to_float(currency) is not None or _is_missing_dt(currency):
        return ""
    try:
        return str(currency).strip().upper()
    except Exception:  # pragma: no cover - exotic objects
        return ""


def money(x: Any, currency: str | None, lang: str) -> str:
    """``money(1250000, "VND", "vi") == "1.250.000 ₫"``; ``money(1234.5, "USD", "en") == "$1,234.50"``."""
    _check_lang(lang)
    f = _to_float(x)
    if f is None:
        return MISSING
    code = _norm_currency(currency)
    body = _group(f, lang, currency_decimals(code))
    sign = "-" if f < 0 and not _is_zero(body) else ""
    if not code:
        return sign + body
    if lang == "en":
        sym = _SYMBOLS_EN.get(code)
        return f"{sign}{sym}{body}" if sym else f"{sign}{body} {code}"
    sym = _SYMBOLS_VI.get(code, code)
    return f"{sign}{body} {sym}"


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
    if lang == "vi":
        return f"{x.day:02d}/{x.month:02d}/{x.year}"
    return f"{x.day} {_MONTHS_EN[x.month - 1]} {x.year}"


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
    if lang == "vi":
        return f"{a.day:02d}/{a.month:02d}{DASH_RANGE}{date(b, lang)}"
    if a.month == b.month:
        return f"{a.day}{DASH_RANGE}{date(b, lang)}"
    return f"{a.day} {_MONTHS_EN[a.month - 1]}{DASH_RANGE}{date(b, lang)}"


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

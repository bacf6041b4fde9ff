"""CSV, ZIP and XLSX builders for the CLI and the dashboard's download buttons.

Decisions callers rely on:

- CSV is UTF-8 with a BOM (Excel reads Vietnamese), one header row, RFC 4180 quoting and CRLF
  line endings; the frame's index is not written.
- Dates: a datetime column all at midnight is written ``YYYY-MM-DD`` (but ``TIME_COLUMNS``),
  otherwise ``YYYY-MM-DDTHH:MM:SS``; aware values as their wall-clock time, without an offset.
- Numbers are plain: no separator, ``.`` decimal, no exponent, integers without ``.0``, floats to
  15 significant digits. NaN / NA / NaT / ±inf and None are empty cells.
- Formula injection: a **string** cell (and every header) starting with ``=+-@``, a tab or a
  carriage return (after leading whitespace too) gets a leading ``'``; real numbers never do.
- XLSX: one sheet per table, bold frozen header, an autofilter, numbers as numbers, dates as
  Excel dates, strings sanitised as above; a :class:`Sheet` adds number formats and a totals row.
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from numbers import Integral, Real
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from pancake import fmt
from pancake.numbers.views import tables as vtables

__all__ = [
    "BOM", "LINE_TERMINATOR", "FORMULA_PREFIXES",
    "sanitize_cell", "to_csv_bytes", "write_csv", "CsvWriter",
    "safe_filename", "with_extension", "zip_bytes", "xlsx_bytes", "sheet_names", "Sheet",
    "money_format", "AtomicFile", "OutputPathError", "OutputWriteError", "output_target",
]

BOM = b"\xef\xbb\xbf"
LINE_TERMINATOR = "\r\n"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_AFTER_SPACE = ("=", "+", "-", "@")


# --------------------------------------------------------------------------- cells

def sanitize_cell(value: Any) -> Any:
    """Neutralise a spreadsheet formula in a string; anything that is not a str is returned
    unchanged (so real numbers, negative ones included, stay numbers).

    >>> sanitize_cell("=1+1"), sanitize_cell("  =x"), sanitize_cell(-5), sanitize_cell("Áo")
    ("'=1+1", "'  =x", -5, 'Áo')
    """
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(FORMULA_PREFIXES) or value.lstrip().startswith(_FORMULA_AFTER_SPACE):
        return "'" + value
    return value


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return not math.isfinite(v)
    if isinstance(v, (str, int, bytes, Decimal)):
        return isinstance(v, Decimal) and v.is_nan()
    try:
        return bool(pd.isna(v)) if np.ndim(v) == 0 else False
    except (TypeError, ValueError):
        return False


def _plain_number(v: Any) -> str:
    """Integers as digits; floats positional, shortest round-trip, no '.0', no exponent."""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, Integral):
        return str(int(v))
    if isinstance(v, Decimal):
        if not v.is_finite():
            return ""
        s = format(v.normalize(), "f")
        return "0" if s in ("-0", "0") else s
    f = float(v)
    if not math.isfinite(f):
        return ""
    if f == 0:
        return "0"
    f = float(f"{f:.15g}")  # 15 significant digits: 0.1 + 0.6 is written 0.7, not 0.7000000000000001
    r = repr(f)  # shortest round-trip; fast path when it has no exponent
    if "e" not in r:
        return r[:-2] if r.endswith(".0") else r
    return np.format_float_positional(f, trim="-")


def _iso(v: datetime | date, date_only: bool) -> str:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d") if date_only else v.strftime("%Y-%m-%dT%H:%M:%S")
    return v.isoformat()


def _is_midnight(v: datetime) -> bool:
    return v.hour == 0 and v.minute == 0 and v.second == 0 and v.microsecond == 0 and (
        getattr(v, "nanosecond", 0) == 0)


def _cell_text(v: Any, date_only: bool) -> str:
    """One object-dtype cell as CSV text."""
    if isinstance(v, str):
        return sanitize_cell(v)
    if _is_missing(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (Real, Decimal, np.number)):
        return _plain_number(v)
    if isinstance(v, (datetime, date)):
        return _iso(v, date_only)
    if isinstance(v, np.datetime64):
        return _iso(pd.Timestamp(v), date_only)
    if isinstance(v, time):
        return v.isoformat()
    if isinstance(v, (timedelta, pd.Timedelta)):
        return str(v)
    if isinstance(v, bytes):
        return sanitize_cell(v.decode("utf-8", "replace"))
    return sanitize_cell(str(v))


# Columns that hold a time of day even when every value falls at 00:00 (one hourly row).
TIME_COLUMNS = frozenset({"hour", "inserted_at", "updated_at", "created_at", "fetched_at"})


def _datetime_column_is_date_only(s: pd.Series) -> bool:
    if s.name in TIME_COLUMNS:
        return False
    s = s.dropna()
    if s.empty:
        return True
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_localize(None)
    return bool((s == s.dt.normalize()).all())


def _object_column_is_date_only(values: list, name: Any = None) -> bool:
    if name in TIME_COLUMNS:
        return False
    return all(_is_midnight(v) for v in values
               if isinstance(v, datetime) and not _is_missing(v))


def _column_texts(s: pd.Series) -> list[str]:
    """A column as a list of CSV cell strings."""
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return ["" if _is_missing(v) else str(bool(v)) for v in s.tolist()]
    if pd.api.types.is_integer_dtype(dtype):
        if isinstance(dtype, pd.Int64Dtype):    # the reshapers' counts: digits, "" for <NA>
            missing = s.isna().to_numpy()
            texts = list(map(str, s.to_numpy(dtype="int64", na_value=0).tolist()))
            return [("" if na else t) for t, na in zip(texts, missing.tolist())] if missing.any() else texts
        return ["" if na else str(int(v)) for v, na in zip(s.tolist(), s.isna().tolist())]
    if pd.api.types.is_float_dtype(dtype):
        return [_plain_number(v) if isinstance(v, float) else "" if _is_missing(v)
                else _plain_number(v) for v in s.tolist()]
    if pd.api.types.is_datetime64_any_dtype(dtype):
        fmt = "%Y-%m-%d" if _datetime_column_is_date_only(s) else "%Y-%m-%dT%H:%M:%S"
        if isinstance(dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_localize(None)
        return s.dt.strftime(fmt).fillna("").tolist()
    values = s.tolist()
    date_only = _object_column_is_date_only(values, s.name)
    texts: dict[str, str] = {}      # a text column repeats its values (a page id on every row)
    return [(texts[v] if v in texts else texts.setdefault(v, _cell_text(v, date_only))) if type(v) is str
            else _cell_text(v, date_only) for v in values]


def _header_text(name: Any) -> str:
    if isinstance(name, tuple):  # MultiIndex columns
        name = " / ".join(str(p) for p in name if not _is_missing(p) and str(p) != "")
    return _cell_text(name, False) if not isinstance(name, str) else sanitize_cell(name)


def _csv_text(frame: pd.DataFrame, *, header: bool = True) -> str:
    buf = io.StringIO(newline="")
    if frame.shape[1] == 0:
        return ""
    writer = csv.writer(buf, lineterminator=LINE_TERMINATOR, quoting=csv.QUOTE_MINIMAL)
    if header:
        writer.writerow([_header_text(c) for c in frame.columns])
    columns = [_column_texts(frame.iloc[:, i]) for i in range(frame.shape[1])]
    writer.writerows(zip(*columns))
    return buf.getvalue()


# --------------------------------------------------------------------------- CSV

def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The whole frame as Excel-friendly CSV bytes: BOM, header, CRLF rows (see module doc).

    A frame without columns gives just the BOM."""
    return BOM + _csv_text(frame).encode("utf-8")


def _is_text_stream(fp: Any) -> bool:
    if isinstance(fp, io.TextIOBase):
        return True
    if isinstance(fp, (io.RawIOBase, io.BufferedIOBase)):
        return False
    mode = getattr(fp, "mode", "")
    return isinstance(mode, str) and "b" not in mode and hasattr(fp, "encoding")


def _emit(fp: IO, data: str) -> None:
    """Write CSV text to a text or binary stream as UTF-8, bypassing newline translation
    and the console encoding where the text stream has an underlying binary buffer."""
    if not data:
        return
    if _is_text_stream(fp):
        buffer = getattr(fp, "buffer", None)
        if buffer is not None:
            fp.flush()
            buffer.write(data.encode("utf-8"))
            buffer.flush()
        else:
            fp.write(data)
    else:
        fp.write(data.encode("utf-8"))


class CsvWriter:
    """Stream several frames (one page after another) as one CSV: the BOM and the header once.

    ``fp_or_path`` is a path (closed by ``close()``/``with``), a binary stream or a text stream
    (``sys.stdout``: bytes go to its ``.buffer`` when it has one, so the output is UTF-8 with CRLF
    whatever the console). The first frame (or ``columns=``) fixes the columns: a later chunk
    missing some gets empty cells, one with columns the header lacks raises ValueError, and chunks
    are reordered to the header's order. A writer that wrote nothing still writes the BOM (and the
    header, with ``columns``).
    """

    def __init__(self, fp_or_path: Any, *, bom: bool = True,
                 columns: Iterable[Any] | None = None) -> None:
        self._owns = isinstance(fp_or_path, (str, os.PathLike))
        self._fp: IO = open(fp_or_path, "wb") if self._owns else fp_or_path  # noqa: SIM115 - closed by close()
        self._bom = bom
        self.columns: list[Any] | None = list(columns) if columns is not None else None
        self.started = False
        self.rows_written = 0
        self.closed = False

    def _start(self) -> None:
        if self.started:
            return
        self.started = True
        head = "\ufeff" if self._bom else ""
        if self.columns:
            head += _csv_text(pd.DataFrame(columns=self.columns))
        _emit(self._fp, head)

    def write(self, frame: pd.DataFrame) -> int:
        """Append a chunk; returns the number of data rows written."""
        if self.closed:
            raise ValueError("CsvWriter is closed")
        if self.columns is None:
            self.columns = list(frame.columns)
        else:
            extra = [c for c in frame.columns if c not in self.columns]
            if extra:
                raise ValueError(f"chunk has columns not in the CSV header: {extra!r}")
            if list(frame.columns) != self.columns:
                frame = frame.reindex(columns=self.columns)
        self._start()
        _emit(self._fp, _csv_text(frame, header=False))
        self.rows_written += len(frame)
        return len(frame)

    def close(self) -> None:
        if self.closed:
            return
        self._start()
        self.closed = True
        if self._owns:
            self._fp.close()
        else:
            try:
                self._fp.flush()
            except (AttributeError, ValueError):
                pass

    def __enter__(self) -> CsvWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def write_csv(frame: pd.DataFrame, fp_or_path: Any, *, bom: bool = True) -> int:
    """Write one frame as CSV to a path, a binary stream or a text stream (see ``CsvWriter``).
    Returns the number of data rows. Same bytes as ``to_csv_bytes`` (minus the BOM if
    ``bom=False``)."""
    with CsvWriter(fp_or_path, bom=bom) as w:
        return w.write(frame)


# --------------------------------------------------------------------------- names

_MAX_IDS_IN_NAME = 3
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}


def _slug(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _part_text(part: Any) -> str:
    if isinstance(part, datetime):
        return part.strftime("%Y-%m-%d") if _is_midnight(part) else part.strftime("%Y-%m-%dT%H-%M")
    if isinstance(part, date):
        return part.isoformat()
    if isinstance(part, (list, tuple, set, frozenset, pd.Index, pd.Series, np.ndarray)):
        items = [_slug(str(p)) for p in part]
        items = [p for p in items if p]
        if len(items) == 1:
            return items[0]
        joined = "-".join(items)
        if len(items) > _MAX_IDS_IN_NAME or len(joined) > 40:
            return f"{len(items)}-pages"
        return joined
    return _slug(str(part))


def safe_filename(*parts: Any, ext: str = "", max_len: int = 100) -> str:
    """A portable ASCII file name from parts joined with ``_``: each lower-cased, without diacritics
    (``"Thời Trang Đẹp"`` → ``"thoi-trang-dep"``), reduced to ``[a-z0-9-]``; page ids joined with
    ``-`` when at most 3 short ones, else ``"N-pages"``; dates ISO; empty parts skipped (nothing
    left: ``"export"``); the stem cut to ``max_len`` minus the extension."""
    texts = [t for t in (_part_text(p) for p in parts if p is not None) if t]
    stem = "_".join(texts) or "export"
    suffix = _ext(ext)
    stem = stem[:max(1, max_len - len(suffix))].rstrip("-_") or "export"
    if stem.split(".")[0] in _WINDOWS_RESERVED:
        stem = "_" + stem
    return stem + suffix


def _ext(ext: str) -> str:
    e = _slug(ext.lstrip(".")) if ext else ""
    return f".{e}" if e else ""


def with_extension(name: str, ext: str) -> str:
    """``with_extension("engagement_2026-11-01", "csv") == "engagement_2026-11-01.csv"``;
    an existing extension is replaced (``"a.csv"`` → ``"a.xlsx"``)."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name)
    return stem + _ext(ext)


def _unique(name: str, taken: set[str], fit: int | None = None) -> str:
    """``name``, or ``name-2``, ``name-3``... (case-insensitively unique; within ``fit`` chars)."""
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        suf = f"-{n}"
        base = name if fit is None else name[:fit - len(suf)]
        candidate = base + suf
    taken.add(candidate.lower())
    return candidate


# --------------------------------------------------------------------------- ZIP

def zip_bytes(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """A ZIP (deflated) with one ``to_csv_bytes`` CSV per table, in the mapping's order.
    Member names are ``safe_filename(key) + ".csv"`` (a trailing ".csv" in the key is
    ignored), made unique with ``-2``, ``-3``..."""
    out = io.BytesIO()
    taken: set[str] = set()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, frame in tables.items():
            stem = safe_filename(re.sub(r"\.csv$", "", str(key), flags=re.I), max_len=96)
            name = _unique(stem, taken) + ".csv"
            zf.writestr(name, to_csv_bytes(frame))
    return out.getvalue()


# --------------------------------------------------------------------------- XLSX

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_SHEET_MAX = 31


def sheet_names(keys: Iterable[Any]) -> list[str]:
    """Valid, unique (case-insensitive) Excel sheet names for ``keys``: ``[]:*?/\\`` become
    ``-``, no leading/trailing ``'``, at most 31 characters, empty → ``Sheet``, Excel's
    reserved ``History`` → ``History_``, duplicates get ``-2``, ``-3``... Vietnamese kept."""
    taken: set[str] = set()
    names = []
    for key in keys:
        name = _SHEET_BAD.sub("-", str(key))
        name = "".join(c for c in name if c.isprintable()).strip().strip("'").strip()
        name = name[:_SHEET_MAX].strip() or "Sheet"
        if name.lower() == "history":
            name = "History_"
        names.append(_unique(name, taken, fit=_SHEET_MAX))
    return names


def _excel_value(v: Any) -> Any:
    """A cell value openpyxl stores as a number, bool, date or (safe) string; None if missing."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # start-up: openpyxl for XLSX only

    if _is_missing(v):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, Integral):
        return int(v)
    if isinstance(v, (Real, Decimal, np.floating)):
        f = float(v)
        return float(f"{f:.15g}") if math.isfinite(f) else None
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        ts = pd.Timestamp(v)
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        return ts.to_pydatetime(warn=False)
    if isinstance(v, datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, (date, time)):
        return v
    if isinstance(v, (timedelta, pd.Timedelta)):
        v = str(v)
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    if not isinstance(v, str):
        v = str(v)
    v = ILLEGAL_CHARACTERS_RE.sub("", sanitize_cell(v))
    return v[:32767]


def _display_len(v: Any, number_format: str | None) -> int:
    if v is None:
        return 0
    if isinstance(v, datetime):
        return 16 if number_format and "hh" in number_format else 10
    if isinstance(v, date):
        return 10
    if number_format and isinstance(v, (int, float)):
        if "h]" in number_format:
            return 8
        digits = len(f"{abs(v):,.0f}") + (3 if "0.00" in number_format else 0)
        return digits + (5 if '"' in number_format or "%" in number_format else 0)
    if isinstance(v, float):
        return len(_plain_number(v))
    s = str(v)
    return max((len(line) for line in s.splitlines()), default=0)


# Excel's own currency signs; any other currency shows its code after the amount.
_EXCEL_SIGNS = {"VND": ("", ' "₫"'), "USD": ('"US$"', ""), "EUR": ("", ' "€"'), "GBP": ('"£"', ""),
                "JPY": ('"¥"', "")}


def money_format(currency: str | None, decimals: int = 2) -> str:
    """The Excel number format of an amount: ``#,##0 "₫"``, ``"US$"#,##0.00``, ``#,##0.00 "THB"``;
    no currency: the bare amount (never taken for VND)."""
    body = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    code = (currency or "").strip().upper()
    if not code:
        return body
    before, after = _EXCEL_SIGNS.get(code, ("", f' "{code}"'))
    return f"{before}{body}{after}"


@dataclass
class Sheet:
    """A workbook sheet with its presentation: ``formats`` maps a column to an Excel number
    format (one for the column, or one per row: money in each row's currency); the last
    ``total_rows`` rows are totals (bold, outside the autofilter)."""
    frame: pd.DataFrame
    formats: Mapping[Any, str | Sequence[str | None]] = field(default_factory=dict)
    total_rows: int = 0


_HEADER_WIDTH = 28   # a longer header wraps rather than widening its column


def _column_format(fmt: str | Sequence[str | None] | None, row: int) -> str | None:
    if fmt is None or isinstance(fmt, str):
        return fmt
    return fmt[row] if row < len(fmt) else None


def _write_sheet(ws: Any, sheet: Sheet) -> None:
    from openpyxl.styles import Alignment, Font  # start-up: openpyxl for XLSX only
    from openpyxl.utils import get_column_letter  # the same

    frame = sheet.frame
    headers = [_excel_value(_header_text(c)) for c in frame.columns]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"

    formats: list[Any] = []
    columns: list[list[Any]] = []
    for i in range(frame.shape[1]):
        s = frame.iloc[:, i]
        values = s.tolist()
        fmt: Any = sheet.formats.get(frame.columns[i])
        if fmt is None:
            if pd.api.types.is_datetime64_any_dtype(s.dtype):
                fmt = "yyyy-mm-dd" if _datetime_column_is_date_only(s) else "yyyy-mm-dd hh:mm"
            elif any(isinstance(v, datetime) for v in values):
                fmt = "yyyy-mm-dd" if _object_column_is_date_only(values, s.name) else "yyyy-mm-dd hh:mm"
            elif any(isinstance(v, date) for v in values):
                fmt = "yyyy-mm-dd"
        formats.append(fmt)
        columns.append([_excel_value(v) for v in values])

    for row in zip(*columns):
        ws.append(row)
    n = len(frame)
    for j, fmt in enumerate(formats, start=1):
        if fmt is not None:
            for r, (cell,) in enumerate(ws.iter_rows(min_row=2, max_row=n + 1, min_col=j, max_col=j)):
                f = _column_format(fmt, r)
                if f and isinstance(cell.value, (int, float, datetime, date)) and not isinstance(cell.value, bool):
                    cell.number_format = f
        sample = columns[j - 1][:500]
        content = max([_display_len(v, _column_format(fmt, r)) for r, v in enumerate(sample)], default=0)
        head = min(len(str(headers[j - 1] or "")), _HEADER_WIDTH)
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, content + 2, head + 2))
    last_data = n - sheet.total_rows
    if frame.shape[1]:
        ws.auto_filter.ref = f"A1:{get_column_letter(frame.shape[1])}{max(1, last_data) + 1}"
    for r in range(last_data + 2, n + 2):
        for cell in ws[r]:
            cell.font = Font(bold=True)


def xlsx_bytes(tables: Mapping[str, pd.DataFrame | Sheet]) -> bytes:
    """An .xlsx workbook with one sheet per table (names from ``sheet_names``): the bold header
    row frozen and wrapped, an autofilter over the data rows, numbers numeric, datetimes real
    Excel dates (``yyyy-mm-dd``, ``yyyy-mm-dd hh:mm``) unless a :class:`Sheet` gives number
    formats, strings sanitised, widths 8–60 from the content. An empty mapping gives one empty
    sheet named ``Sheet``. The index is dropped."""
    from openpyxl import Workbook  # start-up: openpyxl for XLSX only

    wb = Workbook()
    default = wb.active
    keys = list(tables.keys())
    for name, key in zip(sheet_names(keys), keys):
        item = tables[key]
        _write_sheet(wb.create_sheet(title=name), item if isinstance(item, Sheet) else Sheet(item))
    if keys:
        wb.remove(default)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- atomic files

class OutputPathError(ValueError):
    """The output path cannot be written (no such folder, a folder as the target, no
    permission). The message is one line naming the path."""


class OutputWriteError(Exception):
    """Writing the output failed (a full disk, an I/O error): one line naming the path and
    the cause (``errno`` is the system's). A regular file is left as it was."""

    def __init__(self, errno: int | None, message: str) -> None:
        super().__init__(message)
        self.errno = errno


REPLACE, THROUGH = "replace", "through"
_MAX_LINKS = 40


def output_target(path: str | os.PathLike) -> tuple[str, Path]:
    """How ``-o PATH`` is written, without writing anything: ``("replace", real path)`` for a
    regular file or a path that does not exist yet (a symlink's target: the link stays and its
    target is replaced), ``("through", path)`` for what is not a file (a character device, a
    FIFO) and a process's own descriptor (``/dev/stdout``, ``/dev/fd/N``, ``/proc/self/fd/N``):
    opened and written like a shell redirection, never replaced. Raises
    :class:`OutputPathError` for a folder, a block device (a disk), a socket, a missing folder
    or a link loop."""
    given = str(path)
    p = os.path.abspath(given)
    for _ in range(_MAX_LINKS):
        parent = os.path.realpath(os.path.dirname(p))
        p = os.path.join(parent, os.path.basename(p))
        if p.startswith("/proc/") and "/fd/" in p:     # a descriptor: a pipe, a terminal, a file
            if not os.path.exists(p):
                raise OutputPathError(f"{given} is not an open file descriptor")
            return THROUGH, Path(p)
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            if not os.path.isdir(parent):
                raise OutputPathError(f"folder {parent} does not exist") from None
            return REPLACE, Path(p)
        except OSError as exc:
            raise OutputPathError(f"{given}: {exc.strerror or type(exc).__name__}") from None
        mode = st.st_mode
        if stat.S_ISLNK(mode):
            p = os.path.join(os.path.dirname(p), os.readlink(p))
            continue
        if stat.S_ISREG(mode):
            return REPLACE, Path(p)
        if stat.S_ISDIR(mode):
            raise OutputPathError(f"{given} is a folder: give a file name")
        if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
            return THROUGH, Path(p)
        if stat.S_ISBLK(mode):
            raise OutputPathError(f"{given} is a block device (a disk): refusing to write a CSV onto it")
        raise OutputPathError(f"{given} is not a file, a device or a FIFO")
    raise OutputPathError(f"{given}: too many symbolic links")


class AtomicFile:
    """A file that appears complete or not at all, or a stream written through.

    ``AtomicFile(path)`` checks the path at once and raises :class:`OutputPathError` when it cannot
    be written. What ``path`` is decides how (:func:`output_target`): a regular file or a new path
    (through symlinks, the link kept) gets ``commit(data)`` as a hidden temporary file beside it,
    flushed and renamed over it (keeping its permissions and owner); ``discard()`` (also on leaving
    a ``with`` block without a commit) leaves the target as it was. A character device, a FIFO or
    ``/dev/stdout`` is never replaced: ``commit`` writes through (``stream`` is True). A failed
    write raises :class:`OutputWriteError` (one line: the path and the cause).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        if str(path) in ("", "-"):
            raise OutputPathError("the output path is empty")
        self.given = Path(path)
        if not self.given.name or self.given.name in (".", ".."):
            if os.path.isdir(path):
                raise OutputPathError(f"{self.given} is a folder: give a file name")
            raise OutputPathError(f"{self.given} is not a file name")
        self.how, self.path = output_target(path)
        self.stream = self.how == THROUGH
        self.tmp: Path | None = None
        self.committed = False
        if self.stream:
            if not os.access(self.path, os.W_OK):
                raise OutputPathError(f"cannot write to {self.given} (permission denied)")
            return
        folder = self.path.parent
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=folder)
        except OSError as exc:
            raise OutputPathError(f"cannot write in folder {folder} ({exc.strerror or type(exc).__name__})") from None
        os.close(fd)
        self.tmp = Path(tmp)

    def commit(self, data: bytes) -> None:
        if self.stream:
            self._write_through(data)
            return
        if self.tmp is None:
            raise ValueError("AtomicFile is closed")
        try:
            try:
                old = self.path.stat()
            except OSError:
                old = None
            if old is not None:
                mode = old.st_mode & 0o777
            else:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            with open(self.tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(self.tmp, mode)
            if old is not None and os.geteuid() == 0:
                try:
                    os.chown(self.tmp, old.st_uid, old.st_gid)
                except OSError:
                    pass
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.discard()
            raise OutputWriteError(exc.errno, f"could not write {self.given}: "
                                              f"{exc.strerror or type(exc).__name__}") from None
        except BaseException:
            self.discard()
            raise
        self.tmp = None
        self.committed = True

    def _write_through(self, data: bytes) -> None:
        try:
            # no O_CREAT, no O_TRUNC: a device or a FIFO is written, never made or emptied; a
            # descriptor a shell opened (``> f`` or ``>> f``) keeps what it was given
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOCTTY", 0))
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
        except OSError as exc:
            raise OutputWriteError(exc.errno, f"could not write {self.given}: "
                                              f"{exc.strerror or type(exc).__name__}") from None
        self.committed = True

    def discard(self) -> None:
        tmp, self.tmp = self.tmp, None
        if tmp is not None:
            try:
                tmp.unlink()
            except OSError:
                pass

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.discard()


def excel_format(c: vtables.Column, lang: str, currency: str = "") -> str | None:
    """The Excel number format of a column's cells (``currency``: the row's, for money)."""
    if c.unit == "money":
        return money_format(c.currency or currency, fmt.currency_decimals(c.currency or currency))
    return {"ms": "[h]:mm:ss", "ratio": "0.00%", "percent": "0.00%", "delta_pct": "+0.0%;-0.0%;0.0%",
            "delta_pp": "+0.0;-0.0;0.0", "multiple": '0.00"×"', "count": "#,##0",
            "date": "dd/mm/yyyy" if lang == "vi" else "yyyy-mm-dd",
            "datetime": "dd/mm/yyyy hh:mm:ss" if lang == "vi" else "yyyy-mm-dd hh:mm:ss",
            "hour": "dd/mm/yyyy hh:mm" if lang == "vi" else "yyyy-mm-dd hh:mm"}.get(c.unit)


def excel_sheet(t: vtables.Table, lang: str) -> Sheet:
    """The table as a workbook sheet: the download's columns, number formats by unit (₫, US$,
    %, durations; money in each row's currency) and the totals row."""
    frame = vtables.for_download(t, lang, excel=True, total=True)
    source = vtables.with_total(t, lang)
    formats: dict[str, str | list[str | None]] = {}
    for name, c in zip(frame.columns, vtables.download_columns(t, lang)):
        if c.unit == "money" and not c.currency:
            formats[name] = [excel_format(c, lang, k) for k in vtables.currencies(source, c)]
        else:
            f = excel_format(c, lang)
            if f:
                formats[name] = f
    return Sheet(frame, formats=formats, total_rows=1 if t.total and not t.frame.empty else 0)

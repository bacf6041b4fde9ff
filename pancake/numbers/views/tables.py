"""The one table model: a frame of numbers (sortable as numbers) plus, per column, a label, a
tooltip and a unit (the metric units, plus the display units of ``Column.unit``). Pure (no
Streamlit); ``ui.components.table`` draws it with a per-column display format, so clicking a
header sorts 316 before 1.178. A money column takes its currency from the row's ``currency``
column, or from ``Column.currency``.

A totals row (``Table.total``) is computed by its view with ``pancake.numbers.metrics`` (never a
column sum of a ratio); the screen and the workbook show it last, a CSV leaves it out.

Downloads are built here too (``for_download``): every column, ids included, headed in the
viewer's language with the unit, values rounded for people. The CLI keeps the API's field names.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pancake import fmt, i18n
from pancake.numbers import metrics
from pancake.numbers.views import is_missing

ID_LABELS = {"page_name": "col.page_name", "page_id": "col.page_id", "user_name": "col.user_name",
             "user_id": "col.user_id", "date": "col.date", "hour": "col.hour",
             "hour_of_day": "col.hour_of_day", "currency": "ads.currency", "tag_id": "col.tag_id",
             "tag_ids": "col.tag_ids", "tag_name": "tags.tag", "ad_id": "ads.ad_id"}
# Columns a download writes that no table shows: (label key, unit). Any other column is read by
# its type: true/false as words, a moment as a date and time, text as text.
DOWNLOAD_ONLY = {"conversation_id": ("col.conversation_id", "text"), "customer_id": ("col.customer_id", "text"),
                 "created_at": ("conv.col.created", "datetime"), "updated_at": ("conv.col.updated", "datetime"),
                 "waiting_since": ("conv.col.since", "datetime"), "has_phone": ("conv.col.phone", "yesno"),
                 "can_inbox": ("col.can_inbox", "yesno"), "gender": ("col.gender", "text"),
                 "breach": ("col.breach", "yesno"), "from_ads": ("conv.col.from_ads", "yesno"),
                 "assignee_ids": ("col.assignee_ids", "text"), "type": ("conv.col.type", "text")}
ID_COLUMNS = ("page_id", "user_id", "tag_id", "tag_ids", "ad_id")
# An id column goes right after the name it belongs to, in downloads.
ID_AFTER = {"page_id": "page_name", "user_id": "user_name", "tag_ids": "tag_name", "tag_id": "tag_name"}
RATIO_DECIMALS = 4


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    help: str = ""
    unit: str = "count"
    currency: str | None = None   # a fixed currency for a money column (else the row's)


@dataclass
class Table:
    """``frame`` holds plain values; ``columns`` says how each shown column reads. Columns of
    ``frame`` not in ``columns`` are kept for the download but not shown (ids, for example).
    ``total`` is the totals row by column key (None: no totals row)."""
    frame: pd.DataFrame
    columns: list[Column] = field(default_factory=list)
    total: Mapping[str, Any] | None = None
    internal: tuple[str, ...] = ()   # columns the page uses (a drill-down key) that no download writes

    @property
    def shown(self) -> list[str]:
        return [c.key for c in self.columns if c.key in self.frame.columns]

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


def column(key: str, lang: str, source: str | None = None, *, label: str | None = None,
           help: str | None = None, unit: str | None = None, currency: str | None = None) -> Column:
    """A column described from the metric catalogue (``source``'s meaning of ``key``), or an id
    column with a plain label; explicit arguments win."""
    if key in ID_LABELS:
        default_unit = {"date": "date", "hour": "hour", "hour_of_day": "hour_of_day",
                        "currency": "code"}.get(key, "text")
        return Column(key, label or i18n.t(ID_LABELS[key], lang), help or "", unit or default_unit, currency)
    m = metrics.metric(key, source)
    return Column(key, label or metrics.label(key, lang, source),
                  help if help is not None else metrics.help_text(key, lang, source),
                  unit or (m.unit if m else "count"), currency)


def columns(keys: Sequence[str], lang: str, source: str | None = None,
            sources: Mapping[str, str] | None = None) -> list[Column]:
    """Columns for ``keys``, each from ``sources[key]`` (else ``source``) in the catalogue."""
    return [column(k, lang, (sources or {}).get(k, source)) for k in keys]


def table(frame: pd.DataFrame, keys: Sequence[str], lang: str, source: str | None = None,
          sources: Mapping[str, str] | None = None, *, total: Mapping[str, Any] | None = None,
          **overrides: Column) -> Table:
    """A table showing ``keys`` of ``frame`` (in that order); ``overrides`` replace a column;
    ``total`` is its totals row (see :class:`Table`)."""
    cols = [overrides.get(c.key, c) for c in columns([k for k in keys if k in frame.columns], lang, source,
                                                      sources)]
    return Table(frame=frame.reset_index(drop=True), columns=cols, total=total)


# --- changes against the previous period ------------------------------------------------------

def change_key(field_name: str) -> str:
    return f"change_{field_name}"


def with_change(frame: pd.DataFrame, key: str, field_name: str, previous: Mapping[Any, Any] | pd.Series | None,
                source: str | None = None) -> pd.DataFrame:
    """``frame`` plus ``change_<field>``: each row's change of ``field`` against ``previous``
    (the previous period's value by the row's ``key``), from ``metrics.change``: in % for a
    count or an amount, in percentage points for a ratio; unknown (NaN) when either value is
    unknown or the previous value was 0 (a percentage of nothing). ``previous`` None: unchanged."""
    if previous is None or field_name not in frame.columns:
        return frame
    before = previous if isinstance(previous, Mapping) else previous.to_dict()
    values = [change_value(field_name, now, before.get(k), source) for k, now in zip(frame[key], frame[field_name])]
    out = frame.copy()
    out.insert(list(frame.columns).index(field_name) + 1, change_key(field_name), pd.array(values, dtype="float64"))
    return out


def change_value(field_name: str, now: Any, before: Any, source: str | None = None) -> float:
    """One value of a ``change_<field>`` column (a row's, or the totals row's): ``metrics.change``
    in % or in points, as the cards show it; NaN when either value is unknown or the previous was 0."""
    ch = metrics.change(field_name, None if is_missing(now) else now, before, source)
    return ch.value if ch is not None and ch.kind in ("pct", "pp") else float("nan")


def total_change(total: dict[str, Any] | None, field_name: str, before: Any,
                 source: str | None = None) -> dict[str, Any] | None:
    """A totals row with its ``change_<field>`` (``before``: the same total over the previous
    period's rows): the change the view's card shows, where ``with_change`` gives each row's."""
    if total is None or field_name not in total:
        return total
    return {**total, change_key(field_name): change_value(field_name, total[field_name], before, source)}


def change_column(field_name: str, lang: str, source: str | None = None) -> Column:
    """The column of ``with_change``: "vs previous period", its tooltip naming the metric."""
    m = metrics.metric(field_name, source)
    points = m is not None and m.unit in ("ratio", "percent")
    name = metrics.label(field_name, lang, source)
    return Column(change_key(field_name), i18n.t("table.change", lang),
                  i18n.t("table.change_pp_help" if points else "table.change_help", lang, label=name),
                  "delta_pp" if points else "delta_pct")


# --- what the screen shows ---------------------------------------------------------------------

def formatter(col: Column, lang: str, currency: str | None = None) -> Callable[[Any], str]:
    """The function that turns one value of ``col`` into the text shown."""
    if col.unit == "date":
        return lambda v: fmt.date(v, lang)
    if col.unit == "hour":
        return lambda v: fmt.MISSING if is_missing(v) else f"{fmt.date(v, lang)} {fmt.hour(v, lang)}"
    if col.unit == "datetime":   # a moment: the date as everywhere, and the time to the minute
        return lambda v: fmt.MISSING if is_missing(v) else f"{fmt.date(v, lang)} {fmt.clock(v, lang)}"
    if col.unit == "yesno":
        return lambda v: fmt.MISSING if is_missing(v) else i18n.t("conv.yes" if bool(v) else "conv.no", lang)
    if col.unit == "hour_of_day":
        return lambda v: fmt.MISSING if is_missing(v) else fmt.hour(int(v), lang)
    if col.unit == "text":      # an empty text stays empty (a blank warning cell)
        return lambda v: fmt.MISSING if is_missing(v) else str(v)
    if col.unit == "warning":   # a warning in words, after a sign; none: a blank cell
        return lambda v: "" if is_missing(v) or str(v) == "" else f"⚠️ {v}"
    if col.unit == "code":      # a code the API left out (a currency) reads "—"
        return lambda v: fmt.MISSING if is_missing(v) or str(v) == "" else str(v)
    if col.unit == "delta_pct":
        return lambda v: fmt.signed_percent(v, lang).replace(fmt.MINUS, "-")
    if col.unit == "delta_pp":
        return lambda v: fmt.MISSING if is_missing(v) else i18n.t(
            "card.pp", lang, n=("+" if v > 0 else "-" if v < 0 else "±") + fmt.number(abs(v), lang, decimals=1))
    cur = col.currency or currency
    return lambda v: fmt.by_unit(col.unit, v, lang, cur)


def label_column(t: Table) -> str | None:
    """The column that names a row (the first text column shown): it reads "Total" on the totals row."""
    return next((c.key for c in t.columns if c.key in t.frame.columns and c.unit == "text"),
                t.shown[0] if t.shown else None)


def with_total(t: Table, lang: str) -> pd.DataFrame:
    """The frame with the totals row last (when the table has one)."""
    if not t.total or t.frame.empty:
        return t.frame
    label_col = label_column(t)
    return with_total_row(t.frame, label_col, i18n.t("table.total", lang), t.total) if label_col else t.frame


def display_values(t: Table, lang: str, *, total: bool = False) -> pd.DataFrame:
    """Every shown cell as text, row by row: what the table shows (and what tests read); the
    totals row last when ``total``."""
    frame = with_total(t, lang) if total else t.frame
    out = pd.DataFrame(index=frame.index)
    row_cur = frame["currency"] if "currency" in frame.columns else None
    for c in t.columns:
        if c.key not in frame.columns:
            continue
        if c.unit == "money" and c.currency is None and row_cur is not None:
            out[c.key] = [formatter(c, lang, None if is_missing(k) else str(k) or None)(v)
                          for v, k in zip(frame[c.key], row_cur)]
        else:
            f = formatter(c, lang)
            out[c.key] = [f(v) for v in frame[c.key]]
    return out


CHAR_PX = 8          # an average character of the tables' 14 px font
CELL_PAD_PX = 28     # a cell's padding, a header's sort arrow
MIN_COLUMN_PX, MAX_COLUMN_PX = 60, 360
MAX_TEXT_PX = 240    # a long name or list of pages is cut ("…", whole on hover): the numbers stay in view


def column_widths(t: Table, lang: str, *, sample: int = 200) -> dict[str, int]:
    """A width in pixels for each shown column: its label or its longest text (over the first
    ``sample`` rows and the totals row), whichever is longer, within bounds. The rows and the
    totals row under them are two grids (a header click sorts the rows, never the totals):
    the same widths keep their columns aligned."""
    head = Table(frame=t.frame.head(sample), columns=t.columns, total=t.total)
    texts = display_values(head, lang, total=True)
    out = {}
    for c in t.columns:
        if c.key not in t.shown:
            continue
        longest = max([len(str(c.label))] + [len(str(x)) for x in texts[c.key]] if c.key in texts else [0])
        cap = MAX_TEXT_PX if c.unit == "text" else MAX_COLUMN_PX
        out[c.key] = int(min(max(longest * CHAR_PX + CELL_PAD_PX, MIN_COLUMN_PX), cap))
    return out


def total_only(t: Table, lang: str) -> pd.DataFrame:
    """The totals row alone (its label in the label column), or an empty frame without one."""
    frame = with_total(t, lang)
    return frame.iloc[len(t.frame):].reset_index(drop=True)


def with_total_row(frame: pd.DataFrame, label_col: str, label: str, sums: Mapping[str, Any]) -> pd.DataFrame:
    """``frame`` plus a last row labelled ``label`` holding ``sums`` (computed by the caller
    with ``pancake.numbers.metrics``: paired ratios and weighted means are not column sums)."""
    row = {c: sums.get(c, pd.NA) for c in frame.columns}
    row[label_col] = label
    extra = pd.DataFrame([row], columns=frame.columns)
    for c in frame.columns:   # keep each column's dtype (an Int64 count stays Int64)
        try:
            extra[c] = extra[c].astype(frame[c].dtype)
        except (TypeError, ValueError):
            pass
    return pd.concat([frame, extra], ignore_index=True)


# --- downloads ---------------------------------------------------------------------------------

UNIT_SUFFIX = {"ms": "unit.seconds", "ratio": "unit.ratio", "percent": "unit.percent", "multiple": "unit.times",
               "delta_pct": "unit.percent", "delta_pp": "unit.points"}
EXCEL_SUFFIX = {**UNIT_SUFFIX, "ms": "unit.duration", "ratio": "unit.percent"}


def download_columns(t: Table, lang: str) -> list[Column]:
    """The columns of a download: the shown ones in order, each id right after the name it
    belongs to (page id after the page's name), then the frame's other columns (never an
    ``internal`` one, never one with no value at all), each labelled in ``lang``."""
    shown = [c for c in t.columns if c.key in t.frame.columns]
    keys = {c.key for c in shown} | set(t.internal)
    extra = [_download_column(t.frame, k, lang) for k in t.frame.columns
             if k not in keys and not _empty(t.frame[k])]   # an id the API never sent: no empty column
    out = list(shown)
    for c in extra:
        anchor = ID_AFTER.get(c.key)
        at = next((i for i, s in enumerate(out) if s.key == anchor), None)
        if at is None:
            out.append(c)
        else:
            out.insert(at + 1, c)
    return out


def _download_column(frame: pd.DataFrame, key: str, lang: str) -> Column:
    """A column no table shows, as a download writes it: known ones by ``DOWNLOAD_ONLY``, the
    catalogue's metrics by their unit, any other by its type (never a raw name and a number
    made of a date or of true/false)."""
    if key in DOWNLOAD_ONLY:
        label_key, unit = DOWNLOAD_ONLY[key]
        return Column(key, i18n.t(label_key, lang), unit=unit)
    if key in ID_LABELS or metrics.metric(key) is not None:
        return column(key, lang)
    s = frame[key]
    if pd.api.types.is_bool_dtype(s):
        return Column(key, key, unit="yesno")
    if pd.api.types.is_datetime64_any_dtype(s):
        return Column(key, key, unit="datetime")
    return Column(key, key, unit="count" if pd.api.types.is_numeric_dtype(s) else "text")


def _empty(values: pd.Series) -> bool:
    """No value at all in the column (nulls and empty texts): a download leaves it out."""
    return bool(values.map(lambda v: is_missing(v) or (isinstance(v, str) and v.strip() == "")).all())


def header(c: Column, lang: str, *, excel: bool = False) -> str:
    """A download's column header: the label and its unit ("Thời gian phản hồi TB (giây)")."""
    suffix = (EXCEL_SUFFIX if excel else UNIT_SUFFIX).get(c.unit)
    if c.unit == "money" and c.currency and c.currency not in c.label:
        return f"{c.label} ({c.currency})"
    return f"{c.label} ({i18n.t(suffix, lang)})" if suffix else c.label


def _rounded(values: pd.Series, decimals: int) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("float64").round(decimals)


def currencies(frame: pd.DataFrame, c: Column) -> list[str]:
    """Each row's currency code for a money column ("" when none)."""
    if c.currency:
        return [c.currency] * len(frame)
    if "currency" not in frame.columns:
        return [""] * len(frame)
    return ["" if is_missing(k) else str(k) for k in frame["currency"]]


def download_values(frame: pd.DataFrame, c: Column, *, excel: bool = False, lang: str = "vi") -> pd.Series:
    """One column's values as people read them in a file (see the module doc); ``excel``:
    response time as a duration (a fraction of a day) and percentages as fractions, which the
    workbook's number formats show."""
    s = frame[c.key]
    if c.unit == "yesno":
        return s.map(lambda v: "" if is_missing(v) else i18n.t("conv.yes" if bool(v) else "conv.no", lang)
                      ).astype("object")
    if c.unit == "datetime":   # a date and time (to the second), never a number of nanoseconds
        return pd.to_datetime(s, errors="coerce").dt.floor("s")
    if c.unit == "ms":   # whole seconds, half up as on screen (fmt.duration_ms)
        seconds = np.floor(pd.to_numeric(s, errors="coerce").astype("float64") / 1000 + 0.5)
        return seconds / 86400 if excel else seconds.astype("Int64")
    if c.unit == "money":
        codes = currencies(frame, c)
        values = pd.to_numeric(s, errors="coerce").astype("float64")
        return pd.Series([v if pd.isna(v) else round(v, fmt.currency_decimals(k)) for v, k in zip(values, codes)],
                         index=s.index, dtype="float64")
    if c.unit == "ratio":
        return _rounded(s, RATIO_DECIMALS)
    if c.unit in ("percent", "delta_pct", "delta_pp"):
        decimals = 2 if c.unit == "percent" else 1
        value = _rounded(s, decimals)
        return (value / 100).round(decimals + 2) if excel and c.unit != "delta_pp" else value
    if c.unit == "multiple":
        return _rounded(s, RATIO_DECIMALS)
    if c.unit == "count":
        values = pd.to_numeric(s, errors="coerce")
        whole = values.dropna()
        return values.astype("Int64") if (whole == whole.round()).all() else values.astype("float64").round(2)
    return s


def for_download(t: Table, lang: str, *, excel: bool = False, total: bool = False) -> pd.DataFrame:
    """The frame a dashboard download writes: every column of the table's frame (ids too), in
    the order of :func:`download_columns`, headed in ``lang`` with units and rounded for people;
    the totals row last when ``total`` (the workbook)."""
    frame = with_total(t, lang) if total else t.frame
    out = pd.DataFrame(index=frame.index)
    taken: set[str] = set()
    for c in download_columns(t, lang):
        name = header(c, lang, excel=excel)
        while name in taken:
            name += " "
        taken.add(name)
        out[name] = download_values(frame, c, excel=excel, lang=lang).to_numpy()
    return out.reset_index(drop=True)


def weekday_hour_table(grid: pd.DataFrame, lang: str) -> Table:
    """A 7 × 24 weekday × hour grid (``metrics.weekday_hour_sums``'s shape) as a table: the
    weekday's name, then one column per hour."""
    frame = grid.copy()
    frame.columns = [f"h{h:02d}" for h in grid.columns]
    frame.insert(0, "weekday", [fmt.weekday_name(i, lang) for i in grid.index])
    cols = [Column("weekday", i18n.t("conv.weekday", lang), unit="text")]
    cols += [Column(f"h{h:02d}", f"{h:02d}") for h in grid.columns]
    return Table(frame=frame.reset_index(drop=True), columns=cols)

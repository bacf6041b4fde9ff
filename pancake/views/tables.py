"""The one table model: a frame of numbers (sortable as numbers, the CSV as it is) plus, per
column, how to show it: a label and a tooltip in the viewer's language and a unit from the
metric catalogue. Pure (no Streamlit); ``ui.components.table`` draws it with a per-column
display format, so clicking a header sorts 316 before 1.178.

Column units are the metric units (``metrics.Unit``: count, ms, money, ratio, percent,
multiple) plus ``text``, ``code`` (a currency: empty reads "—"), ``date``, ``hour`` and
``hour_of_day``. A money column takes its
currency from the row's ``currency`` column, or from ``Column.currency``.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .. import fmt, i18n, metrics
from . import format_unit, is_missing

ID_LABELS = {"page_name": "col.page_name", "page_id": "col.page_id", "user_name": "col.user_name",
             "user_id": "col.user_id", "date": "col.date", "hour": "col.hour",
             "hour_of_day": "col.hour_of_day", "currency": "ads.currency"}
TEXT_UNITS = ("text", "code", "date", "hour", "hour_of_day")


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
    ``frame`` not in ``columns`` are kept for the download but not shown (ids, for example)."""
    frame: pd.DataFrame
    columns: list[Column] = field(default_factory=list)

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
          sources: Mapping[str, str] | None = None, **overrides: Column) -> Table:
    """A table showing ``keys`` of ``frame`` (in that order); ``overrides`` replace a column."""
    cols = [overrides.get(c.key, c) for c in columns([k for k in keys if k in frame.columns], lang, source,
                                                      sources)]
    return Table(frame=frame.reset_index(drop=True), columns=cols)


def formatter(col: Column, lang: str, currency: str | None = None) -> Callable[[Any], str]:
    """The function that turns one value of ``col`` into the text shown."""
    if col.unit == "date":
        return lambda v: fmt.date(v, lang)
    if col.unit == "hour":
        return lambda v: fmt.MISSING if is_missing(v) else f"{fmt.date(v, lang)} {fmt.hour(v, lang)}"
    if col.unit == "hour_of_day":
        return lambda v: fmt.MISSING if is_missing(v) else fmt.hour(int(v), lang)
    if col.unit == "text":      # an empty text stays empty (a blank warning cell)
        return lambda v: fmt.MISSING if is_missing(v) else str(v)
    if col.unit == "code":      # a code the API left out (a currency) reads "—"
        return lambda v: fmt.MISSING if is_missing(v) or str(v) == "" else str(v)
    cur = col.currency or currency
    return lambda v: format_unit(col.unit, v, lang, cur)


def display_values(t: Table, lang: str) -> pd.DataFrame:
    """Every shown cell as text, row by row: what the table shows (and what tests read)."""
    out = pd.DataFrame(index=t.frame.index)
    row_cur = t.frame["currency"] if "currency" in t.frame.columns else None
    for c in t.columns:
        if c.key not in t.frame.columns:
            continue
        if c.unit == "money" and c.currency is None and row_cur is not None:
            out[c.key] = [formatter(c, lang, None if is_missing(k) else str(k) or None)(v)
                          for v, k in zip(t.frame[c.key], row_cur)]
        else:
            f = formatter(c, lang)
            out[c.key] = [f(v) for v in t.frame[c.key]]
    return out


def with_total_row(frame: pd.DataFrame, label_col: str, label: str, sums: Mapping[str, Any]) -> pd.DataFrame:
    """``frame`` plus a last row labelled ``label`` holding ``sums`` (computed by the caller
    with ``pancake.metrics``: paired ratios and weighted means are not column sums)."""
    row = {c: sums.get(c, pd.NA) for c in frame.columns}
    row[label_col] = label
    return pd.concat([frame, pd.DataFrame([row]).astype(frame.dtypes.to_dict(), errors="ignore")],
                     ignore_index=True)

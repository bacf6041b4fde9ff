"""Pure computations behind what the pages show, one module per page (``engagement``,
``staff``, ``ads`` ...), plus the shared models: ``cards`` (KPI cards) and ``tables`` (tables
of numbers with per-column units). No Streamlit; unit-tested. The arithmetic on metrics lives
in ``pancake.numbers.metrics``; this package only formats and arranges it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from pancake import fmt
from pancake.numbers import metrics


def is_missing(value: Any) -> bool:
    """None, NA, NaN or NaT: an unknown value, shown "—"."""
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def map_values(values: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    """``values.map(fn)`` asking ``fn`` once per distinct value (every unknown one, None, NA, NaN
    or NaT, is asked as None): a column of 48,000 conversations has a handful of distinct flags,
    types or pages. ``fn`` must depend on the value only."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    labels = [fn(u) for u in uniques] + [fn(None)]          # code -1 (unknown) takes the last
    out = pd.Series(labels, dtype=object).take(codes) if len(labels) else pd.Series([], dtype=object)
    return pd.Series(out.to_numpy(), index=values.index, name=values.name, dtype=object)


def format_metric(field: str, value: Any, lang: str, currency: str | None = None,
                  source: str | None = None) -> str:
    """A metric's value as a card or a table cell shows it, by the metric's unit (for
    ``source``'s meaning of ``field``): durations, money in ``currency`` (a missing currency
    shows the bare amount, never taken for VND), percentages, multiples, counts."""
    if is_missing(value):
        return fmt.MISSING
    m = metrics.metric(field, source)
    return fmt.by_unit(m.unit if m else "count", value, lang, currency)


def pages_label(page_ids: Sequence[str]) -> str:
    """Page part of a download's file name: the id, a few ids, or "N-pages"."""
    ids = list(page_ids)
    if len(ids) == 1:
        return ids[0]
    if 1 < len(ids) <= 3:
        return "+".join(ids)
    return f"{len(ids)}-pages"

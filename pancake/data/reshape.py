"""Pure functions: one window's raw Pancake payload -> one tidy pandas DataFrame.

No I/O, no HTTP, no Streamlit. Every function takes the parsed JSON exactly as the client
returns it (including ``success``), plus ``page_id`` and, where a year has to be inferred
from ``"26/8"`` categories, the asked local ``start``/``end`` dates.

Frame conventions (each frame's columns are its ``*_COLUMNS`` constant):

- the first column is ``page_id`` (``str``); ids and names are ``str`` (missing -> NaN);
- ``date``/``hour`` are ``datetime64[ns]``, naive local time (``date`` at midnight);
- counts are ``Int64`` (a null stays ``<NA>``), money/ratios/ms are ``float64`` (null -> NaN);
- rows are sorted oldest first (stable: ties keep payload order);
- the column order is fixed, also for an empty payload (empty frame, right dtypes);
  fields the API adds beyond the known ones are appended after them.

A payload of the wrong shape raises :class:`ReshapeError` (a ``ValueError``) with a short
message naming what was wrong; the data layer turns it into a per-page error.
"""
from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pancake import timeutil
from pancake.fmt import currency_decimals

__all__ = [
    "ReshapeError",
    "ENGAGEMENT_SERIES", "ENGAGEMENT_DAILY_COLUMNS", "ENGAGEMENT_HOURLY_COLUMNS",
    "USERS_ENGAGEMENTS_COLUMNS", "USER_HOURLY_COLUMNS", "USER_TOTALS_COLUMNS",
    "ADS_COLUMNS",
    "TAGS_COLUMNS", "NEW_CUSTOMERS_COLUMNS", "PAGE_ACTIVITY_COLUMNS",
    "PAGES_COLUMNS",
    "pages_frame", "engagement_daily", "engagement_hourly", "users_engagements",
    "user_hourly", "user_totals", "ads_frame", "tags_frame",
    "new_customers_frame", "page_activity_frame", "concat", "empty_frame", "to_frame", "from_frame",
]


class ReshapeError(ValueError):
    """The payload does not have the shape this reshaper expects."""


# --- schemas ------------------------------------------------------------------------------
# kinds: "str", "int" (Int64), "float" (float64), "dt" (datetime64[ns])

_DTYPES = {"str": "str", "int": "Int64", "float": "float64", "dt": "datetime64[ns]"}

ENGAGEMENT_SERIES = ("inbox", "comment", "total", "new_customer_replied",
                     "customer_engagement_new_inbox", "order_count", "old_order_count")

_ENGAGEMENT_DAILY = [("page_id", "str"), ("date", "dt")] + [(s, "int") for s in ENGAGEMENT_SERIES]
_ENGAGEMENT_HOURLY = [("page_id", "str"), ("hour", "dt"), ("inbox", "int"), ("comment", "int"),
                      ("total", "int"), ("new_customer", "int"), ("new_customer_from_inbox", "int")]
_USERS_ENGAGEMENTS = [("page_id", "str"), ("user_id", "str"), ("user_name", "str"),
                      ("inbox_count", "int"), ("order_count", "int"), ("old_order_count", "int"),
                      ("total_engagement", "int")]
_USER_COUNTS = [("inbox_count", "int"), ("comment_count", "int"), ("phone_number_count", "int"),
                ("private_reply_count", "int"), ("unique_inbox_count", "int"),
                ("unique_comment_count", "int"), ("average_response_time", "float"),
                ("order_count", "int")]
_USER_HOURLY = [("page_id", "str"), ("user_id", "str"), ("user_name", "str"), ("hour", "dt")] + _USER_COUNTS
_USER_TOTALS = [("page_id", "str"), ("user_id", "str"), ("user_name", "str"),
                ("user_fb_id", "str")] + _USER_COUNTS
_ADS = ([("page_id", "str"), ("ad_id", "str"), ("adset_id", "str"), ("account_id", "str"),
         ("name", "str"), ("status", "str"), ("currency", "str")]
        + [(c, "float") for c in (
            "spend", "impressions", "reach", "link_click", "purchases",
            "purchases_conversion_value", "messaging_conversation_started_7d",
            "messaging_first_reply", "post_comments", "cpc", "cpm", "ctr", "purchase_roas",
            "daily_budget", "lifetime_budget", "budget_remaining")])
_TAGS = [("page_id", "str"), ("date", "dt"), ("tag_id", "str"), ("tag_name", "str"), ("count", "int")]
_NEW_CUSTOMERS = [("page_id", "str"), ("date", "dt"), ("new_customer_count", "int"),
                  ("new_page_inbox_count", "int"), ("new_phone_number_count", "int"),
                  ("phone_number_count", "int")]
_PAGE_ACTIVITY = [("page_id", "str"), ("hour", "dt")] + [(c, "int") for c in (
    "new_customer_count", "customer_inbox_count", "customer_comment_count", "page_inbox_count",
    "page_comment_count", "inbox_interactive_count", "new_inbox_count", "phone_number_count",
    "uniq_phone_number_count", "today_uniq_website_referral", "today_website_guest_referral")]
_PAGES = [("page_id", "str"), ("name", "str"), ("platform", "str"), ("avatar_url", "str")]


def _cols(schema):
    return tuple(c for c, _ in schema)


ENGAGEMENT_DAILY_COLUMNS = _cols(_ENGAGEMENT_DAILY)
ENGAGEMENT_HOURLY_COLUMNS = _cols(_ENGAGEMENT_HOURLY)
USERS_ENGAGEMENTS_COLUMNS = _cols(_USERS_ENGAGEMENTS)
USER_HOURLY_COLUMNS = _cols(_USER_HOURLY)
USER_TOTALS_COLUMNS = _cols(_USER_TOTALS)
ADS_COLUMNS = _cols(_ADS)
TAGS_COLUMNS = _cols(_TAGS)
NEW_CUSTOMERS_COLUMNS = _cols(_NEW_CUSTOMERS)
PAGE_ACTIVITY_COLUMNS = _cols(_PAGE_ACTIVITY)
PAGES_COLUMNS = _cols(_PAGES)

_SCHEMAS = {
    "pages": _PAGES, "engagement_daily": _ENGAGEMENT_DAILY, "engagement_hourly": _ENGAGEMENT_HOURLY,
    "users_engagements": _USERS_ENGAGEMENTS, "user_hourly": _USER_HOURLY,
    "user_totals": _USER_TOTALS, "ads": _ADS, "tags": _TAGS,
    "customers": _NEW_CUSTOMERS, "activity": _PAGE_ACTIVITY,
}


def empty_frame(kind: str) -> pd.DataFrame:
    """The empty frame (right columns and dtypes) of a reshaper, e.g. ``empty_frame("tags")``."""
    if kind not in _SCHEMAS:
        raise KeyError(f"unknown frame kind {kind!r}; one of {sorted(_SCHEMAS)}")
    return to_frame(_build([], _SCHEMAS[kind]))


# --- value coercion -----------------------------------------------------------------------

def _is_null(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v.strip() == ""


def _to_number(v: Any, what: str) -> float | None:
    """None/''/NaN -> None; 3, 3.0, "3", "3.5" -> float. Anything else -> ReshapeError."""
    if _is_null(v):
        return None
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, numbers.Real):
        try:
            return float(v)
        except OverflowError:       # a JSON integer beyond any float
            raise ReshapeError(f"{what}: {str(v)[:20]}… is not a usable number") from None
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            raise ReshapeError(f"{what}: {v!r} is not a number") from None
    if isinstance(v, Mapping) and "total" in v:  # tags' {pin, total}
        return _to_number(v["total"], what)
    if isinstance(v, list) and v and isinstance(v[0], Mapping) and "value" in v[0]:
        return _to_number(v[0]["value"], what)  # Facebook's [{action_type, value}] (purchase_roas)
    raise ReshapeError(f"{what}: {type(v).__name__} is not a number")


def _to_count(v: Any, what: str) -> int | None:
    x = _to_number(v, what)
    if x is None:
        return None
    if math.isinf(x) or x != int(x):
        raise ReshapeError(f"{what}: {v!r} is not a whole number")
    if not -2 ** 63 <= x < 2 ** 63:   # beyond Int64: no count is that large
        raise ReshapeError(f"{what}: {str(v)[:24]} is too large for a count")
    return int(x)


def _to_str(v: Any) -> str | None:
    if _is_null(v):
        return None
    if isinstance(v, float) and v.is_integer():  # an id that came as 1.0e14
        return str(int(v))
    return str(v)


_INT_EXACT = 2 ** 53            # ints beyond this are rounded by the float coercion (as they always were)

# the one in-memory form of a window: an Arrow table with these types per schema kind; a load
# turns all its windows into one DataFrame at once (``to_frame``)
_ARROW = {"str": pa.large_string(), "int": pa.int64(), "float": pa.float64(), "dt": pa.timestamp("ns")}
_PANDAS = {pa.int64(): pd.Int64Dtype()}       # the rest maps by itself: str, float64, datetime64[ns]


def _array(values: list, kind: str) -> pa.Array:
    """Coerced Python values of a schema kind -> its Arrow array."""
    try:
        return pa.array(values, type=_ARROW[kind], from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError, TypeError, ValueError):
        if kind == "dt":
            raise ReshapeError("a date or hour lies outside the years 1677..2262") from None
        raise ReshapeError(f"a value cannot be stored as {_DTYPES[kind]}") from None


_STR_DTYPE = pd.array([], dtype="str").dtype      # pandas' text dtype ("str")


def str_array(values: list) -> Any:
    """Python strings (or None for a missing one) -> an array of pandas' ``str`` dtype; the
    same array as ``pd.array(values, dtype="str")``, built straight from pyarrow when that is
    the dtype's storage (without the per-value checks ``pd.array`` makes)."""
    if _STR_DTYPE.storage == "pyarrow":
        return pd.arrays.ArrowStringArray(pa.array(values, type=pa.large_string()), dtype=_STR_DTYPE)
    return pd.array(values, dtype=_STR_DTYPE)


def _table(columns: Mapping[str, list], n: int, schema: Sequence[tuple[str, str]],
           extras: Sequence[tuple[str, str]] = (), by: Sequence[str] = ()) -> pa.Table:
    """Columns of coerced Python values (a missing column is all nulls) -> an Arrow table with
    the schema's columns and types, then the extras; sorted by ``by`` (stable, nulls last)."""
    names = {c for c, _ in schema}
    cols = list(schema) + [e for e in extras if e[0] not in names]
    arrays = []
    for name, kind in cols:
        values = columns.get(name)
        arrays.append(_array([None] * n if values is None else values, kind))
    table = pa.Table.from_arrays(arrays, names=[c for c, _ in cols])
    if by and n > 1:
        order = pc.sort_indices(table, sort_keys=[(c, "ascending") for c in by])
        table = table.take(order)
    return table


def to_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table of the reshapers' types -> the frame (``Int64`` counts, ``str`` text,
    ``float64``, ``datetime64[ns]``). The one conversion: a load makes one frame per name of
    all its windows and pages with it, not one per window."""
    if any(c.num_chunks > 1 for c in table.columns):   # pandas converts chunk by chunk: one chunk each
        table = table.combine_chunks()
    return table.to_pandas(types_mapper=_PANDAS.get)


def from_frame(frame: pd.DataFrame) -> pa.Table:
    """A frame of the reshapers' dtypes -> its Arrow table (text as ``large_string``, no pandas
    metadata), so that tables of fetched and stored windows concatenate as they are."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    fields = [pa.field(f.name, pa.large_string()) if pa.types.is_string(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields)) if fields != list(table.schema) else table


def _tabular(fn):
    """A reshaper written to give an Arrow table -> the function giving its frame; the table
    itself is ``fn.table`` (what the kinds and the loader use: no frame per window)."""
    @functools.wraps(fn)
    def frame(*args: Any, **kwargs: Any) -> pd.DataFrame:
        return to_frame(fn(*args, **kwargs))
    frame.table = fn
    return frame


def _build(rows: list[dict], schema: Sequence[tuple[str, str]],
           extras: Sequence[tuple[str, str]] = ()) -> pa.Table:
    """Rows (already coerced Python values) -> table with the schema's columns and types."""
    names = {c for c, _ in schema}
    cols = list(schema) + [e for e in extras if e[0] not in names]
    return _table({name: [r.get(name) for r in rows] for name, _ in cols}, len(rows), schema, extras)


def _coerce(value: Any, kind: str, what: str) -> Any:
    if kind == "int":
        return _to_count(value, what)
    if kind == "float":
        return _to_number(value, what)
    if kind == "str":
        return _to_str(value)
    raise AssertionError(kind)


def _coerce_all(values: list, kind: str, what: str) -> list:
    """``_coerce`` over a column; values that are already what the coercion gives (whole ints
    for counts, numbers for floats, non-blank strings for text) are kept as they are."""
    if kind == "int":
        if all(v is None or (type(v) is int and -_INT_EXACT <= v <= _INT_EXACT) for v in values):
            return values
        return [_to_count(v, what) for v in values]
    if kind == "float":
        if all(v is None or type(v) is float or type(v) is int for v in values):
            return [None if v is None or v != v else float(v) for v in values]
        return [_to_number(v, what) for v in values]
    if kind == "str":
        if all(v is None or (type(v) is str and v.strip()) for v in values):
            return values
        return [_to_str(v) for v in values]
    raise AssertionError(kind)


def _extra_kind(values: Iterable[Any]) -> str | None:
    """Type of an unknown field: whole numbers -> int, numbers -> float, scalars -> str,
    nested (dict/list) -> None (skipped)."""
    vals = [v for v in values if not _is_null(v)]
    if any(isinstance(v, (Mapping, list)) for v in vals):
        return None
    try:
        nums = [_to_number(v, "") for v in vals]
    except ReshapeError:
        return "str"
    if all(isinstance(v, bool) for v in vals) and vals:
        return "str"
    return "int" if all(n is not None and math.isfinite(n) and n == int(n) for n in nums) else "float"


def _record_extras(records: list, schema, what: str, skip: Iterable[str] = ()) -> list[tuple[str, str]]:
    known = {c for c, _ in schema} | set(skip)
    extra_names: list[str] = []
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise ReshapeError(f"{what}: row {i} is a {type(rec).__name__}, expected an object")
        for k in rec:
            if k not in known and k not in extra_names:
                extra_names.append(k)
    extras = []
    for k in extra_names:
        kind = _extra_kind(r.get(k) for r in records)
        if kind is not None:
            extras.append((k, kind))
    return extras


def _rows_from_records(records: list, schema, page_id: str | None, what: str,
                       time_col: str | None = None, parse_time=None,
                       skip: Iterable[str] = ()) -> tuple[list[dict], list[tuple[str, str]]]:
    """Coerce a list of flat dict records by schema, row by row; unknown scalar fields become
    extras. (:func:`_columns_from_records` is the fast form; this one names the first bad
    value in row order.)"""
    extras = _record_extras(records, schema, what, skip)
    out = []
    for i, rec in enumerate(records):
        row: dict[str, Any] = {}
        for name, kind in list(schema) + extras:
            if name == "page_id" and page_id is not None:
                row[name] = page_id
            elif name == time_col:
                raw = rec.get(time_col)
                if _is_null(raw):
                    raise ReshapeError(f"{what}: row {i} has no {time_col!r}")
                try:
                    row[name] = parse_time(raw)
                except ValueError as e:
                    raise ReshapeError(f"{what}: row {i}: {e}") from None
            elif kind == "dt":
                row[name] = None
            else:
                row[name] = _coerce(rec.get(name), kind, f"{what} {name!r} row {i}")
        out.append(row)
    return out, extras


def _columns_from_records(records: list, schema, page_id: str | None, what: str,
                          time_col: str | None = None, parse_time=None,
                          skip: Iterable[str] = ()) -> tuple[dict[str, list], list[tuple[str, str]]]:
    """:func:`_rows_from_records` column by column: {name: values}, extras. The same values;
    on a bad value the row-wise form is run for its error (the first bad value in row order)."""
    extras = _record_extras(records, schema, what, skip)
    n = len(records)
    cols: dict[str, list] = {}
    try:
        for name, kind in list(schema) + extras:
            if name == "page_id" and page_id is not None:
                cols[name] = [page_id] * n
            elif name == time_col:
                raws = [rec.get(time_col) for rec in records]
                if any(_is_null(raw) for raw in raws):
                    raise ReshapeError(what)
                cols[name] = [parse_time(raw) for raw in raws]
            elif kind == "dt":
                cols[name] = [None] * n
            else:
                cols[name] = _coerce_all([rec.get(name) for rec in records], kind, what)
    except Exception:  # noqa: BLE001 - raised again by the row-wise form, in its order
        rows, extras = _rows_from_records(records, schema, page_id, what, time_col, parse_time, skip)
        cols = {name: [r[name] for r in rows] for name, _ in list(schema) + extras}
    return cols, extras


# --- payload unwrapping -------------------------------------------------------------------

def _check_payload(payload: Any, what: str, *, allow_list: bool = False) -> Any:
    if payload is None:
        return {}
    if isinstance(payload, Mapping):
        if payload.get("success") is False:
            raise ReshapeError(f"{what}: payload says success=false")
        return payload
    if allow_list and isinstance(payload, list):
        return payload
    expected = "an object or a list" if allow_list else "an object"
    raise ReshapeError(f"{what}: payload is a {type(payload).__name__}, expected {expected}")


def _get_obj(container: Mapping, key: str, what: str) -> Mapping:
    v = container.get(key)
    if v is None:
        return {}
    if not isinstance(v, Mapping):
        raise ReshapeError(f"{what}: {key!r} is a {type(v).__name__}, expected an object")
    return v


def _get_list(container: Mapping, key: str, what: str) -> list:
    v = container.get(key)
    if v is None:
        return []
    if not isinstance(v, list):
        raise ReshapeError(f"{what}: {key!r} is a {type(v).__name__}, expected a list")
    return v


@functools.lru_cache(maxsize=8192)
def _category_day(label: str, start: date, end: date) -> datetime:
    """``timeutil.parse_category`` as a midnight datetime; every page of a window has the same
    labels, so the answers are kept (failures are not: they raise every time)."""
    d = timeutil.parse_category(label, start, end)
    return datetime(d.year, d.month, d.day)


_local_hour = functools.lru_cache(maxsize=16384)(timeutil.parse_local_hour)


def _day(label: Any, start: date, end: date, what: str) -> datetime:
    try:
        return _category_day(str(label), start, end)
    except ValueError as e:
        raise ReshapeError(f"{what}: {e}") from None


def _hour(value: Any, what: str) -> datetime:
    try:
        return _local_hour(str(value))
    except ValueError as e:
        raise ReshapeError(f"{what}: {e}") from None


# --- pages --------------------------------------------------------------------------------

def pages_frame(pages: list[dict]) -> pd.DataFrame:
    """``client.list_pages()`` -> ``page_id, name, platform, avatar_url`` (input order kept)."""
    if pages is None:
        pages = []
    if not isinstance(pages, list):
        raise ReshapeError(f"pages: got a {type(pages).__name__}, expected a list of pages")
    rows = []
    for i, p in enumerate(pages):
        if not isinstance(p, Mapping):
            raise ReshapeError(f"pages: item {i} is a {type(p).__name__}, expected an object")
        pid = p.get("id", p.get("page_id"))
        if _is_null(pid):
            raise ReshapeError(f"pages: item {i} has no id")
        rows.append({"page_id": _to_str(pid), "name": _to_str(p.get("name")),
                     "platform": _to_str(p.get("platform")),
                     "avatar_url": _to_str(p.get("avatar_url"))})
    return to_frame(_build(rows, _PAGES))


# --- engagement ---------------------------------------------------------------------------

def _series_items(series: Any, what: str) -> list[tuple[str, list]]:
    """``[{name, data}]`` (documented) or ``{name: data}`` -> [(name, data)]."""
    if series is None:
        return []
    if isinstance(series, Mapping):
        items = list(series.items())
    elif isinstance(series, list):
        items = []
        for i, s in enumerate(series):
            if not isinstance(s, Mapping) or "name" not in s:
                raise ReshapeError(f"{what}: series item {i} is not an object with a name")
            items.append((s["name"], s.get("data")))
    else:
        raise ReshapeError(f"{what}: 'series' is a {type(series).__name__}, expected a list")
    out = []
    seen = set()
    for name, data in items:
        name = str(name)
        if name in seen:
            raise ReshapeError(f"{what}: series {name!r} appears twice")
        seen.add(name)
        if data is None:
            data = []
        if not isinstance(data, list):
            raise ReshapeError(f"{what}: series {name!r} data is a {type(data).__name__}, expected a list")
        out.append((name, data))
    return out


@_tabular
def engagement_daily(payload: Any, page_id: str, start: date, end: date) -> pa.Table:
    """``statistics/customer_engagements`` (daily) -> one row per day (``ENGAGEMENT_DAILY_COLUMNS``
    + unknown series in payload order). Categories ``"26/8"`` get their year from [start, end] (also across New Year);
    ``"6/7/2026"`` and ISO dates are taken as is. A missing series is a column of ``<NA>``.
    A series whose ``data`` length differs from ``categories`` raises :class:`ReshapeError`.
    """
    cols, n, extras = _engagement_daily_values(payload, page_id, start, end)
    return _table(cols, n, _ENGAGEMENT_DAILY, extras, ["date"])


def _engagement_daily_values(payload: Any, page_id: str, start: date,
                             end: date) -> tuple[dict[str, list], int, list[tuple[str, str]]]:
    what = "statistics/customer_engagements"
    payload = _check_payload(payload, what)
    if "data" not in payload and isinstance(payload.get("statistics"), list):
        raise ReshapeError(f"{what}: this is a by_hour payload; use engagement_hourly")
    data = _get_obj(payload, "data", what)
    categories = _get_list(data, "categories", what)
    series = _series_items(data.get("series"), what)
    for name, values in series:
        if len(values) != len(categories):
            raise ReshapeError(f"{what}: series {name!r} has {len(values)} values "
                               f"for {len(categories)} categories")
    dates = [_day(c, start, end, what) for c in categories]
    known = set(ENGAGEMENT_SERIES)
    extras = []
    for name, values in series:
        if name not in known and name not in ("page_id", "date"):
            kind = _extra_kind(values) or "str"
            extras.append((name, kind))
    by_name = dict(series)
    kinds = dict(_ENGAGEMENT_DAILY + extras)
    n = len(dates)
    cols: dict[str, list] = {"page_id": [_to_str(page_id)] * n, "date": dates}
    try:
        for name, values in by_name.items():
            if name in kinds and name not in ("page_id", "date"):
                cols[name] = _coerce_all(values, kinds[name], what)
    except Exception:
        for i in range(n):   # the first bad value in row order, named as it always was
            for name, values in by_name.items():
                if name in kinds and name not in ("page_id", "date"):
                    _coerce(values[i], kinds[name], f"{what} {name!r}[{i}]")
        raise
    return cols, n, extras


@_tabular
def engagement_hourly(payload: Any, page_id: str) -> pa.Table:
    """``customer_engagements?by_hour=true`` ``{"statistics": [{hour, ...}]}`` -> one row per hour.

    Columns: ``page_id, hour, inbox, comment, total, new_customer, new_customer_from_inbox``
    (+ unknown fields). Also accepts the list under ``data.statistics``.
    """
    what = "statistics/customer_engagements (by_hour)"
    payload = _check_payload(payload, what)
    container = payload
    if "statistics" not in payload and isinstance(payload.get("data"), Mapping):
        container = payload["data"]
        if "categories" in container:
            raise ReshapeError(f"{what}: this is a daily payload; use engagement_daily")
    records = _get_list(container, "statistics", what)
    cols, extras = _columns_from_records(records, _ENGAGEMENT_HOURLY, _to_str(page_id), what,
                                         time_col="hour", parse_time=lambda v: _hour(v, what))
    return _table(cols, len(records), _ENGAGEMENT_HOURLY, extras, ["hour"])


@_tabular
def users_engagements(payload: Any, page_id: str) -> pa.Table:
    """The ``users_engagements`` list of an engagement payload -> one row per staff member
    (``USERS_ENGAGEMENTS_COLUMNS``; ``user_name`` is the API's ``name``), in payload order."""
    cols, n, extras = _users_engagements_values(payload, page_id)
    return _table(cols, n, _USERS_ENGAGEMENTS, extras)


def _users_engagements_values(payload: Any, page_id: str) -> tuple[dict[str, list], int, list[tuple[str, str]]]:
    what = "statistics/customer_engagements users_engagements"
    payload = _check_payload(payload, what)
    records = payload.get("users_engagements")
    if records is None and isinstance(payload.get("data"), Mapping):
        records = payload["data"].get("users_engagements")
    if records is None:
        records = []
    if not isinstance(records, list):
        raise ReshapeError(f"{what}: is a {type(records).__name__}, expected a list")
    renamed = []
    for i, r in enumerate(records):
        if not isinstance(r, Mapping):
            raise ReshapeError(f"{what}: row {i} is a {type(r).__name__}, expected an object")
        r = dict(r)
        if "user_name" not in r and "name" in r:
            r["user_name"] = r.pop("name")
        renamed.append(r)
    cols, extras = _columns_from_records(renamed, _USERS_ENGAGEMENTS, _to_str(page_id), what)
    return cols, len(renamed), extras


# --- staff --------------------------------------------------------------------------------

def _users_container(payload: Any, what: str) -> Mapping:
    """``statistics/users`` nests under ``data``; the user API's ``statistics/user`` does not."""
    payload = _check_payload(payload, what)
    if "data" in payload and payload["data"] is not None:
        data = payload["data"]
        if not isinstance(data, Mapping):
            raise ReshapeError(f"{what}: 'data' is a {type(data).__name__}, expected an object")
        return data
    return payload


@_tabular
def user_hourly(payload: Any, page_id: str) -> pa.Table:
    """``statistics/users`` or the user API's ``statistics/user`` -> one row per (user, hour)
    (``USER_HOURLY_COLUMNS``). ``user_name`` is joined from ``users`` (the hourly
    rows do not carry it). ``average_response_time`` is milliseconds (float). ``order_count``
    is ``<NA>`` where the endpoint does not send it. Sorted by hour, then user id.
    """
    what = "statistics/users"
    data = _users_container(payload, what)
    stats = _get_obj(data, "statistics", what)
    users = _get_obj(data, "users", what)
    parts: list[tuple[dict[str, list], int]] = []
    extras: list[tuple[str, str]] = []
    for uid, records in stats.items():
        if records is None:
            continue
        if not isinstance(records, list):
            raise ReshapeError(f"{what}: statistics[{uid!r}] is a {type(records).__name__}, expected a list")
        info = users.get(uid) if isinstance(users.get(uid), Mapping) else {}
        cols, ex = _columns_from_records(records, _USER_HOURLY, _to_str(page_id), f"{what} user {uid}",
                                         time_col="hour", parse_time=lambda v: _hour(v, what),
                                         skip=("user_fb_id",))
        cols["user_id"] = [str(uid)] * len(records)
        cols["user_name"] = [_to_str(info.get("user_name"))] * len(records)
        parts.append((cols, len(records)))
        extras.extend(e for e in ex if e[0] not in {x for x, _ in extras})
    cols, n = _stack(parts)
    return _table(cols, n, _USER_HOURLY, extras, ["hour", "user_id"])


def _stack(parts: list[tuple[dict[str, list], int]]) -> tuple[dict[str, list], int]:
    """Column sets one after another; a column a part lacks is null in its rows."""
    out: dict[str, list] = {}
    n = 0
    for cols, m in parts:
        for name, values in cols.items():
            out.setdefault(name, [None] * n).extend(values)
        n += m
        for values in out.values():
            if len(values) < n:
                values.extend([None] * (n - len(values)))
    return out, n


@_tabular
def user_totals(payload: Any, page_id: str) -> pa.Table:
    """``data.users`` (or top-level ``users``) -> one row per staff member, the API's own totals
    for the window (``USER_TOTALS_COLUMNS``; the last active ``hour`` dropped), in payload order."""
    what = "statistics/users"
    data = _users_container(payload, what)
    users = _get_obj(data, "users", what)
    records = []
    for uid, info in users.items():
        if not isinstance(info, Mapping):
            raise ReshapeError(f"{what}: users[{uid!r}] is a {type(info).__name__}, expected an object")
        records.append({**info, "user_id": uid})
    cols, extras = _columns_from_records(records, _USER_TOTALS, _to_str(page_id), what, skip=("hour",))
    return _table(cols, len(records), _USER_TOTALS, extras)


# --- ads ----------------------------------------------------------------------------------

@_tabular
def ads_frame(payload: Any, page_id: str) -> pa.Table:
    """``statistics/pages_campaigns`` (bare array or ``{data: [...]}``) -> one row per ad.

    All numbers (``"3000"``, 3000, null) become ``float64`` (null -> NaN), counts such as
    impressions included: ad numbers arrive as strings and may be fractional. ``currency``
    is kept per row (never add across currencies). Payload order is kept. Budgets arrive in
    the currency's smallest unit (cents for USD) and leave in its main unit (USD 30.0), the
    one unit of every table and file; an ad without a currency has no budget (NaN): its unit
    is unknown, and a currency is never assumed.
    """
    what = "statistics/pages_campaigns"
    payload = _check_payload(payload, what, allow_list=True)
    if isinstance(payload, list):
        records = payload
    else:
        records = _get_list(payload, "data", what)
    cols, extras = _columns_from_records(records, _ADS, _to_str(page_id), what)
    # budgets: the currency's smallest unit (Facebook) -> its main unit; without a currency the
    # unit is unknown: no budget (never one guessed from USD's cents)
    scale = [math.nan if _is_null(c) or not str(c).strip() else 10.0 ** currency_decimals(str(c).strip())
             for c in cols.get("currency", [None] * len(records))]
    for c in ("daily_budget", "lifetime_budget", "budget_remaining"):
        if c in cols:
            cols[c] = [math.nan if v is None else v / k for v, k in zip(cols[c], scale)]
    return _table(cols, len(records), _ADS, extras)


# --- tags ---------------------------------------------------------------------------------

def _tag_id(key: Any) -> str:
    k = str(key).strip()
    if k.startswith("tag_"):
        k = k[4:]
    return k


def _tag_name_map(payload: Mapping, tag_names: Mapping | None, what: str) -> dict[str, str]:
    names: dict[str, str] = {}
    tags = payload.get("tags")
    if isinstance(tags, Mapping) and isinstance(tags.get("tags"), list):  # GET pages/{id}/tags shape
        tags = tags["tags"]
    if tags is not None:
        if not isinstance(tags, list):
            raise ReshapeError(f"{what}: 'tags' is a {type(tags).__name__}, expected a list")
        for t in tags:
            if isinstance(t, Mapping) and not _is_null(t.get("id")) and not _is_null(t.get("text")):
                names[_tag_id(_to_str(t["id"]))] = str(t["text"])
    for k, v in (tag_names or {}).items():  # an explicit mapping wins over the payload's list
        if not _is_null(v):
            names[_tag_id(_to_str(k))] = str(v)
    return names


def _tag_series(block: Mapping, what: str) -> tuple[list, list[tuple[str, list]]]:
    categories = _get_list(block, "categories", what)
    raw = block.get("series")
    if raw is None:
        items = []
    elif isinstance(raw, Mapping):
        items = list(raw.items())
    elif isinstance(raw, list):  # tolerate [{name|id, data}]
        items = []
        for i, s in enumerate(raw):
            if not isinstance(s, Mapping):
                raise ReshapeError(f"{what}: series item {i} is not an object")
            items.append((s.get("id", s.get("name")), s.get("data")))
    else:
        raise ReshapeError(f"{what}: 'series' is a {type(raw).__name__}, expected an object")
    out = []
    for key, values in items:
        if values is None:
            values = []
        if not isinstance(values, list):
            raise ReshapeError(f"{what}: series {key!r} is a {type(values).__name__}, expected a list")
        if len(values) != len(categories):
            raise ReshapeError(f"{what}: series {key!r} has {len(values)} values "
                               f"for {len(categories)} categories")
        out.append((_tag_id(key), values))
    return categories, out


@_tabular
def tags_frame(payload: Any, page_id: str, start: date, end: date,
               tag_names: Mapping[Any, str] | None = None) -> pa.Table:
    """``statistics/tags`` -> long form, one row per (date, tag) (``TAGS_COLUMNS``). Series keys
    ``"12"`` and ``"tag_12"`` give ``tag_id "12"``; values may be ints, numeric strings, null or
    ``{pin, total}`` (``total`` is used). Names come from the
    payload's ``tags`` list, overridden by ``tag_names`` (e.g. from ``GET pages/{id}/tags``);
    an id with no name is shown as ``"#<id>"``.

    ``data_today`` is ignored here on purpose: it is a "today so far" snapshot whose day is
    also inside ``data`` when the range includes today, and it is not bounded by the asked
    window, so adding it would double-count.
    """
    what = "statistics/tags"
    payload = _check_payload(payload, what)
    names = _tag_name_map(payload, tag_names, what)
    data = _get_obj(payload, "data", what)
    categories, series = _tag_series(data, what)
    dates = [_day(c, start, end, what) for c in categories]
    pid = _to_str(page_id)
    n = len(dates) * len(series)
    tag_names_ = [names.get(tid, f"#{tid}") for tid, _ in series]
    cols = {"page_id": [pid] * n, "date": [d for d in dates for _ in series],
            "tag_id": [tid for _ in dates for tid, _ in series],
            "tag_name": tag_names_ * len(dates),
            "count": [_to_count(values[i], f"{what} tag {tid}[{i}]")
                      for i in range(len(dates)) for tid, values in series]}
    return _table(cols, n, _TAGS, (), ["date"])


# --- new customers ------------------------------------------------------------------------

@_tabular
def new_customers_frame(payload: Any, page_id: str, start: date, end: date) -> pa.Table:
    """``statistics/customers`` / ``statistics/page_customers`` -> one row per day or hour
    (``NEW_CUSTOMERS_COLUMNS`` + unknown fields). ``date`` is midnight for
    ``group_by=day`` (``"2020-08-27"``) and the hour for ``group_by=hour``
    (``"2020-08-12T16:00:00"``). With ``group_by=page_id`` ``data`` is ``{page_id: [...]}``
    and ``page_id`` comes from the keys, not the argument. Sorted by date, then page id.
    """
    what = "statistics/customers"
    payload = _check_payload(payload, what)
    data = payload.get("data")
    if data is None:
        groups = [(_to_str(page_id), [])]
    elif isinstance(data, list):
        groups = [(_to_str(page_id), data)]
    elif isinstance(data, Mapping):
        groups = []
        for key, records in data.items():
            if records is None:
                continue
            if not isinstance(records, list):
                raise ReshapeError(f"{what}: data[{key!r}] is a {type(records).__name__}, expected a list")
            groups.append((str(key), records))
    else:
        raise ReshapeError(f"{what}: 'data' is a {type(data).__name__}, expected a list or an object")

    def parse(v: Any) -> datetime:
        text = str(v).strip()
        if "T" in text or ":" in text:
            return _hour(text, what)
        return _day(text, start, end, what)

    parts: list[tuple[dict[str, list], int]] = []
    extras: list[tuple[str, str]] = []
    for pid, records in groups:
        cols, ex = _columns_from_records(records, _NEW_CUSTOMERS, pid, what, time_col="date", parse_time=parse)
        parts.append((cols, len(records)))
        extras.extend(e for e in ex if e[0] not in {x for x, _ in extras})
    cols, n = _stack(parts)
    return _table(cols, n, _NEW_CUSTOMERS, extras, ["date", "page_id"])


# --- page activity ------------------------------------------------------------------------

@_tabular
def page_activity_frame(payload: Any, page_id: str) -> pa.Table:
    """``statistics/pages`` ``{data: [{hour, ...}]}`` -> one row per hour (+ unknown fields)."""
    what = "statistics/pages"
    payload = _check_payload(payload, what)
    records = _get_list(payload, "data", what)
    cols, extras = _columns_from_records(records, _PAGE_ACTIVITY, _to_str(page_id), what,
                                         time_col="hour", parse_time=lambda v: _hour(v, what))
    return _table(cols, len(records), _PAGE_ACTIVITY, extras, ["hour"])


# --- merging windows ----------------------------------------------------------------------

def concat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate window frames keeping dtypes and column order, even when all are empty.

    The column order is the first frame's, then any new columns in order of appearance;
    each column keeps the dtype of the first frame that has it (a column missing from
    some frames is filled with nulls of that dtype). ``concat([])`` -> ``pd.DataFrame()``.
    """
    frames = [f for f in frames if f is not None]
    if not frames:
        return pd.DataFrame()
    columns: list[str] = []
    dtypes: dict[str, Any] = {}
    layouts = []
    for f in frames:
        if not f.columns.is_unique:     # f[c] is a frame: the general path says so as it always did
            layouts = None
            break
        names, types = list(f.columns), f.dtypes.tolist()
        layouts.append((names, types))
        for c, t in zip(names, types):
            if c not in dtypes:
                columns.append(c)
                dtypes[c] = t
    if layouts is not None:
        want = [dtypes[c] for c in columns]
        nonempty = [f for f, (names, types) in zip(frames, layouts) if not f.empty]
        if nonempty and all(names == columns and types == want
                            for f, (names, types) in zip(frames, layouts) if not f.empty):
            # every frame has these columns in this order and these dtypes: nothing to align
            return pd.concat(nonempty, ignore_index=True)
    columns, dtypes = [], {}
    for f in frames:
        for c in f.columns:
            if c not in dtypes:
                columns.append(c)
                dtypes[c] = f[c].dtype
    parts = []
    for f in frames:
        if f.empty:
            continue
        g = f.copy()
        for c in columns:
            if c not in g.columns:
                g[c] = pd.Series([None] * len(g), index=g.index, dtype=object)
            g[c] = g[c].astype(dtypes[c])
        parts.append(g[columns])
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=dtypes[c]) for c in columns}, columns=columns)
    out = pd.concat(parts, ignore_index=True)
    for c in columns:
        if out[c].dtype != dtypes[c]:
            out[c] = out[c].astype(dtypes[c])
    return out


def _distinct_rows(columns: Sequence[np.ndarray], n: int) -> bool:
    """Whether no two rows have equal values in all of ``columns`` (nulls equal to each other,
    as ``groupby(dropna=False)`` groups them)."""
    code = np.zeros(n, dtype=np.int64)
    size = 1
    for values in columns:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        size *= max(1, len(uniques))
        if size >= 2 ** 62:
            return False
        code = code * max(1, len(uniques)) + codes
    return len(set(code.tolist())) == n


def drop_repeated(frame: pd.DataFrame, window: np.ndarray, keys: Sequence[str]) -> pd.DataFrame:
    """Windows' rows in one frame (of one page or several: ``keys`` hold ``page_id``), ``window[i]``
    being row i's window within its page -> a row of a later window whose ``keys`` an earlier
    window already gave (the same day returned twice) is dropped. Rows of one window are all
    kept, so two API hours with the same local label (a clock turned back) are both counted."""
    keys = list(keys)
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise ReshapeError(f"merge: key column(s) {missing} not in frame")
    if frame.empty or not window.any():
        return frame.reset_index(drop=True)
    key_values = [frame[k].to_numpy() for k in keys]
    if _distinct_rows(key_values, len(frame)):
        return frame.reset_index(drop=True)   # no key given twice: every row stays
    first = pd.Series(window).groupby(key_values, dropna=False).transform("min")
    return frame[window == first.to_numpy()].reset_index(drop=True)

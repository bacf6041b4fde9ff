"""Pure functions: one window's raw Pancake payload -> one tidy pandas DataFrame.

No I/O, no HTTP, no Streamlit. Every function takes the parsed JSON exactly as the client
returns it (including ``success``), plus ``page_id`` and, where a year has to be inferred
from ``"26/8"`` categories, the asked local ``start``/``end`` dates.

Frame conventions (ARCHITECTURE.md "Frames"):

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

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from . import timeutil
from .fmt import currency_decimals

__all__ = [
    "ReshapeError",
    "ENGAGEMENT_SERIES", "ENGAGEMENT_DAILY_COLUMNS", "ENGAGEMENT_HOURLY_COLUMNS",
    "USERS_ENGAGEMENTS_COLUMNS", "USER_HOURLY_COLUMNS", "USER_TOTALS_COLUMNS",
    "USER_TOTAL_COLUMNS", "ADS_COLUMNS",
    "TAGS_COLUMNS", "TAGS_TODAY_COLUMNS", "NEW_CUSTOMERS_COLUMNS", "PAGE_ACTIVITY_COLUMNS",
    "PAGES_COLUMNS",
    "pages_frame", "engagement_daily", "engagement_hourly", "users_engagements",
    "user_hourly", "user_totals", "ads_frame", "tags_frame", "tags_today",
    "new_customers_frame", "page_activity_frame", "dedupe", "concat", "empty_frame",
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
_TAGS_TODAY = [("page_id", "str"), ("tag_id", "str"), ("tag_name", "str"), ("count", "int")]
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
USER_TOTAL_COLUMNS = USER_TOTALS_COLUMNS  # alias (the data layer spells it this way)
ADS_COLUMNS = _cols(_ADS)
TAGS_COLUMNS = _cols(_TAGS)
TAGS_TODAY_COLUMNS = _cols(_TAGS_TODAY)
NEW_CUSTOMERS_COLUMNS = _cols(_NEW_CUSTOMERS)
PAGE_ACTIVITY_COLUMNS = _cols(_PAGE_ACTIVITY)
PAGES_COLUMNS = _cols(_PAGES)

_SCHEMAS = {
    "pages": _PAGES, "engagement_daily": _ENGAGEMENT_DAILY, "engagement_hourly": _ENGAGEMENT_HOURLY,
    "users_engagements": _USERS_ENGAGEMENTS, "user_hourly": _USER_HOURLY,
    "user_totals": _USER_TOTALS, "ads": _ADS, "tags": _TAGS, "tags_today": _TAGS_TODAY,
    "customers": _NEW_CUSTOMERS, "activity": _PAGE_ACTIVITY,
}


def empty_frame(kind: str) -> pd.DataFrame:
    """The empty frame (right columns and dtypes) of a reshaper, e.g. ``empty_frame("tags")``."""
    if kind not in _SCHEMAS:
        raise KeyError(f"unknown frame kind {kind!r}; one of {sorted(_SCHEMAS)}")
    return _build([], _SCHEMAS[kind])


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
        return float(v)
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
    return int(x)


def _to_str(v: Any) -> str | None:
    if _is_null(v):
        return None
    if isinstance(v, float) and v.is_integer():  # an id that came as 1.0e14
        return str(int(v))
    return str(v)


def _column(values: list, kind: str) -> pd.Series:
    dtype = _DTYPES[kind]
    if kind == "dt":
        return pd.Series([pd.NaT if v is None else v for v in values], dtype=object).astype(dtype)
    if kind == "int":
        return pd.Series(pd.array(values, dtype="Int64"))
    if kind == "float":
        return pd.Series([float("nan") if v is None else v for v in values], dtype="float64")
    return pd.Series(values, dtype=object).astype(dtype)


def _build(rows: list[dict], schema: Sequence[tuple[str, str]],
           extras: Sequence[tuple[str, str]] = ()) -> pd.DataFrame:
    """Rows (already coerced Python values) -> frame with the schema's columns and dtypes."""
    cols = list(schema) + [e for e in extras if e[0] not in {c for c, _ in schema}]
    data = {}
    for name, kind in cols:
        data[name] = _column([r.get(name) for r in rows], kind)
    return pd.DataFrame(data, columns=[c for c, _ in cols])


def _coerce(value: Any, kind: str, what: str) -> Any:
    if kind == "int":
        return _to_count(value, what)
    if kind == "float":
        return _to_number(value, what)
    if kind == "str":
        return _to_str(value)
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
    return "int" if all(n is not None and n == int(n) for n in nums) else "float"


def _rows_from_records(records: list, schema, page_id: str | None, what: str,
                       time_col: str | None = None, parse_time=None,
                       skip: Iterable[str] = ()) -> tuple[list[dict], list[tuple[str, str]]]:
    """Coerce a list of flat dict records by schema; unknown scalar fields become extras."""
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


def _sorted(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    if frame.empty:
        return frame.reset_index(drop=True)
    return frame.sort_values(by, kind="stable", na_position="last").reset_index(drop=True)


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


def _day(label: Any, start: date, end: date, what: str) -> datetime:
    try:
        d = timeutil.parse_category(str(label), start, end)
    except ValueError as e:
        raise ReshapeError(f"{what}: {e}") from None
    return datetime(d.year, d.month, d.day)


def _hour(value: Any, what: str) -> datetime:
    try:
        return timeutil.parse_local_hour(str(value))
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
    return _build(rows, _PAGES)


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


def engagement_daily(payload: Any, page_id: str, start: date, end: date) -> pd.DataFrame:
    """``statistics/customer_engagements`` (daily) -> one row per day.

    Columns: ``page_id, date, inbox, comment, total, new_customer_replied,
    customer_engagement_new_inbox, order_count, old_order_count`` + unknown series (in payload
    order). Categories ``"26/8"`` get their year from [start, end] (also across New Year);
    ``"6/7/2026"`` and ISO dates are taken as is. A missing series is a column of ``<NA>``.
    A series whose ``data`` length differs from ``categories`` raises :class:`ReshapeError`.
    """
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
    rows = []
    for i, d in enumerate(dates):
        row = {"page_id": _to_str(page_id), "date": d}
        for name, values in by_name.items():
            if name in kinds and name not in ("page_id", "date"):
                row[name] = _coerce(values[i], kinds[name], f"{what} {name!r}[{i}]")
        rows.append(row)
    return _sorted(_build(rows, _ENGAGEMENT_DAILY, extras), ["date"])


def engagement_hourly(payload: Any, page_id: str) -> pd.DataFrame:
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
    rows, extras = _rows_from_records(records, _ENGAGEMENT_HOURLY, _to_str(page_id), what,
                                      time_col="hour", parse_time=lambda v: _hour(v, what))
    return _sorted(_build(rows, _ENGAGEMENT_HOURLY, extras), ["hour"])


def users_engagements(payload: Any, page_id: str) -> pd.DataFrame:
    """The ``users_engagements`` list of an engagement payload -> one row per staff member.

    Columns: ``page_id, user_id, user_name, inbox_count, order_count, old_order_count,
    total_engagement`` (``user_name`` is the API's ``name``). Empty when absent. Payload
    order is kept (there is no time axis).
    """
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
    rows, extras = _rows_from_records(renamed, _USERS_ENGAGEMENTS, _to_str(page_id), what)
    return _build(rows, _USERS_ENGAGEMENTS, extras)


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


def user_hourly(payload: Any, page_id: str) -> pd.DataFrame:
    """``statistics/users`` or the user API's ``statistics/user`` -> one row per (user, hour).

    Columns: ``page_id, user_id, user_name, hour, inbox_count, comment_count,
    phone_number_count, private_reply_count, unique_inbox_count, unique_comment_count,
    average_response_time, order_count``. ``user_name`` is joined from ``users`` (the hourly
    rows do not carry it). ``average_response_time`` is milliseconds (float). ``order_count``
    is ``<NA>`` where the endpoint does not send it. Sorted by hour, then user id.
    """
    what = "statistics/users"
    data = _users_container(payload, what)
    stats = _get_obj(data, "statistics", what)
    users = _get_obj(data, "users", what)
    rows: list[dict] = []
    extras: list[tuple[str, str]] = []
    for uid, records in stats.items():
        if records is None:
            continue
        if not isinstance(records, list):
            raise ReshapeError(f"{what}: statistics[{uid!r}] is a {type(records).__name__}, expected a list")
        info = users.get(uid) if isinstance(users.get(uid), Mapping) else {}
        r, ex = _rows_from_records(records, _USER_HOURLY, _to_str(page_id), f"{what} user {uid}",
                                   time_col="hour", parse_time=lambda v: _hour(v, what),
                                   skip=("user_fb_id",))
        for row in r:
            row["user_id"] = str(uid)
            row["user_name"] = _to_str(info.get("user_name"))
        rows.extend(r)
        extras.extend(e for e in ex if e[0] not in {x for x, _ in extras})
    rows = _fill_extras(rows, extras)
    return _sorted(_build(rows, _USER_HOURLY, extras), ["hour", "user_id"])


def _fill_extras(rows: list[dict], extras) -> list[dict]:
    for row in rows:
        for name, _ in extras:
            row.setdefault(name, None)
    return rows


def user_totals(payload: Any, page_id: str) -> pd.DataFrame:
    """``data.users`` (or top-level ``users``) -> one row per staff member, the API's own totals
    for the window. Columns: ``page_id, user_id, user_name, user_fb_id, inbox_count,
    comment_count, phone_number_count, private_reply_count, unique_inbox_count,
    unique_comment_count, average_response_time, order_count``. The totals' ``hour`` field
    (the user's last active hour) is dropped. Payload order is kept.
    """
    what = "statistics/users"
    data = _users_container(payload, what)
    users = _get_obj(data, "users", what)
    records = []
    for uid, info in users.items():
        if not isinstance(info, Mapping):
            raise ReshapeError(f"{what}: users[{uid!r}] is a {type(info).__name__}, expected an object")
        records.append({**info, "user_id": uid})
    rows, extras = _rows_from_records(records, _USER_TOTALS, _to_str(page_id), what, skip=("hour",))
    return _build(rows, _USER_TOTALS, extras)


# --- ads ----------------------------------------------------------------------------------

def ads_frame(payload: Any, page_id: str) -> pd.DataFrame:
    """``statistics/pages_campaigns`` (bare array or ``{data: [...]}``) -> one row per ad.

    All numbers (``"3000"``, 3000, null) become ``float64`` (null -> NaN), counts such as
    impressions included: ad numbers arrive as strings and may be fractional. ``currency``
    is kept per row (never add across currencies). Payload order is kept. Budgets arrive in
    the currency's smallest unit (cents for USD) and leave in its main unit (USD 30.0), the
    one unit of every table and file.
    """
    what = "statistics/pages_campaigns"
    payload = _check_payload(payload, what, allow_list=True)
    if isinstance(payload, list):
        records = payload
    else:
        records = _get_list(payload, "data", what)
    rows, extras = _rows_from_records(records, _ADS, _to_str(page_id), what)
    frame = _build(rows, _ADS, extras)
    if not frame.empty:  # budgets: the currency's smallest unit (Facebook) -> its main unit
        scale = frame["currency"].map(lambda c: 10.0 ** currency_decimals(None if _is_null(c) else str(c)))
        for c in ("daily_budget", "lifetime_budget", "budget_remaining"):
            frame[c] = (frame[c] / scale.astype("float64")).astype("float64")
    return frame


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


def tags_frame(payload: Any, page_id: str, start: date, end: date,
               tag_names: Mapping[Any, str] | None = None) -> pd.DataFrame:
    """``statistics/tags`` -> long form, one row per (date, tag): ``page_id, date, tag_id,
    tag_name, count``.

    Series keys ``"12"`` and ``"tag_12"`` both give ``tag_id "12"``; values may be ints,
    numeric strings, null or ``{pin, total}`` (``total`` is used). Names come from the
    payload's ``tags`` list, overridden by ``tag_names`` (e.g. from ``GET pages/{id}/tags``);
    an id with no name is shown as ``"#<id>"``.

    ``data_today`` is ignored here on purpose: it is a "today so far" snapshot whose day is
    also inside ``data`` when the range includes today, and it is not bounded by the asked
    window, so adding it would double-count. Use :func:`tags_today` for it.
    """
    what = "statistics/tags"
    payload = _check_payload(payload, what)
    names = _tag_name_map(payload, tag_names, what)
    data = _get_obj(payload, "data", what)
    categories, series = _tag_series(data, what)
    dates = [_day(c, start, end, what) for c in categories]
    pid = _to_str(page_id)
    rows = []
    for i, d in enumerate(dates):
        for tid, values in series:
            rows.append({"page_id": pid, "date": d, "tag_id": tid,
                         "tag_name": names.get(tid, f"#{tid}"),
                         "count": _to_count(values[i], f"{what} tag {tid}[{i}]")})
    return _sorted(_build(rows, _TAGS), ["date"])


def tags_today(payload: Any, page_id: str, tag_names: Mapping[Any, str] | None = None) -> pd.DataFrame:
    """``data_today`` of ``statistics/tags`` -> ``page_id, tag_id, tag_name, count``, one row
    per tag, summed over its categories (a tag whose values are all null stays ``<NA>``)."""
    what = "statistics/tags data_today"
    payload = _check_payload(payload, what)
    names = _tag_name_map(payload, tag_names, what)
    block = _get_obj(payload, "data_today", what)
    _, series = _tag_series(block, what)
    pid = _to_str(page_id)
    rows = []
    for tid, values in series:
        counts = [_to_count(v, f"{what} tag {tid}") for v in values]
        present = [c for c in counts if c is not None]
        rows.append({"page_id": pid, "tag_id": tid, "tag_name": names.get(tid, f"#{tid}"),
                     "count": sum(present) if present else None})
    return _build(rows, _TAGS_TODAY)


# --- new customers ------------------------------------------------------------------------

def new_customers_frame(payload: Any, page_id: str, start: date, end: date) -> pd.DataFrame:
    """``statistics/customers`` / ``statistics/page_customers`` -> one row per day or hour.

    Columns: ``page_id, date, new_customer_count, new_page_inbox_count,
    new_phone_number_count, phone_number_count`` (+ unknown fields). ``date`` is midnight for
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

    rows: list[dict] = []
    extras: list[tuple[str, str]] = []
    for pid, records in groups:
        r, ex = _rows_from_records(records, _NEW_CUSTOMERS, pid, what, time_col="date", parse_time=parse)
        rows.extend(r)
        extras.extend(e for e in ex if e[0] not in {x for x, _ in extras})
    rows = _fill_extras(rows, extras)
    return _sorted(_build(rows, _NEW_CUSTOMERS, extras), ["date", "page_id"])


# --- page activity ------------------------------------------------------------------------

def page_activity_frame(payload: Any, page_id: str) -> pd.DataFrame:
    """``statistics/pages`` ``{data: [{hour, ...}]}`` -> one row per hour (+ unknown fields)."""
    what = "statistics/pages"
    payload = _check_payload(payload, what)
    records = _get_list(payload, "data", what)
    rows, extras = _rows_from_records(records, _PAGE_ACTIVITY, _to_str(page_id), what,
                                      time_col="hour", parse_time=lambda v: _hour(v, what))
    return _sorted(_build(rows, _PAGE_ACTIVITY, extras), ["hour"])


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


def merge_windows(frames: Sequence[pd.DataFrame], keys: Sequence[str]) -> pd.DataFrame:
    """Windows of one page -> one frame: a row of a later window whose ``keys`` an earlier window
    already gave (the same day returned twice) is dropped. Rows of one window are all kept, so
    two API hours with the same local label (a clock turned back) are both counted."""
    keys = list(keys)
    frames = [f for f in frames if f is not None]
    for f in frames:
        missing = [k for k in keys if k not in f.columns]
        if missing:
            raise ReshapeError(f"merge: key column(s) {missing} not in frame")
    if len(frames) <= 1:
        return concat(frames).reset_index(drop=True)
    window = np.concatenate([np.full(len(f), i) for i, f in enumerate(frames)])
    out = concat(frames)
    if out.empty:
        return out.reset_index(drop=True)
    first = pd.Series(window).groupby([out[k].to_numpy() for k in keys], dropna=False).transform("min")
    return out[window == first.to_numpy()].reset_index(drop=True)


def dedupe(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Drop rows whose ``keys`` repeat an earlier row (the same day from two windows),
    keeping the first; index reset, dtypes and order otherwise unchanged."""
    keys = list(keys)
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise ReshapeError(f"dedupe: key column(s) {missing} not in frame")
    return frame.drop_duplicates(subset=keys, keep="first").reset_index(drop=True)

"""Conversations, messages and page customers: payloads -> typed frames, the drill-down filter
and who is waiting now. Pure (no HTTP, no Streamlit); the data layer is
``pancake.data.conversations``, the page's computations ``pancake.numbers.views.conversations``.

Conversation and message timestamps arrive in UTC without a suffix (API-NOTES); every frame
holds them as naive **local** times in the configured zone. An answer the API leaves out stays
unknown (``<NA>``), never False or 0. Each frame's columns are its ``*_COLUMNS`` constant.

Both reference shapes are read: ``tags`` as ids or as objects (``null`` entries skipped);
assignees from ``current_assign_users``, else ``assignee_ids``, else ``assignee_histories``
replayed, named through ``GET users``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

TYPES = ("INBOX", "COMMENT", "LIVESTREAM")
LIST_SEP = "; "   # tags and assignees by name in one cell ("Khách mới; Đã chốt")

CONVERSATION_COLUMNS = [
    "page_id", "conversation_id", "type", "customer_id", "customer_name", "created_at", "updated_at",
    "tag_ids", "tag_names", "assignee_ids", "assignee_names", "has_phone", "message_count",
    "ad_ids", "from_ads", "last_from_customer", "waiting_since", "seen", "snippet", "post_id",
]
MESSAGE_COLUMNS = ["page_id", "conversation_id", "message_id", "sent_at", "from_customer", "sender",
                   "text", "has_phone", "attachments", "staff_name", "bot"]
CUSTOMER_COLUMNS = ["page_id", "customer_id", "name", "created_at", "updated_at", "phone_numbers",
                    "has_phone", "can_inbox", "gender"]


# --- values ---------------------------------------------------------------------------------------

def utc_time(value: Any) -> pd.Timestamp | None:
    """An API timestamp (UTC without a suffix, or with an offset) as an aware UTC time; None when
    missing or unreadable."""
    if value is None or value == "":
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        return None
    if pd.isna(ts):
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def local_time(value: Any, tz: ZoneInfo | str) -> pd.Timestamp | None:
    """An API timestamp (UTC, no suffix; or with an offset) as a naive local time; None when
    missing or unreadable."""
    ts = utc_time(value)
    if ts is None:
        return None
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return ts.tz_convert(zone).tz_localize(None)


# what the API sends: UTC without a suffix, seconds or a fraction (a year of 1900-2099: far from
# the bounds of a nanosecond time)
_PLAIN_UTC = re.compile(r"(?:19|20)\d\d-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?")


def local_times(values: Sequence[Any], tz: ZoneInfo | str) -> pd.Series:
    """:func:`local_time` of each value, as a column (positions 0..n-1). When every value is
    missing (None or "") or such a plain UTC string they are converted at once (datetime64, NaT
    for a missing or impossible one); else each value one by one (objects, None when unreadable)."""
    values = list(values)
    plain = [isinstance(v, str) and _PLAIN_UTC.fullmatch(v) is not None for v in values]
    if not all(ok or v is None or v == "" for ok, v in zip(plain, values)):
        return pd.Series([local_time(v, tz) for v in values], dtype="object")
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    text = pd.Series([v if ok else None for ok, v in zip(plain, values)], dtype="object")
    at = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    return at.dt.tz_convert(zone).dt.tz_localize(None).astype("datetime64[ns]")


def _bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if value is None:
        return pd.NA
    if isinstance(value, (int, float)):
        return bool(value)
    text = str(value).strip().lower()
    return True if text in ("true", "1") else False if text in ("false", "0") else pd.NA


def _int(value: Any) -> Any:
    try:
        return pd.NA if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return pd.NA


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def tag_list(raw: Any, names: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``(tag id, tag name)`` pairs from either shape; the name from the object, else from
    ``names`` (``GET tags``), else the id itself."""
    out: list[tuple[str, str]] = []
    for item in raw or []:
        if item is None:
            continue
        if isinstance(item, Mapping):
            tid = _str(item.get("id"))
            name = _str(item.get("text") or item.get("name")) or (names or {}).get(tid) or tid
        else:
            tid = _str(item)
            name = (names or {}).get(tid) or tid
        if tid and all(tid != t for t, _ in out):
            out.append((tid, name))
    return out


def assignee_list(conv: Mapping[str, Any], names: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``(user id, name)`` of the staff assigned now."""
    users = conv.get("current_assign_users")
    out: list[tuple[str, str]] = []
    if isinstance(users, list) and users:
        for u in users:
            if isinstance(u, Mapping) and u.get("id") is not None:
                uid = _str(u["id"])
                out.append((uid, _str(u.get("name")) or (names or {}).get(uid) or uid))
        return out
    if conv.get("assignee_ids") is None and conv.get("current_assign_users") is None:
        return _assigned_by_history(conv.get("assignee_histories"), names)
    for uid in conv.get("assignee_ids") or []:
        if uid is not None:
            out.append((_str(uid), (names or {}).get(_str(uid)) or _str(uid)))
    return out


def _assigned_by_history(histories: Any, names: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """The staff assigned now, replayed from ``assignee_histories`` (the reference's own example
    carries only these): each change's ``payload.added_users`` added and ``deleted_users``
    removed, oldest change first (by ``inserted_at``; changes without a time keep their place
    before the timed ones)."""
    if not isinstance(histories, list):
        return []
    changes = [h for h in histories if isinstance(h, Mapping) and isinstance(h.get("payload"), Mapping)]
    changes.sort(key=lambda h: _str(h.get("inserted_at")))
    now: dict[str, str] = {}
    for h in changes:
        for key, add in (("deleted_users", False), ("added_users", True)):
            users = h["payload"].get(key)
            for u in users if isinstance(users, list) else []:
                if not isinstance(u, Mapping) or u.get("id") is None or _str(u.get("id")).strip() == "":
                    continue
                uid = _str(u["id"])
                if add:
                    now[uid] = _str(u.get("name")) or now.get(uid) or (names or {}).get(uid) or uid
                else:
                    now.pop(uid, None)
    return list(now.items())


def last_from_customer(conv: Mapping[str, Any], page_id: str) -> Any:
    """Whether the latest message is the customer's: ``last_sent_by`` is neither the page nor a
    staff member (``admin_id``/``uid``) and is one of the conversation's customers (or its
    ``from``). Unknown (``<NA>``) without ``last_sent_by``."""
    last = conv.get("last_sent_by")
    if not isinstance(last, Mapping) or last.get("id") is None:
        return pd.NA
    sender = _str(last.get("id"))
    if last.get("admin_id") or last.get("uid") or sender in (_str(page_id), _str(conv.get("page_id"))):
        return False
    customers = {_str(c.get("fb_id")) for c in conv.get("customers") or [] if isinstance(c, Mapping)}
    customers |= {_str(c.get("id")) for c in conv.get("customers") or [] if isinstance(c, Mapping)}
    frm = conv.get("from")
    if isinstance(frm, Mapping):
        customers.add(_str(frm.get("id")))
    return sender in customers - {""}


def has_phone(conv: Mapping[str, Any]) -> Any:
    if "has_phone" in conv and conv["has_phone"] is not None:
        return _bool(conv["has_phone"])
    phones = conv.get("recent_phone_numbers")
    return bool(phones) if isinstance(phones, list) else pd.NA


def from_ads(conv: Mapping[str, Any], ads_ids: set[str] | None) -> Any:
    """From ads: the conversation is in ``export_data`` (``conversations_from_ads``) when that
    list was fetched; else its ``ad_ids`` (``null``/empty = not from an ad); else unknown."""
    if ads_ids is not None:
        return _str(conv.get("id")) in ads_ids
    if "ad_ids" in conv:
        return bool(conv.get("ad_ids"))
    return pd.NA


# --- frames ---------------------------------------------------------------------------------------

def empty_conversations() -> pd.DataFrame:
    return conversations_frame([], "", "UTC")


def conversations_frame(convs: Iterable[Mapping[str, Any]], page_id: str, tz: ZoneInfo | str, *,
                        tag_names: Mapping[str, str] | None = None, user_names: Mapping[str, str] | None = None,
                        ads_ids: set[str] | None = None) -> pd.DataFrame:
    """One row per conversation (the first answer of an id wins), newest first."""
    rows = []
    seen: set[str] = set()
    inserted, updated, interactive = [], [], []   # the raw times, converted column by column below
    for c in convs:
        if not isinstance(c, Mapping) or c.get("id") is None:
            continue
        cid = _str(c["id"])
        if cid in seen:
            continue
        seen.add(cid)
        tags = tag_list(c.get("tags"), tag_names)
        staff = assignee_list(c, user_names)
        customers = [x for x in c.get("customers") or [] if isinstance(x, Mapping)]
        frm = c.get("from") if isinstance(c.get("from"), Mapping) else {}
        waiting = last_from_customer(c, page_id)
        inserted.append(c.get("inserted_at"))
        updated.append(c.get("updated_at"))
        interactive.append(c.get("last_customer_interactive_at"))
        rows.append({
            "page_id": _str(c.get("page_id") or page_id), "conversation_id": cid,
            "type": _str(c.get("type")).upper() or pd.NA,
            "customer_id": _str(c.get("customer_id") or (customers[0].get("id") if customers else "")),
            "customer_name": _str((customers[0].get("name") if customers else None) or frm.get("name")),
            "tag_ids": LIST_SEP.join(t for t, _ in tags), "tag_names": LIST_SEP.join(n for _, n in tags),
            "assignee_ids": LIST_SEP.join(u for u, _ in staff),
            "assignee_names": LIST_SEP.join(n for _, n in staff),
            "has_phone": has_phone(c), "message_count": _int(c.get("message_count")),
            "ad_ids": LIST_SEP.join(_str(a) for a in c.get("ad_ids") or [] if a is not None),
            "from_ads": from_ads(c, ads_ids), "last_from_customer": waiting,
            "seen": _bool(c.get("seen")), "snippet": _str(c.get("snippet")),
            "post_id": _str(c.get("post_id")),
        })
    frame = pd.DataFrame(rows, columns=CONVERSATION_COLUMNS)
    if rows:
        upd = local_times(updated, tz)
        frame["created_at"] = local_times(inserted, tz).to_numpy()
        frame["updated_at"] = upd.to_numpy()
        # waiting: since the customer's last message, else (unknown) since the last update
        last = local_times(interactive, tz)
        waits = pd.Series([r["last_from_customer"] is True for r in rows])
        frame["waiting_since"] = last.where(last.notna(), upd).where(waits, None).to_numpy()
    return typed(frame)


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The conversation frame's dtypes (also for an empty or a concatenated frame)."""
    out = frame.copy()
    for col in ("page_id", "conversation_id", "customer_id", "customer_name", "tag_ids", "tag_names",
                "assignee_ids", "assignee_names", "ad_ids", "snippet", "post_id"):
        out[col] = out[col].fillna("").astype("str")
    out["type"] = out["type"].astype("string")
    for col in ("created_at", "updated_at", "waiting_since"):   # whole seconds, as people read them
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]").dt.floor("s")
    for col in ("has_phone", "from_ads", "last_from_customer", "seen"):
        out[col] = out[col].astype("boolean")
    out["message_count"] = out["message_count"].astype("Int64")
    return out.sort_values(["created_at", "conversation_id"], ascending=[False, True],
                           kind="stable", na_position="last").reset_index(drop=True)


def concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and not f.empty]
    if not frames:
        return empty_conversations()
    return typed(pd.concat(frames, ignore_index=True))


def messages_frame(payload_messages: Iterable[Mapping[str, Any]], page_id: str, tz: ZoneInfo | str,
                   customer_ids: Iterable[str] = ()) -> pd.DataFrame:
    """Messages oldest first. A message is the customer's when its sender is not the page and
    no staff member (``admin_id``/``uid``) sent it. ``staff_name`` is the staff member who sent a
    page reply (``from.admin_name``; "" when the API names none), ``bot`` whether the reply was
    sent automatically or written by AI (``from.is_automated``/``ai_generated``, or the same on
    the message; ``<NA>`` when the API does not say)."""
    known = {_str(x) for x in customer_ids} - {""}
    rows = []
    sent = []   # the raw times, converted at once below
    for m in payload_messages:
        if not isinstance(m, Mapping):
            continue
        frm = m.get("from") if isinstance(m.get("from"), Mapping) else {}
        sender_id = _str(frm.get("id"))
        staff = bool(frm.get("admin_id") or frm.get("uid")) or sender_id == _str(page_id)
        customer = (sender_id in known) if known and not staff else (not staff if sender_id else pd.NA)
        sent.append(m.get("inserted_at"))
        rows.append({"page_id": _str(m.get("page_id") or page_id), "conversation_id": _str(m.get("conversation_id")),
                     "message_id": _str(m.get("id")),
                     "from_customer": customer,
                     "sender": _str(frm.get("admin_name") or frm.get("name")),
                     "text": _str(m.get("original_message") or m.get("message")),
                     "has_phone": _bool(m.get("has_phone")), "attachments": len(m.get("attachments") or []),
                     "staff_name": _str(frm.get("admin_name")).strip(),
                     "bot": _automated(frm, m)})
    frame = pd.DataFrame(rows, columns=MESSAGE_COLUMNS)
    if rows:
        frame["sent_at"] = local_times(sent, tz).to_numpy()
    frame["sent_at"] = pd.to_datetime(frame["sent_at"]).astype("datetime64[ns]").dt.floor("s")
    frame["from_customer"] = frame["from_customer"].astype("boolean")
    frame["bot"] = frame["bot"].astype("boolean")
    frame["has_phone"] = frame["has_phone"].astype("boolean")
    frame["attachments"] = frame["attachments"].astype("int64")
    frame = frame.drop_duplicates("message_id", keep="first")
    return frame.sort_values(["sent_at", "message_id"], kind="stable").reset_index(drop=True)


def _automated(*where: Mapping[str, Any]) -> Any:
    """True when any of ``where`` says the message was sent automatically or written by AI,
    False when one says no and none says yes, ``<NA>`` when none says."""
    said = [_bool(w.get(k)) for w in where for k in ("is_automated", "ai_generated") if k in w]
    known = [v for v in said if v is not pd.NA]
    return any(known) if known else pd.NA


def page_customers_frame(customers: Iterable[Mapping[str, Any]], page_id: str, tz: ZoneInfo | str) -> pd.DataFrame:
    """``page_customers`` -> one row per customer, newest first."""
    rows = []
    created, updated = [], []   # the raw times, converted at once below
    for c in customers:
        if not isinstance(c, Mapping):
            continue
        phones = [_str(p.get("phone_number") if isinstance(p, Mapping) else p) for p in c.get("phone_numbers") or []]
        phones = [p for p in phones if p]
        created.append(c.get("inserted_at"))
        updated.append(c.get("updated_at"))
        rows.append({"page_id": _str(page_id), "customer_id": _str(c.get("id")), "name": _str(c.get("name")),
                     "phone_numbers": LIST_SEP.join(phones),
                     "has_phone": bool(phones) if isinstance(c.get("phone_numbers"), list) else pd.NA,
                     "can_inbox": _bool(c.get("can_inbox")), "gender": _str(c.get("gender"))})
    frame = pd.DataFrame(rows, columns=CUSTOMER_COLUMNS)
    if rows:
        frame["created_at"] = local_times(created, tz).to_numpy()
        frame["updated_at"] = local_times(updated, tz).to_numpy()
    for col in ("created_at", "updated_at"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]").dt.floor("s")
    for col in ("has_phone", "can_inbox"):
        frame[col] = frame[col].astype("boolean")
    frame = frame.drop_duplicates(["page_id", "customer_id"], keep="first")
    return frame.sort_values("created_at", ascending=False, kind="stable").reset_index(drop=True)


def ads_conversation_ids(rows: Iterable[Mapping[str, Any]]) -> set[str]:
    """The conversation ids of an ``export_data`` (``conversations_from_ads``) answer."""
    return {_str(r.get("id")) for r in rows if isinstance(r, Mapping) and r.get("id") is not None}


def export_rows(payload: Any) -> list[dict[str, Any]]:
    """``export_data``'s rows: ``{data: [...]}`` or a bare list."""
    if isinstance(payload, Mapping):
        payload = payload.get("data")
    return [r for r in payload or [] if isinstance(r, Mapping)] if isinstance(payload, list) else []


# --- waiting now ----------------------------------------------------------------------------------

def waiting(frame: pd.DataFrame, now: datetime, threshold_minutes: float = 15) -> pd.DataFrame:
    """The conversations whose latest message is the customer's, longest wait first, with
    ``wait_ms`` (now - the customer's unanswered message; never negative) and ``breach`` (the
    wait reached ``threshold_minutes``). A conversation whose sender is unknown is left out."""
    if frame is None or frame.empty:
        out = empty_conversations().assign(wait_ms=pd.Series(dtype="float64"), breach=pd.Series(dtype="bool"))
        return out
    w = frame[frame["last_from_customer"].fillna(False).astype(bool) & frame["waiting_since"].notna()].copy()
    delta = (pd.Timestamp(now) - w["waiting_since"]).dt.total_seconds() * 1000
    w["wait_ms"] = delta.clip(lower=0).astype("float64")
    w["breach"] = (w["wait_ms"] >= float(threshold_minutes) * 60_000).astype("bool")
    return w.sort_values(["wait_ms", "conversation_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


# --- drill-down filter (lives in the URL: ``drill=<dimension>:<value>``) ---------------------------

DIMENSIONS = ("type", "tag", "assignee", "phone", "ads", "day", "slot")
NONE_VALUE = "-"   # "no tag" / "unassigned"


@dataclass(frozen=True)
class Drill:
    """One filter from a breakdown: a bar (type, tag name, assignee id, phone yes/no, from ads
    yes/no, a day) or a heatmap cell (``slot`` = ``<weekday 0-6>-<hour 0-23>``). An assignee is
    filtered by staff id: two people with one name stay apart (links older than that held the
    name: ``assignee_named`` reads them)."""
    dimension: str
    value: str

    def encode(self) -> str:
        return f"{self.dimension}:{self.value}"


def parse_drill(text: str | None) -> Drill | None:
    """``"tag:Khách mới"`` -> Drill; None for no filter or one that does not parse."""
    if not text or ":" not in text:
        return None
    dim, _, value = str(text).partition(":")
    dim, value = dim.strip(), value.strip()
    if dim not in DIMENSIONS or not value:
        return None
    if dim in ("phone", "ads") and value not in ("1", "0"):
        return None
    if dim == "type" and value.upper() not in TYPES:
        return None
    if dim == "day":
        try:
            value = datetime.strptime(value, "%Y-%m-%d").date().isoformat()
        except ValueError:
            return None
    if dim == "slot":
        wd, _, hr = value.partition("-")
        if not (wd.isdigit() and hr.isdigit() and 0 <= int(wd) <= 6 and 0 <= int(hr) <= 23):
            return None
        value = f"{int(wd)}-{int(hr)}"
    return Drill(dim, value.upper() if dim == "type" else value)


def _split(cell: str) -> list[str]:
    return [x for x in str(cell).split(LIST_SEP) if x] if cell else []


def drill_mask(frame: pd.DataFrame, drill: Drill | None) -> pd.Series:
    """Which rows of a conversation frame the filter keeps (all without a filter)."""
    if drill is None or frame.empty:
        return pd.Series(True, index=frame.index)
    d, v = drill.dimension, drill.value
    if d == "type":
        return frame["type"].fillna("").astype(str).eq(v)
    if d in ("tag", "assignee"):
        col = "tag_names" if d == "tag" else "assignee_ids"
        if v == NONE_VALUE:
            return frame[col].eq("")
        return frame[col].map(lambda cell: v in _split(cell)).astype(bool)
    if d in ("phone", "ads"):
        col = "has_phone" if d == "phone" else "from_ads"
        return frame[col].eq(v == "1").fillna(False).astype(bool)
    if d == "day":
        return frame["created_at"].dt.strftime("%Y-%m-%d").eq(v).fillna(False).astype(bool)
    wd, hr = (int(x) for x in v.split("-"))
    return ((frame["created_at"].dt.day_of_week == wd) & (frame["created_at"].dt.hour == hr)).fillna(False).astype(bool)


def assignees(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """``(staff id, name, page id)`` once per conversation and assignee, ``("-", "", page id)`` for
    an unassigned conversation. The ids and names cells are paired in order; when they do not
    pair (a name holding the separator) the id stands for the name rather than a wrong name."""
    out: list[tuple[str, str, str]] = []
    for page, id_cell, name_cell in zip(frame["page_id"], frame["assignee_ids"], frame["assignee_names"]):
        ids, names = _split(id_cell), _split(name_cell)
        if not ids:
            out.append((NONE_VALUE, "", str(page)))
            continue
        out += [(i, n, str(page)) for i, n in zip(ids, names if len(names) == len(ids) else ids)]
    return out


def assignee_named(frame: pd.DataFrame, drill: Drill | None) -> list[str]:
    """The staff ids an assignee filter holding a name stands for (a link from before the filter
    held ids): [] when the filter is not such a name (another dimension, "unassigned", an id of
    the frame, or nobody of that name)."""
    if drill is None or drill.dimension != "assignee" or drill.value == NONE_VALUE or frame.empty:
        return []
    staff = assignees(frame)
    if any(i == drill.value for i, _, _ in staff):
        return []
    return sorted({i for i, n, _ in staff if i != NONE_VALUE and n == drill.value})


def apply_drill(frame: pd.DataFrame, drill: Drill | None) -> pd.DataFrame:
    return frame[drill_mask(frame, drill)].reset_index(drop=True)


def search(frame: pd.DataFrame, text: str | None) -> pd.DataFrame:
    """Rows whose customer, tags, assignees, snippet or id contain ``text`` (case-insensitive)."""
    if not text or frame.empty:
        return frame
    needle = str(text).strip().casefold()
    hay = (frame["customer_name"] + " " + frame["tag_names"] + " " + frame["assignee_names"] + " "
           + frame["snippet"] + " " + frame["conversation_id"]).str.casefold()
    return frame[hay.str.contains(needle, regex=False)].reset_index(drop=True)

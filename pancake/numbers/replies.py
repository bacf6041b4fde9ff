"""Response times from messages: customer turns, their waits (calendar and in opening hours),
first vs next responses, targets, and the figures over turns. Pure (pandas, no HTTP, no
Streamlit). **The home of every response-time figure**: every surface calls
``summary``/``breakdown``/``breaching`` here and never re-derives a number.

Definitions (docs/METRICS.md "Response times"): a message is the page's when the page or a staff
member sent it, automated when flagged so or sent by a ``bots`` name. A customer turn runs from
the first customer message after the page's previous reply to the page's next reply (an automated
reply ends it only with ``bots_count``); unanswered, it waits until ``now``. The business wait is
the part inside opening hours. First and next responses are judged against their own targets; a
waiting turn past its target is a miss. Figures are always over the turns themselves (a median of
several pages is the median of all their turns).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from pancake.numbers.conversations import utc_time
from pancake.numbers.hours import Hours

Basis = str   # "business" | "calendar"

# The groups: [low, high) seconds. A wait of exactly 5 minutes is in "5-15 min".
GROUPS = (("lt5m", 0, 300), ("5to15m", 300, 900), ("15to60m", 900, 3600),
          ("1to4h", 3600, 14400), ("gt4h", 14400, math.inf))

MESSAGE_COLUMNS = ["page_id", "conversation_id", "message_id", "sent_at", "from_page", "admin_id",
                   "admin_name", "automated"]
TURN_COLUMNS = ["page_id", "conversation_id", "customer_id", "type", "tags", "turn", "first",
                "start", "replied_at", "replied_by_id", "replied_by", "automated", "waiting",
                "wait_seconds", "business_wait_seconds", "target_seconds", "within_target",
                "start_message_id", "reply_message_id"]


def _str(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value) and not (isinstance(value, float) and math.isnan(value))
    return _str(value).lower() in ("true", "1", "yes")


def message_frame(raw: Iterable[Mapping[str, Any]], page_id: str, conversation_id: str = "",
                  bots: Iterable[str] = ()) -> pd.DataFrame:
    """The API's messages (any order, duplicates allowed) -> one row each, oldest first, with
    ``sent_at`` aware UTC. A message without a readable time is left out."""
    return messages_frame([(page_id, conversation_id, raw)], bots=bots)


def messages_frame(conversations: Iterable[tuple[str, str, Iterable[Mapping[str, Any]]]],
                   bots: Iterable[str] = ()) -> pd.DataFrame:
    """``message_frame`` of many conversations at once, ``(page_id, conversation_id, raw)`` each:
    one frame built in one pass (a frame per conversation cost seconds over an agency's
    thousands of conversations). A duplicate is a message id seen twice in one conversation's
    ``raw``; rows oldest first."""
    bot_names = {b.strip().casefold() for b in bots if b and b.strip()}
    rows: list[tuple] = []
    for group, (page_id, conversation_id, raw) in enumerate(conversations):
        page = _str(page_id)
        for m in raw:
            if not isinstance(m, Mapping):
                continue
            frm = m.get("from") if isinstance(m.get("from"), Mapping) else {}
            sent = utc_time(m.get("inserted_at"))
            if sent is None:
                continue
            admin_id = _str(frm.get("uid") or frm.get("admin_id"))
            admin_name = _str(frm.get("admin_name"))
            from_page = _str(frm.get("id")) == page or bool(admin_id)
            automated = from_page and (any(_flag(w.get(k)) for w in (frm, m)
                                           for k in ("is_automated", "ai_generated"))
                                       or admin_name.casefold() in bot_names)
            rows.append((_str(m.get("page_id") or page_id), _str(m.get("conversation_id") or conversation_id),
                         _str(m.get("id")), sent, from_page, admin_id, admin_name, bool(automated), group))
    frame = pd.DataFrame(rows, columns=[*MESSAGE_COLUMNS, "_group"])
    frame["sent_at"] = pd.to_datetime(frame["sent_at"], utc=True)
    if len(frame):
        frame = frame.drop_duplicates(["_group", "message_id"], keep="first")
    frame = frame.drop(columns="_group")
    return frame.sort_values(["sent_at", "message_id"], kind="stable").reset_index(drop=True)


def turns(messages: pd.DataFrame, hours: Hours, now: datetime, *,
          conversations: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per customer turn (``TURN_COLUMNS``), oldest first. ``messages`` as
    ``message_frame`` gives them (several conversations at once); ``conversations`` (the
    conversations frame) adds ``customer_id``, ``type`` and ``tags``. ``now`` (aware) ends the
    waits of the turns still waiting."""
    now = _aware(now)
    meta: dict[tuple[str, str], tuple[str, str, str]] = {}
    if conversations is not None and not conversations.empty:
        for row in conversations[["page_id", "conversation_id", "customer_id", "type", "tag_names"]].itertuples(index=False):
            meta[(_str(row.page_id), _str(row.conversation_id))] = (
                _str(row.customer_id), _str(row.type), _str(row.tag_names))
    rows: list[dict[str, Any]] = []
    if messages is not None and not messages.empty:
        # plain lists, one pass in (page, conversation, time) order: a pandas group per
        # conversation cost seconds over an agency's thousands of conversations
        ordered = messages.sort_values(["page_id", "conversation_id", "sent_at", "message_id"], kind="stable")
        pages = ordered["page_id"].astype("str").tolist()
        convs = ordered["conversation_id"].astype("str").tolist()
        sent = list(ordered["sent_at"].dt.to_pydatetime())
        ids = ordered["message_id"].astype("str").tolist()
        from_page = ordered["from_page"].astype("bool").tolist()
        admin_ids = ordered["admin_id"].astype("str").tolist()
        admin_names = ordered["admin_name"].astype("str").tolist()
        automated = ordered["automated"].astype("bool").tolist()
        key = None
        schedule = None
        customer = typ = tags = ""
        n = 0
        start = start_id = None
        for i in range(len(ids)):
            if (pages[i], convs[i]) != key:
                if key is not None and start is not None:
                    rows.append(_turn(*key, customer, typ, tags, n, start, start_id, None, schedule, now))
                key = (pages[i], convs[i])
                schedule = hours.for_page(pages[i])
                customer, typ, tags = meta.get(key, ("", "", ""))
                n = 0
                start = start_id = None
            if not from_page[i]:
                if start is None:
                    start, start_id = sent[i], ids[i]
                continue
            if start is None or (automated[i] and not hours.bots_count):
                continue
            reply = _Reply(sent[i], ids[i], admin_ids[i], admin_names[i], automated[i])
            rows.append(_turn(*key, customer, typ, tags, n, start, start_id, reply, schedule, now))
            n += 1
            start = start_id = None
        if key is not None and start is not None:
            rows.append(_turn(*key, customer, typ, tags, n, start, start_id, None, schedule, now))
    frame = pd.DataFrame(rows, columns=TURN_COLUMNS)
    return typed_turns(frame)


@dataclass(frozen=True)
class _Reply:
    sent_at: datetime
    message_id: str
    admin_id: str
    admin_name: str
    automated: bool


def _turn(page_id, conv_id, customer, typ, tags, n, start, start_id, reply, schedule, now) -> dict[str, Any]:
    end = max(reply.sent_at if reply is not None else now, start)
    wait = (end - start).total_seconds()
    business = schedule.business_seconds(start, end)
    target = schedule.target_seconds(n == 0)
    if target is None:
        within: Any = pd.NA
    elif reply is not None:
        within = business <= target
    else:
        within = False if business > target else pd.NA
    return {"page_id": page_id, "conversation_id": conv_id, "customer_id": customer, "type": typ, "tags": tags,
            "turn": n, "first": n == 0, "start": start,
            "replied_at": reply.sent_at if reply is not None else pd.NaT,
            "replied_by_id": reply.admin_id if reply is not None else "",
            "replied_by": reply.admin_name if reply is not None else "",
            "automated": bool(reply.automated) if reply is not None else pd.NA,
            "waiting": reply is None, "wait_seconds": wait, "business_wait_seconds": business,
            "target_seconds": target if target is not None else math.nan, "within_target": within,
            "start_message_id": start_id or "", "reply_message_id": reply.message_id if reply is not None else ""}


def at_now(turns: pd.DataFrame, hours: Hours, now: datetime, *, copy: bool = True) -> pd.DataFrame:
    """``turns`` (a ``turns`` frame computed at any earlier time) as ``turns`` would give them at
    ``now``: only a waiting turn depends on the time (its waits run to ``now``; it is a miss once
    its business wait passes its target), so only those rows are computed again (in ``turns``
    itself when not ``copy``)."""
    if turns is None or turns.empty or not bool(turns["waiting"].any()):
        return turns
    now = _aware(now)
    out = turns.copy() if copy else turns
    idx = out.index[out["waiting"].astype("bool")]
    waits, business, within = [], [], []
    for page_id, first, start in zip(out.loc[idx, "page_id"].tolist(), out.loc[idx, "first"].tolist(),
                                     out.loc[idx, "start"].tolist()):
        schedule = hours.for_page(page_id)
        start = start.to_pydatetime()
        end = max(now, start)
        b = schedule.business_seconds(start, end)
        target = schedule.target_seconds(bool(first))
        waits.append((end - start).total_seconds())
        business.append(b)
        within.append(False if target is not None and b > target else pd.NA)
    out.loc[idx, "wait_seconds"] = waits
    out.loc[idx, "business_wait_seconds"] = business
    out.loc[idx, "within_target"] = pd.array(within, dtype="boolean")
    return out


def typed_turns(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in ("page_id", "conversation_id", "customer_id", "type", "tags", "replied_by_id", "replied_by",
                "start_message_id", "reply_message_id"):
        out[col] = out[col].fillna("").astype("str")
    for col in ("start", "replied_at"):
        out[col] = pd.to_datetime(out[col], utc=True)
    out["turn"] = out["turn"].astype("int64")
    out["first"] = out["first"].astype("bool")
    out["waiting"] = out["waiting"].astype("bool")
    out["automated"] = out["automated"].astype("boolean")
    out["within_target"] = out["within_target"].astype("boolean")
    for col in ("wait_seconds", "business_wait_seconds", "target_seconds"):
        out[col] = out[col].astype("float64")
    return out.sort_values(["start", "page_id", "conversation_id", "turn"], kind="stable").reset_index(drop=True)


def empty_turns() -> pd.DataFrame:
    return typed_turns(pd.DataFrame(columns=TURN_COLUMNS))


def _aware(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


# --- figures --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    """The figures over a set of turns. Seconds are None when no turn was answered; the share
    within target is a fraction (0-1), None when no turn could be judged."""
    count: int                       # answered turns
    waiting: int                     # turns still waiting
    median: float | None
    p90: float | None
    mean: float | None
    judged: int                      # turns judged against a target
    within: int                      # of them, within target
    within_share: float | None
    groups: tuple[int, ...]          # answered turns per GROUPS entry


def wait_column(basis: Basis) -> str:
    return "wait_seconds" if basis == "calendar" else "business_wait_seconds"


def quantile(values: Iterable[float], q: float) -> float | None:
    """Linear interpolation between the two nearest ranks (``pandas`` default)."""
    xs = sorted(float(v) for v in values)
    if not xs:
        return None
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def group_of(seconds: float) -> str:
    for key, lo, hi in GROUPS:
        if lo <= seconds < hi:
            return key
    return GROUPS[0][0]


def summary(turns: pd.DataFrame | None, basis: Basis = "business") -> Figures:
    """The figures over ``turns`` (a ``turns`` frame or any subset of its rows)."""
    if turns is None or turns.empty:
        return Figures(0, 0, None, None, None, 0, 0, None, (0,) * len(GROUPS))
    waiting = turns["waiting"].astype("bool")
    answered = turns.loc[~waiting, wait_column(basis)].astype("float64").tolist()
    judged = turns["within_target"].dropna().astype("bool")
    groups = [0] * len(GROUPS)
    for v in answered:
        groups[[g[0] for g in GROUPS].index(group_of(v))] += 1
    within = int(judged.sum())
    return Figures(
        count=len(answered), waiting=int(waiting.sum()),
        median=quantile(answered, 0.5), p90=quantile(answered, 0.9),
        mean=(sum(answered) / len(answered)) if answered else None,
        judged=int(len(judged)), within=within,
        within_share=(within / len(judged)) if len(judged) else None, groups=tuple(groups))


BREAKDOWN_COLUMNS = ["count", "waiting", "median", "p90", "mean", "judged", "within", "within_share",
                     *(f"group_{g[0]}" for g in GROUPS)]


def figures_row(f: Figures) -> dict[str, Any]:
    row = {"count": f.count, "waiting": f.waiting, "median": f.median, "p90": f.p90, "mean": f.mean,
           "judged": f.judged, "within": f.within, "within_share": f.within_share}
    row.update({f"group_{g[0]}": n for g, n in zip(GROUPS, f.groups)})
    return row


def breakdown(turns: pd.DataFrame | None, by: str | list[str], basis: Basis = "business") -> pd.DataFrame:
    """The figures per group of ``by`` (columns of the turns frame; ``"tags"`` splits a turn
    into each of its tags, a turn without a tag is under ""), each computed over its own turns."""
    keys = [by] if isinstance(by, str) else list(by)
    if turns is None or turns.empty:
        return pd.DataFrame(columns=[*keys, *BREAKDOWN_COLUMNS])
    work = turns
    if "tags" in keys:
        work = turns.assign(tags=turns["tags"].str.split("; ")).explode("tags")
        work["tags"] = work["tags"].fillna("").astype("str")
    rows = []
    for key, part in work.groupby(keys, sort=True, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(keys, key)), **figures_row(summary(part, basis))})
    out = pd.DataFrame(rows, columns=[*keys, *BREAKDOWN_COLUMNS])
    for col in ("median", "p90", "mean", "within_share"):
        out[col] = out[col].astype("float64")
    return out


def with_local(turns: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """``turns`` with ``start_local``/``replied_local`` (naive local), ``weekday`` (0 = Monday)
    and ``hour`` of the turn's start in ``timezone``."""
    out = turns.copy()
    out["start_local"] = out["start"].dt.tz_convert(timezone).dt.tz_localize(None)
    out["replied_local"] = out["replied_at"].dt.tz_convert(timezone).dt.tz_localize(None)
    out["weekday"] = out["start_local"].dt.day_of_week.astype("int64")
    out["hour"] = out["start_local"].dt.hour.astype("int64")
    return out


def in_range(turns: pd.DataFrame, start_utc: datetime, end_utc: datetime) -> pd.DataFrame:
    """The turns that started in [start_utc, end_utc)."""
    if turns.empty:
        return turns
    s, e = pd.Timestamp(_aware(start_utc)), pd.Timestamp(_aware(end_utc))
    return turns[(turns["start"] >= s) & (turns["start"] < e)].reset_index(drop=True)


def breaching(turns: pd.DataFrame | None, now: datetime, hours: Hours, *, before_minutes: float = 0) -> pd.DataFrame:
    """The customers waiting now past their target, or within ``before_minutes`` of it (in
    opening hours), longest business wait first; ``due_at`` is when the target is (was) passed,
    ``business_wait_seconds`` is recomputed at ``now``."""
    cols = [*TURN_COLUMNS, "due_at", "past_target"]
    if turns is None or turns.empty:
        return pd.DataFrame(columns=cols)
    now = _aware(now)
    rows = []
    for row in turns[turns["waiting"].astype("bool")].to_dict("records"):
        schedule = hours.for_page(row["page_id"])
        target = schedule.target_seconds(bool(row["first"]))
        if target is None:
            continue
        start = row["start"].to_pydatetime()
        business = schedule.business_seconds(start, max(now, start))
        if business + before_minutes * 60.0 < target:
            continue
        row.update(wait_seconds=(max(now, start) - start).total_seconds(), business_wait_seconds=business,
                   within_target=False if business > target else pd.NA,
                   due_at=schedule.deadline(start, target), past_target=business > target)
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols)
    return out.sort_values("business_wait_seconds", ascending=False, kind="stable").reset_index(drop=True)


def first_response(turns: pd.DataFrame | None) -> pd.DataFrame:
    """Per conversation: ``first_response_seconds`` and ``first_response_business_seconds`` of
    its first turn when answered (NaN when still waiting or without a turn)."""
    cols = ["page_id", "conversation_id", "first_response_seconds", "first_response_business_seconds"]
    if turns is None or turns.empty:
        return pd.DataFrame(columns=cols)
    first = turns[turns["first"].astype("bool") & ~turns["waiting"].astype("bool")]
    out = first[["page_id", "conversation_id", "wait_seconds", "business_wait_seconds"]].rename(
        columns={"wait_seconds": "first_response_seconds",
                 "business_wait_seconds": "first_response_business_seconds"})
    return out.reset_index(drop=True)


EXPORT_COLUMNS = ["page_id", "conversation_id", "customer_id", "type", "turn_start", "replied_at", "replied_by",
                  "automated", "wait_seconds", "business_wait_seconds", "first", "within_target"]


def export_frame(turns: pd.DataFrame | None, hours: Hours) -> pd.DataFrame:
    """``export replies``: one row per customer turn, exactly ``EXPORT_COLUMNS``; times local
    (the page's zone) as "YYYY-MM-DD HH:MM:SS", booleans as true/false, empty when unknown."""
    if turns is None or turns.empty:
        return pd.DataFrame(columns=EXPORT_COLUMNS)
    rows = []
    for r in turns.to_dict("records"):
        zone = hours.for_page(r["page_id"]).zone

        def local(ts: Any, zone=zone) -> str:
            return "" if ts is None or pd.isna(ts) else ts.tz_convert(zone).strftime("%Y-%m-%d %H:%M:%S")

        within = r["within_target"]
        rows.append({"page_id": r["page_id"], "conversation_id": r["conversation_id"],
                     "customer_id": r["customer_id"], "type": r["type"].lower(),
                     "turn_start": local(r["start"]), "replied_at": local(r["replied_at"]),
                     "replied_by": r["replied_by"],
                     "automated": "" if r["waiting"] else ("true" if r["automated"] else "false"),
                     "wait_seconds": int(round(r["wait_seconds"])),
                     "business_wait_seconds": int(round(r["business_wait_seconds"])),
                     "first": "true" if r["first"] else "false",
                     "within_target": "" if within is None or pd.isna(within) else ("true" if within else "false")})
    return pd.DataFrame(rows, columns=EXPORT_COLUMNS)

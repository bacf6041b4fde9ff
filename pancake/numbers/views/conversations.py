"""/conversations page computations: who is waiting now, what came in over the range and who
handled it (by type, tag, assignee, phone captured, day, weekday × hour, from ads), the table
of conversations, the message reader, page customers and the one-row-per-conversation export
(the standup's "longest waits" lines are ``views.briefing.longest_waits``). Pure (no Streamlit), unit-tested.

Counting is ``metrics.sums_by`` / ``metrics.weekday_hour_sums`` over a column of ones (one per
conversation); shares are paired sums through ``metrics.safe_div``. A conversation whose phone
or from-ads answer is unknown counts in neither "yes" nor "no": it shows as "unknown".
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as time_of_day
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pancake import fmt, i18n
from pancake.numbers import charts, metrics
from pancake.numbers import conversations as conv
from pancake.numbers.views import is_missing, map_values, tables
from pancake.numbers.views import staff as staff_views
from pancake.numbers.views.cards import Kpi
from pancake.numbers.views.tables import Column, Table

SOURCE = "conversations"
ONE = "conversations"   # the column of ones that counts conversations

TYPE_KEYS = {"INBOX": "conv.type.inbox", "COMMENT": "conv.type.comment", "LIVESTREAM": "conv.type.livestream"}
DIMENSION_LABEL = {"type": "conv.by_type", "tag": "conv.by_tag", "assignee": "conv.by_assignee",
                   "phone": "conv.by_phone", "ads": "conv.by_ads", "day": "conv.by_day", "slot": "conv.heatmap"}


def is_empty(frame: pd.DataFrame | None) -> bool:
    return frame is None or frame.empty


def _ones(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(**{ONE: np.ones(len(frame), dtype="int64")})


def _count(frame: pd.DataFrame, by: str) -> pd.Series:
    """Conversations per value of ``by`` (``metrics.sums_by`` of ones)."""
    if frame.empty:
        return pd.Series(dtype="int64")
    return metrics.sums_by(_ones(frame), by, [ONE])[ONE].astype("int64")


def type_label(value: Any, lang: str) -> str:
    key = TYPE_KEYS.get(str(value).upper()) if not is_missing(value) else None
    return i18n.t(key, lang) if key else (str(value) if not is_missing(value) else i18n.t("conv.unknown", lang))


def yes_no(value: Any, lang: str) -> str:
    if is_missing(value):
        return i18n.t("conv.unknown", lang)
    return i18n.t("conv.yes" if bool(value) else "conv.no", lang)


# --- KPIs -----------------------------------------------------------------------------------------

def totals(frame: pd.DataFrame) -> dict[str, Any]:
    """The range's numbers: conversations, per type, with phone (and the share among those whose
    answer is known), from ads (None when no page told), customers named."""
    n = len(frame)
    known_phone = frame["has_phone"].notna() if n else pd.Series(dtype=bool)
    with_phone = int(frame["has_phone"].fillna(False).astype(bool).sum()) if n else 0
    phone_known = int(known_phone.sum()) if n else 0
    ads_known = int(frame["from_ads"].notna().sum()) if n else 0
    by_type = _count(frame, "type") if n else pd.Series(dtype="int64")
    return {
        "conversations": n,
        **{t: int(by_type.get(t, 0)) for t in conv.TYPES},
        "with_phone": with_phone if phone_known else None,
        "phone_share": metrics.safe_div(with_phone, phone_known) if phone_known else None,
        "from_ads": int(frame["from_ads"].fillna(False).astype(bool).sum()) if ads_known else None,
        "customers": int(frame["customer_id"].replace("", np.nan).nunique()) if n else 0,
    }


def kpis(frame: pd.DataFrame, lang: str, waiting: pd.DataFrame | None = None) -> list[Kpi]:
    t = totals(frame)
    out = [Kpi("conversations", t["conversations"], source=SOURCE)]
    for typ in conv.TYPES:
        out.append(Kpi("conversations", t[typ], source=SOURCE, label=type_label(typ, lang)))
    out += [Kpi("with_phone", t["with_phone"], source=SOURCE), Kpi("phone_share", t["phone_share"], source=SOURCE),
            Kpi("from_ads", t["from_ads"], source=SOURCE)]
    if waiting is not None:
        out.insert(0, Kpi("waiting", len(waiting), source=SOURCE))
    return out


# --- breakdowns -----------------------------------------------------------------------------------

def _breakdown(values: pd.Series, labels: Mapping[str, str] | None, order: Sequence[str] | None,
               frame_len: int) -> pd.DataFrame:
    """``key, label, conversations, share``: ``share`` of all the range's conversations (a
    conversation with two tags counts under both, so tag shares add up to more than 100 %)."""
    work = pd.DataFrame({"key": values.astype(str).to_numpy()})
    counts = _count(work, "key") if not work.empty else pd.Series(dtype="int64")
    keys = list(order) if order is not None else list(counts.sort_values(ascending=False, kind="stable").index)
    rows = [{"key": k, "label": (labels or {}).get(k, k), "conversations": int(counts.get(k, 0))} for k in keys]
    out = pd.DataFrame(rows, columns=["key", "label", "conversations"])
    if order is None and not out.empty:
        out = out.sort_values(["conversations", "label"], ascending=[False, True], kind="stable")
    out["conversations"] = out["conversations"].astype("int64")
    out["share"] = metrics.safe_div(out["conversations"], pd.Series(frame_len, index=out.index, dtype="float64"))
    return out.reset_index(drop=True)


def by_type(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Every type the reference names (inbox, comment, livestream), 0 when none, then any other."""
    other = [t for t in frame["type"].dropna().astype(str).unique() if t not in conv.TYPES]
    values = frame["type"].fillna("?").astype(str)
    return _breakdown(values, {t: type_label(t, lang) for t in [*conv.TYPES, *other]}, [*conv.TYPES, *other],
                      len(frame))


def _exploded(frame: pd.DataFrame, col: str) -> pd.Series:
    lists = map_values(frame[col], lambda cell: conv._split(cell) or [conv.NONE_VALUE])
    return lists.explode().astype(str) if len(lists) else pd.Series(dtype="str")


def by_tag(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    return _breakdown(_exploded(frame, "tag_names"), {conv.NONE_VALUE: i18n.t("conv.no_tag", lang)}, None, len(frame))


def assignee_labels(frame: pd.DataFrame, page_names: Mapping[str, str] | None = None) -> dict[str, str]:
    """{staff id: label}: the name the frame gives most often (ties: the first given), namesakes
    told apart as on the Staff page (``staff.labels``: their page, else numbered)."""
    names: dict[str, Counter] = {}
    pages: dict[str, set] = {}
    for uid, name, page in conv.assignees(frame):
        if uid != conv.NONE_VALUE:
            names.setdefault(uid, Counter())[name] += 1
            pages.setdefault(uid, set()).add((page_names or {}).get(page, page))
    ids = sorted(names)
    shown = staff_views.labels([names[u].most_common(1)[0][0] for u in ids],
                         [staff_views.PAGE_SEPARATOR.join(sorted(pages[u])) for u in ids])
    return dict(zip(ids, shown))


def by_assignee(frame: pd.DataFrame, lang: str, page_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Conversations per staff member, keyed by staff id (two people with one name are two bars,
    a conversation with two assignees counts for each), labelled by name (``assignee_labels``)."""
    ids = pd.Series([uid for uid, _, _ in conv.assignees(frame)], dtype="str")
    labels = {**assignee_labels(frame, page_names), conv.NONE_VALUE: i18n.t("conv.unassigned", lang)}
    return _breakdown(ids, labels, None, len(frame))


def settle_drill(drill: conv.Drill | None, frame: pd.DataFrame,
                 lang: str) -> tuple[conv.Drill | None, str | None]:
    """The filter to apply and a notice: an assignee filter holding a name (a link from before
    the filter held ids) becomes that person's id when one person has the name; when several do,
    it is dropped and the notice says why (it would show them all as one)."""
    named = conv.assignee_named(frame, drill)
    if len(named) == 1:
        return conv.Drill("assignee", named[0]), None
    if len(named) > 1:
        return None, i18n.t("conv.drill_name_shared", lang, name=drill.value, n=fmt.number(len(named), lang))
    return drill, None


def _flag_values(s: pd.Series) -> pd.Series:
    return s.map(lambda v: "?" if is_missing(v) else ("1" if bool(v) else "0"))


def by_flag(frame: pd.DataFrame, col: str, lang: str) -> pd.DataFrame:
    """``has_phone`` or ``from_ads``: yes, no, and unknown when some rows do not say."""
    values = _flag_values(frame[col]) if len(frame) else pd.Series(dtype="str")
    order = ["1", "0"] + (["?"] if (values == "?").any() else [])
    labels = {"1": i18n.t("conv.yes", lang), "0": i18n.t("conv.no", lang), "?": i18n.t("conv.unknown", lang)}
    return _breakdown(values, labels, order, len(frame))


def by_day(frame: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """``date, conversations`` (and per type) for every day of the range, 0 on a quiet day."""
    days = pd.date_range(start, end, freq="D")
    out = pd.DataFrame({"date": days})
    work = _ones(frame).assign(date=frame["created_at"].dt.normalize()) if len(frame) else None
    out[ONE] = metrics.daily_series(work, ONE, start, end) if work is not None else [0.0] * len(days)
    for t in conv.TYPES:
        sub = work[work["type"].fillna("") == t] if work is not None else None
        out[t.lower()] = metrics.daily_series(sub, ONE, start, end) if sub is not None and len(sub) else [0.0] * len(days)
    for c in [ONE, *[t.lower() for t in conv.TYPES]]:
        out[c] = out[c].astype("int64")
    return out


def weekday_hour(frame: pd.DataFrame) -> pd.DataFrame:
    """7 × 24 conversations created per local weekday (Mon = 0) and hour."""
    if frame.empty:
        return metrics.weekday_hour_sums(None, ONE)
    return metrics.weekday_hour_sums(_ones(frame), ONE, hour_col="created_at").astype("int64")


# --- figures (each bar / cell carries its drill-down value in customdata) ------------------------

def breakdown_figure(b: pd.DataFrame, lang: str, *, title: str | None = None, key: str = "count") -> go.Figure:
    fig = charts.bars(list(b["label"]), list(b["conversations"]), lang=lang, title=title,
                      value_label=metrics.label(ONE, lang, SOURCE), key=key)
    # the drill-down value of each bar (horizontal bars are drawn last first)
    fig.data[0].meta = list(b["key"])[::-1]
    return fig


def day_figure(days: pd.DataFrame, lang: str, *, partial: bool = False) -> go.Figure:
    """Conversations per day, stacked by type (the types that occur)."""
    series = {t.lower(): type_label(t, lang) for t in conv.TYPES if days[t.lower()].sum() > 0}
    return charts.time_series(days, "date", series or {ONE: metrics.label(ONE, lang, SOURCE)}, lang=lang,
                              kind="bar", stacked=True, partial=partial, named=True)


def heatmap_figure(grid: pd.DataFrame, lang: str) -> go.Figure:
    return charts.heatmap(grid, lang=lang, value_label=metrics.label(ONE, lang, SOURCE),
                          x_labels=[f"{h:02d}" for h in range(24)],
                          y_labels=[fmt.weekday_name(i, lang) for i in range(7)], height=300)


def drill_from_point(dimension: str, point: Mapping[str, Any], breakdown: pd.DataFrame | None = None,
                     lang: str = "vi") -> conv.Drill | None:
    """The filter a clicked bar or cell stands for (a Plotly selection point)."""
    if dimension == "slot":
        names = [fmt.weekday_name(i, lang) for i in range(7)]
        y, x = point.get("y"), point.get("x")
        if y in names and x is not None:
            return conv.parse_drill(f"slot:{names.index(y)}-{int(str(x))}")
        return None
    if dimension == "day":
        x = point.get("x")
        return conv.parse_drill(f"day:{str(x)[:10]}") if x is not None else None
    label = point.get("y") if point.get("y") is not None and not isinstance(point.get("y"), (int, float)) \
        else point.get("x")
    if breakdown is None or label is None:
        return None
    match = breakdown[breakdown["label"] == str(label)]
    return conv.parse_drill(f"{dimension}:{match['key'].iloc[0]}") if len(match) else None


def drill_text(drill: conv.Drill, lang: str, labels: Mapping[str, str] | None = None) -> str:
    """``"Tag: Khách mới"`` — what the table is filtered to, in words; ``labels``: the bars'
    labels by key (an assignee's name for their id)."""
    d, v = drill.dimension, drill.value
    if d == "type":
        value = type_label(v, lang)
    elif d in ("phone", "ads"):
        value = yes_no(v == "1", lang)
    elif d == "tag" and v == conv.NONE_VALUE:
        value = i18n.t("conv.no_tag", lang)
    elif d == "assignee" and v == conv.NONE_VALUE:
        value = i18n.t("conv.unassigned", lang)
    elif d == "day":
        value = fmt.date(date.fromisoformat(v), lang)
    elif d == "slot":
        wd, hr = (int(x) for x in v.split("-"))
        value = f"{fmt.weekday_name(wd, lang)} {fmt.hour(hr, lang)}"
    else:
        value = (labels or {}).get(v, v)
    return f"{i18n.t(DIMENSION_LABEL[d], lang)}: {value}"


# --- tables -----------------------------------------------------------------------------------------

def breakdown_table(b: pd.DataFrame, lang: str, label_key: str) -> Table:
    frame = b[["label", "conversations", "share", "key"]].rename(columns={"label": "name"})
    cols = [Column("name", i18n.t(label_key, lang), unit="text"),
            Column("conversations", metrics.label(ONE, lang, SOURCE), metrics.help_text(ONE, lang, SOURCE)),
            Column("share", i18n.t("conv.share", lang), i18n.t("conv.share_help", lang), unit="ratio")]
    # ``key`` is the drill-down's own value: the page uses it, no download writes it
    return Table(frame=frame.reset_index(drop=True), columns=cols, internal=("key",))


def day_table(days: pd.DataFrame, lang: str) -> Table:
    cols = [tables.column("date", lang), Column(ONE, metrics.label(ONE, lang, SOURCE))]
    cols += [Column(t.lower(), type_label(t, lang)) for t in conv.TYPES]
    return Table(frame=days.reset_index(drop=True), columns=cols)


def with_names(frame: pd.DataFrame, page_names: Mapping[str, str] | None, lang: str) -> pd.DataFrame:
    """The conversation frame plus ``page_name`` and the type in words."""
    out = frame.copy()
    out.insert(1, "page_name", map_values(out["page_id"], lambda p: (page_names or {}).get(p, p)).astype("str"))
    out["type_name"] = map_values(out["type"], lambda t: type_label(t, lang)).astype("str")
    return out


TABLE_COLUMNS = ["customer_name", "page_name", "type_name", "created_at", "updated_at", "tag_names",
                 "assignee_names", "has_phone", "message_count", "from_ads"]


def conversation_table(frame: pd.DataFrame, lang: str, page_names: Mapping[str, str] | None = None) -> Table:
    """The filterable table: one row per conversation, newest first; ids kept for the CSV."""
    data = with_names(frame, page_names, lang)
    data = data.assign(has_phone=map_values(data["has_phone"], lambda v: yes_no(v, lang)).astype("str"),
                       from_ads=map_values(data["from_ads"], lambda v: yes_no(v, lang)).astype("str"))
    keep = [*TABLE_COLUMNS, "conversation_id", "page_id", "customer_id", "type", "tag_ids", "assignee_ids"]
    cols = [Column("customer_name", i18n.t("conv.col.customer", lang), unit="text"),
            Column("page_name", i18n.t("col.page_name", lang), unit="text"),
            Column("type_name", i18n.t("conv.col.type", lang), unit="text"),
            Column("created_at", i18n.t("conv.col.created", lang), unit="datetime"),
            Column("updated_at", i18n.t("conv.col.updated", lang), unit="datetime"),
            Column("tag_names", i18n.t("conv.col.tags", lang), unit="text"),
            Column("assignee_names", i18n.t("conv.col.assignees", lang), unit="text"),
            Column("has_phone", i18n.t("conv.col.phone", lang), unit="text"),
            Column("message_count", metrics.label("message_count", lang, SOURCE),
                   metrics.help_text("message_count", lang, SOURCE)),
            Column("from_ads", i18n.t("conv.col.from_ads", lang), unit="text")]
    return Table(frame=data[keep].reset_index(drop=True), columns=cols, internal=("type",))   # type_name says it


def waiting_table(w: pd.DataFrame, lang: str, page_names: Mapping[str, str] | None = None) -> Table:
    """Waiting now, longest first: the wait as a duration, page, tags, assignee; ``breach``
    marks the rows over the threshold (shown with a sign)."""
    data = with_names(w, page_names, lang)
    data["over"] = [i18n.t("conv.over_threshold", lang) if b else "" for b in w["breach"]]
    keep = ["over", "wait_ms", "customer_name", "page_name", "type_name", "tag_names", "assignee_names",
            "waiting_since", "snippet", "conversation_id", "page_id", "breach"]
    cols = [Column("over", i18n.t("conv.col.over", lang), unit="warning"),
            Column("wait_ms", metrics.label("wait_ms", lang, SOURCE), metrics.help_text("wait_ms", lang, SOURCE),
                   unit="ms"),
            Column("customer_name", i18n.t("conv.col.customer", lang), unit="text"),
            Column("page_name", i18n.t("col.page_name", lang), unit="text"),
            Column("type_name", i18n.t("conv.col.type", lang), unit="text"),
            Column("tag_names", i18n.t("conv.col.tags", lang), unit="text"),
            Column("assignee_names", i18n.t("conv.col.assignees", lang), unit="text"),
            Column("waiting_since", i18n.t("conv.col.since", lang), unit="datetime"),
            Column("snippet", i18n.t("conv.col.snippet", lang), unit="text")]
    return Table(frame=data[keep].reset_index(drop=True), columns=cols)


def message_side(from_customer: Any) -> str:
    """"customer", "page" or "unknown" for a message's ``from_customer`` (a Python or numpy
    bool, or ``<NA>`` when the API did not say who sent it)."""
    if is_missing(from_customer):
        return "unknown"
    return "customer" if bool(from_customer) else "page"


def _is_bot(value: Any) -> bool:
    return not is_missing(value) and bool(value)


def _side_label(side: str, bot: bool, lang: str) -> str:
    if side == "page" and bot:
        return i18n.t("conv.bot", lang)
    return i18n.t({"customer": "conv.customer", "page": "conv.page"}.get(side, "conv.unknown"), lang)


@dataclass(frozen=True)
class ChatLine:
    """One message of the reader as a chat bubble: plain text (the renderer escapes nothing
    into markdown: it shows it as text)."""
    side: str           # "customer" (one side), "page" (the other side), "unknown"
    who: str            # the customer, the staff member who replied, or the bot (marked)
    at: str             # "06/07 14:59" local; "" when the API gave no time
    text: str
    bot: bool


def chat_lines(msgs: pd.DataFrame | None, lang: str, *, customer_name: str = "",
               page_name: str = "") -> list[ChatLine]:
    """The messages oldest first as a chat: the customer's on one side, the page's on the
    other, each page reply named by the staff member who sent it (``staff_name``) and a reply
    sent automatically or by AI marked as the bot's. A page reply no staff member is named on
    carries the page's name; a message without text says what it holds."""
    out: list[ChatLine] = []
    if msgs is None or msgs.empty:
        return out
    for r in msgs.itertuples(index=False):
        side = message_side(r.from_customer)
        bot = _is_bot(getattr(r, "bot", None))
        staff = str(getattr(r, "staff_name", "") or "").strip()
        sender = str(r.sender or "").strip()
        if side == "customer":
            who = sender or customer_name or i18n.t("conv.customer", lang)
        elif side == "page":
            who = staff or page_name or sender or i18n.t("conv.page", lang)
            if bot:
                who = i18n.t("conv.bot_reply", lang, name=who)
        else:
            who = sender or i18n.t("conv.unknown", lang)
        text = str(r.text or "").strip()
        if not text:
            n = int(r.attachments or 0) if not is_missing(r.attachments) else 0
            text = i18n.t("conv.attachments", lang, n=n) if n else i18n.t("conv.no_text", lang)
        at = "" if is_missing(r.sent_at) else f"{pd.Timestamp(r.sent_at):%d/%m %H:%M}"
        out.append(ChatLine(side=side, who=who, at=at, text=text, bot=bot))
    return out


def messages_table(msgs: pd.DataFrame, lang: str) -> Table:
    """The messages as a table (the download): the side (customer, page or bot), the sender
    (the staff member on a page reply) and the text."""
    bots = msgs["bot"] if "bot" in msgs.columns else pd.Series(pd.NA, index=msgs.index)
    data = msgs.assign(who=[_side_label(message_side(v), _is_bot(b), lang)
                            for v, b in zip(msgs["from_customer"], bots)])
    cols = [Column("sent_at", i18n.t("conv.col.sent", lang), unit="text"),
            Column("who", i18n.t("conv.col.who", lang), unit="text"),
            Column("sender", i18n.t("conv.col.sender", lang), unit="text"),
            Column("text", i18n.t("conv.col.text", lang), unit="text")]
    return Table(frame=data.reset_index(drop=True), columns=cols)


# --- page customers ---------------------------------------------------------------------------------

def customer_totals(customers: pd.DataFrame) -> dict[str, Any]:
    n = len(customers)
    known = int(customers["has_phone"].notna().sum()) if n else 0
    phones = int(customers["has_phone"].fillna(False).astype(bool).sum()) if n else 0
    return {"customers": n, "with_phone": phones if known else None,
            "phone_share": metrics.safe_div(phones, known) if known else None}


def customer_kpis(customers: pd.DataFrame, reported_total: int | None = None, *,
                  complete: bool = True) -> list[Kpi]:
    """Customers (the API's count when given), with phone and the phone share. When the list
    was capped (``complete`` False) the phone figures of a part are not the range's: unknown."""
    t = customer_totals(customers)
    value = reported_total if reported_total is not None else t["customers"]
    with_phone, share = (t["with_phone"], t["phone_share"]) if complete else (None, None)
    return [Kpi("customers", value, source=SOURCE), Kpi("with_phone", with_phone, source=SOURCE),
            Kpi("phone_share", share, source=SOURCE)]


def customers_table(customers: pd.DataFrame, lang: str, page_names: Mapping[str, str] | None = None) -> Table:
    data = customers.copy()
    data.insert(1, "page_name", data["page_id"].map(lambda p: (page_names or {}).get(p, p)).astype("str"))
    data["phone"] = data["has_phone"].map(lambda v: yes_no(v, lang)).astype("str")
    data["gender"] = data["gender"].map(lambda g: gender_label(g, lang)).astype("object")
    cols = [Column("name", i18n.t("conv.col.customer", lang), unit="text"),
            Column("page_name", i18n.t("col.page_name", lang), unit="text"),
            Column("created_at", i18n.t("conv.col.created", lang), unit="datetime"),
            Column("phone", i18n.t("conv.col.phone", lang), unit="text"),
            Column("phone_numbers", i18n.t("conv.col.phone_numbers", lang), unit="text")]
    # has_phone is the "phone" column in words: the download writes it once
    return Table(frame=data.reset_index(drop=True), columns=cols, internal=("has_phone",))


def gender_label(value: Any, lang: str) -> str:
    """"male"/"female" in words; another value as the API sent it; none: empty."""
    if is_missing(value) or str(value).strip() == "":
        return ""
    key = f"conv.gender.{str(value).strip().lower()}"
    return i18n.t(key, lang) if i18n.has(key) else str(value)


def new_customers_by_day(customers: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    work = customers.assign(date=customers["created_at"].dt.normalize(), customers=1) if len(customers) else None
    return pd.DataFrame({"date": pd.date_range(start, end, freq="D"),
                         "customers": [int(v) for v in metrics.daily_series(work, "customers", start, end)]
                         if work is not None else 0})


def customers_day_figure(days: pd.DataFrame, lang: str, *, partial: bool = False) -> go.Figure:
    return charts.time_series(days, "date", {"customers": metrics.label("customers", lang, SOURCE)}, lang=lang,
                              kind="bar", partial=partial)


# --- the export: one row per conversation ----------------------------------------------------------

EXPORT_COLUMNS = ["conversation_id", "page_id", "page_name", "type", "created_at", "updated_at", "tags",
                  "assignees", "has_phone", "message_count", "from_ads", "customer_id", "customer_name"]


def export_frame(frame: pd.DataFrame, page_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per conversation, oldest first, with the API's field names: id, page, type,
    created and updated (local time of the configured zone), tags and assignees by name, phone
    captured, message count and from ads (booleans; empty when unknown). The CLI and the
    dashboard's download write this same frame."""
    out = pd.DataFrame({
        "conversation_id": frame["conversation_id"].astype("str"),
        "page_id": frame["page_id"].astype("str"),
        "page_name": frame["page_id"].map(lambda p: (page_names or {}).get(p, p)).astype("str"),
        "type": frame["type"].astype("string"),
        "created_at": frame["created_at"], "updated_at": frame["updated_at"],
        "tags": frame["tag_names"].astype("str"), "assignees": frame["assignee_names"].astype("str"),
        "has_phone": frame["has_phone"].astype("boolean"), "message_count": frame["message_count"].astype("Int64"),
        "from_ads": frame["from_ads"].astype("boolean"),
        "customer_id": frame["customer_id"].astype("str"), "customer_name": frame["customer_name"].astype("str"),
    }, columns=EXPORT_COLUMNS)
    return out.sort_values(["created_at", "conversation_id"], kind="stable").reset_index(drop=True)


def export_table(frame: pd.DataFrame, lang: str, page_names: Mapping[str, str] | None = None) -> Table:
    """The export frame as a dashboard table: the same columns, labelled in the viewer's
    language, the type and yes/no in words (the CLI keeps the API's names and values)."""
    data = export_frame(frame, page_names)
    data["type"] = data["type"].map(lambda v: type_label(v, lang)).astype("object")   # words, not "COMMENT"
    units = {"message_count": "count", "created_at": "datetime", "updated_at": "datetime", "has_phone": "yesno",
             "from_ads": "yesno"}
    cols = [Column(c, i18n.t(f"conv.export.{c}", lang), unit=units.get(c, "text")) for c in EXPORT_COLUMNS]
    return Table(frame=data, columns=cols)


def covers_label(covers_from: datetime, end: date, lang: str) -> str:
    """The period a capped load's figures cover: "03/12 – 06/12/2026" from a midnight, else
    "14:05 06/12/2026 – 06/12/2026"."""
    if covers_from.time() == time_of_day.min:
        return fmt.date_range(covers_from.date(), end, lang)
    return f"{fmt.clock(covers_from, lang)} {fmt.date(covers_from, lang)}{fmt.DASH_RANGE}{fmt.date(end, lang)}"


MAX_NAMED_PAGES = 5   # a notice names at most this many pages, then says how many more


def pages_named(names: Sequence[str], shown: int, lang: str) -> str:
    """The pages a notice is about, readable at 24 pages: every name when there are few; "all 24
    pages" when they are every page shown (``shown``); else the first three and how many more
    ("A, B, C and 21 more pages"). ``names`` are given as they are to appear (escaped)."""
    names = list(names)
    if len(names) > 1 and len(names) >= shown:
        return i18n.t("common.all_n_pages", lang, n=fmt.number(len(names), lang))
    if len(names) <= MAX_NAMED_PAGES:
        return ", ".join(names)
    return i18n.t("common.n_more_pages", lang, names=", ".join(names[:3]), n=fmt.number(len(names) - 3, lang))

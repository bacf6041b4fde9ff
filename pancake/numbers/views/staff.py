"""Staff page computations: KPIs, the leaderboard (one row per person across pages), the
staff × hour-of-day matrix, the per-page breakdown, their tables and figures. Pure (no
Streamlit), unit-tested; every sum and weighted mean comes from ``pancake.numbers.metrics``.

A member with no reply session in the range has no response time (NaN, shown "—"), never 0;
``statistics/users`` sends no ``order_count``, so orders appear only when the API sent them
(the user API's multi-page statistics may).
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pancake import fmt, i18n
from pancake.numbers import charts, metrics
from pancake.numbers.views import is_missing, tables
from pancake.numbers.views.cards import Kpi

SOURCE = "staff"

COUNT_FIELDS = ("inbox_count", "comment_count", "unique_inbox_count", "unique_comment_count",
                "phone_number_count", "private_reply_count", "order_count")
KPI_FIELDS = ("inbox_count", "comment_count", "average_response_time", "phone_number_count", "order_count")


# --- KPIs -----------------------------------------------------------------------------------

def kpis(totals: pd.DataFrame | None, previous: pd.DataFrame | None, *, compare: bool = True) -> list[Kpi]:
    """Messages, comment replies, response time (weighted by reply sessions), phone numbers
    and, when the API sent them, orders (no card rather than a false 0). ``previous`` None
    (or ``compare`` False): no change shown."""
    cur = metrics.staff_overall(totals, KPI_FIELDS)
    prev = metrics.staff_overall(previous, KPI_FIELDS) if compare and previous is not None else {}
    return [Kpi(f, cur[f], prev.get(f), source=SOURCE) for f in KPI_FIELDS
            if f != "order_count" or cur[f] is not None]


# --- labels -----------------------------------------------------------------------------------

PAGE_SEPARATOR = ", "   # between the page names of one member (``_page_names``)


def labels(names: Sequence[Any], pages: Sequence[Any] | None = None) -> list[str]:
    """Staff labelled by name. Namesakes (two people, one name) on different pages get their
    page when they work on one ("An · Shop A"); labels still alike (namesakes on one page, or pages unknown) are
    numbered in order ("An (1)", "An (2)"): two people never share one bar or one heatmap row,
    and no id shows."""
    names = [str(n) for n in names]
    pages = [None] * len(names) if pages is None else [None if is_missing(p) or str(p) == "" else str(p)
                                                       for p in pages]
    their_pages: dict[str, set] = {}
    for n, p in zip(names, pages):
        their_pages.setdefault(n, set()).add(p)
    # a person is named once: a page is added only when it is their one page (an agency's
    # namesake on five pages is "An (1)", their pages in the table's column, never a list)
    out = [f"{n} · {p}" if p and PAGE_SEPARATOR not in p and len(their_pages[n]) > 1 else n
           for n, p in zip(names, pages)]
    again, k = Counter(out), Counter()
    for i, text in enumerate(out):
        if again[text] > 1:
            k[text] += 1
            out[i] = f"{text} ({k[text]})"
    return out


_NO_NAME = ("", "nan", "None", "<NA>")


def member_ids(ids: pd.Series) -> pd.Series:
    """Pancake user ids as one text form (an id sent as a number or with spaces is the same id)."""
    return ids.astype("str").str.strip()


def member_names(frame: pd.DataFrame | None) -> dict[str, str]:
    """One name per person (Pancake user id) across pages, the same wherever they are shown:
    the name most of their pages give (ties: the name of the page first by id); a missing or
    empty name never wins over a given one. People without any name are left out (they show
    as "#id")."""
    if frame is None or frame.empty or "user_name" not in frame.columns:
        return {}
    work = pd.DataFrame({"user_id": member_ids(frame["user_id"]).to_numpy(),
                         "page_id": frame["page_id"].astype("str").to_numpy(),
                         "name": frame["user_name"].astype("str").str.strip().to_numpy()})
    given = work["name"].notna() & ~work["name"].isin(_NO_NAME) & frame["user_name"].notna().to_numpy()
    pairs = work[given.to_numpy()].drop_duplicates(["user_id", "page_id", "name"])
    if pairs.empty:
        return {}
    votes = pairs.groupby(["user_id", "name"], sort=False)["page_id"].agg(["nunique", "min"]).reset_index()
    votes = votes.sort_values(["user_id", "nunique", "min", "name"], ascending=[True, False, True, True], kind="stable")
    best = votes.drop_duplicates("user_id", keep="first")
    return dict(zip(best["user_id"], best["name"]))


def _page_names(ids: str, names: Mapping[str, str]) -> str:
    return PAGE_SEPARATOR.join(names.get(p, p) for p in ids.split(",") if p)


# --- leaderboard ----------------------------------------------------------------------------

LEADERBOARD_COLUMNS = ["user_id", "user_name", "page_id", "page_name", "inbox_count", "comment_count",
                       "unique_inbox_count", "unique_comment_count", "phone_number_count",
                       "private_reply_count", "order_count", "average_response_time", "share_of_replies"]
_TEXT = ("user_id", "user_name", "page_id", "page_name")
_FLOAT = ("average_response_time", "share_of_replies")


def leaderboard(totals: pd.DataFrame | None, names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per staff member (by ``user_id``) across pages, most replies first; numbers only.

    Counts summed and ``average_response_time`` (ms) weighted by reply sessions
    (``metrics.combine_users``: NaN for a member without any); ``share_of_replies`` from
    ``metrics.share_of_replies`` (0..1); ``page_id`` lists the member's pages joined with ","
    and ``page_name`` names them. ``order_count`` stays ``<NA>`` when the API sent none."""
    if totals is None or totals.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in _TEXT else "float64" if c in _FLOAT else "Int64")
                             for c in LEADERBOARD_COLUMNS})
    work = totals.assign(user_id=member_ids(totals["user_id"]))
    for c in COUNT_FIELDS:
        if c not in work.columns:
            work[c] = pd.Series(pd.NA, index=work.index, dtype="Int64")
    board = metrics.combine_users(work[["page_id", "user_id", "user_name", *COUNT_FIELDS, "average_response_time"]],
                                  by=["user_id"])
    board["share_of_replies"] = metrics.share_of_replies(board).to_numpy()
    names_of = member_names(work)     # one name per person, the same on every table and chart
    board["user_name"] = pd.Series([names_of.get(u, "#" + u) for u in board["user_id"]],
                                   index=board.index, dtype="str")
    board["page_name"] = board["page_id"].map(lambda ids: _page_names(ids, names or {})).astype("str")
    board = board.sort_values(["share_of_replies", "user_name"], ascending=[False, True], kind="stable",
                              na_position="last")
    return board.reset_index(drop=True)[LEADERBOARD_COLUMNS]


def board(totals: pd.DataFrame | None, names: Mapping[str, str] | None = None, n: int | None = None) -> pd.DataFrame:
    """The first ``n`` rows of :func:`leaderboard` (all when ``n`` is None): the standup screen's board."""
    return leaderboard(totals, names).head(n) if n is not None else leaderboard(totals, names)


def has_orders(board: pd.DataFrame) -> bool:
    return "order_count" in board.columns and bool(board["order_count"].notna().any())


def with_orders(board: pd.DataFrame, user_api: pd.DataFrame | None) -> pd.DataFrame:
    """The leaderboard with each member's orders closed from the user API's own statistics
    (``cache.multi_page_users``: ``statistics/users`` sends no orders), summed per member
    (``metrics.sums_by``); orders the page statistics sent are kept. Without that frame, or
    with no orders in it, the board is unchanged."""
    if user_api is None or user_api.empty or metrics.total(user_api, "order_count") is None:
        return board
    orders = metrics.sums_by(user_api.assign(user_id=user_api["user_id"].astype("str")), "user_id",
                             ["order_count"])["order_count"]
    mine = board["order_count"] if "order_count" in board.columns else pd.Series(pd.NA, index=board.index)
    filled = mine.astype("Float64").fillna(board["user_id"].map(orders).astype("Float64"))
    return board.assign(order_count=filled.round().astype("Int64"))


def display_fields(board: pd.DataFrame) -> list[str]:
    """The leaderboard's figures, the telling ones first: replies, response time, share."""
    fields = ["inbox_count", "comment_count", "average_response_time", "share_of_replies",
              "phone_number_count", "unique_inbox_count", "unique_comment_count", "private_reply_count"]
    if has_orders(board):
        fields.insert(4, "order_count")
    return fields


def _overall(frame: pd.DataFrame, fields: Sequence[str]) -> dict[str, Any]:
    """A staff table's totals row: counts summed and the response time weighted by reply
    sessions over its rows (``metrics.staff_overall``); the share of replies of everyone is
    their replies over their replies."""
    out = metrics.staff_overall(frame, [f for f in fields if f in frame.columns])
    replies = float(metrics.replies(frame).sum()) if not frame.empty else math.nan
    out["share_of_replies"] = metrics.safe_div(replies, replies)
    return out


def leaderboard_table(board: pd.DataFrame, lang: str, previous: pd.DataFrame | None = None, *,
                      reply_times: pd.DataFrame | None = None,
                      reply_total: Mapping[str, Any] | None = None) -> tables.Table:
    """The leaderboard as shown and downloaded: the member (namesakes with their pages), then
    the figures that tell (numbers: a header click sorts them as numbers), then the pages and
    the rest; a totals row (weighted response time)
    and, with ``previous`` (the previous period's ``statistics/users`` totals), each member's
    change in messages sent. Ids are hidden on screen and kept in the download; ``order_count``
    is left out when no source sent it (never a column of zeros). ``reply_times``
    (``views.replies.staff_columns``: median, P90, share within target from the messages, by
    ``user_id``) go right after Pancake's average; ``reply_total`` is their totals row."""
    frame = board if has_orders(board) else board.drop(columns=["order_count"])
    fields = display_fields(board)
    before = None
    if previous is not None:
        before = leaderboard(previous).set_index("user_id")["inbox_count"]
    frame = tables.with_change(frame, "user_id", "inbox_count", before, SOURCE)
    frame = frame.assign(user_name=labels(frame["user_name"], frame["page_name"]))   # namesakes: "An · Shop A"
    key_figures = fields[1:5 if has_orders(board) else 4]
    keys = ["user_name", "inbox_count", tables.change_key("inbox_count"), *key_figures, "page_name",
            *(f for f in fields[1:] if f not in key_figures)]
    extra: dict[str, tables.Column] = {}
    total = _overall(board, COUNT_FIELDS)
    if previous is not None:
        total = tables.total_change(total, "inbox_count", metrics.total(leaderboard(previous), "inbox_count"), SOURCE)
    if reply_times is not None:
        frame = frame.merge(reply_times, on="user_id", how="left")
        added = [c for c in ("reply_median", "reply_p90", "reply_within") if c in reply_times.columns]
        at = keys.index("average_response_time") + 1 if "average_response_time" in keys else len(keys)
        keys[at:at] = added
        units = {"reply_median": "ms", "reply_p90": "ms", "reply_within": "ratio"}
        extra = {c: tables.Column(c, i18n.t(f"replies.staff_{c.split('_')[1]}", lang),
                                  i18n.t("replies.staff_help", lang), unit=units[c]) for c in added}
        total = {**total, **(reply_total or {})}
    return tables.table(frame, keys, lang, SOURCE, total=total,
                        page_name=tables.Column("page_name", i18n.t("staff.pages", lang), unit="text"),
                        **{tables.change_key("inbox_count"): tables.change_column("inbox_count", lang, SOURCE)},
                        **extra)


REPLY_TABLE_KEYS = ("user_name", "average_response_time", "reply_median", "reply_p90", "reply_within")


def reply_times_table(board: pd.DataFrame, lang: str, reply_times: pd.DataFrame,
                      reply_total: Mapping[str, Any] | None = None) -> tables.Table:
    """The Staff page's response times from the messages (issue 21), a section of its own under
    the leaderboard (drawn once the messages are read, so the leaderboard never waits for them):
    each member, Pancake's average, then the median, P90 and share within target
    (``leaderboard_table``'s own columns and totals, nothing else)."""
    full = leaderboard_table(board, lang, reply_times=reply_times, reply_total=reply_total)
    columns = [c for c in full.columns if c.key in REPLY_TABLE_KEYS]
    frame = full.frame[[c for c in full.frame.columns if c in REPLY_TABLE_KEYS or c in ("user_id", "page_id")]]
    total = {k: v for k, v in (full.total or {}).items() if k in REPLY_TABLE_KEYS} if full.total is not None else None
    return tables.Table(frame=frame, columns=columns, total=total)


def replies_figure(board: pd.DataFrame, lang: str, top: int = 20) -> go.Figure:
    """Stacked horizontal bars: messages sent and comment replies per staff member (top N),
    one bar per person even when two share a name."""
    b = board.head(top).assign(label=lambda d: labels(d["user_name"], d["page_name"]))
    return charts.grouped_bars(b, "label",
                               {"inbox_count": metrics.label("inbox_count", lang, SOURCE),
                                "comment_count": metrics.label("comment_count", lang, SOURCE)},
                               lang=lang, horizontal=True, stacked=True,
                               height=max(260, 28 * len(b) + 110))


# --- staff × hour of day --------------------------------------------------------------------

def hour_matrix(hourly: pd.DataFrame | None, top: int = 15,
                page_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Rows: staff members (by user_id, labelled by name, plus their pages (``page_names``)
    when two share a name; most replies first, at most ``top``);
    columns 0..23: replies (``metrics.replies``) summed over the range's days and pages by local
    hour of day; 0 in an hour without rows."""
    cols = list(range(24))
    if hourly is None or hourly.empty:
        return pd.DataFrame(columns=cols, dtype="float64")
    work = pd.DataFrame({"user_id": member_ids(hourly["user_id"]),
                         "hour_of_day": pd.to_datetime(hourly["hour"]).dt.hour,
                         "replies": metrics.replies(hourly)})
    order = metrics.sums_by(work, "user_id", ["replies"])["replies"].sort_values(ascending=False, kind="stable")
    users = list(order.index[:top])
    sums = metrics.sums_by(work, ["user_id", "hour_of_day"], ["replies"])["replies"]
    grid = sums.unstack("hour_of_day").reindex(index=users, columns=cols).fillna(0.0).astype("float64")
    names = member_names(hourly)
    pages = hourly.assign(user_id=work["user_id"]).groupby("user_id")["page_id"].agg(
        lambda ps: _page_names(",".join(dict.fromkeys(ps.astype("str"))), page_names or {}))
    grid.index = labels([names.get(u, f"#{u}") for u in users], [pages.get(u) for u in users])
    grid.columns = cols
    grid.attrs["staff"] = [(u, pages.get(u, "")) for u in users]   # (user id, page names) per row: the CSV's
    return grid


def heatmap_figure(matrix: pd.DataFrame, lang: str) -> go.Figure:
    """Replies per staff member and hour of day, in the colour of answers."""
    return charts.heatmap(matrix, lang=lang, x_labels=[fmt.hour(h, lang) for h in matrix.columns],
                          y_labels=[str(i) for i in matrix.index], colorscale=charts.COLORSCALES["replies"],
                          value_label=i18n.t("staff.replies", lang))


def hour_matrix_csv(matrix: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The staff × hour matrix as a download: each member's label, id and pages (by name), then
    one column of replies per hour of day, headed in ``lang``."""
    out = matrix.reset_index(names=i18n.t("staff.name", lang))
    out.columns = [out.columns[0]] + [fmt.hour(h, lang) for h in matrix.columns]
    for c in out.columns[1:]:
        out[c] = out[c].astype("int64")
    staff = matrix.attrs.get("staff") or [("", "")] * len(matrix)
    out.insert(1, i18n.t("col.user_id", lang), [u for u, _ in staff])
    out.insert(2, i18n.t("staff.pages", lang), [p for _, p in staff])
    return out


# --- per page -------------------------------------------------------------------------------

PER_PAGE_FIELDS = ("inbox_count", "comment_count", "average_response_time", "phone_number_count",
                   "private_reply_count")


def per_page(totals: pd.DataFrame | None, page_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per page, numbers only: counts summed over its staff, response time weighted
    (``metrics.weighted_response_time``; NaN for a page without any reply session)."""
    cols = ["page_id", "page_name", *PER_PAGE_FIELDS]
    if totals is None or totals.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in ("page_id", "page_name") else "float64")
                             for c in cols})
    keep = ["page_id", *[c for c in COUNT_FIELDS if c in totals.columns], "average_response_time"]
    out = metrics.weighted_response_time(totals[keep], ["page_id"])
    out.insert(1, "page_name", out["page_id"].map(lambda p: (page_names or {}).get(p, p)).astype("str"))
    out = out.sort_values("inbox_count", ascending=False, kind="stable").reset_index(drop=True)
    return out[cols]


def per_page_table(pp: pd.DataFrame, lang: str, *, totals: pd.DataFrame | None = None,
                   previous: pd.DataFrame | None = None) -> tables.Table:
    """The per-page breakdown: the page's name first (its id in the download), a totals row
    from ``totals`` (the ``statistics/users`` rows: response time weighted by reply sessions,
    never a mean of the pages' means) and, with ``previous`` (the previous period's rows),
    each page's change in messages sent."""
    before = per_page(previous).set_index("page_id")["inbox_count"] if previous is not None else None
    frame = tables.with_change(pp, "page_id", "inbox_count", before, SOURCE)
    keys = ["page_name", "inbox_count", tables.change_key("inbox_count"), *PER_PAGE_FIELDS[1:]]
    total = metrics.staff_overall(totals, PER_PAGE_FIELDS) if totals is not None else None
    if previous is not None:
        total = tables.total_change(total, "inbox_count", metrics.total(per_page(previous), "inbox_count"), SOURCE)
    return tables.table(frame, keys, lang, SOURCE, total=total,
                        **{tables.change_key("inbox_count"): tables.change_column("inbox_count", lang, SOURCE)})

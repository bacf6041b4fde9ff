"""Staff page computations: KPI cards, the leaderboard (one row per person across pages),
the staff × hour-of-day matrix and their figures. Pure (no Streamlit), unit-tested.

Also home of :class:`Card`/:func:`card`, the source-aware KPI card spec the staff, tags and
customers pages share: ``ui.components.kpi_cards`` looks metrics up without a source (so
``order_count``/``phone_number_count`` get the engagement/staff meaning everywhere) and gives
Streamlit a delta starting with U+2212, which Streamlit reads as a rise; a Card carries the
right label/help and an explicit arrow and colour instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from .. import charts, fmt, i18n, metrics
from . import _is_missing, delta_text, format_metric

SOURCE = "staff"

COUNT_FIELDS = ("inbox_count", "comment_count", "unique_inbox_count", "unique_comment_count",
                "phone_number_count", "private_reply_count", "order_count")
KPI_FIELDS = ("inbox_count", "comment_count", "average_response_time", "phone_number_count", "order_count")


# --- KPI cards (shared by the staff, tags and customers pages) --------------------------------

@dataclass(frozen=True)
class Card:
    field: str
    label: str
    value: str                  # formatted for the language
    delta: str | None           # formatted change, None when not compared
    color: str                  # "green" | "red" | "gray"
    arrow: str                  # "up" | "down" | "off"
    help: str
    raw: Any = None             # the number behind ``value`` (tests, CSV)
    previous: Any = None
    spark: tuple[float, ...] | None = None


def card(field: str, value: Any, previous: Any, lang: str, *, source: str | None = None,
         compare: bool = True, text: Callable[[Any], str] | None = None,
         spark: Sequence[float] | None = None) -> Card:
    """A KPI card spec: label and tooltip from the metric catalogue (for ``source``), the value
    formatted for ``lang``, and the change against ``previous`` with the arrow following the
    sign and the colour following the metric's better direction (lower is better -> inverted)."""
    m = metrics.metric(field, source)
    shown = text(value) if text is not None else format_metric(field, value, lang)
    if m is not None and m.unit == "ratio" and text is None:
        shown = "—" if _is_missing(value) else fmt.ratio_as_percent(value, lang)
    d = delta_text(value, previous, lang) if compare else None
    color, arrow = "gray", "off"
    if d is not None:
        change = float(value) - float(previous)
        arrow = "up" if change > 0 else "down" if change < 0 else "off"
        better = m.better if m is not None else None
        if change == 0 or better is None:
            color = "gray"
        else:
            color = "green" if (change > 0) == (better == "up") else "red"
    return Card(field=field, label=metrics.label(field, lang, source),
                value=shown, delta=d, color=color, arrow=arrow,
                help=metrics.help_text(field, lang, source), raw=value, previous=previous,
                spark=tuple(spark) if spark is not None else None)


# --- totals and KPIs ------------------------------------------------------------------------

def _sum(frame: pd.DataFrame | None, col: str) -> int | None:
    """Sum of a count column; None when the column is absent or wholly null (not given)."""
    if frame is None or col not in frame.columns:
        return None
    if frame.empty:
        return 0
    s = pd.to_numeric(frame[col], errors="coerce")
    if s.notna().sum() == 0:
        return None
    return int(s.sum())


def overall(totals: pd.DataFrame | None) -> dict[str, Any]:
    """The KPI numbers of a staff totals frame (any number of pages/users): counts summed,
    response time weighted by reply sessions; ``order_count`` None when the API gave none."""
    out: dict[str, Any] = {}
    frame = totals if totals is not None else pd.DataFrame()
    for f in COUNT_FIELDS:
        v = _sum(frame, f)
        out[f] = (0 if v is None and f != "order_count" else v)
    if frame.empty or "average_response_time" not in frame.columns:
        out["average_response_time"] = math.nan
    else:
        out["average_response_time"] = float(metrics.weighted_response_time(frame, [])
                                             ["average_response_time"].iloc[0])
    return out


def kpi_cards(current: pd.DataFrame | None, previous: pd.DataFrame | None, lang: str, *,
              compare: bool = True) -> list[Card]:
    cur, prev = overall(current), overall(previous) if previous is not None else {}
    cards = []
    for f in KPI_FIELDS:
        if f == "order_count" and cur.get(f) is None:
            continue  # statistics/users does not send orders: no card rather than a false 0
        cards.append(card(f, cur.get(f), prev.get(f), lang, source=SOURCE,
                          compare=compare and previous is not None))
    return cards


# --- leaderboard ----------------------------------------------------------------------------

LEADERBOARD_COLUMNS = ["user_id", "user_name", "page_id", "inbox_count", "comment_count",
                       "unique_inbox_count", "unique_comment_count", "phone_number_count",
                       "private_reply_count", "order_count", "average_response_time", "share_of_replies"]


def leaderboard(totals: pd.DataFrame | None) -> pd.DataFrame:
    """One row per staff member (by ``user_id``) across pages, most replies first.

    Counts are summed; ``average_response_time`` (ms) is weighted by
    ``unique_inbox_count + unique_comment_count``; ``page_id`` lists the member's pages
    joined with ","; ``share_of_replies`` = (inbox_count + comment_count) / the same over
    every row shown (0..1)."""
    if totals is None or totals.empty:
        out = pd.DataFrame({c: pd.Series(dtype="str") for c in ("user_id", "user_name", "page_id")})
        for c in LEADERBOARD_COLUMNS[3:]:
            out[c] = pd.Series(dtype="float64" if c in ("average_response_time", "share_of_replies") else "Int64")
        return out
    work = totals.copy()
    work["user_id"] = work["user_id"].astype("str")
    for c in COUNT_FIELDS:
        if c not in work.columns:
            work[c] = pd.Series(pd.NA, index=work.index, dtype="Int64")
    combined = metrics.combine_users(work[["page_id", "user_id", "user_name", *COUNT_FIELDS,
                                           "average_response_time"]], by=["user_id"])
    combined["share_of_replies"] = metrics.share_of_replies(combined).to_numpy()
    replies = (pd.to_numeric(combined["inbox_count"], errors="coerce").fillna(0)
               + pd.to_numeric(combined["comment_count"], errors="coerce").fillna(0))
    combined = (combined.assign(_r=replies.to_numpy())
                .sort_values(["_r", "user_name"], ascending=[False, True], kind="stable")
                .drop(columns="_r").reset_index(drop=True))
    names = combined["user_name"].astype("str")
    combined["user_name"] = names.where(~names.isin(["", "nan", "None", "<NA>"]), "#" + combined["user_id"])
    return combined[LEADERBOARD_COLUMNS]


def has_orders(board: pd.DataFrame) -> bool:
    return "order_count" in board.columns and bool(board["order_count"].notna().any())


def leaderboard_csv(board: pd.DataFrame) -> pd.DataFrame:
    """The leaderboard as downloaded: API field names, response time in milliseconds,
    share of replies as a fraction; ``order_count`` dropped when the API gave none."""
    out = board.copy()
    if not has_orders(out):
        out = out.drop(columns=["order_count"])
    return out


def display_fields(board: pd.DataFrame) -> list[str]:
    fields = ["inbox_count", "comment_count", "average_response_time", "share_of_replies",
              "unique_inbox_count", "unique_comment_count", "phone_number_count", "private_reply_count"]
    if has_orders(board):
        fields.insert(4, "order_count")
    return fields


def leaderboard_display(board: pd.DataFrame, lang: str,
                        page_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The leaderboard as shown: name, pages (names), and every metric formatted for ``lang``
    (durations human-readable, share as a percentage). Columns keep the API field names so
    the page can attach labels and tooltips."""
    names = page_names or {}
    out = pd.DataFrame({
        "user_name": board["user_name"].astype("str"),
        "page_id": board["page_id"].astype("str").map(
            lambda ids: ", ".join(names.get(p, p) for p in ids.split(",") if p)),
    })
    for f in display_fields(board):
        if f == "average_response_time":
            out[f] = [fmt.duration_ms(v, lang) for v in board[f]]
        elif f == "share_of_replies":
            out[f] = [fmt.ratio_as_percent(v, lang) for v in board[f]]
        else:
            out[f] = [fmt.number(v, lang) for v in board[f]]
    return out


def column_labels(fields: Sequence[str], lang: str) -> dict[str, tuple[str, str]]:
    """{field: (label, tooltip)} for the leaderboard's metric columns."""
    return {f: (metrics.label(f, lang, SOURCE), metrics.help_text(f, lang, SOURCE)) for f in fields}


def replies_figure(board: pd.DataFrame, lang: str, top: int = 20) -> go.Figure:
    """Stacked horizontal bars: messages sent and comment replies per staff member (top N)."""
    b = board.head(top).copy()
    dup = b["user_name"].duplicated(keep=False)  # two people, one name: two bars, not one
    b.loc[dup, "user_name"] = b.loc[dup, "user_name"] + " (#" + b.loc[dup, "user_id"].str[:6] + ")"
    fig = charts.grouped_bars(b, "user_name",
                              {"inbox_count": metrics.label("inbox_count", lang, SOURCE),
                               "comment_count": metrics.label("comment_count", lang, SOURCE)},
                              horizontal=True, stacked=True,
                              height=max(260, 28 * len(b) + 110))
    fig.update_layout(hovermode="y unified")
    return fig


# --- staff × hour of day --------------------------------------------------------------------

def hour_matrix(hourly: pd.DataFrame | None, top: int = 15) -> pd.DataFrame:
    """Rows: staff members (by user_id, labelled by name, most replies first, at most ``top``);
    columns 0..23: inbox_count + comment_count summed over the range's days and pages by local
    hour of day."""
    cols = list(range(24))
    if hourly is None or hourly.empty:
        return pd.DataFrame(columns=cols, dtype="float64")
    h = pd.to_datetime(hourly["hour"])
    work = pd.DataFrame({
        "user_id": hourly["user_id"].astype("str").to_numpy(),
        "hr": h.dt.hour.to_numpy(),
        "v": (pd.to_numeric(hourly["inbox_count"], errors="coerce").fillna(0)
              + pd.to_numeric(hourly["comment_count"], errors="coerce").fillna(0)).astype("float64").to_numpy(),
    })
    grid = work.pivot_table(index="user_id", columns="hr", values="v", aggfunc="sum", fill_value=0.0)
    grid = grid.reindex(columns=cols, fill_value=0.0).astype("float64")
    grid = grid.loc[grid.sum(axis=1).sort_values(ascending=False, kind="stable").index].head(top)
    names = (hourly.assign(user_id=hourly["user_id"].astype("str"))
             .dropna(subset=["user_name"]).drop_duplicates("user_id").set_index("user_id")["user_name"])
    labels = [str(names.get(u, f"#{u}")) for u in grid.index]
    # Two people with the same name stay two rows: suffix the id.
    seen: dict[str, int] = {}
    for lab in labels:
        seen[lab] = seen.get(lab, 0) + 1
    grid.index = [lab if seen[lab] == 1 else f"{lab} (#{u})" for lab, u in zip(labels, grid.index)]
    grid.columns = cols
    return grid


def heatmap_figure(matrix: pd.DataFrame, lang: str) -> go.Figure:
    return charts.heatmap(matrix, x_labels=[fmt.hour(h, lang) for h in matrix.columns],
                          y_labels=[str(i) for i in matrix.index],
                          value_label=i18n.t("staff.replies", lang))


def hour_matrix_csv(matrix: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = matrix.reset_index(names=i18n.t("staff.name", lang))
    out.columns = [out.columns[0]] + [fmt.hour(h, lang) for h in matrix.columns]
    for c in out.columns[1:]:
        out[c] = out[c].astype("int64")
    return out


# --- per page -------------------------------------------------------------------------------

def per_page(totals: pd.DataFrame | None, page_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per page: counts summed over its staff, response time weighted."""
    cols = ["page_id", "page_name", "inbox_count", "comment_count", "phone_number_count",
            "private_reply_count", "average_response_time"]
    if totals is None or totals.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in ("page_id", "page_name") else "float64")
                             for c in cols})
    keep = ["page_id", *[c for c in COUNT_FIELDS if c in totals.columns], "average_response_time"]
    out = metrics.weighted_response_time(totals[keep], ["page_id"])
    out.insert(1, "page_name", out["page_id"].map(lambda p: (page_names or {}).get(p, p)).astype("str"))
    out = out.sort_values("inbox_count", ascending=False, kind="stable").reset_index(drop=True)
    return out[cols]


PER_PAGE_FIELDS = ("inbox_count", "comment_count", "average_response_time", "phone_number_count",
                   "private_reply_count")


def per_page_display(pp: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = pd.DataFrame({"page_name": pp["page_name"].astype("str")})
    for f in PER_PAGE_FIELDS:
        out[f] = [fmt.duration_ms(x, lang) if f == "average_response_time" else fmt.number(x, lang)
                  for x in pp[f]]
    return out

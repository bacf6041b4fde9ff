"""Page activity computations (``statistics/pages``, one row per page and local hour): customer
demand against the page's answers, the reply ratio from sums, the hour-of-day profile, the
weekday × hour map of unanswered demand, the silent hours and their tables. Pure; every sum and
ratio is ``pancake.numbers.metrics``'. A silent hour: customers sent messages
(``customer_inbox_count > 0``) and the page sent none (``page_inbox_count == 0``).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pancake import fmt, i18n
from pancake.numbers import charts, metrics
from pancake.numbers.views import tables
from pancake.numbers.views.cards import Kpi, sum_kpi
from pancake.numbers.views.engagement import heatmap_figure, series

SRC = "activity"
PROFILE_FIELDS = ("customer_inbox_count", "page_inbox_count", "customer_comment_count", "page_comment_count")
PER_PAGE_FIELDS = ("customer_inbox_count", "page_inbox_count", "customer_comment_count",
                   "page_comment_count", "new_inbox_count", "phone_number_count")
SILENT_FIELDS = ("silent_hours", "unanswered_messages")


def _counts(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(0.0, index=frame.index)
    return frame[col].astype("Float64").fillna(0).astype("float64")


def kpis(hourly: pd.DataFrame | None, previous: pd.DataFrame | None, start: date, end: date,
         *, compare: bool = True) -> list[Kpi]:
    """Customer messages, page messages sent, reply ratio (from sums; its change in points),
    new conversations, phone numbers; customer comments and page comment replies. No change
    when ``previous`` is None."""
    def summed(f: str) -> Kpi:
        return sum_kpi(f, hourly, previous, start, end, source=SRC, date_col="hour", compare=compare)
    return [summed("customer_inbox_count"), summed("page_inbox_count"),
            reply_ratio_kpi(hourly, previous, start, end, compare=compare),
            *(summed(f) for f in ("new_inbox_count", "phone_number_count", "customer_comment_count",
                                  "page_comment_count"))]


def reply_ratio_kpi(hourly: pd.DataFrame | None, previous: pd.DataFrame | None, start: date, end: date,
                    *, compare: bool = True) -> Kpi:
    """The reply ratio card: page messages / customer messages from the sums, now and then,
    with each day's ratio as the sparkline."""
    return Kpi(field="reply_ratio", value=reply_ratio(hourly),
               previous=reply_ratio(previous) if compare and previous is not None else None,
               spark=daily_ratio(hourly, start, end), source=SRC)


def reply_ratio(frame: pd.DataFrame | None) -> float:
    """``metrics.reply_ratio`` of the rows given; NaN without rows or customer messages."""
    return math.nan if frame is None or frame.empty else metrics.reply_ratio(frame)


def daily_ratio(frame: pd.DataFrame | None, start: date, end: date) -> list[float]:
    """The reply ratio of each day (from that day's sums); NaN on days without customer messages."""
    days = pd.date_range(start, end, freq="D")
    if frame is None or frame.empty:
        return [math.nan] * len(days)
    per_day = metrics.reply_ratio(frame.assign(day=pd.to_datetime(frame["hour"]).dt.normalize()), by=["day"])
    by_day = dict(zip(per_day["day"], per_day["reply_ratio"]))
    return [float(by_day.get(d, math.nan)) for d in days]


def hourly_series(frame: pd.DataFrame | None, start: date, end: date, tz: str | None = None,
                  now: datetime | None = None) -> pd.DataFrame:
    """Every local hour of [start, end] in zone ``tz`` with demand and answers summed over pages
    (0 where absent; a repeated autumn hour twice, a skipped spring hour not at all; unknown
    after ``now``, never 0)."""
    return series(frame, PROFILE_FIELDS, start, end, grain="hour", tz=tz, now=now)


def silent_mask(frame: pd.DataFrame) -> pd.Series:
    """Rows (page-hours) where customers sent messages and the page sent none (a null count is
    none). The one silent-hour rule: this page's table and heatmap, and the no-reply flag
    (``unanswered_since``)."""
    return (_counts(frame, "customer_inbox_count") > 0) & (_counts(frame, "page_inbox_count") == 0)


def unanswered_since(rows: pd.DataFrame) -> tuple[pd.Timestamp | None, Any]:
    """Of one page's hourly rows: the first silent hour (``silent_mask``) after the last hour in
    which the page sent a message (its customers' first unanswered message falls in that hour),
    and the customer messages from then on; (None, 0) when none is unanswered. Within one hour
    the order of messages is unknown: an hour in which the page answered counts as answered."""
    if rows is None or rows.empty:
        return None, 0
    rows = rows.assign(_h=pd.to_datetime(rows["hour"])).sort_values("_h", kind="stable")
    answered = _counts(rows, "page_inbox_count") > 0
    after = rows[rows["_h"] > rows["_h"][answered].iloc[-1]] if answered.any() else rows
    silent = after[silent_mask(after)]
    if silent.empty:
        return None, 0
    since = silent["_h"].iloc[0]
    return since, metrics.total(after[after["_h"] >= since], "customer_inbox_count")


def _marked(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` plus ``silent_hours`` (1 on a silent page-hour, else 0) and
    ``unanswered_messages`` (the customer messages of a silent page-hour, else 0)."""
    silent = silent_mask(frame)
    return frame.assign(silent_hours=silent.astype("int64"),
                        unanswered_messages=_counts(frame, "customer_inbox_count").where(silent, 0.0))


def hour_profile(frame: pd.DataFrame | None) -> pd.DataFrame:
    """24 rows (hour_of_day 0-23): demand and answers summed over days and pages, the reply
    ratio from those sums, and the silent hours / unanswered messages that fall at that hour."""
    fields = [*PROFILE_FIELDS, *SILENT_FIELDS]
    hours = pd.Index(range(24), name="hour_of_day")
    if frame is None or frame.empty:
        out = pd.DataFrame(0, index=hours, columns=fields).astype("Int64")
        out["reply_ratio"] = math.nan
    else:
        work = _marked(frame).assign(hour_of_day=pd.to_datetime(frame["hour"]).dt.hour)
        out = metrics.sums_by(work, "hour_of_day", fields).reindex(hours, fill_value=0)
        ratio = metrics.reply_ratio(work, by=["hour_of_day"]).set_index("hour_of_day")["reply_ratio"]
        out["reply_ratio"] = ratio.reindex(hours).astype("float64")
        out[fields] = out[fields].astype("Int64")
    return out.reset_index()[["hour_of_day", *PROFILE_FIELDS, "reply_ratio", *SILENT_FIELDS]]


def unanswered_grid(frame: pd.DataFrame | None) -> pd.DataFrame:
    """7 × 24: customer messages in silent page-hours, by weekday (Mon=0) and hour."""
    return metrics.weekday_hour_sums(None if frame is None else _marked(frame), "unanswered_messages")


def silent_hours(frame: pd.DataFrame | None, names: Mapping[str, str]) -> pd.DataFrame:
    """The silent page-hours, most customer messages first (then newest first)."""
    cols = ["page_name", "page_id", "hour", "customer_inbox_count", "page_inbox_count",
            "customer_comment_count", "page_comment_count"]
    if frame is None or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in ("page_name", "page_id") else
                                          ("datetime64[ns]" if c == "hour" else "Int64")) for c in cols})
    rows = frame[silent_mask(frame)].copy()
    rows["page_name"] = rows["page_id"].map(lambda p: names.get(p, p)).astype("str")
    for c in cols:
        if c not in rows.columns:
            rows[c] = pd.NA
    rows = rows.sort_values(["customer_inbox_count", "hour"], ascending=[False, False], kind="stable")
    return rows[cols].reset_index(drop=True)


def silent_summary(frame: pd.DataFrame | None) -> tuple[int, int, float]:
    """(silent page-hours, customer messages in them, their share of all customer messages)."""
    if frame is None or frame.empty:
        return 0, 0, math.nan
    m = _marked(frame)
    msgs = metrics.total(m, "unanswered_messages")
    return metrics.total(m, "silent_hours"), msgs, metrics.safe_div(msgs, metrics.total(frame, "customer_inbox_count"))


def per_page_table(frame: pd.DataFrame | None, names: Mapping[str, str]) -> pd.DataFrame:
    """One row per page: demand, answers, reply ratio (from the page's sums), new conversations,
    phone numbers, silent hours and unanswered messages; most customer messages first."""
    cols = ["page_name", "page_id", "customer_inbox_count", "page_inbox_count", "reply_ratio",
            "customer_comment_count", "page_comment_count", "new_inbox_count", "phone_number_count",
            *SILENT_FIELDS]
    if frame is None or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in ("page_name", "page_id") else "float64")
                             for c in cols})
    out = metrics.per_page_sums(_marked(frame), [*PER_PAGE_FIELDS, *SILENT_FIELDS]).reset_index()
    ratio = metrics.reply_ratio(frame, by=["page_id"]).set_index("page_id")["reply_ratio"]
    out["reply_ratio"] = out["page_id"].map(ratio).astype("float64")
    out["page_name"] = out["page_id"].map(lambda p: names.get(p, p)).astype("str")
    out[list(SILENT_FIELDS)] = out[list(SILENT_FIELDS)].astype("Int64")
    out = out.sort_values("customer_inbox_count", ascending=False, kind="stable", na_position="last")
    return out[cols].reset_index(drop=True)


def table(frame: pd.DataFrame, lang: str, *, total: Mapping[str, Any] | None = None,
          keys: list[str] | None = None, **columns: tables.Column) -> tables.Table:
    """Any of the page's tables: statistics/pages columns, the silent hours and unanswered
    messages with their own labels and definitions; ids stay in the download, off the screen."""
    extra = {c: tables.column(c, lang, label=i18n.t(f"act.{c}", lang), help=i18n.t(f"act.{c}_help", lang),
                              unit="count") for c in SILENT_FIELDS}
    shown = keys or [c for c in frame.columns if c not in tables.ID_COLUMNS]
    return tables.table(frame, shown, lang, SRC, total=total, **{**extra, **columns})


def per_page_view(by_page: pd.DataFrame, lang: str, previous: pd.DataFrame | None = None) -> tables.Table:
    """The per-page comparison: the page's name, its customer messages, answers and reply ratio
    with (given ``previous``, the previous period's hourly rows) the ratio's change in points;
    a totals row of the sums with the reply ratio from the summed messages (never a mean of the
    pages' ratios)."""
    before = metrics.reply_ratio(previous, by=["page_id"]).set_index("page_id")["reply_ratio"] \
        if previous is not None and not previous.empty else None
    frame = tables.with_change(by_page, "page_id", "reply_ratio", before, SRC)
    fields = [c for c in by_page.columns if c not in ("page_name", "page_id")]
    total = {f: metrics.total(by_page, f) for f in fields if f != "reply_ratio"}
    total["reply_ratio"] = metrics.reply_ratio(by_page) if not by_page.empty else math.nan
    if before is not None:     # the ratio of every page's summed messages then, as now
        total = tables.total_change(total, "reply_ratio", metrics.reply_ratio(previous), SRC)
    first = ["customer_inbox_count", "page_inbox_count", "reply_ratio"]
    keys = ["page_name", *first, tables.change_key("reply_ratio"), *(f for f in fields if f not in first)]
    return table(frame, lang, total=total, keys=keys,
                 **{tables.change_key("reply_ratio"): tables.change_column("reply_ratio", lang, SRC)})


# --- figures --------------------------------------------------------------------------------

def _label(field: str, lang: str) -> str:
    return metrics.label(field, lang, SRC)


def hourly_figure(series_frame: pd.DataFrame, lang: str, *, partial: bool = False) -> go.Figure:
    """Customer messages against page messages sent, every hour of the range (summed per day
    over more than ``charts.HOURLY_MAX_DAYS`` days). ``partial``: the last hour/day is not over."""
    fields = ["customer_inbox_count", "page_inbox_count"]
    frame, x, summed = charts.readable(series_frame, "hour", fields)
    return charts.time_series(frame, x, {f: _label(f, lang) for f in fields}, lang=lang,
                              title=i18n.t("act.daily" if summed else "act.hourly", lang),
                              subtitle=charts.summed_note(lang) if summed else None,
                              kind="bar" if summed else "area", partial=partial)


def profile_figure(profile: pd.DataFrame, lang: str) -> go.Figure:
    """Bars of demand and replies per hour of day, with the reply ratio (%) on a second axis
    running from 0 to 100 %. No title: the page's heading above it names it."""
    x = [fmt.hour(h, lang) for h in profile["hour_of_day"]]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    counts = []
    for f in ("customer_inbox_count", "page_inbox_count"):
        y = profile[f].astype("Float64").astype("float64")
        counts += list(y)
        fig.add_trace(go.Bar(x=x, y=y, name=_label(f, lang), marker_color=charts.color(f),
                             customdata=charts.texts(y, "count", lang),
                             hovertemplate=f"{_label(f, lang)}: %{{customdata}}<extra></extra>"), secondary_y=False)
    ratio = profile["reply_ratio"].astype("float64")
    name = _label("reply_ratio", lang) + " (%)"
    fig.add_trace(go.Scatter(x=x, y=(ratio * 100).round(1), name=name, mode="lines+markers",
                             line=dict(color=charts.color("reply_ratio")), connectgaps=False,
                             customdata=charts.texts(ratio, "ratio", lang),
                             hovertemplate=f"{name}: %{{customdata}}<extra></extra>"), secondary_y=True)
    fig.update_layout(barmode="group")
    fig.update_xaxes(type="category")
    fig.update_yaxes(secondary_y=False, **charts.value_axis("count", lang, counts))
    fig.update_yaxes(secondary_y=True, showgrid=False, **charts.value_axis("percent", lang, list(ratio * 100)))
    return charts.layout(fig, lang, None, height=380)


def unanswered_figure(grid: pd.DataFrame, lang: str) -> go.Figure:
    """No title: the page's heading above it names it."""
    return heatmap_figure(grid, lang, field="unanswered_messages",
                          value_label=i18n.t("act.unanswered_messages", lang))

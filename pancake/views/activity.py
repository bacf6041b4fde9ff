"""Page activity computations (``statistics/pages``, one row per page and local hour):
customer demand (messages, comments) against the page's answers, the reply ratio
recomputed from sums, the hour-of-day profile, the weekday × hour map of unanswered
demand and the list of silent hours. Pure pandas/plotly, no Streamlit.

"Silent hour": an hour of one page in which customers sent messages
(``customer_inbox_count > 0``) and the page sent none (``page_inbox_count == 0``).
Its customer messages are the "unanswered demand" the heatmap shows.
"""
from __future__ import annotations

from datetime import date
from typing import Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .. import charts, fmt, i18n, metrics
from . import daily_series, ratio, total, weekday_hour_matrix
from .engagement import KpiData, kpi_from, tidy

SRC = "activity"
DEMAND = ("customer_inbox_count", "customer_comment_count")
ANSWERS = ("page_inbox_count", "page_comment_count")
PROFILE_FIELDS = ("customer_inbox_count", "page_inbox_count", "customer_comment_count", "page_comment_count")
PER_PAGE_FIELDS = ("customer_inbox_count", "page_inbox_count", "customer_comment_count",
                   "page_comment_count", "new_inbox_count", "phone_number_count")


def _counts(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(0.0, index=frame.index)
    return frame[col].astype("Float64").fillna(0).astype("float64")


def kpis(hourly: pd.DataFrame | None, previous: pd.DataFrame | None, start: date, end: date,
         *, compare: bool = True) -> list[KpiData]:
    """Customer messages, page messages sent, reply ratio (from sums), new conversations,
    phone numbers; customer comments and page comment replies."""
    out = [kpi_from(f, hourly, previous, start, end, date_col="hour", source=SRC, with_previous=compare)
           for f in ("customer_inbox_count", "page_inbox_count")]
    out.append(KpiData(field="reply_ratio", value=reply_ratio(hourly),
                       previous=reply_ratio(previous) if compare else None,
                       spark=daily_ratio(hourly, start, end), source=SRC))
    out += [kpi_from(f, hourly, previous, start, end, date_col="hour", source=SRC, with_previous=compare)
            for f in ("new_inbox_count", "phone_number_count", "customer_comment_count",
                      "page_comment_count")]
    return out


def reply_ratio(frame: pd.DataFrame | None) -> float:
    """sum(page_inbox_count) / sum(customer_inbox_count); NaN without customer messages."""
    return ratio(total(frame, "page_inbox_count"), total(frame, "customer_inbox_count"))


def daily_ratio(frame: pd.DataFrame | None, start: date, end: date) -> list[float]:
    """The reply ratio of each day (from that day's sums); NaN on days without customer messages."""
    page = daily_series(frame, "page_inbox_count", start, end, date_col="hour")
    cust = daily_series(frame, "customer_inbox_count", start, end, date_col="hour")
    return [ratio(p, c) for p, c in zip(page, cust)]


def hourly_series(frame: pd.DataFrame | None, start: date, end: date) -> pd.DataFrame:
    """Every local hour of [start, end] with demand and answers summed over pages (0 where absent)."""
    from .engagement import series
    return series(frame, PROFILE_FIELDS, start, end, grain="hour")


def hour_profile(frame: pd.DataFrame | None) -> pd.DataFrame:
    """24 rows (hour_of_day 0-23): demand and answers summed over days and pages, the reply
    ratio from those sums, and the silent hours / unanswered messages that fall at that hour."""
    cols = ["hour_of_day", *PROFILE_FIELDS, "reply_ratio", "silent_hours", "unanswered_messages"]
    out = pd.DataFrame({"hour_of_day": range(24)})
    if frame is None or frame.empty:
        for c in cols[1:]:
            out[c] = 0.0 if c == "reply_ratio" else 0
        out["reply_ratio"] = float("nan")
        return out[cols]
    work = pd.DataFrame({"hour_of_day": pd.to_datetime(frame["hour"]).dt.hour})
    for f in PROFILE_FIELDS:
        work[f] = _counts(frame, f)
    silent = silent_mask(frame)
    work["silent_hours"] = silent.astype("float64")
    work["unanswered_messages"] = _counts(frame, "customer_inbox_count").where(silent, 0.0)
    sums = work.groupby("hour_of_day").sum()
    out = out.set_index("hour_of_day").join(sums).fillna(0.0).reset_index()
    out["reply_ratio"] = [ratio(p, c) for p, c in zip(out["page_inbox_count"], out["customer_inbox_count"])]
    for c in cols[1:]:
        if c != "reply_ratio":
            out[c] = out[c].round().astype("Int64")
    return out[cols]


def silent_mask(frame: pd.DataFrame) -> pd.Series:
    """Rows (page-hours) where customers sent messages and the page sent none."""
    return (_counts(frame, "customer_inbox_count") > 0) & (_counts(frame, "page_inbox_count") == 0)


def unanswered_grid(frame: pd.DataFrame | None) -> pd.DataFrame:
    """7 × 24: customer messages in silent page-hours, by weekday (Mon=0) and hour."""
    if frame is None or frame.empty:
        return weekday_hour_matrix(None, "unanswered")
    work = frame[["hour"]].copy()
    work["unanswered"] = _counts(frame, "customer_inbox_count").where(silent_mask(frame), 0.0)
    return weekday_hour_matrix(work, "unanswered")


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
        return 0, 0, float("nan")
    mask = silent_mask(frame)
    msgs = int(_counts(frame, "customer_inbox_count")[mask].sum())
    return int(mask.sum()), msgs, ratio(msgs, total(frame, "customer_inbox_count"))


def per_page_table(frame: pd.DataFrame | None, names: Mapping[str, str]) -> pd.DataFrame:
    """One row per page: demand, answers, reply ratio (from the page's sums), new conversations,
    phone numbers, silent hours and unanswered messages; most customer messages first."""
    cols = ["page_name", "page_id", "customer_inbox_count", "page_inbox_count", "reply_ratio",
            "customer_comment_count", "page_comment_count", "new_inbox_count", "phone_number_count",
            "silent_hours", "unanswered_messages"]
    if frame is None or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="str" if c in ("page_name", "page_id") else "float64")
                             for c in cols})
    rows = []
    for pid, part in frame.groupby("page_id", sort=False):
        n_silent, msgs, _ = silent_summary(part)
        row = {"page_name": names.get(pid, pid), "page_id": pid}
        for f in PER_PAGE_FIELDS:
            row[f] = total(part, f)
        row["reply_ratio"] = reply_ratio(part)
        row["silent_hours"] = n_silent
        row["unanswered_messages"] = msgs
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in cols:
        if c not in ("page_name", "page_id", "reply_ratio"):
            out[c] = out[c].astype("Int64")
    out["reply_ratio"] = out["reply_ratio"].astype("float64")
    out = out.sort_values("customer_inbox_count", ascending=False, kind="stable")
    return out[cols].reset_index(drop=True)


# --- figures --------------------------------------------------------------------------------

def _label(field: str, lang: str) -> str:
    return metrics.label(field, lang, SRC)


def hourly_figure(series_frame: pd.DataFrame, lang: str) -> go.Figure:
    """Customer messages against page messages sent, every hour of the range."""
    return tidy(charts.time_series(series_frame, "hour",
                              {"customer_inbox_count": _label("customer_inbox_count", lang),
                               "page_inbox_count": _label("page_inbox_count", lang)},
                              title=i18n.t("act.hourly", lang), kind="area"))


def profile_figure(profile: pd.DataFrame, lang: str) -> go.Figure:
    """Bars of demand and replies per hour of day, with the reply ratio (%) on a second axis."""
    x = [fmt.hour(h, lang) for h in profile["hour_of_day"]]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for i, f in enumerate(("customer_inbox_count", "page_inbox_count")):
        fig.add_trace(go.Bar(x=x, y=profile[f].astype("Float64").astype("float64"), name=_label(f, lang),
                             marker_color=charts.PALETTE[i]), secondary_y=False)
    pct = (profile["reply_ratio"].astype("float64") * 100).round(1)
    fig.add_trace(go.Scatter(x=x, y=pct, name=_label("reply_ratio", lang) + " (%)", mode="lines+markers",
                             line=dict(color=charts.PALETTE[3]), connectgaps=False), secondary_y=True)
    fig.update_layout(barmode="group")
    fig.update_yaxes(rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title="%", rangemode="tozero", secondary_y=True, showgrid=False)
    fig.update_layout(title=dict(text=i18n.t("act.profile", lang)), height=380,
                      margin=dict(l=10, r=10, t=50, b=10), hovermode="x unified",
                      legend=dict(orientation="h", yanchor="top", y=-0.15, xanchor="left", x=0))
    return fig


def unanswered_figure(grid: pd.DataFrame, lang: str) -> go.Figure:
    from .engagement import heatmap_figure
    return heatmap_figure(grid, lang, title=i18n.t("act.unanswered", lang),
                          value_label=i18n.t("act.unanswered_messages", lang), colorscale="Reds")

"""Plotly figure builders: frame in, figure out. Pure, so unit tests can read the traces.

Every builder speaks the UI language to the last label (separators, date and hour axes, compact
money, hover texts written with :mod:`pancake.fmt`; plotly's own number format is English).
Colours keep one meaning across pages (:data:`COLORS`); the previous period is always grey
(:data:`PREVIOUS`). A bucket that is not over (today, the current hour) is drawn lighter and
says so; hours after now are unknown, never 0, and not drawn. An hourly series over more than
:data:`HOURLY_MAX_DAYS` days is summed per day (:func:`by_day`).

Pages pass already-labelled data; builders only lay out. Every text that enters a figure goes
through :func:`plain` once: Plotly draws a subset of HTML in text, so a name is shown as it
reads, never as markup.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pancake import fmt, i18n
from pancake.numbers import metrics

# --- colours: one meaning each, on every page --------------------------------------------------

BLUE, ORANGE, NAVY = "#2563eb", "#f97316", "#1e3a8a"           # what customers send
GREEN, LIGHT_GREEN = "#16a34a", "#4ade80"                       # what the page and its staff answer
PURPLE, PINK, AMBER = "#9333ea", "#db2777", "#ca8a04"           # new customers, conversations, phones
INDIGO, LIGHT_INDIGO = "#3730a3", "#a5b4fc"                     # orders (new, returning customers)
CYAN, TEAL, BROWN = "#0891b2", "#0f766e", "#92400e"             # ratios, ad spend, tags
PREVIOUS = "#9ca3af"    # the previous period: always grey
RED = "#dc2626"         # a warning (an ad spending without purchases)
MARK = "#6b7280"        # the legend's "not over yet" entry

COLORS: dict[str, str] = {
    "inbox": BLUE, "customer_inbox_count": BLUE,
    "comment": ORANGE, "customer_comment_count": ORANGE,
    "total": NAVY, "total_engagement": NAVY,
    "page_inbox_count": GREEN, "inbox_count": GREEN, "replies": GREEN,
    "page_comment_count": LIGHT_GREEN, "comment_count": LIGHT_GREEN,
    "new_customer": PURPLE, "new_customer_replied": PURPLE, "new_customer_count": PURPLE,
    "new_customer_from_inbox": PINK, "customer_engagement_new_inbox": PINK,
    "new_page_inbox_count": PINK, "new_inbox_count": PINK,
    "new_phone_number_count": AMBER, "phone_number_count": AMBER, "uniq_phone_number_count": AMBER,
    "order_count": INDIGO, "old_order_count": LIGHT_INDIGO,
    "reply_ratio": CYAN, "phone_capture_rate": CYAN, "share": CYAN,
    "spend": TEAL, "count": BROWN,
    "previous": PREVIOUS,
}
# series without a fixed meaning (tag names, ads): no grey, no warning red
CATEGORICAL = (BLUE, ORANGE, GREEN, PURPLE, PINK, AMBER, CYAN, INDIGO, BROWN, TEAL)
# heatmaps: the colour of what they count
COLORSCALES = {"total": "Blues", "replies": "Greens", "unanswered_messages": "Reds", "count": "YlOrBr"}


def plain(text: Any) -> str:
    """``text`` as Plotly shows it literally: ``&``, ``<`` and ``>`` as entities (Plotly reads
    entities back as characters). The one escaping of names entering a figure."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plains(values: Sequence[Any] | None) -> list[str] | None:
    """Each of ``values`` through :func:`plain`; an unknown one (None, NaN, NA) stays None (a
    gap, never the word "nan"); ``values`` None stays None."""
    if values is None:
        return None
    return [None if v is None or (not isinstance(v, str) and pd.isna(v)) else plain(v) for v in values]


LABEL_LINE = 26        # characters: a longer category label is drawn on two lines, each cut to this
WRAPPED_ROW_PX = 38    # px: a row of a chart whose labels take two lines (28 for one)


def _cut_end(line: str, width: int) -> str:
    return line if len(line) <= width else line[:width - 1].rstrip() + "…"


def _cut_middle(line: str, width: int) -> str:
    """Cut in the middle: the end that tells two alike apart ("#17", "…4821") stays."""
    if len(line) <= width:
        return line
    tail = (width - 1) // 2
    return line[:width - 1 - tail].rstrip() + "…" + line[-tail:].lstrip()


def axis_label(text: Any, width: int = LABEL_LINE) -> str:
    """A category label as an axis draws it (escaped, :func:`plain`): as it is when short;
    else on two lines, split at its first " · " (a person or an ad, then its page: "An<br>Shop
    A #17") or at a space, the first line cut at its end, the second in its middle (the end
    that tells two alike apart stays). A phone's chart keeps its labels whole and its plot
    wide; the hover keeps the label whole."""
    text = str(text)
    if len(text) <= width:
        return plain(text)
    if " · " in text:
        head, tail = text.split(" · ", 1)
    else:
        k = text.rfind(" ", 0, width + 1)
        head, tail = (text[:k], text[k + 1:]) if k > 0 else (text, "")
    lines = [_cut_end(head, width)] + ([_cut_middle(tail, width)] if tail else [])
    return "<br>".join(plain(line) for line in lines)


def category_ticks(fig: go.Figure, raw: Sequence[Any], axis: str = "y") -> bool:
    """Draw long category labels (``raw``, as given) on two lines (:func:`axis_label`) on
    ``axis``; the categories themselves (hovers, clicks) stay whole. True when one was."""
    keys = plains(raw) or []
    shown = [k if k is None else axis_label(r) for k, r in zip(keys, raw)]
    if shown == keys:
        return False
    pairs = [(k, t) for k, t in zip(keys, shown) if k is not None]
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(
        tickmode="array", tickvals=[k for k, _ in pairs], ticktext=[t for _, t in pairs])
    return True


def color(key: str, i: int = 0) -> str:
    """The colour of a metric (``COLORS``); a series without one takes the ``i``-th categorical."""
    return COLORS.get(key) or CATEGORICAL[i % len(CATEGORICAL)]


# --- the language of axes and hovers ---------------------------------------------------------

SEPARATORS = {"vi": ",.", "en": ".,"}      # plotly: decimal mark, then thousands separator
_DAY = {"vi": "%d/%m", "en": "%-d %b"}
_DAY_YEAR = {"vi": "%d/%m/%Y", "en": "%-d %b %Y"}
_MONTH = {"vi": "%m/%Y", "en": "%b %Y"}
_HOUR = "%H:%M"
DAY_MS = 86_400_000
HOURLY_MAX_DAYS = 14
PARTIAL_OPACITY = 0.45
DAILY_TICKS_MAX = 14      # a daily axis over this many days or fewer has a tick on every day


def date_axis(fig: go.Figure, lang: str, *, hourly: bool, one_day: bool = False, axis: str = "x") -> go.Figure:
    """Ticks and hover header of a date axis in ``lang``: "24/11" (vi) / "24 Nov" (en) per day,
    "14:00" plus the day per hour ("14:00" alone within one day), "11/2026" / "Nov 2026" per
    month; never an English month name in Vietnamese."""
    if one_day:
        stops = [dict(dtickrange=[None, None], value=_HOUR)]
    elif not hourly:   # one value a day: a tick of exactly one day is a date, never "00:00"
        stops = [dict(dtickrange=[None, "M1"], value=_DAY[lang]),
                 dict(dtickrange=["M1", None], value=_MONTH[lang])]
    else:
        stops = [dict(dtickrange=[None, DAY_MS - 1], value=f"{_HOUR}<br>{_DAY[lang]}"),
                 dict(dtickrange=[DAY_MS - 1, "M1"], value=_DAY[lang]),
                 dict(dtickrange=["M1", None], value=_MONTH[lang])]
    hover = f"{_HOUR} · {_DAY_YEAR[lang]}" if hourly else _DAY_YEAR[lang]
    props = dict(type="date", tickformatstops=stops, hoverformat=hover)
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(**props)
    return fig


def nice_ticks(top: float, n: int = 5) -> list[float]:
    """0 and about ``n`` round steps (1, 2, 2.5 or 5 × 10^k) reaching at least ``top``."""
    if not top or not math.isfinite(top) or top <= 0:
        return [0.0]
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw - 1e-12)
    return [k * step for k in range(int(math.ceil(top / step - 1e-9)) + 1)]


def _finite(values: Sequence[Any]) -> list[float]:
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out


def value_axis(unit: str, lang: str, values: Sequence[Any] = (), currency: str | None = None) -> dict:
    """Axis properties for values of ``unit``: money in compact words on round ticks
    ("1,5 tr ₫"); ratio (0..1) and percent (0..100) from 0 to 100 % (further when a value is
    above); counts grouped in the language ("1.234")."""
    vals = _finite(values)
    if unit == "money":
        ticks = nice_ticks(max(vals, default=0.0))
        return dict(tickmode="array", tickvals=ticks, range=[0, ticks[-1] or 1],
                    ticktext=[fmt.compact_money(v, currency, lang) if v else "0" for v in ticks])
    if unit in ("ratio", "percent"):
        scale = 1.0 if unit == "ratio" else 100.0
        top = max(1.0, max(vals, default=0.0) / scale)
        quarters = [k * 0.25 for k in range(int(math.ceil(top * 4 - 1e-9)) + 1)]
        return dict(tickmode="array", tickvals=[q * scale for q in quarters],
                    ticktext=[fmt.percent(q * 100, lang, decimals=0) for q in quarters],
                    range=[0, quarters[-1] * scale * 1.04])
    return dict(tickformat=",~f", rangemode="tozero")


def texts(values: Sequence[Any], unit: str, lang: str, currency: str | None = None) -> list[str]:
    """Each value as a hover or a bar label shows it (``fmt.by_unit``): "—" when unknown."""
    return [fmt.by_unit(unit, v, lang, currency) for v in values]


def _hover(label: str, body: str = "%{customdata}") -> str:
    return f"{label}: {body}<extra></extra>"


TITLE_WIDTH = 44      # characters of a chart title on one line: a phone's chart (390 px) holds about this many
TITLE_LINE_PX = 22    # px: a title's second line


def title_lines(title: str, width: int = TITLE_WIDTH) -> list[str]:
    """A chart title in lines a phone shows whole (Plotly never wraps a title, it cuts it at
    the edge): one line when short; else two, split after its ": " when that leaves a first
    line of 15 to ``width`` characters, else at the last space within ``width``."""
    title = str(title)
    if len(title) <= width:
        return [title]
    colon = title.find(": ")
    k = colon + 1 if 15 <= colon + 1 <= width else title.rfind(" ", 0, width + 1)
    if k <= 0:
        return [title]
    return [title[:k].rstrip(), title[k:].lstrip()]


def layout(fig: go.Figure, lang: str, title: str | None, *, height: int = 360,
           legend: bool = True, subtitle: str | None = None) -> go.Figure:
    """Title (and a smaller second line), height, margins, legend under the plot (a long title
    never runs into it), the language's separators."""
    lines = title_lines(title) if title else []
    title, subtitle = ("<br>".join(plain(line) for line in lines) if title else title), \
        (plain(subtitle) if subtitle else subtitle)
    text = f"{title}<br><sup>{subtitle}</sup>" if title and subtitle else subtitle or title
    extra = TITLE_LINE_PX * (len(lines) - 1) if lines else 0
    fig.update_layout(
        title=dict(text=text) if text else None, separators=SEPARATORS[lang],
        height=height + extra, margin=dict(l=10, r=10, t=((70 if subtitle else 50) + extra) if text else 20, b=10),
        legend=dict(orientation="h", yanchor="top", y=-0.15, xanchor="left", x=0) if legend else None,
        showlegend=legend, hovermode="x unified",
    )
    return fig


# --- time series -------------------------------------------------------------------------------

def _floats(s: pd.Series) -> list[float]:
    """A column as plain floats, NaN where unknown (a gap, never 0)."""
    return [float(v) for v in pd.to_numeric(s, errors="coerce").astype("Float64").astype("float64")]


def _known_rows(frame: pd.DataFrame, x: str) -> int:
    """How many rows to draw: up to the last one with any known value (the rows after it, all
    unknown, are hours or days after now)."""
    known = frame.drop(columns=[x]).notna().any(axis=1).to_numpy()
    return int(known.nonzero()[0][-1]) + 1 if known.any() else 0


def _bucket(hourly: bool) -> timedelta:
    return timedelta(hours=1) if hourly else timedelta(days=1)


def is_hourly(xs: Sequence[Any]) -> bool:
    """Whether time labels are hours (some label off midnight, or two labels on one day)."""
    t = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(xs)))).dropna()
    return bool(len(t)) and (bool((t != t.normalize()).any()) or t.normalize().has_duplicates)


def _days_spanned(xs: Sequence[Any]) -> int:
    t = pd.DatetimeIndex(pd.to_datetime(pd.Series(list(xs)))).dropna()
    return 0 if t.empty else (t.max().normalize() - t.min().normalize()).days + 1


def too_many_hours(frame: pd.DataFrame, x: str) -> bool:
    """An hourly frame spanning more than ``HOURLY_MAX_DAYS`` days: draw it by day."""
    return frame is not None and not frame.empty and _days_spanned(frame[x]) > HOURLY_MAX_DAYS


def by_day(frame: pd.DataFrame, x: str, fields: Sequence[str]) -> pd.DataFrame:
    """An hourly frame summed per day (``metrics.daily_series``) in a ``date`` column. Days
    after the last known hour (the future) stay unknown, never 0."""
    hours = pd.to_datetime(frame[x])
    start, end = hours.min().normalize(), hours.max().normalize()
    out = pd.DataFrame({"date": pd.date_range(start, end, freq="D")})
    present = [f for f in fields if f in frame.columns]
    known = frame[present].notna().any(axis=1) if present else pd.Series(False, index=frame.index)
    last = hours[known].max().normalize() if known.any() else start - timedelta(days=1)
    for f in present:
        values = pd.Series(metrics.daily_series(frame, f, start, end, date_col=x), dtype="float64")
        out[f] = values.where(out["date"] <= last)
    return out


def readable(frame: pd.DataFrame, x: str, fields: Sequence[str]) -> tuple[pd.DataFrame, str, bool]:
    """``(frame, x, summed)``: an hourly frame as is, or over more than ``HOURLY_MAX_DAYS``
    days summed per day (``by_day``, x ``"date"``, summed True) so it stays readable."""
    if too_many_hours(frame, x):
        return by_day(frame, x, fields), "date", True
    return frame, x, False


def summed_note(lang: str) -> str:
    """The subtitle of a chart whose hours were summed per day."""
    return i18n.t("chart.hours_by_day", lang, n=HOURLY_MAX_DAYS)


def _partial_entry(kind: str, hourly: bool, lang: str) -> go.BaseTraceType:
    """A legend-only entry naming the unfinished bucket."""
    name = i18n.t("chart.partial_hour" if hourly else "chart.partial_day", lang)
    if kind == "bar":
        return go.Bar(x=[None], y=[None], name=name, hoverinfo="skip", meta="partial",
                      marker=dict(color="rgba(0,0,0,0)", line=dict(color=MARK, width=1),
                                  pattern=dict(shape="/", fgcolor=MARK)))
    if kind == "area":
        return go.Scatter(x=[None], y=[None], name=name, mode="markers", hoverinfo="skip", meta="partial",
                          marker=dict(symbol="square", size=12, color="rgba(107,114,128,0.25)"))
    return go.Scatter(x=[None], y=[None], name=name, mode="lines", hoverinfo="skip", meta="partial",
                      line=dict(color=MARK, dash="dot"))


def _line_traces(x: list, y: list, label: str, col: str, hover: list[str], partial: bool,
                 width: float = 2) -> list[go.Scatter]:
    """A line (solid) and, when its last point is partial, a dotted last segment with the
    partial point's hover (the solid part stops one point before)."""
    if not partial or not x:
        return [go.Scatter(x=x, y=y, name=label, mode="lines+markers", customdata=hover, legendgroup=label,
                           line=dict(color=col, width=width), marker=dict(size=5), connectgaps=False,
                           hovertemplate=_hover(label))]
    out = [go.Scatter(x=x[:-1], y=y[:-1], name=label, mode="lines+markers", customdata=hover[:-1],
                      legendgroup=label, line=dict(color=col, width=width), marker=dict(size=5),
                      connectgaps=False, hovertemplate=_hover(label))]
    if len(x) > 1:
        out.append(go.Scatter(x=x[-2:], y=y[-2:], name=label, mode="lines", legendgroup=label, showlegend=False,
                              line=dict(color=col, width=width, dash="dot"), hoverinfo="skip", meta="partial"))
    out.append(go.Scatter(x=x[-1:], y=y[-1:], name=label, mode="markers", legendgroup=label, showlegend=False,
                          customdata=hover[-1:], marker=dict(size=7, color="white", line=dict(color=col, width=2)),
                          hovertemplate=_hover(label), meta="partial"))
    return out


def time_series(frame: pd.DataFrame, x: str, series: Mapping[str, str], *, lang: str,
                title: str | None = None, kind: str = "line", stacked: bool = False, height: int = 360,
                y_title: str | None = None, unit: str = "count", currency: str | None = None,
                partial: bool = False, named: bool = False, subtitle: str | None = None) -> go.Figure:
    """One trace per column of ``series`` ({column: label}) against ``x`` (days or hours), in
    the metric's colour (``named``: categorical colours, for series such as tag names).

    Rows at the end where every series is unknown (hours after now) are not drawn; the x axis
    still spans the whole frame. ``partial``: the last drawn bucket is not over (today, the
    current hour): lighter hatched bar, dotted segment or shaded band, "so far" in its hover
    and a legend entry saying so."""
    cols = [c for c in series if c in frame.columns]
    xs = list(pd.to_datetime(frame[x]))
    ys = {c: _floats(frame[c]) for c in cols}
    n = _known_rows(frame, x)
    hourly = is_hourly(xs)
    partial = partial and n > 0
    so_far = f" ({i18n.t('chart.so_far', lang)})"
    fig = go.Figure()
    for i, c in enumerate(cols):
        label, col = plain(series[c]), CATEGORICAL[i % len(CATEGORICAL)] if named else color(c, i)
        y = ys[c][:n]
        hover = texts(y, unit, lang, currency)
        if partial:
            hover[-1] += so_far
        if kind == "bar":
            marker: dict = dict(color=col)
            if partial:
                marker.update(opacity=[1.0] * (n - 1) + [PARTIAL_OPACITY],
                              pattern=dict(shape=[""] * (n - 1) + ["/"]))
            fig.add_trace(go.Bar(x=xs[:n], y=y, name=label, marker=marker, customdata=hover,
                                 hovertemplate=_hover(label)))
        elif kind == "area":
            fig.add_trace(go.Scatter(x=xs[:n], y=y, name=label, mode="lines", line=dict(color=col),
                                     stackgroup="one" if stacked else None, fill=None if stacked else "tozeroy",
                                     customdata=hover, hovertemplate=_hover(label)))
        else:
            for tr in _line_traces(xs[:n], y, label, col, hover, partial):
                fig.add_trace(tr)
    if kind == "bar":
        fig.update_layout(barmode="stack" if stacked else "group")
    if partial:
        if kind == "area":
            fig.add_vrect(x0=xs[n - 1], x1=xs[n - 1] + _bucket(hourly),   # the bucket that is running
                          fillcolor=MARK, opacity=0.15, line_width=0, layer="below")
        fig.add_trace(_partial_entry(kind, hourly, lang))
    date_axis(fig, lang, hourly=hourly, one_day=hourly and _days_spanned(xs) == 1)
    if not hourly and xs and len(xs) <= DAILY_TICKS_MAX:   # one tick a day: never "25/11 25/11 26/11"
        fig.update_xaxes(tick0=xs[0], dtick=DAY_MS)
    if 0 < n < len(xs) or partial and kind == "area":  # the future is blank, not cut off
        step = _bucket(hourly)
        left = step / 2 if kind == "bar" else timedelta(0)
        right = step / 2 if kind == "bar" else step if partial and kind == "area" else timedelta(0)
        fig.update_xaxes(range=[xs[0] - left, xs[-1] + right])
    values = [v for c in cols for v in ys[c]]
    if stacked:
        values = [sum(ys[c][i] for c in cols if not math.isnan(ys[c][i])) for i in range(n)]
    fig.update_yaxes(title=plain(y_title) if y_title else y_title, **value_axis(unit, lang, values, currency))
    return layout(fig, lang, title, height=height, subtitle=subtitle)


# --- bars, heatmaps, donuts -------------------------------------------------------------------

MIN_BAR_TEXT = 11      # px: the smallest text on a bar

def bars(labels: Sequence[str], values: Sequence[float], *, lang: str, title: str | None = None,
         horizontal: bool = True, height: int | None = None, value_label: str | None = None,
         text: Sequence[str] | None = None, unit: str = "count", currency: str | None = None,
         key: str = "count") -> go.Figure:
    """A single bar series (leaderboards, top lists) in ``key``'s colour. Horizontal bars put
    the first item on top. Hover: label and value as ``unit`` reads in ``lang``."""
    raw = list(labels)
    labels = plains(raw) or []
    text = plains(text)
    vals = _floats(pd.Series(list(values), dtype="object"))
    shown = texts(vals, unit, lang, currency)
    name = plain(value_label or "")
    hover = _hover("%{y}" if horizontal else "%{x}") if not name else \
        f"%{{{'y' if horizontal else 'x'}}}<br>{name}: %{{customdata}}<extra></extra>"
    axis = value_axis(unit, lang, vals, currency)
    if horizontal:
        fig = go.Figure(go.Bar(x=vals[::-1], y=labels[::-1], orientation="h", marker_color=color(key),
                               text=list(text)[::-1] if text is not None else None, name=name,
                               customdata=shown[::-1], hovertemplate=hover))
        fig.update_xaxes(**axis)
        row = WRAPPED_ROW_PX if category_ticks(fig, raw) else 28
        height = height or max(240, row * len(labels) + 80)
    else:
        fig = go.Figure(go.Bar(x=labels, y=vals, marker_color=color(key), name=name, customdata=shown,
                               text=list(text) if text is not None else None, hovertemplate=hover))
        fig.update_yaxes(**axis)
    fig.update_traces(textposition="auto")
    fig = layout(fig, lang, title, height=height or 360, legend=False)
    # a bar's text is never shrunk below this to fit a thin bar (a narrow column's chart)
    fig.update_layout(hovermode="closest", uniformtext=dict(minsize=MIN_BAR_TEXT, mode="show"))
    return fig


def grouped_bars(frame: pd.DataFrame, category: str, series: Mapping[str, str], *, lang: str,
                 title: str | None = None, horizontal: bool = False, stacked: bool = False,
                 height: int = 360, unit: str = "count", currency: str | None = None) -> go.Figure:
    """Several values per category (e.g. per page: inbox vs comment), each in its metric's
    colour (``"previous"``: grey)."""
    fig = go.Figure()
    values: list[Any] = []
    for i, (col, label) in enumerate(series.items()):
        if col not in frame.columns:
            continue
        vals = _floats(frame[col])
        values += vals
        hover = texts(vals, unit, lang, currency)
        label = plain(label)
        kw = dict(name=label, marker_color=color(col, i), customdata=hover,
                  hovertemplate=_hover(label))
        cats = plains(frame[category])
        if horizontal:
            fig.add_trace(go.Bar(y=cats, x=vals, orientation="h", **kw))
        else:
            fig.add_trace(go.Bar(x=cats, y=vals, **kw))
    fig.update_layout(barmode="stack" if stacked else "group")
    if stacked:
        values = [sum(v for v in row if not math.isnan(v))
                  for row in zip(*(_floats(frame[c]) for c in series if c in frame.columns))]
    axis = value_axis(unit, lang, values, currency)
    if horizontal:   # labels measured into the margin: never cut at the left edge
        fig.update_yaxes(autorange="reversed", type="category", automargin=True)
        fig.update_xaxes(**axis)
        if category_ticks(fig, list(frame[category])):   # long labels on two lines: taller rows
            height = max(height, WRAPPED_ROW_PX * len(frame) + 110)
    else:
        fig.update_xaxes(type="category")
        fig.update_yaxes(**axis)
    fig = layout(fig, lang, title, height=height)
    fig.update_layout(hovermode="y unified" if horizontal else "x unified")
    return fig


def heatmap(grid: pd.DataFrame, *, lang: str, value_label: str, x_labels: Sequence[str] | None = None,
            y_labels: Sequence[str] | None = None, title: str | None = None, colorscale: str = "Blues",
            height: int | None = None, cell_text: bool = False) -> go.Figure:
    """A matrix (rows × columns) as a heatmap, first row on top; the colour bar is titled with
    the metric's name (``value_label``); hovers and cell texts are numbers in ``lang``."""
    x = plains(x_labels if x_labels is not None else grid.columns) or []
    raw_y = list(y_labels if y_labels is not None else grid.index)
    y = plains(raw_y) or []
    value_label = plain(value_label)
    z = grid.to_numpy(dtype="float64")
    shown = [[fmt.number(v, lang) for v in row] for row in z]
    fig = go.Figure(go.Heatmap(z=z, x=x, y=y, colorscale=colorscale, hoverongaps=False, text=shown,
                               texttemplate="%{text}" if cell_text else None,
                               colorbar=dict(title=dict(text=value_label, side="right"), tickformat=",~f", thickness=12),
                               hovertemplate=f"%{{y}} · %{{x}}<br>{value_label}: %{{text}}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    fig.update_xaxes(type="category", automargin=True, tickangle=0 if len(x) <= 12 else -45)
    row = WRAPPED_ROW_PX if category_ticks(fig, raw_y) else 26
    fig = layout(fig, lang, title, height=height or max(260, row * len(y) + 100), legend=False)
    fig.update_layout(hovermode="closest")
    return fig


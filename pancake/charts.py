"""Plotly figure builders: frame in, figure out. Pure, so unit tests can read the traces.

Pages pass already-labelled data (names in the chosen language); builders only lay out.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

PALETTE = ["#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04",
           "#db2777", "#4b5563", "#65a30d"]


def _layout(fig: go.Figure, title: str | None, *, height: int = 360, legend: bool = True) -> go.Figure:
    fig.update_layout(
        title=dict(text=title) if title else None,
        height=height, margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0) if legend else None,
        showlegend=legend, hovermode="x unified",
    )
    return fig


def time_series(frame: pd.DataFrame, x: str, series: Mapping[str, str], *, title: str | None = None,
                kind: str = "line", stacked: bool = False, height: int = 360,
                y_title: str | None = None) -> go.Figure:
    """One trace per column in ``series`` ({column: label}) against ``x`` (dates or hours)."""
    fig = go.Figure()
    for i, (col, label) in enumerate(series.items()):
        if col not in frame.columns:
            continue
        y = frame[col].astype("Float64").astype("float64")
        color = PALETTE[i % len(PALETTE)]
        if kind == "bar":
            fig.add_trace(go.Bar(x=frame[x], y=y, name=label, marker_color=color))
        elif kind == "area":
            fig.add_trace(go.Scatter(x=frame[x], y=y, name=label, mode="lines", line=dict(color=color),
                                     stackgroup="one" if stacked else None,
                                     fill=None if stacked else "tozeroy"))
        else:
            fig.add_trace(go.Scatter(x=frame[x], y=y, name=label, mode="lines+markers",
                                     line=dict(color=color), marker=dict(size=5)))
    if kind == "bar":
        fig.update_layout(barmode="stack" if stacked else "group")
    fig.update_yaxes(title=y_title, rangemode="tozero")
    return _layout(fig, title, height=height)


def bars(labels: Sequence[str], values: Sequence[float], *, title: str | None = None,
         horizontal: bool = True, height: int | None = None, value_label: str | None = None,
         text: Sequence[str] | None = None) -> go.Figure:
    """A single bar series (leaderboards, top lists). Horizontal bars put the first item on top."""
    labels, values = list(labels), [float(v) for v in values]
    if horizontal:
        fig = go.Figure(go.Bar(x=values[::-1], y=labels[::-1], orientation="h", marker_color=PALETTE[0],
                               text=list(text)[::-1] if text is not None else None, name=value_label or ""))
        height = height or max(240, 28 * len(labels) + 80)
    else:
        fig = go.Figure(go.Bar(x=labels, y=values, marker_color=PALETTE[0],
                               text=list(text) if text is not None else None, name=value_label or ""))
    fig.update_traces(textposition="auto")
    return _layout(fig, title, height=height or 360, legend=False)


def grouped_bars(frame: pd.DataFrame, category: str, series: Mapping[str, str], *,
                 title: str | None = None, horizontal: bool = False, stacked: bool = False,
                 height: int = 360) -> go.Figure:
    """Several values per category (e.g. per page: inbox vs comment)."""
    fig = go.Figure()
    for i, (col, label) in enumerate(series.items()):
        if col not in frame.columns:
            continue
        vals = frame[col].astype("Float64").astype("float64")
        if horizontal:
            fig.add_trace(go.Bar(y=frame[category], x=vals, name=label, orientation="h",
                                 marker_color=PALETTE[i % len(PALETTE)]))
        else:
            fig.add_trace(go.Bar(x=frame[category], y=vals, name=label,
                                 marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="stack" if stacked else "group")
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height=height)


def heatmap(grid: pd.DataFrame, *, x_labels: Sequence[str] | None = None,
            y_labels: Sequence[str] | None = None, title: str | None = None,
            colorscale: str = "Blues", height: int | None = None, value_label: str = "",
            hover_format: str = ",.0f") -> go.Figure:
    """A matrix (rows × columns) as a heatmap, first row on top."""
    x = list(x_labels) if x_labels is not None else [str(c) for c in grid.columns]
    y = list(y_labels) if y_labels is not None else [str(i) for i in grid.index]
    fig = go.Figure(go.Heatmap(z=grid.to_numpy(dtype="float64"), x=x, y=y, colorscale=colorscale,
                               hoverongaps=False, colorbar=dict(title=value_label),
                               hovertemplate=f"%{{y}} · %{{x}}: %{{z:{hover_format}}}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(hovermode="closest")
    return _layout(fig, title, height=height or max(260, 26 * len(y) + 100), legend=False)


def donut(labels: Sequence[str], values: Sequence[float], *, title: str | None = None,
          height: int = 320) -> go.Figure:
    fig = go.Figure(go.Pie(labels=list(labels), values=[float(v) for v in values], hole=0.55,
                           marker=dict(colors=PALETTE), sort=False))
    fig.update_layout(hovermode="closest")
    return _layout(fig, title, height=height)

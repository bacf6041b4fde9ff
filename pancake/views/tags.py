"""Tags page computations: top tags against the previous period (combined by name), daily
trend per tag, tag × page matrix, KPI cards. Pure (no Streamlit), unit-tested."""
from __future__ import annotations

from datetime import date
from typing import Mapping

import pandas as pd
import plotly.graph_objects as go

from .. import charts, fmt, i18n, metrics
from . import delta_text
from .staff import Card, card

SOURCE = "tags"


def _counts(frame: pd.DataFrame | None) -> pd.Series:
    return pd.to_numeric(frame["count"], errors="coerce").fillna(0).astype("int64")


def by_name(frame: pd.DataFrame | None) -> pd.DataFrame:
    """``tag_name, count, tag_ids, pages`` summed over days and pages; tag_ids lists
    ``page_id:tag_id`` pairs so the same name on two pages keeps both ids."""
    cols = ["tag_name", "count", "tag_ids", "pages"]
    if frame is None or frame.empty:
        return pd.DataFrame({"tag_name": pd.Series(dtype="str"), "count": pd.Series(dtype="int64"),
                             "tag_ids": pd.Series(dtype="str"), "pages": pd.Series(dtype="int64")})
    work = pd.DataFrame({"tag_name": frame["tag_name"].astype("str"),
                         "key": frame["page_id"].astype("str") + ":" + frame["tag_id"].astype("str"),
                         "page_id": frame["page_id"].astype("str"),
                         "count": _counts(frame)})
    g = work.groupby("tag_name", sort=False)
    out = pd.DataFrame({
        "count": g["count"].sum(),
        "tag_ids": g["key"].agg(lambda s: ",".join(sorted(set(s)))),
        "pages": g["page_id"].nunique().astype("int64"),
    }).reset_index()
    return out[cols]


def top_tags(current: pd.DataFrame | None, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Top list by name, most conversations first: ``tag_name, count, previous, change,
    change_pct, tag_ids, pages``. ``previous`` is 0 for a tag absent from the previous period
    (NaN change_pct); tags only in the previous period are listed with count 0."""
    cur = by_name(current)
    prev = by_name(previous)[["tag_name", "count"]].rename(columns={"count": "previous"})
    out = cur.merge(prev, on="tag_name", how="outer")
    out["count"] = out["count"].fillna(0).astype("int64")
    out["previous"] = out["previous"].fillna(0).astype("int64")
    out["tag_ids"] = out["tag_ids"].fillna("").astype("str")
    out["pages"] = out["pages"].fillna(0).astype("int64")
    out["change"] = (out["count"] - out["previous"]).astype("int64")
    out["change_pct"] = metrics.safe_div(out["change"], out["previous"], 100.0)
    out = out[(out["count"] > 0) | (out["previous"] > 0)]
    out = out.sort_values(["count", "previous", "tag_name"], ascending=[False, False, True],
                          kind="stable").reset_index(drop=True)
    return out[["tag_name", "count", "previous", "change", "change_pct", "tag_ids", "pages"]]


def top_display(top: pd.DataFrame, lang: str, compare: bool = True) -> pd.DataFrame:
    out = pd.DataFrame({"tag_name": top["tag_name"].astype("str"),
                        "count": [fmt.number(v, lang) for v in top["count"]]})
    if compare:
        out["previous"] = [fmt.number(v, lang) for v in top["previous"]]
        out["change"] = [delta_text(c, p, lang) or "—" for c, p in zip(top["count"], top["previous"])]
    out["pages"] = [fmt.number(v, lang) for v in top["pages"]]
    return out


def trend(frame: pd.DataFrame | None, names: list[str], start: date, end: date) -> pd.DataFrame:
    """Wide daily frame: ``date`` then one column per tag name in ``names`` (0 on days without
    rows), summed over pages."""
    days = pd.date_range(start, end, freq="D")
    out = pd.DataFrame({"date": days})
    if frame is None or frame.empty:
        for n in names:
            out[n] = 0
        return out
    work = pd.DataFrame({"date": pd.to_datetime(frame["date"]).dt.normalize(),
                         "tag_name": frame["tag_name"].astype("str"), "count": _counts(frame)})
    work = work[work["tag_name"].isin(names)]
    pivot = work.pivot_table(index="date", columns="tag_name", values="count", aggfunc="sum", fill_value=0)
    pivot = pivot.reindex(index=days, columns=names, fill_value=0).fillna(0).astype("int64")
    for n in names:
        out[n] = pivot[n].to_numpy()
    return out


def trend_figure(wide: pd.DataFrame, lang: str) -> go.Figure:
    names = [c for c in wide.columns if c != "date"]
    fig = charts.time_series(wide, "date", {n: n for n in names},
                             y_title=metrics.label("count", lang, SOURCE))
    fig.update_xaxes(tickformat="%d/%m" if lang == "vi" else "%d %b")
    return fig


def page_matrix(frame: pd.DataFrame | None, names: list[str],
                page_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Rows: tag names (in ``names`` order), columns: page names, values: counts summed over days."""
    pn = page_names or {}
    if frame is None or frame.empty:
        return pd.DataFrame(index=list(names), dtype="int64")
    pages = list(dict.fromkeys(frame["page_id"].astype("str")))
    work = pd.DataFrame({"tag_name": frame["tag_name"].astype("str"),
                         "page_id": frame["page_id"].astype("str"), "count": _counts(frame)})
    pivot = work.pivot_table(index="tag_name", columns="page_id", values="count", aggfunc="sum", fill_value=0)
    pivot = pivot.reindex(index=list(names), columns=pages, fill_value=0).fillna(0).astype("int64")
    labels = [pn.get(p, p) for p in pages]
    if len(set(labels)) != len(labels):  # two pages with one name: tell them apart
        labels = [f"{pn.get(p, p)} ({p})" for p in pages]
    pivot.columns = labels
    pivot.index.name = None
    return pivot


def matrix_figure(matrix: pd.DataFrame, lang: str) -> go.Figure:
    fig = charts.heatmap(matrix, value_label=metrics.label("count", lang, SOURCE), colorscale="Oranges")
    fig.update_traces(text=matrix.to_numpy(), texttemplate="%{z:,.0f}")
    return fig


def matrix_csv(matrix: pd.DataFrame, lang: str) -> pd.DataFrame:
    return matrix.reset_index(names=i18n.t("tags.tag", lang))


def detail_csv(frame: pd.DataFrame | None, page_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The raw grain (day × page × tag id) with the page name: ids kept for Excel users."""
    cols = ["page_id", "page_name", "date", "tag_id", "tag_name", "count"]
    if frame is None or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in cols})
    out = frame[["page_id", "date", "tag_id", "tag_name", "count"]].copy()
    out.insert(1, "page_name", out["page_id"].astype("str").map(lambda p: (page_names or {}).get(p, p)))
    return out.sort_values(["date", "page_id", "tag_id"], kind="stable").reset_index(drop=True)[cols]


def kpi_cards(top: pd.DataFrame, lang: str, *, compare: bool = True,
              spark: list[float] | None = None) -> list[Card]:
    """Tagged conversations (vs previous), tags used, most used tag."""
    total = int(top["count"].sum()) if not top.empty else 0
    prev = int(top["previous"].sum()) if not top.empty else 0
    used = int((top["count"] > 0).sum()) if not top.empty else 0
    used_prev = int((top["previous"] > 0).sum()) if not top.empty else 0
    cards = [card("count", total, prev, lang, source=SOURCE, compare=compare, spark=spark)]
    c_used = card("count", used, used_prev, lang, source=SOURCE, compare=compare)
    cards.append(Card(field="tags_used", label=i18n.t("tags.distinct", lang), value=fmt.number(used, lang),
                      delta=c_used.delta, color="gray", arrow=c_used.arrow,
                      help=i18n.t("tags.distinct_help", lang), raw=used, previous=used_prev))
    if total > 0:
        best = top.iloc[0]
        share = fmt.ratio_as_percent(best["count"] / total, lang)
        cards.append(Card(field="top_tag", label=i18n.t("tags.top_tag", lang), value=str(best["tag_name"]),
                          delta=f"{fmt.number(best['count'], lang)} · {share}", color="gray", arrow="off",
                          help=i18n.t("tags.top_tag_help", lang), raw=str(best["tag_name"])))
    return cards


def count_label(lang: str) -> str:
    return metrics.label("count", lang, SOURCE)


def count_help(lang: str) -> str:
    return metrics.help_text("count", lang, SOURCE)


def top_figure(top: pd.DataFrame, lang: str, compare: bool = True) -> go.Figure:
    """Horizontal bars, biggest on top: this period and (when compared) the previous one."""
    t = top.reset_index(drop=True)
    series = {"count": i18n.t("tags.this_period", lang)}
    if compare and "previous" in t.columns:
        series["previous"] = i18n.t("tags.previous", lang)
    return charts.grouped_bars(t, "tag_name", series, horizontal=True,
                               height=max(260, 34 * len(t) + 110))


def detail_display(detail: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = detail.copy()
    out["date"] = [fmt.date(d, lang) for d in detail["date"]]
    out["count"] = [fmt.number(c, lang) for c in detail["count"]]
    return out

"""Tags page computations: top tags against the previous period (combined by name), daily
trend per tag, tag × page matrix, KPIs and tables. Pure (no Streamlit), unit-tested; sums and
changes come from ``pancake.numbers.metrics``."""
from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pancake import fmt, i18n
from pancake.numbers import charts, metrics
from pancake.numbers.views import tables
from pancake.numbers.views.cards import Kpi, sum_kpi

SOURCE = "tags"


def is_empty(daily: pd.DataFrame | None) -> bool:
    """No tagged conversation in the range (or none known)."""
    return not metrics.total(daily, "count")


def by_name(frame: pd.DataFrame | None) -> pd.DataFrame:
    """``tag_name, count, tag_ids, pages`` summed over days and pages (``metrics.sums_by``);
    tag_ids lists ``page_id:tag_id`` pairs so the same name on two pages keeps both ids."""
    cols = ["tag_name", "count", "tag_ids", "pages"]
    if frame is None or frame.empty:
        return pd.DataFrame({"tag_name": pd.Series(dtype="str"), "count": pd.Series(dtype="Int64"),
                             "tag_ids": pd.Series(dtype="str"), "pages": pd.Series(dtype="int64")})
    work = frame.assign(tag_name=frame["tag_name"].astype("str"),
                        key=frame["page_id"].astype("str") + ":" + frame["tag_id"].astype("str"))
    g = work.groupby("tag_name", sort=False)
    out = metrics.sums_by(work, "tag_name", ["count"])
    out["tag_ids"] = g["key"].agg(lambda s: ",".join(sorted(set(s))))
    out["pages"] = g["page_id"].nunique().astype("int64")
    return out.reset_index()[cols]


def top_tags(current: pd.DataFrame | None, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Top list by name, most conversations first: ``tag_name, count, previous, change,
    change_pct, tag_ids, pages``. A tag absent from a period counts 0 there; ``change`` and
    ``change_pct`` (×100, NaN when previous is 0) are ``metrics.change``'s. Tags with no
    conversation in either period are left out."""
    cur = by_name(current)
    prev = by_name(previous)[["tag_name", "count"]].rename(columns={"count": "previous"})
    out = cur.merge(prev, on="tag_name", how="outer")
    out["count"] = out["count"].fillna(0).astype("int64")
    out["previous"] = out["previous"].fillna(0).astype("int64")
    out["tag_ids"] = out["tag_ids"].fillna("").astype("str")
    out["pages"] = out["pages"].fillna(0).astype("int64")
    changes = [metrics.change("count", c, p, SOURCE) for c, p in zip(out["count"], out["previous"])]
    out["change"] = pd.array([int(c.difference) for c in changes], dtype="int64")
    out["change_pct"] = pd.array([c.value if c.kind == "pct" else math.nan for c in changes], dtype="float64")
    out = out[(out["count"] > 0) | (out["previous"] > 0)]
    out = out.sort_values(["count", "previous", "tag_name"], ascending=[False, False, True],
                          kind="stable").reset_index(drop=True)
    return out[["tag_name", "count", "previous", "change", "change_pct", "tag_ids", "pages"]]


def top(daily: pd.DataFrame | None, n: int = 10) -> pd.DataFrame:
    """``tag_name, count``: the ``n`` tags with the most conversations over the range (summed
    over days and pages), biggest first; the standup screen's list."""
    return top_tags(daily)[["tag_name", "count"]].head(n).reset_index(drop=True)


def top_table(top_frame: pd.DataFrame, lang: str, compare: bool = True) -> tables.Table:
    """The top list: numbers (sortable), the change against the previous period when compared,
    and a totals row (the sums, their change from ``metrics.change``). Without a comparison
    the previous-period columns leave the CSV too; the tags' ids stay in the download only."""
    prev_cols = ["previous", "change", "change_pct"]
    frame = top_frame if compare else top_frame.drop(columns=prev_cols)
    keys = ["tag_name", "count", *(prev_cols if compare else []), "pages"]
    change = i18n.t("tags.change", lang)
    total: dict[str, Any] = {"count": metrics.total(top_frame, "count")}
    if compare:
        total["previous"] = metrics.total(top_frame, "previous")
        moved = metrics.change("count", total["count"], total["previous"], SOURCE)
        total["change"] = None if moved is None else moved.difference
        total["change_pct"] = moved.value if moved is not None and moved.kind == "pct" else math.nan
    return tables.table(frame, keys, lang, SOURCE, total=total,
                        tag_name=tables.Column("tag_name", i18n.t("tags.tag", lang), unit="text"),
                        previous=tables.Column("previous", i18n.t("tags.previous", lang)),
                        change=tables.Column("change", change),
                        change_pct=tables.Column("change_pct", f"{change} (%)", i18n.t("tags.change_pct_help", lang),
                                                 unit="delta_pct"),
                        pages=tables.Column("pages", i18n.t("tags.pages", lang)))


def trend_table(wide: pd.DataFrame, lang: str) -> tables.Table:
    """The trend's figures for the download: the day, then one column per tag."""
    names = [c for c in wide.columns if c != "date"]
    return tables.Table(wide, [tables.column("date", lang),
                               *(tables.Column(n, n, unit="count") for n in names)])


def trend(frame: pd.DataFrame | None, names: list[str], start: date, end: date) -> pd.DataFrame:
    """Wide daily frame: ``date`` then one column per tag name in ``names``, summed over pages
    (``metrics.daily_series``: 0 on days without rows)."""
    out = pd.DataFrame({"date": pd.date_range(start, end, freq="D")})
    for n in names:
        rows = frame[frame["tag_name"].astype("str") == n] if frame is not None else None
        out[n] = metrics.daily_series(rows, "count", start, end)
    return out


def trend_figure(wide: pd.DataFrame, lang: str, *, partial: bool = False) -> go.Figure:
    """One line per tag (categorical colours: a tag has no fixed colour); ``partial``: the last
    day is not over."""
    names = [c for c in wide.columns if c != "date"]
    return charts.time_series(wide, "date", {n: n for n in names}, lang=lang, named=True, partial=partial,
                              y_title=metrics.label("count", lang, SOURCE))


def page_matrix(frame: pd.DataFrame | None, names: list[str],
                page_names: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Rows: tag names (in ``names`` order), columns: page names, values: counts summed over
    days (``metrics.sums_by``); 0 where a page has no row for a tag."""
    pn = page_names or {}
    if frame is None or frame.empty:
        return pd.DataFrame(index=list(names), dtype="int64")
    work = frame.assign(tag_name=frame["tag_name"].astype("str"), page_id=frame["page_id"].astype("str"))
    pages = list(dict.fromkeys(work["page_id"]))
    sums = metrics.sums_by(work, ["tag_name", "page_id"], ["count"])["count"]
    grid = sums.unstack("page_id").reindex(index=list(names), columns=pages).fillna(0).astype("int64")
    labels = [pn.get(p, p) for p in pages]
    if len(set(labels)) != len(labels):  # two pages with one name: tell them apart
        labels = [f"{pn.get(p, p)} ({p})" for p in pages]
    grid.columns = labels
    grid.index.name = None
    return grid


MATRIX_ACROSS = 6   # pages across the tags × pages chart at most; more go down its side


def matrix_figure(matrix: pd.DataFrame, lang: str) -> go.Figure:
    """Tags × pages, each cell saying its count. With more pages than tags (and over
    ``MATRIX_ACROSS``), pages down the side, a row each (the chart grows with them), and tags
    across: 24 page names read level and every count stays legible."""
    if matrix.shape[1] > max(matrix.shape[0], MATRIX_ACROSS):
        matrix = matrix.T
    return charts.heatmap(matrix, lang=lang, value_label=metrics.label("count", lang, SOURCE),
                          colorscale=charts.COLORSCALES["count"], cell_text=True)


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


def detail_table(detail: pd.DataFrame, lang: str) -> tables.Table:
    """The detail as shown: page name, day, tag and count (ids stay in the CSV)."""
    return tables.table(detail, ["page_name", "date", "tag_name", "count"], lang, SOURCE,
                        tag_name=tables.Column("tag_name", i18n.t("tags.tag", lang), unit="text"))


def kpis(daily: pd.DataFrame | None, previous: pd.DataFrame | None, start: date, end: date, lang: str, *,
         compare: bool = True) -> list[Kpi]:
    """Tagged conversations (with a daily sparkline), tags used and the most used tag, each
    against the previous period when ``previous`` is given and ``compare``."""
    compared = compare and previous is not None
    top_frame = top_tags(daily, previous if compared else None)
    used = top_frame["count"] > 0
    out = [sum_kpi("count", daily, previous, start, end, source=SOURCE, compare=compared),
           Kpi("tags_used", int(used.sum()), int((top_frame["previous"] > 0).sum()) if compared else None,
               label=i18n.t("tags.distinct", lang), note=i18n.t("tags.distinct_help", lang), source=SOURCE)]
    if used.any():
        best = top_frame.iloc[0]
        out.append(Kpi("count", int(best["count"]), int(best["previous"]) if compared else None, source=SOURCE,
                       label=f"{i18n.t('tags.top_tag', lang)}: {fmt.literal(best['tag_name'])}",   # a card label is markdown
                       note=i18n.t("tags.top_tag_help", lang)))
    return out


def top_figure(top_frame: pd.DataFrame, lang: str, compare: bool = True) -> go.Figure:
    """Horizontal bars, biggest on top: this period and (when compared) the previous one."""
    t = top_frame.reset_index(drop=True)
    series = {"count": i18n.t("tags.this_period", lang)}
    if compare and "previous" in t.columns:
        series["previous"] = i18n.t("tags.previous", lang)
    return charts.grouped_bars(t, "tag_name", series, lang=lang, horizontal=True,
                               height=max(260, 34 * len(t) + 110))

"""The response-times page (and the Staff page's columns): cards, breakdowns, the groups chart,
the weekday × hour grid, the drill-down and the turns of one conversation. Pure; every figure
comes from ``pancake.numbers.replies`` (``summary``/``breakdown``), never re-derived here."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from pancake import fmt, i18n
from pancake.numbers import charts, metrics, replies
from pancake.numbers.hours import Hours
from pancake.numbers.views.cards import Kpi
from pancake.numbers.views.conversations import ChatLine, chat_lines
from pancake.numbers.views.staff import PAGE_SEPARATOR, member_names
from pancake.numbers.views.staff import labels as staff_labels
from pancake.numbers.views.tables import Column, Table

SOURCE = "replies"
BASES = ("business", "calendar")
DIMENSIONS = ("page", "staff", "tag", "type", "group", "slot")
_BY = {"page": "page_id", "staff": "replied_by_id", "tag": "tags", "type": "type"}


def basis_of(value: str | None, hours: Hours) -> str:
    """The URL's basis, or opening hours when they are set (calendar time otherwise)."""
    if value in BASES:
        return value
    return "business" if hours.business else "calendar"


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0


def kpis(current: replies.Figures, previous: replies.Figures | None, *, first: replies.Figures | None = None,
         first_previous: replies.Figures | None = None, has_targets: bool = False, note: str | None = None) -> list[Kpi]:
    """The cards: turns, median, P90, mean, first response (median), within target (when a
    target is set), customers waiting."""
    p = previous
    out = [Kpi("turns", current.count, p.count if p else None, source=SOURCE, note=note),
           Kpi("median_wait", _ms(current.median), _ms(p.median) if p else None, source=SOURCE, note=note),
           Kpi("p90_wait", _ms(current.p90), _ms(p.p90) if p else None, source=SOURCE, note=note),
           Kpi("mean_wait", _ms(current.mean), _ms(p.mean) if p else None, source=SOURCE, note=note)]
    if first is not None:
        out.append(Kpi("first_median", _ms(first.median), _ms(first_previous.median) if first_previous else None,
                       source=SOURCE, note=note))
    if has_targets:
        out.append(Kpi("within_target", current.within_share, p.within_share if p else None, source=SOURCE, note=note))
    out.append(Kpi("waiting_turns", current.waiting, None, source=SOURCE))
    return out


def group_labels(lang: str) -> list[str]:
    return [i18n.t(f"replies.group.{g[0]}", lang) for g in replies.GROUPS]


def groups_figure(f: replies.Figures, lang: str) -> go.Figure:
    fig = charts.bars(group_labels(lang), list(f.groups), lang=lang, horizontal=False,
                      value_label=metrics.label("turns", lang, SOURCE), key="turns")
    fig.data[0].meta = [g[0] for g in replies.GROUPS]
    return fig


def staff_names(staff_frame: pd.DataFrame | None, turns: pd.DataFrame) -> dict[str, str]:
    """A name per replier id: as on the Staff page (``views.staff.member_names``), else the
    ``admin_name`` the messages carry."""
    names = member_names(staff_frame)
    if turns is not None and not turns.empty:
        for rid, name in zip(turns["replied_by_id"], turns["replied_by"]):
            if rid and rid not in names and name:
                names[rid] = name
    return names


def labelled(b: pd.DataFrame, dim: str, lang: str, *, page_names: Mapping[str, str] | None = None,
             staff: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A breakdown with ``key`` (the drill-down value) and ``label`` (its name on screen)."""
    out = b.copy()
    col = _BY[dim]
    out["key"] = out[col].astype("str")
    if dim == "page":
        out["label"] = [(page_names or {}).get(k, k) for k in out["key"]]
    elif dim == "staff":
        out["label"] = [(staff or {}).get(k) or (f"#{k}" if k else i18n.t("replies.bot_or_nobody", lang))
                        for k in out["key"]]
    elif dim == "tag":
        out["label"] = [k or i18n.t("replies.no_tag", lang) for k in out["key"]]
    else:
        out["label"] = [i18n.t(f"replies.type.{k.lower()}", lang) if k else "—" for k in out["key"]]
    return out.sort_values(["count", "label"], ascending=[False, True], kind="stable").reset_index(drop=True)


def breakdown(turns: pd.DataFrame, dim: str, basis: str, lang: str, **names: Any) -> pd.DataFrame:
    work = turns
    if dim == "staff":     # who answered: waiting turns have nobody yet
        work = turns[~turns["waiting"].astype("bool")] if not turns.empty else turns
    out = labelled(replies.breakdown(work, _BY[dim], basis), dim, lang, **names)
    if dim == "staff" and not out.empty:   # two people, one name: told apart as on the Staff page
        out["label"] = staff_labels(out["label"], _their_pages(work, out["key"], names.get("page_names")))
    return out


def _their_pages(turns: pd.DataFrame, keys: pd.Series, page_names: Mapping[str, str] | None) -> list[str | None]:
    """Each replier's pages (named, joined as the Staff page joins them), in ``keys`` order."""
    pn = page_names or {}
    pages: dict[str, str] = {}
    if not turns.empty:
        ids = turns["replied_by_id"].astype("str")
        for key, ps in turns["page_id"].astype("str").groupby(ids, sort=False):
            pages[key] = PAGE_SEPARATOR.join(pn.get(p, p) for p in dict.fromkeys(ps))
    return [pages.get(k) for k in keys]


def breakdown_table(b: pd.DataFrame, dim: str, lang: str, *, has_targets: bool) -> Table:
    frame = b.copy()
    for col in ("median", "p90", "mean"):
        frame[col] = frame[col] * 1000.0
    cols = [Column("label", i18n.t(f"replies.dim.{dim}", lang), unit="text"),
            Column("count", metrics.label("turns", lang, SOURCE), metrics.help_text("turns", lang, SOURCE)),
            Column("median", metrics.label("median_wait", lang, SOURCE), metrics.help_text("median_wait", lang, SOURCE),
                   unit="ms"),
            Column("p90", metrics.label("p90_wait", lang, SOURCE), metrics.help_text("p90_wait", lang, SOURCE), unit="ms"),
            Column("mean", metrics.label("mean_wait", lang, SOURCE), metrics.help_text("mean_wait", lang, SOURCE),
                   unit="ms")]
    if has_targets:
        cols.append(Column("within_share", metrics.label("within_target", lang, SOURCE),
                           metrics.help_text("within_target", lang, SOURCE), unit="ratio"))
    cols.append(Column("waiting", metrics.label("waiting_turns", lang, SOURCE)))
    return Table(frame=frame.drop(columns=[c for c in ("page_id", "replied_by_id", "tags", "type") if c in frame]),
                 columns=cols)


def median_bars(b: pd.DataFrame, lang: str) -> go.Figure:
    vals = [None if pd.isna(v) else v * 1000.0 for v in b["median"]]
    fig = charts.bars(list(b["label"]), vals, lang=lang, unit="ms",
                      value_label=metrics.label("median_wait", lang, SOURCE), key="median_wait")
    fig.data[0].meta = list(b["key"])[::-1]
    top = max((v for v in vals if v is not None), default=0.0) / 60_000.0     # ticks on round minutes
    ticks = charts.nice_ticks(top) if top > 0 else [0.0]
    fig.update_xaxes(tickmode="array", tickvals=[m * 60_000.0 for m in ticks],
                     ticktext=[fmt.duration_ms(m * 60_000.0, lang) if m else "0" for m in ticks])
    return fig


def slot_grid(turns: pd.DataFrame, timezone: str, basis: str) -> pd.DataFrame:
    """Median wait (minutes) per weekday (rows, Monday first) × hour of the turn's start."""
    grid = pd.DataFrame(float("nan"), index=range(7), columns=range(24))
    if turns is None or turns.empty:
        return grid
    b = replies.breakdown(replies.with_local(turns, timezone), ["weekday", "hour"], basis)
    for r in b.itertuples(index=False):
        if r.median is not None and not pd.isna(r.median):
            grid.loc[int(r.weekday), int(r.hour)] = round(float(r.median) / 60.0, 1)
    return grid


def slot_figure(grid: pd.DataFrame, lang: str) -> go.Figure:
    return charts.heatmap(grid, lang=lang, value_label=i18n.t("replies.median_minutes", lang),
                          x_labels=[f"{h:02d}" for h in range(24)],
                          y_labels=[fmt.weekday_name(i, lang) for i in range(7)], height=300, colorscale="Oranges")


# --- drill-down ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Drill:
    dimension: str
    value: str

    def encode(self) -> str:
        return f"{self.dimension}:{self.value}"


def drill_from_point(dim: str, point: Mapping[str, Any], meta: list | None, lang: str) -> Drill | None:
    """The drill-down a clicked bar or cell stands for (a Plotly selection point): a bar's
    value from the figure's ``meta`` (the keys, in the order drawn), a cell's weekday and hour."""
    if dim == "slot":
        names = [fmt.weekday_name(i, lang) for i in range(7)]
        y, x = point.get("y"), point.get("x")
        if y in names and x is not None:
            return Drill("slot", f"{names.index(y)}-{int(str(x))}")
        return None
    idx = point.get("point_index", point.get("pointIndex"))
    if idx is None or not meta or not 0 <= int(idx) < len(meta):
        return None
    return Drill(dim, str(meta[int(idx)]))


def parse_drill(text: str | None) -> Drill | None:
    if not text or ":" not in text:
        return None
    dim, value = text.split(":", 1)
    return Drill(dim, value) if dim in DIMENSIONS else None


def drill_turns(turns: pd.DataFrame, drill: Drill | None, basis: str, timezone: str) -> pd.DataFrame:
    """The turns a figure stands for."""
    if drill is None or turns.empty:
        return turns
    d, v = drill.dimension, drill.value
    if d == "tag":
        mask = turns["tags"].str.split("; ").apply(lambda xs: v in xs if v else xs == [""])
    elif d == "group":
        col = turns[replies.wait_column(basis)]
        mask = col.apply(replies.group_of).eq(v) & ~turns["waiting"].astype("bool")
    elif d == "slot":
        try:
            wd, hr = (int(x) for x in v.split("-"))
        except ValueError:
            return turns.iloc[0:0]
        local = replies.with_local(turns, timezone)
        mask = local["weekday"].eq(wd) & local["hour"].eq(hr)
    else:
        mask = turns[_BY[d]].astype("str").eq(v)
    return turns[mask.to_numpy(dtype=bool)].reset_index(drop=True)


def drill_text(drill: Drill, lang: str, *, page_names: Mapping[str, str] | None = None,
               staff: Mapping[str, str] | None = None) -> str:
    v = drill.value
    if drill.dimension == "page":
        name = (page_names or {}).get(v, v)
    elif drill.dimension == "staff":
        name = (staff or {}).get(v) or f"#{v}"
    elif drill.dimension == "group":
        keys = [g[0] for g in replies.GROUPS]
        name = group_labels(lang)[keys.index(v)] if v in keys else v
    elif drill.dimension == "slot":
        try:
            wd, hr = (int(x) for x in v.split("-"))
            name = f"{fmt.weekday_name(wd, lang)} {hr:02d}:00"
        except ValueError:
            name = v
    elif drill.dimension == "type":
        name = i18n.t(f"replies.type.{v.lower()}", lang) if v else "—"
    else:
        name = v or i18n.t("replies.no_tag", lang)
    return f"{i18n.t(f'replies.dim.{drill.dimension}', lang)}: {name}"


def conversations_of(turns: pd.DataFrame, conversations: pd.DataFrame, basis: str) -> pd.DataFrame:
    """One row per conversation of ``turns``: its customer, page, type, turns, longest wait,
    first response and turns missed, slowest first."""
    cols = ["page_id", "conversation_id", "customer_id", "customer_name", "type", "turns", "longest", "first",
            "missed", "waiting"]
    if turns.empty:
        return pd.DataFrame(columns=cols)
    w = replies.wait_column(basis)
    g = turns.groupby(["page_id", "conversation_id"], sort=False)
    out = pd.DataFrame({
        "turns": g.size(), "longest": g[w].max() * 1000.0,
        "first": g.apply(lambda x: (x.loc[x["first"] & ~x["waiting"], w].max() * 1000.0)
                         if (x["first"] & ~x["waiting"]).any() else float("nan"), include_groups=False),
        "missed": g["within_target"].apply(lambda s: int((s == False).sum())),  # noqa: E712
        "waiting": g["waiting"].any(),
    }).reset_index()
    meta = conversations[["page_id", "conversation_id", "customer_id", "customer_name", "type"]] if (
        conversations is not None and not conversations.empty) else pd.DataFrame(
        columns=["page_id", "conversation_id", "customer_id", "customer_name", "type"])
    out = out.merge(meta, on=["page_id", "conversation_id"], how="left")
    return out[cols].sort_values("longest", ascending=False, kind="stable").reset_index(drop=True)


def conversations_table(frame: pd.DataFrame, lang: str, page_names: Mapping[str, str] | None) -> Table:
    data = frame.copy()
    data["page_name"] = [(page_names or {}).get(p, p) for p in data["page_id"]]
    data["type"] = [i18n.t(f"replies.type.{str(t).lower()}", lang) if isinstance(t, str) and t else "—"
                    for t in data["type"]]
    cols = [Column("customer_name", i18n.t("conv.col.customer", lang), unit="text"),
            Column("page_name", i18n.t("common.page", lang), unit="text"),
            Column("type", i18n.t("conv.col.type", lang), unit="text"),
            Column("turns", metrics.label("turns", lang, SOURCE)),
            Column("first", metrics.label("first_median", lang, SOURCE), unit="ms"),
            Column("longest", i18n.t("replies.longest", lang), unit="ms"),
            Column("missed", i18n.t("replies.missed", lang))]
    return Table(frame=data, columns=cols)


def turn_marks(turns: pd.DataFrame, lang: str, basis: str) -> dict[str, str]:
    """{message id: what happens there}: where each turn of one conversation starts and ends."""
    marks: dict[str, str] = {}
    w = replies.wait_column(basis)
    for r in turns.itertuples(index=False):
        n = int(r.turn) + 1
        kind = i18n.t("replies.first_turn" if r.first else "replies.next_turn", lang)
        marks[r.start_message_id] = i18n.t("replies.turn_starts", lang, n=n, kind=kind)
        if not r.waiting and r.reply_message_id:
            marks[r.reply_message_id] = i18n.t("replies.turn_ends", lang, n=n,
                                               wait=fmt.duration_ms(getattr(r, w) * 1000.0, lang))
    return marks


def turns_table(turns: pd.DataFrame, lang: str, timezone: str) -> Table:
    local = replies.with_local(turns, timezone) if not turns.empty else turns.assign(start_local=[], replied_local=[])
    data = pd.DataFrame({
        "turn": (local["turn"] + 1) if not turns.empty else [],
        "kind": [i18n.t("replies.first_turn" if f else "replies.next_turn", lang) for f in local["first"]],
        "start": [t.strftime("%d/%m %H:%M:%S") for t in local["start_local"]],
        "replied": ["" if pd.isna(t) else t.strftime("%d/%m %H:%M:%S") for t in local["replied_local"]],
        "by": [i18n.t("replies.still_waiting", lang) if w else (b or "—") for w, b in zip(local["waiting"], local["replied_by"])],
        "wait": local["wait_seconds"] * 1000.0, "business": local["business_wait_seconds"] * 1000.0,
        "within": ["" if pd.isna(x) else i18n.t("replies.yes" if x else "replies.no", lang) for x in local["within_target"]],
    })
    cols = [Column("turn", "#"), Column("kind", i18n.t("replies.kind", lang), unit="text"),
            Column("start", i18n.t("replies.turn_start", lang), unit="text"),
            Column("replied", i18n.t("replies.replied_at", lang), unit="text"),
            Column("by", i18n.t("replies.replied_by", lang), unit="text"),
            Column("wait", i18n.t("replies.wait", lang), unit="ms"),
            Column("business", i18n.t("replies.business_wait", lang), unit="ms"),
            Column("within", metrics.label("within_target", lang, SOURCE), unit="text")]
    return Table(frame=data, columns=cols)


def export_rows(turns: pd.DataFrame, hours: Hours) -> pd.DataFrame:
    """The download: exactly ``export replies``' frame (its columns, its values), written as it is."""
    return replies.export_frame(turns, hours)


# --- the Staff page ------------------------------------------------------------------------------

def staff_columns(turns: pd.DataFrame | None, basis: str) -> pd.DataFrame:
    """Per replier id (``user_id``): median, P90 (ms) and the share within target, from the turns."""
    cols = ["user_id", "reply_median", "reply_p90", "reply_within"]
    if turns is None or turns.empty:
        return pd.DataFrame(columns=cols)
    answered = turns[~turns["waiting"].astype("bool") & turns["replied_by_id"].ne("")]
    b = replies.breakdown(answered, "replied_by_id", basis)
    return pd.DataFrame({"user_id": b["replied_by_id"].astype("str"), "reply_median": b["median"] * 1000.0,
                         "reply_p90": b["p90"] * 1000.0, "reply_within": b["within_share"]}, columns=cols)


def pancake_average(staff_totals: pd.DataFrame | None) -> float | None:
    """Pancake's own ``average_response_time`` over the pages (ms, weighted as the Staff page
    weighs it), None when it has none."""
    value = metrics.response_time(staff_totals)
    return None if pd.isna(value) else float(value)


def marked_chat(msgs: pd.DataFrame | None, turns: pd.DataFrame, lang: str, basis: str, *,
                customer_name: str = "", page_name: str = "") -> list[ChatLine]:
    """The conversations page's chat (``views.conversations.chat_lines``) with each turn's
    start and end marked on its message."""
    lines = chat_lines(msgs, lang, customer_name=customer_name, page_name=page_name)
    if msgs is None or msgs.empty:
        return lines
    marks = turn_marks(turns, lang, basis)
    out = []
    for mid, line in zip(msgs["message_id"], lines):
        mark = marks.get(str(mid))
        out.append(replace(line, who=f"{mark} · {line.who}") if mark else line)
    return out


def staff_total(turns: pd.DataFrame | None, basis: str) -> dict[str, Any]:
    """The Staff table's totals row for those columns: over every answered turn with a replier."""
    if turns is None or turns.empty:
        return {"reply_median": None, "reply_p90": None, "reply_within": None}
    f = replies.summary(turns[~turns["waiting"].astype("bool") & turns["replied_by_id"].ne("")], basis)
    return {"reply_median": _ms(f.median), "reply_p90": _ms(f.p90), "reply_within": f.within_share}


def staff_caption(got: Any, basis: str, lang: str) -> str:
    """What the Staff page's reply columns are, and whether they cover every conversation."""
    partial = "" if got.complete else i18n.t("replies.partial_note", lang, n=fmt.number(got.kept.complete, lang),
                                              m=fmt.number(got.kept.total, lang))
    return i18n.t("replies.staff_caption", lang, basis=i18n.t(f"replies.basis.{basis}", lang).lower(),
                  partial=partial).strip()

"""The one KPI card model: what a card shows, computed once for every page and the standup
screen. Pure (no Streamlit); ``ui.components.cards`` draws a list of them.

A page's view builds :class:`Kpi` values (the numbers); :func:`card` turns one into a
:class:`Card` (the text in the viewer's language, the change against the previous period,
its colour and arrow, the tooltip). The arithmetic of the change is ``metrics.change``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from pancake import fmt, i18n
from pancake.numbers import metrics
from pancake.numbers.views import format_metric, is_missing


@dataclass(frozen=True)
class Kpi:
    """A number on a card. ``previous`` None means "not compared"; ``source`` is the metrics
    source (kind) whose meaning of ``field`` applies; ``note`` is added to the tooltip (for
    example how many ads a ratio covers)."""
    field: str
    value: Any
    previous: Any = None
    spark: Sequence[float] | None = None
    currency: str | None = None
    label: str | None = None
    source: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Card:
    """A card as drawn: every text already in the viewer's language."""
    field: str
    label: str
    value: str
    delta: str | None           # the change, None when not compared
    color: str                  # "green" | "red" | "gray"
    arrow: str                  # "up" | "down" | "off"
    help: str
    raw: Any = None             # the number behind ``value``
    previous: Any = None
    spark: tuple[float, ...] | None = None


def change_text(field: str, current: Any, previous: Any, lang: str, *, source: str | None = None,
                currency: str | None = None) -> str | None:
    """The change shown under a card: a signed percentage, percentage points for a ratio
    ("+1,2 điểm %" / "+1.2 pp"), or the signed difference when the previous value was 0.
    None when either value is unknown. A fall starts with an ASCII "-"."""
    ch = metrics.change(field, current, previous, source)
    if ch is None:
        return None
    if ch.kind == "pct":
        text = fmt.signed_percent(ch.value, lang)
    elif ch.kind == "pp":
        sign = "+" if ch.value > 0 else "-" if ch.value < 0 else "±"
        text = i18n.t("card.pp", lang, n=sign + fmt.number(abs(ch.value), lang, decimals=1))
    else:
        sign = "+" if ch.value > 0 else "-" if ch.value < 0 else "±"
        text = sign + format_metric(field, abs(ch.value), lang, currency, source=source)
    return "-" + text[1:] if text.startswith("\u2212") else text


def card(kpi: Kpi, lang: str, *, compare: bool = True) -> Card:
    """The card of one KPI: label and tooltip from the metric catalogue (for the KPI's source),
    the value formatted for ``lang`` and its unit, and the change; the arrow follows the sign
    and the colour the metric's better direction (lower response time is green); a change inside
    the neutral band (under 1 %, under 0.5 points for a ratio) is grey with no arrow."""
    previous = kpi.previous if compare else None
    delta = change_text(kpi.field, kpi.value, previous, lang, source=kpi.source,
                        currency=kpi.currency) if previous is not None else None
    color, arrow = "gray", "off"
    ch = metrics.change(kpi.field, kpi.value, previous, kpi.source) if delta is not None else None
    if ch is not None:
        # inside the neutral band (``metrics.Change.neutral``): grey, no arrow
        arrow = {"up": "up", "down": "down"}.get(ch.direction, "off")
        color = "gray" if ch.tone is None else ("green" if ch.tone else "red")
    help_ = metrics.help_text(kpi.field, lang, kpi.source)
    if kpi.note:
        help_ = f"{help_}\n\n{kpi.note}" if help_ else kpi.note
    spark = None
    if kpi.spark is not None and len(kpi.spark) > 1 and not all(is_missing(v) for v in kpi.spark):
        spark = tuple(0.0 if is_missing(v) else float(v) for v in kpi.spark)
    return Card(field=kpi.field, label=kpi.label or metrics.label(kpi.field, lang, kpi.source),
                value=format_metric(kpi.field, kpi.value, lang, kpi.currency, source=kpi.source),
                delta=delta, color=color, arrow=arrow, help=help_, raw=kpi.value,
                previous=previous, spark=spark)


def sum_kpi(field: str, current, previous, start, end, *, source: str, date_col: str = "date",
            compare: bool = True) -> Kpi:
    """A summed metric: the total now, the total in the previous period (when compared) and one
    value per day for the sparkline. An unsent series stays unknown ("—"), never 0."""
    return Kpi(field=field, value=metrics.total(current, field),
               previous=metrics.total(previous, field) if compare and previous is not None else None,
               spark=metrics.daily_series(current, field, start, end, date_col=date_col), source=source)


def vs_text(prev_start: date, prev_end: date, lang: str, *, until: time | None = None) -> str:
    """What a change is set against, named (``timeutil.previous_period`` picks it): one day by
    its weekday and date ("so với Chủ nhật 29/11", "vs Sunday 29 Nov"), a longer period by its
    dates; ``until``: cut at that time of its last day (a partial today)."""
    if prev_start == prev_end:
        what = i18n.t("common.vs_day", lang, weekday=fmt.weekday_long(prev_start, lang),
                      day=fmt.day_month(prev_start, lang))
    else:
        what = i18n.t("common.vs_prev", lang, range=fmt.date_range(prev_start, prev_end, lang))
    if until is not None:
        what = i18n.t("common.vs_until", lang, what=what, time=fmt.clock(until, lang))
    return what


def cards(kpis: Sequence[Kpi], lang: str, *, compare: bool = True) -> list[Card]:
    return [card(k, lang, compare=compare) for k in kpis]

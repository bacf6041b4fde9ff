"""The morning digest (``python -m pancake digest``): one day's numbers as a chat message.

In the chosen language, a :class:`pancake.delivery.notify.Message` made of: the title; the pages
whose data did not load; the day's key totals against the same weekday a week before (spend per
currency, never added across); "yesterday in five lines" and the flags, the standup screen's own
(``pancake.numbers.views.briefing``) over the same loads; for several pages, the pages needing
attention; the day's response times (``briefing.reply_day_text``, the longest waits; "computed
over N of M conversations" when the store lacks some); a link when ``PANCAKE_PUBLIC_URL`` is set.

Every number comes from ``pancake.numbers.metrics`` through the briefing and card functions:
nothing here adds, averages or divides, and nothing is worded twice.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

import pandas as pd

from pancake import config, fmt, i18n
from pancake.delivery.notify import Message, Section
from pancake.numbers import metrics
from pancake.numbers.hours import Hours
from pancake.numbers.views import briefing as bf
from pancake.numbers.views.cards import Kpi, card

PUBLIC_URL_ENV = config.PUBLIC_URL_ENV
MAX_TITLE_PAGES = 3          # more pages than this: "12 trang" in the title

# the key totals: (field, metrics source). ``spend`` is one line per currency.
KEY_TOTALS = (("total", "engagement"),
              ("new_customer_count", "customers"),
              ("phone_number_count", "customers"),
              ("average_response_time", "staff"),
              ("spend", "ads"))


# --- loading --------------------------------------------------------------------------------------

@dataclass
class DayData:
    """The loads of one digest (or alert check): the same ranges as the standup screen's."""
    day: date                      # the day reported
    moment: datetime               # naive local time the "no reply" flag is evaluated at
    engagement: pd.DataFrame | None
    activity: pd.DataFrame | None
    customers: pd.DataFrame | None
    staff_hourly: pd.DataFrame | None
    ads: pd.DataFrame | None       # the day's ads
    ads_before: pd.DataFrame | None  # the same weekday a week before, None when other pages answered
    results: list = field(default_factory=list)
    replies: Any = None            # the day's customer turns (``data.replies.RangeTurns``), None: not read
    hours: Hours | None = None     # the opening hours they were computed with

    @property
    def last_week(self) -> date:
        return self.day - timedelta(days=7)

    @property
    def errors(self) -> list:
        return bf.errors_of(self.results + ([self.replies] if self.replies is not None else []))

    @property
    def frames(self) -> dict[str, pd.DataFrame | None]:
        return {"engagement": self.engagement, "activity": self.activity, "customers": self.customers,
                "staff_hourly": self.staff_hourly}


def moment_for(day: date, today: date, now_local: datetime) -> datetime:
    """When the "no reply" flag is looked at: now for yesterday or today (the stretch runs into
    this morning), else the last hour of the day reported."""
    return now_local if day >= today - timedelta(days=1) else datetime.combine(day, time(23, 0))


def load_day(loader: Any, page_ids: Sequence[str], names: Mapping[str, str], day: date, *,
             now_local: datetime) -> DayData:
    """Everything a digest of ``day`` needs, every call of every kind sent at once: engagement,
    customers and staff (hourly) from the same weekday a week before to ``day``; activity up to
    the moment the no-reply flag is evaluated; ads of ``day`` and of a week before (ads come
    summed over the asked range, so one load per day)."""
    lw = day - timedelta(days=7)
    moment = moment_for(day, loader.today(), now_local)
    plan = [("engagement", lw, day, {}), ("activity", lw, moment.date(), {}), ("customers", lw, day, {}),
            ("staff", lw, day, {}), ("ads", day, day, {}), ("ads", lw, lw, {})]
    for kind, a, b, opts in plan:
        loader.prefetch(kind, page_ids, a, b, **opts)
    res = [loader.load(kind, page_ids, a, b, page_names=names, **opts) for kind, a, b, opts in plan]
    eng, act, cus, staff, ads_d, ads_lw = res
    return DayData(day=day, moment=moment, engagement=eng.get("daily"), activity=act.get("hourly"),
                   customers=cus.get("data"), staff_hourly=staff.get("hourly"), ads=ads_d.get("ads"),
                   ads_before=ads_lw.get("ads") if metrics.comparable(ads_d.pages_ok, ads_lw.pages_ok) else None,
                   results=res)


# --- the key totals -------------------------------------------------------------------------------

def key_totals(data: DayData) -> list[Kpi]:
    """The digest's key totals as KPI cards: the day's value and the same weekday's a week
    before (``briefing.day_values``; the previous value None when unknown: then no change is
    shown, never a change from 0). Spend: one card per currency of the day."""
    now = bf.day_values(data.day, **data.frames, ads=data.ads)
    before = bf.day_values(data.last_week, **data.frames, ads=data.ads_before)
    out: list[Kpi] = []
    for f, source in KEY_TOTALS:
        if f == "spend":
            for (field_, currency) in sorted(k for k in now if k[0] == "spend"):
                prev = None if data.ads_before is None else before.get((field_, currency), 0.0)
                out.append(Kpi(f, now[(field_, currency)], prev, currency=currency or None, source=source))
            continue
        out.append(Kpi(f, now.get((f, None)), before.get((f, None)), source=source))
    return out


def total_line(kpi: Kpi, lang: str, last_week: date) -> str:
    c = card(kpi, lang)
    label = c.label[:1].upper() + c.label[1:]
    if kpi.field == "spend":
        label = f"{label} ({kpi.currency or fmt.MISSING})"
    if c.delta is None:
        return i18n.t("digest.total.only", lang, label=label, value=c.value)
    prev = card(Kpi(kpi.field, kpi.previous, currency=kpi.currency, source=kpi.source), lang).value
    return i18n.t("digest.total.line", lang, label=label, value=c.value, delta=c.delta, prev=prev,
                  weekday=bf.weekday_word(last_week, lang))


# --- flags ----------------------------------------------------------------------------------------

def flags(data: DayData, *, silent_hours: float = bf.DEFAULT_SILENT_HOURS) -> list[bf.Flag]:
    """The flags of ``data.day`` (``briefing.flags``), most serious first: dead tokens, pages
    that did not load, customers with no reply (at ``data.moment``), response-time jumps, ads
    spending with no purchase."""
    return bf.flags(day=data.day, now=data.moment, errors=data.errors, activity=data.activity,
                    staff_hourly=data.staff_hourly, ads=data.ads, silent_hours=silent_hours)


# --- response times ------------------------------------------------------------------------------

MAX_LONGEST_WAITS = 3


def reply_lines(data: DayData, lang: str, names: Mapping[str, str]) -> list[str]:
    """The day's response-times line (the standup screen's: ``briefing.reply_day_text``) and its
    longest waits; nothing when the turns were not read or no customer turn started that day."""
    got, hours = data.replies, data.hours
    if got is None or hours is None:
        return []
    rd = bf.reply_day(got.turns, data.day, hours, complete=got.kept.complete, total=got.kept.total)
    text = bf.reply_day_text(rd, lang)
    if text is None:
        return []
    waits = bf.longest_turn_waits(got.turns, data.day, hours, MAX_LONGEST_WAITS,
                                  bf.customer_names(got.conversations))
    out = [text]
    if waits:
        out.append(i18n.t("brief.replies.longest", lang) + ": "
                   + "; ".join(bf.turn_wait_text(w, lang, names) for w in waits))
    return out


# --- the message ----------------------------------------------------------------------------------

def pages_text(page_ids: Sequence[str], names: Mapping[str, str], lang: str) -> str:
    if len(page_ids) > MAX_TITLE_PAGES:
        return i18n.t("common.n_pages", lang, n=len(page_ids))
    return ", ".join(names.get(p, p) for p in page_ids)


def public_url(env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None) -> str | None:
    """``PANCAKE_PUBLIC_URL`` (environment, then secrets): where the dashboard is served; None
    when unset or refused (``config.public_url`` says why)."""
    return config.public_url(env, secrets)[0]


def dashboard_link(base: str | None, page_ids: Sequence[str], lang: str, *, day: date | None = None,
                   preset: str | None = None, asked_all: bool = False, path: str = "overview") -> str | None:
    """The dashboard view matching a message: the pages, the day (or a preset) and the language,
    in the dashboard's URL state (``ui.state``)."""
    if not base:
        return None
    params = [("pages", "all" if asked_all else ",".join(page_ids))]
    if day is not None:
        params += [("from", day.isoformat()), ("to", day.isoformat())]
    if preset:
        params.append(("range", preset))
    params.append(("lang", lang))
    return f"{base}/{path}?" + "&".join(f"{k}={quote(v, safe=',')}" for k, v in params)


@dataclass
class Digest:
    message: Message
    errors: list               # the pages that failed (PageError)
    totals: list[Kpi]
    lines: list[bf.Line]
    flags: list[bf.Flag]
    flag_texts: list[str]      # the flags in the digest's language, in order


def build(data: DayData, lang: str, page_ids: Sequence[str], names: Mapping[str, str], *, today: date,
          link_base: str | None = None, asked_all: bool = False,
          silent_hours: float = bf.DEFAULT_SILENT_HOURS) -> Digest:
    """The digest of ``data.day`` in ``lang``."""
    day, lw = data.day, data.last_week
    errors = data.errors
    title = i18n.t("digest.title", lang, weekday=bf.weekday_word(day, lang), day=fmt.date(day, lang),
                   pages=pages_text(page_ids, names, lang))
    sections: list[Section] = []
    if errors:
        failed = list(dict.fromkeys(bf.name_of(e.page_name, e.page_id) for e in errors))
        sections.append(Section(None, [i18n.t("digest.missing", lang, pages=", ".join(failed))],
                                bullet=False, drop=9))

    totals = key_totals(data)
    sections.append(Section(i18n.t("digest.totals.title", lang, weekday=bf.weekday_word(lw, lang),
                                    day=fmt.date(lw, lang)),
                            [total_line(k, lang, lw) for k in totals], keep=len(totals), drop=8))

    lines = bf.five_lines(bf.day_values(day, **data.frames, ads=data.ads),
                          bf.day_values(lw, **data.frames, ads=data.ads_before), lang)
    sections.append(Section(bf.lines_title(day, today, lang),
                            [ln.text for ln in lines] or [i18n.t("kiosk.lines.none", lang)], keep=3, drop=2))

    found = flags(data, silent_hours=silent_hours)
    texts = [bf.flag_text(f, lang, names, today=today) for f in found]
    several = len(page_ids) > 1
    sections.append(Section(i18n.t("kiosk.flags.title", lang),
                            texts or [i18n.t("kiosk.flags.none", lang)], keep=2, drop=0))
    if several and found:
        sections.append(Section(i18n.t("kiosk.attention.title", lang),
                                [a.text for a in bf.attention(found, lang, names)], keep=3, drop=1,
                                more_key="kiosk.attention.more"))
    replies_said = reply_lines(data, lang, names)
    if replies_said:
        sections.append(Section(i18n.t("brief.replies.title", lang, when=bf.when_word(day, today, lang)),
                                replies_said, keep=1, drop=3))
    link = dashboard_link(link_base, page_ids, lang, day=day, asked_all=asked_all)
    footer = [i18n.t("digest.link", lang, url=link)] if link else []
    return Digest(Message(title, sections, footer, lang=lang), errors, totals, lines, found, texts)

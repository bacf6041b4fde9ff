"""The morning digest (``python -m pancake digest``): one day's numbers as a chat message.

In the chosen language, a :class:`pancake.notify.Message` made of:

1. a title with the day and the pages;
2. the pages whose data did not load (named, so the totals are read as leaving them out);
3. the day's key totals, each with its change against the same weekday a week before: total
   engagements, new customers, phone numbers, average response time (weighted by reply
   sessions), spend per currency (never added across currencies);
4. "yesterday in five lines" and 5. the flags: the standup screen's own
   (``pancake.views.standup``: ``day_values``, ``five_lines``, the flag functions), over the
   same loads as the screen;
6. for several pages, the pages needing attention, worst first (``standup.attention``);
7. a link to the same view of the dashboard when ``PANCAKE_PUBLIC_URL`` is set.

Every number comes from ``pancake.metrics`` (through the standup and card functions); nothing
here adds, averages or divides. Changes and their text are the KPI cards' (``views.cards``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

import pandas as pd

from . import config, fmt, i18n, metrics
from .notify import Message, Section
from .views import is_missing
from .views import standup as sv
from .views.cards import Kpi, card

PUBLIC_URL_ENV = config.PUBLIC_URL_ENV
MAX_TITLE_PAGES = 3          # more pages than this: "12 trang" in the title

# the key totals: (field, metrics source, frame). ``spend`` is one line per currency.
KEY_TOTALS = (("total", "engagement", "engagement"),
              ("new_customer_count", "customers", "customers"),
              ("phone_number_count", "customers", "customers"),
              ("average_response_time", "staff", "staff_hourly"),
              ("spend", "ads", "ads"))


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

    @property
    def last_week(self) -> date:
        return self.day - timedelta(days=7)

    @property
    def errors(self) -> list:
        return sv.errors_of(self.results)

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

def _on_day(frame: pd.DataFrame | None, col: str, day: date) -> pd.DataFrame | None:
    """The rows of one local day (a selection, no arithmetic)."""
    if frame is None or frame.empty or col not in frame.columns:
        return frame
    return frame[pd.to_datetime(frame[col]).dt.normalize() == pd.Timestamp(day)]


def _day_value(data: DayData, field_: str, frame: str, day: date) -> Any:
    if frame == "staff_hourly":
        rows = _on_day(data.staff_hourly, "hour", day)
        return None if rows is None else metrics.response_time(rows)
    rows = _on_day(getattr(data, frame), "date", day)
    return metrics.total(rows, field_)


def key_totals(data: DayData) -> list[Kpi]:
    """The digest's key totals as KPI cards: the day's value and the same weekday's a week
    before (the previous value None when unknown: then no change is shown, never a change
    from 0). Spend: one card per currency of the day."""
    out: list[Kpi] = []
    for f, source, frame in KEY_TOTALS:
        if f == "spend":
            now, before = metrics.ads_kpi_values(data.ads), metrics.ads_kpi_values(data.ads_before)
            for currency in sorted(now):
                prev = None if data.ads_before is None else before.get(currency, {}).get("spend", 0)
                out.append(Kpi(f, now[currency].get("spend"), prev, currency=currency or None, source=source))
            continue
        value = _day_value(data, f, frame, data.day)
        prev = _day_value(data, f, frame, data.last_week)
        out.append(Kpi(f, None if is_missing(value) else value, None if is_missing(prev) else prev,
                       source=source))
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
                  weekday=sv.weekday_word(last_week, lang))


# --- flags ----------------------------------------------------------------------------------------

def when_word(day: date, today: date, lang: str) -> str:
    if day == today:
        return i18n.t("digest.when.today", lang)
    if day == today - timedelta(days=1):
        return i18n.t("digest.when.yesterday", lang)
    return i18n.t("digest.when.day", lang, day=fmt.date(day, lang))


def _ad_currency(ads: pd.DataFrame | None, flag: sv.Flag) -> str | None:
    if ads is None or ads.empty:
        return None
    rows = ads[(ads["page_id"].astype(str) == flag.page_id)
               & ((ads["name"].astype(str) == flag.subject) | (ads["ad_id"].astype(str) == flag.subject))]
    if rows.empty:
        return None
    return metrics.currency_key(rows["currency"].iloc[0]) or None


def retext(flag: sv.Flag, lang: str, when: str, names: Mapping[str, str], ads: pd.DataFrame | None) -> sv.Flag:
    """A staff or ads flag said for another day than "yesterday" (the standup screen's words):
    the same flag and numbers, with ``when`` ("today", "on 20/11/2026")."""
    page = names.get(flag.page_id, flag.page_id)
    if flag.kind == "response_time":
        text = i18n.t("digest.flag.response_time", lang, staff=flag.subject, page=page, when=when,
                      x=fmt.number(flag.value, lang, decimals=1))
    elif flag.kind == "ads_no_purchase":
        text = i18n.t("digest.flag.ads_no_purchase", lang, ad=flag.subject, page=page, when=when,
                      spend=fmt.money(flag.value, _ad_currency(ads, flag), lang))
    else:
        return flag
    return sv.Flag(flag.kind, flag.page_id, flag.subject, text, flag.value)


def flags(data: DayData, lang: str, names: Mapping[str, str], *, today: date,
          silent_hours: int = sv.DEFAULT_SILENT_HOURS) -> list[sv.Flag]:
    """The standup flags of ``data.day``, most serious first: dead tokens, pages that did not
    load, customers with no reply (at ``data.moment``), response-time jumps, ads spending with
    no purchase."""
    errors = data.errors
    out = (sv.token_flags(errors, lang) + sv.failure_flags(errors, lang)
           + sv.no_reply_flags(data.activity, data.moment, lang, names, hours=silent_hours)
           + sv.response_time_flags(data.staff_hourly, data.day, lang, names)
           + sv.ads_no_purchase_flags(data.ads, lang, names))
    if data.day != today - timedelta(days=1):   # the screen's texts say "yesterday"
        when = when_word(data.day, today, lang)
        out = [retext(f, lang, when, names, data.ads) for f in out]
    return sv.by_severity(out)


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


def lines_heading(day: date, today: date, lang: str) -> str:
    """The five lines' heading: the standup screen's ("Yesterday (…)") for yesterday, else one
    naming the day (the digest of ``--date``, its picture)."""
    if day == today - timedelta(days=1):
        return sv.lines_title(day, lang)
    return i18n.t("digest.lines.title", lang, day=fmt.date(day, lang), weekday=sv.weekday_word(day, lang))


@dataclass
class Digest:
    message: Message
    errors: list               # the pages that failed (PageError)
    totals: list[Kpi]
    lines: list[sv.Line]
    flags: list[sv.Flag]


def build(data: DayData, lang: str, page_ids: Sequence[str], names: Mapping[str, str], *, today: date,
          link_base: str | None = None, asked_all: bool = False,
          silent_hours: int = sv.DEFAULT_SILENT_HOURS) -> Digest:
    """The digest of ``data.day`` in ``lang``."""
    day, lw = data.day, data.last_week
    errors = data.errors
    title = i18n.t("digest.title", lang, weekday=sv.weekday_word(day, lang), day=fmt.date(day, lang),
                   pages=pages_text(page_ids, names, lang))
    sections: list[Section] = []
    if errors:
        failed = list(dict.fromkeys(e.page_name or e.page_id for e in errors))
        sections.append(Section(None, [i18n.t("digest.missing", lang, pages=", ".join(failed))],
                                bullet=False, drop=9))

    totals = key_totals(data)
    sections.append(Section(i18n.t("digest.totals.title", lang, weekday=sv.weekday_word(lw, lang),
                                    day=fmt.date(lw, lang)),
                            [total_line(k, lang, lw) for k in totals], keep=len(totals), drop=8))

    lines = sv.five_lines(sv.day_values(day, **data.frames, ads=data.ads),
                          sv.day_values(lw, **data.frames, ads=data.ads_before), lang)
    lines_title = lines_heading(day, today, lang)
    sections.append(Section(lines_title, [ln.text for ln in lines] or [i18n.t("kiosk.lines.none", lang)],
                            keep=3, drop=2))

    found = flags(data, lang, names, today=today, silent_hours=silent_hours)
    several = len(page_ids) > 1
    sections.append(Section(i18n.t("kiosk.flags.title", lang),
                            [f.text for f in found] or [i18n.t("kiosk.flags.none", lang)], keep=2, drop=0))
    if several and found:
        sections.append(Section(i18n.t("kiosk.attention.title", lang),
                                [a.text for a in sv.attention(found, lang, names)], keep=3, drop=1,
                                more_key="kiosk.attention.more"))
    link = dashboard_link(link_base, page_ids, lang, day=day, asked_all=asked_all)
    footer = [i18n.t("digest.link", lang, url=link)] if link else []
    return Digest(Message(title, sections, footer, lang=lang), errors, totals, lines, found)

"""What the team is told: the one home of the flags, their severity and their words, "a day in
five lines", one day's value of a metric, the customers waiting longest, the pages needing
attention and how fresh the data is. Pure: no Streamlit, no loading.

The standup screen, the digest and the alerts call :func:`flags` (or its parts) and
:func:`five_lines` and only render what they get: a :class:`Flag` is data (kind, page, subject,
figures, day; its severity is its kind's place in :data:`SEVERITY`), worded once per language by
:func:`flag_text`.

The kinds (thresholds are the functions' arguments and constants):

* ``token`` / ``failed``: a page whose load failed with an auth error / another error.
* ``no_reply``: a page whose customers' first unanswered message (``views.activity``'s silent
  hour) came ``silent_hours`` or more ago, counted from that hour's start (the longest possible wait).
* ``waiting``: conversations waiting ``minutes`` or more (alerts).
* ``response_time``: a staff member's weighted response time on the day well above their median
  of the week before (``RT_*``: ratio, increase, sessions, baseline days).
* ``reply_target``: one customer turn past (or within ``before_minutes`` of) its target in opening
  hours (``pancake.numbers.replies.breaching``), keyed by the turn's first message.
* ``ads_no_purchase``: ``views.ads``' one rule (spend, no purchase, not paused).

A flag never names "nan", "None" or an empty subject: a missing name falls back to its id, then "—".
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from pancake import fmt, i18n
from pancake.numbers import metrics, replies
from pancake.numbers.hours import Hours
from pancake.numbers.views import activity as activity_views
from pancake.numbers.views import ads as ads_views
from pancake.numbers.views import format_metric, is_missing

DEFAULT_SILENT_HOURS = 3
DEFAULT_WAITING_MINUTES = 30
DEFAULT_BEFORE_TARGET_MINUTES = 5   # the standup screen's "about to pass its reply target"

RT_RATIO = 1.5
RT_MIN_INCREASE_MS = 120_000.0
RT_MIN_SESSIONS = 5
RT_MIN_BASELINE_DAYS = 3
# A day not over flags an ad with no purchase once it spent this many times what a purchase cost it
# over the days before: purchases come at random, and with three purchases' worth spent the chance
# of none yet is about 5 % (e^-3); with one purchase's worth, about 37 %.
NOT_OVER_COST_FACTOR = 3.0

MIN_BASE_FOR_LINE = 10           # a count smaller than this on both days is noise, not news

# the flags' kinds, most serious first: a page whose numbers are missing, then customers
# waiting, then slow staff, then money spent for nothing. The one severity order.
SEVERITY = ("token", "failed", "no_reply", "waiting", "reply_target", "response_time", "ads_no_purchase")
DAILY_KINDS = ("response_time", "ads_no_purchase")   # facts of one day (the others: states now)


# --- names --------------------------------------------------------------------------------

def name_of(*candidates: Any) -> str:
    """The first candidate that is a real name: not null, NaN, "nan", "None", "<NA>" or blank;
    else "—" (``fmt.MISSING``). A flag's subject never says "nan"."""
    for c in candidates:
        if is_missing(c):
            continue
        text = str(c).strip()
        if text and text.casefold() not in ("nan", "none", "<na>", "nat", "null"):
            return text
    return fmt.MISSING


def page_name(page_id: str, names: Mapping[str, str] | None) -> str:
    return name_of((names or {}).get(str(page_id)), page_id)


# --- one day's value of a metric -----------------------------------------------------------

Key = tuple[str, "str | None"]   # (field, currency): currency None for a non-money field

# the fields a day is read for, per frame: (its time column, fields, the metrics source)
DAY_FIELDS = {"engagement": ("date", ("total", "inbox", "comment", "order_count"), "engagement"),
              "activity": ("hour", ("customer_inbox_count", "page_inbox_count"), "activity"),
              "customers": ("date", ("new_customer_count", "new_phone_number_count", "phone_number_count"),
                            "customers")}
# the metrics source of every day value (its meaning in the catalogue)
SOURCES = {f: src for _, fields, src in DAY_FIELDS.values() for f in fields} | {
    "average_response_time": "staff", "spend": "ads"}


def on_day(frame: pd.DataFrame | None, col: str, day: date) -> pd.DataFrame | None:
    """The rows of one local day; None when the frame or its time column is missing (unknown),
    the frame itself when it has no rows (known: nothing happened)."""
    if frame is None or col not in frame.columns:
        return None
    if frame.empty:
        return frame
    return frame[pd.to_datetime(frame[col]).dt.normalize() == pd.Timestamp(day)]


def day_values(day: date, *, engagement: pd.DataFrame | None = None, activity: pd.DataFrame | None = None,
               customers: pd.DataFrame | None = None, staff_hourly: pd.DataFrame | None = None,
               ads: pd.DataFrame | None = None) -> dict[Key, float]:
    """One day's numbers, keyed by (field, currency): the sums of ``DAY_FIELDS``, the staff's
    weighted response time and, from ``ads`` (which covers exactly that day: ads come summed
    over the asked range), spend per currency ("" = no currency, never added to VND). An
    unknown number (a series the API did not send, a frame that did not load) is left out,
    never 0."""
    frames = {"engagement": engagement, "activity": activity, "customers": customers}
    values: dict[Key, Any] = {}
    for name, (col, fields, _) in DAY_FIELDS.items():
        rows = on_day(frames[name], col, day)
        values.update({(f, None): metrics.total(rows, f) for f in fields})
    staff_rows = on_day(staff_hourly, "hour", day)
    if staff_rows is not None:
        values[("average_response_time", None)] = metrics.response_time(staff_rows)
    if ads is not None:
        for currency, sums in metrics.ads_kpi_values(ads).items():
            values[("spend", currency)] = sums.get("spend")
    return {k: float(v) for k, v in values.items() if not is_missing(v)}


# --- a day in five lines -------------------------------------------------------------------

LINE_FIELDS = ("inbox", "comment", "order_count", "customer_inbox_count", "page_inbox_count",
               "new_customer_count", "new_phone_number_count", "average_response_time", "spend")


def weekday_word(d: date, lang: str) -> str:
    return fmt.weekday_long(d, lang)


def lines_title(day: date, today: date, lang: str) -> str:
    """The five lines' title: the day and the same weekday a week before."""
    if day == today - timedelta(days=1):
        return i18n.t("kiosk.lines.title", lang, day=fmt.date(day, lang), weekday=weekday_word(day, lang))
    return i18n.t("digest.lines.title", lang, day=fmt.date(day, lang), weekday=weekday_word(day, lang))


@dataclass(frozen=True)
class Line:
    field: str
    currency: str | None
    current: float
    previous: float
    pct: float | None          # None when last week was 0
    direction: str             # "up" | "down" | "flat" (inside the neutral band: no arrow)
    good: bool | None          # the metric moved its better way (colour); None inside the band
    text: str


def _label(field_: str, lang: str, currency: str | None) -> str:
    text = metrics.label(field_, lang, SOURCES.get(field_))
    if currency is not None:
        text = f"{text} ({currency or fmt.MISSING})"
    return text[:1].upper() + text[1:]


def _line(key: Key, cur: float, prev: float, lang: str) -> tuple[float, Line]:
    """One line and its rank: |percent change|, infinite for a metric that was 0 last week."""
    field_, currency = key
    src = SOURCES.get(field_)
    ch = metrics.change(field_, cur, prev, src)
    assert ch is not None
    pct = ch.value if ch.kind == "pct" else None
    fv = lambda v: format_metric(field_, v, lang, currency or None, source=src)  # noqa: E731
    label = _label(field_, lang, currency)
    if pct is None:
        text = i18n.t("kiosk.line.from_zero", lang, label=label, cur=fv(cur), prev=fv(prev))
        score = math.inf
    elif ch.difference == 0:
        text = i18n.t("kiosk.line.same", lang, label=label, cur=fv(cur))
        score = 0.0
    else:
        text = i18n.t("kiosk.line.up" if ch.difference > 0 else "kiosk.line.down", lang, label=label,
                      pct=fmt.percent(abs(pct), lang, decimals=0), cur=fv(cur), prev=fv(prev))
        score = abs(pct)
    return score, Line(field_, currency, cur, prev, pct, ch.direction, ch.tone, text)


def five_lines(current: Mapping[Key, float], previous: Mapping[Key, float], lang: str, n: int = 5,
               min_base: float = MIN_BASE_FOR_LINE) -> list[Line]:
    """The ``n`` biggest relative changes between a day and the same weekday a week before
    (``lines_title`` says which), as short lines, over ``LINE_FIELDS``.

    Ranked by |percent change|; a metric that was 0 last week and is not now ranks first (it
    appeared). A count below ``min_base`` on both days is left out (1 vs 2 is not news); a
    missing value on either day too. A change inside the neutral band has no arrow, no colour."""
    scored: list[tuple[float, Line]] = []
    for key, cur in current.items():
        if key[0] not in LINE_FIELDS:
            continue
        prev = previous.get(key)
        if is_missing(cur) or is_missing(prev):
            continue
        cur, prev = float(cur), float(prev)
        m = metrics.metric(key[0], SOURCES.get(key[0]))
        if (m is None or m.unit == "count") and max(cur, prev) < min_base:
            continue
        if cur == prev == 0:
            continue
        scored.append(_line(key, cur, prev, lang))
    scored.sort(key=lambda x: -x[0])
    return [line for _, line in scored[:n]]


# --- flags: the data ------------------------------------------------------------------------

@dataclass(frozen=True)
class Flag:
    """Something worth raising. ``subject`` is what it is about (a staff member, an ad, the
    page), never empty; ``figures`` its numbers (ms, money and currency, counts, times);
    ``day`` the day a daily fact is about (None for a state now). Worded by :func:`flag_text`."""
    kind: str
    page_id: str
    subject: str
    figures: Mapping[str, Any] = field(default_factory=dict, compare=False)
    day: date | None = None

    @property
    def severity(self) -> int:
        """Its kind's place in ``SEVERITY`` (0 = most serious)."""
        return SEVERITY.index(self.kind) if self.kind in SEVERITY else len(SEVERITY)

    @property
    def weight(self) -> float:
        """How bad, inside its kind (ranks flags of one kind): the jump, the spend, the wait."""
        f = self.figures
        return float({"response_time": f.get("x"), "ads_no_purchase": f.get("spend"),
                      "no_reply": f.get("wait_ms"), "waiting": f.get("longest_ms"),
                      "reply_target": f.get("wait_ms")}.get(self.kind) or 0.0)


def by_severity(found: Iterable[Flag]) -> list[Flag]:
    """The flags most serious first (``SEVERITY``), the worst of each kind first."""
    return sorted(found, key=lambda f: (f.severity, -f.weight))


def _jump(day_rows: pd.DataFrame, ts: pd.Timestamp, *, ratio_threshold: float, min_increase_ms: float,
          min_sessions: int, min_baseline_days: int) -> tuple[float, float] | None:
    """(response time on ``ts``, median of the 7 days before) when it jumped, else None."""
    today = day_rows[day_rows["day"] == ts]
    if today.empty:
        return None
    cur = today["average_response_time"].iloc[0]
    if is_missing(cur) or today["sessions"].iloc[0] < min_sessions:
        return None
    before = day_rows[(day_rows["day"] >= ts - pd.Timedelta(days=7)) & (day_rows["day"] < ts)
                      & (day_rows["sessions"] > 0)]["average_response_time"].dropna()
    if len(before) < min_baseline_days:
        return None
    median, cur = float(before.astype("float64").median()), float(cur)
    if median <= 0 or cur < ratio_threshold * median or cur - median < min_increase_ms:
        return None
    return cur, median


def response_time_flags(staff_hourly: pd.DataFrame | None, day: date, *, ratio_threshold: float = RT_RATIO,
                        min_increase_ms: float = RT_MIN_INCREASE_MS, min_sessions: int = RT_MIN_SESSIONS,
                        min_baseline_days: int = RT_MIN_BASELINE_DAYS) -> list[Flag]:
    """Staff whose response time on ``day`` jumped against their median of the 7 days before."""
    if staff_hourly is None or staff_hourly.empty or "average_response_time" not in staff_hourly.columns:
        return []
    daily = metrics.daily_response_times(staff_hourly, by=["page_id", "user_id"])
    names = staff_hourly.drop_duplicates(["page_id", "user_id"], keep="last") \
        .set_index(["page_id", "user_id"])["user_name"] if "user_name" in staff_hourly.columns else {}
    out = []
    for (pid, uid), rows in daily.groupby(["page_id", "user_id"], sort=True):
        jump = _jump(rows, pd.Timestamp(day), ratio_threshold=ratio_threshold, min_increase_ms=min_increase_ms,
                     min_sessions=min_sessions, min_baseline_days=min_baseline_days)
        if jump is None:
            continue
        cur, median = jump
        out.append(Flag("response_time", str(pid), name_of(names.get((pid, uid)), uid),
                        {"user_id": str(uid), "cur_ms": cur, "median_ms": median, "x": cur / median}, day))
    return by_severity(out)


def ads_no_purchase_flags(ads: pd.DataFrame | None, day: date | None = None, *,
                          before: pd.DataFrame | None = None) -> list[Flag]:
    """The ads the Ads page flags "spent with no purchase" (``views.ads.ad_table``'s
    ``no_purchases``: one rule), over the frame's range (``day`` says which day it is), most
    spend first. On a day when no ad qualifies: none (never one blank flag per ad).

    ``before``, for a day not over yet (today): the same ads over the days before it. Early in a
    day every ad that spends has no purchase yet, so an ad is flagged only once its spend today
    reaches ``NOT_OVER_COST_FACTOR`` times what a purchase cost it then (their spend over their
    purchases, in its currency), or when it bought nothing then either (or has no such figure)."""
    if ads is None or ads.empty:
        return []
    hit = ads_views.flagged(ads_views.ad_table(ads), ads_views.FLAG_NO_PURCHASES)
    if before is not None and not hit.empty:
        usual = ads_views.ad_table(before)
        cost = {(str(p), str(a), str(c)): float(v) for p, a, c, v in
                zip(usual["page_id"], usual["ad_id"], usual["currency"], usual["cost_per_purchase"])
                if not is_missing(v) and float(v) > 0}
        early = [float(s) < NOT_OVER_COST_FACTOR * cost.get((str(p), str(a), str(c)), 0.0)
                 for p, a, c, s in zip(hit["page_id"], hit["ad_id"], hit["currency"], hit["spend"])]
        hit = hit[[not e for e in early]].reset_index(drop=True)
    out = [Flag("ads_no_purchase", str(r["page_id"]), name_of(r["name"], r["ad_id"]),
                {"ad_id": name_of(r["ad_id"]), "spend": float(r["spend"]), "currency": str(r["currency"] or "")},
                day)
           for _, r in hit.iterrows()]
    return by_severity(out)


def no_reply_flags(activity: pd.DataFrame | None, now: datetime, *,
                   hours: float = DEFAULT_SILENT_HOURS) -> list[Flag]:
    """Pages whose customers' first unanswered message came ``hours`` or more before ``now``
    (naive local time; its hour counts: Pancake reports the running hour). The wait runs from
    the start of the first silent hour after the page's last answered hour
    (``views.activity.unanswered_since``), so it is the longest anyone can have waited."""
    if activity is None or activity.empty or "hour" not in activity.columns:
        return []
    now_ts = pd.Timestamp(now)
    rows_now = activity[pd.to_datetime(activity["hour"]) <= now_ts.floor("h")]
    out = []
    for pid, rows in rows_now.groupby("page_id", sort=True):
        since, messages = activity_views.unanswered_since(rows)
        if since is None or is_missing(messages) or messages <= 0:
            continue
        wait_ms = (now_ts - since) / pd.Timedelta(milliseconds=1)
        if wait_ms < hours * 3_600_000:
            continue
        out.append(Flag("no_reply", str(pid), str(pid),
                        {"since": since.to_pydatetime(), "wait_ms": float(wait_ms), "messages": float(messages),
                         "now": now_ts.to_pydatetime()}))
    return by_severity(out)


def token_flags(errors: Iterable[Any]) -> list[Flag]:
    """Pages whose load failed with an auth error (``PageError.kind == "auth"``), once each."""
    seen: dict[str, Flag] = {}
    for err in errors:
        if getattr(err, "kind", None) != "auth" or err.page_id in seen:
            continue
        seen[err.page_id] = Flag("token", str(err.page_id), name_of(err.page_name, err.page_id),
                                 {"message": err.message})
    return list(seen.values())


def failure_flags(errors: Iterable[Any]) -> list[Flag]:
    """Pages whose load failed for another reason than their token (a timeout, a server
    error), once each: their numbers are missing."""
    seen: dict[str, Flag] = {}
    for err in errors:
        if getattr(err, "kind", None) == "auth" or err.page_id in seen:
            continue
        seen[err.page_id] = Flag("failed", str(err.page_id), name_of(err.page_name, err.page_id))
    return list(seen.values())


def waiting_flags(waiting: pd.DataFrame | None, minutes: float) -> list[Flag]:
    """One flag per page with conversations waiting ``minutes`` or more for an answer (the
    ``breach`` rows of ``pancake.numbers.conversations.waiting``): how many, and the longest wait."""
    if waiting is None or waiting.empty or "breach" not in waiting.columns:
        return []
    hit = waiting[waiting["breach"].fillna(False).astype(bool)]
    out = []
    for pid, rows in hit.groupby("page_id", sort=True):
        longest = pd.to_numeric(rows["wait_ms"], errors="coerce").max()
        out.append(Flag("waiting", str(pid), str(pid),
                        {"count": len(rows), "minutes": float(minutes),
                         "longest_ms": None if is_missing(longest) else float(longest)}))
    return by_severity(out)


def flags(*, day: date, now: datetime, errors: Iterable[Any] = (), activity: pd.DataFrame | None = None,
          staff_hourly: pd.DataFrame | None = None, ads: pd.DataFrame | None = None,
          silent_hours: float = DEFAULT_SILENT_HOURS, waiting: pd.DataFrame | None = None,
          waiting_minutes: float | None = None, failures: bool = True,
          reply_targets: Iterable[Flag] = (), ads_before: pd.DataFrame | None = None) -> list[Flag]:
    """Every flag of ``day`` (staff and ads: that day's facts) and of ``now`` (no reply, tokens,
    waiting), most serious first: what the standup screen, the digest and the alerts raise.
    ``failures``: also the pages that did not load for another reason than their token;
    ``reply_targets``: :func:`reply_target_flags` (the alert's, when asked for); ``ads_before``:
    the ads of the days before ``day`` when ``day`` is not over (see :func:`ads_no_purchase_flags`)."""
    errors = list(errors)
    found = (token_flags(errors) + (failure_flags(errors) if failures else [])
             + no_reply_flags(activity, now, hours=silent_hours)
             + response_time_flags(staff_hourly, day)
             + ads_no_purchase_flags(ads, day, before=ads_before) + list(reply_targets))
    if waiting_minutes is not None:
        found += waiting_flags(waiting, waiting_minutes)
    return by_severity(found)


# --- flags: the words -----------------------------------------------------------------------

def when_word(day: date, today: date, lang: str) -> str:
    """"hôm nay" / "hôm qua" / "ngày 20/11/2026" (en "today", "yesterday", "on 20 Nov 2026")."""
    if day == today:
        return i18n.t("digest.when.today", lang)
    if day == today - timedelta(days=1):
        return i18n.t("digest.when.yesterday", lang)
    return i18n.t("digest.when.day", lang, day=fmt.date(day, lang))


def _since_text(since: datetime, now: datetime | None, lang: str) -> str:
    if now is not None and since.date() == now.date():
        return fmt.hour(since, lang)
    return f"{fmt.hour(since, lang)} {fmt.date(since, lang)}"


def _duration(ms: Any, lang: str) -> str:
    """A wait to the minute ("1 h 10 min", "2 giờ 5 phút"): hours as hours."""
    return fmt.duration_ms(None if is_missing(ms) else math.floor(float(ms) / 60_000) * 60_000, lang)


def flag_text(flag: Flag, lang: str, names: Mapping[str, str] | None = None, *, today: date) -> str:
    """A flag in words, in ``lang``: the one wording of every kind (screen, digest, alert);
    ``today`` decides whether a daily fact says "today", "yesterday" or its date."""
    page = page_name(flag.page_id, names) if flag.kind not in ("token", "failed") \
        else name_of((names or {}).get(flag.page_id), flag.subject)
    f = flag.figures
    when = when_word(flag.day, today, lang) if flag.day is not None else ""
    if flag.kind == "response_time":
        return i18n.t("kiosk.flag.response_time", lang, staff=flag.subject, page=page, when=when,
                      cur=fmt.duration_ms(f["cur_ms"], lang), x=fmt.number(f["x"], lang, decimals=1),
                      median=fmt.duration_ms(f["median_ms"], lang))
    if flag.kind == "ads_no_purchase":
        return i18n.t("kiosk.flag.ads_no_purchase", lang, ad=flag.subject, page=page, when=when,
                      spend=fmt.money(f["spend"], f.get("currency") or None, lang))
    if flag.kind == "no_reply":
        return i18n.t("kiosk.flag.no_reply", lang, page=page, n=fmt.number(f["messages"], lang),
                      since=_since_text(f["since"], f.get("now"), lang), wait=_duration(f["wait_ms"], lang))
    if flag.kind == "token":
        return i18n.t("kiosk.flag.token", lang, page=page, msg=f.get("message") or fmt.MISSING)
    if flag.kind == "failed":
        return i18n.t("kiosk.flag.failed", lang, page=page)
    if flag.kind == "waiting":
        return i18n.t("alert.flag.waiting", lang, page=page, n=fmt.number(f["count"], lang),
                      minutes=fmt.number(f["minutes"], lang), longest=_duration(f["longest_ms"], lang))
    if flag.kind == "reply_target":
        return reply_target_text(flag, lang, names)
    raise ValueError(f"unknown flag kind {flag.kind!r}")


# --- pages needing attention -----------------------------------------------------------------

@dataclass(frozen=True)
class Attention:
    """A page needing attention: its flags in one short line."""
    page_id: str
    page: str
    worst: str          # the most serious flag kind (its icon and colour)
    count: int          # how many flags the page has
    text: str


def _reasons(these: Sequence[Flag], lang: str) -> list[str]:
    """One short phrase per kind of flag of one page, most serious first."""
    out = []
    for kind in SEVERITY:
        of_kind = [f for f in these if f.kind == kind]
        if not of_kind:
            continue
        if kind in ("token", "failed"):
            out.append(i18n.t(f"kiosk.why.{kind}", lang))
        elif kind == "no_reply":
            out.append(i18n.t("kiosk.why.no_reply", lang,
                              wait=_duration(max(f.figures["wait_ms"] for f in of_kind), lang)))
        elif kind == "waiting":
            out.append(i18n.t("kiosk.why.waiting", lang, n=fmt.number(sum(f.figures["count"] for f in of_kind), lang)))
        elif kind == "reply_target":
            out.append(i18n.t("kiosk.why.reply_target", lang, n=fmt.number(len(of_kind), lang)))
        else:
            key = "slow" if kind == "response_time" else "ads"
            out.append(i18n.t(f"kiosk.why.{key}_one", lang, name=of_kind[0].subject) if len(of_kind) == 1
                       else i18n.t(f"kiosk.why.{key}_many", lang, n=len(of_kind)))
    return out


def attention(found: Iterable[Flag], lang: str, names: Mapping[str, str] | None = None) -> list[Attention]:
    """The pages needing attention, worst first: by their most serious flag (``SEVERITY``),
    then by how many flags they have, then by name ("#2" before "#12"). One line each."""
    by_page: dict[str, list[Flag]] = {}
    for f in found:
        by_page.setdefault(f.page_id, []).append(f)
    out = []
    for pid, these in by_page.items():
        worst = min(these, key=lambda f: f.severity)
        page = name_of((names or {}).get(pid),
                       next((f.subject for f in these if f.kind in ("token", "failed")), None), pid)
        out.append(Attention(pid, page, worst.kind, len(these),
                             i18n.t("kiosk.attention.line", lang, page=page,
                                    reasons=" · ".join(_reasons(these, lang)))))
    out.sort(key=lambda a: (SEVERITY.index(a.worst), -a.count, _natural(a.page)))
    return out


def _natural(name: str) -> tuple:
    """A sort key that puts "Shop #2" before "Shop #12"."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
                 for part in re.split(r"(\d+)", name))


# --- customers waiting longest ----------------------------------------------------------------

def longest_waits(w: pd.DataFrame | None, n: int, lang: str, names: Mapping[str, str] | None = None) -> list[str]:
    """The ``n`` customers waiting longest, as plain lines ("⚠️ Nguyễn Thu Hà · Shop A · 42 phút"),
    longest first, those over the threshold marked ⚠️ (escape them for markdown). ``w`` is
    ``pancake.numbers.conversations.waiting``'s frame. A customer with no name is named by the
    conversation's id, never "nan"."""
    if w is None or w.empty:
        return []
    out = []
    for _, r in w.head(max(0, n)).iterrows():
        who = name_of(r.get("customer_name"), r.get("conversation_id"))
        sign = "⚠️ " if not is_missing(r.get("breach")) and bool(r.get("breach")) else ""
        out.append(f"{sign}{who} · {page_name(r['page_id'], names)} · {_duration(r['wait_ms'], lang)}")
    return out


# --- response times (issue 21) ------------------------------------------------------------------

@dataclass(frozen=True)
class ReplyDay:
    """One day's response times over the customer turns that started that day
    (``pancake.numbers.replies.summary``): on the business wait when opening hours are set, else on
    calendar time, with no target. ``complete`` of ``total`` conversations were computed over
    (None: not said)."""
    day: date
    figures: replies.Figures
    basis: str                       # "business" | "calendar"
    first_minutes: float | None      # the first-reply target shared by every page (None: several, or none)
    next_minutes: float | None
    has_targets: bool                # a target is set (the % within target means something)
    goal_percent: float | None       # the hours file's optional within_target_percent
    configured: bool                 # an hours file was read
    complete: int | None = None
    total: int | None = None
    file_error: bool = False         # a file was given but could not be used (calendar time then)

    @property
    def partial(self) -> bool:
        return self.complete is not None and self.total is not None and self.complete < self.total

    @property
    def share(self) -> float | None:
        """% of the judged turns within target (0-100); None without a target or a judged turn."""
        if not self.has_targets or self.figures.within_share is None:
            return None
        return self.figures.within_share * 100.0


def reply_basis(hours: Hours) -> str:
    """Opening hours when the file sets them, else calendar time (the response-times page's default)."""
    return "business" if hours.business else "calendar"


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """[day 00:00, the next day 00:00) local, as aware UTC instants."""
    zone = ZoneInfo(timezone)
    a = datetime.combine(day, datetime.min.time()).replace(tzinfo=zone)
    b = datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(tzinfo=zone)
    return a, b


def turns_of_day(turns: pd.DataFrame | None, day: date, hours: Hours) -> pd.DataFrame:
    """The turns that started on local ``day`` (the hours file's zone)."""
    if turns is None or turns.empty:
        return replies.empty_turns()
    return replies.in_range(turns, *day_bounds(day, hours.default.timezone))


def _common(values: Iterable[float | None]) -> float | None:
    got = set(values)
    return next(iter(got)) if len(got) == 1 else None


def reply_day(turns: pd.DataFrame | None, day: date, hours: Hours, *, complete: int | None = None,
              total: int | None = None) -> ReplyDay | None:
    """``day``'s response times (the standup screen's, the digest's): None when no customer
    turn started that day and every conversation was read (no line, never "0 %" or "nan"); with
    conversations still to read, a day whose text says only how many were read."""
    of_day = turns_of_day(turns, day, hours)
    if of_day.empty and not (complete is not None and total is not None and complete < total):
        return None     # no turn, and every conversation read: nothing to say
    schedules = (hours.default, *hours.pages.values())
    basis = reply_basis(hours)
    return ReplyDay(day=day, figures=replies.summary(of_day, basis), basis=basis,
                    first_minutes=_common(s.first_minutes for s in schedules),
                    next_minutes=_common(s.next_minutes for s in schedules),
                    has_targets=hours.configured and hours.has_targets, goal_percent=hours.goal_percent,
                    configured=hours.configured, complete=complete, total=total, file_error=bool(hours.error))


def _minutes_text(minutes: float, lang: str) -> str:
    return fmt.duration_ms(minutes * 60_000.0, lang)


def reply_day_text(rd: ReplyDay | None, lang: str) -> str | None:
    """The day's response times in one line: "82 % of customers answered within 15 min of
    opening hours (target 90 %) · 120 replies, median 4 min"; without a target, the count and
    the median and why there is no %; "Not complete: computed over N of M conversations" when
    some conversations' messages are missing. None for no turn (no line)."""
    if rd is None:
        return None
    f = rd.figures
    partial = "" if not rd.partial else i18n.t("replies.partial_note", lang, n=fmt.number(rd.complete, lang),
                                                m=fmt.number(rd.total, lang))
    if f.count + f.waiting == 0:      # no turn among the conversations read so far
        return partial or None
    parts: list[str] = []
    share = rd.share
    if share is not None:
        goal = "" if rd.goal_percent is None else i18n.t(
            "brief.replies.goal", lang, goal=fmt.percent(rd.goal_percent, lang, decimals=0))
        if rd.first_minutes is None:
            within = i18n.t("brief.replies.within_each", lang)
        else:
            within = _minutes_text(rd.first_minutes, lang)
            if rd.basis == "business":
                within = i18n.t("brief.replies.within_hours", lang, t=within)
            if rd.next_minutes is not None and rd.next_minutes != rd.first_minutes:
                within = i18n.t("brief.replies.within_two", lang, first=within,
                                next=_minutes_text(rd.next_minutes, lang))
        parts.append(i18n.t("brief.replies.share", lang, pct=fmt.percent(share, lang, decimals=0), within=within, goal=goal))
    if f.median is None:
        parts.append(i18n.t("brief.replies.none_answered", lang, n=fmt.number(f.waiting, lang)))
    else:
        parts.append(i18n.t("brief.replies.count", lang, n=fmt.number(f.count, lang),
                            median=fmt.duration_ms(f.median * 1000.0, lang)))
    text = " · ".join(parts)
    if share is None:
        why = ("brief.replies.bad_file" if rd.file_error else "brief.replies.no_file") if not rd.configured else (
            "brief.replies.no_target" if not rd.has_targets else "brief.replies.none_judged")
        text += " " + i18n.t(why, lang)
    return f"{text} · {partial}" if partial else text


def customer_names(conversations: pd.DataFrame | None) -> dict[tuple[str, str], str]:
    """{(page id, conversation id): the customer's name} from a conversations frame."""
    if conversations is None or conversations.empty or "customer_name" not in conversations.columns:
        return {}
    return {(str(p), str(c)): n for p, c, n in zip(conversations["page_id"], conversations["conversation_id"],
                                                    conversations["customer_name"]) if not is_missing(n)}


@dataclass(frozen=True)
class TurnWait:
    """One customer turn's wait (seconds, on the day's basis): still waiting or answered, past
    its target (None: no target, or not judged yet)."""
    page_id: str
    conversation_id: str
    customer: str
    seconds: float
    waiting: bool
    past: bool | None


def longest_turn_waits(turns: pd.DataFrame | None, day: date, hours: Hours, n: int = 3,
                       customers: Mapping[tuple[str, str], str] | None = None) -> list[TurnWait]:
    """The ``n`` longest waits of the turns that started on ``day`` (business waits with opening
    hours, else calendar), longest first, one per conversation (its longest); a wait of 0 (asked
    and answered after closing) is none."""
    of_day = turns_of_day(turns, day, hours)
    if of_day.empty or n <= 0:
        return []
    col = replies.wait_column(reply_basis(hours))
    ranked = of_day[of_day[col] > 0].sort_values([col, "start"], ascending=[False, True], kind="stable")
    ranked = ranked.drop_duplicates(["page_id", "conversation_id"], keep="first")
    out = []
    for r in ranked.head(n).itertuples(index=False):
        within = r.within_target
        out.append(TurnWait(r.page_id, r.conversation_id,
                            name_of((customers or {}).get((r.page_id, r.conversation_id)), r.conversation_id),
                            float(getattr(r, col)), bool(r.waiting), None if is_missing(within) else not bool(within)))
    return out


def turn_wait_text(w: TurnWait, lang: str, names: Mapping[str, str] | None = None) -> str:
    """"⚠️ Nguyễn Thu Hà · Shop A · 42 min (still waiting)": past its target marked ⚠️ (escape
    it for markdown)."""
    sign = "⚠️ " if w.past else ""
    tail = f" ({i18n.t('replies.still_waiting', lang).lower()})" if w.waiting else ""
    return f"{sign}{w.customer} · {page_name(w.page_id, names)} · {_duration(w.seconds * 1000.0, lang)}{tail}"


def reply_target_flags(turns: pd.DataFrame | None, now: datetime, hours: Hours, *, before_minutes: float = 0,
                       customers: Mapping[tuple[str, str], str] | None = None) -> list[Flag]:
    """One ``reply_target`` flag per customer turn waiting at ``now`` (aware, or naive UTC) past
    its target, or within ``before_minutes`` of it, in opening hours (``replies.breaching``),
    longest wait first. Without a target (no hours file): none."""
    if turns is None or turns.empty or not hours.has_targets:
        return []
    out = []
    for r in replies.breaching(turns, now, hours, before_minutes=before_minutes).to_dict("records"):
        target = hours.for_page(r["page_id"]).target_seconds(bool(r["first"])) or 0.0
        business = float(r["business_wait_seconds"])
        out.append(Flag("reply_target", str(r["page_id"]),
                        name_of((customers or {}).get((r["page_id"], r["conversation_id"])), r["conversation_id"]),
                        {"conversation_id": str(r["conversation_id"]),
                         "turn": str(r["start_message_id"] or f"{r['conversation_id']}#{r['turn']}"),
                         "past": bool(r["past_target"]), "first": bool(r["first"]),
                         "wait_ms": business * 1000.0, "target_ms": target * 1000.0,
                         "left_ms": max(0.0, target - business) * 1000.0, "business": hours.business}))
    return by_severity(out)


def reply_target_text(flag: Flag, lang: str, names: Mapping[str, str] | None = None) -> str:
    """A ``reply_target`` flag in words: past its target, or how long before it passes it."""
    f = flag.figures
    kind = i18n.t("brief.target.first" if f.get("first") else "brief.target.next", lang)
    key = "brief.target.past" if f.get("past") else "brief.target.soon"
    return i18n.t(key, lang, customer=flag.subject, page=page_name(flag.page_id, names), kind=kind,
                  wait=_duration(f["wait_ms"], lang), target=fmt.duration_ms(f["target_ms"], lang),
                  left=_duration(f["left_ms"], lang) if f["left_ms"] >= 60_000 else i18n.t("brief.target.under_minute", lang),
                  hours=i18n.t("brief.target.in_hours", lang) if f.get("business") else "")


# --- how fresh the data is --------------------------------------------------------------------

def errors_of(results: Iterable[Any]) -> list[Any]:
    """The per-page errors of several loads, each (page, message) once."""
    seen, out = set(), []
    for r in results:
        for e in r.errors:
            if (e.page_id, e.message) not in seen:
                seen.add((e.page_id, e.message))
                out.append(e)
    return out


def last_refresh(results: Iterable[Any]) -> datetime | None:
    """When the data was last refreshed successfully: the newest fetch among the loads that
    brought at least one page (a load that failed everywhere refreshed nothing)."""
    return max((r.fetched_at for r in results if getattr(r, "pages_ok", None)), default=None)


def age_text(fetched: datetime, now: datetime, lang: str) -> str:
    """How old the data is: "vừa xong" under a minute, else "2 giờ 5 phút trước" (hours as hours)."""
    seconds = (now - fetched).total_seconds()
    if seconds < 60:
        return i18n.t("kiosk.age.now", lang)
    return i18n.t("kiosk.age.ago", lang, d=_duration(seconds * 1000, lang))


def is_stale(fetched: datetime | None, now: datetime, interval_seconds: float) -> bool:
    """Whether to warn: the last successful refresh is older than twice the refresh interval
    (or there was none)."""
    return fetched is None or (now - fetched).total_seconds() > 2 * interval_seconds

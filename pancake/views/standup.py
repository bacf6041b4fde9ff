"""The standup screen (``?kiosk=1``): options from the URL, the section playlist, which of the
pages' KPI cards each section shows, "yesterday in five lines" and the flags worth raising at a
standup. Pure: no Streamlit.

The cards are the pages' own (``engagement.kpis``, ``staff.kpis``, ``ads.kpis``,
``customers.kpis``, ``activity.kpis``): the screen picks some of them and never recomputes a
number, so it always agrees with the pages. The arithmetic of the five lines and the flags is
``pancake.metrics``'s.

Flags and their thresholds (all overridable through the flag functions' arguments):

* ``response_time`` - a staff member's weighted average response time on the day is at least
  ``RT_RATIO`` (1.5) times their median over the 7 days before, and at least ``RT_MIN_INCREASE_MS``
  (2 minutes) more, with at least ``RT_MIN_SESSIONS`` (5) reply sessions on the day and at least
  ``RT_MIN_BASELINE_DAYS`` (3) active days in the 7 before.
* ``ads_no_purchase`` - an ad spent money on the day (spend > 0) and reported 0 purchases (a null
  is unknown, not 0: never flagged).
* ``no_reply`` - a page received customer messages and sent none for ``silent_hours`` (3) hours or
  more, counted up to the current hour.
* ``token`` - a page whose data load failed with an auth error (dead, renewed or revoked token).
* ``failed`` - a page whose data load failed for another reason (a timeout, a server error).

On one page the screen lists the flags themselves (``MAX_FLAGS_SHOWN``); for several pages it
lists the pages needing attention (``attention``), worst first, one short line each.

Everything is sized for a 1920×1080 screen read across the room: ``CHART_HEIGHT`` is what is left
for the chart under the header and the cards.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import plotly.graph_objects as go

from .. import charts, fmt, i18n, metrics
from . import format_metric, is_missing
from . import staff as staff_views
from .cards import Kpi
from .engagement import series as summed_series

SECTIONS = ("overview", "staff", "ads", "customers", "activity", "tags")
SECTION_ALIASES = {"engagement": "overview", "settings": "overview"}
THEMES = ("light", "dark")

DEFAULT_REFRESH_MINUTES = 5.0
MIN_REFRESH_MINUTES = 0.05       # 3 s: small enough for browser tests, not a busy loop
MAX_REFRESH_MINUTES = 24 * 60.0
DEFAULT_EVERY_SECONDS = 60.0
MIN_EVERY_SECONDS = 3.0
DEFAULT_SILENT_HOURS = 3

RT_RATIO = 1.5
RT_MIN_INCREASE_MS = 120_000.0
RT_MIN_SESSIONS = 5
RT_MIN_BASELINE_DAYS = 3

MIN_BASE_FOR_LINE = 10           # a count smaller than this on both days is noise, not news
MAX_FLAGS_SHOWN = 4              # one page: its flags (two lines each at most) under the five lines
MAX_PAGES_SHOWN = 5              # several pages: the pages needing attention (one line each)
CHART_HEIGHT = 520               # px: a 1080-pixel screen less the header, the cards and the margins
CHART_FONT_SIZE = 18             # px: every text on a chart, ticks and legend included


# --- options -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Options:
    refresh_minutes: float = DEFAULT_REFRESH_MINUTES
    rotate: tuple[str, ...] = ()
    every_seconds: float = DEFAULT_EVERY_SECONDS
    theme: str = "light"
    silent_hours: int = DEFAULT_SILENT_HOURS
    section: str = "overview"
    day: date | None = None        # the day of the five lines and the flags (None: yesterday)
    waits: bool = True             # the customers waiting now (off for a picture of a past day)

    @property
    def refresh_seconds(self) -> float:
        return self.refresh_minutes * 60.0

    @property
    def rotating(self) -> bool:
        return len(self.rotate) > 1

    @property
    def tick_seconds(self) -> float:
        """How often the screen re-runs: the refresh interval, or the rotation step if shorter."""
        if self.rotating:
            return min(self.refresh_seconds, self.every_seconds)
        return self.refresh_seconds


def _section_name(name: str) -> str | None:
    name = name.strip().lower()
    name = SECTION_ALIASES.get(name, name)
    return name if name in SECTIONS else None


def _float(text: str | None, default: float, lo: float, hi: float) -> tuple[float, bool]:
    if text in (None, ""):
        return default, True
    try:
        value = float(str(text).replace(",", "."))
    except ValueError:
        return default, False
    if not math.isfinite(value):
        return default, False
    return min(max(value, lo), hi), True


def parse_options(params: Mapping[str, str], default_section: str = "overview") -> tuple[Options, list[str]]:
    """Standup URL parameters -> options and the problems found (never fatal).

    ``refresh`` minutes (decimals allowed, 0.05 .. 1440), ``rotate=overview,staff,ads`` and
    ``every`` seconds (>= 3), ``theme=light|dark``, ``silent`` hours for the no-reply flag,
    ``section`` (else the URL path's page), ``day=YYYY-MM-DD`` for the five lines and the flags
    (default yesterday; a day before yesterday, as the digest's picture of ``--date`` asks),
    ``waits=0`` to leave out the customers waiting now (a picture of a closed day)."""
    problems: list[str] = []
    refresh, ok = _float(params.get("refresh"), DEFAULT_REFRESH_MINUTES, MIN_REFRESH_MINUTES, MAX_REFRESH_MINUTES)
    if not ok:
        problems.append(f"refresh={params.get('refresh')!r}")
    every, ok = _float(params.get("every"), DEFAULT_EVERY_SECONDS, MIN_EVERY_SECONDS, 24 * 3600.0)
    if not ok:
        problems.append(f"every={params.get('every')!r}")
    rotate: list[str] = []
    for part in (params.get("rotate") or "").split(","):
        if not part.strip():
            continue
        name = _section_name(part)
        if name is None:
            problems.append(f"rotate: {part.strip()!r}")
        elif name not in rotate:
            rotate.append(name)
    theme = (params.get("theme") or "light").strip().lower()
    if theme not in THEMES:
        problems.append(f"theme={theme!r}")
        theme = "light"
    silent, ok = _float(params.get("silent"), DEFAULT_SILENT_HOURS, 1, 48)
    if not ok:
        problems.append(f"silent={params.get('silent')!r}")
    section = _section_name(params.get("section") or "") or _section_name(default_section or "") or "overview"
    if params.get("section") and _section_name(params["section"]) is None:
        problems.append(f"section={params['section']!r}")
    day = None
    if params.get("day"):
        try:
            text = str(params["day"]).strip()
            day = date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
        except ValueError:
            day = None
        if day is None:
            problems.append(f"day={params['day']!r}")
    waits = str(params.get("waits") or "1").strip().lower()
    if waits not in ("0", "1"):
        problems.append(f"waits={params['waits']!r}")
    return Options(refresh_minutes=refresh, rotate=tuple(rotate), every_seconds=every, theme=theme,
                   silent_hours=int(round(silent)), section=section, day=day, waits=waits != "0"), problems


def section_at(opts: Options, elapsed_seconds: float) -> str:
    """The section on screen ``elapsed_seconds`` after the screen started (the playlist)."""
    if not opts.rotating:
        return opts.rotate[0] if opts.rotate else opts.section
    step = int(max(elapsed_seconds, 0.0) // opts.every_seconds)
    return opts.rotate[step % len(opts.rotate)]


# --- the pages' cards --------------------------------------------------------------------

# the cards each section shows, picked from its page's KPIs (overview: Engagement + Staff)
CARDS = {
    "overview": ("total", "inbox", "comment", "order_count", "average_response_time"),
    "staff": ("inbox_count", "comment_count", "phone_number_count", "average_response_time"),
    "ads": ("spend", "purchases", "cost_per_purchase", "roas"),
    "customers": ("new_customer_count", "new_page_inbox_count", "new_phone_number_count", "phone_capture_rate"),
    "activity": ("customer_inbox_count", "page_inbox_count", "customer_comment_count", "reply_ratio"),
}


def pick(section: str, kpis: Iterable[Kpi]) -> list[Kpi]:
    """The section's cards out of its pages' KPIs, in ``CARDS`` order. A card the page left out
    (orders when the API sends none) stays out: it is unknown, never shown as 0."""
    by_field: dict[str, Kpi] = {}
    for k in kpis:
        by_field.setdefault(k.field, k)
    return [by_field[f] for f in CARDS[section] if f in by_field]


def top_ads(ads: pd.DataFrame | None, currency: str | None, n: int = 8) -> pd.DataFrame:
    """The ads that spent most in ``currency`` ("" = the ads with no currency): name, page,
    spend, purchases, ROAS. An ad whose spend is unknown is not ranked."""
    cols = ["page_id", "ad_id", "name", "currency", "spend", "purchases", "roas"]
    if ads is None or ads.empty or currency is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    sub = metrics.ads_derived(ads[ads["currency"].map(metrics.currency_key) == currency])
    sub = sub.assign(spend=pd.to_numeric(sub["spend"], errors="coerce")).dropna(subset=["spend"])
    sub = sub.sort_values("spend", ascending=False, kind="stable")
    return sub[cols].head(n).reset_index(drop=True)


def staff_board(totals: pd.DataFrame | None, page_names: Mapping[str, str] | None = None,
                n: int = 10) -> pd.DataFrame:
    """The Staff page's ranking (``views.staff.board``: one row per member across pages, counts
    summed, response time weighted by reply sessions), its first ``n``, with their replies: the
    TV and the Staff page rank the same people with the same numbers. Columns: page_id (the
    member's pages, joined with ","), page_name, user_id, user_name, replies, average_response_time."""
    cols = ["page_id", "page_name", "user_id", "user_name", "replies", "average_response_time"]
    board = staff_views.board(totals, page_names, n)   # typed columns even when empty
    return board.assign(replies=metrics.replies(board))[cols].reset_index(drop=True)


def hourly_today(activity: pd.DataFrame | None, day: date, tz: str | None = None,
                 now: datetime | None = None) -> pd.DataFrame:
    """Customer messages and page messages per local hour of ``day`` (summed over pages); the
    hours after ``now`` (naive local time) unknown, never 0."""
    return hours_of_day(activity, ["customer_inbox_count", "page_inbox_count"], day, tz, now)


def hours_of_day(frame: pd.DataFrame | None, fields: Sequence[str], day: date, tz: str | None = None,
                 now: datetime | None = None) -> pd.DataFrame:
    """``fields`` per local hour of ``day`` summed over pages (a one-day range's chart: one
    point a day would say nothing); the hours after ``now`` unknown, never 0."""
    return summed_series(frame, list(fields), day, day, grain="hour", tz=tz, now=now)


# --- yesterday in five lines -------------------------------------------------------------

_WEEKDAY_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_WEEKDAY_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

Key = tuple[str, "str | None"]   # (field, currency): currency None for a non-money field


def weekday_word(d: date, lang: str) -> str:
    return (_WEEKDAY_VI if lang == "vi" else _WEEKDAY_EN)[d.weekday()]


def lines_title(day: date, lang: str) -> str:
    """The five lines' title: the day and the weekday they are set against (a week before)."""
    return i18n.t("kiosk.lines.title", lang, day=fmt.date(day, lang), weekday=weekday_word(day, lang))


def _on_day(frame: pd.DataFrame | None, col: str, day: date) -> pd.DataFrame | None:
    if frame is None or frame.empty:
        return None
    return frame[pd.to_datetime(frame[col]).dt.normalize() == pd.Timestamp(day)]


def day_values(day: date, *, engagement: pd.DataFrame | None = None, activity: pd.DataFrame | None = None,
               customers: pd.DataFrame | None = None, staff_hourly: pd.DataFrame | None = None,
               ads: pd.DataFrame | None = None) -> dict[Key, float]:
    """One day's numbers for the five lines, keyed by (field, currency). ``ads`` covers exactly
    that day (ads come aggregated over the asked range); its spend is per currency, the ads
    with no currency keyed "" (never added to VND). An unknown number (a series the API did
    not send, such as orders on some accounts) is left out, never 0."""
    values: dict[Key, Any] = {}
    for frame, col, fields in ((engagement, "date", ("inbox", "comment", "order_count")),
                               (activity, "hour", ("customer_inbox_count", "page_inbox_count")),
                               (customers, "date", ("new_customer_count", "new_phone_number_count"))):
        rows = _on_day(frame, col, day)
        if rows is not None:
            values.update({(f, None): metrics.total(rows, f) for f in fields})
    staff_rows = _on_day(staff_hourly, "hour", day)
    if staff_rows is not None:
        values[("average_response_time", None)] = metrics.response_time(staff_rows)
    for currency, sums in metrics.ads_kpi_values(ads).items():
        values[("spend", currency)] = sums.get("spend")
    return {k: float(v) for k, v in values.items() if not is_missing(v)}


# the endpoint each five-lines number comes from (the catalogue's meaning for it)
LINE_SOURCES = {"inbox": "engagement", "comment": "engagement", "order_count": "engagement",
                "customer_inbox_count": "activity", "page_inbox_count": "activity",
                "new_customer_count": "customers", "new_phone_number_count": "customers",
                "average_response_time": "staff", "spend": "ads"}


@dataclass(frozen=True)
class Line:
    field: str
    currency: str | None
    current: float
    previous: float
    pct: float | None          # None when last week was 0
    good: bool | None          # the metric moved its better way (colour)
    text: str


def _label(field: str, lang: str, currency: str | None) -> str:
    text = metrics.label(field, lang, LINE_SOURCES.get(field))
    if currency is not None:
        text = f"{text} ({currency or fmt.MISSING})"
    return text[:1].upper() + text[1:]


def _line(key: Key, cur: float, prev: float, lang: str) -> tuple[float, Line]:
    """One line and its rank: |percent change|, infinite for a metric that was 0 last week."""
    field, currency = key
    ch = metrics.change(field, cur, prev, LINE_SOURCES.get(field))
    change, pct = ch.difference, (ch.value if ch.kind == "pct" else None)
    fv = lambda v: format_metric(field, v, lang, currency or None, source=LINE_SOURCES.get(field))  # noqa: E731
    label = _label(field, lang, currency)
    if pct is None:
        text = i18n.t("kiosk.line.from_zero", lang, label=label, cur=fv(cur), prev=fv(prev))
        score = math.inf
    elif change == 0:
        text = i18n.t("kiosk.line.same", lang, label=label, cur=fv(cur))
        score = 0.0
    else:
        text = i18n.t("kiosk.line.up" if change > 0 else "kiosk.line.down", lang, label=label,
                      pct=fmt.percent(abs(pct), lang, decimals=0), cur=fv(cur), prev=fv(prev))
        score = abs(pct)
    good = metrics.is_improvement(field, change, LINE_SOURCES.get(field))
    return score, Line(field, currency, cur, prev, pct, good, text)


def five_lines(current: Mapping[Key, float], previous: Mapping[Key, float], lang: str, n: int = 5,
               min_base: float = MIN_BASE_FOR_LINE) -> list[Line]:
    """The ``n`` biggest relative changes between two days (yesterday and the same weekday a
    week before: ``lines_title`` says which), as short lines.

    Changes are ranked by |percent change|; a metric that was 0 last week and is not now ranks
    first (it appeared). A count below ``min_base`` on both days is left out (1 vs 2 is not news);
    a missing value on either day too."""
    scored: list[tuple[float, Line]] = []
    for key, cur in current.items():
        prev = previous.get(key)
        if is_missing(cur) or is_missing(prev):
            continue
        cur, prev = float(cur), float(prev)
        m = metrics.metric(key[0], LINE_SOURCES.get(key[0]))
        if (m is None or m.unit == "count") and max(cur, prev) < min_base:
            continue
        if cur == prev == 0:
            continue
        scored.append(_line(key, cur, prev, lang))
    scored.sort(key=lambda x: -x[0])
    return [line for _, line in scored[:n]]


# --- flags -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Flag:
    kind: str            # response_time | ads_no_purchase | no_reply | token
    page_id: str
    subject: str
    text: str
    value: float = math.nan


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


def response_time_flags(staff_hourly: pd.DataFrame | None, day: date, lang: str,
                        page_names: Mapping[str, str] | None = None, *, ratio_threshold: float = RT_RATIO,
                        min_increase_ms: float = RT_MIN_INCREASE_MS, min_sessions: int = RT_MIN_SESSIONS,
                        min_baseline_days: int = RT_MIN_BASELINE_DAYS) -> list[Flag]:
    """Staff whose response time on ``day`` jumped against their median of the 7 days before."""
    if staff_hourly is None or staff_hourly.empty:
        return []
    daily = metrics.daily_response_times(staff_hourly, by=["page_id", "user_id"])
    names = staff_hourly.drop_duplicates(["page_id", "user_id"], keep="last") \
        .set_index(["page_id", "user_id"])["user_name"]
    flags = []
    for (pid, uid), rows in daily.groupby(["page_id", "user_id"], sort=True):
        jump = _jump(rows, pd.Timestamp(day), ratio_threshold=ratio_threshold, min_increase_ms=min_increase_ms,
                     min_sessions=min_sessions, min_baseline_days=min_baseline_days)
        if jump is None:
            continue
        cur, median = jump
        staff = str(names.get((pid, uid), uid))
        text = i18n.t("kiosk.flag.response_time", lang, staff=staff, page=(page_names or {}).get(pid, pid),
                      cur=fmt.duration_ms(cur, lang), x=fmt.number(cur / median, lang, decimals=1),
                      median=fmt.duration_ms(median, lang))
        flags.append(Flag("response_time", str(pid), staff, text, cur / median))
    flags.sort(key=lambda f: -f.value)
    return flags


def ads_no_purchase_flags(ads: pd.DataFrame | None, lang: str,
                          page_names: Mapping[str, str] | None = None) -> list[Flag]:
    """Ads that spent money (over the frame's range, yesterday on the screen) and reported 0
    purchases. Null purchases are unknown (the API sent no result), never "no purchase"; an ad
    with no currency shows its spend as a bare amount, never as đồng."""
    if ads is None or ads.empty:
        return []
    spend = pd.to_numeric(ads["spend"], errors="coerce")
    purchases = pd.to_numeric(ads["purchases"], errors="coerce")
    hit = ads[(spend > 0) & (purchases == 0)].assign(_spend=spend)
    flags = []
    for _, r in hit.sort_values("_spend", ascending=False, kind="stable").iterrows():
        pid = str(r["page_id"])
        name = str(r["ad_id"]) if is_missing(r["name"]) else str(r["name"])
        text = i18n.t("kiosk.flag.ads_no_purchase", lang, ad=name, page=(page_names or {}).get(pid, pid),
                      spend=fmt.money(r["_spend"], metrics.currency_key(r["currency"]) or None, lang))
        flags.append(Flag("ads_no_purchase", pid, name, text, float(r["_spend"])))
    return flags


def _silence(rows: pd.DataFrame, now_hour: pd.Timestamp) -> tuple[pd.Timestamp, int, Any]:
    """(first silent hour, silent hours up to ``now_hour``, customer messages since then) of one
    page: the stretch after the last hour the page sent a message (else from the first hour)."""
    rows = rows.sort_values("hour")
    hours = pd.to_datetime(rows["hour"])
    sent = pd.to_numeric(rows["page_inbox_count"], errors="coerce") > 0
    since = hours[sent].iloc[-1] + pd.Timedelta(hours=1) if sent.any() else hours.iloc[0]
    silent = int((now_hour - since) / pd.Timedelta(hours=1)) + 1
    return since, silent, metrics.total(rows[hours >= since], "customer_inbox_count")


def no_reply_flags(activity: pd.DataFrame | None, now: datetime, lang: str,
                   page_names: Mapping[str, str] | None = None, *, hours: int = DEFAULT_SILENT_HOURS) -> list[Flag]:
    """Pages where customers wrote and the page sent nothing for ``hours`` hours or more.

    ``now`` is naive local time; its hour counts (Pancake reports the running hour). The silent
    stretch starts after the last hour in which the page sent a message (or at the first hour of
    the data when it sent none) and runs to the current hour."""
    if activity is None or activity.empty:
        return []
    now_hour = pd.Timestamp(now).floor("h")
    flags = []
    for pid, rows in activity[pd.to_datetime(activity["hour"]) <= now_hour].groupby("page_id", sort=True):
        since, silent, waiting = _silence(rows, now_hour)
        if silent < hours or is_missing(waiting) or waiting <= 0:
            continue
        page = (page_names or {}).get(str(pid), str(pid))
        text = i18n.t("kiosk.flag.no_reply", lang, page=page, n=fmt.number(waiting, lang), hours=silent,
                      since=fmt.hour(since, lang) if since.normalize() == now_hour.normalize()
                      else f"{fmt.hour(since, lang)} {fmt.date(since, lang)}")
        flags.append(Flag("no_reply", str(pid), page, text, float(silent)))
    flags.sort(key=lambda f: -f.value)
    return flags


def token_flags(errors: Iterable[Any], lang: str) -> list[Flag]:
    """Pages whose load failed with an auth error (``PageError.kind == "auth"``), once each."""
    seen: dict[str, Flag] = {}
    for err in errors:
        if getattr(err, "kind", None) != "auth" or err.page_id in seen:
            continue
        page = err.page_name or err.page_id
        seen[err.page_id] = Flag("token", err.page_id, page,
                                 i18n.t("kiosk.flag.token", lang, page=page, msg=err.message))
    return list(seen.values())


def failure_flags(errors: Iterable[Any], lang: str) -> list[Flag]:
    """Pages whose load failed for another reason than their token (a timeout, a server
    error), once each: their numbers are missing from the screen."""
    seen: dict[str, Flag] = {}
    for err in errors:
        if getattr(err, "kind", None) == "auth" or err.page_id in seen:
            continue
        page = err.page_name or err.page_id
        seen[err.page_id] = Flag("failed", err.page_id, page, i18n.t("kiosk.flag.failed", lang, page=page))
    return list(seen.values())


# the flags' kinds, most serious first: a page whose numbers are missing, then customers
# waiting, then slow staff, then money spent for nothing
SEVERITY = ("token", "failed", "no_reply", "response_time", "ads_no_purchase")


def by_severity(flags: Iterable[Flag]) -> list[Flag]:
    """The flags most serious first (``SEVERITY``), each kind in its own order."""
    return sorted(flags, key=lambda f: SEVERITY.index(f.kind))


@dataclass(frozen=True)
class Attention:
    """A page needing attention: its flags in one short line."""
    page_id: str
    page: str
    worst: str          # the most serious flag kind (its icon and colour)
    count: int          # how many flags the page has
    text: str


def _reasons(flags: Sequence[Flag], lang: str) -> list[str]:
    """One short phrase per kind of flag of one page, most serious first."""
    out = []
    for kind in SEVERITY:
        these = [f for f in flags if f.kind == kind]
        if not these:
            continue
        if kind in ("token", "failed"):
            out.append(i18n.t(f"kiosk.why.{kind}", lang))
        elif kind == "no_reply":
            out.append(i18n.t("kiosk.why.no_reply", lang, hours=int(max(f.value for f in these))))
        else:
            key = "slow" if kind == "response_time" else "ads"
            out.append(i18n.t(f"kiosk.why.{key}_one", lang, name=these[0].subject) if len(these) == 1
                       else i18n.t(f"kiosk.why.{key}_many", lang, n=len(these)))
    return out


def attention(flags: Iterable[Flag], lang: str, page_names: Mapping[str, str] | None = None) -> list[Attention]:
    """The pages needing attention, worst first: by their most serious flag (``SEVERITY``),
    then by how many flags they have, then by name ("#2" before "#12"). One line each: the page
    and what is wrong."""
    by_page: dict[str, list[Flag]] = {}
    for f in flags:
        by_page.setdefault(f.page_id, []).append(f)
    out = []
    for pid, these in by_page.items():
        worst = min((f.kind for f in these), key=SEVERITY.index)
        page = (page_names or {}).get(pid) or next((f.subject for f in these if f.kind in ("token", "failed")), pid)
        out.append(Attention(pid, page, worst, len(these),
                             i18n.t("kiosk.attention.line", lang, page=page,
                                    reasons=" · ".join(_reasons(these, lang)))))
    out.sort(key=lambda a: (SEVERITY.index(a.worst), -a.count, _natural(a.page)))
    return out


def _natural(name: str) -> tuple:
    """A sort key that puts "Shop #2" before "Shop #12"."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
                 for part in re.split(r"(\d+)", name))


# --- the loads of one screen run -----------------------------------------------------------

def errors_of(results: Iterable[Any]) -> list[Any]:
    """The per-page errors of several loads, each (page, message) once."""
    seen, out = set(), []
    for r in results:
        for e in r.errors:
            if (e.page_id, e.message) not in seen:
                seen.add((e.page_id, e.message))
                out.append(e)
    return out


def fetched_at(results: Iterable[Any]) -> datetime | None:
    """When the oldest data on screen was fetched: it decides how fresh the screen is."""
    return min((r.fetched_at for r in results), default=None)


# --- the status corner --------------------------------------------------------------------

def interval_text(seconds: float, lang: str) -> str:
    """A refresh or rotation interval in words: "5 phút", "1,5 min", "45 s"."""
    minutes = seconds / 60
    if seconds >= 60:
        n = int(round(minutes)) if abs(minutes - round(minutes)) < 1e-9 else fmt.number(minutes, lang, decimals=1)
        return i18n.t("kiosk.minutes", lang, n=n)
    return i18n.t("kiosk.seconds", lang, n=fmt.number(seconds, lang, decimals=0))


def age_text(fetched: datetime, now: datetime, lang: str) -> str:
    """How old the data is: "vừa xong" under a minute, else whole minutes."""
    minutes = int((now - fetched).total_seconds() // 60)
    return i18n.t("kiosk.age.now", lang) if minutes < 1 else i18n.t("kiosk.age.min", lang, n=minutes)


def local(at: datetime, tz: str) -> datetime:
    """An aware moment as the shop's wall clock reads it (naive, zone ``tz``)."""
    return at.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def clock(at: datetime, tz: str) -> str:
    """A moment on the shop's wall clock: HH:MM:SS in zone ``tz``."""
    return local(at, tz).strftime("%H:%M:%S")


def schedule_text(opts: Options, section: str, lang: str) -> str:
    """"Refreshes every 5 min", plus "section 1/2 · next every 45 s" when rotating."""
    line = i18n.t("kiosk.refresh", lang, every=interval_text(opts.refresh_seconds, lang))
    if opts.rotating:
        line += " · " + i18n.t("kiosk.rotation", lang, i=opts.rotate.index(section) + 1, n=len(opts.rotate),
                               every=interval_text(opts.every_seconds, lang))
    return line


# --- figures -----------------------------------------------------------------------------

CHART_FONT = '"Source Sans", "Source Sans Pro", sans-serif'   # the screen's own font


def themed(fig: go.Figure, theme: str, *, font_size: int = CHART_FONT_SIZE) -> go.Figure:
    """Large fonts for a screen across the room, every text on the chart included (the text on
    bars is never shrunk to fit); a dark template for ``theme="dark"``. The page draws it with
    its own template (``theme=None``): Streamlit's would shrink the fonts back."""
    dark = theme == "dark"
    fig.update_layout(template="plotly_dark" if dark else "plotly_white",
                      font=dict(size=font_size, family=CHART_FONT), legend=dict(font=dict(size=font_size)),
                      hoverlabel=dict(font=dict(size=font_size)), uniformtext=dict(minsize=font_size, mode="show"),
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
    fig.update_traces(textfont=dict(size=font_size), selector=dict(type="bar"))
    return fig


def trend_figure(daily: pd.DataFrame | None, start: date, end: date, series: Mapping[str, str], theme: str,
                 date_col: str = "date", *, lang: str, partial: bool = False) -> go.Figure:
    """One line per field in ``series`` ({field: label}), a value per day over [start, end];
    ``partial``: the last day (today) is not over (a dotted last segment)."""
    frame = pd.DataFrame({"date": pd.date_range(start, end, freq="D")})
    for f in series:
        frame[f] = metrics.daily_series(daily, f, start, end, date_col=date_col)
    return themed(charts.time_series(frame, "date", series, lang=lang, height=CHART_HEIGHT,
                                      partial=partial), theme)


def bars_figure(labels: Sequence[str], values: Sequence[float], texts: Sequence[str], theme: str, *,
                lang: str, unit: str = "count", currency: str | None = None, key: str = "count") -> go.Figure:
    fig = charts.bars(labels, values, lang=lang, text=texts, height=CHART_HEIGHT, unit=unit, currency=currency,
                      key=key)
    return themed(fig, theme)


def hourly_figure(frame: pd.DataFrame, labels: Mapping[str, str], theme: str, *, lang: str,
                  partial: bool = False) -> go.Figure:
    """Bars per hour of one day; hours after now are blank (unknown), the running hour hatched
    when ``partial``."""
    return themed(charts.time_series(frame, "hour", labels, lang=lang, kind="bar", height=CHART_HEIGHT,
                                      partial=partial),
                  theme)


def trend_labels(frame: pd.DataFrame | None, fields: Sequence[str], lang: str, source: str) -> dict[str, str]:
    """{field: label} for a trend chart: the fields the API sent (an unsent series, such as
    orders on some accounts, draws no line rather than a flat 0)."""
    return {f: metrics.label(f, lang, source) for f in fields if metrics.total(frame, f) is not None}


def staff_figure(totals: pd.DataFrame | None, page_names: Mapping[str, str], lang: str, theme: str) -> go.Figure:
    """The ten members with most replies, each bar saying replies · response time."""
    board = staff_board(totals, page_names, n=10)
    # as the Staff page labels them: by name, namesakes with their pages
    names = staff_views.labels(board["user_name"], board["page_name"])
    texts = [f"{fmt.number(r, lang)} · {fmt.duration_ms(t, lang)}"
             for r, t in zip(board["replies"], board["average_response_time"])]
    return bars_figure(names, list(board["replies"]), texts, theme, lang=lang, key="replies")


def top_ads_figure(ads: pd.DataFrame | None, currency: str, lang: str, theme: str) -> go.Figure | None:
    """The eight ads that spent most in ``currency``; None without any."""
    top = top_ads(ads, currency, n=8)
    if top.empty:
        return None
    return bars_figure(list(top["name"].astype(str)), list(top["spend"]),
                       [fmt.money(s, currency or None, lang) for s in top["spend"]], theme,
                       lang=lang, unit="money", currency=currency or None, key="spend")


def tags_figure(top: pd.DataFrame, lang: str, theme: str) -> go.Figure:
    """The most used tags (``tags.top``), one bar each."""
    return bars_figure(list(top["tag_name"].astype(str)), list(top["count"]),
                       [fmt.number(c, lang) for c in top["count"]], theme, lang=lang)

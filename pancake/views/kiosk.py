"""The standup screen (``?kiosk=1``): options from the URL, the section playlist, KPI figures,
"yesterday in five lines" and the flags worth raising at a standup. Pure: no Streamlit.

Flags and their thresholds (all overridable through :class:`KioskOptions`):

* ``response_time`` - a staff member's weighted average response time on the day is at least
  ``RT_RATIO`` (1.5) times their median over the 7 days before, and at least ``RT_MIN_INCREASE_MS``
  (2 minutes) more, with at least ``RT_MIN_SESSIONS`` (5) reply sessions on the day and at least
  ``RT_MIN_BASELINE_DAYS`` (3) active days in the 7 before.
* ``ads_no_purchase`` - an ad spent money on the day (spend > 0) and has no purchase (0 or null).
* ``no_reply`` - a page received customer messages and sent none for ``silent_hours`` (3) hours or
  more, counted up to the current hour.
* ``token`` - a page whose data load failed with an auth error (dead, renewed or revoked token).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from .. import charts, fmt, i18n, metrics
from . import _is_missing, daily_series, format_metric, ratio, total

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
MAX_FLAGS_SHOWN = 8


# --- options -----------------------------------------------------------------------------

@dataclass(frozen=True)
class KioskOptions:
    refresh_minutes: float = DEFAULT_REFRESH_MINUTES
    rotate: tuple[str, ...] = ()
    every_seconds: float = DEFAULT_EVERY_SECONDS
    theme: str = "light"
    silent_hours: int = DEFAULT_SILENT_HOURS
    section: str = "overview"

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


def parse_options(params: Mapping[str, str], default_section: str = "overview") -> tuple[KioskOptions, list[str]]:
    """Kiosk URL parameters -> options and the problems found (never fatal).

    ``refresh`` minutes (decimals allowed, 0.05 .. 1440), ``rotate=overview,staff,ads`` and
    ``every`` seconds (>= 3), ``theme=light|dark``, ``silent`` hours for the no-reply flag,
    ``section`` (else the URL path's page)."""
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
    return KioskOptions(refresh_minutes=refresh, rotate=tuple(rotate), every_seconds=every, theme=theme,
                        silent_hours=int(round(silent)), section=section), problems


def section_at(opts: KioskOptions, elapsed_seconds: float) -> str:
    """The section on screen ``elapsed_seconds`` after the screen started (the playlist)."""
    if not opts.rotating:
        return opts.rotate[0] if opts.rotate else opts.section
    step = int(max(elapsed_seconds, 0.0) // opts.every_seconds)
    return opts.rotate[step % len(opts.rotate)]


# --- numbers -----------------------------------------------------------------------------

@dataclass(frozen=True)
class KpiSpec:
    """What a KPI card shows; the UI turns it into ``ui.components.Kpi``."""
    field: str
    value: Any
    previous: Any = None
    spark: Sequence[float] | None = None
    currency: str | None = None
    label: str | None = None


def response_time(frame: pd.DataFrame | None) -> float:
    """Weighted average response time (ms) of staff rows (hourly or totals); NaN without sessions."""
    if frame is None or frame.empty or "average_response_time" not in frame.columns:
        return math.nan
    out = metrics.weighted_response_time(frame, by=[])
    value = out["average_response_time"].iloc[0] if len(out) else math.nan
    return math.nan if _is_missing(value) else float(value)


def overview_kpis(cur: pd.DataFrame | None, prev: pd.DataFrame | None, cur_staff: pd.DataFrame | None,
                  prev_staff: pd.DataFrame | None, start: date, end: date) -> list[KpiSpec]:
    """Engagement totals over the range (daily frames), and the staff's weighted response time."""
    out = [KpiSpec(f, total(cur, f), total(prev, f) if prev is not None else None, daily_series(cur, f, start, end))
           for f in ("total", "inbox", "comment", "order_count")]
    out.append(KpiSpec("average_response_time", response_time(cur_staff),
                       response_time(prev_staff) if prev_staff is not None else None))
    return out


def staff_kpis(cur: pd.DataFrame | None, prev: pd.DataFrame | None) -> list[KpiSpec]:
    """Staff totals (``users`` totals frames): messages, comment replies, phone numbers, response
    time (``statistics/users`` has no orders)."""
    out = [KpiSpec(f, total(cur, f), total(prev, f) if prev is not None else None)
           for f in ("inbox_count", "comment_count", "phone_number_count")]
    out.append(KpiSpec("average_response_time", response_time(cur),
                       response_time(prev) if prev is not None else None))
    return out


def staff_board(totals: pd.DataFrame | None, page_names: Mapping[str, str] | None = None,
                n: int = 10) -> pd.DataFrame:
    """Staff ranked by replies (messages + comment replies): one row per page and member, with
    their weighted response time. Columns: page_id, page_name, user_id, user_name, replies,
    inbox_count, comment_count, order_count, average_response_time."""
    cols = ["page_id", "page_name", "user_id", "user_name", "replies", "inbox_count", "comment_count",
            "order_count", "average_response_time"]
    if totals is None or totals.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "average_response_time" else "object")
                             for c in cols})
    combined = metrics.combine_users(totals, by=["page_id", "user_id"])
    names = totals.drop_duplicates(["page_id", "user_id"], keep="last").set_index(["page_id", "user_id"])["user_name"]
    combined["user_name"] = [names.get((p, u), u) for p, u in zip(combined["page_id"], combined["user_id"])]
    combined["page_name"] = combined["page_id"].map(lambda p: (page_names or {}).get(p, p))
    for c in ("inbox_count", "comment_count", "order_count"):
        if c not in combined.columns:
            combined[c] = 0
    combined["replies"] = (combined["inbox_count"].astype("Float64").fillna(0)
                           + combined["comment_count"].astype("Float64").fillna(0)).astype("int64")
    combined = combined.sort_values(["replies", "user_name"], ascending=[False, True], kind="stable")
    return combined[cols].head(n).reset_index(drop=True)


def main_currency(ads: pd.DataFrame | None) -> str | None:
    """The currency with the most spend (amounts in different currencies never add up)."""
    if ads is None or ads.empty or "currency" not in ads.columns:
        return None
    work = pd.DataFrame({"currency": ads["currency"].astype("object").fillna("VND"),
                         "spend": pd.to_numeric(ads["spend"], errors="coerce").fillna(0.0)})
    by = work.groupby("currency", sort=True)["spend"].sum().sort_values(ascending=False, kind="stable")
    return str(by.index[0]) if len(by) else None


def ads_kpis(cur: pd.DataFrame | None, prev: pd.DataFrame | None, currency: str | None) -> list[KpiSpec]:
    """Spend, purchases, purchase value and ROAS in one currency, recomputed from sums."""
    def one(frame: pd.DataFrame | None) -> dict[str, float]:
        if frame is None or frame.empty or currency is None:
            return {}
        sub = frame[frame["currency"].astype("object").fillna("VND") == currency]
        t = metrics.ads_totals(sub.assign(currency=currency))
        return t.iloc[0].to_dict() if len(t) else {}
    c, p = one(cur), one(prev)
    def get(d: dict, f: str) -> Any:
        v = d.get(f, math.nan if f in ("roas", "cost_per_purchase") else 0.0)
        return 0.0 if _is_missing(v) and f not in ("roas", "cost_per_purchase") else v
    out = []
    for f in ("spend", "purchases", "cost_per_purchase", "roas"):
        out.append(KpiSpec(f, get(c, f), get(p, f) if prev is not None else None,
                           currency=currency if f in ("spend", "cost_per_purchase") else None))
    return out


def top_ads(ads: pd.DataFrame | None, currency: str | None, n: int = 8) -> pd.DataFrame:
    """The ads that spent most in ``currency``: name, page, spend, purchases, ROAS."""
    cols = ["page_id", "ad_id", "name", "currency", "spend", "purchases", "roas"]
    if ads is None or ads.empty or currency is None:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    sub = metrics.ads_derived(ads[ads["currency"].astype("object").fillna("VND") == currency])
    sub = sub.assign(spend=pd.to_numeric(sub["spend"], errors="coerce"))
    sub = sub.sort_values("spend", ascending=False, kind="stable")
    return sub[cols].head(n).reset_index(drop=True)


def customers_kpis(cur: pd.DataFrame | None, prev: pd.DataFrame | None, start: date, end: date) -> list[KpiSpec]:
    fields = ("new_customer_count", "new_page_inbox_count", "new_phone_number_count")
    out = [KpiSpec(f, total(cur, f), total(prev, f) if prev is not None else None, daily_series(cur, f, start, end))
           for f in fields]
    rate = lambda fr: ratio(total(fr, "new_phone_number_count"), total(fr, "new_page_inbox_count"))  # noqa: E731
    out.append(KpiSpec("phone_capture_rate", rate(cur), rate(prev) if prev is not None else None))
    return out


def activity_kpis(cur: pd.DataFrame | None, prev: pd.DataFrame | None, start: date, end: date) -> list[KpiSpec]:
    fields = ("customer_inbox_count", "page_inbox_count", "customer_comment_count")
    out = [KpiSpec(f, total(cur, f), total(prev, f) if prev is not None else None,
                   daily_series(cur, f, start, end, date_col="hour")) for f in fields]
    rr = lambda fr: ratio(total(fr, "page_inbox_count"), total(fr, "customer_inbox_count"))  # noqa: E731
    out.append(KpiSpec("reply_ratio", rr(cur), rr(prev) if prev is not None else None))
    return out


def top_tags(daily: pd.DataFrame | None, n: int = 10) -> pd.DataFrame:
    """Tags by conversations over the range (summed over days and pages)."""
    if daily is None or daily.empty:
        return pd.DataFrame({"tag_name": pd.Series(dtype="str"), "count": pd.Series(dtype="int64")})
    out = (daily.assign(count=daily["count"].astype("Float64").fillna(0))
           .groupby("tag_name", sort=False)["count"].sum().reset_index())
    out["count"] = out["count"].astype("int64")
    return out.sort_values(["count", "tag_name"], ascending=[False, True], kind="stable").head(n).reset_index(drop=True)


def hourly_today(pages_hourly: pd.DataFrame | None, day: date) -> pd.DataFrame:
    """Customer messages and page messages per hour of ``day`` (summed over pages), 24 rows."""
    hours = pd.date_range(pd.Timestamp(day), periods=24, freq="h")
    out = pd.DataFrame({"hour": hours, "customer_inbox_count": 0.0, "page_inbox_count": 0.0})
    if pages_hourly is None or pages_hourly.empty:
        return out
    f = pages_hourly[pd.to_datetime(pages_hourly["hour"]).dt.normalize() == pd.Timestamp(day)]
    for col in ("customer_inbox_count", "page_inbox_count"):
        s = f.groupby("hour")[col].sum(min_count=0).astype("float64")
        out[col] = [float(s.get(h, 0.0)) for h in hours]
    return out


# --- yesterday in five lines -------------------------------------------------------------

_WEEKDAY_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_WEEKDAY_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday_word(d: date, lang: str) -> str:
    return (_WEEKDAY_VI if lang == "vi" else _WEEKDAY_EN)[d.weekday()]


def day_values(day: date, *, engagement: pd.DataFrame | None = None, pages: pd.DataFrame | None = None,
               customers: pd.DataFrame | None = None, staff_hourly: pd.DataFrame | None = None,
               ads: pd.DataFrame | None = None) -> dict[tuple[str, str | None], float]:
    """One day's numbers for the five lines, keyed by (field, currency). ``ads`` covers exactly
    that day (ads come aggregated over the asked range)."""
    ts = pd.Timestamp(day)
    out: dict[tuple[str, str | None], float] = {}

    def on_day(frame: pd.DataFrame | None, col: str) -> pd.DataFrame | None:
        if frame is None or frame.empty:
            return None
        return frame[pd.to_datetime(frame[col]).dt.normalize() == ts]

    e = on_day(engagement, "date")
    if e is not None:
        for f in ("inbox", "comment", "order_count"):
            out[(f, None)] = float(total(e, f))
    p = on_day(pages, "hour")
    if p is not None:
        for f in ("customer_inbox_count", "page_inbox_count"):
            out[(f, None)] = float(total(p, f))
    c = on_day(customers, "date")
    if c is not None:
        for f in ("new_customer_count", "new_phone_number_count"):
            out[(f, None)] = float(total(c, f))
    s = on_day(staff_hourly, "hour")
    if s is not None:
        out[("average_response_time", None)] = response_time(s)
    if ads is not None and not ads.empty:
        work = pd.DataFrame({"currency": ads["currency"].astype("object").fillna("VND"),
                             "spend": pd.to_numeric(ads["spend"], errors="coerce").fillna(0.0)})
        for cur, v in work.groupby("currency", sort=True)["spend"].sum().items():
            out[("spend", str(cur))] = float(v)
    return out


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
    source = LINE_SOURCES.get(field)
    text = metrics.label(field, lang, source)
    if currency:
        text = f"{text} ({currency})"
    return text[:1].upper() + text[1:]


def five_lines(current: Mapping[tuple[str, str | None], float], previous: Mapping[tuple[str, str | None], float],
               last_week_day: date, lang: str, n: int = 5, min_base: float = MIN_BASE_FOR_LINE) -> list[Line]:
    """The ``n`` biggest relative changes between two days, as plain sentences.

    Changes are ranked by |percent change|; a metric that was 0 last week and is not now ranks
    first (it appeared). A count below ``min_base`` on both days is left out (1 vs 2 is not news);
    a missing value on either day too."""
    day_word = weekday_word(last_week_day, lang)
    scored: list[tuple[float, Line]] = []
    for key, cur in current.items():
        field, currency = key
        prev = previous.get(key)
        if _is_missing(cur) or _is_missing(prev):
            continue
        cur, prev = float(cur), float(prev)
        unit = metrics.METRICS[field].unit if field in metrics.METRICS else "count"
        if unit == "count" and max(cur, prev) < min_base:
            continue
        if cur == prev == 0:
            continue
        change, pct = metrics.delta(cur, prev)
        fv = lambda v: format_metric(field, v, lang, currency)  # noqa: E731
        label = _label(field, lang, currency)
        if pct is None:
            text = i18n.t("kiosk.line.from_zero", lang, label=label, cur=fv(cur), prev=fv(prev), day=day_word)
            score = math.inf
        elif change == 0:
            text = i18n.t("kiosk.line.same", lang, label=label, cur=fv(cur), day=day_word)
            score = 0.0
        else:
            key_ = "kiosk.line.up" if change > 0 else "kiosk.line.down"
            text = i18n.t(key_, lang, label=label, pct=fmt.percent(abs(pct), lang, decimals=0),
                          cur=fv(cur), prev=fv(prev), day=day_word)
            score = abs(pct)
        good = metrics.is_improvement(field, change, LINE_SOURCES.get(field)) if field != "spend" else None
        scored.append((score, Line(field, currency, cur, prev, pct, good, text)))
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


def response_time_flags(staff_hourly: pd.DataFrame | None, day: date, lang: str,
                        page_names: Mapping[str, str] | None = None, *, ratio_threshold: float = RT_RATIO,
                        min_increase_ms: float = RT_MIN_INCREASE_MS, min_sessions: int = RT_MIN_SESSIONS,
                        min_baseline_days: int = RT_MIN_BASELINE_DAYS) -> list[Flag]:
    """Staff whose response time on ``day`` jumped against their median of the 7 days before."""
    if staff_hourly is None or staff_hourly.empty:
        return []
    work = staff_hourly.copy()
    work["day"] = pd.to_datetime(work["hour"]).dt.normalize()
    cols = ["page_id", "user_id", "day", "unique_inbox_count", "unique_comment_count", "average_response_time"]
    daily = metrics.weighted_response_time(work[cols], by=["page_id", "user_id", "day"])
    daily["sessions"] = (daily["unique_inbox_count"].astype("Float64").fillna(0)
                         + daily["unique_comment_count"].astype("Float64").fillna(0)).astype("float64")
    names = work.drop_duplicates(["page_id", "user_id"], keep="last").set_index(["page_id", "user_id"])["user_name"]
    ts = pd.Timestamp(day)
    base_from = ts - pd.Timedelta(days=7)
    flags = []
    for (pid, uid), g in daily.groupby(["page_id", "user_id"], sort=True):
        today_rows = g[g["day"] == ts]
        if today_rows.empty:
            continue
        row = today_rows.iloc[0]
        cur = row["average_response_time"]
        if _is_missing(cur) or row["sessions"] < min_sessions:
            continue
        base = g[(g["day"] >= base_from) & (g["day"] < ts) & (g["sessions"] > 0)]["average_response_time"].dropna()
        if len(base) < min_baseline_days:
            continue
        median = float(base.astype("float64").median())
        cur = float(cur)
        if median <= 0 or cur < ratio_threshold * median or cur - median < min_increase_ms:
            continue
        page = (page_names or {}).get(pid, pid)
        staff = str(names.get((pid, uid), uid))
        text = i18n.t("kiosk.flag.response_time", lang, staff=staff, page=page,
                      cur=fmt.duration_ms(cur, lang), x=fmt.number(cur / median, lang, decimals=1),
                      median=fmt.duration_ms(median, lang))
        flags.append(Flag("response_time", str(pid), staff, text, cur / median))
    flags.sort(key=lambda f: -f.value)
    return flags


def ads_no_purchase_flags(ads: pd.DataFrame | None, lang: str,
                          page_names: Mapping[str, str] | None = None) -> list[Flag]:
    """Ads that spent money (over the frame's range, yesterday on the kiosk) with no purchase."""
    if ads is None or ads.empty:
        return []
    spend = pd.to_numeric(ads["spend"], errors="coerce").fillna(0.0)
    purchases = pd.to_numeric(ads["purchases"], errors="coerce").fillna(0.0)
    hit = ads[(spend > 0) & (purchases == 0)].assign(_spend=spend)
    hit = hit.sort_values("_spend", ascending=False, kind="stable")
    flags = []
    for _, r in hit.iterrows():
        pid = str(r["page_id"])
        name = str(r["name"]) if not _is_missing(r["name"]) else str(r["ad_id"])
        currency = r["currency"] if not _is_missing(r["currency"]) else "VND"
        text = i18n.t("kiosk.flag.ads_no_purchase", lang, ad=name, page=(page_names or {}).get(pid, pid),
                      spend=fmt.money(r["_spend"], currency, lang))
        flags.append(Flag("ads_no_purchase", pid, name, text, float(r["_spend"])))
    return flags


def no_reply_flags(pages_hourly: pd.DataFrame | None, now: datetime, lang: str,
                   page_names: Mapping[str, str] | None = None, *, hours: int = DEFAULT_SILENT_HOURS) -> list[Flag]:
    """Pages where customers wrote and the page sent nothing for ``hours`` hours or more.

    ``now`` is naive local time; its hour counts (Pancake reports the running hour). The silent
    stretch starts after the last hour in which the page sent a message (or at the first hour of
    the data when it sent none) and runs to the current hour."""
    if pages_hourly is None or pages_hourly.empty:
        return []
    now_hour = pd.Timestamp(now).floor("h")
    frame = pages_hourly[pd.to_datetime(pages_hourly["hour"]) <= now_hour]
    flags = []
    for pid, g in frame.groupby("page_id", sort=True):
        g = g.sort_values("hour")
        sent = g["page_inbox_count"].astype("Float64").fillna(0) > 0
        if sent.any():
            last = pd.Timestamp(g.loc[sent, "hour"].iloc[-1])
            since = last + pd.Timedelta(hours=1)
        else:
            since = pd.Timestamp(g["hour"].iloc[0])
        silent = int((now_hour - since) / pd.Timedelta(hours=1)) + 1
        waiting = g[pd.to_datetime(g["hour"]) >= since]["customer_inbox_count"].astype("Float64").fillna(0).sum()
        if silent < hours or waiting <= 0:
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


# --- figures -----------------------------------------------------------------------------

def themed(fig: go.Figure, theme: str, *, font_size: int = 18) -> go.Figure:
    """Large fonts for a screen across the room; a dark template for ``theme="dark"``."""
    dark = theme == "dark"
    fig.update_layout(template="plotly_dark" if dark else "plotly_white", font=dict(size=font_size),
                      paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)")
    return fig


def trend_figure(daily: pd.DataFrame | None, start: date, end: date, series: Mapping[str, str], theme: str,
                 date_col: str = "date") -> go.Figure:
    """One line per field in ``series`` ({field: label}), a value per day over [start, end]."""
    days = pd.date_range(start, end, freq="D")
    frame = pd.DataFrame({"date": days})
    for f in series:
        frame[f] = daily_series(daily, f, start, end, date_col=date_col)
    fig = charts.time_series(frame, "date", series, height=420)
    fig.update_xaxes(tickformat="%d/%m")
    return themed(fig, theme)


def bars_figure(labels: Sequence[str], values: Sequence[float], texts: Sequence[str], theme: str) -> go.Figure:
    fig = charts.bars(labels, values, text=texts, height=max(320, 44 * len(labels) + 80))
    return themed(fig, theme)


def hourly_figure(frame: pd.DataFrame, labels: Mapping[str, str], theme: str) -> go.Figure:
    fig = charts.time_series(frame, "hour", labels, kind="bar", height=420)
    fig.update_xaxes(tickformat="%H:%M")
    return themed(fig, theme)

"""The standup screen (``?kiosk=1``): options from the URL, the section playlist, which of the
pages' KPI cards each section shows, its charts and its status corner. Pure: no Streamlit.

The cards are the pages' own (``<page>.kpis``): the screen picks some and never recomputes a
number. What the team is told (five lines, flags, pages needing attention, waits, the data's
age) is ``pancake.numbers.views.briefing``'s. Sized for a 1920×1080 screen read across the
room (``CHART_HEIGHT``: what is left for the chart under the header and the cards).
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import plotly.graph_objects as go

from pancake import fmt, i18n, timeutil
from pancake.numbers import charts, metrics
from pancake.numbers.views import ads as ads_views
from pancake.numbers.views import staff as staff_views
from pancake.numbers.views.briefing import DEFAULT_SILENT_HOURS
from pancake.numbers.views.cards import Kpi
from pancake.numbers.views.engagement import series as summed_series

SECTIONS = ("overview", "staff", "ads", "customers", "activity", "tags")
SECTION_ALIASES = {"engagement": "overview", "settings": "overview"}
THEMES = ("light", "dark")

DEFAULT_REFRESH_MINUTES = 5.0
MIN_REFRESH_MINUTES = 0.05       # 3 s: small enough for browser tests, not a busy loop
MAX_REFRESH_MINUTES = 24 * 60.0
DEFAULT_EVERY_SECONDS = 60.0
MIN_EVERY_SECONDS = 3.0
MAX_FLAGS_SHOWN = 4              # one page: its flags (two lines each at most) under the five lines
MAX_PAGES_SHOWN = 5              # several pages: the pages needing attention (one line each)
MAX_PAGES_WITH_REPLIES = 3       # ... when the response-times card sits under them (the screen must fit)
CHART_HEIGHT = 520               # px: a 1080-pixel screen less the header, the cards and the margins
REPLIES_ROOM = 150               # px the chart gives up for the response-times card under it (issue 21)
CHART_FONT_SIZE = 18             # px: every text on a chart, ticks and legend included
DESIGN_SIZE = (1920, 1080)       # px: the screen the layout is drawn for; other screens scale it
SCALE_STEP = 0.025               # the scale grows in these steps (a media query each)
SCALE_RANGE = (0.5, 3.0)         # under half a TV (a phone) the page is left as it is, and scrolls


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


# --- any screen --------------------------------------------------------------------------

def viewport_scales(design: tuple[int, int] = DESIGN_SIZE, step: float = SCALE_STEP,
                    bounds: tuple[float, float] = SCALE_RANGE) -> list[tuple[int, int, float]]:
    """``(min_width, min_height, scale)``, smallest scale first: the largest scale whose
    ``design`` size (1920×1080 scaled) fits the viewport is the one to draw at. A 1920×950 TV
    browser gets 0.875 (the layout laid out on 2194×1086 px, drawn at 1920×950), 1366×768
    0.7, 4K 2.0. Scaling, never dropping content, keeps every screen the same screen."""
    lo, hi = bounds
    out = []
    n = 0
    while True:
        scale = round(lo + n * step, 4)
        if scale > hi + 1e-9:
            return out
        out.append((math.ceil(design[0] * scale - 1e-9), math.ceil(design[1] * scale - 1e-9), scale))
        n += 1


# the box Streamlit measures (as drawn) to size a card's sparkline: the one holding its chart
SPARK_BOX = '[data-testid="stMetric"] > div:has(> [data-testid="stMetricChart"])'


def fit_css(selector: str, design: tuple[int, int] = DESIGN_SIZE) -> str:
    """CSS scaling ``selector`` to the viewport: one media query per step of
    ``viewport_scales`` (the last that matches wins: the largest that fits). CSS ``zoom`` lays
    the content out at ``viewport / scale`` and draws it scaled. Streamlit sizes a chart by its
    box as drawn on screen (already scaled), so each chart's box is made ``1/scale`` as wide:
    measured, it is its column's width as laid out, and the chart fills its column. A card's
    sparkline (Vega, sized the same way) gets the same: without it a 4K screen drew it twice as
    wide as its card, cut off after its first days, and a 1366×768 one 70 % as wide."""
    return "\n".join(f"@media (min-width: {w}px) and (min-height: {h}px) {{ {selector} {{ zoom: {s:g}; }} "
                     f"{selector} [data-testid=\"stFullScreenFrame\"]:has(> .stPlotlyChart) {{ width: calc(100% / {s:g}) !important; height: calc(100% / {s:g}) !important; overflow: visible !important; }} "
                     f"{selector} {SPARK_BOX} {{ width: calc(100% / {s:g}) !important; overflow: visible !important; }} "
                     f"{selector} :is(.stPlotlyChart, .js-plotly-plot) {{ overflow: visible !important; }} }}"
                     for w, h, s in viewport_scales(design))


# --- the dark theme's colours ------------------------------------------------------------------

DARK_BACKGROUNDS = ("#0b1220", "#111a2e", "#1e293b")   # the screen, a card, a note
# Streamlit draws ``:red[▲]`` with its light theme's text colours (inline), too dark on the dark
# screen (2.6:1); on the dark theme each is redrawn in a light shade of the same colour, at least
# 4.5:1 (WCAG AA) on every dark background (tests/pancake/views/test_standup_contrast.py).
STREAMLIT_MARK_COLOURS = {"red": "rgb(158, 48, 59)", "green": "rgb(12, 90, 68)", "blue": "rgb(36, 79, 180)",
                          "gray": "rgb(104, 98, 85)", "orange": "rgb(155, 69, 25)"}
DARK_MARK_COLOURS = {"red": "#fca5a5", "green": "#6ee7b7", "blue": "#93c5fd", "gray": "#cbd5e1",
                     "orange": "#fdba74"}


def dark_marks_css() -> str:
    """CSS giving every coloured mark (arrows, flag icons, warnings) its dark-theme shade."""
    return "\n".join(f'.stApp .stMarkdownColoredText[style*="{STREAMLIT_MARK_COLOURS[name]}"] '
                     f"{{ color: {colour} !important; }}" for name, colour in DARK_MARK_COLOURS.items())


# --- the status corner --------------------------------------------------------------------

def interval_text(seconds: float, lang: str) -> str:
    """A refresh or rotation interval in words: "5 phút", "1,5 min", "45 s"."""
    minutes = seconds / 60
    if seconds >= 60:
        n = int(round(minutes)) if abs(minutes - round(minutes)) < 1e-9 else fmt.number(minutes, lang, decimals=1)
        return i18n.t("kiosk.minutes", lang, n=n)
    return i18n.t("kiosk.seconds", lang, n=fmt.number(seconds, lang, decimals=0))


def clock(at: datetime, tz: str) -> str:
    """A moment on the shop's wall clock: HH:MM:SS in zone ``tz``."""
    return timeutil.wall_clock(at, tz).strftime("%H:%M:%S")


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


def top_ads_figure(ads: pd.DataFrame | None, currency: str, lang: str, theme: str,
                   page_names: Mapping[str, str] | None = None) -> go.Figure | None:
    """The eight ads that spent most in ``currency``; None without any. Labelled as the Ads page
    labels them (``views.ads.ad_labels``): by name, with the page (``page_names``) when two share
    a name, and the end of the ad id when still alike: one bar per ad, never two read as one."""
    top = top_ads(ads, currency, n=8)
    if top.empty:
        return None
    named = top.assign(page_name=[(page_names or {}).get(str(p), str(p)) for p in top["page_id"]])
    return bars_figure(ads_views.ad_labels(named), list(top["spend"]),
                       [fmt.money(s, currency or None, lang) for s in top["spend"]], theme,
                       lang=lang, unit="money", currency=currency or None, key="spend")


def tags_figure(top: pd.DataFrame, lang: str, theme: str) -> go.Figure:
    """The most used tags (``tags.top``), one bar each."""
    return bars_figure(list(top["tag_name"].astype(str)), list(top["count"]),
                       [fmt.number(c, lang) for c in top["count"]], theme, lang=lang)

"""The standup screen: ``?kiosk=1`` (every other URL parameter still applies).

No sidebar, toolbar or menu; large KPI cards and charts; ``theme=dark``; refreshes itself every
``refresh`` minutes inside ``st.fragment(run_every=...)`` (no page flash); optionally rotates
through sections (``rotate=overview,staff,ads&every=60``); "yesterday in five lines" and the
flags worth raising at a standup. The numbers come from ``pancake.views.kiosk``.
"""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from typing import Any, Mapping, Sequence
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from pancake import fmt, i18n, metrics
from pancake.data import cache
from pancake.data.core import Result
from pancake.views import kiosk as kv

from . import components, state

FLAG_ICONS = {"token": ":material/key_off:", "no_reply": ":material/speaker_notes_off:",
              "response_time": ":material/timer:", "ads_no_purchase": ":material/money_off:"}

BASE_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stToolbar"],
[data-testid="stHeader"], [data-testid="stDecoration"], #MainMenu, footer { display: none !important; }
.block-container { padding-top: 1.2rem !important; padding-bottom: 1rem !important; max-width: 100% !important; }
[data-testid="stMetricValue"] { font-size: 2.8rem !important; line-height: 1.15 !important; }
[data-testid="stMetricValue"] div, [data-testid="stMetricLabel"] div, [data-testid="stMetricLabel"] p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stMetricLabel"] p { font-size: 1.35rem !important; }
[data-testid="stMetricDelta"] { font-size: 1.3rem !important; }
.st-key-kiosk-lines p, .st-key-kiosk-flags p { font-size: 1.45rem !important; line-height: 1.45 !important; }
.st-key-kiosk-status p { font-size: 1.2rem !important; }
.st-key-kiosk-head h1 { font-size: 2.6rem !important; padding-top: 0 !important; }
</style>
"""
DARK_CSS = """
<style>
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] { background-color: #0b1220 !important; color: #e5e7eb !important; }
.stApp p, .stApp h1, .stApp h2, .stApp h3, .stApp label, .stApp li,
[data-testid="stMetricValue"], [data-testid="stMetricLabel"] p, [data-testid="stCaptionContainer"] { color: #e5e7eb !important; }
[data-testid="stMetric"] { background-color: #111a2e !important; border-color: #334155 !important; }
[data-testid="stVerticalBlockBorderWrapper"] { border-color: #334155 !important; }
[data-testid="stAlert"] { background-color: #1e293b !important; }
[data-testid="stMetricDelta"] { background-color: #1e293b !important; }
[data-testid="stMetricDelta"] div, [data-testid="stMetricDelta"] svg { filter: brightness(1.6); }
</style>
"""


def _tz() -> ZoneInfo:
    return ZoneInfo(cache.tz_name())


def _clock(at: datetime) -> str:
    return at.astimezone(_tz()).strftime("%H:%M:%S")


def _interval(seconds: float, lang: str) -> str:
    if seconds >= 60 and abs(seconds / 60 - round(seconds / 60)) < 1e-9:
        return i18n.t("kiosk.minutes", lang, n=int(round(seconds / 60)))
    if seconds >= 60:
        return i18n.t("kiosk.minutes", lang, n=fmt.number(seconds / 60, lang, decimals=1))
    return i18n.t("kiosk.seconds", lang, n=fmt.number(seconds, lang, decimals=0))


def _age(fetched: datetime, now: datetime, lang: str) -> str:
    minutes = int((now - fetched).total_seconds() // 60)
    return i18n.t("kiosk.age.now", lang) if minutes < 1 else i18n.t("kiosk.age.min", lang, n=minutes)


class _Loads:
    """Data-layer calls of one screen run: their errors and the oldest fetch time."""

    def __init__(self) -> None:
        self.results: list[Result] = []

    def __call__(self, kind: str, page_ids: Sequence[str], start: date, end: date, **options: Any) -> Result:
        result = cache.load(kind, page_ids, start, end, progress=False, **options)
        self.results.append(result)
        return result

    @property
    def errors(self) -> list:
        seen, out = set(), []
        for r in self.results:
            for e in r.errors:
                if (e.page_id, e.message) not in seen:
                    seen.add((e.page_id, e.message))
                    out.append(e)
        return out

    @property
    def fetched_at(self) -> datetime | None:
        return min((r.fetched_at for r in self.results), default=None)


def _kpis(items: list[kv.KpiSpec], lang: str, source: str | None = None, theme: str = "light") -> None:
    # sparklines draw on a white canvas: left out on the dark screen
    components.kpi_cards([components.Kpi(k.field, k.value, k.previous, None if theme == "dark" else k.spark,
                                         k.currency,
                                         label=metrics.label(k.field, lang, source) if source else None,
                                         source=source)
                          for k in items], columns=len(items))


def _chart(fig, theme: str) -> None:
    # theme=None: our own template (plotly_dark on the dark screen), not Streamlit's
    st.plotly_chart(fig, width="stretch", theme=None if theme == "dark" else "streamlit",
                    config={"displayModeBar": False})


def _section(name: str, load: _Loads, page_ids: list[str], names: Mapping[str, str], theme: str,
             today: date) -> None:
    lang = state.lang()
    view = state.current()
    start, end = state.date_range()
    prev_start, prev_end = state.previous_range()
    compare = view.compare
    _chart_ = lambda fig: _chart(fig, theme)  # noqa: E731
    if name == "overview":
        cur = load("engagement", page_ids, start, end)
        prev = load("engagement", page_ids, prev_start, prev_end) if compare else None
        ucur = load("users", page_ids, start, end)
        uprev = load("users", page_ids, prev_start, prev_end) if compare else None
        daily = cur.get("daily")
        if (daily is None or daily.empty) and not cur.errors:
            components.empty_state()
            return
        _kpis(kv.overview_kpis(daily, prev.get("daily") if prev else None, ucur.get("totals"),
                               uprev.get("totals") if uprev else None, start, end), lang, theme=theme)
        _chart_(kv.trend_figure(daily, start, end, {"inbox": metrics.label("inbox", lang),
                                                   "comment": metrics.label("comment", lang),
                                                   "order_count": metrics.label("order_count", lang)}, theme))
        components.partial_today_note()
    elif name == "staff":
        cur = load("users", page_ids, start, end)
        prev = load("users", page_ids, prev_start, prev_end) if compare else None
        totals = cur.get("totals")
        if (totals is None or totals.empty) and not cur.errors:
            components.empty_state()
            return
        _kpis(kv.staff_kpis(totals, prev.get("totals") if prev else None), lang, source="staff", theme=theme)
        board = kv.staff_board(totals, names, n=10)
        st.subheader(i18n.t("kiosk.staff_board", lang))
        labels = [f"{u} · {p}" if len(page_ids) > 1 else str(u) for u, p in zip(board["user_name"], board["page_name"])]
        texts = [f"{fmt.number(r, lang)} · {fmt.duration_ms(t, lang)}"
                 for r, t in zip(board["replies"], board["average_response_time"])]
        _chart_(kv.bars_figure(labels, list(board["replies"]), texts, theme))
    elif name == "ads":
        cur = load("ads", page_ids, start, end)
        prev = load("ads", page_ids, prev_start, prev_end) if compare else None
        ads = cur.get("ads")
        if (ads is None or ads.empty) and not cur.errors:
            components.empty_state()
            return
        currency = kv.main_currency(ads)
        _kpis(kv.ads_kpis(ads, prev.get("ads") if prev else None, currency), lang, theme=theme)
        others = sorted(set(ads["currency"].dropna().astype(str)) - {currency}) if ads is not None and not ads.empty else []
        if others:
            st.caption(i18n.t("kiosk.other_currencies", lang, c=", ".join(others)))
        top = kv.top_ads(ads, currency, n=8)
        if not top.empty:
            st.subheader(i18n.t("kiosk.top_ads", lang, currency=currency))
            _chart_(kv.bars_figure(list(top["name"].astype(str)), list(top["spend"].fillna(0)),
                                  [fmt.money(s, currency, lang) for s in top["spend"]], theme))
    elif name == "customers":
        cur = load("customers", page_ids, start, end, group_by="day")
        prev = load("customers", page_ids, prev_start, prev_end, group_by="day") if compare else None
        data = cur.get("data")
        if (data is None or data.empty) and not cur.errors:
            components.empty_state()
            return
        _kpis(kv.customers_kpis(data, prev.get("data") if prev else None, start, end), lang, theme=theme)
        _chart_(kv.trend_figure(data, start, end, {
            "new_customer_count": metrics.label("new_customer_count", lang, "customers"),
            "new_phone_number_count": metrics.label("new_phone_number_count", lang, "customers")}, theme))
    elif name == "activity":
        cur = load("pages", page_ids, start, end)
        prev = load("pages", page_ids, prev_start, prev_end) if compare else None
        hourly = cur.get("hourly")
        if (hourly is None or hourly.empty) and not cur.errors:
            components.empty_state()
            return
        _kpis(kv.activity_kpis(hourly, prev.get("hourly") if prev else None, start, end), lang,
              source="activity", theme=theme)
        day = min(end, today)
        st.subheader(f"{i18n.t('kiosk.today_hours', lang) if day == today else fmt.date(day, lang)}")
        _chart_(kv.hourly_figure(kv.hourly_today(hourly, day), {
            "customer_inbox_count": metrics.label("customer_inbox_count", lang, "activity"),
            "page_inbox_count": metrics.label("page_inbox_count", lang, "activity")}, theme))
    elif name == "tags":
        cur = load("tags", page_ids, start, end)
        top = kv.top_tags(cur.get("daily"), n=10)
        if top.empty and not cur.errors:
            components.empty_state()
            return
        st.subheader(i18n.t("kiosk.top_tags", lang))
        _chart_(kv.bars_figure(list(top["tag_name"]), list(top["count"]),
                              [fmt.number(c, lang) for c in top["count"]], theme))


def _standup(load: _Loads, page_ids: list[str], names: Mapping[str, str], opts: kv.KioskOptions,
             today: date, now_local: datetime) -> None:
    """Yesterday in five lines (against the same weekday last week) and the flags."""
    lang = state.lang()
    y = today - timedelta(days=1)
    lw = y - timedelta(days=7)
    eng = load("engagement", page_ids, lw, y).get("daily")
    pages_hourly = load("pages", page_ids, lw, today).get("hourly")
    cust = load("customers", page_ids, lw, y, group_by="day").get("data")
    users = load("users", page_ids, lw, y).get("hourly")
    ads_y = load("ads", page_ids, y, y).get("ads")
    ads_lw = load("ads", page_ids, lw, lw).get("ads")
    cur = kv.day_values(y, engagement=eng, pages=pages_hourly, customers=cust, staff_hourly=users, ads=ads_y)
    prev = kv.day_values(lw, engagement=eng, pages=pages_hourly, customers=cust, staff_hourly=users, ads=ads_lw)
    lines = kv.five_lines(cur, prev, lw, lang)

    flags = (kv.token_flags(load.errors, lang)
             + kv.no_reply_flags(pages_hourly, now_local, lang, names, hours=opts.silent_hours)
             + kv.response_time_flags(users, y, lang, names)
             + kv.ads_no_purchase_flags(ads_y, lang, names))

    left, right = st.columns([3, 2], gap="large")
    with left:
        with st.container(border=True, key="kiosk-lines"):
            st.subheader(i18n.t("kiosk.lines.title", lang, day=f"{kv.weekday_word(y, lang)} {fmt.date(y, lang)}"))
            if not lines:
                st.markdown(i18n.t("kiosk.lines.none", lang))
            for line in lines:
                arrow = "▲" if line.current > line.previous else ("▼" if line.current < line.previous else "■")
                colour = "blue" if line.good is None else ("green" if line.good else "red")
                st.markdown(f":{colour}[{arrow}] {line.text}")
    with right:
        with st.container(border=True, key="kiosk-flags"):
            st.subheader(i18n.t("kiosk.flags.title", lang))
            if not flags:
                st.markdown(":material/check_circle: " + i18n.t("kiosk.flags.none", lang))
            for flag in flags[:kv.MAX_FLAGS_SHOWN]:
                colour = "red" if flag.kind in ("token", "no_reply") else "orange"
                st.markdown(f":{colour}[{FLAG_ICONS[flag.kind]}] {flag.text}")
            if len(flags) > kv.MAX_FLAGS_SHOWN:
                st.caption(i18n.t("kiosk.flags.more", lang, n=len(flags) - kv.MAX_FLAGS_SHOWN))


def _screen(opts: kv.KioskOptions, started: float) -> None:
    lang = state.lang()
    now_utc = datetime.now(timezone.utc)
    now_local = now_utc.astimezone(_tz()).replace(tzinfo=None)
    today = cache.today()
    frame, pages_error = cache.pages()
    ids = [str(p) for p in frame["page_id"]]
    page_ids = state.selected_pages(ids)
    names = cache.page_names()
    section = kv.section_at(opts, time.time() - started)
    load = _Loads()

    head, status = st.columns([3, 2], vertical_alignment="center")
    with head:
        with st.container(key="kiosk-head"):
            st.title(f"{i18n.t(f'nav.{section}', lang)} · {i18n.t('kiosk.title', lang)}")
            start, end = state.date_range()
            st.caption(i18n.t("common.scope", lang, pages=components.page_scope(page_ids),
                              range=fmt.date_range(start, end, lang), tz=cache.tz_name()))
    status_box = status.container(key="kiosk-status")

    if pages_error:
        st.error(i18n.t("sb.pages_error", lang, msg=pages_error))
    if not page_ids:
        components.empty_state()
    else:
        _section(section, load, page_ids, names, opts.theme, today)
        _standup(load, page_ids, names, opts, today, now_local)
        for err in load.errors:
            if err.kind != "auth":
                st.warning(i18n.t("common.page_failed", lang, page=err.page_name or err.page_id, msg=err.message),
                           icon=":material/warning:")

    with status_box:
        st.markdown(":material/update: " + i18n.t("kiosk.updated", lang, time=_clock(now_utc)))
        fetched = load.fetched_at or cache.last_fetch()
        if fetched is not None:
            st.markdown(":material/database: " + i18n.t("kiosk.fetched", lang, time=_clock(fetched),
                                                        age=_age(fetched, now_utc, lang)))
        line = i18n.t("kiosk.refresh", lang, every=_interval(opts.refresh_seconds, lang))
        if opts.rotating:
            i = opts.rotate.index(section) + 1
            line += " · " + i18n.t("kiosk.rotation", lang, i=i, n=len(opts.rotate),
                                   every=_interval(opts.every_seconds, lang))
        st.caption(line)


def run(pages: Mapping[str, Sequence[Any]]) -> None:
    """Draw the standup screen (called by app.py instead of the sidebar and the page)."""
    view = state.current()
    nav = st.navigation([p for group in pages.values() for p in group], position="hidden")
    state.sync_url()
    opts, problems = kv.parse_options(dict(view.extra), default_section=nav.url_path or "overview")
    st.markdown(BASE_CSS + (DARK_CSS if opts.theme == "dark" else ""), unsafe_allow_html=True)
    if problems:
        st.caption(i18n.t("kiosk.problems", view.lang, p=", ".join(problems)))
    started = st.session_state.setdefault("_kiosk_started", time.time())

    @st.fragment(run_every=timedelta(seconds=opts.tick_seconds))
    def screen() -> None:
        _screen(opts, started)

    screen()

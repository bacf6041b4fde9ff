"""The standup screen: ``?kiosk=1`` (every other URL parameter still applies). app.py runs it at
every URL path, with no sidebar; the path's page is the section it opens on.

No sidebar, toolbar or menu; large KPI cards and charts; ``theme=dark``; refreshes itself every
``refresh`` minutes inside ``st.fragment(run_every=...)`` (no page flash); optionally rotates
through sections (``rotate=overview,staff,ads&every=60``); "yesterday in five lines" and the
flags worth raising at a standup. The cards are the pages' own KPIs (``pancake.views.*.kpis``);
the rest comes from ``pancake.views.standup``.
"""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import streamlit as st

from pancake import fmt, i18n, metrics
from pancake.data import cache
from pancake.views import activity, ads, customers, engagement, staff, tags
from pancake.views import standup as sv
from ui import components, state
from ui.page import Page, open_page

PATH_KEY = "_standup_path"   # set by app.py: the URL path's page, the first section
CARD_WIDTH = "stretch"
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

view = state.current()
lang = view.lang
opts, problems = sv.parse_options(dict(view.extra), default_section=st.session_state.get(PATH_KEY) or "overview")
st.markdown(BASE_CSS + (DARK_CSS if opts.theme == "dark" else ""), unsafe_allow_html=True)
if problems:
    st.caption(i18n.t("kiosk.problems", lang, p=", ".join(problems)))
started = st.session_state.setdefault("_kiosk_started", time.time())


class Loads:
    """The page's loads in one screen run, kept for the token flags and the data's age."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.results: list = []

    def one(self, kind: str, start=None, end=None):
        result = self.page.load(kind, start, end)
        self.results.append(result)
        return result

    def pair(self, kind: str, frame: str):
        """The range's result, its ``frame`` and the previous period's (None when not compared
        or when other pages answered then: ``Page.load_pair``)."""
        current, previous = self.page.load_pair(kind)
        self.results.append(current)
        return current, current.get(frame), previous.get(frame) if previous is not None else None


def empty(result, frame) -> bool:
    """Nothing to show and no failing page to explain it: draw the empty state."""
    if (frame is None or frame.empty) and not result.errors:
        components.empty_state()
        return True
    return False


def cards(section: str, kpis) -> None:
    components.cards(sv.for_theme(sv.pick(section, kpis), opts.theme), width=CARD_WIDTH)


def chart(fig) -> None:
    # theme=None: our own template (plotly_dark on the dark screen), not Streamlit's
    st.plotly_chart(fig, width="stretch", theme=None if opts.theme == "dark" else "streamlit",
                    config={"displayModeBar": False})


def overview(page: Page, loads: Loads) -> None:
    result, daily, previous = loads.pair("engagement", "daily")
    if empty(result, daily):
        return
    _, totals, previous_totals = loads.pair("staff", "totals")
    cards("overview", engagement.kpis(daily, previous, page.start, page.end, compare=page.compare)
          + staff.kpis(totals, previous_totals, compare=page.compare))
    chart(sv.trend_figure(daily, page.start, page.end,
                          sv.trend_labels(daily, ("inbox", "comment", "order_count"), lang, "engagement"),
                          opts.theme))
    components.partial_today_note()


def staff_section(page: Page, loads: Loads) -> None:
    result, totals, previous = loads.pair("staff", "totals")
    if empty(result, totals):
        return
    cards("staff", staff.kpis(totals, previous, compare=page.compare))
    st.subheader(i18n.t("kiosk.staff_board", lang))
    chart(sv.staff_figure(totals, page.names, lang, opts.theme, several_pages=len(page.page_ids) > 1))


def ads_section(page: Page, loads: Loads) -> None:
    result, frame, previous = loads.pair("ads", "ads")
    groups = ads.kpis(frame, previous, compare=page.compare, lang=lang)
    if empty(result, frame) or not groups:
        return
    main = groups[0]   # the Ads page's first currency
    cards("ads", main.items)
    if len(groups) > 1:
        st.caption(i18n.t("kiosk.other_currencies", lang, c=", ".join(g.label for g in groups[1:])))
    fig = sv.top_ads_figure(frame, main.currency, lang, opts.theme)
    if fig is not None:
        st.subheader(i18n.t("kiosk.top_ads", lang, currency=main.label))
        chart(fig)


def customers_section(page: Page, loads: Loads) -> None:
    result, data, previous = loads.pair("customers", "data")
    if empty(result, data):
        return
    cards("customers", customers.kpis(data, previous, page.start, page.end, compare=page.compare))
    chart(sv.trend_figure(data, page.start, page.end, sv.trend_labels(
        data, ("new_customer_count", "new_phone_number_count"), lang, "customers"), opts.theme))


def activity_section(page: Page, loads: Loads) -> None:
    result, hourly, previous = loads.pair("activity", "hourly")
    if empty(result, hourly):
        return
    cards("activity", activity.kpis(hourly, previous, page.start, page.end, compare=page.compare))
    today = cache.today()
    day = min(page.end, today)
    st.subheader(i18n.t("kiosk.today_hours", lang) if day == today else fmt.date(day, lang))
    chart(sv.hourly_figure(sv.hourly_today(hourly, day, cache.tz_name()), sv.trend_labels(
        hourly, ("customer_inbox_count", "page_inbox_count"), lang, "activity"), opts.theme))


def tags_section(page: Page, loads: Loads) -> None:
    result = loads.one("tags")
    top = tags.top(result.get("daily"), 10)
    if top.empty and not result.errors:
        components.empty_state()
        return
    st.subheader(i18n.t("kiosk.top_tags", lang))
    chart(sv.tags_figure(top, lang, opts.theme))


SECTIONS = {"overview": overview, "staff": staff_section, "ads": ads_section, "customers": customers_section,
            "activity": activity_section, "tags": tags_section}


def yesterday(page: Page, loads: Loads, now_local: datetime) -> tuple[list[sv.Line], list[sv.Flag]]:
    """Yesterday in five lines (against the same weekday last week) and the flags."""
    y = cache.today() - timedelta(days=1)
    lw = y - timedelta(days=7)
    days = {"engagement": loads.one("engagement", lw, y).get("daily"),
            "activity": loads.one("activity", lw, cache.today()).get("hourly"),
            "customers": loads.one("customers", lw, y).get("data"),
            "staff_hourly": loads.one("staff", lw, y).get("hourly")}
    ads_y, ads_lw = loads.one("ads", y, y), loads.one("ads", lw, lw)
    # spend compared over the same pages on both days, or not at all
    ads_then = ads_lw.get("ads") if metrics.comparable(ads_y.pages_ok, ads_lw.pages_ok) else None
    lines = sv.five_lines(sv.day_values(y, **days, ads=ads_y.get("ads")), sv.day_values(lw, **days, ads=ads_then),
                          lw, lang)
    flags = (sv.token_flags(sv.errors_of(loads.results), lang)
             + sv.no_reply_flags(days["activity"], now_local, lang, page.names, hours=opts.silent_hours)
             + sv.response_time_flags(days["staff_hourly"], y, lang, page.names)
             + sv.ads_no_purchase_flags(ads_y.get("ads"), lang, page.names))
    return lines, flags


def standup(page: Page, loads: Loads, now_local: datetime) -> None:
    lines, flags = yesterday(page, loads, now_local)
    # a dead token is a flag below; any other failing page is named once, as on every page
    components.show_errors(e for e in sv.errors_of(loads.results) if e.kind != "auth")
    y = cache.today() - timedelta(days=1)
    left, right = st.columns([3, 2], gap="large")
    with left, st.container(border=True, key="kiosk-lines"):
        st.subheader(i18n.t("kiosk.lines.title", lang, day=f"{sv.weekday_word(y, lang)} {fmt.date(y, lang)}"))
        if not lines:
            st.markdown(i18n.t("kiosk.lines.none", lang))
        for line in lines:
            arrow = "▲" if line.current > line.previous else ("▼" if line.current < line.previous else "■")
            colour = "blue" if line.good is None else ("green" if line.good else "red")
            st.markdown(f":{colour}[{arrow}] {line.text}")
    with right, st.container(border=True, key="kiosk-flags"):
        st.subheader(i18n.t("kiosk.flags.title", lang))
        if not flags:
            st.markdown(":material/check_circle: " + i18n.t("kiosk.flags.none", lang))
        for flag in flags[:sv.MAX_FLAGS_SHOWN]:
            colour = "red" if flag.kind in ("token", "no_reply") else "orange"
            st.markdown(f":{colour}[{FLAG_ICONS[flag.kind]}] {flag.text}")
        if len(flags) > sv.MAX_FLAGS_SHOWN:
            st.caption(i18n.t("kiosk.flags.more", lang, n=len(flags) - sv.MAX_FLAGS_SHOWN))


def status(loads: Loads, section: str, now_utc: datetime) -> None:
    """When the screen was drawn, how old its data is, and its refresh and rotation."""
    tz = cache.tz_name()
    st.markdown(":material/update: " + i18n.t("kiosk.updated", lang, time=sv.clock(now_utc, tz)))
    fetched = sv.fetched_at(loads.results) or cache.last_fetch()
    if fetched is not None:
        st.markdown(":material/database: " + i18n.t("kiosk.fetched", lang, time=sv.clock(fetched, tz),
                                                    age=sv.age_text(fetched, now_utc, lang)))
    st.caption(sv.schedule_text(opts, section, lang))


@st.fragment(run_every=timedelta(seconds=opts.tick_seconds))
def screen() -> None:
    now_utc = datetime.now(UTC)
    page = open_page(None, header=False, progress=False, warn=False)
    _, pages_error = cache.pages()
    section = sv.section_at(opts, time.time() - started)
    loads = Loads(page)

    head, corner = st.columns([3, 2], vertical_alignment="center")
    with head, st.container(key="kiosk-head"):
        st.title(f"{i18n.t(f'nav.{section}', lang)} · {i18n.t('kiosk.title', lang)}")
        st.caption(i18n.t("common.scope", lang, pages=components.page_scope(page.page_ids),
                          range=fmt.date_range(page.start, page.end, lang), tz=cache.tz_name()))
    if pages_error:
        st.error(i18n.t("sb.pages_error", lang, msg=pages_error))
    if not page.page_ids:
        components.empty_state()
    else:
        SECTIONS[section](page, loads)
        standup(page, loads, sv.local(now_utc, cache.tz_name()))
    with corner, st.container(key="kiosk-status"):
        status(loads, section, now_utc)


screen()

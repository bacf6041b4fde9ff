"""The standup screen: ``?kiosk=1`` (every other URL parameter still applies). app.py runs it at
every URL path, with no sidebar; the path's page is the section it opens on.

No sidebar, toolbar or menu; ``theme=dark``; refreshes itself every ``refresh`` minutes inside
``st.fragment(run_every=...)``; optionally rotates through sections (``rotate=...&every=60``).
One 1920×1080 screen with no scrolling, for 1 to 30 pages, scaled whole to any other screen
(``sv.fit_css``): the section's KPI cards across the top, its chart under them, and beside it
"yesterday in five lines", the flags (one page) or the pages needing attention (several), and a
response-times card. The cards are the pages' own KPIs; the rest comes from
``pancake.numbers.views.standup`` (layout, charts) and ``pancake.numbers.views.briefing``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import streamlit as st

from pancake import fmt, i18n, timeutil
from pancake.data.core import OPEN_TTL
from pancake.delivery import digest
from pancake.numbers import conversations, metrics
from pancake.numbers.views import activity, ads, customers, engagement, staff, tags
from pancake.numbers.views import briefing as bf
from pancake.numbers.views import standup as sv
from ui import cache, components, replies_data, state, store_notice
from ui import conversations_data as conv_data
from ui.page import Page, open_page

PATH_KEY = "_standup_path"   # set by app.py: the URL path's page, the first section
CARD_WIDTH = "stretch"
FLAG_ICONS = {"token": ":material/key_off:", "failed": ":material/cloud_off:",
              "no_reply": ":material/speaker_notes_off:", "waiting": ":material/hourglass_top:",
              "reply_target": ":material/alarm:",
              "response_time": ":material/timer:", "ads_no_purchase": ":material/money_off:"}
FLAG_COLOURS = {"token": "red", "failed": "red", "no_reply": "red", "waiting": "red", "reply_target": "red",
                "response_time": "orange",
                "ads_no_purchase": "orange"}

# Sized for 1920×1080 read across the room: no text under 24 px (charts: 18 px, sv.CHART_FONT_SIZE),
# and everything on one screen, with no scrolling (tests/browser/test_kiosk_browser.py measures it).
BASE_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stToolbar"],
[data-testid="stHeader"], [data-testid="stDecoration"], #MainMenu, footer { display: none !important; }
.block-container { padding: 0.9rem 2rem 0.4rem 2rem !important; max-width: 100% !important; }
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stCaptionContainer"],
[data-testid="stMain"] [data-testid="stMarkdownContainer"] { font-size: 24px !important; line-height: 1.35 !important; }
[data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 0.6rem; }
[data-testid="stMetric"] { padding: 0.5rem 0.9rem !important; }
[data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 48px !important; line-height: 1.15 !important; }
[data-testid="stMetricValue"] div, [data-testid="stMetricLabel"] div, [data-testid="stMetricLabel"] p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
[data-testid="stMetricLabel"] p { font-size: 24px !important; }
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] p, [data-testid="stMetricDeltaDescription"],
[data-testid="stMetricDeltaDescription"] p { font-size: 24px !important; }
[data-testid="stMetricDelta"] svg { width: 24px !important; height: 24px !important; }
.st-key-kiosk-head h1 { font-size: 44px !important; padding: 0 !important; line-height: 1.15 !important; }
.st-key-kiosk-side h3, .st-key-kiosk-waits h3 { font-size: 30px !important; padding: 0 0 0.2rem 0 !important; }
.st-key-kiosk-chart h3 { font-size: 28px !important; padding: 0 !important; }
.st-key-kiosk-side [data-testid="stMarkdownContainer"] p, .st-key-kiosk-waits [data-testid="stMarkdownContainer"] p,
.st-key-kiosk-replies [data-testid="stMarkdownContainer"] p { margin-bottom: 0 !important; }
/* the side column's boxes hold a varying number of lines (the flags, the response times with their
   "not complete" note, the waits): less padding above and below their lines, so that the longest
   of them still fit */
.st-key-kiosk-lines, .st-key-kiosk-flags, .st-key-kiosk-replies, .st-key-kiosk-side .st-key-kiosk-waits {
  padding-top: 0.5rem !important; padding-bottom: 0.5rem !important; }
/* the longest wait under the chart is one line: its end (how far back the list was read) gives way
   when the names are long, never the screen's fit */
.st-key-kiosk-waits-slot [data-testid="stMarkdownContainer"] p { white-space: nowrap !important;
  overflow: hidden !important; text-overflow: ellipsis !important; }
/* a phone held upright (the digest's picture): the columns stack, the TV's sizes would not fit */
@media (max-width: 640px) {
  .block-container { padding: 0.6rem 0.8rem 0.4rem 0.8rem !important; }
  [data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stCaptionContainer"],
  [data-testid="stMain"] [data-testid="stMarkdownContainer"] { font-size: 17px !important; line-height: 1.3 !important; }
  [data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 30px !important; }
  [data-testid="stMetricLabel"] p, [data-testid="stMetricDelta"], [data-testid="stMetricDelta"] p,
  [data-testid="stMetricDeltaDescription"], [data-testid="stMetricDeltaDescription"] p { font-size: 15px !important; }
  [data-testid="stMetricDelta"] svg { width: 15px !important; height: 15px !important; }
  [data-testid="stMetric"] { padding: 0.3rem 0.5rem !important; }
  .st-key-kiosk-head h1 { font-size: 26px !important; }
  .st-key-kiosk-side h3, .st-key-kiosk-waits h3, .st-key-kiosk-chart h3 { font-size: 20px !important; }
}
""" + sv.fit_css(".block-container") + """
</style>
"""
DARK_CSS = """
<style>
.stApp, [data-testid="stAppViewContainer"], [data-testid="stMain"] { background-color: #0b1220 !important; color: #e5e7eb !important; }
.stApp p:not([data-testid="stMetricDelta"] *), .stApp h1, .stApp h2, .stApp h3, .stApp label, .stApp li,
[data-testid="stMetricValue"], [data-testid="stMetricLabel"] p, [data-testid="stCaptionContainer"] { color: #e5e7eb !important; }
[data-testid="stMetric"] { background-color: #111a2e !important; border-color: #334155 !important; }
[data-testid="stVerticalBlockBorderWrapper"] { border-color: #334155 !important; }
[data-testid="stAlert"] { background-color: #1e293b !important; }
[data-testid="stMetricDelta"] { background-color: #1e293b !important; }
[data-testid="stMetricDelta"] div, [data-testid="stMetricDelta"] svg { filter: brightness(1.6); }
[data-testid="stMetricChart"] svg { background-color: transparent !important; }
[data-testid="stMetricChart"] .mark-area path { fill-opacity: 0.15 !important; }
.st-key-kiosk-lines, .st-key-kiosk-flags, .st-key-kiosk-waits, .st-key-kiosk-replies { border-color: #334155 !important; }
""" + sv.dark_marks_css() + """
</style>
"""

view = state.current()
lang = view.lang
opts, problems = sv.parse_options(dict(view.extra), default_section=st.session_state.get(PATH_KEY) or "overview")
st.markdown(BASE_CSS + (DARK_CSS if opts.theme == "dark" else ""), unsafe_allow_html=True)
started = st.session_state.setdefault("_kiosk_started", time.time())


class Loads:
    """The page's loads in one screen run, kept for the flags and the data's age. What a load
    says on screen (no comparison over different pages) goes to ``notes``, above the cards."""

    def __init__(self, page: Page, notes) -> None:
        self.page = page
        self.notes = notes
        self.results: list = []

    def one(self, kind: str, start=None, end=None, **options):
        with self.notes:
            result = self.page.load(kind, start, end, **options)
        self.results.append(result)
        return result

    def pair(self, kind: str, frame: str):
        """The range's result, its ``frame`` and the previous period's (None when not compared
        or when other pages answered then: ``Page.load_pair``)."""
        with self.notes:
            current, previous = self.page.load_pair(kind)
        self.results.append(current)
        return current, current.get(frame), previous.get(frame) if previous is not None else None


@dataclass
class Slots:
    """Where a section draws: its cards across the screen, its chart under them on the left."""
    cards: Any
    chart: Any
    room: int = 0      # px the chart gives up for the response-times card under it


def empty(result, frame, slots: Slots) -> bool:
    """Nothing to show and no failing page to explain it: draw the empty state."""
    if (frame is None or frame.empty) and not result.errors:
        with slots.chart:
            components.empty_state()
        return True
    return False


def cards(section: str, kpis, slots: Slots) -> None:
    with slots.cards:
        components.cards(sv.pick(section, kpis), width=CARD_WIDTH)


def chart(fig, slots: Slots, title: str | None = None) -> None:
    with slots.chart:
        if title:
            st.subheader(title)
        # theme=None: our own template and font sizes (Streamlit's would shrink the text to 12 px)
        # a fixed height: the screen's scale (sv.fit_css) then scales it like the rest
        # one page: the response-times card under it (live screens: ``waits``) takes its room from the chart
        height = int(fig.layout.height or sv.CHART_HEIGHT) - slots.room
        st.plotly_chart(fig, width="stretch", height=height, theme=None, config={"displayModeBar": False})


def caption(text: str, slots: Slots) -> None:
    with slots.chart:
        st.caption(text)


def overview(page: Page, loads: Loads, slots: Slots) -> None:
    result, daily, previous = loads.pair("engagement", "daily")
    if empty(result, daily, slots):
        return
    _, totals, previous_totals = loads.pair("staff", "totals")
    cards("overview", engagement.kpis(daily, previous, page.start, page.end, compare=page.compare)
          + staff.kpis(totals, previous_totals, compare=page.compare), slots)
    if page.start == page.end:   # one day: its hours (one point a day would say nothing)
        hourly = loads.one("engagement", hourly=True).get("hourly")
        now = cache.now_local()
        chart(sv.hourly_figure(sv.hours_of_day(hourly, ("inbox", "comment"), page.end, cache.tz_name(), now=now),
                               sv.trend_labels(hourly, ("inbox", "comment"), lang, "engagement_hourly"),
                               opts.theme, lang=lang, partial=page.end == cache.today()), slots)
    else:
        chart(sv.trend_figure(daily, page.start, page.end,
                              sv.trend_labels(daily, ("inbox", "comment", "order_count"), lang, "engagement"),
                              opts.theme, lang=lang, partial=page.end >= cache.today()), slots)
    with slots.chart:
        components.partial_today_note()


def staff_section(page: Page, loads: Loads, slots: Slots) -> None:
    result, totals, previous = loads.pair("staff", "totals")
    if empty(result, totals, slots):
        return
    cards("staff", staff.kpis(totals, previous, compare=page.compare), slots)
    chart(sv.staff_figure(totals, page.names, lang, opts.theme), slots,
          i18n.t("kiosk.staff_board", lang))


def ads_section(page: Page, loads: Loads, slots: Slots) -> None:
    result, frame, previous = loads.pair("ads", "ads")
    groups = ads.kpis(frame, previous, compare=page.compare, lang=lang)
    if empty(result, frame, slots) or not groups:
        return
    main = groups[0]   # the Ads page's first currency
    cards("ads", main.items, slots)
    if len(groups) > 1:
        caption(i18n.t("kiosk.other_currencies", lang, c=", ".join(components.escape_markdown(g.label) for g in groups[1:])), slots)
    fig = sv.top_ads_figure(frame, main.currency, lang, opts.theme, page.names)
    if fig is not None:
        chart(fig, slots, i18n.t("kiosk.top_ads", lang, currency=components.escape_markdown(main.label)))


def customers_section(page: Page, loads: Loads, slots: Slots) -> None:
    result, data, previous = loads.pair("customers", "data")
    if empty(result, data, slots):
        return
    cards("customers", customers.kpis(data, previous, page.start, page.end, compare=page.compare), slots)
    chart(sv.trend_figure(data, page.start, page.end, sv.trend_labels(
        data, ("new_customer_count", "new_phone_number_count"), lang, "customers"), opts.theme,
        lang=lang, partial=page.end >= cache.today()), slots)


def activity_section(page: Page, loads: Loads, slots: Slots) -> None:
    result, hourly, previous = loads.pair("activity", "hourly")
    if empty(result, hourly, slots):
        return
    cards("activity", activity.kpis(hourly, previous, page.start, page.end, compare=page.compare), slots)
    today = cache.today()
    day = min(page.end, today)
    now = cache.now_local()
    chart(sv.hourly_figure(sv.hourly_today(hourly, day, cache.tz_name(), now=now), sv.trend_labels(
        hourly, ("customer_inbox_count", "page_inbox_count"), lang, "activity"), opts.theme,
        lang=lang, partial=day == today), slots,
        i18n.t("kiosk.today_hours", lang) if day == today else fmt.date(day, lang))


def tags_section(page: Page, loads: Loads, slots: Slots) -> None:
    result = loads.one("tags")
    top = tags.top(result.get("daily"), 10)
    if top.empty and not result.errors:
        with slots.chart:
            components.empty_state()
        return
    chart(sv.tags_figure(top, lang, opts.theme), slots, i18n.t("kiosk.top_tags", lang))


SECTIONS = {"overview": overview, "staff": staff_section, "ads": ads_section, "customers": customers_section,
            "activity": activity_section, "tags": tags_section}


def the_day() -> date:
    """The day of the five lines and the flags: ``day=`` (the digest's picture), else yesterday."""
    yesterday_ = cache.today() - timedelta(days=1)
    return opts.day if opts.day is not None and opts.day < yesterday_ else yesterday_


def yesterday(page: Page, loads: Loads, now_local: datetime) -> tuple[list[bf.Line], list[bf.Flag]]:
    """Yesterday (or ``day=``) in five lines (against the same weekday last week) and the flags,
    most serious first (``briefing``: the digest's and the alerts' too). A failing page is a flag
    too (its token, or its data missing)."""
    y = the_day()
    lw = y - timedelta(days=7)
    moment = digest.moment_for(y, cache.today(), now_local)
    days = {"engagement": loads.one("engagement", lw, y).get("daily"),
            "activity": loads.one("activity", lw, moment.date()).get("hourly"),
            "customers": loads.one("customers", lw, y).get("data"),
            "staff_hourly": loads.one("staff", lw, y).get("hourly")}
    ads_y, ads_lw = loads.one("ads", y, y), loads.one("ads", lw, lw)
    # spend compared over the same pages on both days, or not at all
    ads_then = ads_lw.get("ads") if metrics.comparable(ads_y.pages_ok, ads_lw.pages_ok) else None
    lines = bf.five_lines(bf.day_values(y, **days, ads=ads_y.get("ads")), bf.day_values(lw, **days, ads=ads_then),
                          lang)
    flags = bf.flags(day=y, now=moment, errors=bf.errors_of(loads.results), activity=days["activity"],
                     staff_hourly=days["staff_hourly"], ads=ads_y.get("ads"), silent_hours=opts.silent_hours)
    return lines, flags


def mark(kind: str) -> str:
    return f":{FLAG_COLOURS[kind]}[{FLAG_ICONS[kind]}]"


md = components.escape_markdown   # names and amounts as they are ("27,83 US$" is no formula)
ARROWS = {"up": "▲", "down": "▼", "flat": "■"}


def standup(page: Page, loads: Loads, side, now_local: datetime) -> None:
    """The five lines, then the flags (one page) or the pages needing attention (several)."""
    lines, flags = yesterday(page, loads, now_local)
    today = cache.today()
    with side, st.container(border=True, key="kiosk-lines"):
        st.subheader(bf.lines_title(the_day(), today, lang))
        if not lines:
            st.markdown(i18n.t("kiosk.lines.none", lang))
        for line in lines:
            colour = "gray" if line.direction == "flat" else "blue" if line.good is None \
                else ("green" if line.good else "red")
            st.markdown(f":{colour}[{ARROWS[line.direction]}] {md(line.text)}")
    several = len(page.page_ids) > 1
    with side, st.container(border=True, key="kiosk-flags"):
        st.subheader(i18n.t("kiosk.attention.title" if several else "kiosk.flags.title", lang))
        if not flags:
            st.markdown(":material/check_circle: " + i18n.t("kiosk.flags.none", lang))
        elif several:
            pages = bf.attention(flags, lang, page.names)
            shown = min(sv.MAX_PAGES_WITH_REPLIES, sv.MAX_PAGES_SHOWN) if opts.waits else sv.MAX_PAGES_SHOWN  # replies below
            for item in pages[:shown]:
                st.markdown(f"{mark(item.worst)} {md(item.text)}")
            if len(pages) > shown:
                st.markdown(i18n.t("kiosk.attention.more", lang, n=len(pages) - shown))
        else:
            for flag in flags[:sv.MAX_FLAGS_SHOWN]:
                st.markdown(f"{mark(flag.kind)} {md(bf.flag_text(flag, lang, page.names, today=today))}")
            if len(flags) > sv.MAX_FLAGS_SHOWN:
                st.markdown(i18n.t("kiosk.flags.more", lang, n=len(flags) - sv.MAX_FLAGS_SHOWN))


MAX_WAITS_SHOWN = 3


def waits(page: Page, side, under_chart) -> None:
    """Customers waiting longest for a reply right now (the conversations page's list, its
    default threshold); nothing when nobody waits. One page: three lines under the flags. Several
    pages: the right column holds the pages needing attention, so the longest wait is one line
    under the chart (the screen must fit a 1080p TV). A page that could not be read is named by
    the flags, not here. ``waits=0`` leaves them out (a picture of a closed day: no call)."""
    if not opts.waits:
        return
    loaded = conv_data.waiting(page.page_ids)
    w = conversations.waiting(loaded.frame, cache.now_local())
    if w.empty:
        return
    lines = bf.longest_waits(w, MAX_WAITS_SHOWN, lang, page.names)
    # how far back the list was read, when not all of it: a few words (the screen must fit a 1080p TV)
    reach = "" if loaded.looked_back is None else i18n.t(
        "kiosk.waits.reach", lang, since=f"{fmt.clock(loaded.looked_back, lang)} {fmt.date(loaded.looked_back, lang)}")
    if len(page.page_ids) > 1:
        with under_chart, st.container(key="kiosk-waits"):
            st.markdown(":material/hourglass_top: " + md(i18n.t("kiosk.waits.one", lang, line=lines[0])
                                                         + (f" ({reach})" if reach else "")))
        return
    with side, st.container(border=True, key="kiosk-waits"):
        st.subheader(i18n.t("kiosk.waits.title", lang))
        for line in lines:
            st.markdown(md(line))
        if reach:
            st.caption(md(reach))


def replies_card(page: Page, slot) -> None:
    """Response times (issue 21): the day's % within target (or, without an hours file, its
    count and median in calendar time, said so), its longest wait, and the customers waiting
    past their reply target now or within ``bf.DEFAULT_BEFORE_TARGET_MINUTES`` of it
    (``briefing``: the digest's and the alert's words). One page: under the chart (which gives
    up ``sv.REPLIES_ROOM``); several pages: under the pages needing attention. The messages come
    from the store, the missing ones fetched in the background ("computed over N of M" until
    then). Left out of a picture (``waits=0``), as the waits are."""
    if not opts.waits:
        return
    hours = replies_data.hours()
    day, today = the_day(), cache.today()
    live = day >= today - timedelta(days=1)     # yesterday: also who is waiting now (an older ``day=``: not)
    with slot:   # the conversations' progress bar, gone once they are read
        got, _ = replies_data.turns(page.page_ids, day, today if live else day, hours)
    customers = bf.customer_names(got.conversations)
    text = bf.reply_day_text(bf.reply_day(got.turns, day, hours, complete=got.kept.complete, total=got.kept.total),
                             lang)
    waits = bf.longest_turn_waits(got.turns, day, hours, 1, customers)
    due = bf.reply_target_flags(got.turns, cache.now_utc(), hours, before_minutes=bf.DEFAULT_BEFORE_TARGET_MINUTES,
                                customers=customers) if live else []
    when = bf.when_word(day, today, lang)
    with slot, st.container(border=True, key="kiosk-replies"):
        st.markdown(f":material/timer: **{md(when[:1].upper() + when[1:])}:** "
                    f"{md(text or i18n.t('brief.replies.no_turns', lang))}")
        if waits:
            st.markdown(":material/hourglass_bottom: " + md(i18n.t("brief.replies.longest", lang) + ": "
                                                           + bf.turn_wait_text(waits[0], lang, page.names)))
        if due:
            more = f" (+{len(due) - 1})" if len(due) > 1 else ""
            st.markdown(f"{mark('reply_target')} " + md(bf.flag_text(due[0], lang, page.names, today=today) + more))
        elif hours.has_targets and live:
            st.markdown(":material/check_circle: " + md(i18n.t("brief.replies.none_past", lang)))


def status(loads: Loads, section: str, now_utc: datetime) -> None:
    """When the screen was drawn, when its data was last refreshed successfully (a warning only
    when that is older than twice the refresh interval: the screen's, or the data's own
    ``OPEN_TTL`` when longer), and its refresh and rotation."""
    tz = cache.tz_name()
    st.markdown(":material/update: " + i18n.t("kiosk.updated", lang, time=sv.clock(now_utc, tz)))
    fetched = bf.last_refresh(loads.results) or cache.last_fetch()
    if bf.is_stale(fetched, now_utc, max(opts.refresh_seconds, OPEN_TTL)):
        st.markdown(":orange[:material/warning:] " + (
            i18n.t("kiosk.stale", lang, time=sv.clock(fetched, tz), age=bf.age_text(fetched, now_utc, lang))
            if fetched is not None else i18n.t("kiosk.stale_never", lang)))
    elif fetched is not None:
        st.markdown(":material/database: " + i18n.t("kiosk.fetched", lang, time=sv.clock(fetched, tz),
                                                    age=bf.age_text(fetched, now_utc, lang)))
    st.caption(sv.schedule_text(opts, section, lang))


@st.fragment(run_every=timedelta(seconds=opts.tick_seconds))
def screen() -> None:
    """Header and status; notes; the section's cards across the screen; under them its chart
    (left) and the five lines and flags (right)."""
    now_utc = datetime.now(UTC)
    page = open_page(None, header=False, progress=False, warn=False)
    _, pages_error = cache.pages()
    section = sv.section_at(opts, time.time() - started)

    head, corner = st.columns([3, 2], vertical_alignment="center")
    with head, st.container(key="kiosk-head"):
        st.title(f"{i18n.t(f'nav.{section}', lang)} · {i18n.t('kiosk.title', lang)}")
        st.caption(i18n.t("common.scope", lang, pages=components.page_scope(page.page_ids),
                          range=fmt.date_range(page.start, page.end, lang), tz=cache.tz_name()))
    notes = st.container(key="kiosk-notes")
    with notes:
        components.url_notice()
        store_notice.show(lang)
        if problems:
            st.caption(i18n.t("kiosk.problems", lang, p=", ".join(state.plain(p) for p in problems)))
        if pages_error:
            st.error(i18n.t("sb.pages_error", lang, msg=components.escape_markdown(pages_error)))
    loads = Loads(page, notes)
    if not page.page_ids:
        components.empty_state()
    else:
        cards_row = st.container(key="kiosk-cards")
        main, side = st.columns([5, 4], gap="medium")
        one = len(page.page_ids) == 1
        slots = Slots(cards=cards_row, chart=main.container(key="kiosk-chart"),
                      room=sv.REPLIES_ROOM if one and opts.waits else 0)
        SECTIONS[section](page, loads, slots)
        side_box = side.container(key="kiosk-side")
        replies_slot = main.container(key="kiosk-replies-slot") if one else None
        standup(page, loads, side_box, timeutil.wall_clock(now_utc, cache.tz_name()))
        waits(page, side_box, main.container(key="kiosk-waits-slot"))
        replies_card(page, replies_slot if one else side_box)
    with corner, st.container(key="kiosk-status"):
        status(loads, section, now_utc)


screen()

"""The view every page shares: pages, date range, comparison, grain, language, kiosk.

It lives in the URL (``pages=``, ``from=``, ``to=``, ``lang=``, ``range=``, ``cmp=``, ``grain=``,
``kiosk=`` and any other parameter, kept for the page that reads it) so any view can be shared
or bookmarked, and in session state so it survives sidebar navigation. ``parse_query`` and
``to_query`` are pure. Input the view cannot use is never fatal: the default is used and the
ignored input is named in a notice in the user's language (``Problem``, ``notice_lines``).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import NamedTuple
from urllib.parse import unquote, urlencode, urlsplit

import streamlit as st

from pancake import config, fmt, i18n, timeutil
from ui import cache

STATE_KEY = "_view"
PROBLEMS_KEY = "_view_problems"
DEFAULT_PRESET = "last_7"
MAX_RANGE_DAYS = config.DEFAULT_MAX_RANGE_DAYS   # the default bound of a range (PANCAKE_MAX_RANGE_DAYS)


@dataclass(frozen=True)
class View:
    pages: tuple[str, ...] = ()          # empty = all pages
    preset: str = DEFAULT_PRESET         # a timeutil.PRESETS name; "custom" uses start/end
    start: date | None = None
    end: date | None = None
    compare: bool = True
    grain: str = "day"                   # day | hour
    lang: str = i18n.DEFAULT_LANG
    kiosk: bool = False
    extra: tuple[tuple[str, str], ...] = field(default=())  # other params (kiosk settings...)

    def resolved(self, today: date) -> tuple[date, date]:
        if self.preset != "custom" or self.start is None or self.end is None:
            return timeutil.preset_range(self.preset if self.preset != "custom" else DEFAULT_PRESET, today)
        return self.start, self.end

    def param(self, name: str, default: str | None = None) -> str | None:
        return dict(self.extra).get(name, default)


class Problem(NamedTuple):
    """One piece of URL input the view ignored: the parameter and the value as given.
    ``param`` is a URL parameter name, "order" for an end date before the start date,
    "from!range"/"to!range" for a date outside [2015-01-01, tomorrow] (``timeutil``), or
    "to!future" for an end after today (the range is cut at today: days to come have no data)."""
    param: str
    value: str


KNOWN = {"pages", "from", "to", "range", "lang", "cmp", "grain", "kiosk"}
GRAINS = ("day", "hour")
_TRUE, _FALSE = ("1", "true", "yes"), ("0", "false", "no")


def _parse_date(text: str | None) -> date | None:
    """Strictly ``YYYY-MM-DD`` (``date.fromisoformat`` would take ``20261101`` too)."""
    try:
        return timeutil.parse_iso_day(text) if text else None
    except ValueError:
        return None


def _flag(params: Mapping[str, str], name: str, default: bool, problems: list[Problem]) -> bool:
    raw = str(params.get(name) or "").strip()
    if not raw:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() not in _FALSE:
        problems.append(Problem(name, raw))
        return default
    return False


def _dates(params: Mapping[str, str], problems: list[Problem],
           today: date | None = None) -> tuple[date | None, date | None]:
    """``from``/``to`` -> dates; a bad date, or one outside [2015-01-01, tomorrow], drops both
    (half a range would be a guess)."""
    raw_from, raw_to = str(params.get("from") or "").strip(), str(params.get("to") or "").strip()
    start, end = _parse_date(raw_from), _parse_date(raw_to)
    bad = [Problem(name, raw) for name, raw, parsed in (("from", raw_from, start), ("to", raw_to, end))
           if raw and parsed is None]
    if today is not None:
        bad += [Problem(f"{name}!range", raw) for name, raw, parsed in (("from", raw_from, start), ("to", raw_to, end))
                if parsed is not None and not timeutil.in_valid_range(parsed, today)]
    if bad:
        problems.extend(bad)
        return None, None
    if start and end and end < start:
        problems.append(Problem("order", f"{raw_from} > {raw_to}"))
        start, end = end, start
    return start, end


def _range(params: Mapping[str, str], today: date, problems: list[Problem]) -> tuple[str, date, date]:
    """The preset and its dates: a known ``range`` wins (links stay rolling), else ``from``/``to``
    (shown as the preset they match today, if any), else the default preset."""
    start, end = _dates(params, problems, today)
    if start is not None and end is None:   # a start alone is one day: that day is the end to check
        end = start
    if end is not None and end > today:   # days to come have no data: cut at today, and say so
        problems.append(Problem("to!future", end.isoformat()))
        end = today
        start = min(start, today) if start is not None else None
    preset = str(params.get("range") or "").strip()
    if preset and (preset not in timeutil.PRESETS or (preset == "custom" and not (start or end))):
        problems.append(Problem("range", preset))
        preset = ""
    if preset and preset != "custom":
        return (preset, *timeutil.preset_range(preset, today))
    if start or end:
        start, end = start or end, end or start
        start = _within_max(start, end, problems)
        for name in timeutil.PRESETS[:-1]:  # a URL that matches a preset today shows as that preset
            if timeutil.preset_range(name, today) == (start, end):
                return name, start, end
        return "custom", start, end
    return (DEFAULT_PRESET, *timeutil.preset_range(DEFAULT_PRESET, today))


def max_range_days() -> int:
    """The longest range a viewer may ask for: ``PANCAKE_MAX_RANGE_DAYS`` (default two years; a
    long range is many calls on the owner's tokens)."""
    raw = str(config.read("PANCAKE_MAX_RANGE_DAYS") or "")
    try:
        days = int(raw) if raw.strip() else MAX_RANGE_DAYS
    except ValueError:
        days = MAX_RANGE_DAYS
    return max(1, days)


def _within_max(start: date, end: date, problems: list[Problem]) -> date:
    """``start``, moved up so that [start, end] is at most ``max_range_days()`` long (and said)."""
    longest = max_range_days()
    if (end - start).days + 1 > longest:
        problems.append(Problem("range!long", f"{start.isoformat()}..{end.isoformat()}"))
        return end - timedelta(days=longest - 1)
    return start


def parse_query(params: Mapping[str, str], today: date) -> tuple[View, list[Problem]]:
    """URL parameters -> View, plus the input it ignored (shown to the user, never fatal).
    Page ids are checked against the page list later (``check_pages``)."""
    problems: list[Problem] = []
    raw_pages = (params.get("pages") or "").strip()
    pages: tuple[str, ...] = ()
    if raw_pages and raw_pages != "all":
        pages = tuple(dict.fromkeys(p.strip() for p in raw_pages.split(",") if p.strip()))
    lang = (params.get("lang") or "").strip() or i18n.DEFAULT_LANG
    if lang not in i18n.LANGS:
        problems.append(Problem("lang", lang))
        lang = i18n.DEFAULT_LANG
    preset, start, end = _range(params, today, problems)
    grain = (params.get("grain") or "").strip() or "day"
    if grain not in GRAINS:
        problems.append(Problem("grain", grain))
        grain = "day"
    compare = _flag(params, "cmp", True, problems)
    kiosk = _flag(params, "kiosk", False, problems)
    extra = tuple(sorted((k, str(v)) for k, v in params.items() if k not in KNOWN))
    return View(pages=pages, preset=preset, start=start, end=end, compare=compare, grain=grain,
                lang=lang, kiosk=kiosk, extra=extra), problems


def check_pages(view: View, known_ids: Sequence[str]) -> tuple[View, list[Problem]]:
    """Drop the page ids that are not in ``known_ids``, naming each; with none left the view
    shows all pages (the default), and the notice says so."""
    unknown = [p for p in view.pages if p not in set(known_ids)]
    if not unknown:
        return view, []
    kept = tuple(p for p in view.pages if p in set(known_ids))
    return replace(view, pages=kept), [Problem("pages", p) for p in unknown]


def to_query(view: View, today: date) -> dict[str, str]:
    """View -> URL parameters (the inverse of ``parse_query``)."""
    start, end = view.resolved(today)
    q: dict[str, str] = {"pages": ",".join(view.pages) if view.pages else "all",
                         "from": start.isoformat(), "to": end.isoformat(), "lang": view.lang}
    if view.preset != "custom":
        q["range"] = view.preset
    if not view.compare:
        q["cmp"] = "0"
    if view.grain != "day":
        q["grain"] = view.grain
    if view.kiosk:
        q["kiosk"] = "1"
    q.update(dict(view.extra))
    return q


def kiosk_link(view: View, today: date) -> str:
    """The standup screen of this view (its pages, range and language), as a link relative to
    the page it is on: that page becomes the screen's first section."""
    return "?" + urlencode({**to_query(view, today), "kiosk": "1"})


# --- the notice naming ignored input --------------------------------------------------------

MAX_ECHO = 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def plain(text: str) -> str:
    """User input echoed into markdown as the literal text (``fmt.literal``: nothing in it is
    markdown, HTML, a link or an icon), control characters made spaces, long input cut."""
    text = _CONTROL.sub(" ", str(text)).strip()
    if len(text) > MAX_ECHO:
        text = text[:MAX_ECHO - 1] + "…"
    return fmt.literal(text)


def notice_lines(problems: Iterable[Problem], lang: str, *, pages_left: bool,
                 today: date | None = None) -> list[str]:
    """One line per kind of ignored input, in ``lang``, the values escaped. ``pages_left``:
    some of the linked pages exist (they are shown), else all pages are shown. ``today`` (the
    shop's) names the last valid day for a date out of range (default: the machine's today)."""
    today = today or date.today()
    problems = list(problems)
    lines = []
    unknown_pages = [p.value for p in problems if p.param == "pages"]
    if unknown_pages:
        key = "url.pages_rest" if pages_left else "url.pages_all"
        lines.append(i18n.t(key, lang, ids=", ".join(plain(p) for p in unknown_pages)))
    for p in problems:
        if p.param == "pages":
            continue
        if p.param == "order":
            lines.append(i18n.t("url.swapped", lang, value=plain(p.value)))
        elif p.param.endswith("!range"):
            lines.append(i18n.t("faults.url_out_of_range", lang,
                                what=plain(f"{p.param.split('!')[0]}={p.value}"),
                                first=timeutil.EARLIEST_DATE.isoformat(),
                                last=timeutil.latest_date(today).isoformat()))
        elif p.param == "range!long":
            lines.append(i18n.t("url.too_long", lang, value=plain(p.value), days=max_range_days()))
        elif p.param == "to!future":
            lines.append(i18n.t("faults.url_future", lang, value=plain(p.value), today=today.isoformat()))
        else:
            key = "url.bad_date" if p.param in ("from", "to") else "url.bad_value"
            lines.append(i18n.t(key, lang, what=plain(f"{p.param}={p.value}")))
    return lines


# --- Streamlit side ------------------------------------------------------------------------

def current() -> View:
    """The view of this session, read from the URL on the first run; the input it ignored
    (page ids checked against the page list when that list loaded) is kept for ``problems``."""
    if STATE_KEY not in st.session_state:
        view, problems = parse_query(dict(st.query_params.to_dict()), cache.today())
        frame, error = cache.pages()
        if not error:
            view, unknown = check_pages(view, list(frame["page_id"].astype(str)))
            problems = unknown + problems
        st.session_state[STATE_KEY] = view
        st.session_state[PROBLEMS_KEY] = problems
    return st.session_state[STATE_KEY]


def reread_url() -> None:
    """Read the view from the URL again on next use (``ui.auth``: the session's page scope
    changed, so the linked page ids are checked against the new one)."""
    st.session_state.pop(STATE_KEY, None)
    st.session_state.pop(PROBLEMS_KEY, None)


def problems() -> list[Problem]:
    """The URL input this session ignored, until the user changes the view (a language switch
    keeps them: the reader may want the notice in the other language)."""
    current()
    return list(st.session_state.get(PROBLEMS_KEY) or [])


def update(**changes) -> View:
    old = current()
    view = replace(old, **changes)
    long: list[Problem] = []
    if view.preset == "custom" and view.start and view.end:   # the sidebar's own dates: the same bound
        view = replace(view, start=_within_max(view.start, view.end, long))
    if replace(view, lang=old.lang) != old:
        st.session_state[PROBLEMS_KEY] = long
    st.session_state[STATE_KEY] = view
    return view


def remember_choice(widget: str, param: str) -> None:
    """A multi-choice widget's ``on_change``: its choice kept in the URL and the view as ``param``
    (comma-separated; removed when nothing is chosen). Here, not in the page: a callback defined in
    a page script would keep that script's every frame alive as long as its session."""
    chosen = st.session_state.get(widget) or []
    extra = {k: v for k, v in current().extra if k != param}
    if chosen:
        extra[param] = ",".join(chosen)
        st.query_params[param] = extra[param]
    elif param in st.query_params:
        del st.query_params[param]
    update(extra=tuple(sorted(extra.items())))


def sync_url() -> None:
    """Write the view back to the URL (navigation drops the query string)."""
    wanted = to_query(current(), cache.today())
    if dict(st.query_params.to_dict()) != wanted:
        st.query_params.from_dict(wanted)


# --- a path that names no page ----------------------------------------------------------------

UNKNOWN_PATHS = "_unknown_paths"   # app.py: the paths this session asked for that name no page
NOT_FOUND = "_not_found"           # app.py -> app_pages/not_found.py: the path, the pages, the admin's
_PATH_NAME = re.compile(r"[A-Za-z0-9._~-]{1,100}")
HOME_NAMES = ("home", "index")     # besides the default page's own name ("/overview")


def asked_path(url: str | None, base: str | None = "") -> str | None:
    """The page a browser's address names (``st.context.url``: no query string) under the
    server's base path ``base``: ".../staff" -> "staff"; the root (or no address) -> None;
    ".../a/b" -> "a/b". Percent-escapes decoded."""
    if not url:
        return None
    path = unquote(urlsplit(url).path).strip("/")
    base = (base or "").strip("/")
    if base:
        if path == base or not path.startswith(base + "/"):
            return None
        path = path[len(base) + 1:].strip("/")
    return path or None


def unknown_path(asked: str | None, known: Iterable[str]) -> str | None:
    """``asked`` when it names none of the ``known`` url paths and can be a page's path of its
    own (one segment of letters, digits and ``._~-``): a hidden page is registered there, so the
    session gets its own "no such page" rather than Streamlit's English one. Else None."""
    if not asked or asked in set(known) or not _PATH_NAME.fullmatch(asked):
        return None
    return asked


def page_alias(asked: str, names: Iterable[str], default: str) -> str | None:
    """The page a path that names none most likely means: a page's name in other letters
    ("Staff"), or the default page (``default``, "home", "index"), which answers at the root
    and is returned as "". None when it means none."""
    key = (asked or "").strip("/").casefold()
    if key in (default.casefold(), *HOME_NAMES):
        return ""
    return next((n for n in names if n and n.casefold() == key), None)


NO_DOWNLOADS = "_no_downloads"   # set by ui.auth for a read-only link that does not allow them


def downloads_allowed() -> bool:
    """Whether this session may download (everyone but a read-only link without downloads)."""
    return not st.session_state.get(NO_DOWNLOADS, False)


def lang() -> str:
    return current().lang


def t(key: str, **kw) -> str:
    return i18n.t(key, current().lang, **kw)


def date_range() -> tuple[date, date]:
    return current().resolved(cache.today())


def previous_range() -> tuple[date, date]:
    return timeutil.previous_period(*date_range())


def partial_today() -> bool:
    """Whether today, which is not over, is inside the range."""
    return timeutil.includes_today(*date_range(), cache.today())


def selected_pages(all_ids: list[str]) -> list[str]:
    """The page ids to show: the chosen ones that exist, or all when none is chosen."""
    chosen = [p for p in current().pages if p in all_ids]
    return chosen or list(all_ids)

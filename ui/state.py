"""The view every page shares: pages, date range, comparison, grain, language, kiosk.

It lives in the URL (``pages=ID,ID&from=YYYY-MM-DD&to=YYYY-MM-DD&lang=vi|en``, plus
``range=last_7``, ``cmp=0``, ``grain=hour``, ``kiosk=1``) so any view can be shared or
bookmarked, and in session state so it survives sidebar navigation (which drops the
query string). ``parse_query`` and ``to_query`` are pure and unit-tested.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import streamlit as st

from pancake import i18n, timeutil
from pancake.data import cache

STATE_KEY = "_view"
DEFAULT_PRESET = "last_7"


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


KNOWN = {"pages", "from", "to", "range", "lang", "cmp", "grain", "kiosk"}


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def parse_query(params: Mapping[str, str], today: date) -> tuple[View, list[str]]:
    """URL parameters -> View, plus the problems found (shown to the user, never fatal)."""
    problems: list[str] = []
    raw_pages = (params.get("pages") or "").strip()
    pages: tuple[str, ...] = ()
    if raw_pages and raw_pages != "all":
        pages = tuple(dict.fromkeys(p.strip() for p in raw_pages.split(",") if p.strip()))
    lang = params.get("lang") or i18n.DEFAULT_LANG
    if lang not in i18n.LANGS:
        problems.append(f"lang={lang!r}")
        lang = i18n.DEFAULT_LANG
    start, end = _parse_date(params.get("from")), _parse_date(params.get("to"))
    if (params.get("from") and start is None) or (params.get("to") and end is None):
        problems.append("from/to")
    preset = params.get("range") or ""
    if preset and preset not in timeutil.PRESETS:
        problems.append(f"range={preset!r}")
        preset = ""
    if start and end and end < start:
        problems.append("to < from")
        start, end = end, start
    if preset and preset != "custom":
        start, end = timeutil.preset_range(preset, today)
    elif start or end:
        start = start or end
        end = end or start
        preset = "custom"
        for name in timeutil.PRESETS[:-1]:  # a URL that matches a preset today shows as that preset
            if timeutil.preset_range(name, today) == (start, end):
                preset = name
                break
    else:
        preset = DEFAULT_PRESET
        start, end = timeutil.preset_range(preset, today)
    grain = params.get("grain") or "day"
    if grain not in ("day", "hour"):
        problems.append(f"grain={grain!r}")
        grain = "day"
    extra = tuple(sorted((k, str(v)) for k, v in params.items() if k not in KNOWN))
    return View(pages=pages, preset=preset, start=start, end=end,
                compare=str(params.get("cmp", "1")) not in ("0", "false", "no"),
                grain=grain, lang=lang, kiosk=str(params.get("kiosk", "0")) in ("1", "true", "yes"),
                extra=extra), problems


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


# --- Streamlit side ------------------------------------------------------------------------

def current() -> View:
    """The view of this session, read from the URL on the first run."""
    if STATE_KEY not in st.session_state:
        view, problems = parse_query(dict(st.query_params.to_dict()), cache.today())
        st.session_state[STATE_KEY] = view
        st.session_state["_view_problems"] = problems
    return st.session_state[STATE_KEY]


def update(**changes) -> View:
    view = replace(current(), **changes)
    st.session_state[STATE_KEY] = view
    return view


def sync_url() -> None:
    """Write the view back to the URL (navigation drops the query string)."""
    wanted = to_query(current(), cache.today())
    if dict(st.query_params.to_dict()) != wanted:
        st.query_params.from_dict(wanted)


def lang() -> str:
    return current().lang


def t(key: str, **kw) -> str:
    return i18n.t(key, current().lang, **kw)


def date_range() -> tuple[date, date]:
    return current().resolved(cache.today())


def previous_range() -> tuple[date, date]:
    return timeutil.previous_period(*date_range())


def selected_pages(all_ids: list[str]) -> list[str]:
    """The page ids to show: the chosen ones that exist, or all when none is chosen."""
    chosen = [p for p in current().pages if p in all_ids]
    return chosen or list(all_ids)

"""Pancake statistics dashboard: the entry point (``streamlit run app.py``).

Navigation, the shared sidebar and the URL state live here; each page in ``app_pages/``
only draws its own content.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from pancake import i18n
from ui import auth, components, sidebar, state

# the favicon is served by this server: no viewer's browser asks a font server for it
st.set_page_config(page_title="Pancake · Thống kê", page_icon=str(Path(__file__).parent / "ui" / "favicon.png"),
                   layout="wide", initial_sidebar_state="auto")
components.app_chrome()   # no Streamlit English ("Press Enter to submit form", "Stop") on any screen
who = auth.gate()   # nothing below runs before sign-in when a gate is configured

view = state.current()
if st.session_state.get("w_lang") in i18n.LANGS and st.session_state["w_lang"] != view.lang:
    view = state.update(lang=st.session_state["w_lang"])  # titles follow a language switch at once
lang = view.lang

# Pages that offer a day/hour grain choice (the API has hourly data for them).
GRAIN_PAGES = {"engagement", "customers"}

# (url path = file name in app_pages/, icon) per navigation section
PAGES = {
    "reports": [("overview", ":material/dashboard:"), ("engagement", ":material/forum:"),
                ("staff", ":material/support_agent:"), ("replies", ":material/timer:"),
                ("conversations", ":material/chat:"), ("ads", ":material/campaign:"), ("tags", ":material/sell:"),
                ("customers", ":material/person_add:"), ("activity", ":material/schedule:")],
    "admin": [("settings", ":material/settings:")],
}


DEFAULT = "overview"   # the page at the root ("/"); "/overview" leads there too


def pages(script: str | None = None) -> dict[str, list[st.Page]]:
    """The navigation: each page runs its own script, or ``script`` at every path. The default
    page's path is the root only, so a hidden page can answer "/overview"."""
    return {section: [st.Page(script or f"app_pages/{name}.py", title=i18n.t(f"nav.{name}", lang), icon=icon,
                              url_path="" if name == DEFAULT else name, default=name == DEFAULT)
                      for name, icon in items]
            for section, items in PAGES.items()}


def unknown_pages(known: list[st.Page], script: str = "app_pages/not_found.py") -> list[st.Page]:
    """A hidden page at each path this session asked for that names none of ``known``
    ("/overview", a typo, Settings for a viewer), running ``script``: the session's own "no such
    page" in its language, never Streamlit's English "Page not found"."""
    asked = state.unknown_path(state.asked_path(st.context.url, st.get_option("server.baseUrlPath")),
                               [p.url_path for p in known])
    seen = st.session_state.setdefault(state.UNKNOWN_PATHS, [])
    if asked is not None and asked not in seen:
        seen.append(asked)
    return [st.Page(script, title=i18n.t("nav.not_found", lang), url_path=p, visibility="hidden") for p in seen]


ADMIN_ONLY = [name for name, _ in PAGES["admin"]]
if not who.admin:      # Settings and its buttons are for admins only
    PAGES = {k: v for k, v in PAGES.items() if k != "admin"}

linked = auth.link_page()   # a read-only link: its one page at every path, no sidebar, nothing else
if linked is not None and linked != "standup":
    every = [p for group in pages(f"app_pages/{linked}.py").values() for p in group]
    nav = st.navigation(every + unknown_pages(every, f"app_pages/{linked}.py"), position="hidden")
elif view.kiosk or who.kiosk:  # the standup screen at every path, no sidebar; the path's page is its first section
    every = [p for group in pages("app_pages/standup.py").values() for p in group]
    nav = st.navigation(every + unknown_pages(every, "app_pages/standup.py"), position="hidden")
    st.session_state["_standup_path"] = nav.url_path  # read by app_pages/standup.py
else:
    sections = pages()
    every = [p for group in sections.values() for p in group]
    sections["reports"] = sections["reports"] + unknown_pages(every)   # hidden: not in the menu
    nav = st.navigation({i18n.t(f"nav.section.{k}", lang): v for k, v in sections.items()})
    st.session_state[state.NOT_FOUND] = (nav.url_path, every, DEFAULT, ADMIN_ONLY)   # app_pages/not_found.py
    auth.go_to_asked_page(nav.url_path, [p for group in sections.values() for p in group])
    sidebar.render(grain=nav.url_path in GRAIN_PAGES)
state.sync_url()
auth.hand_over()     # after a sign-in: the browser trades a one-use ticket for the session cookie
nav.run()

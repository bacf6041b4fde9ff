"""Read-only links in Settings (issue 22): an admin makes a link to one view (a page or the
standup screen, with the sidebar's pages, range and language), named and expiring (30 days
unless set), with or without downloads; the list shows each link's name, view, dates and
last use, and can revoke one. The secret is shown once, when made; the store keeps its hash
(``pancake.delivery.session.link_hash``). The gate (``ui.auth``) opens a link's one view."""
from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import pandas as pd
import streamlit as st

from pancake import fmt, i18n
from pancake.delivery import access, session
from ui import auth, cache, state

# the pages a link may open (never Settings); "standup" is the TV screen
LINKABLE = ("overview", "engagement", "staff", "conversations", "ads", "tags", "customers", "activity",
            access.STANDUP)
ACTIVE = "_links_active"   # {label in the revoke box: link id}
MADE = "_link_made"        # (link name, URL) of the link just made: shown once


def _page_title(name: str, lang: str) -> str:
    return state.t("sb.standup") if name == access.STANDUP else state.t(f"nav.{name}")


def _when(epoch: float | None, lang: str) -> str:
    if epoch is None:
        return "—"
    local = datetime.fromtimestamp(float(epoch), tz=UTC).astimezone(cache.settings().tz)
    return fmt.date(local.date(), lang) + " " + local.strftime("%H:%M")


def _origin() -> str:
    """Where the dashboard is reached: ``PANCAKE_PUBLIC_URL``, else the address this browser used."""
    try:
        public = cache.settings().public_url
    except Exception:  # noqa: BLE001
        public = None
    if public:
        return str(public).rstrip("/")
    try:
        parts = urlsplit(str(st.context.url))
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    except Exception:  # noqa: BLE001
        return ""


def view_text(link: access.SharedLink, lang: str) -> str:
    """"Staff · 2 pages · last_7 · vi" as a person reads it."""
    q = dict(link.query)
    period = state.t(f"preset.{q['range']}") if "range" in q and i18n.has(f"preset.{q['range']}") else \
        fmt.date_range(q.get("from"), q.get("to"), lang)
    return " · ".join([_page_title(link.page, lang), state.t("links.n_pages", n=len(link.pages)), period,
                       q.get("lang", "").upper()])


def _make(all_ids: list[str]) -> None:
    name = st.session_state.get("w_link_name", "")
    days = st.session_state.get("w_link_days", access.LINK_DAYS)
    lang = state.lang()
    titles = {_page_title(n, lang): n for n in LINKABLE}
    page = titles.get(st.session_state.get(f"w_link_page_{lang}") or "", "overview")
    view = state.current()
    pages = state.selected_pages(all_ids)
    query = {k: v for k, v in state.to_query(view, cache.today()).items()
             if k in ("range", "from", "to", "lang", "cmp", "grain")}
    if "range" in query:
        query.pop("from", None)
        query.pop("to", None)
    try:
        link = access.new_link(name, page, pages, query, downloads=bool(st.session_state.get("w_link_dl")),
                               now=time.time(), days=float(days))
    except ValueError:
        st.session_state[MADE] = None
        return
    secret = session.new_link_secret()
    store = auth.store()
    store.add_link(link.id, session.link_hash(secret), link.name, link.view_text(), link.downloads,
                   link.created_at, link.expires_at)
    path = "" if page == access.STANDUP else page
    st.session_state[MADE] = (link.name, f"{_origin()}/{path}?{urlencode({session.LINK_PARAM: secret})}")


def _revoke() -> None:
    chosen = (st.session_state.get(ACTIVE) or {}).get(st.session_state.get(f"w_link_revoke_{state.lang()}"))
    if chosen:
        auth.store().revoke_link(str(chosen), time.time())


def render(all_ids: list[str]) -> None:
    """The Settings section: make a link, the list, revoke."""
    lang = state.lang()
    st.subheader(state.t("links.title"))
    if auth.store() is None:
        st.warning(state.t("links.no_store"), icon=":material/link_off:")
        return
    st.caption(state.t("links.caption"))
    with st.form("make_link", border=True):
        st.text_input(state.t("links.name"), key="w_link_name", max_chars=80)
        c1, c2 = st.columns(2)
        c1.selectbox(state.t("links.page"), [_page_title(n, lang) for n in LINKABLE], key=f"w_link_page_{lang}")
        c2.number_input(state.t("links.days"), min_value=1, max_value=access.LINK_MAX_DAYS,
                        value=access.LINK_DAYS, step=1, key="w_link_days")
        st.checkbox(state.t("links.downloads"), key="w_link_dl")
        st.form_submit_button(state.t("links.make"), icon=":material/add_link:", on_click=_make, args=(all_ids,))
    if MADE in st.session_state:
        made = st.session_state.pop(MADE)
        if made is None:
            st.error(state.t("links.need_name"), icon=":material/error:")
        else:
            st.success(state.t("links.made", name=state.plain(made[0])), icon=":material/link:")
            st.code(made[1], language=None)
    now = time.time()
    links = [x for x in (access.SharedLink.from_row(r) for r in auth.store().links()) if x is not None]
    if not links:
        st.caption(state.t("links.none"))
        return
    rows = pd.DataFrame({
        state.t("links.name"): [x.name for x in links],
        state.t("links.view"): [view_text(x, lang) for x in links],
        state.t("links.created"): [_when(x.created_at, lang) for x in links],
        state.t("links.expires"): [_when(x.expires_at, lang) for x in links],
        state.t("links.last_used"): [_when(x.last_used, lang) for x in links],
        state.t("links.status"): [state.t(f"links.status.{x.status(now)}") for x in links],
    })
    st.dataframe(rows, hide_index=True)
    active = [x for x in links if x.status(now) == "active"]
    if active:
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        names = [f"{i + 1}. {x.name} · {view_text(x, lang)}" for i, x in enumerate(active)]
        c1.selectbox(state.t("links.revoke_which"), names, key=f"w_link_revoke_{lang}")
        st.session_state[ACTIVE] = {n: x.id for n, x in zip(names, active)}
        c2.button(state.t("links.revoke"), icon=":material/link_off:", on_click=_revoke, key="w_link_revoke_btn")

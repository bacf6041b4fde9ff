"""Settings: connected pages and whether each token works (never the token), whether a user
token is configured, the API base URL, the time zone and how to change it, the age of the
data on screen, the statistics store (where, how big, each page's newest data) with its clear
buttons, and how to configure real tokens (demo mode)."""
from __future__ import annotations

import streamlit as st

from pancake import fmt
from pancake.data.core import OPEN_TTL
from pancake.numbers.views import settings as vs
from ui import auth, cache, components, links, state, store_notice
from ui.page import open_page

STATUS_KEY = "_settings_token_status"   # (page ids, status frame, checked at)
CLEARED_KEY = "_settings_cache_cleared"
STORE_CLEARED_KEY = "_settings_store_cleared"

auth.require_admin()          # the navigation hides this page from viewers; a direct URL stops here
page = open_page("nav.settings")
lang = page.lang
frame, pages_error = cache.pages()
all_ids = list(frame["page_id"].astype(str))

try:
    s = cache.settings()
except Exception:  # noqa: BLE001 - a malformed configuration: the header already says what is wrong
    s = None

# --- connection ------------------------------------------------------------------------------
st.subheader(state.t("set.connection"))
demo = cache.is_demo() if s is not None else False
c1, c2, c3 = st.columns(3)
c1.markdown(f"**{state.t('set.mode')}**  \n" + state.t("set.mode.demo" if demo else "set.mode.live"))
c2.markdown(f"**{state.t('set.user_token')}**  \n" + vs.yes_no(bool(s and s.access_token), lang))
c3.markdown(f"**{state.t('set.page_tokens')}**  \n" + str(len(s.page_tokens) if s else 0))
st.markdown(f"**{state.t('set.base_url')}**")
st.code(vs.safe_base_url(s.base_url if s else ""), language=None)
if s is not None and s.public_url_problem:   # PANCAKE_PUBLIC_URL refused: why, never the value
    st.warning(state.t(f"config.public_url.{s.public_url_problem}"), icon=":material/link_off:")

# --- pages and tokens ------------------------------------------------------------------------
st.subheader(state.t("set.pages"))
if pages_error:
    st.warning(state.t("set.pages_error", msg=components.escape_markdown(pages_error)), icon=":material/warning:")
if not all_ids:
    components.empty_state("set.no_pages")
else:
    st.caption(state.t("set.pages_caption"))
    recheck = st.button(state.t("set.recheck"), icon=":material/refresh:", key="set_recheck")
    saved = st.session_state.get(STATUS_KEY)
    if (recheck and auth.may_press("recheck")) or saved is None or saved[0] != tuple(all_ids):
        with st.spinner(state.t("common.loading", what=state.t("set.pages"))):
            saved = (tuple(all_ids), cache.token_status(all_ids), cache.now_utc())
        st.session_state[STATUS_KEY] = saved
    _, status, checked_at = saved
    ok, n = vs.token_counts(status)
    unreachable = vs.unreachable_count(status)
    if ok == n:
        st.success(state.t("set.n_ok", ok=ok, n=n), icon=":material/check_circle:")
    if unreachable:
        st.error(state.t("faults.api_unreachable", n=unreachable), icon=":material/cloud_off:")
    if n - ok - unreachable:
        st.error(state.t("set.n_bad", bad=n - ok - unreachable), icon=":material/key_off:")
    components.table(vs.token_table(status, lang), "token-status", all_ids, key="dl_token_status")
    st.caption(state.t("set.checked_at", time=vs.local_time(checked_at, cache.tz_name(), lang)))

# --- time zone -------------------------------------------------------------------------------
st.subheader(state.t("set.tz"))
tz = cache.tz_name()
st.markdown(state.t("set.tz_body", tz=tz, now=vs.local_time(cache.now_utc(), tz, lang)))

# --- the statistics store and the cache ----------------------------------------------------
st.subheader(state.t("set.store"))
info = cache.store_info()
st.markdown(state.t("set.store_body", today=fmt.duration_ms(OPEN_TTL * 1000, lang),
                    backend=state.t(f"set.store.backend.{info['backend']}"),
                    size=vs.size_text(info["size_bytes"], lang),
                    entries=fmt.number(info["entries"], lang)))
if info["location"]:
    st.markdown(f"**{state.t('set.store.where')}**")
    st.code(str(info["location"]), language=None)
store_notice.details(lang)    # cannot be reached: why (no password), last reachable, next attempt
if info["warning"]:
    st.warning(components.escape_markdown(info["warning"]), icon=":material/warning:")
if info["pages"].empty:
    st.caption(state.t("set.store.empty"))
else:
    components.table(vs.store_table(info["pages"], lang, cache.now_utc()), "store", all_ids,
                     key="dl_store", downloadable=False)
now = cache.now_utc()
last = cache.last_fetch()
oldest = st.session_state.get("_pancake_oldest_fetch")
if last is None:
    st.caption(state.t("set.not_fetched"))
else:
    st.markdown(state.t("set.fetched", time=vs.local_time(last, tz, lang), age=vs.age_text(last, now, lang)))
    if oldest is not None and oldest < last:
        st.caption(state.t("set.fetched_oldest", time=vs.local_time(oldest, tz, lang),
                           age=vs.age_text(oldest, now, lang)))


def _clear() -> None:
    if not auth.may_press("clear"):
        return
    cache.clear_cache()
    st.session_state.pop(STATUS_KEY, None)
    st.session_state[CLEARED_KEY] = True


def _clear_store() -> None:
    if not auth.may_press("clear_store"):
        return
    st.session_state[STORE_CLEARED_KEY] = cache.clear_store()
    st.session_state.pop(STATUS_KEY, None)


b1, b2 = st.columns(2)
b1.button(state.t("set.clear"), icon=":material/delete_sweep:", key="set_clear",
          help=state.t("set.clear_help"), on_click=_clear)
b2.button(state.t("set.store.clear"), icon=":material/delete_forever:", key="set_clear_store",
          help=state.t("set.store.clear_help"), on_click=_clear_store)
if st.session_state.pop(CLEARED_KEY, False):
    st.success(state.t("set.cleared"), icon=":material/check:")
cleared = st.session_state.pop(STORE_CLEARED_KEY, None)
if cleared is not None:
    st.success(state.t("set.store.cleared", n=cleared), icon=":material/check:")

# --- demo mode and configuration -------------------------------------------------------------
st.subheader(state.t("set.config"))
auth.metrics_warning()
st.markdown(state.t("set.demo_body") if demo else state.t("set.live_body"))
st.markdown(state.t("set.config_body"))
components.table(vs.env_table(lang), "configuration", all_ids, key="dl_configuration",
                 downloadable=False)
st.markdown(state.t("set.secrets_body"))
st.code(vs.SECRETS_EXAMPLE, language="toml")

# --- read-only links (issue 22) --------------------------------------------------------------
links.render(all_ids)

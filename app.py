"""Pancake statistics dashboard: the entry point (``streamlit run app.py``).

Navigation, the shared sidebar and the URL state live here; each page in ``app_pages/``
only draws its own content.
"""
from __future__ import annotations

import streamlit as st

from pancake import i18n
from ui import sidebar, state

st.set_page_config(page_title="Pancake · Thống kê", page_icon=":material/monitoring:",
                   layout="wide", initial_sidebar_state="auto")

view = state.current()
if st.session_state.get("w_lang") in i18n.LANGS and st.session_state["w_lang"] != view.lang:
    view = state.update(lang=st.session_state["w_lang"])  # titles follow a language switch at once
st.session_state["_shown_errors"] = set()  # per run: each failing page is named once
lang = view.lang

# Pages that offer a day/hour grain choice (the API has hourly data for them).
GRAIN_PAGES = {"engagement", "customers"}

PAGES = {
    "reports": [
        st.Page("app_pages/overview.py", title=i18n.t("nav.overview", lang), icon=":material/dashboard:",
                url_path="overview", default=True),
        st.Page("app_pages/engagement.py", title=i18n.t("nav.engagement", lang), icon=":material/forum:",
                url_path="engagement"),
        st.Page("app_pages/staff.py", title=i18n.t("nav.staff", lang), icon=":material/support_agent:",
                url_path="staff"),
        st.Page("app_pages/ads.py", title=i18n.t("nav.ads", lang), icon=":material/campaign:",
                url_path="ads"),
        st.Page("app_pages/tags.py", title=i18n.t("nav.tags", lang), icon=":material/sell:",
                url_path="tags"),
        st.Page("app_pages/customers.py", title=i18n.t("nav.customers", lang), icon=":material/person_add:",
                url_path="customers"),
        st.Page("app_pages/activity.py", title=i18n.t("nav.activity", lang), icon=":material/schedule:",
                url_path="activity"),
    ],
    "admin": [
        st.Page("app_pages/settings.py", title=i18n.t("nav.settings", lang), icon=":material/settings:",
                url_path="settings"),
    ],
}

if view.kiosk:
    from ui import kiosk
    kiosk.run(PAGES)
else:
    nav = st.navigation({i18n.t(f"nav.section.{k}", lang): v for k, v in PAGES.items()})
    sidebar.render(grain=nav.url_path in GRAIN_PAGES)
    state.sync_url()
    nav.run()

"""A path that names no page ("/overview", a typo, Settings for a viewer who is no admin).

app.py registers this script, hidden, at each such path the session asked for, so the answer is
in the session's language with a way on, never Streamlit's English "Page not found": a path that
means a page ("/overview", "/home", "/Staff") opens it; any other says so and links every page
the viewer may open."""
from __future__ import annotations

import streamlit as st

from ui import state

path, every, default, admin_only = st.session_state[state.NOT_FOUND]
target = state.page_alias(path, [p.url_path for p in every], default)
page = next((p for p in every if p.url_path == target), None) if target is not None else None
if page is not None:
    st.switch_page(page)      # the view (pages, range, language) follows: state.sync_url writes it back

st.title(state.t("nf.title"))
for_admins = path.casefold() in [n.casefold() for n in admin_only]
st.markdown(state.t("nf.admin_only" if for_admins else "nf.body", path=f"`/{path}`"))
for p in every:
    st.page_link(p, label=p.title, icon=p.icon)

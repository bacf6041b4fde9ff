"""Serve the dashboard with its session endpoint: ``streamlit run serve.py``.

``app.py`` is the dashboard; this file mounts it as a Streamlit ``App`` with one more route,
``/_pancake/session`` (``ui.cookie``), which sets and clears the signed session cookie that keeps a
person signed in across reloads, tabs and bookmarks. ``streamlit run app.py`` still works: then a
sign-in lasts as long as the browser tab.
"""
import streamlit as st

from ui import cookie

app = st.App("app.py", routes=cookie.routes())

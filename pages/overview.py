"""Placeholder until the page lands."""
import streamlit as st

from ui import components, state
from pancake.data import cache

frame, _ = cache.pages()
page_ids = state.selected_pages(list(frame["page_id"]))
components.header("nav.overview", page_ids)

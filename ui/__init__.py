"""Streamlit helpers shared by the pages: view state in the URL, sidebar, page furniture."""

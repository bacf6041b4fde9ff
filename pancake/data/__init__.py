"""Data layer. ``core`` has no Streamlit (the CLI uses it); ``cache`` is the dashboard's entry."""

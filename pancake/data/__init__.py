"""Data layer (no Streamlit): ``core`` loads statistics through the store (the CLI uses it);
the dashboard's entry is ``ui.cache``."""

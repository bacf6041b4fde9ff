"""Pancake (pages.fm) statistics: client, simulator, reshaping and data layer.

No module here imports Streamlit (the dashboard's side is ``ui/``); everything is plain Python.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"

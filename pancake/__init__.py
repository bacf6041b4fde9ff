"""Pancake (pages.fm) statistics: client, simulator, reshaping and data layer.

Only ``pancake.data.cache`` imports Streamlit; everything else is plain Python.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"

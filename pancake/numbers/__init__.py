"""The numbers: metric arithmetic (metrics), opening hours and response times, the pure
conversation frames and each page's computations (views). Pure: no HTTP, no Streamlit.
"""

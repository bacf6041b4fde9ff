"""No English on the Vietnamese screens: a word list over the visible text of every page (the
shops' own names and ads, which may be in English, are data: the list holds UI words only)."""
from __future__ import annotations

import re

import pytest

from .conftest import settle

pytestmark = pytest.mark.browser

PAGES = ["", "engagement", "staff", "conversations", "ads", "tags", "customers", "activity", "settings"]
# words of the UI in English (Streamlit's own included), never in a Vietnamese screen
ENGLISH = ["Press Enter", "submit form", "Running", "Stop", "Download", "Total", "Loading", "Wrong",
           "password", "Settings", "Conversations", "Engagements?", "Overview", "Customers", "Share", "Average",
           "Search", "Choose", "Select", "Previous", "minutes?", "seconds?", "hours?", "days?", "API field",
           "Trường API", "Waiting", "Tags?", "Staff", "Pages?", "Orders?", "Spend", "Purchases?", "No data",
           "nan", "None", "NaN", "undefined", "True", "False"]
WORDS = re.compile(r"\b(?:" + "|".join(ENGLISH) + r")\b")
VISIBLE = """() => document.querySelector("[data-testid='stApp']").innerText"""


@pytest.mark.parametrize("path", PAGES)
def test_a_vietnamese_screen_has_no_english(page, path):
    page.goto(f"/{path}?lang=vi")
    settle(page)
    page.wait_for_timeout(500)
    text = page.evaluate(VISIBLE)
    assert len(text) > 200 and "Tiếng Việt" in text        # the screen was read, in Vietnamese
    found = sorted({m.group(0) for m in WORDS.finditer(text)})
    assert not found, (found, [line for line in text.splitlines() if WORDS.search(line)][:10])
    # Streamlit's own English hidden: the form hint and the toolbar's "Running… Stop"
    assert page.locator("[data-testid='stStatusWidget']:visible").count() == 0
    assert page.evaluate("""() => [...document.querySelectorAll('style')]
                            .some(s => s.textContent.includes('[data-testid="InputInstructions"] { display: none'))""")

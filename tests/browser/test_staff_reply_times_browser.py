"""Issue 20 in a real browser: the Staff page draws its figures without waiting for the response
times (``ui.replies_data.turns_soon``), says they are being computed, then draws them by itself once
they are there (its fragment looks again and draws the page again), without a click."""
from __future__ import annotations

from datetime import timedelta

import pytest

from . import truth
from .conftest import settle, shot

pytestmark = pytest.mark.browser
WA = truth.DEMO_PAGE_IDS[4]


def test_the_response_times_come_after_the_figures_without_a_click(page):
    s = truth.sim()
    day = s.today() - timedelta(days=5)
    page.goto(f"/staff?lang=en&pages={WA}&from={day.isoformat()}&to={day.isoformat()}&cmp=0")
    settle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.get_by_text("Staff leaderboard").count() == 1
    assert page.get_by_text("Response times from the messages").count() == 1
    page.get_by_text("Response times from the messages").scroll_into_view_if_needed()
    shot(page, "staff_reply_times_first_en")
    # the response times' caption comes by itself (the pending note, if it was drawn, goes)
    page.get_by_text("Median, P90 and within target come from each customer turn").wait_for(timeout=180_000)
    settle(page)
    assert page.get_by_text("the response times appear here once computed").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "nan" not in body.split() and "None" not in body.split()
    page.get_by_text("Median, P90 and within target come from each customer turn").scroll_into_view_if_needed()
    shot(page, "staff_reply_times_en")

"""Issue 21 in a real browser: /replies says "computed over N of M" until the messages are in,
then its cards equal the simulator's truth per turn; the basis switch writes the URL."""
from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from pancake import fmt

from . import truth
from .conftest import close_page, metrics_on, open_page, running_app, settle, shot

pytestmark = pytest.mark.browser
WA = truth.DEMO_PAGE_IDS[4]


@pytest.fixture(scope="module")
def replies_url(sim_url, tmp_path_factory):
    """A dashboard of its own whose messages filler runs unpaced (``unpaced_filler``): this test
    waits for its fill. Its own store (``PANCAKE_CACHE_DIR``), so its own filler: not one another
    dashboard of the session started, paced, on the same store."""
    cache = tmp_path_factory.mktemp("replies-cache")
    with running_app(sim_url, "streamlit-replies.log", unpaced_filler=True, PANCAKE_CACHE_DIR=str(cache)) as url:
        yield url


@pytest.fixture
def page(browser, replies_url):
    pg = open_page(browser, replies_url)
    yield pg
    close_page(pg)


def test_replies_partial_then_true_figures_and_the_basis_in_the_url(page):
    s = truth.sim()
    day = s.today() - timedelta(days=3)
    path = f"/replies?lang=en&pages={WA}&from={day.isoformat()}&to={day.isoformat()}&cmp=0"
    page.goto(path)
    settle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    deadline = time.time() + 240
    while page.get_by_text("Computed over").count() and time.time() < deadline:
        page.wait_for_timeout(5000)
        page.reload()
        settle(page)
    assert page.get_by_text("Computed over").count() == 0, "the messages never came in"
    shot(page, "replies_en")
    waits = []
    lo = datetime.combine(day, datetime.min.time())
    for t, c in s.truth.conversations(WA, lo, lo + timedelta(hours=23, minutes=59, seconds=59)):
        waits += [x["wait_seconds"] for x in s.truth.turns(WA, t, c) if x["start"].date() == day and x["end"]]
    cards = dict(metrics_on(page))
    assert cards["Customer turns"] == fmt.number(len(waits), "en")
    assert cards["Median wait"] == fmt.duration_ms(statistics.median(waits) * 1000, "en")
    page.get_by_text("Opening hours", exact=True).first.click()
    settle(page)
    assert parse_qs(urlparse(page.url).query).get("basis") == ["business"]

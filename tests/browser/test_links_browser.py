"""Read-only links (issue 22), in Chromium: an admin makes a link in Settings; in a browser with
no sign-in it opens exactly its view (its page, pages, range and language, whatever the URL
asks), with no navigation, no Settings and no downloads; it stops at once after revocation,
and after its expiry (time moved by writing an expiry in the past into the store); its secret
never reaches the server's log."""
from __future__ import annotations

import sqlite3
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from pancake.api.simulator import DEMO_PAGES

from .conftest import ARTIFACTS, settle
from .test_session_browser import _sign_in, serve

pytestmark = pytest.mark.browser

A, B = DEMO_PAGES[0], DEMO_PAGES[1]


@pytest.fixture(scope="module")
def links_app(tmp_path_factory, sim_url):
    folder = tmp_path_factory.mktemp("links")
    with serve(folder, "links", sim_url) as (url, log_path):
        yield url, log_path, folder / "cache" / "store.sqlite3"


def _make_link(pg, name: str) -> str:
    pg.get_by_label("Name").fill(name)
    pg.get_by_role("button", name="Make the link").click()
    code = pg.locator("[data-testid='stCode'] code").filter(has_text="link=")
    code.first.wait_for()
    return code.first.inner_text().strip()


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_a_link_opens_its_view_only_and_stops_when_revoked_or_expired(browser, links_app):
    url, log_path, store_file = links_app
    admin = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=url)
    guest = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=url, accept_downloads=True)
    try:
        pg = admin.new_page()
        pg.set_default_timeout(45_000)
        pg.goto(f"/settings?pages={A.id}&range=yesterday&lang=en")
        _sign_in(pg)
        settle(pg)
        link = _make_link(pg, "Morning <b>team</b>")
        secret = _query(link)["link"]
        assert len(secret) >= 32 and urlsplit(link).path == "/overview"   # the default screen

        g = guest.new_page()
        g.set_default_timeout(45_000)
        # the link asked with another page, pages, range and language: its own view opens
        g.goto(f"/tags?link={secret}&pages={B.id}&range=last_30&lang=vi")
        settle(g)
        assert g.locator("input[type='password']").count() == 0
        q = _query(g.url)
        assert (q["pages"], q["range"], q["lang"]) == (A.id, "yesterday", "en")
        assert g.locator("h1").first.inner_text().startswith("Overview")
        assert g.locator("[data-testid='stSidebarNav']").count() == 0          # nothing else to go to
        g.screenshot(path=str(ARTIFACTS / "link-view.png"))
        assert g.locator("[data-testid='stDownloadButton']").count() == 0     # no downloads unless allowed
        g.goto(f"/settings?link={secret}")
        settle(g)
        assert g.locator("h1").first.inner_text().startswith("Overview")      # never Settings

        pg.reload()
        settle(pg)
        table = pg.locator("[data-testid='stDataFrame']").last
        table.wait_for()
        table.scroll_into_view_if_needed()
        pg.screenshot(path=str(ARTIFACTS / "links-settings.png"))
        pg.get_by_role("button", name="Revoke").click()
        settle(pg)
        g.reload()
        g.get_by_text("This link has been revoked").wait_for()
        g.screenshot(path=str(ARTIFACTS / "link-revoked.png"))
        assert g.locator("[data-testid='stSidebarNav']").count() == 0

        second = _make_link(pg, "Weekly")
        s2 = _query(second)["link"]
        g.goto(f"/?link={s2}")
        settle(g)
        assert g.locator("h1").first.inner_text().startswith("Overview")
        with sqlite3.connect(store_file) as conn:    # time moves past its expiry
            conn.execute("UPDATE pancake_links SET expires_at = ? WHERE name = 'Weekly'", (time.time() - 1,))
        g.reload()
        g.get_by_text("This link has expired").wait_for()
        g.goto("/?link=not-a-link-secret-at-all-000000000&lang=en")
        g.get_by_text("This link does not open anything").wait_for()
        with sqlite3.connect(store_file) as conn:
            stored = conn.execute("SELECT secret_hash, view FROM pancake_links").fetchall()
        assert all(secret not in h + v and s2 not in h + v for h, v in stored)   # only a hash is kept
    finally:
        admin.close()
        guest.close()
    text = log_path.read_text()
    assert secret not in text and s2 not in text

"""A sign-in that stays (issue 19), in Chromium against ``streamlit run serve.py``: signed in
once, a reload, a new tab and a deep link open without a second sign-in; the cookie is HttpOnly
and SameSite=Lax and never readable by the page; after sign-out a reload asks again, and the
old cookie, replayed in another browser, opens nothing. And read-only links (issue 22), on the
same server (one ``serve.py`` for the module)."""
from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest

from pancake.api.simulator import DEMO_PAGES
from pancake.delivery import access

from .conftest import ARTIFACTS, running_app, settle

pytestmark = pytest.mark.browser

PW = "CANARY-SESSION-PW-7a41"
A, B = DEMO_PAGES[0], DEMO_PAGES[1]


@contextmanager
def serve(tmp_path, name: str, sim_url: str):
    """``streamlit run serve.py`` on the simulator, its store in ``tmp_path/cache``, with an
    access file (one admin viewer, pages A and B). Yields its URL and its log's path."""
    access_file = tmp_path / "access.toml"
    access_file.write_text(f'''
[[viewer]]
name = "Shop A"
password_hash = "{access.hash_secret(PW)}"
pages = ["{A.id}", "{B.id}"]
role = "admin"
''')
    log_name = f"streamlit-{name}.log"
    with running_app(sim_url, log_name, script="serve.py", PANCAKE_ACCESS_FILE=str(access_file),
                     PANCAKE_CACHE_DIR=str(tmp_path / "cache")) as url:
        yield url, ARTIFACTS / log_name


@pytest.fixture(scope="module")
def served(tmp_path_factory, sim_url):
    """One ``serve.py`` for the module: its URL, its log's path and its store's file."""
    folder = tmp_path_factory.mktemp("session")
    with serve(folder, "session", sim_url) as (url, log_path):
        yield url, log_path, folder / "cache" / "store.sqlite3"


@pytest.fixture
def session_app(served):
    url, log_path, _ = served
    return url, log_path


def _form_shown(pg) -> bool:
    return pg.locator("input[type='password']").count() > 0


def _sign_in(pg) -> None:
    pg.wait_for_selector("input[type='password']")
    pg.locator("input[type='text']").first.fill("shop a")
    pg.locator("input[type='password']").fill(PW)
    pg.locator("[data-testid='stFormSubmitButton'] button").click()


def _session_cookie(context):
    found = [c for c in context.cookies() if c["name"] == "pancake_session"]
    return found[0] if found else None


def _wait_cookie(context, pg, present: bool = True):
    for _ in range(100):
        if (_session_cookie(context) is not None) == present:
            return _session_cookie(context)
        pg.wait_for_timeout(100)
    raise AssertionError(f"session cookie {'never set' if present else 'not cleared'}")


def test_signed_in_across_reloads_tabs_and_deep_links_until_sign_out(browser, session_app):
    url, log_path = session_app
    context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=url)
    pg = context.new_page()
    pg.set_default_timeout(45_000)
    try:
        pg.goto(f"/staff?pages={A.id}&range=yesterday")
        pg.wait_for_selector("input[type='password']")
        _sign_in(pg)
        settle(pg)
        assert "/staff" in pg.url                                  # the deep link survived the sign-in
        cookie = _wait_cookie(context, pg)
        assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
        assert cookie["secure"] is False                            # plain HTTP here: Secure only behind HTTPS
        assert 11.5 * 3600 < cookie["expires"] - time.time() <= 12 * 3600 + 60    # PANCAKE_SESSION_HOURS default
        assert PW not in cookie["value"]
        assert "pancake_session" not in pg.evaluate("document.cookie")   # HttpOnly: the page cannot read it

        pg.reload()
        settle(pg)
        assert not _form_shown(pg) and "/staff" in pg.url

        tab = context.new_page()                                   # a new tab, a bookmark with another page
        tab.goto(f"/tags?pages={B.id}&range=yesterday")
        settle(tab)
        assert not _form_shown(tab) and "/tags" in tab.url
        tv = context.new_page()                                    # the TV button's link carries the session
        tv.goto(f"/?kiosk=1&pages={A.id}")
        settle(tv)
        assert not _form_shown(tv)
        tv.close()

        pg.get_by_role("button", name="Đăng xuất").or_(pg.get_by_role("button", name="Sign out")).first.click()
        pg.wait_for_selector("input[type='password']")
        _wait_cookie(context, pg, present=False)
        pg.reload()
        pg.wait_for_selector("input[type='password']")
        assert _form_shown(pg)
        tab.reload()
        tab.wait_for_selector("input[type='password']")

        # the old cookie, replayed in another browser, opens nothing: the sign-out is recorded
        other = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=url)
        other.add_cookies([{**{k: cookie[k] for k in ("name", "value", "path", "httpOnly", "sameSite")},
                            "domain": "127.0.0.1"}])
        replay = other.new_page()
        replay.goto(f"/?pages={A.id}")
        replay.wait_for_selector("input[type='password']")
        other.close()
    finally:
        context.close()
    assert PW not in log_path.read_text() and cookie["value"] not in log_path.read_text()


# --- read-only links (issue 22) -------------------------------------------------------------

def _make_link(pg, name: str) -> str:
    pg.get_by_label("Name").fill(name)
    pg.get_by_role("button", name="Make the link").click()
    code = pg.locator("[data-testid='stCode'] code").filter(has_text="link=")
    code.first.wait_for()
    return code.first.inner_text().strip()


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_a_link_opens_its_view_only_and_stops_when_revoked_or_expired(browser, served):
    """Read-only links (issue 22): an admin makes a link in Settings; in a browser with no
    sign-in it opens exactly its view (its page, pages, range and language, whatever the URL
    asks), with no navigation, no Settings and no downloads; it stops at once after revocation,
    and after its expiry (time moved by writing an expiry in the past into the store); its secret
    never reaches the server's log."""
    url, log_path, store_file = served
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

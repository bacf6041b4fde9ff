"""A sign-in that stays (issue 19), in Chromium against ``streamlit run serve.py``: signed in
once, a reload, a new tab and a deep link open without a second sign-in; the cookie is HttpOnly
and SameSite=Lax and never readable by the page; after sign-out a reload asks again, and the
old cookie, replayed in another browser, opens nothing."""
from __future__ import annotations

import time
from contextlib import contextmanager

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
def session_app(tmp_path_factory, sim_url):
    with serve(tmp_path_factory.mktemp("session"), "session", sim_url) as (url, log_path):
        yield url, log_path


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

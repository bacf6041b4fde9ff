"""Hostile names in Chromium (issue 23): a simulator whose page and tag names carry markdown, HTML,
an image, a colour directive, a formula and bare URLs, served over HTTP; the header caption, the
Tags card and charts, the TV and the conversations page with a phishing ``drill=`` link draw them
as text: no link, no image and no request leaves the dashboard's own address. One simulator and
one dashboard for the module."""
from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote, urlparse

import pytest

from .conftest import ARTIFACTS, running_app, settle

pytestmark = pytest.mark.browser

HOSTILE = ("**B** ![i](http://evil.test/t.png) [lnk](http://evil.test/x) :red[RED] $x^2$ "
           "<img src=http://evil.test/a.png> www.evil.test a@evil.test")


LINK = 'Shop <a href="http://evil.test/p">A</a>'   # a tag name Plotly would draw as a link


@pytest.fixture(scope="module")
def hostile_url():
    """A simulator whose page names are ``HOSTILE`` and ``LINK``, one tag named ``HOSTILE`` and
    another ``LINK``, and the app on it."""
    from pancake.api.simulator import DEMO_PAGES, Simulator, _data, serve
    names = {1: HOSTILE, 2: LINK}
    tags = tuple((names.get(i, text), *rest) for i, (text, *rest) in enumerate(_data.TAG_DEFS))
    pages = [replace(p, name=f"{HOSTILE} {LINK} {i}", tags=tags) for i, p in enumerate(DEMO_PAGES)]
    server, thread = serve(Simulator(pages=pages, rate_limit_per_second=0), "127.0.0.1", 0)   # unpaced: running_app
    host, port = server.server_address[:2]
    try:
        with running_app(f"http://{host}:{port}/api", "streamlit-hostile.log") as url:
            yield url, DEMO_PAGES[0].id
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_hostile_names_and_a_phishing_drill_stay_text(browser, hostile_url):
    """Also: a link in a tag name is no link in the charts (Plotly draws ``<a href>`` in a text
    as a link): the Tags page's charts show it as typed."""
    url, first = hostile_url
    own = urlparse(url).netloc
    context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=url)
    pg = context.new_page()
    pg.set_default_timeout(45_000)
    outside: list[str] = []
    pg.on("request", lambda r: outside.append(r.url)
          if urlparse(r.url).scheme in ("http", "https", "ws", "wss") and urlparse(r.url).netloc != own else None)
    drill = quote("tag:[Your session expired - sign in again](http://evil.test/phish) ![i](http://evil.test/t.png)")
    tags = f"/tags?pages={first}&range=last_30"
    try:
        for path in (f"/?pages={first}", tags, f"/?kiosk=1&pages={first}",
                     f"/conversations?pages={first}&drill={drill}"):
            pg.goto(path)
            settle(pg)
            hrefs = pg.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            assert [h for h in hrefs if urlparse(h).netloc != own] == [], path   # no link out, bare URLs too
            assert pg.locator("img[src*='evil']").count() == 0, path          # no image
            assert pg.get_by_text("**B**", exact=False).count() > 0, path     # shown as it reads
            if path == tags:   # the charts: no link (an SVG <a> has xlink:href), the name reads as typed
                pg.wait_for_selector(".js-plotly-plot svg text")
                links = pg.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href') || "
                                                     "e.getAttribute('xlink:href') || '')")
                assert [h for h in links if h.startswith("http") and urlparse(h).netloc != own] == []
                svg_texts = pg.eval_on_selector_all(".js-plotly-plot svg text", "els => els.map(e => e.textContent)")
                assert any(LINK.removeprefix("Shop ") in t for t in svg_texts), svg_texts
        pg.screenshot(path=str(ARTIFACTS / "hostile-conversations.png"), full_page=False)
    finally:
        context.close()
    assert outside == []

"""Nothing is fetched from outside the server (issue 11): every request the browser makes while
opening every page, the standup screen and the conversations page goes to the dashboard's own
address (no font server, no favicon from Google, no tracking image from an echoed parameter)."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest

from .conftest import settle

pytestmark = pytest.mark.browser

PATHS = ["", "engagement", "staff", "conversations", "ads", "tags", "customers", "activity", "settings",
         "?kiosk=1&theme=dark", "?kiosk=1&theme=%21%5Bx%5D%28http%3A%2F%2Fevil.test%2Ftrack.png%29"]


def test_every_request_stays_on_the_dashboards_own_address(page, app_url):
    own = urlparse(app_url).netloc
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if urlparse(r.url).scheme in ("http", "https", "ws", "wss") and urlparse(r.url).netloc != own
            else None)
    for path in PATHS:
        page.goto(path if path.startswith("?") else f"/{path}")
        settle(page)
    assert outside == []
    icon = page.locator("link[rel~='icon']").first.get_attribute("href") or ""
    assert not urlparse(icon).netloc or urlparse(icon).netloc == own

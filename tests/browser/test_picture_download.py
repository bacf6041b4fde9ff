"""The sidebar's "Download the standup as a picture": drawn when clicked, inside the running
dashboard (a dashboard and a Chromium of its own, stopped after), for the view's pages only."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest

from . import truth
from .conftest import settle

pytestmark = pytest.mark.browser

ONE = truth.DEMO_PAGE_IDS[0]


def test_the_sidebar_downloads_the_standup_of_the_view_as_a_png(page):
    page.goto(f"/staff?lang=en&pages={ONE}&range=yesterday")
    settle(page)
    button = page.get_by_role("button", name="Download the standup as a picture")
    assert button.count() == 1
    with page.expect_download(timeout=180_000) as info:
        button.click()
    download = info.value
    data = Path(download.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24])[0] == 1080
    assert download.suggested_filename.startswith(f"standup-{ONE}-") and download.suggested_filename.endswith("-en.png")

"""A bad configuration never blanks the dashboard: every page says what is wrong, in plain
words, draws demo data meanwhile, and Settings stays reachable."""
from __future__ import annotations

import pytest

from tests.conftest import app_test

CANARY = "CANARY-CFG-TOKEN-71c2"


@pytest.mark.parametrize("key,value,needle", [
    ("PANCAKE_TIMEZONE", "Mars/Phobos", "PANCAKE_TIMEZONE"),
    ("PANCAKE_PAGE_TOKENS", "abc", "PANCAKE_PAGE_TOKENS"),
    ("PANCAKE_PAGE_TOKENS", f"1:{CANARY},1:{CANARY}x", "twice"),
    ("PANCAKE_BASE_URL", "http://[::1", "PANCAKE_BASE_URL"),
])
@pytest.mark.parametrize("page", [None, "app_pages/settings.py"])
def test_a_bad_configuration_is_named_on_every_page(key, value, needle, page, monkeypatch):
    monkeypatch.setenv(key, value)
    at = app_test(page, params={"lang": "en"})
    assert not at.exception, [e.message for e in at.exception]
    errors = " ".join(e.value for e in at.error).replace("\\", "")   # markdown escapes
    assert needle in errors and "demo data" in errors
    assert CANARY not in errors
    if page is None:
        assert len(at.metric) > 0          # the overview is drawn (demo data)

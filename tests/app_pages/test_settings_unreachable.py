"""Settings tells an unreachable API from a bad token, and says it quickly."""
from __future__ import annotations

from tests.conftest import app_test


def test_an_unreachable_api_is_not_blamed_on_the_tokens(monkeypatch):
    monkeypatch.setenv("PANCAKE_BASE_URL", "http://127.0.0.1:9/api")     # nothing listens there
    monkeypatch.setenv("PANCAKE_PAGE_TOKENS", "111:tok-a,222:tok-b")
    at = app_test("app_pages/settings.py", params={"lang": "en"}, timeout=60)
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "could not be reached for 2 page(s)" in errors
    assert "have a token that does not work" not in errors

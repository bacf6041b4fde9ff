"""With the API unreachable: Settings tells it from a bad token, and a report names every page
with the network as the reason."""
from __future__ import annotations

import pytest

from tests.conftest import app_test


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    """The client's retries without their backoff's wait (its jitter 0): the refused connections
    are what these tests look at, not the seconds between them."""
    from pancake.api.client import PancakeClient
    monkeypatch.setitem(PancakeClient.__init__.__kwdefaults__, "jitter", lambda: 0.0)


def test_an_unreachable_api_is_not_blamed_on_the_tokens(monkeypatch):
    monkeypatch.setenv("PANCAKE_BASE_URL", "http://127.0.0.1:9/api")     # nothing listens there
    monkeypatch.setenv("PANCAKE_PAGE_TOKENS", "111:tok-a,222:tok-b")
    at = app_test("app_pages/settings.py", params={"lang": "en"}, timeout=60)
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "could not be reached for 2 page(s)" in errors
    assert "have a token that does not work" not in errors


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_with_the_api_unreachable_a_report_names_every_page_and_promises_no_rest(monkeypatch, lang):
    """The overview with nothing listening: one notice, every page named with the network as the
    reason, and a title that does not say "the rest is shown" when there is no rest."""
    from pancake import i18n
    from ui import components
    monkeypatch.setenv("PANCAKE_BASE_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("PANCAKE_PAGE_TOKENS", "111:tok-a,222:tok-b")
    at = app_test(params={"lang": lang}, timeout=90)
    assert not at.exception
    (text,) = [w.value for w in at.warning]
    assert text.startswith(i18n.t("errors.title_all", lang, n=2))
    assert i18n.t("errors.title", lang, n=2) not in text
    assert text.count(components.reason("network", lang)) == 2 and "111" in text and "222" in text
    assert "tok-a" not in text and "tok-b" not in text

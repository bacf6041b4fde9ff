"""Settings warns that /_stcore/metrics is public when the server listens beyond loopback
(Streamlit 1.67 has no option to close it: issue 23)."""
from __future__ import annotations

import pytest
from streamlit import config

from pancake import i18n
from tests.conftest import app_test


@pytest.mark.parametrize("address,beyond", [
    ("", True), ("0.0.0.0", True), ("192.168.1.20", True), ("::", True), ("shop.example.vn", True),
    ("127.0.0.1", False), ("::1", False), ("localhost", False), ("127.0.0.2", False),
])
def test_beyond_loopback(address, beyond):
    from ui import auth
    assert auth.beyond_loopback(address) is beyond


@pytest.mark.parametrize("address,warned", [("0.0.0.0", True), ("127.0.0.1", False)])
def test_settings_says_the_metrics_endpoint_is_public(address, warned):
    old = config.get_option("server.address")
    config.set_option("server.address", address)
    try:
        at = app_test("app_pages/settings.py", params={"lang": "en"}, timeout=60)
    finally:
        config.set_option("server.address", old)
    assert not at.exception
    shown = [w.value for w in at.warning]
    assert (i18n.t("set.metrics_public", "en") in shown) is warned

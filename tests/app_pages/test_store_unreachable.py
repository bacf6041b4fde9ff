"""Issue 20: with PostgreSQL unreachable (a loopback port nobody listens on), every page says
plainly that statistics are kept in memory only, with when the store was last reachable, and
Settings adds the cause; in both languages, never the URL's password. The figures still come
(from the simulator over HTTP)."""
from __future__ import annotations

import os
import socket
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from pancake.api.simulator import DEMO_PAGE_IDS, DEMO_PAGE_TOKENS, Simulator, serve
from pancake.config import Settings
from pancake.data.store import marker_path
from tests.conftest import app_test, drawn_text

PASSWORD = "CANARY-store-pw-5e1d"
TZ = "Asia/Ho_Chi_Minh"
PAGE = DEMO_PAGE_IDS[0]
DOWN = {
    "en": "The statistics store (PostgreSQL) cannot be reached: figures are fetched from Pancake and kept in "
          "memory only. ",
    "vi": "Không kết nối được kho số liệu (PostgreSQL): số liệu được lấy từ Pancake và chỉ giữ trong bộ nhớ. ",
}
NEVER = {"en": "It has not been reachable from this machine before.",
         "vi": "Máy này chưa từng kết nối được với kho."}
MIDNIGHT = {"en": "Last reachable 00:00 today.", "vi": "Kết nối được lần cuối lúc 00:00 hôm nay."}
CAUSE = {"en": "Cause: ", "vi": "Nguyên nhân: "}


@pytest.fixture(scope="module")
def sim_url():
    server, _ = serve(Simulator(rate_limit_per_second=0), "127.0.0.1", 0)   # unpaced (``store_down``)
    host, port = server.server_address[:2]
    yield f"http://{host}:{port}/api"
    server.shutdown()
    server.server_close()


def closed_port() -> int:
    """A loopback port with nothing listening (bound, then closed: nobody else took it since)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def store_down(monkeypatch, sim_url, unpaced_clients):
    url = f"postgresql://pancake:{PASSWORD}@127.0.0.1:{closed_port()}/stats"
    monkeypatch.setenv("PANCAKE_BASE_URL", sim_url)
    monkeypatch.setenv("PANCAKE_PAGE_TOKENS", f"{PAGE}:{DEMO_PAGE_TOKENS[PAGE]}")
    monkeypatch.setenv("PANCAKE_STORE_URL", url)
    return url


every_text = drawn_text


def store_warnings(at, lang) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith(DOWN[lang])]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_overview_says_statistics_are_in_memory_only(store_down, lang):
    at = app_test(params={"lang": lang}, timeout=120)
    assert not at.exception
    assert store_warnings(at, lang) == [DOWN[lang] + NEVER[lang]]
    assert len(at.metric) > 0                     # the figures are there all the same
    assert PASSWORD not in every_text(at)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_settings_says_so_in_its_store_section_with_the_cause_and_last_reachable(store_down, lang):
    # an earlier process reached it at midnight today (local): the marker it left
    midnight = datetime.now(ZoneInfo(TZ)).replace(hour=0, minute=0, second=0, microsecond=0)
    s = Settings(page_tokens={PAGE: DEMO_PAGE_TOKENS[PAGE]}, store_url=store_down,
                 cache_dir=os.environ["PANCAKE_CACHE_DIR"])
    marker = marker_path(s)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{midnight.timestamp():.3f}\n")
    at = app_test("app_pages/settings.py", params={"lang": lang}, timeout=120)
    assert not at.exception
    top, section = store_warnings(at, lang)       # the page's notice, then the store section's
    assert top == DOWN[lang] + MIDNIGHT[lang]
    first, cause, retry = section.split("\n\n")
    assert first == top
    assert cause.startswith(CAUSE[lang]) and "Connection refused" in cause and "pancake" in cause
    assert retry.startswith({"en": "The dashboard tries again at most once a minute",
                             "vi": "Bảng điều khiển thử kết nối lại tối đa mỗi phút một lần"}[lang])
    assert PASSWORD not in every_text(at)

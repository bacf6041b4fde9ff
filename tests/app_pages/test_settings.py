"""Settings: pure helpers (pancake.numbers.views.settings) and the page in AppTest, in demo mode and
against the simulator's HTTP server with canary tokens that must never appear on screen."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from pancake.api.simulator import DEMO_PAGES, Simulator, serve
from pancake.numbers.views import settings as vs
from pancake.numbers.views import tables
from tests.app_pages.test_ads import open_directly
from tests.conftest import app_test

PAGE = "app_pages/settings.py"
P1, P2, P3 = DEMO_PAGES[0].id, DEMO_PAGES[1].id, DEMO_PAGES[2].id


# --- pure helpers ----------------------------------------------------------------------------

def test_safe_base_url_drops_credentials_query_and_fragment():
    assert vs.safe_base_url("https://user:s3cretpass@pages.fm:8443/api?access_token=abc123#x") == \
        "https://pages.fm:8443/api"
    assert vs.safe_base_url("https://pages.fm/api") == "https://pages.fm/api"
    assert vs.safe_base_url(None) == ""


def test_token_table_shows_status_never_tokens_failing_first():
    status = pd.DataFrame({"page_id": ["1", "2"], "name": ["A shop", "B shop"], "ok": [True, False],
                           "message": ["page 1: page token (configured) works — 3 tag(s) readable",
                                       "page 2 invalid: page_access_token=LEAKY-TOKEN-123 refused"]})
    table = vs.token_table(status, "vi")
    assert [c.label for c in table.columns] == ["Trang", "Mã trang", "Token", "Chi tiết"]
    vi = table.frame
    assert list(vi["page_name"]) == ["B shop", "A shop"]
    assert list(vi["token"]) == ["❌ Lỗi", "✅ Hoạt động"]
    assert "LEAKY-TOKEN-123" not in vi.to_csv() and "refused" in vi["detail"].iloc[0]
    assert vi["detail"].iloc[1] == ""
    assert list(tables.display_values(table, "vi")["page_id"]) == ["2", "1"]
    en = vs.token_table(status, "en")
    assert list(en.frame["token"]) == ["❌ Failing", "✅ Works"] and en.columns[-1].label == "Details"
    assert vs.token_counts(status) == (1, 2)
    empty = vs.token_table(None, "en")
    assert empty.frame.empty and empty.shown == ["page_name", "page_id", "token", "detail"]
    assert vs.token_counts(None) == (0, 0)


def test_age_and_local_time():
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert vs.age_text(now - timedelta(seconds=30), now, "vi") == "vừa xong"
    assert vs.age_text(now - timedelta(minutes=3), now, "vi") == "3 phút trước"
    assert vs.age_text(now - timedelta(minutes=125), now, "en") == "2 h 5 min ago"
    assert vs.age_text(now - timedelta(days=2), now, "en") == "2 day(s) ago"
    assert vs.age_text(None, now, "en") == "—"
    assert vs.local_time(now, "Asia/Ho_Chi_Minh", "vi") == "17:00:00 24/11/2026"
    assert vs.local_time(now, "Asia/Ho_Chi_Minh", "en") == "17:00:00, 24 Nov 2026"


def test_env_table_lists_every_variable_with_placeholders():
    en = vs.env_table("en")
    assert [c.label for c in en.columns] == ["Meaning", "Variable", "Example"]   # words first
    assert list(en.frame["variable"])[:6] == ["PANCAKE_ACCESS_TOKEN", "PANCAKE_PAGE_TOKENS", "PANCAKE_BASE_URL",
                                              "PANCAKE_TIMEZONE", "PANCAKE_DEMO", "PANCAKE_CACHE_DIR"]
    assert len(en.frame) == 19      # every variable (tests/pancake/test_config_registry.py: exactly the registry)
    assert en.frame["example"].iloc[1] == "<page_id>:<page token>,<page_id>:<page token>"
    assert vs.env_table("vi").columns[1].label == "Biến"
    assert vs.leaks(["abc CANARY-1 def"], ["CANARY-1", "nope", None]) == ["CANARY-1"]


# --- the page --------------------------------------------------------------------------------

def texts(at) -> list[str]:
    """Every text the page renders: markdown, captions, alerts, code, metrics, table cells."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "warning", "error", "info",
                 "success", "code", "exception", "toast"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [f"{m.label} {m.value}" for m in at.metric]
    for df in at.dataframe:
        out.append(df.value.to_csv())
    out += [str(b.label) for b in at.button]
    out += [str(s.value) for s in at.sidebar.caption]
    return out


def test_demo_mode_vietnamese_lists_pages_and_explains_configuration():
    at = app_test(PAGE)
    assert not at.exception
    body = "\n".join(texts(at))
    assert "Dữ liệu mẫu (trình mô phỏng)" in body
    assert "**Token người dùng (PANCAKE_ACCESS_TOKEN)**  \nKhông" in body
    assert "https://pages.fm/api" in [c.value for c in at.code]
    assert "Asia/Ho_Chi_Minh" in body and "PANCAKE_TIMEZONE" in body
    for var in ("PANCAKE_ACCESS_TOKEN", "PANCAKE_PAGE_TOKENS", "PANCAKE_BASE_URL", "PANCAKE_DEMO"):
        assert var in body
    status = at.dataframe[0].value
    assert sorted(status["page_id"]) == sorted(p.id for p in DEMO_PAGES)
    assert set(status["token"]) == {"✅ Hoạt động"}
    config = next(d.value for d in at.dataframe if "variable" in d.value.columns)
    assert list(config["variable"])[0] == "PANCAKE_ACCESS_TOKEN"
    # every variable, not only the API's five (issue 18: one list, the registry's)
    assert len(config) == 19 and list(config["variable"])[-1] == "PANCAKE_MAX_RANGE_DAYS"
    assert "Một mật khẩu chung để vào bảng điều khiển (mặc định: không khóa)." in list(config["meaning"])
    # the freshness said is the loader's own (core.OPEN_TTL: 300 s)
    assert any("khoảng có hôm nay được hỏi lại sau 5 phút" in m.value for m in at.markdown)
    assert "5/5 trang có token hoạt động." in [s.value for s in at.success]
    # demo tokens never on screen
    from pancake.api.simulator import DEMO_PAGE_TOKENS, DEMO_USER_TOKEN
    assert vs.leaks(texts(at), [DEMO_USER_TOKEN, *DEMO_PAGE_TOKENS.values()]) == []
    assert dict(at.query_params)["lang"] == "vi"


def test_cache_age_and_clear_button_english():
    at = app_test(PAGE, params={"lang": "en", "pages": P1}, after_overview=True)
    assert not at.exception
    # Overview was opened first: its data's fetch time is shown
    assert any(m.value.startswith("The data on screen was fetched at ") and "(just now)" in m.value
               for m in at.markdown)
    at.button(key="set_clear").click().run()
    assert not at.exception
    assert "Cache cleared. Figures will be fetched from the API again when you open a report." in \
        [s.value for s in at.success]
    assert "No data has been fetched in this session yet." in [c.value for c in at.caption]
    # the confirmation is shown once, not on every later run
    at.run()
    assert "Cache cleared." not in " ".join(s.value for s in at.success)
    qp = dict(at.query_params)
    assert qp["lang"] == "en" and qp["pages"] == P1


@pytest.fixture
def canary_server():
    tokens = {P1: "CANARY-PAGE-TOKEN-9q8w", P2: "CANARY-PAGE-TOKEN-2k3j"}
    sim = Simulator(seed=0, page_tokens=tokens, user_token="CANARY-USER-TOKEN-5t6y")
    server, thread = serve(sim, "127.0.0.1", 0)
    host, port = server.server_address[:2]
    yield sim, tokens, f"http://{host}:{port}/api"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_canary_tokens_never_rendered_and_a_wrong_token_is_reported(canary_server):
    sim, tokens, url = canary_server
    wrong = "CANARY-WRONG-TOKEN-0p9o"
    secrets = {"PANCAKE_PAGE_TOKENS": f"{P1}:{tokens[P1]},{P2}:{tokens[P2]},{P3}:{wrong}",
               "PANCAKE_BASE_URL": url}
    at = open_directly(PAGE, params={"lang": "en"}, secrets=secrets)
    assert not at.exception
    body = texts(at)
    assert vs.leaks(body, [*tokens.values(), wrong, "CANARY"]) == []
    assert url in [c.value for c in at.code]
    joined = "\n".join(body)
    assert "Live Pancake API" in joined
    assert "**User token (PANCAKE_ACCESS_TOKEN)**  \nNo" in joined
    assert "**Page tokens configured**  \n3" in joined
    status = at.dataframe[0].value.set_index("page_id")
    assert status.loc[P3, "token"] == "❌ Failing" and "invalid" in status.loc[P3, "detail"]
    assert status.loc[P1, "token"] == "✅ Works" and status.loc[P2, "token"] == "✅ Works"
    assert any("1 page(s) have a token that does not work" in e.value for e in at.error)

    # with a user token too, and after "check again": still nothing leaks
    secrets["PANCAKE_ACCESS_TOKEN"] = sim_user = "CANARY-USER-TOKEN-5t6y"
    at = open_directly(PAGE, params={"lang": "vi"}, secrets=secrets)
    assert not at.exception
    at.button(key="set_recheck").click().run()
    assert not at.exception
    assert "**Token người dùng (PANCAKE_ACCESS_TOKEN)**  \nCó" in "\n".join(texts(at))
    assert vs.leaks(texts(at), [*tokens.values(), wrong, sim_user, "CANARY"]) == []


def test_the_store_is_shown_with_each_pages_newest_data_and_can_be_cleared():
    """Settings shows where the store is and, per page, what it holds; "Clear the store" empties it."""
    at = app_test(PAGE, params={"lang": "en", "pages": P1}, after_overview=True)   # data stored
    assert not at.exception
    assert any(m.value.startswith("Figures for days that are over are stored once") for m in at.markdown)
    store = next(d.value for d in at.dataframe if "kinds" in d.value.columns)
    assert P1 in set(store["page_id"].astype(str)) and (store["entries"] > 0).all()
    at.button(key="set_clear_store").click().run()
    assert not at.exception
    assert any(s.value.endswith("entries deleted from the store.") and not s.value.startswith("0 ")
               for s in at.success)
    assert "The store holds nothing yet: open a report or run `python -m pancake sync`." in \
        [c.value for c in at.caption]


@pytest.mark.parametrize("url,reason", [
    ("https://boss:PubPassw0rd-77@stats.example.com", "không được chứa tên người dùng hay mật khẩu"),
    ("javascript:alert(1)", "phải là một địa chỉ http:// hoặc https://"),
])
def test_a_refused_public_url_is_explained_on_settings_and_never_shown(url, reason, monkeypatch):
    monkeypatch.setenv("PANCAKE_PUBLIC_URL", url)
    at = app_test(PAGE)
    assert not at.exception
    (warning,) = [w.value for w in at.warning if "PANCAKE_PUBLIC_URL" in w.value]
    assert reason in warning
    assert "PubPassw0rd-77" not in "\n".join(texts(at)) and "alert(1)" not in "\n".join(texts(at))


def test_a_usable_public_url_says_nothing(monkeypatch):
    monkeypatch.setenv("PANCAKE_PUBLIC_URL", "https://stats.example.com/")
    at = app_test(PAGE, params={"lang": "en"})
    assert not at.exception and not [w for w in at.warning if "PANCAKE_PUBLIC_URL" in w.value]

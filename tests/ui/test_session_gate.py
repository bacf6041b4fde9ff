"""The gate with a session cookie and with read-only links (AppTest): a cookie signed by the key,
unexpired, whose grant is unchanged and whose name has not signed out since, opens the
dashboard without the form; a read-only link opens its one view (its pages, range, language)
whatever the URL says, draws no download button unless allowed, and stops when revoked or
expired; a wrong link says so in one sentence."""
from __future__ import annotations

import time

import pytest

from pancake import i18n
from pancake.data.store import SQLiteStore
from pancake.delivery import access, session
from tests.ui.test_auth import KEY, PW, VIEWER_PW, A, B, access_file, run, texts  # noqa: F401

SESSION_KEY = "a long session signing key for the tests, 48 chars"


@pytest.fixture
def gate_store(tmp_path, monkeypatch, access_file):  # noqa: F811
    import ui.auth
    import ui.cookie
    store = SQLiteStore(tmp_path / "gate.sqlite3")
    monkeypatch.setattr(ui.auth, "store", lambda: store)
    monkeypatch.setenv("PANCAKE_SESSION_KEY", SESSION_KEY)
    monkeypatch.setattr(ui.cookie, "_KEY", {})
    yield store
    store.close()


def _cookie(monkeypatch, value):
    import ui.auth
    monkeypatch.setattr(ui.auth, "_cookie_value", lambda: value)


def _key() -> bytes:
    return session.signing_key("/nonexistent", env={"PANCAKE_SESSION_KEY": SESSION_KEY})


def _viewer_hash(access_file) -> str:  # noqa: F811
    import tomllib
    return tomllib.loads(access_file.read_text())["viewer"][0]["password_hash"]


def test_a_good_cookie_opens_without_the_form(gate_store, monkeypatch, access_file):  # noqa: F811
    token = session.issue(_key(), "shop a", "password", _viewer_hash(access_file), time.time(), 12)
    _cookie(monkeypatch, token)
    at = run({"lang": "en"})
    assert at.metric and i18n.t("auth.signed_in_as", "en", name="Shop A") in texts(at)
    assert at.toggle(key="w_all").label == i18n.t("sb.all_pages", "en", n=1)     # the viewer's scope


@pytest.mark.parametrize("case", ["expired", "other key", "changed password", "removed", "signed out", "garbage"])
def test_a_cookie_that_no_longer_grants_shows_the_form(gate_store, monkeypatch, access_file, case):  # noqa: F811
    now = time.time()
    grant = _viewer_hash(access_file)
    token = session.issue(_key(), "shop a", "password", grant, now - 3600, 12)
    if case == "expired":
        token = session.issue(_key(), "shop a", "password", grant, now - 13 * 3600, 12)
    elif case == "other key":
        token = session.issue(b"x" * 32, "shop a", "password", grant, now, 12)
    elif case == "changed password":
        access_file.write_text(access_file.read_text().replace(grant, access.hash_secret("new-pw", n=2)))
    elif case == "removed":
        access_file.write_text(access_file.read_text().replace('name = "Shop A"', 'name = "Shop Z"'))
    elif case == "signed out":
        gate_store.end_sessions("shop a", now - 60)           # another replica, after it was issued
    else:
        token = "garbage.garbage"
    _cookie(monkeypatch, token)
    at = run({"lang": "en"})
    assert not at.metric and i18n.t("auth.title", "en") in texts(at)


def _link(store, *, page="staff", downloads=False, days=30.0, now=None):
    link = access.new_link("Team", page, [A.id], {"range": "last_7", "lang": "en"}, downloads=downloads,
                           now=now or time.time(), days=days)
    secret = session.new_link_secret()
    store.add_link(link.id, session.link_hash(secret), link.name, link.view_text(), link.downloads,
                   link.created_at, link.expires_at)
    return link, secret


def test_a_link_opens_its_view_whatever_the_url_asks(gate_store):
    link, secret = _link(gate_store)
    at = run({"link": secret, "pages": B.id, "range": "last_30", "lang": "vi"})
    assert not at.exception
    q = dict(at.query_params)
    assert (q["pages"], q["range"], q["lang"]) == (A.id, "last_7", "en")
    assert [t.value for t in at.title] == [i18n.t("nav.staff", "en")]
    assert not at.sidebar.children                        # no navigation, no pickers
    assert not at.get("download_button")
    assert B.name not in texts(at) and secret not in texts(at)
    assert gate_store.links()[0]["last_used"] is not None


def test_a_link_with_downloads_allowed_has_them(gate_store):
    _, secret = _link(gate_store, downloads=True)
    at = run({"link": secret})
    assert at.get("download_button")


def test_a_standup_link_opens_the_standup_screen(gate_store):
    _, secret = _link(gate_store, page=access.STANDUP)
    at = run({"link": secret})
    assert not at.exception and dict(at.query_params)["kiosk"] == "1" and at.metric
    assert i18n.t("auth.title", "en") not in texts(at)


@pytest.mark.parametrize("how, key", [("revoked", "auth.link_revoked"), ("expired", "auth.link_expired"),
                                      ("wrong", "auth.link_wrong")])
def test_a_revoked_expired_or_unknown_link_opens_nothing(gate_store, how, key):
    link, secret = _link(gate_store)
    at = run({"link": secret})
    assert at.metric or at.title
    if how == "revoked":
        gate_store.revoke_link(link.id, time.time())
    elif how == "expired":
        gate_store._query("UPDATE pancake_links SET expires_at = ?", [time.time() - 1])
    else:
        at.query_params["link"] = "not-a-secret-of-any-link"
        at.session_state["_link_hash"] = session.link_hash("not-a-secret-of-any-link")
    at.run()
    assert [e.value for e in at.error] == [i18n.t(key, "en")]
    assert not at.metric and not at.sidebar.children
